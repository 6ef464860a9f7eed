"""A patient's survey comment raised as a complaint, in one click on the response's page.

The surveys app knows nothing of complaints: :func:`register_survey_actions`
(called from ``ComplaintsConfig.ready``) adds the "Raise a complaint" button
to the response page through ``px360.surveys.admin.extensions``.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from px360.core.admin.confirm import confirm_then
from px360.surveys.models import SurveyResponse

from .choices import Channel, ComplainantKind, Relation
from .models import Complaint
from .services import ComplaintError, Contact, NewComplaint, complaint_create, complaint_note

ADD_PERMISSION = "complaints.add_complaint"
SUMMARY_LIMIT = 120


def complaint_of_response(response) -> Complaint | None:
    """The complaint already raised from this response, if any."""
    return Complaint.objects.filter(survey_response=response).order_by("created_at").first()


def _summary(comments: str) -> str:
    first = comments.strip().splitlines()[0].strip()
    return first if len(first) <= SUMMARY_LIMIT else first[: SUMMARY_LIMIT - 1].rstrip() + "…"


def _contact(response, patient) -> Contact:
    """Who wrote the comment: the patient, or the guardian a minor's survey went to."""
    instance = response.instance
    language = response.language if response.language in ("ar", "en") else "ar"
    guardian = getattr(patient, "survey_guardian", None) if instance.to_guardian else None
    if guardian is not None:
        return Contact(
            kind=ComplainantKind.ON_BEHALF,
            relation=Relation.GUARDIAN,
            phone=guardian.phone,
            email=guardian.email,
            language=language,
        )
    name = (patient.name_ar if language == "ar" else patient.name_en) or patient.name_ar or patient.name_en
    return Contact(kind=ComplainantKind.PATIENT, name=name, phone=patient.phone, email=patient.email, language=language)


def complaint_from_response(response: SurveyResponse, *, by) -> Complaint:
    """Raise a complaint from the free-text answers of a submitted survey response; idempotent.

    The complaint comes through the survey channel, for the response's
    hospital, patient, encounter and the encounter's department, in the
    language the patient answered in, received when they submitted, and
    keeps the link to the response. Raising it again returns the same
    complaint: the response's row is locked while the first one is made.
    """
    existing = complaint_of_response(response)
    if existing is not None:
        return existing
    if response.submitted_at is None:
        raise ComplaintError(_("The patient has not submitted this survey yet."))
    comments = (response.comments or "").strip()
    if not comments:
        raise ComplaintError(_("This response has no comment to raise a complaint from."))
    instance = response.instance
    encounter = instance.encounter
    patient = instance.patient
    with transaction.atomic():
        # Two clicks at once: the second waits here and then finds the first one's complaint.
        SurveyResponse.objects.select_for_update().filter(pk=response.pk).first()
        existing = complaint_of_response(response)
        if existing is not None:
            return existing
        complaint = complaint_create(
            NewComplaint(
                hospital=response.hospital,
                summary=_summary(comments),
                description=comments,
                channel=Channel.SURVEY,
                contact=_contact(response, patient),
                received_at=response.submitted_at,
                department=encounter.department if encounter is not None else None,
                patient=patient,
                encounter=encounter,
                survey_response=response,
            ),
            by=by,
        )
        complaint_note(
            complaint,
            by=by,
            text=_("Raised from the survey response %(survey)s") % {"survey": instance.reference},
        )
    return complaint


# --- the button on the response page ------------------------------------------------------


def raise_complaint(model_admin, request, response):
    """Ask first (GET), then raise the complaint (POST) and open it; one already raised is opened at once."""
    back = reverse("admin:surveys_surveyresponse_change", args=[response.pk])
    existing = complaint_of_response(response)
    if existing is not None:
        messages.info(
            request,
            _("This comment was already raised as the complaint %(reference)s.") % {"reference": existing.reference},
        )
        return redirect(reverse("admin:complaints_complaint_change", args=[existing.pk]))
    if response.submitted_at is None or not (response.comments or "").strip():
        messages.warning(request, _("This response has no comment to raise a complaint from."))
        return redirect(back)

    def run():
        try:
            complaint = complaint_from_response(response, by=request.user)
        except ComplaintError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(back)
        messages.success(
            request, _("The complaint %(reference)s was raised from this comment.") % {"reference": complaint.reference}
        )
        return redirect(reverse("admin:complaints_complaint_change", args=[complaint.pk]))

    return confirm_then(
        request,
        model_admin,
        obj=response,
        title=_("Raise a complaint"),
        message=_(
            "Raise a complaint from the patient's comment? It is received through the survey channel, "
            "for the patient, the visit and its department, and its service-level clocks start from "
            "when the patient submitted the survey."
        ),
        button=_("Raise a complaint"),
        back_url=back,
        on_confirm=run,
    )


def register_survey_actions() -> None:
    """Add "Raise a complaint" to the survey response page (called from ``ComplaintsConfig.ready``)."""
    from px360.surveys.admin.extensions import register_detail_action

    register_detail_action(
        "raise_complaint",
        label=gettext_lazy("Raise a complaint"),
        handler=raise_complaint,
        permissions=(ADD_PERMISSION,),
        icon="report",
    )
