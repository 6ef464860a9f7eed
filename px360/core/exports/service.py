"""List exports: the rows a user sees in an admin list, written to XLSX or CSV.

An export is the changelist's own queryset — the access policy's scope
(``PXModelAdmin.get_queryset`` → :func:`px360.core.access.restrict`), the
list's filters, its search and its order — read with ``values_list`` in chunks
(``.iterator(chunk_size=...)``) and handed row by row to a constant-memory
writer (:mod:`px360.core.exports.writers`). Nothing holds all the rows: not a
list, not a dataset, not a workbook.

Small lists are written inside the request and downloaded at once; larger
ones become an :class:`~px360.core.models.ExportJob` that the job cluster
writes, with a progress bar, and whose file can be downloaded until it
expires (``PX360_EXPORT_KEEP_HOURS``). Each written export is audited with
its row count and its filters, identifiers hashed
(:func:`px360.core.services.audit_filters`).

**Why the job builds the list with an** :class:`ExportRequest`. Django's
admin API takes the request as the argument of every hook that shapes a list
— ``get_queryset(request)``, each list filter's ``__init__`` and
``queryset(request, ...)``, ``get_search_results(request, ...)``,
``lookup_allowed(..., request)`` and ``ChangeList(request, ...)`` itself —
and reads the user and the query parameters from it. Re-implementing those
hooks for the job would give exports filters and searches of their own that
drift from the list's. So the job hands the admin the one thing those hooks
read: an :class:`ExportRequest` with ``user``, ``GET`` (the stored
parameters), an empty ``META`` and no ``resolver_match``. It is not an
``HttpRequest`` and is not built from a fake WSGI environment; it has no
session, cookies, path or body, so admin code that needs anything more fails
loudly instead of reading invented values. The changelist's guard
(:mod:`px360.core.admin.lookups`) checks the stored parameters again in the
job, as it checked them in the request.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core.files import File
from django.db import DatabaseError, connections, transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from px360.core.admin.filters import simple_filter_choices
from px360.core.models import AuditAction, ExportFormat, ExportJob, ExportStatus
from px360.core.services import audit_filters, audit_record

from .columns import ColumnSet, columns_for
from .writers import WRITERS

logger = logging.getLogger(__name__)

# Parameters that page through the list: an export is the whole list.
_PAGING = frozenset({PAGE_VAR, ERROR_FLAG, "all"})


def immediate_rows() -> int:
    """Lists up to this many rows are written inside the request and downloaded at once."""
    return int(getattr(settings, "PX360_EXPORT_IMMEDIATE_ROWS", 2000))


def keep_hours() -> int:
    """How long a background export's file can be downloaded."""
    return int(getattr(settings, "PX360_EXPORT_KEEP_HOURS", 24))


def chunk_rows() -> int:
    return int(getattr(settings, "PX360_EXPORT_CHUNK_ROWS", 2000))


# --- the list, as the user sees it ------------------------------------------------------


class ExportRequest:
    """What the admin's list hooks read from a request, for a job: the user and the query parameters.

    See the module docstring for why this exists. Nothing else is here on
    purpose: an admin hook that reads a session, cookies or a path fails with
    ``AttributeError`` rather than seeing invented values.
    """

    method = "GET"
    resolver_match = None

    def __init__(self, *, user, params: dict[str, list[str]], language: str):
        self.user = user
        query = QueryDict(mutable=True)
        for key, values in params.items():
            query.setlist(key, list(values))
        query._mutable = False
        self.GET = query
        self.META: dict = {}
        self.LANGUAGE_CODE = language


def list_parameters(query) -> dict[str, list[str]]:
    """The query parameters that select and order a list's rows (paging left out)."""
    return {key: list(values) for key, values in query.lists() if key not in _PAGING}


def _without_results(changelist_class):
    # The export reads the whole queryset itself: no count, no page.
    return type(f"Export{changelist_class.__name__}", (changelist_class,), {"get_results": _no_results})


def _no_results(self, request):
    self.result_count = None
    self.result_list = []


def changelist_queryset(model_admin, request):
    """The list's queryset for ``request``: scope, filters, search and order, exactly as the changelist builds them.

    Raises what the changelist raises for parameters it refuses
    (``DisallowedModelAdminLookup``, ``IncorrectLookupParameters``).
    """
    list_display = model_admin.get_list_display(request)
    changelist_class = _without_results(model_admin.get_changelist(request))
    changelist = changelist_class(
        request,
        model_admin.model,
        list_display,
        model_admin.get_list_display_links(request, list_display),
        model_admin.get_list_filter(request),
        model_admin.date_hierarchy,
        model_admin.get_search_fields(request),
        model_admin.get_list_select_related(request),
        model_admin.list_per_page,
        model_admin.list_max_show_all,
        model_admin.list_editable,
        model_admin,
        model_admin.get_sortable_by(request),
        model_admin.search_help_text,
    )
    # Prefetches are for objects; the export reads values.
    return changelist.queryset.prefetch_related(None)


