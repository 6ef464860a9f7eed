"""Writes of the journeys app: the encounter import's jobs.

An import is an :class:`~px360.journeys.models.ImportJob` that goes
``pending → validating → validated → running → done`` (or ``failed``). The
check step (:func:`import_job_check`) reads and validates the whole file and
stores the result; the confirm step (:func:`import_job_confirm` then
:func:`import_job_run`) writes it without reading the file again. Large files
run both steps as django-q2 jobs; the admin, the ``import_encounters``
command and the benchmark all go through these functions.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from px360.core.access import user_is_global
from px360.core.history import acting_user
from px360.notifications.services import notify_staff

from . import importer
from .choices import ImportMode, JobStatus
from .models import Encounter, ImportJob

logger = logging.getLogger(__name__)

IMPORT_PERMISSION = "journeys.import_encounter"


def background_threshold() -> int:
    return settings.PX360_IMPORT_BACKGROUND_BYTES


def _media_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def _plan_path(job: ImportJob) -> Path:
    return _media_path(f"imports/{job.pk}/plan.pickle")


class _Progress:
    """Writes a job's progress where the status view can see it.

    Outside a transaction (SQLite chunks, the check step) a plain UPDATE is
    visible at once. Inside the one write transaction on PostgreSQL it would
    not be, so progress goes through a second, autocommit connection; it only
    touches non-key columns of the job row, which the import's own foreign
    keys do not lock against, and gives up after a second rather than wait.
    """

    def __init__(self, job: ImportJob, start: int = 0, span: int = 100, *, file_rows: int | None = None):
        self.job_id = job.pk
        self.start = start
        self.span = span
        # Writing: progress is counted in records (patients, then encounters), shown as the
        # file's rows. Checking (None): rows read so far, of the reader's estimate.
        self.file_rows = file_rows
        self.side = None

    def __call__(self, processed: int, total: int) -> None:
        fraction = min(processed, total) / max(total, 1)
        percent = self.start + int(self.span * fraction)
        if self.file_rows is None:
            values = {"processed_rows": processed, "total_rows": max(total, processed)}
        else:
            values = {"processed_rows": int(self.file_rows * fraction)}
        values["progress"] = min(percent, 99)
        if connection.in_atomic_block and connection.vendor == "postgresql":
            self._side_update(values)
        else:
            ImportJob.objects.filter(pk=self.job_id).update(**values)

    def _side_update(self, values: dict) -> None:
        try:
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
                self.side.ensure_connection()
                with self.side.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '1s'")
            table = self.side.ops.quote_name(ImportJob._meta.db_table)
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET processed_rows = %s, progress = %s WHERE id = %s",
                    [values["processed_rows"], values["progress"], self.job_id],
                )
        except Exception:  # progress is best effort; the import must not fail for it
            logger.warning("Could not record import progress", exc_info=True)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _check_permission(user) -> None:
    if not (user and user.is_active and user.has_perm(IMPORT_PERMISSION)):
        raise PermissionDenied(_("You do not have permission to import encounters."))


def import_job_create(*, file, user, mode: str = ImportMode.ALL_OR_NOTHING, dry_run: bool = False, name: str = ""):
    """Store an uploaded encounter file as a new import job (nothing is checked yet)."""
    _check_permission(user)
    if mode not in ImportMode.values:
        raise ValidationError(_("Choose how to handle bad rows."))
    name = Path(name or getattr(file, "name", "") or "encounters").name[:200]
    job = ImportJob(
        user=user,
        hospital_id=None if user_is_global(user) else user.hospital_id,
        mode=mode,
        dry_run=dry_run,
        original_name=name,
    )
    digest = hashlib.sha256()
    if hasattr(file, "chunks"):
        for chunk in file.chunks():
            digest.update(chunk)
        file.seek(0)
    else:
        digest.update(file.read())
        file.seek(0)
    job.file_sha256 = digest.hexdigest()
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    job.file.save(f"upload{suffix}", file if isinstance(file, File) else File(file), save=False)
    job.file_size = job.file.size
    job.background = job.file_size > background_threshold()
    job.save()
    return job


def _language_of(user) -> str:
    return getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE


def import_job_check(*, job: ImportJob) -> ImportJob:
    """Read and validate the whole file; store the plan, the counts and every problem."""
    return _check(job=job, store_plan=True)[0]


def _check(*, job: ImportJob, store_plan: bool) -> tuple[ImportJob, importer.Plan | None]:
    """The check, returning the plan too. ``store_plan``: keep it for a later confirm."""
    claimed = ImportJob.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(
        status=JobStatus.VALIDATING, started_at=timezone.now(), progress=0
    )
    if not claimed:  # already checked (a retried task): nothing to do
        job.refresh_from_db()
        return job, None
    progress = _Progress(job, 0, 100)
    try:
        with translation.override(_language_of(job.user)):
            plan, rejected_raw, row_errors = importer.build_plan(
                path=Path(job.file.path), user=job.user, progress=progress
            )
            rejected_name = ""
            if plan.rejected_rows:
                rejected_name = f"imports/{job.pk}/rejected-rows.csv"
                importer.write_rejected_rows(
                    plan=plan, rejected_raw=rejected_raw, all_errors=row_errors, path=_media_path(rejected_name)
                )
        if store_plan:
            digest = importer.save_plan(plan, _plan_path(job))
    except importer.ImportFileError as error:
        # The code too, so the page words the failure in its reader's language.
        return _fail(job, str(error), summary={"failure": {"code": error.code, "params": error.params}}), None
    except Exception as error:
        logger.exception("Import check failed for job %s", job.pk)
        return _fail(job, _("The file could not be checked: %(error)s") % {"error": error.__class__.__name__}), None
    finally:
        progress.close()
    job.refresh_from_db()
    counts = plan.counts
    job.status = JobStatus.VALIDATED
    if store_plan:
        job.plan_path = str(_plan_path(job).relative_to(settings.MEDIA_ROOT))
        job.plan_digest = digest
    job.total_rows = plan.total_rows
    job.processed_rows = plan.total_rows
    job.progress = 100
    job.new_count = counts["new"]
    job.updated_count = counts["updated"]
    job.unchanged_count = counts["unchanged"]
    job.rejected_count = counts["rejected"]
    job.error_count = plan.error_count
    job.errors = plan.errors
    job.sample = plan.sample
    job.summary = {"checked": counts}
    if plan.reader_peak_kb:
        # The file was read in a separate process: its memory, for whoever sizes the workers.
        job.summary["reader_peak_mb"] = round(plan.reader_peak_kb / 1024)
    if rejected_name:
        job.output_file.name = rejected_name
    job.save()
    return job, plan


def _fail(job: ImportJob, reason: str, **extra) -> ImportJob:
    job.refresh_from_db()
    job.status = JobStatus.FAILED
    job.failure_reason = reason
    job.finished_at = timezone.now()
    for key, value in extra.items():
        setattr(job, key, value)
    job.save()
    if job.background:
        notify_staff(
            job.user,
            kind="journeys.import_failed",
            params={"file": job.original_name},
            link=reverse("admin:journeys_importjob_change", args=[job.pk]),
            hospital=job.hospital,
            key=f"import-failed-{job.pk}",
        )
    return job


def import_job_confirm(*, job: ImportJob, user, mode: str | None = None) -> ImportJob:
    """The importer confirms a checked file: save it now, or queue it when it is large."""
    _check_permission(user)
    if job.user_id != user.pk and not user_is_global(user):
        raise PermissionDenied(_("Only the person who uploaded this file can confirm it."))
    if mode is not None and mode != job.mode:
        if mode not in ImportMode.values:
            raise ValidationError(_("Choose how to handle bad rows."))
        ImportJob.objects.filter(pk=job.pk).update(mode=mode)
        job.mode = mode
    if not job.can_confirm:
        if job.rejected_count:
            raise ValidationError(
                _("%(count)d rows have problems: fix the file, or choose to import the valid rows only.")
                % {"count": job.rejected_count}
            )
        raise ValidationError(_("This import cannot be confirmed in its current state."))
    if job.background:
        from django_q.tasks import async_task

        transaction.on_commit(
            lambda: async_task("px360.journeys.tasks.import_run", str(job.pk), task_name=f"import-run-{job.pk}")
        )
        return job
    return import_job_run(job=job)


def import_job_run(*, job: ImportJob, plan: importer.Plan | None = None) -> ImportJob:
    """Write a checked import.

    Uses ``plan`` when the caller has just checked the file (:func:`encounter_import`),
    else the stored plan; checks the file again only if the stored plan is gone, the
    file changed, or a department, physician or hospital the plan resolved is deleted
    or out of the importer's scope now. In "all or nothing" mode a file that has
    problems on that second check fails the job and writes nothing.
    """
    claimed = ImportJob.objects.filter(pk=job.pk, status=JobStatus.VALIDATED, dry_run=False).update(
        status=JobStatus.RUNNING, progress=0, processed_rows=0
    )
    job.refresh_from_db()
    if not claimed:  # a second click or a retried task: the first one does the work
        return job
    if plan is None and job.plan_path:
        plan = importer.load_plan(_media_path(job.plan_path), job.plan_digest)
        if plan is not None and not (_file_unchanged(job) and importer.plan_references_hold(plan, job.user)):
            plan = None
    if plan is None:
        # The stored plan is missing, does not match, or points at what changed since: check the file again.
        with translation.override(_language_of(job.user)):
            plan, _raw, _errors = importer.build_plan(path=Path(job.file.path), user=job.user)
        if plan.rejected_rows and job.mode == ImportMode.ALL_OR_NOTHING:
            return _fail(job, _("The file has problems now that it did not have when it was checked."))
    progress = _Progress(job, 0, 100, file_rows=job.total_rows)
    committed = {"rows": 0}

    def on_commit_chunk(rows):
        committed["rows"] = rows
        ImportJob.objects.filter(pk=job.pk).update(committed_rows=rows)

    try:
        counts = importer.apply_plan(
            plan=plan, user=job.user, job=job, progress=progress, on_commit_chunk=on_commit_chunk
        )
    except Exception as error:
        logger.exception("Import failed for job %s", job.pk)
        if committed["rows"]:
            reason = _(
                "The import stopped with a database error (%(error)s). The first %(rows)d rows were saved in "
                "whole chunks before it stopped; import the file again to finish (saved rows will show as unchanged)."
            ) % {"error": error.__class__.__name__, "rows": committed["rows"]}
        else:
            reason = _("The import stopped with a database error (%(error)s); nothing was saved.") % {
                "error": error.__class__.__name__
            }
        return _fail(job, reason, committed_rows=committed["rows"])
    finally:
        progress.close()
    job.refresh_from_db()
    job.status = JobStatus.DONE
    job.progress = 100
    job.processed_rows = job.total_rows
    job.new_count = counts["new"]
    job.updated_count = counts["updated"]
    job.unchanged_count = counts["unchanged"]
    job.rejected_count = counts["rejected"]
    job.committed_rows = len(plan.encounters)
    job.summary = {**job.summary, "saved": counts}
    job.finished_at = timezone.now()
    job.save()
    if job.background:
        # Whoever confirmed a large file has moved on: tell them it is in.
        notify_staff(
            job.user,
            kind="journeys.import_finished",
            params={
                "file": job.original_name,
                "new": counts["new"],
                "updated": counts["updated"],
                "rejected": counts["rejected"],
            },
            link=reverse("admin:journeys_importjob_change", args=[job.pk]),
            hospital=job.hospital,
            key=f"import-finished-{job.pk}",
        )
    if counts["new"] or counts["updated"]:
        _queue_journeys(job)
    importer.audit_import(job=job, counts=counts)
    return job


def _queue_journeys(job: ImportJob) -> None:
    """Imported encounters reach the journey engine after the import commits."""
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task("px360.journeys.tasks.journeys_for_import", str(job.pk), task_name=f"journeys-{job.pk}")
    )


JOURNEY_BATCH = 500


def journeys_for_import(*, job: ImportJob) -> dict:
    """Start journeys (and complete discharge stages) for what an import wrote, in batches."""
    from .engine import schedule_missing_surveys, sync_encounters

    totals = {"journeys_started": 0, "stages_completed": 0, "surveys_recovered": 0}
    ids = list(Encounter.objects.filter(import_job=job).order_by("pk").values_list("pk", flat=True))
    # The journeys' and stages' history names whoever ran the import.
    with acting_user(job.user):
        for start in range(0, len(ids), JOURNEY_BATCH):
            batch = ids[start : start + JOURNEY_BATCH]
            counts = sync_encounters(encounter_ids=batch, reference=f"import {job.pk}")
            for key in counts:
                totals[key] += counts[key]
            # A retried task: stages an earlier attempt completed but did not survey.
            totals["surveys_recovered"] += schedule_missing_surveys(encounter_ids=batch)
    return totals


def _file_unchanged(job: ImportJob) -> bool:
    digest = hashlib.sha256()
    with job.file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest() == job.file_sha256


def import_job_start(*, job: ImportJob) -> ImportJob:
    """Check a new job now, or queue the check when the file is large."""
    if job.background:
        from django_q.tasks import async_task

        transaction.on_commit(
            lambda: async_task("px360.journeys.tasks.import_check", str(job.pk), task_name=f"import-check-{job.pk}")
        )
        return job
    return import_job_check(job=job)


def encounter_import(*, file, user, mode: str = ImportMode.ALL_OR_NOTHING, dry_run: bool = False, name: str = ""):
    """Check and (unless ``dry_run``) save an encounter file in one go: the command line and the benchmark.

    Returns the job; ``job.status`` is ``done`` only when the file was imported.
    """
    job = import_job_create(file=file, user=user, mode=mode, dry_run=dry_run, name=name)
    # The plan goes straight to the write step: nothing confirms this job later (a dry
    # run cannot be confirmed, and a job an error leaves unconfirmed is checked again).
    job, plan = _check(job=job, store_plan=False)
    if dry_run or job.status != JobStatus.VALIDATED or not job.can_confirm:
        return job
    return import_job_run(job=job, plan=plan)
