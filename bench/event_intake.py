"""Benchmark: HIS event intake and processing, per event.

    .venv/bin/python bench/event_intake.py --events 1000

Sends N events through the intake endpoint with Django's test client — half
HL7 v2 (A04 registrations, then A03 discharges for the same visits), half
JSON — and then processes them the way the queue does. Runs on SQLite (a
throwaway file) and, when DATABASE_URL is set, on PostgreSQL (a
``px360_bench_events`` database created and dropped here). One line per
database:

    <db> events=<N> intake_events_per_s=<x> intake_queries_per_event=<q> process_events_per_s=<y> process_queries_per_event=<p>

The target is that both query counts stay the same as N grows; rates are for
comparing runs on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "px360_bench_events"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.events)
    databases = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])
    status = 0
    for database in databases:
        command = [sys.executable, __file__, "--events", str(args.events), "--child", database]
        status = status or subprocess.run(command, check=False).returncode
    return status


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def child(database: str, events: int) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="px360-bench-events-"))
    os.environ.update(
        {
            "PX360_VAR_DIR": str(workdir),
            "PX360_ENV": "test",
            "LOG_LEVEL": "error",
            "DJANGO_SETTINGS_MODULE": "px360.settings",
        }
    )
    server_url = None
    if database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    else:
        import psycopg

        server_url = os.environ["DATABASE_URL"]
        with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE_NAME}")
            conn.execute(f"CREATE DATABASE {DATABASE_NAME}")
        os.environ["DATABASE_URL"] = _with_database(server_url, DATABASE_NAME)
    sys.path.insert(0, str(ROOT))
    try:
        return _run(database, events)
    finally:
        if server_url is not None:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE_NAME}")


def _hl7(event: str, control_id: str, visit: str, mrn: str, discharged: str = "") -> str:
    return (
        "\r".join(
            [
                f"MSH|^~\\&|HIS|BH1^^L|PX360|PX360|20261120090000||ADT^{event}^ADT_{event}|{control_id}|P|2.5",
                f"EVN|{event}|20261120090000",
                f"PID|1||{mrn}^^^BH1^MR||Al-Harbi^Mohammed~الحربي^محمد||19800531|M|||||0501234567||ARA",
                f"PV1|1|O|MED^^^BH1||||BH1-0001^Doctor|||MED|||||||||{visit}|||||||||||||||||||||||||20261120083000|{discharged}",
            ]
        )
        + "\r"
    )


def _json(event: str, message_id: str, visit: str, mrn: str) -> str:
    body = {
        "message_id": message_id,
        "event_type": event,
        "hospital_code": "BH1",
        "encounter_number": visit,
        "encounter_type": "INPATIENT",
        "department_code": "MED",
        "physician_license": "BH1-0001",
        "admitted_at": "2026-11-20T08:30:00+03:00",
        "patient": {"mrn": mrn, "name_en": "Reem Al-Mutairi", "name_ar": "ريم المطيري", "language": "ar"},
    }
    if event == "A03":
        body["discharged_at"] = "2026-11-22T10:00:00+03:00"
    return json.dumps(body)


def _run(database: str, events: int) -> int:
    import contextlib
    import io

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0, interactive=False)
    with contextlib.redirect_stdout(io.StringIO()):
        call_command("create_default_roles", verbosity=0)

    from px360.integrations import services
    from px360.integrations.models import InboundEvent, IntegrationSource
    from px360.journeys.library import load_journey_templates
    from px360.organizations.models import Department, Hospital, Physician

    hospital = Hospital.objects.create(code="BH1", name="BH1", name_ar="مستشفى", name_en="Hospital")
    Department.objects.create(hospital=hospital, code="MED", name="MED", name_ar="الباطنة", name_en="Medicine")
    Physician.objects.create(hospital=hospital, license_number="BH1-0001", name="د", name_ar="د", name_en="Dr")
    load_journey_templates()
    source = IntegrationSource.objects.create(code="bench", name="bench", rate_limit_per_minute=10**9)
    source.hospitals.add(hospital)
    _api_key, key = services.api_key_create(source=source)

    # Half the events register visits, half discharge them; HL7 and JSON alternate.
    messages = []
    visits = max(events // 2, 1)
    for number in range(visits):
        visit, mrn = f"V{number:07d}", f"M{number % max(visits * 6 // 10, 1):07d}"
        if number % 2:
            messages.append(("application/json", _json("A01", f"J{number}-1", visit, mrn)))
        else:
            messages.append(("application/hl7-v2", _hl7("A04", f"H{number}-1", visit, mrn)))
    for number in range(events - visits):
        visit, mrn = f"V{number:07d}", f"M{number % max(visits * 6 // 10, 1):07d}"
        if number % 2:
            messages.append(("application/json", _json("A03", f"J{number}-3", visit, mrn)))
        else:
            messages.append(("application/hl7-v2", _hl7("A03", f"H{number}-3", visit, mrn, "20261122100000")))

    queued: list = []
    services._enqueue = queued.append  # measure intake alone; processing below
    client = Client()
    counter = {"queries": 0}

    def count(execute, sql, params, many, context):
        counter["queries"] += 1
        return execute(sql, params, many, context)

    start = time.perf_counter()
    with connection.execute_wrapper(count):
        for content_type, body in messages:
            response = client.post(
                "/api/integrations/events/", data=body, content_type=content_type, HTTP_AUTHORIZATION=f"Api-Key {key}"
            )
            if response.status_code != 202:
                print(f"{database} intake failed: {response.status_code} {response.content[:300]!r}", file=sys.stderr)
                return 1
    intake_seconds = time.perf_counter() - start
    intake_queries = counter["queries"]

    counter["queries"] = 0
    start = time.perf_counter()
    with connection.execute_wrapper(count):
        for event_id in queued:
            services.event_process(event_id=event_id)
    process_seconds = time.perf_counter() - start
    failed = InboundEvent.objects.exclude(status="processed").count()
    if failed:
        errors = list(InboundEvent.objects.exclude(status="processed").values_list("error", flat=True)[:3])
        print(f"{database} processing failed for {failed} events: {errors}", file=sys.stderr)
        return 1
    print(
        f"{database} events={events} "
        f"intake_events_per_s={events / intake_seconds:.0f} "
        f"intake_queries_per_event={intake_queries / events:.2f} "
        f"process_events_per_s={events / process_seconds:.0f} "
        f"process_queries_per_event={counter['queries'] / events:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
