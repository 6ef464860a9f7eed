"""The negative rules in the admin: a form on the survey template, and "why negative" on the response.

A coordinator edits their hospital's template's rules as fields (no JSON), with reasons for what
is refused in the page's language; the response page lists the answers that made it negative,
with the question as the patient read it and the rule in words, in Arabic and in English; another
hospital's coordinator gets 404. Templates are shown by their name, their code beside it.
"""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.surveys.models import NegativeItems, SurveyResponse, SurveyTemplate

from . import test_negative_rules
from .test_negative_rules import HAPPY_OPD, NOW, PHARMACY

answer = test_negative_rules.answer  # the fixture, shared

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(make_user, hospital_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coordinator_a")


@pytest.fixture
def other_coordinator(make_user, hospital_b):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_b, username="coordinator_b")


@pytest.fixture
def own_template(hospital_a):
    """A hospital's own copy of the outpatient survey, which its coordinator may change."""
    from px360.surveys.library import load_library

    load_library()
    source = SurveyTemplate.objects.get(code="opd-visit")
    template = SurveyTemplate.objects.create(
        code="ha-opd", name="زيارة العيادة", name_ar="زيارة العيادة", name_en="Clinic visit", hospital=hospital_a
    )
    for question in source.questions.order_by("order"):
        question.pk, question.id, question.template, question.follow_up_of = None, None, template, None
        question.save()
    return template


def template_url(template, language="en"):
    with translation.override(language):
        return reverse("admin:surveys_surveytemplate_change", args=[template.pk])


def response_url(response, language):
    with translation.override(language):
        return reverse("admin:surveys_surveyresponse_change", args=[response.pk])


