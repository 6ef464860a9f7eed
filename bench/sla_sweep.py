"""Benchmark: the SLA escalation sweep over N open items, 1 % of them with a step due.

    .venv/bin/python bench/sla_sweep.py --open 10000 --open 100000

Runs on SQLite (a throwaway file) and, when DATABASE_URL is set, on
PostgreSQL (a ``px360_bench_sla`` database created and dropped by this
script), each database in a child process of its own. For each N it loads N
open items' resolve clocks (a generic item link, a policy with a 50 %
reminder to the assignee, the group calendar), 1 % of them with their step
due now and the rest due later, then runs one sweep and prints:

    <db> open=<N> due=<d> sweep_s=<t> queries=<q> fired=<f> delivery_s=<t2> delivery_queries=<q2>

``sweep_s`` and ``queries`` are the sweep itself (choose the due clocks,
fire each step once through the unique constraint, find the recipients,
write the clocks back). The notices it hands to the staff notifications
service in one batch are written when the sweep's transaction commits; the
bench holds them in an outer transaction and measures their delivery apart
(``delivery_s``, ``delivery_queries``): one read of the recipients and their
choices, one insert of the notices, one of their e-mails, whatever their
number (plus the transaction's own statements).

Then a second set of 1 % of the clocks is made due and two sweeps run at the
same time in two threads (two database connections): the line

    <db> open=<N> concurrent_due=<d> fired_total=<f> notices=<n> duplicates=<x>

must show ``fired_total == notices == concurrent_due`` and ``duplicates=0``.

Targets (issue 14): the same number of queries at 10,000 and 100,000 open
items; a sweep over 100,000 open items under 2 s on PostgreSQL; each step's
notice created exactly once when two sweeps run at the same time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "px360_bench_sla"
CHUNK = 5_000
DUE_SHARE = 0.01


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, action="append", help="open items (repeatable; default 10,000 and 100,000)")
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.open or [10_000, 100_000]
    if args.child:
        return child(args.child, sizes)
    databases = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])
    status = 0
    for database in databases:
        command = [sys.executable, __file__, "--child", database]
        for size in sizes:
            command += ["--open", str(size)]
        status |= subprocess.run(command, check=False).returncode
    return status


def _url_for(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def child(database: str, sizes: list[int]) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="px360-bench-sla-"))
    os.environ["PX360_VAR_DIR"] = str(workdir)
    os.environ.setdefault("PX360_ENV", "test")
    os.environ["LOG_LEVEL"] = "error"
    os.environ["DJANGO_SETTINGS_MODULE"] = "px360.settings"
    pg_url = None
    if database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    else:
        import psycopg

        pg_url = os.environ["DATABASE_URL"]
        with psycopg.connect(_url_for(pg_url, "postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            conn.execute(f"CREATE DATABASE {DATABASE}")
        os.environ["DATABASE_URL"] = _url_for(pg_url, DATABASE)
    try:
        return _run(database, sizes)
    finally:
        if pg_url is not None:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(_url_for(pg_url, "postgres"), autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")


def _run(database: str, sizes: list[int]) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    with contextlib.redirect_stdout(io.StringIO()):
        call_command("create_default_roles", verbosity=0)

    world = _world()
    loaded = 0
    for size in sorted(sizes):
        _load(world, size - loaded)
        loaded = size
        _make_due(world, int(size * DUE_SHARE))
        _measure(database, world, size)
        _concurrent(database, world, size)
    return 0


def _world() -> dict:
    from django.contrib.contenttypes.models import ContentType

    from px360.accounts.models import User
    from px360.organizations.models import Hospital
    from px360.sla import registry
    from px360.sla.choices import Recipient, StepTrigger, TargetUnit
    from px360.sla.models import BusinessCalendar, EscalationStep, SLAPolicy
    from px360.sla.registry import ItemKind, ItemStatus

    registry.register(
        ItemKind(
            code="bench_item",
            label="Bench item",
            statuses=(ItemStatus("new", "New"), ItemStatus("resolved", "Resolved", acknowledges=True, resolves=True)),
        )
    )
    hospital = Hospital.objects.create(code="BENCH", name="Bench", name_ar="Bench", name_en="Bench")
    assignees = [
        User.objects.create(username=f"bench{n}", email=f"bench{n}@example.org", hospital=hospital) for n in range(20)
    ]
    policy = SLAPolicy.objects.create(
        name="Bench",
        name_ar="Bench",
        name_en="Bench",
        kind="bench_item",
        resolve_target=5,
        resolve_unit=TargetUnit.BUSINESS_DAYS,
    )
    step = EscalationStep.objects.create(
        policy=policy, trigger=StepTrigger.PERCENT, percent=50, audience=Recipient.ASSIGNEE
    )
    return {
        "hospital": hospital,
        "assignees": assignees,
        "policy": policy,
        "step": step,
        "calendar": BusinessCalendar.objects.get(hospital__isnull=True),
        "item_type": ContentType.objects.get_for_model(Hospital),
        "serial": 0,
    }


def _load(world: dict, count: int) -> None:
    """``count`` open clocks, each with one step to come next week."""
    from django.utils import timezone

    from px360.sla.choices import ClockKind, ClockState, TargetUnit
    from px360.sla.models import SLAClock

    now = timezone.now()
    rows = []
    for _ in range(count):
        world["serial"] += 1
        serial = world["serial"]
        notify_at = now + timedelta(days=7)
        rows.append(
            SLAClock(
                item_type=world["item_type"],
                item_id=str(uuid.uuid4()),
                item_kind="bench_item",
                reference=f"CMP-2026-{serial:06d}",
                clock=ClockKind.RESOLVE,
                hospital=world["hospital"],
                assignee=world["assignees"][serial % len(world["assignees"])],
                policy=world["policy"],
                calendar=world["calendar"],
                started_at=now - timedelta(days=3),
                target=timedelta(hours=40),
                unit=TargetUnit.BUSINESS_DAYS,
                base_at=now - timedelta(days=3),
                state=ClockState.RUNNING,
                used=timedelta(hours=20),
                computed_at=now,
                due_at=now + timedelta(days=3),
                at_risk_at=now + timedelta(days=2),
                pending_steps=[
                    {"step": str(world["step"].pk), "due": notify_at.isoformat(), "at": notify_at.isoformat()}
                ],
                next_step_at=notify_at,
            )
        )
        if len(rows) >= CHUNK:
            SLAClock.objects.bulk_create(rows)
            rows = []
    if rows:
        SLAClock.objects.bulk_create(rows)
    _analyze()


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _make_due(world: dict, count: int) -> list:
    """Make ``count`` clocks' step due a moment ago; returns their ids."""
    from django.utils import timezone

    from px360.sla.models import SLAClock

    now = timezone.now()
    ids = list(
        SLAClock.objects.filter(next_step_at__gt=now).order_by("pk").values_list("pk", flat=True)[: max(1, count)]
    )
    due_at = (now - timedelta(seconds=30)).isoformat()
    SLAClock.objects.filter(pk__in=ids).update(
        next_step_at=now - timedelta(seconds=30),
        pending_steps=[{"step": str(world["step"].pk), "due": due_at, "at": due_at}],
    )
    return ids


