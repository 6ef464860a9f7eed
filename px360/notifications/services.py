"""Writes of the notifications app: queue, send (at most once), receive replies, notify staff.

Sending is a two-step protocol. :func:`notifications_send_due` first *claims*
due rows — ``queued → sending`` in one statement that only one worker can win
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional ``UPDATE``
on SQLite) — then sends each claimed row and records the outcome. A job that
runs twice finds nothing left to claim; a job that crashes mid-batch leaves
rows in ``sending``, which are never retried automatically (the provider may
already have them) but marked failed by :func:`notifications_reap_stale`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from . import kinds
from .backends import backend_for
from .choices import Channel, NotificationStatus
from .kinds import EmailDelivery, StaffPurpose
from .messages import render_message, render_staff_digest, render_staff_notice
from .models import DEFAULT_DIGEST_HOUR, Notification, StaffNotice, StaffNoticeSettings
from .purposes import purpose_for

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
    rendered = render_message(template_key, language, channel=channel, context=context, hospital=hospital)
    return _insert(
        Notification(
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
    )


def _insert(notification: Notification) -> tuple[Notification, bool]:
    """Save a new outbox row unless its key is taken; returns ``(row, created)``."""
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:  # queued concurrently by another worker
        return Notification.objects.get(idempotency_key=notification.idempotency_key), False
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
    if notification.user_id and not notification.user.is_active:
        return "inactive_user"
    return purpose_for(notification.purpose).still_wanted(notification)


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
        retry_at = purpose_for(notification.purpose).next_send_time(
            now + _retry_delay(notification.attempts), notification
        )
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
    purpose_for(notification.purpose).after_failure(notification)


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
        for notification in Notification.objects.filter(pk__in=ids).select_related("patient", "hospital", "user"):
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


# --- notices to members of staff ------------------------------------------------
#
# A notice lands in the user's inbox and, as the user chose for its kind, goes
# out by e-mail at once or in the daily digest. Notices are created after the
# caller's transaction commits (nobody is told about a change that rolled
# back), and their e-mails are outbox rows like any other: sent by the
# ``send_due`` job, at most once, with retries.

DIGEST_MAX_ENTRIES = 50


def _user_ids(users) -> list:
    if users is None:
        return []
    if isinstance(users, QuerySet):
        return list(users.values_list("pk", flat=True))
    if isinstance(users, get_user_model() | str | uuid.UUID):
        users = [users]
    return list(dict.fromkeys(getattr(user, "pk", user) for user in users))


def notify_staff(
    users,
    *,
    kind: str,
    params: dict | None = None,
    link: str = "",
    hospital=None,
    key: str = "",
) -> None:
    """Tell members of staff that something needs them, once the current transaction commits.

    ``users``: a user, a user id, or an iterable or queryset of them (inactive
    users are left out). ``kind``: a registered notice kind
    (:mod:`px360.notifications.kinds`); an unknown one raises ``LookupError``
    here, in the caller. ``params`` fill the kind's title and must name no
    patient (they are e-mailed). ``link``: a path on this site, e.g. the
    record's change page. ``key`` makes the call idempotent per user: a job
    that runs twice with the same key notifies once.
    """
    notice_kind = kinds.get(kind)
    params = dict(params or {})
    try:
        json.dumps(params)
    except (TypeError, ValueError):
        raise ValueError("A notice's params must be JSON values (strings, numbers)")
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("A notice's link is a path on this site")
    user_ids = _user_ids(users)
    if not user_ids:
        return
    transaction.on_commit(
        partial(
            staff_notices_create,
            user_ids=user_ids,
            kind=notice_kind.code,
            params=params,
            link=link[:500],
            hospital_id=getattr(hospital, "pk", hospital),
            key=key or uuid.uuid4().hex,
        ),
        robust=True,
    )


def _notice_key(key: str, user_id) -> str:
    value = f"{key}:{user_id}"
    if len(value) > 200:
        value = "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


def delivery_for(user, notice_kind) -> str:
    """How a notice of ``notice_kind`` reaches ``user`` by e-mail, per their choices."""
    if not user.email:
        return EmailDelivery.NONE
    choices = getattr(user, "notice_settings", None)
    chosen = choices.deliveries.get(notice_kind.code) if choices is not None else None
    return notice_kind.effective_email(chosen)


def staff_notices_create(*, user_ids, kind: str, params: dict, link: str, hospital_id, key: str) -> list[StaffNotice]:
    """Create the notices of one :func:`notify_staff` call and queue their immediate e-mails."""
    notice_kind = kinds.get(kind)
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True).select_related("notice_settings")
    created = []
    for user in users:
        notice = StaffNotice(
            user=user,
            hospital_id=hospital_id,
            kind=kind,
            params=params,
            link=link,
            delivery=delivery_for(user, notice_kind),
            idempotency_key=_notice_key(key, user.pk),
        )
        try:
            with transaction.atomic():
                notice.save()
                if notice.delivery == EmailDelivery.IMMEDIATE:
                    _queue_notice_email(notice)
        except IntegrityError:  # this user was already told under this key
            continue
        created.append(notice)
    return created


def _queue_notice_email(notice: StaffNotice) -> Notification:
    rendered, language = render_staff_notice(notice)
    notification, _created = _insert(
        Notification(
            hospital_id=notice.hospital_id or notice.user.hospital_id,
            user=notice.user,
            purpose=StaffPurpose.STAFF_NOTICE,
            channel=Channel.EMAIL,
            recipient=notice.user.email,
            language=language,
            template_key=notice.kind,
            subject=rendered.subject,
            body=rendered.body,
            html_body=rendered.html,
            idempotency_key=f"staff-notice:{notice.pk}",
        )
    )
    now = timezone.now()
    StaffNotice.objects.filter(pk=notice.pk).update(mailed_at=now, updated_at=now)
    notice.mailed_at = now
    return notification


def staff_notice_mark_read(*, user, notice_id) -> StaffNotice:
    """Mark one of ``user``'s notices read; another user's notice does not exist (``DoesNotExist``)."""
    notice = StaffNotice.objects.get(pk=notice_id, user=user)
    if notice.read_at is None:
        now = timezone.now()
        StaffNotice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=now, updated_at=now)
        notice.read_at = now
    return notice


def staff_notices_mark_all_read(*, user) -> int:
    """Mark every unread notice of ``user`` read; returns how many."""
    now = timezone.now()
    return StaffNotice.objects.filter(user=user, read_at__isnull=True).update(read_at=now, updated_at=now)


def staff_notice_settings_set(*, user, by, deliveries: dict, digest_hour: int) -> StaffNoticeSettings:
    """Store ``user``'s notification choices; only the user chooses their own.

    ``deliveries`` maps kind codes to :class:`EmailDelivery` values; a kind
    that is not registered, or a delivery its kind does not offer, is refused.
    The change is kept in the settings' history with who made it.
    """
    if by is None or by.pk != user.pk:
        raise PermissionDenied
    cleaned = {}
    for code, delivery in deliveries.items():
        notice_kind = kinds.find(code)
        if notice_kind is None or delivery not in dict(notice_kind.email_choices()):
            raise ValidationError(_("This choice is not offered for this kind of notice."), code="invalid_delivery")
        cleaned[code] = str(delivery)
    if not 0 <= int(digest_hour) <= 23:
        raise ValidationError(_("Choose an hour of the day."), code="invalid_hour")
    with transaction.atomic():
        choices, _created = StaffNoticeSettings.objects.select_for_update().get_or_create(user=user)
        merged = {**choices.deliveries, **cleaned}
        if not _created and merged == choices.deliveries and choices.digest_hour == int(digest_hour):
            return choices
        choices.deliveries = merged
        choices.digest_hour = int(digest_hour)
        choices._history_user = by
        choices.save()
    return choices


def staff_digests_send(*, now=None) -> dict:
    """Queue the daily digest of every user whose digest hour (Riyadh time) has come.

    At most one digest per user per day: its outbox key names the user and
    the day, so a second run of the job, or two at once, finds the day's
    digest queued and sends nothing new. Notices that arrive after the day's
    digest wait for the next day's.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    counts = {"queued": 0, "waiting": 0}
    pending = StaffNotice.objects.filter(
        delivery=EmailDelivery.DIGEST, mailed_at__isnull=True, user__is_active=True, created_at__lte=now
    )
    user_ids = list(pending.values_list("user_id", flat=True).distinct())
    users = get_user_model().objects.filter(pk__in=user_ids).select_related("notice_settings")
    for user in users:
        choices = getattr(user, "notice_settings", None)
        hour = choices.digest_hour if choices is not None else DEFAULT_DIGEST_HOUR
        if local.hour < hour:
            counts["waiting"] += 1
            continue
        key = f"staff-digest:{user.pk}:{local.date():%Y-%m-%d}"
        if Notification.objects.filter(idempotency_key=key).exists():
            continue  # today's digest went out; the rest waits for tomorrow's
        notices = list(pending.filter(user=user).order_by("created_at"))
        if not notices:
            continue
        if not user.email:
            # No address any more: the inbox has them, nothing to send.
            StaffNotice.objects.filter(pk__in=[n.pk for n in notices]).update(mailed_at=now, updated_at=now)
            continue
        shown = notices[-DIGEST_MAX_ENTRIES:]
        rendered, language = render_staff_digest(user, shown, more=len(notices) - len(shown))
        with transaction.atomic():
            _notification, created = _insert(
                Notification(
                    hospital_id=user.hospital_id,
                    user=user,
                    purpose=StaffPurpose.STAFF_DIGEST,
                    channel=Channel.EMAIL,
                    recipient=user.email,
                    language=language,
                    template_key="staff_digest",
                    subject=rendered.subject,
                    body=rendered.body,
                    html_body=rendered.html,
                    idempotency_key=key,
                )
            )
            if created:
                StaffNotice.objects.filter(pk__in=[n.pk for n in notices], mailed_at__isnull=True).update(
                    mailed_at=now, updated_at=now
                )
                counts["queued"] += 1
    return counts


