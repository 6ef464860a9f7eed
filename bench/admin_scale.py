"""Benchmark: the encounter and patient admins at a million encounters (PostgreSQL).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/admin_scale.py
    ... --rows 200000 --runs 7

Creates its own database ``px360_bench_scale`` on the server DATABASE_URL
points at (dropped again at the end), loads N encounters (default 1,000,000)
and 0.6 N patients with ``COPY`` (secondary indexes dropped during the load
and built again after it, then ``ANALYZE``), then requests, with Django's test
client, page 1 of the encounter and patient changelists and name searches,
as a superuser (unscoped) and as a Hospital Admin (scoped to one of ten
hospitals). Each request runs ``--runs`` times after one warm-up; the median
is printed with the number of queries.

The same requests are then repeated "stock": inside a transaction that is
rolled back at the end, the project's indexes for these pages are dropped
(the changelist ordering indexes and the trigram index on
``Patient.name_search``) and the two admins are switched to Django's defaults
(``Paginator`` with a full ``COUNT(*)``, ``icontains`` on ``name_ar`` /
``name_en`` for names). History tables are left empty: they do not take part
in these pages.

Targets (issue 4 §6): a scoped page 1 within 1.3 times the unscoped one; a
name search at most 0.25 s median.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_encounters import FAMILY, FIRST  # noqa: E402

DATABASE = "px360_bench_scale"
SEED = 360
HOSPITALS = 10
DEPARTMENTS = 10
PHYSICIANS = 30
LOAD_CHUNK = 50_000
# A family name given to one patient in a thousand: a selective search.
RARE_FAMILY = ("القرني", "Al-Qarni")
# Searched terms: a common first name typed without its hamza (stored "أحمد"),
# the rare family name written with a final yaa variant, an English fragment.
SEARCHES = ("احمد", "القرنى", "subaie")


def _url_for(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="encounters to load (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per request (median printed)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="use the database a --keep run left (no load; implies --keep)"
    )
    args = parser.parse_args()
    args.keep = args.keep or args.reuse
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("admin_scale needs DATABASE_URL pointing at a PostgreSQL server", file=sys.stderr)
        return 2
    import psycopg

    with psycopg.connect(_url_for(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        reuse = bool(args.reuse and exists)
        if not reuse:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            conn.execute(f"CREATE DATABASE {DATABASE}")
    workdir = Path(tempfile.mkdtemp(prefix="px360-admin-scale-"))
    os.environ["DATABASE_URL"] = _url_for(url, DATABASE)
    os.environ["PX360_VAR_DIR"] = str(workdir)
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("PX360_ENV", "test")
    os.environ["LOG_LEVEL"] = "error"
    os.environ["DJANGO_SETTINGS_MODULE"] = "px360.settings"
    try:
        return run(args.rows, args.runs, reuse=reuse)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(_url_for(url, "postgres"), autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")


# --- loading -----------------------------------------------------------------------


def _secondary_indexes(cursor, tables) -> list[tuple[str, str]]:
    """(name, definition) of the tables' indexes that back no constraint."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = ANY(%s) AND i.schemaname = 'public'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [list(tables)],
    )
    return list(cursor.fetchall())


