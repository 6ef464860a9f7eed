"""Every write of complaints, inquiries and feedback.

The admin, the public form, the 937 import and a survey comment — and later
the call centre and social listening — create and move cases only through
these functions, so each case gets its reference, its SLA clocks, its
timeline and history, and the notices and messages that go with it, the same
way whatever the channel.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from px360.accounts.roles import RoleCode
from px360.core.references import next_reference
from px360.core.validators import normalize_phone
from px360.notifications.choices import NotificationPurpose
from px360.notifications.selectors import staff_in_roles
from px360.notifications.services import notify_staff
from px360.sla import services as sla
from px360.sla.choices import ClockKind
from px360.surveys.services import next_allowed_send_time

from . import messages, notices
from .choices import (
    COMPLAINT_TRANSITIONS,
    INQUIRY_TRANSITIONS,
    OPEN_COMPLAINT_STATUSES,
    Channel,
    ComplainantKind,
    ComplaintStatus,
    FeedbackKind,
    FeedbackStatus,
    InquiryStatus,
    UpdateKind,
)
from .models import Complaint, ComplaintIssue, ComplaintUpdate, Feedback, HCATCategory, Inquiry
from .sla import COMPLAINT, INQUIRY

logger = logging.getLogger("px360.complaints")

COMPLAINT_PREFIX = "CMP"
INQUIRY_PREFIX = "INQ"
FEEDBACK_PREFIX = "FBK"


class ComplaintError(ValidationError):
    """A refused write, with a message for the person who asked (translated)."""


@dataclass
class Contact:
    """Who raised the case, as they gave it."""

    kind: str = ComplainantKind.PATIENT
    name: str = ""
    relation: str = ""
    phone: str = ""
    email: str = ""
    language: str = "ar"

    def cleaned(self) -> Contact:
        errors = {}
        phone = ""
        if self.phone:
            try:
                phone = normalize_phone(self.phone)
            except ValidationError as error:
                errors["contact_phone"] = error.messages
        email = (self.email or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["contact_email"] = [_("Enter a valid e-mail address.")]
        if self.kind == ComplainantKind.ON_BEHALF and not self.relation:
            errors["contact_relation"] = [_("Say how the person is related to the patient.")]
        if self.kind not in ComplainantKind.values:
            errors["complainant_kind"] = [_("Choose who raised it.")]
        if errors:
            raise ComplaintError(errors)
        if self.kind == ComplainantKind.ANONYMOUS:
            return Contact(kind=self.kind, language=self.language if self.language in ("ar", "en") else "ar")
        return Contact(
            kind=self.kind,
            name=(self.name or "").strip()[:200],
            relation=self.relation if self.kind == ComplainantKind.ON_BEHALF else "",
            phone=phone,
            email=email,
            language=self.language if self.language in ("ar", "en") else "ar",
        )

    def fields(self) -> dict:
        return {
            "complainant_kind": self.kind,
            "contact_name": self.name,
            "contact_relation": self.relation,
            "contact_phone": self.phone,
            "contact_email": self.email,
            "language": self.language,
        }


@dataclass
class IssueCoding:
    category: HCATCategory
    severity: int = 1
    harm: int = 0
    stage_of_care: str = "unknown"
    is_medical: bool = False
    note: str = ""


@dataclass
class NewComplaint:
    hospital: object
    summary: str
    description: str
    channel: str = Channel.WALK_IN
    contact: Contact = field(default_factory=Contact)
    received_at: datetime | None = None
    department: object = None
    patient: object = None
    encounter: object = None
    physicians: Iterable = ()
    staff: Iterable = ()
    identity_withheld: bool = False
    external_reference: str = ""
    severity: int = 1
    harm: int = 0
    issues: Iterable[IssueCoding] = ()
    survey_response: object = None
    assigned_to: object = None


# --- complaints ------------------------------------------------------------------


def _change_link(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def _due_text(item, clock: str) -> str:
    clocks = [c for c in sla_clocks(item) if c.clock == clock]
    due = clocks[-1].due_at if clocks else None
    return timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "—"


def sla_clocks(item):
    from px360.sla.selectors import clocks_of

    return list(clocks_of(item))


def _start_clocks(item, *, kind: str, received_at, status: str, severity: str, department, assignee) -> None:
    try:
        sla.start_clocks(
            item,
            kind=kind,
            received_at=received_at,
            status=status,
            hospital=item.hospital,
            severity=severity,
            department=department,
            assignee=assignee,
            reference=item.reference,
        )
    except sla.NoPolicy:
        # The case is kept; the admin shows it has no targets until a policy exists.
        logger.warning("No SLA policy for a %s of hospital %s", kind, item.hospital_id)


def _expected_by(item):
    clocks = [c for c in sla_clocks(item) if c.clock == ClockKind.RESOLVE]
    return clocks[-1].due_at if clocks else None


def _check_scope(new: NewComplaint) -> None:
    errors = {}
    hospital_id = new.hospital.pk
    if new.department is not None and new.department.hospital_id != hospital_id:
        errors["department"] = [_("The department belongs to another hospital.")]
    if new.patient is not None and new.patient.hospital_id != hospital_id:
        errors["patient"] = [_("The patient belongs to another hospital.")]
    if new.encounter is not None:
        if new.encounter.hospital_id != hospital_id:
            errors["encounter"] = [_("The encounter belongs to another hospital.")]
        elif new.patient is not None and new.encounter.patient_id != new.patient.pk:
            errors["encounter"] = [_("The encounter is of another patient.")]
    if any(p.hospital_id != hospital_id for p in new.physicians):
        errors["physicians"] = [_("A physician named belongs to another hospital.")]
    if any(e.hospital_id != hospital_id for e in new.staff):
        errors["staff"] = [_("A member of staff named belongs to another hospital.")]
    if not (new.summary or "").strip():
        errors["summary"] = [_("Give a short summary.")]
    if not (new.description or "").strip():
        errors["description"] = [_("Describe what happened.")]
    if new.channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if errors:
        raise ComplaintError(errors)


def complaint_create(new: NewComplaint, *, by=None) -> Complaint:
    """Receive a complaint from any channel; returns it with its reference and clocks.

    A complaint from an external ticket (the 937 line) already received is
    returned unchanged: receiving the same ticket twice creates one complaint.
    """
    _check_scope(new)
    contact = new.contact.cleaned()
    external = (new.external_reference or "").strip()
    received_at = new.received_at or timezone.now()
    if received_at > timezone.now() + timedelta(minutes=5):
        raise ComplaintError({"received_at": [_("The time received cannot be in the future.")]})
    issues = list(new.issues)
    severity = max([new.severity, *(issue.severity for issue in issues)])
    harm = max([new.harm, *(issue.harm for issue in issues)])
    with transaction.atomic():
        if external:
            existing = Complaint.objects.filter(channel=new.channel, external_reference=external).first()
            if existing is not None:
                return existing
        complaint = Complaint(
            reference=next_reference(COMPLAINT_PREFIX, at=received_at),
            hospital=new.hospital,
            department=new.department,
            patient=new.patient or (new.encounter.patient if new.encounter is not None else None),
            encounter=new.encounter,
            identity_withheld=new.identity_withheld or contact.kind == ComplainantKind.ANONYMOUS,
            channel=new.channel,
            external_reference=external,
            received_at=received_at,
            summary=new.summary.strip()[:200],
            description=new.description.strip(),
            severity=severity,
            harm=harm,
            assigned_to=new.assigned_to,
            survey_response=new.survey_response,
            created_by=by,
            **contact.fields(),
        )
        complaint._change_reason = _channel_reason(new.channel)
        complaint.save()
        if new.physicians:
            complaint.physicians.set(list(new.physicians))
        if new.staff:
            complaint.staff.set(list(new.staff))
        for issue in issues:
            _add_issue(complaint, issue)
        _timeline(complaint, kind=UpdateKind.STATUS, by=by, new_status=ComplaintStatus.NEW, text="")
        _start_clocks(
            complaint,
            kind=COMPLAINT,
            received_at=received_at,
            status=ComplaintStatus.NEW,
            severity=str(severity),
            department=new.department,
            assignee=new.assigned_to,
        )
        complaint.expected_by = _expected_by(complaint)
        complaint.save(update_fields=["expected_by", "updated_at"])
        notify_staff(
            staff_in_roles(roles=[RoleCode.PX_COORDINATOR], hospital=complaint.hospital),
            kind=notices.NEW_COMPLAINT.code,
            params={
                "reference": complaint.reference,
                "channel": str(Channel(complaint.channel).label),
                "due": _due_text(complaint, ClockKind.ACKNOWLEDGE),
            },
            link=_change_link(complaint),
            hospital=complaint.hospital,
            key=f"complaint-new:{complaint.pk}",
        )
        if new.assigned_to is not None:
            _notify_assignee(complaint)
    return complaint


def _channel_reason(channel: str) -> str:
    return f"received: {channel}"


def _add_issue(complaint: Complaint, coding: IssueCoding) -> ComplaintIssue:
    if not coding.category.is_active:
        raise ComplaintError({"issues": [_("The category %(name)s is no longer in use.") % {"name": coding.category}]})
    return ComplaintIssue.objects.create(
        complaint=complaint,
        category=coding.category,
        severity=coding.severity,
        harm=coding.harm,
        stage_of_care=coding.stage_of_care,
        is_medical=coding.is_medical,
        note=(coding.note or "")[:300],
    )


def _timeline(complaint, *, kind, by, text="", old_status="", new_status="", notification=None) -> ComplaintUpdate:
    return ComplaintUpdate.objects.create(
        complaint=complaint,
        kind=kind,
        author=by,
        text=text,
        old_status=old_status,
        new_status=new_status,
        notification=notification,
    )


def complaint_recode(complaint: Complaint, *, by=None) -> Complaint:
    """Bring the complaint's severity and harm in line with its issues (after they were edited).

    A new severity re-chooses the SLA policy; the time already used is kept.
    """
    issues = list(complaint.issues.all())
    if not issues:
        return complaint
    severity = max(issue.severity for issue in issues)
    harm = max(issue.harm for issue in issues)
    if (severity, harm) == (complaint.severity, complaint.harm):
        return complaint
    with transaction.atomic():
        old = complaint.get_severity_display()
        complaint.severity, complaint.harm = severity, harm
        complaint.save(update_fields=["severity", "harm", "updated_at"])
        _timeline(
            complaint,
            kind=UpdateKind.CODING,
            by=by,
            text=_("Severity %(old)s → %(new)s") % {"old": old, "new": complaint.get_severity_display()},
        )
        try:
            sla.update_item(complaint, severity=str(severity))
        except (LookupError, sla.NoPolicy):
            logger.warning("Complaint %s: no SLA clocks follow its new severity", complaint.reference)
        complaint.expected_by = _expected_by(complaint) or complaint.expected_by
        complaint.save(update_fields=["expected_by", "updated_at"])
    return complaint


def complaint_transition(complaint: Complaint, to_status: str, *, by=None, note: str = "", at=None) -> Complaint:
    """Move the complaint to ``to_status``; refuses a move the workflow does not allow.

    Resolving needs a resolution summary; closing also needs the coding (at
    least one issue). Leaving resolved or closed reopens the complaint.
    """
    at = at or timezone.now()
    current = ComplaintStatus(complaint.status)
    if to_status not in COMPLAINT_TRANSITIONS[current]:
        raise ComplaintError(
            _("A complaint that is %(current)s cannot become %(new)s.")
            % {"current": current.label, "new": ComplaintStatus(to_status).label}
        )
    if to_status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED) and not complaint.resolution.strip():
        raise ComplaintError({"resolution": [_("Write the resolution summary first.")]})
    if to_status == ComplaintStatus.CLOSED and not complaint.issues.exists():
        raise ComplaintError(
            {"issues": [_("Code the complaint's issues (HCAT category and severity) before closing it.")]}
        )
    reopening = current in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED) and to_status not in (
        ComplaintStatus.RESOLVED,
        ComplaintStatus.CLOSED,
    )
    if reopening and not note.strip():
        raise ComplaintError({"note": [_("Say why the complaint is reopened.")]})
    with transaction.atomic():
        complaint.status = to_status
        fields = ["status", "updated_at"]
        if complaint.acknowledged_at is None and to_status != ComplaintStatus.NEW:
            complaint.acknowledged_at = at
            fields.append("acknowledged_at")
        if to_status == ComplaintStatus.RESOLVED:
            complaint.resolved_at = at
            fields.append("resolved_at")
        if to_status == ComplaintStatus.CLOSED:
            complaint.closed_at = at
            fields.append("closed_at")
            if complaint.resolved_at is None:
                complaint.resolved_at = at
                fields.append("resolved_at")
        if reopening:
            complaint.reopen_count += 1
            complaint.resolved_at = None
            complaint.closed_at = None
            fields += ["reopen_count", "resolved_at", "closed_at"]
        complaint._change_reason = f"status: {current} → {to_status}"
        complaint.save(update_fields=fields)
        _timeline(
            complaint,
            kind=UpdateKind.STATUS,
            by=by,
            text=note.strip(),
            old_status=current,
            new_status=to_status,
        )
        # A complaint received while no policy existed has no clocks.
        with contextlib.suppress(LookupError):
            sla.record_status(complaint, to_status, at=at)
        if reopening:
            complaint.expected_by = _expected_by(complaint) or complaint.expected_by
            complaint.save(update_fields=["expected_by", "updated_at"])
            _notify_reopened(complaint, note.strip())
        if to_status == ComplaintStatus.ACKNOWLEDGED:
            complaint_message(complaint, by=by, text="", template_key=ACKNOWLEDGEMENT)
        if to_status == ComplaintStatus.RESOLVED:
            complaint_message(complaint, by=by, text="", template_key=RESOLUTION)
        if to_status == ComplaintStatus.CLOSED:
            for listener in _closing_listeners:
                listener(complaint)
    return complaint


# Called with the complaint once it is closed (inside the transaction): the
# resolution-satisfaction survey registers here.
_closing_listeners: list = []


def on_complaint_closed(listener) -> None:
    if listener not in _closing_listeners:
        _closing_listeners.append(listener)


def complaint_assign(complaint: Complaint, *, by=None, user=None, department=None) -> Complaint:
    """Give the complaint to a member of staff and/or a department; the clocks tell them from then on."""
    if user is None and department is None:
        raise ComplaintError(_("Choose a person or a department."))
    if department is not None and department.hospital_id != complaint.hospital_id:
        raise ComplaintError({"department": [_("The department belongs to another hospital.")]})
    if user is not None and user.hospital_id not in (None, complaint.hospital_id):
        raise ComplaintError({"assigned_to": [_("This person works for another hospital.")]})
    with transaction.atomic():
        changes = {}
        parts = []
        if user is not None and user.pk != complaint.assigned_to_id:
            complaint.assigned_to = user
            changes["assignee"] = user
            parts.append(_("to %(name)s") % {"name": user.get_full_name() or user.get_username()})
        if department is not None and department.pk != complaint.department_id:
            complaint.department = department
            changes["department"] = department
            parts.append(_("to the department %(name)s") % {"name": department})
        if not changes:
            return complaint
        complaint._change_reason = "assigned"
        complaint.save(update_fields=["assigned_to", "department", "updated_at"])
        _timeline(complaint, kind=UpdateKind.ASSIGNMENT, by=by, text=_("Assigned %(to)s") % {"to": ", ".join(parts)})
        with contextlib.suppress(LookupError):
            sla.update_item(complaint, **changes)
        if "assignee" in changes:
            _notify_assignee(complaint)
    return complaint


def reassigned_by_escalation(item, user, *, clock: str) -> bool:
    """Record that an escalation step gave ``item`` (a complaint or inquiry) to ``user``; False when closed.

    Called by the SLA sweep, which tells the new assignee and moves the
    item's clocks itself.
    """
    from px360.sla.choices import ClockKind as Clocks

    open_statuses = {*OPEN_COMPLAINT_STATUSES, InquiryStatus.NEW, InquiryStatus.IN_PROGRESS, InquiryStatus.WAITING}
    if item.status not in open_statuses or item.assigned_to_id == user.pk:
        return False
    item.assigned_to = user
    item._change_reason = "escalation: reassigned"
    item.save(update_fields=["assigned_to", "updated_at"])
    if isinstance(item, Complaint):
        _timeline(
            item,
            kind=UpdateKind.ASSIGNMENT,
            by=None,
            text=_("Reassigned to %(name)s by the escalation of the %(clock)s clock")
            % {"name": user.get_full_name() or user.get_username(), "clock": Clocks(clock).label},
        )
    # The sweep tells the new assignee and moves the clocks itself.
    return True


def complaint_note(complaint: Complaint, *, by, text: str) -> ComplaintUpdate:
    text = (text or "").strip()
    if not text:
        raise ComplaintError({"text": [_("Write the note.")]})
    return _timeline(complaint, kind=UpdateKind.NOTE, by=by, text=text)


ACKNOWLEDGEMENT = messages.ACKNOWLEDGED
MESSAGE = messages.MESSAGE
RESOLUTION = messages.RESOLVED


def complaint_message(complaint: Complaint, *, by, text: str, template_key: str = MESSAGE) -> ComplaintUpdate | None:
    """Write to the complainant through the outbox, in their language, with the reference and the expected date.

    Goes by SMS when a phone is known, else by e-mail; an anonymous
    complainant (or one without contact details) cannot be written to, and a
    note says so on the timeline instead.
    """
    from px360.notifications.choices import Channel as MessageChannel
    from px360.notifications.services import notification_queue

    text = (text or "").strip()
    if template_key == MESSAGE and not text:
        raise ComplaintError({"text": [_("Write the message.")]})
    if complaint.complainant_kind == ComplainantKind.ANONYMOUS or not (
        complaint.contact_phone or complaint.contact_email
    ):
        if template_key == MESSAGE:
            raise ComplaintError({"text": [_("The complainant left no phone or e-mail: the message cannot be sent.")]})
        return None
    channel, recipient = (
        (MessageChannel.SMS, complaint.contact_phone)
        if complaint.contact_phone
        else (MessageChannel.EMAIL, complaint.contact_email)
    )
    count = complaint.updates.filter(kind=UpdateKind.MESSAGE).count()
    expected = complaint.expected_by
    notification, _created = notification_queue(
        hospital=complaint.hospital,
        channel=channel,
        recipient=recipient,
        language=complaint.language,
        template_key=template_key,
        purpose=NotificationPurpose.COMPLAINT_UPDATE,
        idempotency_key=f"complaint:{complaint.pk}:{template_key}:{count}",
        context={
            "hospital": _hospital_name(complaint),
            "reference": complaint.reference,
            "expected_date": timezone.localtime(expected).strftime("%Y-%m-%d") if expected else "",
            "message": text,
            "link": status_page_link(),
        },
        patient=complaint.patient,
        # Never at night: the hospital's quiet hours, as for surveys.
        not_before=next_allowed_send_time(timezone.now(), hospital=complaint.hospital),
    )
    return _timeline(complaint, kind=UpdateKind.MESSAGE, by=by, text=text, notification=notification)


def _hospital_name(case) -> str:
    hospital = case.hospital
    return (hospital.name_ar if case.language == "ar" else hospital.name_en) or hospital.name


def status_page_link() -> str:
    from django.conf import settings
    from django.urls import NoReverseMatch

    try:
        return f"{settings.PX360_PUBLIC_BASE_URL}{reverse('complaints_public:status')}"
    except NoReverseMatch:  # an install without the public pages
        return ""


def _notify_assignee(complaint: Complaint) -> None:
    if complaint.assigned_to_id is None:
        return
    notify_staff(
        [complaint.assigned_to_id],
        kind=notices.ASSIGNED.code,
        params={"reference": complaint.reference, "due": _due_text(complaint, ClockKind.RESOLVE)},
        link=_change_link(complaint),
        hospital=complaint.hospital,
        key=f"complaint-assigned:{complaint.pk}:{complaint.assigned_to_id}:{complaint.updated_at.isoformat()}",
    )


def _notify_reopened(complaint: Complaint, reason: str) -> None:
    users = list(
        staff_in_roles(roles=[RoleCode.PX_COORDINATOR], hospital=complaint.hospital).values_list("pk", flat=True)
    )
    if complaint.assigned_to_id:
        users.append(complaint.assigned_to_id)
    notify_staff(
        users,
        kind=notices.REOPENED.code,
        params={"reference": complaint.reference, "reason": reason[:200]},
        link=_change_link(complaint),
        hospital=complaint.hospital,
        key=f"complaint-reopened:{complaint.pk}:{complaint.reopen_count}",
    )


def complaint_reopen_after_low_score(complaint: Complaint, *, score) -> Complaint:
    """The complainant rated the handling low: reopen and escalate to the hospital's PX lead."""
    if complaint.status not in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED):
        return complaint
    reason = str(gettext_lazy("the complainant rated the handling %(score)s out of 100") % {"score": round(score)})
    complaint = complaint_transition(complaint, ComplaintStatus.IN_PROGRESS, by=None, note=reason)
    admins = staff_in_roles(roles=[RoleCode.HOSPITAL_ADMIN], hospital=complaint.hospital)
    notify_staff(
        admins,
        kind=notices.REOPENED.code,
        params={"reference": complaint.reference, "reason": reason},
        link=_change_link(complaint),
        hospital=complaint.hospital,
        key=f"complaint-low-score:{complaint.pk}:{complaint.reopen_count}",
    )
    return complaint