# --- many notices at once ----------------------------------------------------------
#
# A job that tells many people many things (the SLA sweep) creates every notice
# and every immediate e-mail of its batch with one read of the users and one
# insert per table, however long the batch: the unique notice key decides, in
# the database, which notices are new.


def _checked_notice(entry) -> dict | None:
    notice_kind = kinds.get(entry["kind"])
    params = dict(entry.get("params") or {})
    try:
        json.dumps(params)
    except (TypeError, ValueError):
        raise ValueError("A notice's params must be JSON values (strings, numbers)")
    link = entry.get("link") or ""
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("A notice's link is a path on this site")
    user_ids = _user_ids(entry["users"])
    if not user_ids:
        return None
    return {
        "user_ids": user_ids,
        "kind": notice_kind.code,
        "params": params,
        "link": link[:500],
        "hospital_id": getattr(entry.get("hospital"), "pk", entry.get("hospital")),
        "key": entry.get("key") or uuid.uuid4().hex,
    }


def notify_staff_many(batch) -> None:
    """:func:`notify_staff` for many notices at once, in a constant number of queries.

    ``batch``: an iterable of mappings holding :func:`notify_staff`'s
    arguments — ``users`` and ``kind``, and optionally ``params``, ``link``,
    ``hospital`` and ``key``. Each entry is checked here, in the caller, as
    :func:`notify_staff` checks it. The notices are created once the current
    transaction commits, each user's e-mail as they chose (at once, in the
    digest, or none); a key already used for a user notifies them no more,
    whether it was used by this function or by :func:`notify_staff`. Give
    users as ids or instances: a queryset is read here, once per entry.
    """
    entries = [checked for checked in map(_checked_notice, batch) if checked is not None]
    if entries:
        transaction.on_commit(partial(staff_notices_create_many, entries=entries), robust=True)


