"""Survey pages name things in words and isolate the codes and ids they show.

Short ids, department codes and the patient's own words keep their direction
inside an Arabic page; a cancellation reads as who or what cancelled, in the
reader's language, not as the code PX360 stores.
"""

import re

import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.notifications.models import Notification
from px360.surveys.models import SurveyPolicy, SurveyResponse, SurveyTemplate

from .test_admin import _answer, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

LTR = '<bdi dir="ltr" class="px-ltr">{}</bdi>'


def test_invitation_and_suppression_lists_isolate_the_short_id(client, world, make_user, hospital_a):  # noqa: F811
    client.force_login(make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a))
    invitation = world["instances"][0]
    page = client.get(reverse("admin:surveys_surveyinstance_changelist")).content.decode()
    short = str(invitation.pk)[:8]
    assert f"{invitation.template.name} · {LTR.format(short)}" in page
    assert f"· {short}<" not in page
    suppressed = world["instances"][3]
    page = client.get(reverse("admin:surveys_surveysuppression_changelist")).content.decode()
    assert LTR.format(str(suppressed.pk)[:8]) in page


def test_a_patients_comment_keeps_its_own_direction(client, world, superuser):  # noqa: F811
    response = SurveyResponse.objects.get()
    SurveyResponse.objects.filter(pk=response.pk).update(comments="The wait at the pharmacy was two hours")
    client.force_login(superuser)
    listed = client.get(reverse("admin:surveys_surveyresponse_changelist")).content.decode()
    assert '<bdi dir="auto">The wait at the pharmacy was two hours</bdi>' in listed
    assert LTR.format(str(response.pk)[:8]) in listed
    shown = client.get(reverse("admin:surveys_surveyresponse_change", args=[response.pk])).content.decode()
    assert re.search(r'<bdi dir="auto"[^>]*>The wait at the pharmacy was two hours</bdi>', shown)


def test_a_cancellation_says_who_cancelled_in_the_readers_language(client, world, hospital_admin_a):  # noqa: F811
    invitation = world["instances"][1]
    client.force_login(hospital_admin_a)
    client.post(
        reverse("admin:surveys_surveyinstance_changelist"),
        {"action": "cancel_selected", "_selected_action": [str(invitation.pk)]},
    )
    invitation.refresh_from_db()
    assert invitation.cancel_reason == "cancelled by ha_admin"  # stored the same whatever the language
    url = reverse("admin:surveys_surveyinstance_change", args=[invitation.pk]).replace("/ar/", "/en/", 1)
    page = client.get(url).content.decode()
    assert f"Cancelled by {LTR.format('ha_admin')}" in page and "cancelled by ha_admin" not in page


def test_a_cancelled_message_says_why_in_words(client, world, superuser):  # noqa: F811
    message = Notification.objects.filter(survey_instance=world["instances"][2]).first()
    Notification.objects.filter(pk=message.pk).update(status="cancelled", error="survey_completed")
    client.force_login(superuser)
    page = client.get(reverse("admin:notifications_notification_change", args=[message.pk])).content.decode()
    assert "أُجيب عن الاستبيان قبل إرسال هذه الرسالة." in page and ">survey_completed<" not in page
    message.refresh_from_db()
    assert "survey_invitation" not in str(message) and str(message.pk)[:8] in str(message)


def test_the_policy_names_departments_with_their_codes_isolated(client, superuser, hospital_a, department_a):
    policy = SurveyPolicy.objects.create(hospital=hospital_a)
    client.force_login(superuser)
    page = client.get(reverse("admin:surveys_surveypolicy_change", args=[policy.pk]))
    labels = dict(page.context["adminform"].form.fields["excluded_department_codes"].choices)
    assert labels[department_a.code] == f"{department_a.name} (\u2066{department_a.code}\u2069)"
    assert str(policy) == hospital_a.name


def test_the_dimension_help_isolates_its_example(client, world, superuser):  # noqa: F811
    client.force_login(superuser)
    template = SurveyTemplate.objects.get(code="opd-visit")
    page = client.get(reverse("admin:surveys_surveytemplate_change", args=[template.pk])).content.decode()
    assert LTR.format("nurse_communication") in page
    assert '{"value": ..., "ar": ..., "en": ...}' not in page