def complaint_for_status_page(reference: str, phone_digits: str) -> Complaint | None:
    """The complaint a member of the public may see: the reference and the last digits of its phone must match.

    Any wrong pair — unknown reference, no phone on file, wrong digits —
    gives ``None`` alike, so the page cannot tell which part was wrong.
    """
    from px360.core.references import normalise_reference
    from px360.core.validators import ascii_digits

    reference = normalise_reference(reference)
    digits = "".join(ch for ch in ascii_digits(phone_digits or "") if ch.isdigit())
    if not reference or len(digits) < 4:
        return None
    complaint = Complaint.objects.filter(reference=reference).select_related("hospital").first()
    if complaint is None or not complaint.contact_phone:
        return None
    if not complaint.contact_phone.endswith(digits[-4:]) or len(digits) > len(complaint.contact_phone):
        return None
    return complaint


# --- inquiries -------------------------------------------------------------------


def inquiry_create(
    *,
    hospital,
    subject: str,
    question: str,
    channel: str = Channel.PHONE,
    contact: Contact | None = None,
    department=None,
    patient=None,
    received_at=None,
    external_reference: str = "",
    assigned_to=None,
    by=None,
) -> Inquiry:
    contact = (contact or Contact()).cleaned()
    errors = {}
    if not (subject or "").strip():
        errors["subject"] = [_("Give a subject.")]
    if not (question or "").strip():
        errors["question"] = [_("Write the question or request.")]
    if department is not None and department.hospital_id != hospital.pk:
        errors["department"] = [_("The department belongs to another hospital.")]
    if patient is not None and patient.hospital_id != hospital.pk:
        errors["patient"] = [_("The patient belongs to another hospital.")]
    if errors:
        raise ComplaintError(errors)
    received_at = received_at or timezone.now()
    with transaction.atomic():
        inquiry = Inquiry.objects.create(
            reference=next_reference(INQUIRY_PREFIX, at=received_at),
            hospital=hospital,
            department=department,
            patient=patient,
            channel=channel,
            external_reference=(external_reference or "").strip(),
            received_at=received_at,
            subject=subject.strip()[:200],
            question=question.strip(),
            assigned_to=assigned_to,
            created_by=by,
            **contact.fields(),
        )
        _start_clocks(
            inquiry,
            kind=INQUIRY,
            received_at=received_at,
            status=InquiryStatus.NEW,
            severity="",
            department=department,
            assignee=assigned_to,
        )
        users = list(staff_in_roles(roles=[RoleCode.PX_COORDINATOR], hospital=hospital).values_list("pk", flat=True))
        if assigned_to is not None:
            users.append(assigned_to.pk)
        notify_staff(
            users,
            kind=notices.NEW_INQUIRY.code,
            params={"reference": inquiry.reference, "due": _due_text(inquiry, ClockKind.RESOLVE)},
            link=_change_link(inquiry),
            hospital=hospital,
            key=f"inquiry-new:{inquiry.pk}",
        )
    return inquiry