def load(rows: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from px360.common import fastwrite
    from px360.journeys.models import Encounter
    from px360.organizations.models import Department, Hospital, Patient, Physician
    from px360.organizations.search import name_search_value

    rng = random.Random(SEED)
    now = timezone.now()
    hospitals = [
        Hospital.objects.create(code=f"H{n:02d}", name=f"H{n:02d}", name_ar=f"مستشفى {n}", name_en=f"Hospital {n}")
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
    tables = [Patient._meta.db_table, Encounter._meta.db_table]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        indexes = _secondary_indexes(cursor, tables)
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

        distinct = max(int(rows * 0.6), 1)
        patient_keys = []  # (id, hospital_id)
        batch = []
        for number in range(distinct):
            hospital_id = hospitals[number % HOSPITALS].pk
            first_ar, first_en = rng.choice(FIRST)
            father_ar, father_en = rng.choice(FIRST)
            family_ar, family_en = RARE_FAMILY if rng.random() < 0.001 else rng.choice(FAMILY)
            name_ar = f"{first_ar} {father_ar} {family_ar}"
            name_en = f"{first_en} {father_en} {family_en}"
            row = patient_table.new_row(
                {
                    "hospital_id": hospital_id,
                    "mrn": f"MRN{number:08d}",
                    "name_ar": name_ar,
                    "name_en": name_en,
                    "name_search": name_search_value(name_ar, name_en),
                    "gender": rng.choice("MF"),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            patient_keys.append((row[patient_table.index["id"]], hospital_id))
            batch.append(row)
            if len(batch) >= LOAD_CHUNK:
                fastwrite.insert(patient_table, patient_table.prepare(batch))
                batch = []
        fastwrite.insert(patient_table, patient_table.prepare(batch))

        base = datetime(2024, 1, 1, 5, 0, tzinfo=UTC)
        span_minutes = 2 * 365 * 24 * 60
        batch = []
        for number in range(rows):
            patient_id, hospital_id = patient_keys[number] if number < distinct else rng.choice(patient_keys)
            admitted = base + timedelta(minutes=rng.randrange(span_minutes))
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
        loaded = time.perf_counter() - started
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign key checks, before CREATE INDEX
        for _name, definition in indexes:
            cursor.execute(definition)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    print(
        f"# loaded {rows:,} encounters and {distinct:,} patients in {loaded:.0f} s, "
        f"indexes and ANALYZE in {time.perf_counter() - started - loaded:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    return {"hospital": hospitals[0]}


# --- measuring ---------------------------------------------------------------------


def measure(client, url: str, runs: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up (and a check that the page works)
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    times = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    return statistics.median(times), queries


def requests() -> list[tuple[str, str]]:
    pages = [
        ("encounter page 1", "/en/admin/journeys/encounter/"),
        ("patient page 1", "/en/admin/organizations/patient/"),
    ]
    for term in SEARCHES:
        pages.append((f"encounter search “{term}”", f"/en/admin/journeys/encounter/?q={quote(term)}"))
        pages.append((f"patient search “{term}”", f"/en/admin/organizations/patient/?q={quote(term)}"))
    pages.append(("patient MRN (exact)", "/en/admin/organizations/patient/?q=MRN00001234"))
    return pages


class _Stock:
    """Django's defaults for the two admins, and none of the project's indexes for these pages."""

    INDEXES = (
        "journeys_enc_admitted_idx",
        "journeys_enc_hosp_admitted_idx",
        "journeys_enc_patient_adm_idx",
        "org_patient_name_search_trgm",
    )
    # Django's default single-column indexes on these foreign keys, which the
    # project replaced with the composite indexes above.
    DEFAULT_INDEXES = (
        ("journeys_encounter", "hospital_id"),
        ("journeys_encounter", "patient_id"),
        ("organizations_patient", "hospital_id"),
    )

    def __enter__(self):
        from django.contrib import admin
        from django.contrib.admin import ModelAdmin
        from django.core.paginator import Paginator
        from django.db import connection, transaction

        from px360.journeys.models import Encounter
        from px360.organizations.models import Patient

        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        with connection.cursor() as cursor:
            for name in self.INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
            for table, column in self.DEFAULT_INDEXES:
                cursor.execute(f"CREATE INDEX stock_{table}_{column} ON {table} ({column})")
            for table in {table for table, _column in self.DEFAULT_INDEXES}:
                cursor.execute(f"ANALYZE {table}")
        self.saved = []
        for model, search_fields in (
            (Encounter, ("=encounter_number", "=patient__mrn", "=patient__national_id", "patient__name_ar")),
            (Patient, ("=mrn", "=national_id", "name_ar", "name_en")),
        ):
            model_admin = admin.site._registry[model]
            for name, value in (
                ("paginator", Paginator),
                ("show_full_result_count", True),
                ("search_fields", search_fields),
                ("get_search_results", ModelAdmin.get_search_results.__get__(model_admin)),
            ):
                self.saved.append((model_admin, name, model_admin.__dict__.get(name, _MISSING)))
                setattr(model_admin, name, value)
        return self

    def __exit__(self, *exc):
        from django.db import transaction

        for model_admin, name, value in reversed(self.saved):
            if value is _MISSING:
                delattr(model_admin, name)
            else:
                setattr(model_admin, name, value)
        transaction.set_rollback(True)
        self.atomic.__exit__(*exc)
        return False


_MISSING = object()


def run(rows: int, runs: int, *, reuse: bool = False) -> int:
    import django

    django.setup()
    import contextlib
    import io

    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0, interactive=False)
    with contextlib.redirect_stdout(io.StringIO()):
        call_command("create_default_roles", verbosity=0)

    from px360.accounts.models import Role, User
    from px360.accounts.roles import RoleCode
    from px360.accounts.services import user_set_roles
    from px360.journeys.models import Encounter
    from px360.organizations.models import Hospital

    if reuse and Encounter.objects.exists():
        rows = Encounter.objects.count()
        print(f"# reusing {DATABASE}: {rows:,} encounters", file=sys.stderr, flush=True)
        superuser = User.objects.get(username="bench-root")
        hospital_admin = User.objects.get(username="bench-ha")
    else:
        data = load(rows)
        superuser = User.objects.create_superuser("bench-root", password=None)
        hospital_admin = User.objects.create_user("bench-ha", password=None, is_staff=True, hospital=data["hospital"])
        user_set_roles(user=hospital_admin, roles=[Role.objects.get(code=RoleCode.HOSPITAL_ADMIN)], by=None)
    assert Hospital.objects.filter(pk=hospital_admin.hospital_id).exists()
    clients = {}
    for label, user in (("superuser", superuser), ("hospital admin", hospital_admin)):
        client = Client()
        client.force_login(user)
        clients[label] = client

    results = {}
    for variant in ("px360", "stock"):
        context = _Stock() if variant == "stock" else contextlib.nullcontext()
        with context:
            for name, url in requests():
                for label, client in clients.items():
                    results[(name, label, variant)] = measure(client, url, runs)
                    seconds, queries = results[(name, label, variant)]
                    print(f"# {variant} {label} {name}: {seconds * 1000:.0f} ms, {queries} queries", file=sys.stderr)

    print(f"\nadmin_scale rows={rows} runs={runs} (median seconds, queries)")
    header = ("request", "superuser", "hospital admin", "HA/SU", "stock superuser", "stock hospital admin")
    print(" | ".join(header))
    for name, _url in requests():
        su, ha = results[(name, "superuser", "px360")], results[(name, "hospital admin", "px360")]
        ssu, sha = results[(name, "superuser", "stock")], results[(name, "hospital admin", "stock")]
        print(
            f"{name} | {su[0]:.3f} ({su[1]}) | {ha[0]:.3f} ({ha[1]}) | {ha[0] / su[0]:.2f} | "
            f"{ssu[0]:.3f} ({ssu[1]}) | {sha[0]:.3f} ({sha[1]})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
