"""A patient's survey comment becomes a complaint in one click, once."""

import threading
from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.complaints import from_survey
from px360.complaints.choices import Channel, ComplainantKind, Relation, UpdateKind
from px360.complaints.from_survey import complaint_from_response
from px360.complaints.models import Complaint
from px360.complaints.services import ComplaintError
from px360.surveys.library import load_library
from px360.surveys.models import GuardianContact, SurveyResponse, SurveyTemplate
from px360.surveys.services import survey_create

from ..factories import DepartmentFactory, PatientFactory
from .loop_support import answer, complaint_setup, visit, with_permissions

RIYADH = ZoneInfo("Asia/Riyadh")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=RIYADH)
COMPLAINT_PERMISSIONS = ("add_complaint", "view_complaint", "change_complaint")
COMMENT = "The nurse at the desk shouted at my mother.\nNobody apologised."

pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with freeze_time(NOW):
        yield


@pytest.fixture
def department(hospital_a):
    return DepartmentFactory(hospital=hospital_a, code="OPD", name_en="Outpatients", name_ar="العيادات")


@pytest.fixture
def patient(hospital_a):
    return PatientFactory(
        hospital=hospital_a,
        phone="+966501112233",
        email="patient@example.com",
        birth_date=date(1980, 5, 1),
        preferred_language="ar",
        name_ar="نورة القحطاني",
        name_en="Noura Al-Qahtani",
    )


@pytest.fixture
def response(db, patient, department):
    """A submitted answer to the one-question survey, with the comment its follow-up asks for, in English."""
    complaint_setup()
    load_library()
    encounter = visit(patient, department=department)
    instance = survey_create(
        template=SurveyTemplate.objects.get(code="nps-only"),
        patient=patient,
        encounter=encounter,
        trigger_key="test:nps",
        triggered_at=encounter.discharged_at,
        language="en",
    )
    return answer(instance, {"recommend": 2, "recommend_why": COMMENT})


@pytest.fixture
def coordinator(make_user, hospital_a):
    return with_permissions(
        make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a"), *COMPLAINT_PERMISSIONS
    )


def action_url(response) -> str:
    with translation.override("en"):
        return reverse("admin:surveys_surveyresponse_extension_raise_complaint", args=[response.pk])


def test_a_survey_comment_becomes_one_complaint_however_often_it_is_raised(response, coordinator, patient):
    complaint = complaint_from_response(response, by=coordinator)
    again = complaint_from_response(response, by=coordinator)

    assert again == complaint
    assert Complaint.objects.count() == 1
    assert complaint.channel == Channel.SURVEY
    assert complaint.survey_response == response
    assert complaint.hospital == response.hospital
    assert complaint.patient == patient
    assert complaint.encounter == response.instance.encounter
    assert complaint.department.code == "OPD"
    assert complaint.language == "en"
    assert complaint.description == COMMENT
    assert complaint.summary == "The nurse at the desk shouted at my mother."
    assert complaint.received_at == response.submitted_at
    assert (complaint.complainant_kind, complaint.contact_name, complaint.contact_phone) == (
        ComplainantKind.PATIENT,
        "Noura Al-Qahtani",
        "+966501112233",
    )
    assert complaint.reference.startswith("CMP-2026-")
    assert complaint.updates.filter(kind=UpdateKind.NOTE, text__contains=response.instance.reference).count() == 1


def test_a_guardians_comment_is_raised_on_the_patients_behalf(db, hospital_a, department):
    complaint_setup()
    load_library()
    child = PatientFactory(hospital=hospital_a, birth_date=date(2015, 1, 1), phone="", email="")
    GuardianContact.objects.create(patient=child, relationship="أم", phone="+966502223344")
    instance = survey_create(
        template=SurveyTemplate.objects.get(code="nps-only"),
        patient=child,
        encounter=visit(child, department=department, number="V-2"),
        trigger_key="test:child",
        triggered_at=NOW,
    )
    assert instance.to_guardian
    response = answer(instance, {"recommend": 1, "recommend_why": "الانتظار طويل جداً"})

    complaint = complaint_from_response(response, by=None)

    assert (complaint.complainant_kind, complaint.contact_relation, complaint.contact_phone) == (
        ComplainantKind.ON_BEHALF,
        Relation.GUARDIAN,
        "+966502223344",
    )
    assert complaint.patient == child
    assert complaint.language == "ar"


