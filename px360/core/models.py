"""Base models shared by every app, the audit log and job heartbeats."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .access import ModelAccess


class BaseModel(models.Model):
    """A row with a UUID key and creation/update times.

    UUIDs keep record ids unguessable in URLs and safe to merge across
    hospitals' databases.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class SoftDeleteQuerySet(models.QuerySet):
    def delete(self):
        """Soft-delete every row one by one, so each gets a history entry."""
        count = 0
        for obj in self:
            obj.delete()
            count += 1
        return count, {self.model._meta.label: count}

    def hard_delete(self):
        return super().delete()

    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


class AliveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    """The default manager: deleted rows do not exist for day-to-day work."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class AllObjectsManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    pass


class SoftDeleteModel(BaseModel):
    """A business record that is never removed, only marked deleted.

    The default manager hides deleted rows; ``all_objects`` sees them, and a
    PX Admin can list and restore them in the admin. Foreign keys still
    resolve to a deleted row (``base_manager_name``), so history stays whole.
    """

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    objects = AliveManager()
    all_objects = AllObjectsManager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def delete(self, using=None, keep_parents=False):
        if self.deleted_at is None:
            self.deleted_at = timezone.now()
            self.save(update_fields=["deleted_at", "updated_at"])
        return 1, {self._meta.label: 1}

    def restore(self):
        if self.deleted_at is not None:
            self.deleted_at = None
            self.save(update_fields=["deleted_at", "updated_at"])

    def hard_delete(self):
        return super().delete()


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGOUT = "logout", _("Signed out")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    VIEW = "view", _("Viewed a record")
    SEARCH = "search", _("Searched")
    EXPORT = "export", _("Exported")
    IMPORT = "import", _("Imported")
    ROLE_ASSIGNED = "role_assigned", _("Role assigned")
    ROLE_REMOVED = "role_removed", _("Role removed")
    PERMISSION_GRANTED = "permission_granted", _("Permission granted")
    PERMISSION_REVOKED = "permission_revoked", _("Permission revoked")
    RESTORE = "restore", _("Restored a deleted record")
    API_KEY_CREATED = "api_key_created", _("API key created")
    API_KEY_REVOKED = "api_key_revoked", _("API key revoked")
    SURVEY_OPENED = "survey_opened", _("Survey link opened")
    FILTER = "filter", _("Filtered a list")
    IMPORT_PREVIEW = "import_preview", _("Previewed an import")
    PASSWORD_RESET = "password_reset", _("Password reset")
    USER_ACTIVATED = "user_activated", _("Account activated")
    USER_DEACTIVATED = "user_deactivated", _("Account deactivated")
    LOCKOUT_CLEARED = "lockout_cleared", _("Sign-in lockout lifted")
    SURVEY_RESCORED = "survey_rescored", _("Survey responses rescored")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only")

    def delete(self):
        raise PermissionError("Audit events are append-only")

    def _prune(self):
        """Delete old events; only ``prune_audit`` calls this."""
        return models.QuerySet.delete(self)


class AuditEvent(models.Model):
    """One thing a person did that history rows cannot show.

    Sign-ins, views of patient records, searches, exports, imports and
    permission changes. Append-only: rows are never changed or deleted except
    by ``prune_audit`` after the retention period.
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices, db_index=True)
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), null=True, blank=True, on_delete=models.SET_NULL
    )
    object_id = models.CharField(_("record id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    px_access = ModelAccess(hospital="hospital")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="core_audit_object_idx")]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.get_action_display()} · {self.actor_username or '-'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only")


class JobHeartbeat(models.Model):
    """The last time a scheduled job ran; ``/health/`` reads the queue's."""

    name = models.CharField(_("job"), max_length=100, unique=True)
    last_run_at = models.DateTimeField(_("last run"))

    class Meta:
        verbose_name = _("job heartbeat")
        verbose_name_plural = _("job heartbeats")

    def __str__(self):
        return self.name


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel workbook (XLSX)")
    CSV = "csv", _("CSV (comma-separated, UTF-8)")


class ExportStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("export", "Waiting")
    RUNNING = "running", pgettext_lazy("export", "Writing")
    DONE = "done", pgettext_lazy("export", "Ready")
    FAILED = "failed", pgettext_lazy("export", "Failed")
    EXPIRED = "expired", pgettext_lazy("export", "Expired")


def _export_upload_to(job, filename):
    return f"exports/{job.pk}/{filename}"


class ExportJob(BaseModel):
    """One list written to a file in the background, for the person who asked.

    Holds what is needed to rebuild the list as that person saw it (the
    admin's model and the changelist's query parameters), progress while it
    is written, and the file until ``expires_at``; the cleanup job then
    deletes the file and the parameters. Only the person who asked (and a
    superuser) sees the job or downloads its file; the file is served only by
    a view that checks this, never from MEDIA_URL.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    model_label = models.CharField(_("records"), max_length=100)
    export_format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    language = models.CharField(_("language"), max_length=8, default="ar")
    params = models.JSONField(_("list parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING, db_index=True
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows written"), default=0)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to=_export_upload_to, max_length=300, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    failure_reason = models.TextField(_("why it failed"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("download until"), null=True, blank=True, db_index=True)

    px_access = ModelAccess(owner="user_id")
    px_personal_data = True

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        default_permissions = ()

    def __str__(self):
        if not self.created_at:
            return str(self.pk)
        return f"{self.get_export_format_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.status in (ExportStatus.PENDING, ExportStatus.RUNNING)

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status == ExportStatus.DONE
            and bool(self.file)
            and (self.expires_at is None or self.expires_at > timezone.now())
        )


class ReferenceSequence(models.Model):
    """The last number handed out for one prefix in one year (``CMP-2026-000123``).

    One row per (prefix, year), advanced with an atomic ``UPDATE``: numbers are
    unique across the group and never reused, even when the record that took
    one is later deleted. :func:`px360.core.references.next_reference` is the
    only writer.
    """

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="core_reference_sequence_unique")]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last_value}"
