"""Benchmark: the encounter import against a plain ``bulk_create`` baseline.

    .venv/bin/python bench/import_encounters.py --rows 100000

Runs once on SQLite (a throwaway file) and, when DATABASE_URL is set, once on
PostgreSQL (a ``px360_bench`` database created and dropped by this script,
on the server DATABASE_URL points at). Each database runs in its own child
process, because Django's settings are fixed once per process. Prints one line
per database:

    <db> rows=<N> baseline_rows_per_s=<x> import_rows_per_s=<y> ratio=<r> peak_mb=<m> queries_per_1000=<q>

(a) baseline: ``Encounter.objects.bulk_create`` of the same rows, foreign keys
    resolved, patients already there, no validation, no history;
(b) import: the full path from an XLSX file — create the job, read, validate,
    classify, upsert patients and encounters with history, audit.
The XLSX file is generated once, in the parent process (a normal openpyxl
workbook, saved the way Excel saves one: shared cell storage and a
``<dimension>``), and its path is handed to each child, so neither generating
it nor holding the generator's workbook counts in a child's time or memory.

peak_mb is the import's own peak memory: the child's peak resident set
during the import minus its resident set just before it (Linux: the peak is
reset through ``/proc/self/clear_refs`` before the import and read from
``VmHWM`` after it). Django, the migrations and the reference data are not
counted. (``ru_maxrss`` is not used: Linux carries it over from the parent
across fork and exec, so a child would report the parent's peak; tracemalloc
sees only Python allocations and slows the import about twofold.) The
child's absolute peak is printed on stderr.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SEED = 360

FIRST = [
    ("محمد", "Mohammed"),
    ("أحمد", "Ahmed"),
    ("عبدالله", "Abdullah"),
    ("فيصل", "Faisal"),
    ("سلطان", "Sultan"),
    ("يوسف", "Yousef"),
    ("خالد", "Khalid"),
    ("إبراهيم", "Ibrahim"),
    ("فاطمة", "Fatimah"),
    ("ريم", "Reem"),
    ("هيفاء", "Haifa"),
    ("نورة", "Noura"),
    ("منيرة", "Munira"),
    ("سارة", "Sara"),
    ("لطيفة", "Latifa"),
    ("مصطفى", "Mustafa"),
]
FAMILY = [
    ("الحربي", "Al-Harbi"),
    ("المطيري", "Al-Mutairi"),
    ("الغامدي", "Al-Ghamdi"),
    ("السبيعي", "Al-Subaie"),
    ("العنزي", "Al-Anazi"),
    ("الشمري", "Al-Shammari"),
    ("القحطاني", "Al-Qahtani"),
    ("الزهراني", "Al-Zahrani"),
    ("الدوسري", "Al-Dosari"),
    ("العتيبي", "Al-Otaibi"),
]
HOSPITALS = ["BH1", "BH2", "BH3"]
DEPARTMENTS = ["MED", "SURG", "ED", "OPD", "PED", "CARD", "ORTH", "WARD3"]
PHYSICIANS_PER_HOSPITAL = 40
TYPES = ["EMS", "INPATIENT", "OPD"]


# --- parent ------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="run one database only")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.rows, Path(args.file))
    databases = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])
    if args.only:
        databases = [database for database in databases if database == args.only]
    status = 0
    with tempfile.TemporaryDirectory(prefix="px360-bench-file-") as folder:
        path = Path(folder) / "encounters.xlsx"
        started = time.perf_counter()
        _write_file(path, args.rows)
        print(
            f"# file: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB, written in "
            f"{time.perf_counter() - started:.0f} s (not measured)",
            file=sys.stderr,
            flush=True,
        )
        for database in databases:
            command = [sys.executable, __file__, "--rows", str(args.rows), "--child", database, "--file", str(path)]
            result = subprocess.run(command, check=False)
            status = status or result.returncode
    return status


# --- child -------------------------------------------------------------------------


def _postgres_admin_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def child(database: str, rows: int, path: Path) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="px360-bench-"))
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
            conn.execute("DROP DATABASE IF EXISTS px360_bench")
            conn.execute("CREATE DATABASE px360_bench")
        os.environ["DATABASE_URL"] = _postgres_admin_url(pg_url, "px360_bench")
    sys.path.insert(0, str(ROOT))
    try:
        return _run(database, rows, workdir, path)
    finally:
        if pg_url is not None:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(_postgres_admin_url(pg_url, "postgres"), autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS px360_bench")


def _run(database: str, rows: int, workdir: Path, path: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        call_command("create_default_roles", verbosity=0)

    from django.core.files import File
    from django.db import connection

    from px360.accounts.models import User
    from px360.journeys.models import Encounter
    from px360.journeys.services import encounter_import
    from px360.organizations.models import Department, Hospital, Physician

    user = User.objects.create_superuser("bench", password=None)
    for code in HOSPITALS:
        hospital = Hospital.objects.create(code=code, name=code, name_ar=f"مستشفى {code}", name_en=f"Hospital {code}")
        for dept in DEPARTMENTS:
            Department.objects.create(hospital=hospital, code=dept, name=dept, name_ar=dept, name_en=dept)
        for number in range(PHYSICIANS_PER_HOSPITAL):
            Physician.objects.create(
                hospital=hospital, license_number=f"{code}-{number:04d}", name=code, name_ar="د", name_en="Dr"
            )

    import gc

    gc.collect()
    rss_before = _reset_peak_memory()
    # (b) the import, from the file, with everything it does before it reports success.
    counter = {"queries": 0}

    def count(execute, sql, params, many, context):
        counter["queries"] += 1
        return execute(sql, params, many, context)

    profile = None
    if os.environ.get("PX360_BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    start = time.perf_counter()
    with connection.execute_wrapper(count), path.open("rb") as handle:
        job = encounter_import(file=File(handle, name=path.name), user=user)
    import_seconds = time.perf_counter() - start
    if profile is not None:
        import pstats

        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats(
            os.environ.get("PX360_BENCH_PROFILE_SORT", "cumulative")
        ).print_stats(45)
    rss_after = _peak_memory()
    # A large workbook is read by a separate process: its whole peak counts too
    # (added to this process's, as if both peaked at the same moment).
    reader_mb = (job.summary or {}).get("reader_peak_mb", 0)
    peak_mb = (rss_after - rss_before) / 1024 + reader_mb
    print(
        f"# {database}: import {import_seconds:.1f} s; peak RSS during the import {rss_after / 1024:.0f} MB "
        f"({rss_before / 1024:.0f} MB before it); reading process {reader_mb} MB",
        file=sys.stderr,
        flush=True,
    )
    if job.status != "done" or job.new_count != rows:
        print(f"{database} import failed: {job.status} {job.failure_reason} {job.errors[:5]}", file=sys.stderr)
        return 1

    # (a) the baseline: the same encounter rows, foreign keys resolved, plain bulk_create.
    template = list(
        Encounter.objects.values(
            "hospital_id",
            "encounter_number",
            "encounter_type",
            "patient_id",
            "department_id",
            "attending_physician_id",
            "admitted_at",
            "discharged_at",
            "status",
        )
    )
    # Empty the table again (raw deletes: nothing references these rows yet).
    Encounter.history.all()._raw_delete(connection.alias)
    Encounter.all_objects.all()._raw_delete(connection.alias)
    objects = [Encounter(source="import", **values) for values in template]
    start = time.perf_counter()
    Encounter.objects.bulk_create(objects, batch_size=2000)
    baseline_seconds = time.perf_counter() - start

    baseline_rate = rows / baseline_seconds
    import_rate = rows / import_seconds
    print(
        f"{database} rows={rows} baseline_rows_per_s={baseline_rate:.0f} import_rows_per_s={import_rate:.0f} "
        f"ratio={import_rate / baseline_rate:.2f} peak_mb={peak_mb:.0f} "
        f"queries_per_1000={counter['queries'] * 1000 / rows:.1f}",
        flush=True,
    )
    return 0


def _status_kb(name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{name} not in /proc/self/status")


def _reset_peak_memory() -> int:
    """Reset the peak resident set to the current one; returns the current one (KiB)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return _status_kb("VmRSS")
    except OSError:  # not Linux: fall back to ru_maxrss (may include the parent's peak)
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_memory() -> int:
    try:
        return _status_kb("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _write_file(path: Path, rows: int) -> None:
    """N encounter rows, fixed seed; about 60% distinct patients.

    A normal (not write-only) openpyxl workbook: openpyxl then writes the
    sheet's ``<dimension>`` like Excel does. (A write-only workbook has none,
    and a reader has to scan the whole sheet to size it.)
    """
    from openpyxl import Workbook

    sys.path.insert(0, str(ROOT))
    from px360.core.validators import national_id_is_valid

    rng = random.Random(SEED)
    distinct = max(int(rows * 0.6), 1)
    patients = []
    for number in range(distinct):
        first_ar, first_en = rng.choice(FIRST)
        father_ar, father_en = rng.choice(FIRST)
        family_ar, family_en = rng.choice(FAMILY)
        body = "1" + f"{number:08d}"
        national_id = next(body + c for c in "0123456789" if national_id_is_valid(body + c))
        patients.append(
            (
                rng.choice(HOSPITALS),
                f"MRN{number:08d}",
                national_id,
                f"{first_ar} {father_ar} {family_ar}",
                f"{first_en} {father_en} {family_en}",
                f"05{rng.choice('0345689')}{rng.randint(0, 9999999):07d}",  # Saudi mobile ranges
                rng.choice(["ar", "en"]),
                f"{rng.randint(1940, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                rng.choice("MF"),
            )
        )
    order = list(range(distinct)) + [rng.randrange(distinct) for _ in range(rows - distinct)]
    rng.shuffle(order)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["HIS encounter export"])
    sheet.append([])
    sheet.append(
        [
            "hospital_code",
            "encounter_number",
            "encounter_type",
            "patient_mrn",
            "patient_national_id",
            "patient_name_ar",
            "patient_name_en",
            "patient_phone",
            "patient_email",
            "patient_language",
            "patient_birth_date",
            "patient_gender",
            "department_code",
            "physician_license",
            "admitted_at",
            "discharged_at",
        ]
    )
    base = datetime(2026, 1, 1, 8, 0)
    for number, index in enumerate(order):
        hospital, mrn, national_id, name_ar, name_en, phone, language, birth, gender = patients[index]
        admitted = base + timedelta(minutes=7 * number)
        discharged = admitted + timedelta(hours=rng.randint(1, 96)) if rng.random() < 0.8 else None
        sheet.append(
            [
                hospital,
                f"ENC{number:09d}",
                rng.choice(TYPES),
                mrn,
                national_id,
                name_ar,
                name_en,
                phone,
                "",
                language,
                birth,
                gender,
                rng.choice(DEPARTMENTS),
                f"{hospital}-{rng.randrange(PHYSICIANS_PER_HOSPITAL):04d}",
                admitted.strftime("%Y-%m-%d %H:%M") if number % 2 else admitted,  # text and Excel date cells
                discharged.strftime("%d/%m/%Y %H:%M") if discharged else "",
            ]
        )
    workbook.save(path)


if __name__ == "__main__":
    sys.exit(main())
