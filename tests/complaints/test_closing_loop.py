"""Closing the loop: a closed complaint asks the patient how it was handled; a low score reopens it."""

import importlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.translation import gettext
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.complaints import services
from px360.complaints.choices import ComplainantKind, ComplaintStatus, UpdateKind
from px360.complaints.closing_loop import resolution_survey_answered, send_resolution_survey
from px360.complaints.from_survey import raise_complaint
from px360.complaints.models import Complaint, HCATCategory
from px360.complaints.notices import REOPENED
from px360.complaints.services import Contact, IssueCoding, NewComplaint, complaint_create, complaint_transition
from px360.notifications.models import Notification, StaffNotice
from px360.surveys import hooks
from px360.surveys.admin.extensions import detail_actions
from px360.surveys.choices import SurveyStatus, TemplateKind
from px360.surveys.library import load_library
from px360.surveys.models import SurveyInstance, SurveyResponse, SurveyTemplate
from px360.surveys.services import survey_create, surveys_dispatch_due

from ..factories import PatientFactory
from .loop_support import answer, complaint_setup, visit, with_permissions

RIYADH = ZoneInfo("Asia/Riyadh")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=RIYADH)
LOW = {"handling_satisfaction": 1, "response_time": 2, "kept_informed": 0, "resolved": 0}  # mean 12.5
HIGH = {"handling_satisfaction": 5, "response_time": 4, "kept_informed": 1, "resolved": 1}  # mean 87.5

pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with freeze_time(NOW) as frozen:
        yield frozen


@pytest.fixture
def setup(db):
    complaint_setup()
    load_library()


@pytest.fixture
def coordinator(make_user, hospital_a, setup):
    return with_permissions(
        make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a"),
        "add_complaint",
        "view_complaint",
        "change_complaint",
    )


@pytest.fixture
def patient(hospital_a):
    return PatientFactory(
        hospital=hospital_a,
        phone="+966501112233",
        email="",
        birth_date=date(1975, 2, 1),
        preferred_language="ar",
        name_ar="فهد العتيبي",
        name_en="Fahad Al-Otaibi",
    )


@pytest.fixture
def make_complaint(coordinator, hospital_a):
    def make(*, patient=None, kind=ComplainantKind.PATIENT, phone="+966501112233", email="", language="en"):
        return complaint_create(
            NewComplaint(
                hospital=hospital_a,
                summary="Waited four hours",
                description="I waited four hours for my appointment.",
                contact=Contact(kind=kind, name="Fahad", phone=phone, email=email, language=language),
                patient=patient,
                encounter=visit(patient) if patient is not None else None,
                issues=[IssueCoding(category=HCATCategory.objects.get(code="communication"), severity=1)],
            ),
            by=coordinator,
        )

    return make


def close(complaint, by) -> Complaint:
    complaint.resolution = "We apologised and changed how the clinic calls patients in."
    complaint.save(update_fields=["resolution", "updated_at"])
    complaint_transition(complaint, ComplaintStatus.RESOLVED, by=by)
    complaint_transition(complaint, ComplaintStatus.CLOSED, by=by)
    return Complaint.objects.get(pk=complaint.pk)


def notes(complaint) -> list[str]:
    return list(complaint.updates.filter(kind=UpdateKind.NOTE).values_list("text", flat=True))


def test_closing_sends_the_resolution_survey_even_to_a_patient_surveyed_this_month(
    make_complaint, coordinator, patient
):
    survey_create(
        template=SurveyTemplate.objects.get(code="nps-only"),
        patient=patient,
        trigger_key="visit:last-week",
        triggered_at=NOW - timedelta(days=7),
    )
    complaint = make_complaint(patient=patient)

    closed = close(complaint, coordinator)

    invitation = closed.resolution_survey
    assert invitation is not None
    assert invitation.template.kind == TemplateKind.COMPLAINT_RESOLUTION
    assert invitation.status == SurveyStatus.SCHEDULED
    assert (invitation.patient, invitation.encounter, invitation.language) == (patient, complaint.encounter, "en")
    assert invitation.scheduled_at == NOW

    messages = Notification.objects.filter(survey_instance=invitation)
    assert not messages.exists()
    surveys_dispatch_due(now=NOW)
    invitation.refresh_from_db()
    assert invitation.status == SurveyStatus.INVITED
    assert messages.get().recipient == "+966501112233"


