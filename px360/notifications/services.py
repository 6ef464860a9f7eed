"""Writes of the notifications app: queue, send (at most once), receive replies.

Sending is a two-step protocol. :func:`notifications_send_due` first *claims*
due rows — ``queued → sending`` in one statement that only one worker can win
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional ``UPDATE``
on SQLite) — then sends each claimed row and records the outcome. A job that
runs twice finds nothing left to claim; a job that crashes mid-batch leaves
rows in ``sending``, which are never retried automatically (the provider may
already have them) but marked failed by :func:`notifications_reap_stale`.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from .backends import backend_for
from .choices import NotificationStatus
from .messages import render_message
from .models import Notification

logger = logging.getLogger("px360.notifications")

CLAIM_CHUNK = 20
STALE_AFTER = timedelta(minutes=15)
SEND_TIME_BUDGET_SECONDS = 240  # well inside the job timeout (Q_CLUSTER["timeout"])

# "إيقاف" and its common spellings without hamza, and English keywords.
STOP_WORDS = {"إيقاف", "ايقاف", "أيقاف", "وقف", "الغاء", "إلغاء", "stop", "unsubscribe", "stopall", "end"}


def notification_queue(
    *,
    hospital,
    channel: str,
    recipient: str,
    language: str,
    template_key: str,
    purpose: str,
    idempotency_key: str,
    context: dict,
    patient=None,
    survey_instance=None,
    not_before=None,
    fallback_from=None,
) -> tuple[Notification, bool]:
    """Queue one message (idempotent by key); returns ``(notification, created)``."""
    existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    rendered = render_message(template_key, language, channel=channel, context=context)
    notification = Notification(
        hospital=hospital,
        patient=patient,
        survey_instance=survey_instance,
        purpose=purpose,
        channel=channel,
        recipient=recipient,
        language=language,
        template_key=template_key,
        subject=rendered.subject[:200],
        body=rendered.body,
        html_body=rendered.html,
        next_attempt_at=not_before or timezone.now(),
        idempotency_key=idempotency_key,
        fallback_from=fallback_from,
    )
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:  # queued concurrently by another worker
        return Notification.objects.get(idempotency_key=idempotency_key), False
    return notification, True


def notifications_cancel(queryset, *, reason: str) -> int:
    """Cancel queued notifications (never ones being sent or already sent)."""
    return queryset.filter(status=NotificationStatus.QUEUED).update(
        status=NotificationStatus.CANCELLED, error=reason[:500], updated_at=timezone.now()
    )


def _claim(now, size: int) -> list:
    due = Notification.objects.filter(status=NotificationStatus.QUEUED, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "created_at"
    )
    values = {"status": NotificationStatus.SENDING, "claimed_at": now, "attempts": F("attempts") + 1, "updated_at": now}
    if connection.vendor == "postgresql":
        # Rows another worker has locked are skipped, not waited for; the
        # UPDATE in the same transaction makes the claim visible to all.
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:size])
            if ids:
                Notification.objects.filter(pk__in=ids, status=NotificationStatus.QUEUED).update(**values)
        return ids
    # SQLite has no row locks: each row is claimed by a conditional UPDATE,
    # which only one writer can win (writes are serialised).
    claimed = []
    for pk in due.values_list("pk", flat=True)[:size]:
        if Notification.objects.filter(pk=pk, status=NotificationStatus.QUEUED).update(**values):
            claimed.append(pk)
    return claimed


def _retry_delay(attempts: int) -> timedelta:
    base = settings.PX360_NOTIFY_RETRY_BASE_SECONDS
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def _still_wanted(notification: Notification) -> str:
    """Why this message should not go out any more ('' when it should)."""
    if notification.patient_id and notification.patient.is_opted_out(notification.channel):
        return "opted_out"
    if notification.survey_instance_id:
        from px360.surveys.services import survey_notification_still_wanted

        return survey_notification_still_wanted(notification)
    return ""


def _deliver(notification: Notification, now) -> str:
    """Send one claimed notification and record what happened; returns the new status."""
    reason = _still_wanted(notification)
    if reason:
        Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
            status=NotificationStatus.CANCELLED, error=reason, updated_at=now
        )
        if reason == "opted_out":
            _fallback(notification, now)
        return NotificationStatus.CANCELLED
    try:
        result = backend_for(notification.channel).send(notification)
    except Exception as error:  # a backend bug must not lose the row
        logger.exception("notification %s: backend error", notification.pk)
        from .backends import SendResult

        result = SendResult(ok=False, error=f"{type(error).__name__}: {error}"[:500])
    if result.ok:
        status = NotificationStatus.DELIVERED if result.delivered else NotificationStatus.SENT
        Notification.objects.filter(pk=notification.pk).update(
            status=status,
            sent_at=now,
            delivered_at=now if result.delivered else None,
            provider_id=result.provider_id,
            error="",
            updated_at=now,
        )
        return status
    if not result.permanent and notification.attempts < settings.PX360_NOTIFY_MAX_ATTEMPTS:
        retry_at = now + _retry_delay(notification.attempts)
        if notification.survey_instance_id:
            from px360.surveys.services import next_allowed_send_time

            retry_at = next_allowed_send_time(retry_at, hospital=notification.hospital)
        Notification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.QUEUED, next_attempt_at=retry_at, error=result.error, updated_at=now
        )
        return NotificationStatus.QUEUED
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.FAILED, error=result.error, updated_at=now
    )
    _fallback(notification, now)
    return NotificationStatus.FAILED


def _fallback(notification: Notification, now) -> None:
    if notification.survey_instance_id:
        from px360.surveys.services import survey_notification_fallback

        survey_notification_fallback(notification=notification)


def notifications_reap_stale(*, now=None) -> int:
    """Rows stuck in ``sending`` (a crashed worker) become failed, never re-sent."""
    now = now or timezone.now()
    return Notification.objects.filter(status=NotificationStatus.SENDING, claimed_at__lt=now - STALE_AFTER).update(
        status=NotificationStatus.FAILED,
        error="The sending job stopped before recording the outcome; not retried, to avoid a duplicate.",
        updated_at=now,
    )


def notifications_send_due(*, limit: int | None = None) -> dict:
    """Claim and send due notifications; safe to run concurrently and repeatedly."""
    limit = limit or settings.PX360_NOTIFY_BATCH_SIZE
    started = time.monotonic()
    counts: dict[str, int] = {"reaped": notifications_reap_stale()}
    handled = 0
    while handled < limit and time.monotonic() - started < SEND_TIME_BUDGET_SECONDS:
        now = timezone.now()
        ids = _claim(now, min(CLAIM_CHUNK, limit - handled))
        if not ids:
            break
        for notification in Notification.objects.filter(pk__in=ids).select_related("patient", "hospital"):
            status = _deliver(notification, timezone.now())
            counts[status] = counts.get(status, 0) + 1
        handled += len(ids)
    return counts


def notification_delivery_report(*, provider_id: str, status: str, error: str = "") -> int:
    """A provider's delivery report: ``delivered`` or ``failed`` for a sent message."""
    if not provider_id:
        return 0
    now = timezone.now()
    sent = Notification.objects.filter(provider_id=provider_id, status=NotificationStatus.SENT)
    if status == "delivered":
        return sent.update(status=NotificationStatus.DELIVERED, delivered_at=now, updated_at=now)
    if status == "failed":
        failed = list(sent)
        for notification in failed:
            Notification.objects.filter(pk=notification.pk).update(
                status=NotificationStatus.FAILED, error=(error or "failed per delivery report")[:500], updated_at=now
            )
            _fallback(notification, now)
        return len(failed)
    return 0


def is_stop_word(text: str) -> bool:
    return (text or "").strip().strip(".!؟?").casefold() in STOP_WORDS


def notifications_inbound_reply(*, channel: str, sender: str, text: str) -> int:
    """A reply through the gateway; a stop word opts that number out of that channel.

    Returns the number of patients opted out. The sender's number is matched
    against patients' phones and recorded guardian phones.
    """
    from px360.core.validators import normalize_phone
    from px360.organizations.models import Patient

    if channel not in ("sms", "whatsapp") or not is_stop_word(text):
        return 0
    try:
        phone = normalize_phone(sender)
    except Exception:
        return 0
    field = f"opted_out_{channel}"
    patients = Patient.objects.filter(**{field: False}).filter(phone=phone) | Patient.objects.filter(
        **{field: False}, survey_guardian__phone=phone
    )
    count = 0
    for patient in patients.distinct():
        setattr(patient, field, True)
        patient.save(update_fields=[field, "updated_at"])  # history records who/when
        count += 1
    notifications_cancel(Notification.objects.filter(channel=channel, recipient=phone), reason="opted_out")
    return count