def staff_notices_create_many(*, entries: list[dict]) -> list[StaffNotice]:
    """Create the notices of one :func:`notify_staff_many` call and queue their immediate e-mails.

    Three statements whatever the number of entries and users: the active
    users with their choices, the notices (those whose key is taken are left
    out by the database), the e-mails of the new notices that go out at once.
    """
    user_model = get_user_model()
    to_pk = user_model._meta.pk.to_python
    wanted = {to_pk(user_id) for entry in entries for user_id in entry["user_ids"]}
    users = {
        user.pk: user
        for user in user_model.objects.filter(pk__in=wanted, is_active=True).select_related("notice_settings")
    }
    now = timezone.now()
    notices: dict[str, StaffNotice] = {}
    for entry in entries:
        notice_kind = kinds.get(entry["kind"])
        for user_id in entry["user_ids"]:
            user = users.get(to_pk(user_id))
            if user is None:
                continue  # inactive or gone
            key = _notice_key(entry["key"], user.pk)
            if key in notices:
                continue
            delivery = delivery_for(user, notice_kind)
            notices[key] = StaffNotice(
                user=user,
                hospital_id=entry["hospital_id"],
                kind=notice_kind.code,
                params=entry["params"],
                link=entry["link"],
                delivery=delivery,
                # The e-mail is queued in the same transaction as the notice.
                mailed_at=now if delivery == EmailDelivery.IMMEDIATE else None,
                idempotency_key=key,
                created_at=now,
                updated_at=now,
            )
    if not notices:
        return []
    with transaction.atomic():
        inserted = _insert_new_rows(StaffNotice, list(notices.values()), unique="idempotency_key")
        created = [notice for notice in notices.values() if notice.pk in inserted]
        emails = [_notice_email(notice, now) for notice in created if notice.delivery == EmailDelivery.IMMEDIATE]
        if emails:
            _insert_new_rows(Notification, emails, unique="idempotency_key")
    return created


