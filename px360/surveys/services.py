"""Writes of the surveys app: triggering, contact policies, delivery, answering.

The life of an invitation (a :class:`SurveyInstance`)::

    stage completed ──survey_schedule_for_stage──> scheduled ──surveys_dispatch_due──> invited
        │ (a contact rule says no)                     │                                  │
        └──> suppressed (with its reason)              └──> cancelled (encounter cancelled)
    invited ──link opened──> opened ──submitted──> completed
    invited/opened ──expiry──> expired

Every rule that decides whether a patient is contacted lives here and is
checked twice: when the invitation is scheduled and again when it is sent
(a patient may opt out or die in between).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from px360.core.choices import Channel
from px360.core.models import AuditAction
from px360.core.services import audit_record
from px360.notifications.choices import NotificationPurpose, NotificationStatus
from px360.notifications.models import Notification
from px360.notifications.services import notification_queue, notifications_cancel
from px360.organizations.models import Hospital

from . import hooks, scoring
from .choices import JOURNEY_PRIORITY, QuestionType, SuppressionReason, SurveyStatus
from .models import (
    SurveyAnswer,
    SurveyInstance,
    SurveyPolicy,
    SurveyResponse,
    SurveyTemplate,
    SurveyTemplateVersion,
)

LINK_SALT = "px360.surveys.link"
LINK_SEPARATOR = "."  # not in the URL-safe base64 alphabet of the token


# --- policies ------------------------------------------------------------------


def policy_for(hospital) -> SurveyPolicy:
    """The hospital's contact policy, or an unsaved one with the defaults."""
    hospital_id = getattr(hospital, "pk", hospital)
    policy = SurveyPolicy.objects.filter(hospital_id=hospital_id).first()
    return policy or SurveyPolicy(hospital_id=hospital_id)


def next_allowed_send_time(moment: datetime, *, hospital=None, policy: SurveyPolicy | None = None) -> datetime:
    """``moment``, or the end of the quiet hours (Asia/Riyadh) it falls in."""
    policy = policy or policy_for(hospital)
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    if start == end:
        return moment
    local = timezone.localtime(moment, timezone.get_default_timezone())
    at_end = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    now_t = local.time()
    if start < end:  # quiet window inside one day
        return at_end if start <= now_t < end else moment
    if now_t >= start:  # evening: the morning after
        return at_end + timedelta(days=1)
    if now_t < end:  # after midnight: this morning
        return at_end
    return moment


@dataclass(frozen=True)
class Contact:
    channel: str
    recipient: str


def _age_on(birth_date, day) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def contacts_for(patient, policy: SurveyPolicy, *, on=None) -> tuple[list[Contact], bool, str]:
    """Usable contacts in the policy's channel order: ``(contacts, to_guardian, reason)``.

    ``reason`` is a :class:`SuppressionReason` when there is nobody to contact.
    A minor (by birth date; unknown birth dates count as adult) is reached
    through a recorded guardian contact only.
    """
    on = on or timezone.localdate()
    phone, email, to_guardian = patient.phone, patient.email, False
    if patient.birth_date and _age_on(patient.birth_date, on) < policy.minimum_age:
        guardian = getattr(patient, "survey_guardian", None) if policy.survey_guardian else None
        if guardian is None or not (guardian.phone or guardian.email):
            return [], False, SuppressionReason.MINOR
        phone, email, to_guardian = guardian.phone, guardian.email, True
    order = [c for c in (policy.channel_order or []) if c in Channel.values] or list(Channel.values)
    reachable = []
    for channel in order:
        address = email if channel == Channel.EMAIL else phone
        if address:
            reachable.append(Contact(channel, address))
    if not reachable:
        return [], to_guardian, SuppressionReason.NO_CONTACT
    usable = [contact for contact in reachable if not patient.is_opted_out(contact.channel)]
    if not usable:
        return [], to_guardian, SuppressionReason.OPTED_OUT
    return usable, to_guardian, ""