def can_export(model_admin, request) -> bool:
    """Whether the user may export this list: they see it, and hold the model's export permission if it has one."""
    if not model_admin.has_view_permission(request):
        return False
    opts = model_admin.model._meta
    codename = f"export_{opts.model_name}"
    if any(codename == name for name, _label in opts.permissions):
        return request.user.has_perm(f"{opts.app_label}.{codename}")
    return True


def count_up_to(queryset, limit: int) -> int:
    """The number of rows, counted only up to ``limit + 1`` (a million-row COUNT is itself slow)."""
    return len(queryset.order_by().values_list("pk", flat=True)[: limit + 1])


# --- writing ---------------------------------------------------------------------


def stream_rows(queryset, column_set: ColumnSet, *, chunk_size: int):
    """The rows' values, read from the database ``chunk_size`` at a time."""
    return queryset.values_list(*column_set.paths).iterator(chunk_size=chunk_size)


@contextlib.contextmanager
def reading_every_row(queryset):
    """While streaming a whole list: let PostgreSQL plan its cursor for reading every row.

    PostgreSQL plans a cursor for a quick first tenth of its rows
    (``cursor_tuple_fraction`` 0.1): for 500,000 encounters, a nested loop
    over the admission index with one patient lookup a row, read in 4.5 s;
    the plan for all rows (hash joins and a sort) is read in 2.4 s. An
    export reads them all. Only outside a transaction (as the job cluster
    runs exports): the setting is the connection's until it is reset here,
    and a connection that cannot reset it is closed.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1.0")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET cursor_tuple_fraction")
        except DatabaseError:
            connection.close()


def write_rows(*, column_set: ColumnSet, rows, writer, chunk_size: int, on_progress=None) -> int:
    """Feed ``rows`` (any iterable of value tuples) to ``writer``, one chunk of ``chunk_size`` at a time.

    Only the current chunk is held: the columns' chunk hooks (labels of related
    rows, answers) read what it needs, then its rows are written and dropped.
    """
    writer.header(
        column_set.headers,
        widths=[column.width for column in column_set.columns],
        number_formats=[column.number_format for column in column_set.columns],
    )
    written = 0
    cells = column_set.cells
    write = writer.write_row
    for chunk in itertools.batched(rows, chunk_size):
        column_set.prepare(chunk)
        for row in chunk:
            write(cells(row))
        written += len(chunk)
        if on_progress is not None:
            on_progress(written)
    return written


def export_filename(model, export_format: str) -> str:
    return f"{model._meta.model_name}-{timezone.localtime():%Y-%m-%d-%H%M}.{export_format}"


def write_export(*, model_admin, request, export_format: str, path, on_progress=None, queryset=None) -> int:
    """Write the list ``request`` describes to ``path``; returns the number of rows.

    Runs in the active language: headers, yes/no, choices and the sheet's
    direction follow it.
    """
    model = model_admin.model
    user = request.user
    if queryset is None:
        queryset = changelist_queryset(model_admin, request)
    column_set = columns_for(model_admin, request, user=user, queryset=queryset)
    language = translation.get_language() or settings.LANGUAGE_CODE
    writer = WRITERS[export_format](
        path,
        sheet_name=capfirst(str(model._meta.verbose_name_plural)),
        right_to_left=translation.get_language_bidi(),
        tmpdir=str(Path(path).parent),
    )
    try:
        with reading_every_row(queryset):
            count = write_rows(
                column_set=column_set,
                rows=stream_rows(queryset, column_set, chunk_size=chunk_rows()),
                writer=writer,
                chunk_size=chunk_rows(),
                on_progress=on_progress,
            )
        writer.details_sheet(
            _("About this export"),
            [
                (_("Records"), str(model._meta.verbose_name_plural)),
                (_("Rows"), count),
                (_("Exported at"), timezone.localtime().replace(tzinfo=None, microsecond=0)),
                (_("Exported by"), user.get_username()),
                (_("Language"), language),
                (_("Filters and search"), _describe(request.GET) or _("None")),
            ],
        )
    finally:
        writer.close()
    return count


def _describe(query) -> str:
    return "; ".join(f"{key}={', '.join(values)}" for key, values in list_parameters(query).items())


def audit_export(*, model_admin, request, actor, export_format: str, row_count: int, background: bool, job=None):
    """One EXPORT audit event: the row count and the filters as the audit log may keep them."""
    details = {
        "format": export_format,
        "filters": audit_filters(model_admin.model, request.GET, choices=simple_filter_choices(model_admin, request)),
        "background": background,
    }
    if job is not None:
        details["job"] = str(job.pk)
    audit_record(
        action=AuditAction.EXPORT,
        request=request if not isinstance(request, ExportRequest) else None,
        actor=actor,
        model=model_admin.model,
        row_count=row_count,
        details=details,
    )


# --- background jobs -----------------------------------------------------------------


def export_jobs_visible_to(user):
    """The export jobs ``user`` may see: their own (a superuser: everyone's)."""
    jobs = ExportJob.objects.select_related("user")
    if user.is_active and user.is_superuser:
        return jobs
    return jobs.filter(user_id=user.pk)


def export_job_create(*, user, model, params: dict, export_format: str, language: str) -> ExportJob:
    """Queue the export of a list; the job cluster writes it after this transaction commits.

    Only the job's id goes on the queue (django-q2's admin shows task arguments).
    """
    if export_format not in ExportFormat.values:
        raise ValueError(export_format)
    job = ExportJob.objects.create(
        user=user,
        model_label=model._meta.label_lower,
        export_format=export_format,
        language=language,
        params=params,
    )
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task("px360.core.exports.tasks.export_run", str(job.pk), task_name=f"export-{job.pk}")
    )
    return job


