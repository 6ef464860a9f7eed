"""Writes of the integrations app: keys, receiving and processing HIS events."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from px360.accounts.roles import RoleCode
from px360.common.ratelimit import over_limit
from px360.core.models import AuditAction
from px360.core.services import audit_record
from px360.journeys.engine import JourneyError, apply_his_event
from px360.journeys.events import HISEvent
from px360.notifications.selectors import staff_in_roles
from px360.notifications.services import notify_staff
from px360.organizations.models import Hospital

from .choices import EventFormat, EventStatus
from .hl7 import HL7Error, parse_adt, read_header
from .models import ApiKey, InboundEvent, IntegrationSource
from .schema import validate_event

logger = logging.getLogger(__name__)

KEY_PREFIX = "px360"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# --- keys -------------------------------------------------------------------


@transaction.atomic
def api_key_create(*, source: IntegrationSource, by=None, request=None) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the full key, which is never stored."""
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(source=source, prefix=prefix, key_hash=_hash(key), created_by=by)
    audit_record(action=AuditAction.API_KEY_CREATED, request=request, actor=by, obj=source, details={"prefix": prefix})
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, by=None, request=None) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            action=AuditAction.API_KEY_REVOKED,
            request=request,
            actor=by,
            obj=api_key.source,
            details={"prefix": api_key.prefix},
        )
    return api_key


@transaction.atomic
def api_key_rotate(*, source: IntegrationSource, by=None, request=None) -> tuple[ApiKey, str]:
    """A new key; the source's other keys are revoked."""
    for api_key in source.keys.filter(revoked_at__isnull=True):
        api_key_revoke(api_key=api_key, by=by, request=request)
    return api_key_create(source=source, by=by, request=request)