def template_post(template, **changes):
    """The template page as posted unchanged, plus ``changes``."""
    questions = list(template.questions.order_by("order"))
    data = {
        "code": template.code,
        "name_ar": template.name_ar,
        "name_en": template.name_en,
        "kind": template.kind,
        "hospital": str(template.hospital_id),
        "is_active": "on",
        "negative_items": template.negative_items,
        "negative_rating_max": str(template.negative_rating_max),
        "negative_scale_max": str(template.negative_scale_max),
        "overall_questions": list(template.overall_questions),
        "questions-TOTAL_FORMS": str(len(questions)),
        "questions-INITIAL_FORMS": str(len(questions)),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    if template.negative_overall:
        data["negative_overall"] = "on"
    if template.negative_detractor:
        data["negative_detractor"] = "on"
    for number, question in enumerate(questions):
        prefix = f"questions-{number}-"
        data |= {
            prefix + "id": str(question.pk),
            prefix + "template": str(template.pk),
            prefix + "order": str(question.order),
            prefix + "code": question.code,
            prefix + "text_ar": question.text_ar,
            prefix + "text_en": question.text_en,
            prefix + "question_type": question.question_type,
            prefix + "dimension": question.dimension,
        }
        if question.required:
            data[prefix + "required"] = "on"
        if question.is_key:
            data[prefix + "is_key"] = "on"
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def all_errors(response) -> list[str]:
    errors = [str(m) for messages in response.context["adminform"].form.errors.values() for m in messages]
    for inline in response.context["inline_admin_formsets"]:
        errors += [str(m) for m in inline.formset.non_form_errors()]
        errors += [str(m) for form in inline.formset.forms for messages in form.errors.values() for m in messages]
    return errors


# --- the template form --------------------------------------------------------------------------------


def test_the_rules_are_fields_on_the_template_page(client, coordinator, own_template):
    client.force_login(coordinator)
    page = client.get(template_url(own_template)).content.decode()
    assert 'name="negative_items"' in page and 'type="radio"' in page and 'value="key"' in page
    assert 'name="negative_rating_max"' in page and 'name="negative_scale_max"' in page
    assert 'name="negative_overall"' in page and 'name="negative_detractor"' in page
    # Overall rating questions are ticked among the rated questions, by their text; free text is not offered.
    assert 'name="overall_questions"' in page and 'value="wait_time"' in page
    assert "How would you rate the waiting time" in page
    assert 'name="overall_questions" value="comments"' not in page


def test_a_post_without_the_rules_leaves_them_as_they_are(client, coordinator, own_template):
    own_template.negative_items, own_template.negative_detractor = NegativeItems.KEY, True
    own_template.save()
    client.force_login(coordinator)
    data = {key: value for key, value in template_post(own_template).items() if not key.startswith("negative_")}
    data.pop("overall_questions")
    response = client.post(template_url(own_template), data)
    assert response.status_code == 302, all_errors(response)
    own_template.refresh_from_db()
    assert (own_template.negative_items, own_template.negative_overall, own_template.negative_detractor) == (
        "key",
        True,
        True,
    )


def test_a_coordinator_changes_their_templates_rules(client, coordinator, own_template):
    client.force_login(coordinator)
    data = template_post(
        own_template,
        negative_items=NegativeItems.KEY,
        negative_rating_max="3",
        negative_scale_max="5",
        overall_questions=["staff_courtesy"],
        negative_detractor=None,
    )
    response = client.post(template_url(own_template), data)
    assert response.status_code == 302, all_errors(response)
    own_template.refresh_from_db()
    assert (
        own_template.negative_items,
        own_template.negative_rating_max,
        own_template.negative_scale_max,
        own_template.overall_questions,
        own_template.negative_overall,
        own_template.negative_detractor,
    ) == ("key", 3, 5, ["staff_courtesy"], True, False)
    # The change is in the template's history, with who made it.
    assert own_template.history.first().history_user == coordinator


RULE_FIELDS = (
    "negative_items",
    "negative_rating_max",
    "negative_scale_max",
    "negative_overall",
    "overall_questions",
    "negative_detractor",
)
NO_RULE = (
    "With every rule switched off no response of this survey is ever negative: "
    "count rated questions, overall ratings or detractors."
)
NO_KEY = (
    "Only key questions make a response negative, but no rated question of this survey is a key question: "
    "mark one as key, or count any rated question."
)
AT_MOST = "Ensure this value is less than or equal to %(limit_value)s."
AT_LEAST = "Ensure this value is greater than or equal to %(limit_value)s."
NOT_A_CHOICE = "Select a valid choice. %(value)s is not one of the available choices."

# (changes to the posted page, the message, its parameters)
INVALID = [
    ({"negative_items": "none", "negative_overall": None, "negative_detractor": None}, NO_RULE, {}),
    ({"negative_rating_max": "5"}, AT_MOST, {"limit_value": 4}),
    ({"negative_rating_max": "0"}, AT_LEAST, {"limit_value": 1}),
    ({"negative_scale_max": "10"}, AT_MOST, {"limit_value": 9}),
    ({"negative_items": "all"}, NOT_A_CHOICE, {"value": "all"}),
    ({"overall_questions": ["comments"]}, NOT_A_CHOICE, {"value": "comments"}),
    ({"negative_items": "key", "questions-2-is_key": None, "questions-8-is_key": None}, NO_KEY, {}),
]


@pytest.mark.parametrize(("changes", "message", "params"), INVALID)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_invalid_rules_are_refused_with_a_reason_in_the_pages_language(
    client, coordinator, own_template, changes, message, params, language
):
    client.force_login(coordinator)
    before = SurveyTemplate.objects.filter(pk=own_template.pk).values(*RULE_FIELDS).get()
    response = client.post(template_url(own_template, language), template_post(own_template, **changes))
    assert response.status_code == 200
    with translation.override(language):
        expected = gettext(message) % params if params else gettext(message)
    if language == "ar":
        with translation.override("ar"):
            assert gettext(message) != message, "not translated"
    assert expected in all_errors(response)
    assert SurveyTemplate.objects.filter(pk=own_template.pk).values(*RULE_FIELDS).get() == before


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_overall_question_deleted_or_no_longer_rated_is_refused(client, coordinator, own_template, language):
    own_template.overall_questions = ["staff_courtesy"]
    own_template.save()
    client.force_login(coordinator)
    position = [q.code for q in own_template.questions.order_by("order")].index("staff_courtesy")
    for change in ({f"questions-{position}-DELETE": "on"}, {f"questions-{position}-question_type": "yes_no"}):
        response = client.post(template_url(own_template, language), template_post(own_template, **change))
        assert response.status_code == 200
        with translation.override(language):
            expected = gettext(
                "Not a rated question of this survey any more, so it cannot be an overall rating: %(codes)s."
            ) % {"codes": "staff_courtesy"}
        assert expected in all_errors(response)
    assert own_template.questions.filter(code="staff_courtesy", question_type="rating_1_5").exists()


def test_the_policy_page_no_longer_holds_negative_thresholds(client, coordinator, hospital_a):
    from px360.surveys.models import SurveyPolicy

    policy = SurveyPolicy.objects.create(hospital=hospital_a)
    client.force_login(coordinator)
    page = client.get(reverse("admin:surveys_surveypolicy_change", args=[policy.pk])).content.decode()
    assert 'name="negative_rating_max"' not in page and 'name="negative_nps_max"' not in page


# --- names, not codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "name"), [("en", "Clinic visit"), ("ar", "زيارة العيادة")])
def test_templates_are_listed_by_name_with_the_code_beside(client, coordinator, own_template, language, name):
    client.force_login(coordinator)
    with translation.override(language):
        page = client.get(reverse("admin:surveys_surveytemplate_changelist"))
        assert str(own_template) == name
    html = page.content.decode()
    assert name in html and "ha-opd" in html
    # The name is the first column and opens the template; the code follows it.
    assert page.context["cl"].list_display[1] == "name" and list(page.context["cl"].list_display_links) == ["name"]
    assert html.index(name) < html.index("ha-opd")


# --- why negative, on the response page ------------------------------------------------------------------


@pytest.fixture
def unhappy(answer):
    with freeze_time(NOW):
        return answer("opd-visit", {**HAPPY_OPD, "q_access_ease": "1", "q_comments": PHARMACY})


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_response_page_says_which_answers_made_it_negative(client, coordinator, unhappy, language):
    client.force_login(coordinator)
    page = client.get(response_url(unhappy, language))
    assert page.status_code == 200
    html = page.content.decode()
    version = unhappy.version.question("access_ease")
    with translation.override(language):
        rule = gettext("Bottom box of a rated question: at most %(max)s on the %(scale)s scale") % {
            "max": '<bdi dir="ltr">2</bdi>',
            "scale": '<bdi dir="ltr">1\u2060–\u20605</bdi>',  # word joiners: the range stays on one line
        }
        label = gettext("Very poor")
        title = gettext("Why negative")
    assert version[f"text_{language}"] in html  # the question as the reader reads it
    assert f'<bdi dir="ltr">1</bdi> · {label}' in html
    assert rule in html
    assert title in html
    if language == "ar":
        assert "Bottom box" not in html and "Very poor" not in html
        assert version["text_en"] not in html


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_response_that_is_not_negative_says_so(client, coordinator, answer, language):
    with freeze_time(NOW):
        happy = answer("opd-visit", HAPPY_OPD)
    client.force_login(coordinator)
    html = client.get(response_url(happy, language)).content.decode()
    with translation.override(language):
        assert gettext("Not negative: no answer met this survey's rules.").replace("'", "&#x27;") in html


def test_a_response_scored_before_reasons_were_kept_says_how_to_get_them(client, coordinator, unhappy):
    SurveyResponse.objects.filter(pk=unhappy.pk).update(negative_reasons=[])
    client.force_login(coordinator)
    html = client.get(response_url(unhappy, "en")).content.decode()
    assert "Scored before the reasons were kept: rescore this survey&#x27;s responses to list them." in html


def test_another_hospitals_coordinator_gets_404(client, other_coordinator, unhappy):
    client.force_login(other_coordinator)
    for language in ("en", "ar"):
        assert client.get(response_url(unhappy, language)).status_code == 404


def test_the_response_page_names_its_survey_in_the_readers_language(client, coordinator, unhappy):
    client.force_login(coordinator)
    for language, name in (("en", "Outpatient visit survey"), ("ar", unhappy.template.name_ar)):
        html = client.get(response_url(unhappy, language)).content.decode()
        assert name in html
        assert "opd-visit ·" not in html  # no slug in the title or the breadcrumbs