def _static_reason(*, patient, encounter, template, policy, triggered_at=None, now=None) -> str:
    if patient.is_deceased:
        return SuppressionReason.DECEASED
    if encounter is not None and encounter.status == "cancelled":
        return SuppressionReason.CANCELLED_ENCOUNTER
    if not template.is_active or template.is_deleted:
        return SuppressionReason.INACTIVE_TEMPLATE
    department = getattr(encounter, "department", None) if encounter is not None else None
    if department is not None and department.code in (policy.excluded_department_codes or []):
        return SuppressionReason.EXCLUDED_DEPARTMENT
    # A visit that ended long ago (a back-loaded file, a late message) is not surveyed now.
    if (
        triggered_at is not None
        and now is not None
        and now - triggered_at > timedelta(days=policy.maximum_visit_age_days)
    ):
        return SuppressionReason.TOO_LATE
    return ""


# --- versions ------------------------------------------------------------------


def template_snapshot(template: SurveyTemplate) -> dict:
    questions = []
    for question in template.questions.order_by("order", "code"):
        questions.append(
            {
                "code": question.code,
                "order": question.order,
                "type": question.question_type,
                "text_ar": question.text_ar or "",
                "text_en": question.text_en or "",
                "choices": question.choices or [],
                "required": question.required,
                "follow_up_of": question.follow_up_of.code if question.follow_up_of_id else "",
                "dimension": question.dimension,
                "is_key": question.is_key,
            }
        )
    return {
        "code": template.code,
        "name_ar": template.name_ar or "",
        "name_en": template.name_en or "",
        "intro_ar": template.intro_ar or "",
        "intro_en": template.intro_en or "",
        "thank_you_ar": template.thank_you_ar or "",
        "thank_you_en": template.thank_you_en or "",
        "questions": questions,
    }