def _measure(database: str, world: dict, size: int) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from px360.sla.escalation import sla_sweep

    with CaptureQueriesContext(connection) as delivery:
        with transaction.atomic():  # hold the notices until the sweep is measured
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                result = sla_sweep()
                sweep_s = time.perf_counter() - started
            delivery_started = time.perf_counter()
        delivery_s = time.perf_counter() - delivery_started
    print(
        f"{database} open={size} due={result['due']} sweep_s={sweep_s:.3f} queries={len(queries)} "
        f"fired={result['fired']} delivery_s={delivery_s:.3f} delivery_queries={len(delivery) - len(queries)}",
        flush=True,
    )


def _concurrent(database: str, world: dict, size: int) -> None:
    from django.db import connection, connections
    from django.db.models import Count

    from px360.notifications.models import StaffNotice
    from px360.sla.escalation import sla_sweep
    from px360.sla.models import StepFiring

    open_ids = _make_due(world, int(size * DUE_SHARE))
    fired_before = StepFiring.objects.count()
    notices_before = StaffNotice.objects.count()
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(sla_sweep())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fired = StepFiring.objects.count() - fired_before
    notices = StaffNotice.objects.count() - notices_before
    duplicates = (
        StaffNotice.objects.values("user_id", "params").order_by().annotate(n=Count("pk")).filter(n__gt=1).count()
    )
    connection.close()
    print(
        f"{database} open={size} concurrent_due={len(open_ids)} fired_total={fired} notices={notices} "
        f"duplicates={duplicates} sweeps={[r['fired'] for r in results]}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