def export_job_run(*, job: ExportJob) -> ExportJob:
    """Write a queued export as its user, in their language; safe to run twice (the claim is a conditional UPDATE)."""
    from django.apps import apps

    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING, started_at=timezone.now()
    )
    job.refresh_from_db()
    if not claimed:
        return job
    user = job.user
    if not user.is_active:
        return _fail(job, _("The account that asked for this export is no longer active."))
    try:
        model = apps.get_model(job.model_label)
        model_admin = admin.site._registry[model]
    except (LookupError, KeyError):
        return _fail(job, _("These records can no longer be exported."))
    filename = export_filename(model, job.export_format)
    try:
        with translation.override(job.language), tempfile.TemporaryDirectory(prefix="px360-export-") as folder:
            request = ExportRequest(user=user, params=job.params, language=job.language)
            queryset = changelist_queryset(model_admin, request)
            job.total_rows = queryset.order_by().count()
            job.save(update_fields=["total_rows", "updated_at"])
            path = Path(folder) / filename
            count = write_export(
                model_admin=model_admin,
                request=request,
                export_format=job.export_format,
                path=path,
                queryset=queryset,
                on_progress=_progress_recorder(job),
            )
            with path.open("rb") as handle:
                job.file.save(filename, File(handle), save=False)
            job.file_size = os.path.getsize(path)
            audit_export(
                model_admin=model_admin,
                request=request,
                actor=user,
                export_format=job.export_format,
                row_count=count,
                background=True,
                job=job,
            )
    except Exception as error:  # the job must end in a state the page can show
        # The class name only: a database error's message can quote row values.
        logger.error("Export job %s failed: %s", job.pk, error.__class__.__name__)
        return _fail(job, _("The export failed (%(error)s).") % {"error": error.__class__.__name__})
    now = timezone.now()
    job.status = ExportStatus.DONE
    job.processed_rows = count
    job.total_rows = max(job.total_rows, count)
    job.progress = 100
    job.finished_at = now
    job.expires_at = now + timedelta(hours=keep_hours())
    job.save()
    return job


def _progress_recorder(job: ExportJob):
    """Record progress at most once a second (one UPDATE; the page polls it)."""
    last = {"at": 0.0}

    def record(written: int) -> None:
        now = time.monotonic()
        if now - last["at"] < 1.0:
            return
        last["at"] = now
        total = max(job.total_rows, written, 1)
        ExportJob.objects.filter(pk=job.pk).update(
            processed_rows=written, progress=min(99, written * 100 // total), updated_at=timezone.now()
        )

    return record


def _fail(job: ExportJob, reason: str) -> ExportJob:
    if job.file:
        job.file.delete(save=False)
    job.status = ExportStatus.FAILED
    job.failure_reason = reason
    job.finished_at = timezone.now()
    job.save()
    return job


def export_jobs_cleanup(*, now=None) -> dict:
    """Delete the files of expired exports and forget their parameters; fail jobs that never finished.

    Run by the scheduled job ``core.export_cleanup``; safe to run at any time.
    """
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=now).iterator():
        if job.file:
            job.file.delete(save=False)
        job.status = ExportStatus.EXPIRED
        job.params = {}
        job.save(update_fields=["status", "params", "file", "updated_at"])
        expired += 1
    # A job still waiting or writing long after the queue's timeout will never finish.
    stale_before = now - timedelta(seconds=_stale_after_seconds())
    stale = 0
    for job in ExportJob.objects.filter(
        status__in=(ExportStatus.PENDING, ExportStatus.RUNNING), created_at__lt=stale_before
    ).iterator():
        _fail(job, _("The export did not finish in time. Start it again."))
        job.params = {}
        job.save(update_fields=["params", "updated_at"])
        stale += 1
    # Failed jobs keep their parameters (which may hold a search term) only as long as a file would be kept.
    ExportJob.objects.filter(status=ExportStatus.FAILED, finished_at__lte=now - timedelta(hours=keep_hours())).exclude(
        params={}
    ).update(params={}, updated_at=now)
    return {"expired": expired, "stale": stale}


def _stale_after_seconds() -> int:
    cluster = getattr(settings, "Q_CLUSTER", {}) or {}
    timeout = int(cluster.get("timeout") or 600)
    attempts = int(cluster.get("max_attempts") or 1)
    return timeout * attempts + 3600
