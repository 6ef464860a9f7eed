"""The survey settings kept as JSON are edited as fields: contact policies (channels in
order, excluded departments) and the options of choice questions (value, Arabic and
English label). Valid posts store the same JSON as before; invalid ones say why, in the
page's language."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from px360.accounts.roles import RoleCode
from px360.surveys.models import SurveyPolicy, SurveyQuestion, SurveyTemplate

from ..factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(hospital_a, department_a):
    DepartmentFactory(hospital=hospital_a, code="PSY", name_en="Psychiatry", name_ar="الطب النفسي")
    return SurveyPolicy.objects.create(hospital=hospital_a)


@pytest.fixture
def coordinator(client, make_user, hospital_a):
    user = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coordinator")
    client.force_login(user)
    return user


def policy_data(policy, **changes):
    data = {
        "hospital": str(policy.hospital_id),
        "frequency_days": "30",
        "maximum_visit_age_days": "14",
        "minimum_age": "18",
        "survey_guardian": "on",
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:00",
        "channel_order_0": "whatsapp",
        "channel_order_1": "sms",
        "channel_order_2": "email",
        "link_expiry_days": "7",
        "reminder_count": "1",
        "reminder_interval_hours": "48",
        "negative_rating_max": "2",
        "negative_nps_max": "6",
    }
    data.update(changes)
    return data


def policy_url(policy, language="en"):
    with translation.override(language):
        return reverse("admin:surveys_surveypolicy_change", args=[policy.pk])


def errors_of(response) -> list[str]:
    form = response.context["adminform"].form
    return [str(message) for messages in form.errors.values() for message in messages]


def test_the_policy_page_shows_fields_not_json(client, coordinator, policy):
    page = client.get(policy_url(policy)).content.decode()
    assert 'name="channel_order_0"' in page and 'name="channel_order_2"' in page
    assert 'name="excluded_department_codes"' in page and 'value="PSY"' in page
    assert 'name="quiet_hours_start"' in page and 'name="quiet_hours_end"' in page
    assert "[&quot;whatsapp&quot;" not in page  # no raw JSON to edit


def test_a_valid_policy_is_stored_as_the_same_json(client, coordinator, policy):
    response = client.post(
        policy_url(policy),
        policy_data(
            policy,
            channel_order_0="sms",
            channel_order_1="email",
            channel_order_2="",
            excluded_department_codes=["PSY", "MED"],
            quiet_hours_start="22:30",
            quiet_hours_end="07:15",
        ),
    )
    assert response.status_code == 302, errors_of(response)
    policy.refresh_from_db()
    assert policy.channel_order == ["sms", "email"]
    assert sorted(policy.excluded_department_codes) == ["MED", "PSY"]
    assert (policy.quiet_hours_start, policy.quiet_hours_end) == (dt.time(22, 30), dt.time(7, 15))


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        (("sms", "sms", ""), "Choose each channel only once."),
        (("", "sms", ""), "Fill the positions in order, without leaving a gap."),
        (("", "", ""), "Choose at least the first channel."),
        (("fax", "", ""), "Choose channels from the list."),
    ],
)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_invalid_channel_order_is_refused_with_a_translated_reason(
    client, coordinator, policy, channels, message, language
):
    data = policy_data(policy, **{f"channel_order_{n}": value for n, value in enumerate(channels)})
    response = client.post(policy_url(policy, language), data)
    assert response.status_code == 200
    with translation.override(language):
        expected = gettext(message)
    assert expected in errors_of(response)
    assert expected in response.content.decode()
    policy.refresh_from_db()
    assert policy.channel_order == ["whatsapp", "sms", "email"]


def test_an_unknown_department_code_is_refused(client, coordinator, policy):
    response = client.post(policy_url(policy), policy_data(policy, excluded_department_codes=["NOPE"]))
    assert response.status_code == 200
    assert any("NOPE" in error for error in errors_of(response))


# --- question options ----------------------------------------------------------------


@pytest.fixture
def choice_template(hospital_a):
    template = SurveyTemplate.objects.create(
        code="own-visit", name="زيارة", name_ar="زيارة", name_en="Visit", hospital=hospital_a
    )
    question = SurveyQuestion.objects.create(
        template=template,
        order=1,
        code="booking_channel",
        text="كيف حجزت؟",
        text_ar="كيف حجزت؟",
        text_en="How did you book?",
        question_type="single_choice",
        choices=[
            {"value": "app", "ar": "التطبيق", "en": "Mobile app"},
            {"value": "phone", "ar": "الهاتف", "en": "Phone"},
        ],
        required=False,
    )
    return template, question


def template_data(template, question, options, *, question_type="single_choice"):
    data = {
        "code": template.code,
        "name_ar": template.name_ar,
        "name_en": template.name_en,
        "kind": template.kind,
        "hospital": str(template.hospital_id),
        "is_active": "on",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "1",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-id": str(question.pk),
        "questions-0-template": str(template.pk),
        "questions-0-order": "1",
        "questions-0-code": question.code,
        "questions-0-text_ar": question.text_ar,
        "questions-0-text_en": question.text_en,
        "questions-0-question_type": question_type,
    }
    for number, (value, arabic, english) in enumerate([*options, ("", "", "")]):
        data[f"questions-0-choices_{number}_value"] = value
        data[f"questions-0-choices_{number}_ar"] = arabic
        data[f"questions-0-choices_{number}_en"] = english
    return data


def template_url(template, language="en"):
    with translation.override(language):
        return reverse("admin:surveys_surveytemplate_change", args=[template.pk])


def inline_errors(response) -> list[str]:
    formset = response.context["inline_admin_formsets"][0].formset
    return [str(message) for form in formset.forms for messages in form.errors.values() for message in messages]


def test_the_options_are_shown_as_a_table_of_labels(client, coordinator, choice_template):
    template, _question = choice_template
    page = client.get(template_url(template)).content.decode()
    assert 'name="questions-0-choices_0_value"' in page and 'value="app"' in page
    assert 'name="questions-0-choices_1_ar"' in page and 'value="الهاتف"' in page
    assert 'name="questions-0-choices_2_en"' in page  # an empty row for a new option


def test_valid_options_are_stored_as_the_same_json(client, coordinator, choice_template):
    template, question = choice_template
    options = [("app", "التطبيق", "Mobile app"), ("phone", "الهاتف", "Phone"), ("walk_in", "الحضور", "In person")]
    response = client.post(template_url(template), template_data(template, question, options))
    assert response.status_code == 302, inline_errors(response)
    question.refresh_from_db()
    assert question.choices == [
        {"value": "app", "ar": "التطبيق", "en": "Mobile app"},
        {"value": "phone", "ar": "الهاتف", "en": "Phone"},
        {"value": "walk_in", "ar": "الحضور", "en": "In person"},
    ]


@pytest.mark.parametrize(
    ("options", "question_type", "message", "params"),
    [
        (
            [("app", "التطبيق", ""), ("phone", "الهاتف", "Phone")],
            "single_choice",
            "Option %(number)d needs a stored value, an Arabic label and an English label.",
            {"number": 1},
        ),
        (
            [("app", "التطبيق", "App"), ("app", "الهاتف", "Phone")],
            "single_choice",
            "The stored value “%(value)s” is used by two options.",
            {"value": "app"},
        ),
        (
            [("mobile app", "التطبيق", "App"), ("phone", "الهاتف", "Phone")],
            "single_choice",
            "Option %(number)d: the stored value may use only Latin letters, digits, - and _.",
            {"number": 1},
        ),
        ([("app", "التطبيق", "App")], "single_choice", "A choice question needs at least two options.", None),
        (
            [("app", "التطبيق", "App"), ("phone", "الهاتف", "Phone")],
            "rating_1_5",
            "Only choice questions have options: remove them or change the type.",
            None,
        ),
    ],
)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_invalid_options_are_refused_with_a_translated_reason(
    client, coordinator, choice_template, options, question_type, message, params, language
):
    template, question = choice_template
    data = template_data(template, question, options, question_type=question_type)
    response = client.post(template_url(template, language), data)
    assert response.status_code == 200
    with translation.override(language):
        expected = gettext(message) % params if params else gettext(message)
    assert expected in inline_errors(response)
    question.refresh_from_db()
    assert question.choices[0] == {"value": "app", "ar": "التطبيق", "en": "Mobile app"}
    assert question.question_type == "single_choice"


def test_a_new_policy_offers_only_the_editors_departments(client, make_user, hospital_a, department_a, hospital_b):
    DepartmentFactory(hospital=hospital_b, code="SECRETB", name_en="Other hospital's ward")
    client.force_login(make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="policy_admin"))
    with translation.override("en"):
        page = client.get(reverse("admin:surveys_surveypolicy_add"))
    codes = [code for code, _label in page.context["adminform"].form.fields["excluded_department_codes"].choices]
    assert department_a.code in codes
    assert "SECRETB" not in codes and "SECRETB" not in page.content.decode()