def inquiry_transition(inquiry: Inquiry, to_status: str, *, by=None, at=None) -> Inquiry:
    at = at or timezone.now()
    current = InquiryStatus(inquiry.status)
    if to_status == InquiryStatus.PROMOTED or to_status not in INQUIRY_TRANSITIONS[current]:
        raise ComplaintError(
            _("An inquiry that is %(current)s cannot become %(new)s.")
            % {"current": current.label, "new": InquiryStatus(to_status).label}
        )
    if to_status in (InquiryStatus.ANSWERED, InquiryStatus.CLOSED) and not inquiry.answer.strip():
        raise ComplaintError({"answer": [_("Write the answer first.")]})
    with transaction.atomic():
        inquiry.status = to_status
        fields = ["status", "updated_at"]
        if to_status == InquiryStatus.ANSWERED:
            inquiry.answered_at = at
            fields.append("answered_at")
        inquiry._change_reason = f"status: {current} → {to_status}"
        inquiry.save(update_fields=fields)
        with contextlib.suppress(LookupError):
            sla.record_status(inquiry, to_status, at=at)
    return inquiry


def inquiry_promote(inquiry: Inquiry, *, by=None, summary: str = "", description: str = "") -> Complaint:
    """Turn an inquiry into a complaint that keeps the inquiry's received time (and so its clocks' start)."""
    if inquiry.promoted_to_id:
        return inquiry.promoted_to
    if inquiry.status in (InquiryStatus.CLOSED,):
        raise ComplaintError(_("A closed inquiry cannot become a complaint; reopen it first."))
    with transaction.atomic():
        complaint = complaint_create(
            NewComplaint(
                hospital=inquiry.hospital,
                summary=summary or inquiry.subject,
                description=description or inquiry.question,
                channel=inquiry.channel,
                contact=Contact(
                    kind=inquiry.complainant_kind,
                    name=inquiry.contact_name,
                    relation=inquiry.contact_relation,
                    phone=inquiry.contact_phone,
                    email=inquiry.contact_email,
                    language=inquiry.language,
                ),
                received_at=inquiry.received_at,
                department=inquiry.department,
                patient=inquiry.patient,
                assigned_to=inquiry.assigned_to,
            ),
            by=by,
        )
        _timeline(
            complaint,
            kind=UpdateKind.NOTE,
            by=by,
            text=_("Raised from the inquiry %(reference)s") % {"reference": inquiry.reference},
        )
        inquiry.promoted_to = complaint
        inquiry.status = InquiryStatus.PROMOTED
        inquiry._change_reason = "promoted"
        inquiry.save(update_fields=["promoted_to", "status", "updated_at"])
        with contextlib.suppress(LookupError):
            sla.record_status(inquiry, InquiryStatus.PROMOTED)
    return complaint