def api_key_authenticate(header: str) -> ApiKey | None:
    """The active key named by an ``Authorization: Api-Key <key>`` header."""
    scheme, _sep, key = (header or "").partition(" ")
    if scheme.lower() != "api-key" or not key:
        return None
    key = key.strip()
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != KEY_PREFIX:
        return None
    api_key = (
        ApiKey.objects.select_related("source")
        .filter(prefix=parts[1], revoked_at__isnull=True, source__is_active=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(key)):
        return None
    return api_key


def rate_limited(api_key: ApiKey) -> bool:
    """Over the key's source's calls per minute."""
    return over_limit("intake", str(api_key.pk), limit=api_key.source.rate_limit_per_minute)


# --- receiving ----------------------------------------------------------------


@dataclass
class Receipt:
    """What the intake endpoint answers."""

    status: int
    event: InboundEvent | None = None
    problems: list | None = None
    duplicate: bool = False
    hl7_header: dict | None = None


def _problem_list(messages: list[str]) -> list[dict]:
    return [{"field": "", "message": str(message)} for message in messages]


def _storable(text: str) -> str:
    """``text`` as every supported database can store it.

    PostgreSQL refuses NUL characters in text and JSON, and no database
    encodes an unpaired surrogate (a JSON body may spell one as ``\\ud800``).
    Both become replacement characters; nothing is cut off.
    """
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _storable_values(event: HISEvent) -> bool:
    """Whether every text of a parsed event can be stored as it is."""
    values = [*vars(event).values(), *vars(event.patient).values()]
    return all(_storable(value) == value for value in values if isinstance(value, str))


def event_receive(*, api_key: ApiKey, body: bytes, content_type: str) -> Receipt:
    """Store the message as sent, decide whether it is accepted, queue it.

    The raw message is written before anything is acknowledged, so nothing
    accepted is ever lost, and whatever arrives is stored: a message that
    cannot be read or applied is kept as rejected, with the reasons the
    sender is told. Values are checked against the columns they will be
    written to before anything is written, so no database refuses them later.
    A message already accepted from this source (same message id) is answered
    again without processing it twice.
    """
    source = api_key.source
    is_hl7 = content_type.split(";")[0].strip().lower() in ("application/hl7-v2", "x-application/hl7-v2+er7")
    fmt = EventFormat.HL7 if is_hl7 else EventFormat.JSON
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _reject(
            api_key, fmt, body.decode("utf-8", "replace"), "", _problem_list([_("The body is not UTF-8 text.")])
        )
    if "\x00" in text:
        return _reject(api_key, fmt, text, "", _problem_list([_("The body contains NUL characters.")]))

    header: dict = {}
    if is_hl7:
        try:
            header = read_header(text)
            his_event = parse_adt(text)
        except HL7Error as error:
            return _reject(
                api_key, fmt, text, error.control_id, _problem_list(error.problems), header=header or error.header
            )
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            problem = _("The body is not valid JSON: %(error)s") % {"error": error.msg}
            return _reject(api_key, fmt, text, "", _problem_list([problem]))
        except RecursionError:
            return _reject(api_key, fmt, text, "", _problem_list([_("The body is not valid JSON: nested too deeply.")]))
        except ValueError:  # e.g. an integer with more digits than Python converts
            return _reject(
                api_key, fmt, text, "", _problem_list([_("The body is not valid JSON: a number is too long.")])
            )
        his_event, problems = validate_event(data)
        if problems:
            message_id = data.get("message_id") if isinstance(data, dict) else ""
            return _reject(api_key, fmt, text, message_id if isinstance(message_id, str) else "", problems)
    if not _storable_values(his_event):
        problem = _("The message contains characters that cannot be stored (NUL or unpaired surrogates).")
        return _reject(api_key, fmt, text, his_event.message_id, _problem_list([problem]), header=header)

    hospital = Hospital.objects.filter(code=his_event.hospital_code).first()
    if hospital is None or not source.hospitals.filter(pk=hospital.pk).exists():
        problem = _("Hospital “%(code)s” is not one this key may send events for.") % {"code": his_event.hospital_code}
        return _reject(api_key, fmt, text, his_event.message_id, _problem_list([problem]), status=403, header=header)

    existing = _accepted(source, his_event.message_id)
    if existing is not None:
        return Receipt(status=200, event=existing, duplicate=True, hl7_header=header)
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                source=source,
                api_key=api_key,
                message_id=his_event.message_id,
                format=fmt,
                event_type=his_event.event_type,
                hospital=hospital,
                encounter_number=his_event.encounter_number,
                status=EventStatus.RECEIVED,
                raw=text,
                payload=his_event.as_json(),
            )
            transaction.on_commit(lambda: _enqueue(event.pk))
    except IntegrityError:
        # The same message arrived twice at once; the other request stored it.
        existing = _accepted(source, his_event.message_id)
        if existing is None:
            return _unstored(api_key, fmt, text, his_event.message_id, header)
        return Receipt(status=200, event=existing, duplicate=True, hl7_header=header)
    except DatabaseError:
        return _unstored(api_key, fmt, text, his_event.message_id, header)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    return Receipt(status=202, event=event, hl7_header=header)


def _unstored(api_key, fmt, text, message_id, header) -> Receipt:
    # The checks above should leave nothing a database refuses; if one still
    # does, the sender is told and the message is kept, not lost in a 500.
    logger.exception("Storing an inbound event from source %s failed", api_key.source_id)
    problem = _("The message could not be stored as read; it is kept as received for an analyst.")
    return _reject(api_key, fmt, text, message_id, _problem_list([problem]), header=header)


def _accepted(source, message_id):
    return (
        InboundEvent.objects.filter(source=source, message_id=message_id).exclude(status=EventStatus.REJECTED).first()
    )