def _notice_email(notice: StaffNotice, now) -> Notification:
    """The outbox row of a notice's immediate e-mail (as :func:`_queue_notice_email` queues it)."""
    rendered, language = render_staff_notice(notice)
    return Notification(
        hospital_id=notice.hospital_id or notice.user.hospital_id,
        user=notice.user,
        purpose=StaffPurpose.STAFF_NOTICE,
        channel=Channel.EMAIL,
        recipient=notice.user.email,
        language=language,
        template_key=notice.kind,
        subject=rendered.subject,
        body=rendered.body,
        html_body=rendered.html,
        next_attempt_at=now,
        idempotency_key=f"staff-notice:{notice.pk}",
        created_at=now,
        updated_at=now,
    )


def _insert_new_rows(model, objects: list, *, unique: str) -> set:
    """Insert ``objects`` in one statement, leaving out those whose ``unique`` value is taken.

    Returns the primary keys of the rows inserted. Every concrete field is
    written as the object holds it (defaults included), converted as Django
    converts it; all rows travel as one parameter per column (PostgreSQL:
    arrays through ``unnest``) or one JSON document (SQLite), so the statement
    count does not grow with the rows and no parameter limit is reached.
    """
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    rows = [[field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields] for obj in objects]
    target = f"{quote(model._meta.db_table)} ({columns})"
    conflict = quote(model._meta.get_field(unique).column)
    returning = quote(model._meta.pk.column)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
        sql = (
            f"INSERT INTO {target} SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}"
        )
        params = [[row[position] for row in rows] for position in range(len(fields))]
    else:
        values = ", ".join(f"json_extract(value, '$[{position}]')" for position in range(len(fields)))
        sql = (
            f"INSERT INTO {target} SELECT {values} FROM json_each(%s) WHERE true "
            f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}"
        )
        params = [json.dumps(rows)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        to_pk = model._meta.pk.to_python
        return {to_pk(row[0]) for row in cursor.fetchall()}
