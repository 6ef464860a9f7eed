"""The surveys admin: funnel counts, responses question by question, scope, export."""

import pytest
from django.urls import reverse
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.notifications.models import Notification
from px360.notifications.tasks import send_due
from px360.surveys.models import SurveyInstance, SurveyResponse, SurveyTemplate
from px360.surveys.services import survey_link_value, survey_schedule_for_stage, surveys_dispatch_due

from ..factories import PatientFactory
from ..helpers import export_rows
from .conftest import riyadh

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_patient, complete_stage, library, hospital_b, client):
    """Hospital A: 4 invitations (one suppressed, one completed negative); hospital B: one."""
    with freeze_time("2026-11-20T10:00:00+03:00"):
        stages = [
            complete_stage(
                make_patient(mrn=f"A{i}", national_id=""),
                survey=library["nps-only"],
                at=riyadh(2026, 11, 20, 9, 0),
                delay_hours=0,
            )
            for i in range(3)
        ]
        dead = complete_stage(
            make_patient(mrn="A-dead", national_id="", is_deceased=True),
            survey=library["opd-visit"],
            at=riyadh(2026, 11, 20, 9, 0),
        )
        other = PatientFactory(hospital=hospital_b, mrn="B1", phone="+966500000001", birth_date=None)
        b_stage = complete_stage(other, survey=library["nps-only"], at=riyadh(2026, 11, 20, 9, 0), delay_hours=0)
        instances = [survey_schedule_for_stage(stage=s) for s in [*stages, dead, b_stage]]
        surveys_dispatch_due()
        send_due()
        for instance in instances[:3]:
            instance.refresh_from_db()
        client.get(f"/s/{survey_link_value(instances[0])}/")
        client.post(
            f"/s/{survey_link_value(instances[0])}/",
            {"action": "submit", "q_recommend": "2", "q_recommend_why": "طال الانتظار كثيراً"},
        )
        client.get(f"/s/{survey_link_value(instances[1])}/")
    return {"instances": instances}


def test_the_funnel_counts_match_the_raw_rows(client, world, superuser, library):
    client.force_login(superuser)
    page = client.get(reverse("admin:surveys_surveyinstance_funnel"))
    assert page.status_code == 200
    rows = {row["code"]: row for row in page.context["by_template"]}
    for code in ("nps-only", "opd-visit"):
        raw = SurveyInstance.objects.filter(template__code=code)
        expected = {
            "triggered": raw.count(),
            "suppressed": raw.filter(status="suppressed").count(),
            "scheduled": raw.exclude(status="suppressed").count(),
            "sent": raw.filter(notifications__status__in=["sent", "delivered"]).distinct().count(),
            "delivered": raw.filter(notifications__status="delivered").distinct().count(),
            "opened": raw.filter(opened_at__isnull=False).count(),
            "completed": raw.filter(status="completed").count(),
        }
        assert {k: rows[code][k] for k in expected} == expected
    assert rows["nps-only"]["triggered"] == 4 and rows["nps-only"]["opened"] == 2 and rows["nps-only"]["completed"] == 1
    assert rows["opd-visit"]["suppressed"] == 1
    by_hospital = {row["code"]: row for row in page.context["by_hospital"]}
    assert by_hospital["HA"]["triggered"] == 4 and by_hospital["HB"]["triggered"] == 1


def test_a_coordinator_sees_only_their_hospital_and_gets_404_outside_it(client, world, make_user, hospital_a):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a)
    client.force_login(coordinator)
    page = client.get(reverse("admin:surveys_surveyinstance_funnel"))
    assert {row["code"] for row in page.context["by_hospital"]} == {"HA"}
    b_instance = world["instances"][-1]
    assert client.get(reverse("admin:surveys_surveyinstance_change", args=[b_instance.pk])).status_code == 404
    assert (
        client.get(reverse("admin:surveys_surveyinstance_change", args=[world["instances"][0].pk])).status_code == 200
    )
    b_notification = Notification.objects.get(survey_instance=b_instance)
    assert client.get(reverse("admin:notifications_notification_change", args=[b_notification.pk])).status_code == 404