def test_a_response_without_a_comment_raises_no_complaint(db, patient, department, coordinator):
    load_library()
    instance = survey_create(
        template=SurveyTemplate.objects.get(code="nps-only"),
        patient=patient,
        encounter=visit(patient, department=department),
        trigger_key="test:silent",
        triggered_at=NOW,
    )
    response = answer(instance, {"recommend": 10})

    with pytest.raises(ComplaintError):
        complaint_from_response(response, by=coordinator)
    assert Complaint.objects.count() == 0


def test_the_response_page_raises_the_complaint_in_one_click_and_a_second_click_opens_it(client, response, coordinator):
    client.force_login(coordinator)
    with translation.override("en"):
        page = client.get(reverse("admin:surveys_surveyresponse_change", args=[response.pk]))
    assert page.status_code == 200
    assert action_url(response) in page.content.decode()

    confirm = client.get(action_url(response))
    assert confirm.status_code == 200
    assert "It is received through the survey channel" in confirm.content.decode()
    assert Complaint.objects.count() == 0

    first = client.post(action_url(response))
    complaint = Complaint.objects.get()
    with translation.override("en"):
        complaint_url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
    assert first.status_code == 302 and first["Location"] == complaint_url

    second = client.post(action_url(response))
    assert second.status_code == 302 and second["Location"] == complaint_url
    assert Complaint.objects.count() == 1
    assert complaint.created_by == coordinator


def test_another_hospitals_coordinator_gets_404_and_raises_nothing(client, response, make_user, hospital_b):
    outsider = with_permissions(
        make_user(RoleCode.PX_COORDINATOR, hospital=hospital_b, username="coord_b"), *COMPLAINT_PERMISSIONS
    )
    client.force_login(outsider)

    assert client.get(action_url(response)).status_code == 404
    assert client.post(action_url(response)).status_code == 404
    assert Complaint.objects.count() == 0


def test_without_the_permission_to_add_complaints_there_is_no_button_and_no_complaint(
    client, response, make_user, hospital_a
):
    reader = make_user(RoleCode.VIEWER, hospital=hospital_a, username="viewer_a")
    client.force_login(reader)
    assert reader.has_perm("surveys.view_surveyresponse") and not reader.has_perm("complaints.add_complaint")

    with translation.override("en"):
        page = client.get(reverse("admin:surveys_surveyresponse_change", args=[response.pk]))
    assert page.status_code == 200
    assert action_url(response) not in page.content.decode()
    assert client.post(action_url(response)).status_code == 403
    assert Complaint.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite lets one writer in at a time, so two clicks can never interleave",
)
def test_two_clicks_at_the_same_moment_raise_one_complaint(response, coordinator):
    both_looked = threading.Barrier(2, timeout=20)
    waited = threading.local()
    real_lookup = from_survey.complaint_of_response

    def look_then_wait(survey_response):
        # Both clicks have looked for a complaint of this response, and found none, before either makes one.
        found = real_lookup(survey_response)
        if not getattr(waited, "done", False):
            waited.done = True
            both_looked.wait()
        return found

    results: dict = {}

    def click(name):
        try:
            fresh = SurveyResponse.objects.get(pk=response.pk)
            results[name] = from_survey.complaint_from_response(fresh, by=coordinator).pk
        except Exception as error:  # reported by the assertions below
            results[name] = error
        finally:
            connection.close()

    with mock.patch.object(from_survey, "complaint_of_response", look_then_wait):
        threads = [threading.Thread(target=click, args=(name,)) for name in ("first", "second")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert results["first"] == results["second"], results
    assert Complaint.objects.filter(survey_response=response).count() == 1
