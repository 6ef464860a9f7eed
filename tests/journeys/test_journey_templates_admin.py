"""Journey templates follow the survey-template rule: hospitals manage their own, PX Admins the group's.

A template without a hospital is the group default every hospital without its own uses; a Hospital
Admin who could create one would change the journeys (and the surveys) of every other hospital.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from px360.accounts.roles import RoleCode
from px360.journeys.library import load_journey_templates
from px360.journeys.models import JourneyStageTemplate, JourneyTemplate

pytestmark = pytest.mark.django_db

ADD_URL = "admin:journeys_journeytemplate_add"


@pytest.fixture
def group_templates(db):
    load_journey_templates()
    return {template.journey_type: template for template in JourneyTemplate.objects.filter(hospital__isnull=True)}


@pytest.fixture
def px_admin(make_user, hospital_a):
    return make_user(RoleCode.PX_ADMIN, hospital=hospital_a, username="px_admin")


def form_data(*, journey_type="OPD", hospital=None, name="Own OPD", is_active=True, stages=(), initial_stages=0):
    data = {
        "journey_type": journey_type,
        "hospital": str(hospital.pk) if hospital else "",
        "name_ar": name,
        "name_en": name,
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": str(initial_stages),
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
    }
    if is_active:
        data["is_active"] = "on"
    for index, stage in enumerate(stages):
        for key, value in stage.items():
            data[f"stages-{index}-{key}"] = value
    return data


def stage_row(stage: JourneyStageTemplate, **changes) -> dict:
    row = {
        "id": str(stage.pk),
        "template": str(stage.template_id),
        "order": str(stage.order),
        "code": stage.code,
        "name_ar": stage.name_ar,
        "name_en": stage.name_en,
        "completes_on": list(stage.completes_on),
        "survey_delay_hours": str(stage.survey_delay_hours),
        "survey_template": str(stage.survey_template_id or ""),
    }
    if stage.is_required:
        row["is_required"] = "on"
    row.update(changes)
    return row


@pytest.mark.parametrize("role", [RoleCode.HOSPITAL_ADMIN, RoleCode.PX_COORDINATOR])
def test_a_hospital_user_cannot_create_a_group_wide_template(client, make_user, hospital_a, role):
    client.force_login(make_user(role, hospital=hospital_a, username="hospital_user"))
    with translation.override("en"):
        response = client.post(reverse(ADD_URL), form_data(hospital=None))
    assert response.status_code == 200
    # The page was rendered in English (the URL's language), whatever is active now.
    assert "Choose your hospital: only a PX Admin manages group-wide journey templates." in response.content.decode()
    assert not JourneyTemplate.objects.exists()


def test_a_hospital_admin_creates_a_template_for_their_own_hospital_only(
    client, hospital_admin_a, hospital_a, hospital_b
):
    client.force_login(hospital_admin_a)
    other = client.post(reverse(ADD_URL), form_data(hospital=hospital_b))
    assert other.status_code == 200 and "hospital" in other.context["adminform"].form.errors
    own = client.post(reverse(ADD_URL), form_data(hospital=hospital_a))
    assert own.status_code == 302
    assert list(JourneyTemplate.objects.values_list("hospital__code", flat=True)) == ["HA"]


def test_a_hospital_admin_cannot_turn_their_template_into_the_group_default(client, hospital_admin_a, hospital_a):
    own = JourneyTemplate.objects.create(journey_type="OPD", hospital=hospital_a, name="Own", name_ar="Own")
    client.force_login(hospital_admin_a)
    url = reverse("admin:journeys_journeytemplate_change", args=[own.pk])
    response = client.post(url, form_data(hospital=None, name="Own"))
    assert response.status_code == 200 and "hospital" in response.context["adminform"].form.errors
    own.refresh_from_db()
    assert own.hospital == hospital_a


def test_a_px_admin_manages_group_wide_templates(client, px_admin):
    client.force_login(px_admin)
    response = client.post(reverse(ADD_URL), form_data(hospital=None, name="Group OPD"))
    assert response.status_code == 302
    assert JourneyTemplate.objects.get().hospital is None


def test_a_group_template_and_its_stages_are_read_only_for_a_hospital_admin(client, hospital_admin_a, group_templates):
    template = group_templates["OPD"]
    stage = template.stages.get(code="end_of_visit")
    client.force_login(hospital_admin_a)
    url = reverse("admin:journeys_journeytemplate_change", args=[template.pk])

    page = client.get(url)
    assert page.status_code == 200  # hospitals read the default they run on
    assert page.context["has_change_permission"] is False and page.context["has_delete_permission"] is False
    assert all(not formset.has_change_permission for formset in page.context["inline_admin_formsets"])

    stages = [stage_row(s) for s in template.stages.order_by("order")]
    changed = [row if row["code"] != "end_of_visit" else {**row, "completes_on": ["A08"]} for row in stages]
    data = form_data(hospital=None, name="Taken over", stages=changed, initial_stages=len(stages))
    assert client.post(url, data).status_code == 403
    delete = client.post(reverse("admin:journeys_journeytemplate_delete", args=[template.pk]), {"post": "yes"})
    assert delete.status_code == 403

    template.refresh_from_db()
    stage.refresh_from_db()
    assert template.name_en != "Taken over" and template.deleted_at is None
    assert stage.completes_on == ["A03"]


def test_a_hospital_admin_edits_the_stages_of_their_own_template(client, hospital_admin_a, hospital_a):
    own = JourneyTemplate.objects.create(journey_type="OPD", hospital=hospital_a, name="Own", name_ar="Own")
    stage = JourneyStageTemplate.objects.create(
        template=own, order=1, code="end_of_visit", name="End", name_ar="End", name_en="End", completes_on=["A03"]
    )
    client.force_login(hospital_admin_a)
    url = reverse("admin:journeys_journeytemplate_change", args=[own.pk])
    data = form_data(
        hospital=hospital_a, name="Own", stages=[stage_row(stage, completes_on=["A03", "A08"])], initial_stages=1
    )
    assert client.post(url, data).status_code == 302
    stage.refresh_from_db()
    assert stage.completes_on == ["A03", "A08"]


def test_a_second_active_template_for_a_hospital_is_a_form_error_in_the_users_language(
    client, hospital_admin_a, hospital_a
):
    JourneyTemplate.objects.create(journey_type="OPD", hospital=hospital_a, name="First", name_ar="First")
    client.force_login(hospital_admin_a)
    with translation.override("ar"):
        response = client.post(reverse(ADD_URL), form_data(hospital=hospital_a, name="Second"))
    assert response.status_code == 200
    assert "لدى هذا المستشفى قالب نشط لهذا النوع من الرحلات مسبقًا." in response.content.decode()
    assert JourneyTemplate.objects.count() == 1
    inactive = client.post(reverse(ADD_URL), form_data(hospital=hospital_a, name="Draft", is_active=False))
    assert inactive.status_code == 302  # an inactive second one is a draft, and allowed


def test_a_second_active_group_default_is_a_form_error(client, px_admin, group_templates):
    client.force_login(px_admin)
    with translation.override("ar"):
        response = client.post(reverse(ADD_URL), form_data(hospital=None, name="Another default"))
    assert response.status_code == 200
    assert "يوجد مسبقًا قالب نشط على مستوى المجموعة لهذا النوع من الرحلات." in response.content.decode()
    assert JourneyTemplate.objects.filter(journey_type="OPD").count() == 1


def test_reactivating_a_second_template_is_a_form_error(client, hospital_admin_a, hospital_a):
    JourneyTemplate.objects.create(journey_type="OPD", hospital=hospital_a, name="Live", name_ar="Live")
    draft = JourneyTemplate.objects.create(
        journey_type="OPD", hospital=hospital_a, name="Draft", name_ar="Draft", is_active=False
    )
    client.force_login(hospital_admin_a)
    url = reverse("admin:journeys_journeytemplate_change", args=[draft.pk])
    response = client.post(url, form_data(hospital=hospital_a, name="Draft", is_active=True))
    assert response.status_code == 200 and response.context["adminform"].form.non_field_errors()
    draft.refresh_from_db()
    assert draft.is_active is False


def test_the_error_banner_counts_the_forms_errors_in_arabic(client, hospital_admin_a):
    """Unfold counted a change form's errors as 0, which Arabic reads "there are no errors to correct"."""
    client.force_login(hospital_admin_a)
    with translation.override("ar"):
        response = client.post(reverse(ADD_URL), form_data(hospital=None))
    page = response.content.decode()
    assert "يُرجى تصحيح الخطأ أدناه." in page
    assert "لا توجد أخطاء لتصحيحها" not in page