# --- feedback --------------------------------------------------------------------


def feedback_create(
    *,
    hospital,
    kind: str,
    text: str,
    channel: str = Channel.WALK_IN,
    contact: Contact | None = None,
    department=None,
    physician=None,
    employee=None,
    patient=None,
    received_at=None,
    survey_response=None,
    by=None,
) -> Feedback:
    """Record a compliment (told to the person and their manager) or a suggestion (told to the department)."""
    contact = (contact or Contact()).cleaned()
    errors = {}
    if kind not in FeedbackKind.values:
        errors["kind"] = [_("Choose compliment or suggestion.")]
    if not (text or "").strip():
        errors["text"] = [_("Write what they said.")]
    for name, value in (("department", department), ("physician", physician), ("employee", employee)):
        if value is not None and value.hospital_id != hospital.pk:
            errors[name] = [_("This belongs to another hospital.")]
    if errors:
        raise ComplaintError(errors)
    department = department or getattr(physician, "department", None) or getattr(employee, "department", None)
    with transaction.atomic():
        feedback = Feedback.objects.create(
            reference=next_reference(FEEDBACK_PREFIX, at=received_at),
            kind=kind,
            hospital=hospital,
            department=department,
            physician=physician,
            employee=employee,
            patient=patient,
            channel=channel,
            received_at=received_at or timezone.now(),
            text=text.strip(),
            survey_response=survey_response,
            created_by=by,
            **contact.fields(),
        )
        _route_feedback(feedback)
    return feedback


