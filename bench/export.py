"""Benchmark: a list export of N encounters to XLSX against the same writer fed from a list.

    .venv/bin/python bench/export.py --rows 500000

Runs once on SQLite (a throwaway file) and, when DATABASE_URL is set, once on
PostgreSQL (a ``px360_bench_export`` database created and dropped by this
script). Each database runs in its own child process (Django's settings are
fixed once per process). Prints one line per database:

    <db> rows=<N> export_s=<t> export_rows_per_s=<x> baseline_rows_per_s=<y> ratio=<r> peak_mb=<m> queries=<q> load=<l>

(b) export: the whole background path of the encounter list's "Export list"
    as a superuser — the export job is created and run as the job cluster runs
    it (``export_job_run``): the changelist's queryset rebuilt from the stored
    parameters, a COUNT for the progress bar, the rows streamed with
    ``values_list(...).iterator(chunk_size=2000)`` into XlsxWriter's
    constant-memory mode, progress recorded, the file stored, the export
    audited;
(a) baseline: the same column conversion and the same XLSX writer fed the same
    rows straight from a Python list that already holds them (fetched before
    the clock starts), in the same process right after (b).

``ratio`` is export rows/s over baseline rows/s (1.0 = the database costs
nothing). (b) runs in a fresh process of its own (``--measure``), started
after the load, so its memory is only Django's and the export's:
``peak_mb`` is that process's peak resident set (``VmHWM``), Django and the
app registry included; the part before the export starts is printed on
stderr. The baseline's list of N rows lives in the loading process, after
(b). ``queries`` is the number of queries (b) ran: a fixed handful plus the
progress updates (at most one a second), whatever N. ``load`` is the
machine's one-minute load average when (b) ended (the machine is shared:
times taken at a load above its two cores are not comparable).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_encounters import (  # noqa: E402
    FAMILY,
    FIRST,
    _peak_memory,
    _postgres_admin_url,
    _reset_peak_memory,
)

DATABASE = "px360_bench_export"
SEED = 360
HOSPITALS = 3
DEPARTMENTS = 8
PHYSICIANS = 40
LOAD_CHUNK = 50_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="run one database only")
    args = parser.parse_args()
    if args.measure:
        return measure(args.rows)
    if args.child:
        return child(args.child, args.rows)
    databases = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])
    if args.only:
        databases = [database for database in databases if database == args.only]
    status = 0
    for database in databases:
        result = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--child", database], check=False)
        status = status or result.returncode
    return status


def child(database: str, rows: int) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="px360-bench-export-"))
    os.environ["PX360_VAR_DIR"] = str(workdir)
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("PX360_ENV", "test")
    os.environ["LOG_LEVEL"] = "error"
    os.environ["DJANGO_SETTINGS_MODULE"] = "px360.settings"
    pg_url = None
    if database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    else:
        import psycopg

        pg_url = os.environ["DATABASE_URL"]
        with psycopg.connect(_postgres_admin_url(pg_url, "postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            conn.execute(f"CREATE DATABASE {DATABASE}")
        os.environ["DATABASE_URL"] = _url_for(pg_url, DATABASE)
    try:
        return _run(database, rows, workdir)
    finally:
        if pg_url is not None:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(_postgres_admin_url(pg_url, "postgres"), autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")


def _url_for(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def _run(database: str, rows: int, workdir: Path) -> int:
    import django

    django.setup()
    import contextlib
    import io

    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    with contextlib.redirect_stdout(io.StringIO()):
        call_command("create_default_roles", verbosity=0)
    from django.contrib import admin

    from px360.accounts.models import User
    from px360.core.exports.columns import columns_for
    from px360.core.exports.service import (
        ExportRequest,
        changelist_queryset,
        chunk_rows,
        stream_rows,
        write_rows,
    )
    from px360.core.exports.writers import XlsxWriter
    from px360.journeys.models import Encounter

    started = time.perf_counter()
    _load(rows)
    print(f"# {database}: loaded {rows:,} encounters in {time.perf_counter() - started:.0f} s (not measured)",
          file=sys.stderr, flush=True)  # fmt: skip
    user = User.objects.create_superuser("bench", password=None)

    # (b) the export, as the job cluster runs it, in a fresh process (its memory is its own).
    measured = subprocess.run(
        [sys.executable, __file__, "--rows", str(rows), "--measure", database],
        check=False,
        capture_output=True,
        text=True,
    )
    if measured.returncode != 0:
        print(measured.stderr, file=sys.stderr)
        return 1
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    if result["status"] != "done" or result["rows"] != rows:
        print(f"{database}: export failed: {result}", file=sys.stderr)
        return 1
    export_seconds = result["seconds"]

    # (a) the baseline: the same columns and writer, the same rows from a list.
    model_admin = admin.site._registry[Encounter]
    request = ExportRequest(user=user, params={}, language="en")
    from django.utils import translation

    with translation.override("en"):
        queryset = changelist_queryset(model_admin, request)
        column_set = columns_for(model_admin, request, user=user, queryset=queryset)
        held = list(stream_rows(queryset, column_set, chunk_size=chunk_rows()))
        path = workdir / "baseline.xlsx"
        start = time.perf_counter()
        writer = XlsxWriter(path, sheet_name="Encounters", tmpdir=str(workdir))
        write_rows(column_set=column_set, rows=iter(held), writer=writer, chunk_size=chunk_rows())
        writer.close()
        baseline_seconds = time.perf_counter() - start

    export_rate = rows / export_seconds
    baseline_rate = rows / baseline_seconds
    print(
        f"# {database}: export {export_seconds:.1f} s, file {result['file_mb']:.1f} MB; the export process "
        f"peaked at {result['peak_mb']:.0f} MB resident ({result['before_mb']:.0f} MB with Django loaded, "
        f"before the export); baseline {baseline_seconds:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    print(
        f"{database} rows={rows} export_s={export_seconds:.1f} export_rows_per_s={export_rate:.0f} "
        f"baseline_rows_per_s={baseline_rate:.0f} ratio={export_rate / baseline_rate:.2f} "
        f"peak_mb={result['peak_mb']:.0f} queries={result['queries']} load={result['load']:.1f}",
        flush=True,
    )
    return 0


def measure(rows: int) -> int:
    """(b) in its own process: run one export job as the job cluster would; print what it took as JSON."""
    import django

    django.setup()
    import gc

    from django.db import connection

    from px360.accounts.models import User
    from px360.core.exports.service import export_job_run
    from px360.core.models import ExportJob

    user = User.objects.get(username="bench")
    counter = {"queries": 0}

    def count(execute, sql, params, many, context):
        counter["queries"] += 1
        return execute(sql, params, many, context)

    job = ExportJob.objects.create(user=user, model_label="journeys.encounter", export_format="xlsx", language="en")
    gc.collect()
    rss_before = _reset_peak_memory()
    start = time.perf_counter()
    with connection.execute_wrapper(count):
        job = export_job_run(job=job)
    seconds = time.perf_counter() - start
    peak = _peak_memory()
    load = os.getloadavg()[0]
    print(
        json.dumps(
            {
                "status": job.status,
                "rows": job.processed_rows,
                "seconds": seconds,
                "queries": counter["queries"],
                "before_mb": rss_before / 1024,
                "peak_mb": peak / 1024,
                "file_mb": job.file_size / 1e6,
                "reason": job.failure_reason,
                "load": load,
            }
        )
    )
    return 0


def _load(rows: int) -> None:
    """N encounters and 0.6 N patients (national ID, phone, e-mail, birth date), written with fastwrite."""
    from django.db import connection, transaction
    from django.utils import timezone

    from px360.common import fastwrite
    from px360.journeys.models import Encounter
    from px360.organizations.models import Department, Hospital, Patient, Physician
    from px360.organizations.search import name_search_value

    rng = random.Random(SEED)
    now = timezone.now()
    hospitals = [
        Hospital.objects.create(code=f"BH{n}", name=f"BH{n}", name_ar=f"مستشفى {n}", name_en=f"Hospital {n}")
        for n in range(HOSPITALS)
    ]
    departments, physicians = {}, {}
    for hospital in hospitals:
        departments[hospital.pk] = [
            Department.objects.create(hospital=hospital, code=f"D{n}", name=f"D{n}", name_ar="قسم", name_en="Dept").pk
            for n in range(DEPARTMENTS)
        ]
        physicians[hospital.pk] = [
            Physician.objects.create(
                hospital=hospital, license_number=f"{hospital.code}-{n:03d}", name="Dr", name_ar="د", name_en="Dr"
            ).pk
            for n in range(PHYSICIANS)
        ]
    patient_table = fastwrite.Table(Patient, connection)
    encounter_table = fastwrite.Table(Encounter, connection)
    with transaction.atomic():
        distinct = max(int(rows * 0.6), 1)
        keys = []
        batch = []
        for number in range(distinct):
            hospital_id = hospitals[number % HOSPITALS].pk
            first_ar, first_en = rng.choice(FIRST)
            family_ar, family_en = rng.choice(FAMILY)
            name_ar, name_en = f"{first_ar} {family_ar}", f"{first_en} {family_en}"
            row = patient_table.new_row(
                {
                    "hospital_id": hospital_id,
                    "mrn": f"MRN{number:08d}",
                    "national_id": f"1{number:09d}",
                    "name_ar": name_ar,
                    "name_en": name_en,
                    "name_search": name_search_value(name_ar, name_en),
                    "phone": f"+9665{rng.randint(0, 99999999):08d}",
                    "email": f"p{number}@example.com" if number % 3 == 0 else "",
                    "birth_date": datetime(1950, 1, 1).date() + timedelta(days=rng.randrange(25000)),
                    "gender": rng.choice("MF"),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            keys.append((row[patient_table.index["id"]], hospital_id))
            batch.append(row)
            if len(batch) >= LOAD_CHUNK:
                fastwrite.insert(patient_table, patient_table.prepare(batch))
                batch = []
        fastwrite.insert(patient_table, patient_table.prepare(batch))
        base = datetime(2025, 1, 1, 5, 0, tzinfo=UTC)
        batch = []
        for number in range(rows):
            patient_id, hospital_id = keys[number] if number < distinct else rng.choice(keys)
            admitted = base + timedelta(minutes=rng.randrange(600_000))
            discharged = admitted + timedelta(hours=rng.randint(1, 96)) if rng.random() < 0.8 else None
            batch.append(
                encounter_table.new_row(
                    {
                        "hospital_id": hospital_id,
                        "encounter_number": f"ENC{number:09d}",
                        "encounter_type": rng.choice(("EMS", "INPATIENT", "OPD")),
                        "patient_id": patient_id,
                        "department_id": rng.choice(departments[hospital_id]),
                        "attending_physician_id": rng.choice(physicians[hospital_id]),
                        "admitted_at": admitted,
                        "discharged_at": discharged,
                        "status": "discharged" if discharged else "active",
                        "source": "import",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            )
            if len(batch) >= LOAD_CHUNK:
                fastwrite.insert(encounter_table, encounter_table.prepare(batch))
                batch = []
        fastwrite.insert(encounter_table, encounter_table.prepare(batch))
    with connection.cursor() as cursor:
        for table in (Patient._meta.db_table, Encounter._meta.db_table):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


if __name__ == "__main__":
    sys.exit(main())