def test_a_response_is_shown_question_by_question_in_the_admins_language(client, world, superuser):
    client.force_login(superuser)
    response = SurveyResponse.objects.get()
    arabic = client.get(f"/ar/admin/surveys/surveyresponse/{response.pk}/change/").content.decode()
    english = client.get(f"/en/admin/surveys/surveyresponse/{response.pk}/change/").content.decode()
    assert "ما مدى احتمال أن توصي بنا" in arabic and "2 / 10" in arabic
    assert "How likely are you to recommend us" in english and "طال الانتظار كثيراً" in english


def _answer(client, instance, score):
    with freeze_time("2026-11-20T11:00:00+03:00"):
        page = client.post(f"/s/{survey_link_value(instance)}/", {"action": "submit", "q_recommend": str(score)})
    assert page.status_code == 302
    return SurveyResponse.objects.get(instance=instance)


def test_negative_responses_are_listed_with_their_comments(client, world, superuser):
    negative = SurveyResponse.objects.get()
    positive = _answer(client, world["instances"][1], 10)
    assert (negative.is_negative, positive.is_negative) == (True, False)
    client.force_login(superuser)
    url = reverse("admin:surveys_surveyresponse_changelist")
    page = client.get(url + "?negative=yes")
    assert list(page.context["cl"].result_list) == [negative]
    assert "طال الانتظار كثيراً" in page.content.decode()
    assert list(client.get(url + "?negative=no").context["cl"].result_list) == [positive]


def test_export_of_responses_is_scoped(client, world, make_user, hospital_a):
    theirs = _answer(client, world["instances"][-1], 9)  # hospital B's patient answers too
    assert theirs.hospital.code == "HB"
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a)
    client.force_login(coordinator)
    status, rows = export_rows(client, SurveyResponse)
    assert status == 200
    assert rows[0][0].lstrip("\ufeff") == "response_id"
    assert len(rows) == 2 and "recommend=2" in rows[1][-1]


def test_suppressions_are_listed_with_their_reason(client, world, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:surveys_surveysuppression_changelist"))
    assert [i.suppression_reason for i in page.context["cl"].result_list] == ["deceased"]


def test_group_wide_instruments_are_read_only_for_a_coordinator(client, library, make_user, hospital_a):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a)
    client.force_login(coordinator)
    listing = client.get(reverse("admin:surveys_surveytemplate_changelist"))
    assert library["opd-visit"] in list(listing.context["cl"].result_list)
    page = client.get(reverse("admin:surveys_surveytemplate_change", args=[library["opd-visit"].pk]))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False


def test_the_template_page_with_its_question_inline_renders(client, library, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:surveys_surveytemplate_change", args=[library["opd-visit"].pk]))
    assert page.status_code == 200
    assert "doctor_explained" in page.content.decode()


def test_a_coordinator_cannot_create_a_group_wide_instrument(client, make_user, hospital_a):
    client.force_login(make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a))
    url = "/en/admin/surveys/surveytemplate/add/"
    page = client.get(url)
    form = page.context["adminform"].form
    assert form.fields["hospital"].required
    kind = form.fields["kind"].choices[1][0]
    data = {"code": "own-survey", "name_ar": "استبيان", "name_en": "Survey", "kind": kind, "is_active": "on"}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({f"{management.prefix}-{name}": value for name, value in management.initial.items()})

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Choose your hospital: only a PX Admin manages group-wide surveys." in response.content.decode()
    assert not SurveyTemplate.objects.filter(code="own-survey").exists()
    # The same form with their own hospital is saved.
    assert client.post(url, {**data, "hospital": str(hospital_a.pk)}).status_code == 302
    assert SurveyTemplate.objects.get(code="own-survey").hospital == hospital_a