def test_closing_twice_after_a_reopen_asks_again_and_a_repeated_close_does_not(make_complaint, coordinator, patient):
    closed = close(make_complaint(patient=patient), coordinator)
    first = closed.resolution_survey
    assert send_resolution_survey(closed) == first  # the same closing: the same invitation

    complaint_transition(closed, ComplaintStatus.IN_PROGRESS, by=coordinator, note="The patient called back.")
    closed_again = close(Complaint.objects.get(pk=closed.pk), coordinator)

    assert closed_again.resolution_survey not in (None, first)
    assert SurveyInstance.objects.filter(patient=patient, template__kind=TemplateKind.COMPLAINT_RESOLUTION).count() == 2


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("anonymous", "The complaint is anonymous: no resolution survey was sent."),
        ("no patient", "No patient is linked to the complaint: no resolution survey was sent."),
        (
            "no contact",
            "Neither the complainant nor the patient left a phone or an e-mail: no resolution survey was sent.",
        ),
    ],
)
def test_who_cannot_be_asked_gets_no_survey_and_the_timeline_says_why(
    make_complaint, coordinator, hospital_a, patient, case, expected
):
    if case == "anonymous":
        complaint = make_complaint(patient=patient, kind=ComplainantKind.ANONYMOUS)
    elif case == "no patient":
        complaint = make_complaint(patient=None)
    else:
        unreachable = PatientFactory(hospital=hospital_a, phone="", email="")
        complaint = make_complaint(patient=unreachable, phone="", email="")

    with translation.override("en"):
        closed = close(complaint, coordinator)

    assert closed.resolution_survey is None
    assert not SurveyInstance.objects.filter(template__kind=TemplateKind.COMPLAINT_RESOLUTION).exists()
    assert expected in notes(closed)


def test_a_patient_who_opted_out_gets_no_survey_and_the_timeline_says_so(make_complaint, coordinator, patient):
    patient.opted_out_whatsapp = patient.opted_out_sms = True
    patient.save()

    with translation.override("en"):
        closed = close(make_complaint(patient=patient), coordinator)

    assert closed.resolution_survey.status == SurveyStatus.SUPPRESSED
    assert "The resolution survey was not sent: Patient opted out of every usable channel." in notes(closed)


def test_without_an_active_resolution_survey_nothing_is_sent_and_the_timeline_says_so(
    make_complaint, coordinator, patient
):
    SurveyTemplate.objects.filter(kind=TemplateKind.COMPLAINT_RESOLUTION).update(is_active=False)

    with translation.override("en"):
        closed = close(make_complaint(patient=patient), coordinator)

    assert closed.resolution_survey is None
    assert "No complaint resolution survey is active: none was sent." in notes(closed)


def test_a_hospitals_own_resolution_survey_wins_over_the_groups(make_complaint, coordinator, patient, hospital_a):
    own = SurveyTemplate.objects.create(
        code="ha-resolution", hospital=hospital_a, kind=TemplateKind.COMPLAINT_RESOLUTION, name_ar="خاص", name_en="Own"
    )
    own.questions.create(
        code="handling_satisfaction", text_ar="ما رأيك؟", text_en="Rate us", question_type="rating_1_5"
    )

    closed = close(make_complaint(patient=patient), coordinator)

    assert closed.resolution_survey.template == own