def _reject(api_key, fmt, text, message_id, problems, *, status=400, header=None) -> Receipt:
    """Store a message that is not accepted, with the reasons, and answer them.

    Storing it cannot fail: the text is made storable (nothing is cut off),
    and a message id that is too long or unstorable is not kept (it would
    not fit the column). The same rejected message sent again with the same
    id is answered with the event stored the first time, so a sender retrying
    a bad message does not fill the list.
    """
    source = api_key.source
    raw = _storable(text)
    problems = [
        {"field": _storable(str(problem.get("field", ""))), "message": _storable(str(problem.get("message", "")))}
        for problem in problems
    ]
    message_id = message_id or ""
    if len(message_id) > InboundEvent._meta.get_field("message_id").max_length or _storable(message_id) != message_id:
        message_id = ""
    if message_id:
        earlier = InboundEvent.objects.filter(
            source=source, message_id=message_id, status=EventStatus.REJECTED, raw=raw
        ).first()
        if earlier is not None:
            return Receipt(status=status, event=earlier, problems=problems, hl7_header=header)
    # A message that cannot be read names no hospital. When its source sends
    # for one hospital only, that hospital's analysts must still see it;
    # otherwise only group-wide staff do (it could belong to any of them).
    hospitals = list(source.hospitals.all()[:2])
    event = InboundEvent.objects.create(
        hospital=hospitals[0] if len(hospitals) == 1 and status != 403 else None,
        source=source,
        api_key=api_key,
        message_id=message_id,
        format=fmt,
        status=EventStatus.REJECTED,
        raw=raw,
        problems=problems,
    )
    return Receipt(status=status, event=event, problems=problems, hl7_header=header)


def _enqueue(event_id) -> None:
    from django_q.tasks import async_task

    async_task("px360.integrations.tasks.process_inbound_event", str(event_id), task_name=f"inbound-{event_id}")


# --- processing ---------------------------------------------------------------


def event_process(*, event_id) -> InboundEvent:
    """Apply one stored event to encounters and journeys; safe to run twice."""
    failure = None
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().get(pk=event_id)
        if event.status in (EventStatus.PROCESSED, EventStatus.REJECTED):
            return event
        event.attempts += 1
        try:
            with transaction.atomic():
                encounter = apply_his_event(his_event=HISEvent.from_json(event.payload), inbound_event=event)
        except JourneyError as error:
            event.status = EventStatus.FAILED
            event.error = str(error)
        except Exception as error:
            logger.exception("Processing inbound event %s failed", event.pk)
            event.status = EventStatus.FAILED
            event.error = f"{type(error).__name__}: {error}"
            failure = error
        else:
            event.status = EventStatus.PROCESSED
            event.error = ""
            event.encounter = encounter
            event.processed_at = timezone.now()
        event.save(update_fields=["status", "error", "attempts", "encounter", "processed_at", "updated_at"])
    final = failure is None or event.attempts >= settings.Q_CLUSTER["max_attempts"]
    if event.status == EventStatus.FAILED and event.hospital_id and final:
        # The hospital's PX Coordinators see failed HIS messages and can reprocess them.
        notify_staff(
            staff_in_roles(roles=[RoleCode.PX_COORDINATOR], hospital=event.hospital),
            kind="integrations.his_message_failed",
            params={
                "event": event.event_type or event.get_format_display(),
                "message_id": event.message_id,
                "source": event.source.code,
            },
            link=reverse("admin:integrations_inboundevent_change", args=[event.pk]),
            hospital=event.hospital,
            key=f"his-failed-{event.pk}-{event.attempts}",
        )
    if failure is not None and event.attempts < settings.Q_CLUSTER["max_attempts"]:
        # An unexpected error may be passing (a lock, a restart): let the queue retry.
        raise failure
    return event


def event_retry(*, event: InboundEvent, by=None, request=None) -> InboundEvent:
    """Process a failed event again (after the analyst fixed the cause)."""
    if event.status == EventStatus.FAILED:
        event.status = EventStatus.RECEIVED
        event.save(update_fields=["status", "updated_at"])
        transaction.on_commit(lambda: _enqueue(event.pk))
    return event


def event_reprocess(*, event: InboundEvent, by=None, request=None) -> InboundEvent:
    """Apply an event again even if it was processed; applying is idempotent."""
    if event.status != EventStatus.REJECTED:
        event.status = EventStatus.RECEIVED
        event.save(update_fields=["status", "updated_at"])
        transaction.on_commit(lambda: _enqueue(event.pk))
    return event
