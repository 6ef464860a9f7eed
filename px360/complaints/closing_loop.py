"""Closing the loop with the complainant: the resolution-satisfaction survey and what its score does.

Closing a complaint sends the survey of kind "complaint resolution" (the
hospital's own active one, else the group's) through the survey machinery:
its contact rules decide whether and when the patient is invited (opt-outs,
minors through their guardian, deceased patients, quiet hours), except the
one-survey-per-period cap, which holds back surveys sent unasked and not one
the complainant is owed. The invitation is kept on the complaint
(``resolution_survey``). When the patient answers, a mean score (0–100)
below ``PX360_COMPLAINT_LOW_SCORE`` reopens the complaint and escalates it to
the hospital's administrators; a higher one is noted on the timeline.

A complaint without a patient, an anonymous one or one nobody can be reached
about gets no survey, and its timeline says why.

:func:`register_closing_loop` (called from ``ComplaintsConfig.ready``)
connects both ends: the complaints service's closing listeners and the
surveys app's completed-response listeners (the surveys app never imports
this one).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from px360.surveys.choices import SurveyStatus, TemplateKind
from px360.surveys.hooks import on_response_completed
from px360.surveys.models import SurveyInstance, SurveyTemplate
from px360.surveys.services import survey_create

from .choices import ComplainantKind, ComplaintStatus
from .models import Complaint
from .services import complaint_note, complaint_reopen_after_low_score, on_complaint_closed

logger = logging.getLogger("px360.complaints")


def low_score_threshold() -> Decimal:
    """A resolution survey's mean score (0–100) below this reopens the complaint."""
    return Decimal(settings.PX360_COMPLAINT_LOW_SCORE)


def resolution_template(hospital) -> SurveyTemplate | None:
    """The active complaint-resolution survey of ``hospital``, else the group's (one query)."""
    hospital_id = getattr(hospital, "pk", hospital)
    return (
        SurveyTemplate.objects.filter(kind=TemplateKind.COMPLAINT_RESOLUTION, is_active=True)
        .filter(Q(hospital_id=hospital_id) | Q(hospital__isnull=True))
        .order_by(F("hospital").asc(nulls_last=True), "code")
        .first()
    )


def _trigger_key(complaint: Complaint) -> str:
    # One survey per closing: a complaint reopened and closed again asks again.
    return f"complaint:{complaint.pk}:resolution:{complaint.reopen_count}"


def _why_not(complaint: Complaint) -> str:
    """Why the complainant cannot be asked, in words ('' when they can)."""
    if complaint.complainant_kind == ComplainantKind.ANONYMOUS:
        return _("The complaint is anonymous: no resolution survey was sent.")
    if complaint.patient_id is None:
        return _("No patient is linked to the complaint: no resolution survey was sent.")
    patient = complaint.patient
    if not (complaint.contact_phone or complaint.contact_email or patient.phone or patient.email):
        return _("Neither the complainant nor the patient left a phone or an e-mail: no resolution survey was sent.")
    return ""


def send_resolution_survey(complaint: Complaint) -> SurveyInstance | None:
    """On closing: invite the patient to rate how the complaint was handled, or note why not.

    Idempotent per closing (the survey's trigger key). The invitation, sent
    or suppressed by a contact rule, is kept on the complaint.
    """
    if complaint.status != ComplaintStatus.CLOSED:
        return None
    reason = _why_not(complaint)
    template = None if reason else resolution_template(complaint.hospital_id)
    if not reason and template is None:
        reason = _("No complaint resolution survey is active: none was sent.")
    if reason:
        complaint_note(complaint, by=None, text=reason)
        return None
    instance = survey_create(
        template=template,
        patient=complaint.patient,
        encounter=complaint.encounter,
        trigger_key=_trigger_key(complaint),
        triggered_at=timezone.now(),
        language=complaint.language,
        frequency_cap=False,
    )
    if complaint.resolution_survey_id != instance.pk:
        complaint.resolution_survey = instance
        complaint._change_reason = "resolution survey"
        complaint.save(update_fields=["resolution_survey", "updated_at"])
    if instance.status == SurveyStatus.SUPPRESSED:
        complaint_note(
            complaint,
            by=None,
            text=_("The resolution survey was not sent: %(reason)s.")
            % {"reason": instance.get_suppression_reason_display()},
        )
    else:
        complaint_note(complaint, by=None, text=_("The resolution survey will be sent to the patient."))
    return instance


def resolution_survey_answered(response) -> Complaint | None:
    """A completed response: if it answers a complaint's resolution survey, act on its score."""
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("hospital")
        .filter(resolution_survey_id=response.instance_id)
        .first()
    )
    if complaint is None or response.mean_score is None:
        return complaint
    score = Decimal(response.mean_score)
    # The timeline is the staff's: written in the site's language, not the patient's page's.
    with translation.override(settings.LANGUAGE_CODE):
        if score < low_score_threshold() and complaint.status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED):
            # The reason, with the score, is the reopening's entry on the timeline.
            return complaint_reopen_after_low_score(complaint, score=float(score))
        # A high score, or a low one for a complaint someone has reopened meanwhile.
        complaint_note(
            complaint,
            by=None,
            text=_("The complainant rated the handling %(score)s out of 100.") % {"score": round(score)},
        )
    return complaint


def register_closing_loop() -> None:
    """Connect closing to the survey and the survey's answers back to the complaint (``ComplaintsConfig.ready``)."""
    on_complaint_closed(send_resolution_survey)
    on_response_completed(resolution_survey_answered)


__all__ = [
    "low_score_threshold",
    "register_closing_loop",
    "resolution_survey_answered",
    "resolution_template",
    "send_resolution_survey",
]