def test_a_low_score_reopens_the_complaint_and_escalates_to_the_hospital_admins(
    make_complaint, coordinator, patient, hospital_admin_a, django_capture_on_commit_callbacks
):
    closed = close(make_complaint(patient=patient), coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = answer(closed.resolution_survey, LOW)

    assert response.mean_score == 12.5
    complaint = Complaint.objects.get(pk=closed.pk)
    assert complaint.status == ComplaintStatus.IN_PROGRESS
    assert complaint.reopen_count == 1
    assert complaint.closed_at is None
    reopened = complaint.updates.filter(kind=UpdateKind.STATUS, new_status=ComplaintStatus.IN_PROGRESS).get()
    assert reopened.old_status == ComplaintStatus.CLOSED
    assert "12" in reopened.text
    notice = StaffNotice.objects.get(user=hospital_admin_a, kind=REOPENED.code)
    assert notice.params["reference"] == complaint.reference
    assert notice.hospital_id == complaint.hospital_id


def test_a_high_score_leaves_the_complaint_closed_and_notes_the_score(
    make_complaint, coordinator, patient, hospital_admin_a, django_capture_on_commit_callbacks
):
    closed = close(make_complaint(patient=patient), coordinator)

    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        answer(closed.resolution_survey, HIGH)

    complaint = Complaint.objects.get(pk=closed.pk)
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.reopen_count == 0
    assert not StaffNotice.objects.filter(kind=REOPENED.code).exists()
    # The timeline is written in the site's language, whatever page the patient answered on.
    with translation.override("ar"):
        expected = gettext("The complainant rated the handling %(score)s out of 100.") % {"score": 88}
    assert expected in notes(complaint)


def test_a_low_score_for_a_complaint_reopened_meanwhile_is_noted_and_reopens_nothing(
    make_complaint, coordinator, patient
):
    closed = close(make_complaint(patient=patient), coordinator)
    complaint_transition(closed, ComplaintStatus.IN_PROGRESS, by=coordinator, note="The patient called back.")

    with translation.override("en"):
        answer(closed.resolution_survey, LOW)

    complaint = Complaint.objects.get(pk=closed.pk)
    assert (complaint.status, complaint.reopen_count) == (ComplaintStatus.IN_PROGRESS, 1)
    with translation.override("ar"):
        expected = gettext("The complainant rated the handling %(score)s out of 100.") % {"score": 12}
    assert expected in notes(complaint)


def test_the_low_score_threshold_is_a_setting(make_complaint, coordinator, patient, settings):
    settings.PX360_COMPLAINT_LOW_SCORE = 90
    closed = close(make_complaint(patient=patient), coordinator)

    answer(closed.resolution_survey, HIGH)  # 87.5

    assert Complaint.objects.get(pk=closed.pk).status == ComplaintStatus.IN_PROGRESS


def test_a_journey_surveys_low_score_changes_no_complaint(make_complaint, coordinator, patient):
    closed = close(make_complaint(patient=patient), coordinator)
    journey_survey = survey_create(
        template=SurveyTemplate.objects.get(code="nps-only"),
        patient=PatientFactory(hospital=patient.hospital, phone="+966509998877"),
        trigger_key="visit:other",
        triggered_at=NOW,
    )

    answer(journey_survey, {"recommend": 0, "recommend_why": "Bad"})

    assert Complaint.objects.get(pk=closed.pk).status == ComplaintStatus.CLOSED


def test_a_failing_listener_keeps_the_patients_answers(make_complaint, coordinator, patient):
    closed = close(make_complaint(patient=patient), coordinator)

    def broken(response):
        SurveyResponse.objects.filter(pk=response.pk).update(comments="overwritten")
        raise RuntimeError("a bug in a later app")

    hooks.on_response_completed(broken)
    try:
        response = answer(closed.resolution_survey, LOW)
    finally:
        hooks._completed_listeners.remove(broken)

    response.refresh_from_db()
    assert response.submitted_at is not None and response.comments == ""
    assert response.instance.status == SurveyStatus.COMPLETED
    assert Complaint.objects.get(pk=closed.pk).status == ComplaintStatus.IN_PROGRESS


def test_the_app_connects_the_loop_and_the_survey_button_on_start():
    assert send_resolution_survey in services._closing_listeners
    assert resolution_survey_answered in hooks.completed_listeners()
    assert raise_complaint in [action.handler for action in detail_actions()]


def test_the_resolution_survey_is_installed_once_by_the_migrations(db):
    SurveyTemplate.all_objects.filter(code="complaint-resolution").delete()
    SurveyTemplate.all_objects.filter(code="complaint-resolution").hard_delete()
    migration = importlib.import_module("px360.complaints.migrations.0003_complaint_resolution_survey")

    migration.install_resolution_survey(apps, None)
    migration.install_resolution_survey(apps, None)

    template = SurveyTemplate.objects.get(code="complaint-resolution")
    assert template.kind == TemplateKind.COMPLAINT_RESOLUTION and template.hospital is None
    assert template.name_ar and template.name_en
    questions = list(template.questions.order_by("order"))
    assert [q.code for q in questions][:2] == ["handling_satisfaction", "response_time"]
    assert all(q.text_ar and q.text_en for q in questions)
    assert template.questions.get(code="not_resolved_why").follow_up_of.code == "resolved"