@pytest.fixture
def surveys(hospital_a, hospital_b):
    from px360.surveys.models import SurveyTemplate

    return {
        "own": SurveyTemplate.objects.create(code="own-opd", name_en="Own OPD", name_ar="زيارة", hospital=hospital_a),
        "group": SurveyTemplate.objects.create(code="group-opd", name_en="Group OPD", name_ar="عام"),
        "other": SurveyTemplate.objects.create(code="b-opd", name_en="B OPD", name_ar="ب", hospital=hospital_b),
        "inactive": SurveyTemplate.objects.create(
            code="old-opd", name_en="Old", name_ar="قديم", hospital=hospital_a, is_active=False
        ),
    }


def test_a_hospital_admin_chooses_which_survey_a_stage_sends_among_their_own_and_the_groups(
    client, hospital_admin_a, hospital_a, surveys
):
    own = JourneyTemplate.objects.create(journey_type="OPD", hospital=hospital_a, name="Own", name_ar="Own")
    stage = JourneyStageTemplate.objects.create(
        template=own, order=1, code="end_of_visit", name="End", name_ar="End", name_en="End", completes_on=["A03"]
    )
    client.force_login(hospital_admin_a)
    url = reverse("admin:journeys_journeytemplate_change", args=[own.pk])
    page = client.get(url)
    offered = set(page.context["inline_admin_formsets"][0].formset.forms[0].fields["survey_template"].queryset)
    # Their own and the group's (the group also has the templates migrations install); never another
    # hospital's or an inactive one.
    assert {surveys["own"], surveys["group"]} <= offered
    assert not offered & {surveys["other"], surveys["inactive"]}
    assert all(template.hospital_id in (None, hospital_a.pk) for template in offered)

    data = form_data(
        hospital=hospital_a,
        name="Own",
        stages=[stage_row(stage, survey_template=str(surveys["own"].pk), survey_delay_hours="4")],
        initial_stages=1,
    )
    assert client.post(url, data).status_code == 302
    stage.refresh_from_db()
    assert (stage.survey_template, stage.survey_delay_hours) == (surveys["own"], 4)

    for refused in ("other", "inactive"):
        data = form_data(
            hospital=hospital_a,
            name="Own",
            stages=[stage_row(stage, survey_template=str(surveys[refused].pk))],
            initial_stages=1,
        )
        response = client.post(url, data)
        assert response.status_code == 200, refused
        stage.refresh_from_db()
        assert stage.survey_template == surveys["own"], refused


def test_a_group_journey_cannot_send_one_hospitals_survey(hospital_a, surveys, group_templates):
    from django.core.exceptions import ValidationError

    stage = group_templates["OPD"].stages.first()
    stage.survey_template = surveys["own"]
    with translation.override("en"), pytest.raises(ValidationError, match="of this journey's hospital or of the group"):
        stage.full_clean()
    stage.survey_template = surveys["group"]
    stage.full_clean()