def _department_managers(department) -> list:
    if department is None:
        return []
    return list(
        staff_in_roles(roles=[RoleCode.DEPARTMENT_MANAGER], hospital=department.hospital_id)
        .filter(department=department)
        .values_list("pk", flat=True)
    )


def _route_feedback(feedback: Feedback) -> None:
    link = _change_link(feedback)
    managers = _department_managers(feedback.department)
    if feedback.kind == FeedbackKind.COMPLIMENT:
        people = []
        name = ""
        if feedback.employee is not None:
            if feedback.employee.user_id:
                people.append(feedback.employee.user_id)
            user = feedback.employee.user
            name = user.get_full_name() or user.get_username()
        if feedback.physician is not None:
            if feedback.physician.user_id:
                people.append(feedback.physician.user_id)
            name = str(feedback.physician.name)
        recipients = people + managers
        params = {"person": name or str(feedback.department or feedback.hospital), "reference": feedback.reference}
        kind = notices.COMPLIMENT.code
    else:
        recipients = managers or list(
            staff_in_roles(roles=[RoleCode.PX_COORDINATOR], hospital=feedback.hospital).values_list("pk", flat=True)
        )
        params = {"department": str(feedback.department or feedback.hospital), "reference": feedback.reference}
        kind = notices.SUGGESTION.code
    notify_staff(
        recipients, kind=kind, params=params, link=link, hospital=feedback.hospital, key=f"feedback:{feedback.pk}"
    )
    if recipients:
        Feedback.objects.filter(pk=feedback.pk).update(status=FeedbackStatus.SHARED)
        feedback.status = FeedbackStatus.SHARED