def template_current_version(*, template: SurveyTemplate) -> SurveyTemplateVersion:
    """The version matching the template's words now, created if they changed.

    Versions are copy-on-write: a version, once used, is never edited; an edit
    to the template makes the next invitation create a new one. Answers keep
    pointing at the version the patient saw.
    """
    snapshot = template_snapshot(template)
    fingerprint = hashlib.sha256(json.dumps(snapshot, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    latest = template.versions.order_by("-number").first()
    if latest is not None and latest.fingerprint == fingerprint:
        return latest
    number = (latest.number if latest else 0) + 1
    try:
        with transaction.atomic():
            return SurveyTemplateVersion.objects.create(
                template=template, number=number, snapshot=snapshot, fingerprint=fingerprint
            )
    except IntegrityError:  # another worker made it at the same moment
        return template.versions.order_by("-number").first()


# --- triggering ------------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits


def _frequency_conflicts(*, patient, policy, now, exclude_key: str):
    since = now - timedelta(days=policy.frequency_days)
    # The same person may have a record in each hospital: same national ID (the patient's
    # own record among them). One IN, so invitations are found through the (patient, status) index.
    people = (
        type(patient).all_objects.filter(national_id=patient.national_id).values("pk")
        if patient.national_id
        else [patient.pk]
    )
    return (
        SurveyInstance.objects.filter(patient_id__in=people, status__in=SurveyStatus.counted_for_frequency())
        .filter(triggered_at__gte=since)
        .exclude(trigger_key=exclude_key)
        .select_for_update(of=("self",))
    )


def survey_create(
    *,
    template: SurveyTemplate,
    patient,
    trigger_key: str,
    triggered_at: datetime,
    delay_hours: int = 0,
    encounter=None,
    journey_stage=None,
    journey_type: str = "",
    policy: SurveyPolicy | None = None,
    known_new: bool = False,
    language: str = "",
    frequency_cap: bool = True,
) -> SurveyInstance:
    """Schedule one invitation, or record why it is suppressed. Idempotent by ``trigger_key``.

    ``policy``: the patient's hospital policy, when the caller already has it.
    ``known_new``: the caller has just seen no invitation for this trigger (a
    concurrent one still loses on the unique key and is returned).
    ``language``: the language to invite in, when the patient chose one for
    this exchange (a complaint filed in English); else their preferred one.
    ``frequency_cap``: ``False`` for a survey the patient is owed rather than
    one sent unasked (how their own complaint was handled): the one-survey-per-
    period cap does not hold it back, though it still counts for later ones.
    Every other contact rule applies.
    """
    if not known_new:
        existing = SurveyInstance.objects.filter(trigger_key=trigger_key).first()
        if existing is not None:
            return existing
    policy = policy or policy_for(patient.hospital_id)
    now = timezone.now()
    instance = SurveyInstance(
        template=template,
        hospital_id=patient.hospital_id,
        patient=patient,
        encounter=encounter,
        journey_stage=journey_stage,
        journey_type=journey_type or (encounter.encounter_type if encounter is not None else ""),
        trigger_key=trigger_key,
        token=_new_token(),
        language=language or patient.preferred_language or settings.LANGUAGE_CODE,
        triggered_at=triggered_at,
    )
    with transaction.atomic():
        # One decision per patient at a time: concurrent triggers for the same
        # patient would otherwise both pass the frequency cap.
        type(patient).all_objects.select_for_update().filter(pk=patient.pk).first()
        reason = _static_reason(
            patient=patient, encounter=encounter, template=template, policy=policy, triggered_at=triggered_at, now=now
        )
        detail = ""
        if not reason:
            contacts, to_guardian, reason = contacts_for(patient, policy, on=timezone.localdate(triggered_at))
            instance.to_guardian = to_guardian
            if contacts:
                instance.channel = contacts[0].channel
        superseded = []
        if not reason and policy.frequency_days and frequency_cap:
            priority = JOURNEY_PRIORITY.get(instance.journey_type, 0)
            conflicts = list(_frequency_conflicts(patient=patient, policy=policy, now=now, exclude_key=trigger_key))
            # A pending invitation of a lower-priority journey gives way (an ED
            # visit followed by an admission gets only the inpatient survey);
            # anything already sent, or of equal or higher priority, wins.
            if conflicts and all(
                c.status == SurveyStatus.SCHEDULED and JOURNEY_PRIORITY.get(c.journey_type, 0) < priority
                for c in conflicts
            ):
                superseded = conflicts
            elif conflicts:
                reason = SuppressionReason.FREQUENCY_CAP
                detail = conflicts[0].reference
        if reason:
            instance.status = SurveyStatus.SUPPRESSED
            instance.suppression_reason = reason
            instance.suppression_detail = detail[:200]
        else:
            due = triggered_at + timedelta(hours=delay_hours or 0)
            instance.scheduled_at = next_allowed_send_time(max(due, now), policy=policy)
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError:  # the same trigger, concurrently
            return SurveyInstance.objects.get(trigger_key=trigger_key)
        for other in superseded:
            other.status = SurveyStatus.SUPPRESSED
            other.suppression_reason = SuppressionReason.SUPERSEDED
            other.suppression_detail = instance.reference[:200]
            other.scheduled_at = None
            other.save(
                update_fields=["status", "suppression_reason", "suppression_detail", "scheduled_at", "updated_at"]
            )
    return instance


def survey_schedule_for_stages(*, stages) -> int:
    """:func:`survey_schedule_for_stage` for many stages (their journeys, encounters and
    patients loaded), reading each template and hospital policy once and the stages'
    earlier invitations in one query. Each invitation is its own transaction. Returns
    how many stages got an invitation or a suppression."""
    templates: dict = {}
    policies: dict = {}
    stages = [stage for stage in stages if getattr(stage, "survey_template_id", None) is not None]
    surveyed = set(
        SurveyInstance.objects.filter(journey_stage__in=[stage.pk for stage in stages]).values_list(
            "journey_stage_id", flat=True
        )
    )
    done = 0
    for stage in stages:
        template_id = stage.survey_template_id
        if template_id not in templates:
            templates[template_id] = SurveyTemplate.all_objects.get(pk=template_id)
        hospital_id = stage.journey.encounter.patient.hospital_id
        if hospital_id not in policies:
            policies[hospital_id] = policy_for(hospital_id)
        instance = survey_schedule_for_stage(
            stage=stage,
            template=templates[template_id],
            policy=policies[hospital_id],
            first=stage.pk not in surveyed,
        )
        if instance is not None:
            done += 1
    return done


def survey_schedule_for_stage(*, stage, template=None, policy=None, first: bool = False) -> SurveyInstance | None:
    """Called by the journey engine when a stage becomes completed.

    Returns ``None`` when the stage has no survey; otherwise the invitation —
    scheduled at ``completed_at + survey_delay_hours`` moved out of quiet
    hours, or suppressed with its reason. Calling it twice for one stage
    returns the same row.

    ``first``: the caller has just seen that the stage has no invitation yet
    (:func:`survey_schedule_for_stages`); the look-ups for an earlier one are
    skipped, and a concurrent one still wins on the unique trigger key.
    """
    # The engine copies the stage template's survey onto the stage when the
    # journey starts; reading only the copy costs no query for stages without one.
    template_id = getattr(stage, "survey_template_id", None)
    if template_id is None:
        return None
    if template is None or template.pk != template_id:
        template = SurveyTemplate.all_objects.get(pk=template_id)
    journey = stage.journey
    encounter = journey.encounter
    # One invitation per stage completion. A stage re-completed after its
    # invitation was cancelled (HL7 A13, then a new A03) gets a fresh one.
    key = f"stage:{stage.pk}"
    if not first:
        earlier = SurveyInstance.objects.filter(journey_stage=stage)
        live = earlier.exclude(status=SurveyStatus.CANCELLED).order_by("-created_at").first()
        if live is not None:
            return live
        cancelled = earlier.count()
        if cancelled:
            key = f"stage:{stage.pk}:{cancelled + 1}"
    return survey_create(
        template=template,
        patient=encounter.patient,
        encounter=encounter,
        journey_stage=stage,
        journey_type=journey.journey_type,
        trigger_key=key,
        triggered_at=stage.completed_at or timezone.now(),
        delay_hours=stage.survey_delay_hours or 0,
        policy=policy,
        known_new=first,
    )


def _close(instance: SurveyInstance, *, status: str, reason: str, now) -> None:
    instance.status = status
    if status == SurveyStatus.CANCELLED:
        instance.cancelled_at = now
        instance.cancel_reason = reason[:200]
    instance.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    notifications_cancel(Notification.objects.filter(survey_instance=instance), reason=reason or status)


def survey_cancel_pending(*, encounter, reason: str) -> int:
    """Cancel the encounter's invitations not yet answered, and their unsent messages."""
    return surveys_cancel(instances=SurveyInstance.objects.filter(encounter=encounter), reason=reason)


@transaction.atomic
def surveys_cancel(*, instances, reason: str) -> int:
    """Cancel these invitations, those not yet answered, and their unsent messages.

    ``instances`` is a queryset (or a list) of invitations: only those are
    cancelled, never another invitation of the same encounter (the survey of
    another stage). Returns how many were cancelled.
    """
    now = timezone.now()
    count = 0
    chosen = instances.values("pk") if hasattr(instances, "values") else [instance.pk for instance in instances]
    pending = (
        SurveyInstance.objects.select_for_update(of=("self",))
        .filter(pk__in=chosen, status__in=SurveyStatus.pending())
        .order_by("pk")
    )
    for instance in pending:
        _close(instance, status=SurveyStatus.CANCELLED, reason=reason, now=now)
        count += 1
    return count


# --- links -------------------------------------------------------------------------


def survey_link_value(instance: SurveyInstance) -> str:
    return signing.Signer(salt=LINK_SALT, sep=LINK_SEPARATOR).sign(instance.token)


def survey_link(instance: SurveyInstance, name: str = "surveys_public:survey") -> str:
    return settings.PX360_PUBLIC_BASE_URL + reverse(name, args=[survey_link_value(instance)])


def token_from_link(value: str) -> str | None:
    """The opaque id inside a link, or ``None`` for a tampered or malformed one."""
    if not value or len(value) > 200:
        return None
    try:
        return signing.Signer(salt=LINK_SALT, sep=LINK_SEPARATOR).unsign(value)
    except signing.BadSignature:
        return None


def instance_for_link(value: str) -> SurveyInstance | None:
    """The invitation a link names, in one indexed look-up whatever the link.

    A tampered or malformed link is looked up too (as the empty token, which no
    invitation has), so it costs the same query as a spent one: answering it
    faster would tell the two apart.
    """
    token = token_from_link(value) or ""
    return (
        SurveyInstance.objects.select_related("hospital", "patient", "version", "template").filter(token=token).first()
    )


# --- delivery -------------------------------------------------------------------------


def _message_context(instance: SurveyInstance) -> dict:
    hospital = instance.hospital
    name = getattr(hospital, f"name_{instance.language}", "") or hospital.name
    return {
        "hospital": name,
        "link": survey_link(instance),
        "opt_out_link": survey_link(instance, "surveys_public:opt_out"),
    }


def _queue_message(instance: SurveyInstance, contact: Contact, *, purpose: str, key: str, now, fallback_from=None):
    not_before = now
    if contact.channel in (Channel.SMS, Channel.WHATSAPP):
        not_before = next_allowed_send_time(now, hospital=instance.hospital_id)
    return notification_queue(
        hospital=instance.hospital,
        patient=instance.patient,
        survey_instance=instance,
        channel=contact.channel,
        recipient=contact.recipient,
        language=instance.language,
        template_key=purpose,
        purpose=purpose,
        idempotency_key=key,
        context=_message_context(instance),
        not_before=not_before,
        fallback_from=fallback_from,
    )


def surveys_dispatch_due(*, now=None) -> dict:
    """Turn due scheduled invitations into queued messages (re-checking every rule)."""
    now = now or timezone.now()
    counts = {"invited": 0, "suppressed": 0}
    due = SurveyInstance.objects.filter(status=SurveyStatus.SCHEDULED, scheduled_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in list(due[:500]):
        with transaction.atomic():
            instance = (
                SurveyInstance.objects.select_for_update(of=("self",))
                .select_related("patient", "encounter__department", "template", "hospital")
                .filter(pk=pk, status=SurveyStatus.SCHEDULED)
                .first()
            )
            if instance is None:  # taken by a concurrent run
                continue
            policy = policy_for(instance.hospital_id)
            patient = instance.patient
            reason = _static_reason(
                patient=patient, encounter=instance.encounter, template=instance.template, policy=policy
            )
            contacts: list[Contact] = []
            if not reason:
                contacts, instance.to_guardian, reason = contacts_for(patient, policy)
            if reason:
                instance.status = SurveyStatus.SUPPRESSED
                instance.suppression_reason = reason
                instance.save(update_fields=["status", "suppression_reason", "updated_at"])
                counts["suppressed"] += 1
                continue
            instance.version = template_current_version(template=instance.template)
            instance.status = SurveyStatus.INVITED
            instance.invited_at = now
            instance.last_contacted_at = now
            instance.expires_at = now + timedelta(days=policy.link_expiry_days)
            instance.channel = contacts[0].channel
            instance.save()
            key = f"survey:{instance.pk}:{NotificationPurpose.SURVEY_INVITATION}:{contacts[0].channel}"
            _queue_message(instance, contacts[0], purpose=NotificationPurpose.SURVEY_INVITATION, key=key, now=now)
            counts["invited"] += 1
    return counts


def surveys_send_reminders(*, now=None) -> int:
    """Remind non-responders (never after completion, opt-out or expiry)."""
    now = now or timezone.now()
    sent = 0
    candidates = SurveyInstance.objects.filter(
        status__in=SurveyStatus.answerable(), expires_at__gt=now, last_contacted_at__isnull=False
    ).select_related("patient", "hospital")
    policies: dict = {}
    for instance in candidates.iterator():
        policy = policies.setdefault(instance.hospital_id, policy_for(instance.hospital_id))
        if instance.reminders_sent >= policy.reminder_count:
            continue
        if instance.last_contacted_at > now - timedelta(hours=policy.reminder_interval_hours):
            continue
        contacts, _guardian, reason = contacts_for(instance.patient, policy)
        # Only on the channel the invitation went out on: opting out of it
        # stops the reminders too.
        contact = next((c for c in contacts if c.channel == instance.channel), None)
        if reason or contact is None or instance.patient.is_deceased:
            continue
        number = instance.reminders_sent + 1
        with transaction.atomic():
            # Claim reminder number N: a concurrent or repeated run matches nothing.
            claimed = SurveyInstance.objects.filter(
                pk=instance.pk, reminders_sent=instance.reminders_sent, status__in=SurveyStatus.answerable()
            ).update(reminders_sent=number, last_contacted_at=now, updated_at=now)
            if not claimed:
                continue
            key = f"survey:{instance.pk}:{NotificationPurpose.SURVEY_REMINDER}:{number}:{contact.channel}"
            _queue_message(instance, contact, purpose=NotificationPurpose.SURVEY_REMINDER, key=key, now=now)
            sent += 1
    return sent


def surveys_expire(*, now=None) -> int:
    now = now or timezone.now()
    count = 0
    for instance in SurveyInstance.objects.filter(status__in=SurveyStatus.answerable(), expires_at__lte=now):
        _close(instance, status=SurveyStatus.EXPIRED, reason="expired", now=now)
        count += 1
    return count


def survey_notification_still_wanted(notification: Notification) -> str:
    """Called by the sender just before a survey message goes out."""
    instance = notification.survey_instance
    if instance.status not in SurveyStatus.answerable():
        return f"survey_{instance.status}"
    if instance.expires_at and instance.expires_at <= timezone.now():
        return "survey_expired"
    if instance.patient.is_deceased:
        return "deceased"
    return ""


def survey_notification_fallback(*, notification: Notification) -> Notification | None:
    """A message failed for good (or the channel was opted out): try the next channel."""
    instance = SurveyInstance.objects.select_related("patient", "hospital").get(pk=notification.survey_instance_id)
    if instance.status not in SurveyStatus.answerable():
        return None
    policy = policy_for(instance.hospital_id)
    contacts, _guardian, _reason = contacts_for(instance.patient, policy)
    tried = set(
        Notification.objects.filter(survey_instance=instance, purpose=notification.purpose).values_list(
            "channel", flat=True
        )
    )
    order = [c.channel for c in contacts]
    later = [c for c in contacts if c.channel not in tried]
    if notification.channel in order:
        position = order.index(notification.channel)
        later = [c for c in later if order.index(c.channel) > position] or later
    if not later:
        return None
    contact = later[0]
    now = timezone.now()
    base = notification.idempotency_key.rsplit(":", 1)[0]
    created, _new = _queue_message(
        instance,
        contact,
        purpose=notification.purpose,
        key=f"{base}:{contact.channel}",
        now=now,
        fallback_from=notification,
    )
    SurveyInstance.objects.filter(pk=instance.pk).update(channel=contact.channel, updated_at=now)
    return created


# --- answering -------------------------------------------------------------------------


class SurveyClosed(Exception):
    """The invitation cannot be answered any more (used, expired, cancelled)."""


def survey_open(*, instance: SurveyInstance) -> bool:
    """Record the first opening of the link (no personal data in the audit event)."""
    now = timezone.now()
    first = SurveyInstance.objects.filter(pk=instance.pk, opened_at__isnull=True).update(opened_at=now, updated_at=now)
    SurveyInstance.objects.filter(pk=instance.pk, status=SurveyStatus.INVITED).update(
        status=SurveyStatus.OPENED, updated_at=now
    )
    if first:
        instance.opened_at = now
        audit_record(
            action=AuditAction.SURVEY_OPENED,
            obj=instance,
            hospital=instance.hospital,
            details={
                "template": instance.template.code,
                "version": instance.version.number if instance.version_id else None,
            },
        )
    return bool(first)


def _visible_questions(questions: list[dict], values: dict) -> list[dict]:
    """Questions the patient is asked: follow-ups only after a low score on their parent."""
    by_code = {q["code"]: q for q in questions}
    visible = []
    for question in questions:
        parent_code = question.get("follow_up_of")
        if parent_code:
            parent = by_code.get(parent_code)
            if parent is None or not scoring.is_low(parent["type"], values.get(parent_code)):
                continue
        visible.append(question)
    return visible


def parse_answers(questions: list[dict], data, *, complete: bool) -> tuple[dict, dict]:
    """Read the posted form: ``(values, errors)``, both keyed by question code.

    Values: an int for scored questions (yes = 1, no = 0), a string for single
    choice and free text, a list for multiple choice.
    """
    values: dict = {}
    errors: dict = {}
    for question in questions:
        code, kind = question["code"], question["type"]
        name = f"q_{code}"
        if kind == QuestionType.MULTIPLE_CHOICE:
            allowed = {c["value"] for c in question["choices"]}
            picked = [v for v in data.getlist(name) if v in allowed]
            if picked:
                values[code] = picked
            continue
        raw = (data.get(name) or "").strip()
        if not raw:
            continue
        if kind in (QuestionType.RATING, QuestionType.NPS, QuestionType.YES_NO):
            low, high = {QuestionType.RATING: (1, 5), QuestionType.NPS: (0, 10), QuestionType.YES_NO: (0, 1)}[kind]
            try:
                number = int(raw)
            except ValueError:
                number = None
            if number is None or not low <= number <= high:
                errors[code] = _("Choose one of the answers.")
                continue
            values[code] = number
        elif kind == QuestionType.SINGLE_CHOICE:
            if raw not in {c["value"] for c in question["choices"]}:
                errors[code] = _("Choose one of the answers.")
                continue
            values[code] = raw
        else:
            values[code] = raw[:2000]
    visible = {q["code"] for q in _visible_questions(questions, values)}
    values = {code: value for code, value in values.items() if code in visible}
    if complete:
        for question in questions:
            if question["code"] in visible and question["required"] and question["code"] not in values:
                errors.setdefault(question["code"], _("Please answer this question."))
    return values, errors


def _write_answers(response: SurveyResponse, questions: list[dict], values: dict) -> None:
    by_code = {q["code"]: q for q in questions}
    response.answers.exclude(question_code__in=list(values)).delete()
    for code, value in values.items():
        kind = by_code[code]["type"]
        number = value if isinstance(value, int) else None
        SurveyAnswer.objects.update_or_create(
            response=response,
            question_code=code,
            defaults={
                "question_type": kind,
                "value_number": number,
                "value_text": value if isinstance(value, str) else "",
                "value_choices": value if isinstance(value, list) else [],
                "score": scoring.answer_score(kind, number),
                "is_top_box": scoring.is_top_box(kind, number),
            },
        )


def _response_for(instance: SurveyInstance) -> SurveyResponse:
    response, _created = SurveyResponse.objects.get_or_create(
        instance=instance,
        defaults={
            "hospital_id": instance.hospital_id,
            "template_id": instance.template_id,
            "version_id": instance.version_id,
            "language": instance.language,
        },
    )
    return response


def survey_save_progress(*, instance: SurveyInstance, data) -> dict:
    """Store the answers given so far, so the patient can come back later."""
    questions = instance.version.questions()
    values, errors = parse_answers(questions, data, complete=False)
    with transaction.atomic():
        if (
            not SurveyInstance.objects.select_for_update(of=("self",))
            .filter(pk=instance.pk, status__in=SurveyStatus.answerable(), expires_at__gt=timezone.now())
            .exists()
        ):
            raise SurveyClosed
        response = _response_for(instance)
        _write_answers(response, questions, values)
    return errors


def survey_submit(*, instance: SurveyInstance, data) -> SurveyResponse:
    """Validate, consume the invitation atomically, store and score the answers.

    The conditional UPDATE is the lock: of two submissions (a double click, two
    tabs) exactly one changes the status; the other raises ``SurveyClosed`` and
    changes nothing.
    """
    questions = instance.version.questions()
    values, errors = parse_answers(questions, data, complete=True)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        consumed = SurveyInstance.objects.filter(
            pk=instance.pk, status__in=SurveyStatus.answerable(), expires_at__gt=now
        ).update(status=SurveyStatus.COMPLETED, completed_at=now, updated_at=now)
        if not consumed:
            raise SurveyClosed
        response = _response_for(instance)
        _write_answers(response, questions, values)
        by_code = {q["code"]: q for q in questions}
        _apply_scores(response, questions, values, instance.template.negative_definition())
        response.submitted_at = now
        response.comments = "\n".join(
            value for code, value in values.items() if by_code[code]["type"] == QuestionType.FREE_TEXT and value
        )
        moment = (
            instance.encounter.discharged_at if instance.encounter_id and instance.encounter.discharged_at else None
        )
        response.attributed_to = timezone.localdate(moment or instance.triggered_at)
        response.save()
        notifications_cancel(Notification.objects.filter(survey_instance=instance), reason="survey_completed")
        # Apps above this one act on the answers (a complaint's resolution survey): px360.surveys.hooks.
        hooks.response_completed(response)
    return response


def survey_opt_out(*, instance: SurveyInstance) -> str:
    """The opt-out link: stop messages to this patient on the invitation's channel."""
    patient = instance.patient
    channel = instance.channel or patient.preferred_channel
    field = f"opted_out_{channel}"
    if not getattr(patient, field, True):
        setattr(patient, field, True)
        patient.save(update_fields=[field, "updated_at"])
    notifications_cancel(
        Notification.objects.filter(patient=patient, channel=channel, status=NotificationStatus.QUEUED),
        reason="opted_out",
    )
    return channel


# --- scoring and the negative flag ---------------------------------------------------------


def _apply_scores(response: SurveyResponse, questions: list[dict], values: dict, definition) -> None:
    """Set the response's scores and negative reasons from its answers (not saved).

    ``questions``: the version the patient answered; ``values``: answers by code.
    """
    scored = [
        {"code": q["code"], "type": q["type"], "value": values[q["code"]], "is_key": q.get("is_key", False)}
        for q in questions
        if isinstance(values.get(q["code"]), int)
    ]
    scores = scoring.score_response(scored, definition=definition)
    response.mean_score = scores.mean_score
    response.top_box_percent = scores.top_box_percent
    response.nps_value = scores.nps_value
    response.nps_category = scores.nps_category
    response.is_negative = scores.is_negative
    response.negative_reasons = scores.negative_reasons


RESCORED_FIELDS = ["mean_score", "top_box_percent", "nps_value", "nps_category", "is_negative", "negative_reasons"]
AUDIT_RESCORED = AuditAction.SURVEY_RESCORED
RESCORE_CHUNK = 500


def survey_responses_rescore(
    *, template: SurveyTemplate, responses, request=None, actor=None, dry_run: bool = False
) -> dict:
    """Score ``responses`` (submitted ones of ``template``) again with the template's rules now.

    For when a template's negative definition changed: each response keeps the
    answers and the version its patient saw; only its scores, its negative flag
    and its reasons are recomputed. The caller scopes ``responses`` to what the
    user may see. Chunks of :data:`RESCORE_CHUNK` responses, each locked and
    saved in its own transaction; one audit event per hospital, with the
    counts; ``dry_run`` counts what would change and writes nothing. Returns
    ``{"rescored", "now_negative", "no_longer_negative", "unchanged"}``.
    """
    definition = template.negative_definition()
    counts = {"rescored": 0, "now_negative": 0, "no_longer_negative": 0, "unchanged": 0}
    by_hospital: dict = {}
    chosen = list(
        responses.filter(template=template, submitted_at__isnull=False).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(chosen), RESCORE_CHUNK):
        with transaction.atomic():
            rows = (
                SurveyResponse.objects.select_for_update(of=("self",))
                .filter(pk__in=chosen[start : start + RESCORE_CHUNK])
                .select_related("version")
                .prefetch_related("answers")
                .order_by("pk")
            )
            changed = []
            for response in rows:
                before = (response.is_negative, response.negative_reasons, response.nps_value, response.mean_score)
                values = {
                    answer.question_code: answer.value_number
                    for answer in response.answers.all()
                    if answer.value_number is not None
                }
                _apply_scores(response, response.version.questions(), values, definition)
                after = (response.is_negative, response.negative_reasons, response.nps_value, response.mean_score)
                tally = by_hospital.setdefault(response.hospital_id, {"rescored": 0, "now_negative": 0, "no_longer": 0})
                counts["rescored"] += 1
                tally["rescored"] += 1
                if before == after:
                    counts["unchanged"] += 1
                    continue
                if response.is_negative and not before[0]:
                    counts["now_negative"] += 1
                    tally["now_negative"] += 1
                elif before[0] and not response.is_negative:
                    counts["no_longer_negative"] += 1
                    tally["no_longer"] += 1
                response.updated_at = timezone.now()
                changed.append(response)
            if not dry_run:
                SurveyResponse.objects.bulk_update(changed, [*RESCORED_FIELDS, "updated_at"])
    if dry_run:
        return counts
    for hospital_id, tally in by_hospital.items():
        audit_record(
            action=AUDIT_RESCORED,
            request=request,
            actor=actor,
            model=SurveyResponse,
            hospital=Hospital(pk=hospital_id),
            row_count=tally["rescored"],
            details={
                "template": template.code,
                "now_negative": tally["now_negative"],
                "no_longer_negative": tally["no_longer"],
            },
        )
    return counts
