"""Earlier responses are brought in line with a template's changed negative rules, on purpose.

A changed rule applies to the next submission only; "Rescore responses" (the templates list, for
those who may change the template) and ``manage.py rescore_survey_responses`` score the submitted
responses again from their stored answers, only those of the hospitals the user sees, and leave
one audit event per hospital with the counts.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.core.models import AuditEvent
from px360.surveys.models import NegativeItems, SurveyResponse
from px360.surveys.services import AUDIT_RESCORED

from . import test_negative_rules
from .test_negative_rules import HAPPY_OPD, NOW

answer = test_negative_rules.answer  # the fixture, shared

pytestmark = pytest.mark.django_db


def rescore(*arguments, language="en") -> str:
    """``manage.py rescore_survey_responses`` in ``language``; what it printed."""
    out = io.StringIO()
    with translation.override(language):
        call_command("rescore_survey_responses", *arguments, stdout=out)
    return out.getvalue()


@pytest.fixture
def responses(answer, hospital_a, hospital_b):
    """Three answers to the outpatient survey in hospital A, one in B, scored by the default rules."""
    with freeze_time(NOW):
        return {
            "booking_1": answer("opd-visit", {**HAPPY_OPD, "q_access_ease": "1"}),
            "wait_3": answer("opd-visit", {**HAPPY_OPD, "q_wait_time": "3"}),
            "happy": answer("opd-visit", HAPPY_OPD),
            "b_booking_1": answer("opd-visit", {**HAPPY_OPD, "q_access_ease": "1"}, hospital=hospital_b),
        }


def flags(responses):
    return {name: SurveyResponse.objects.get(pk=r.pk).is_negative for name, r in responses.items()}


def change_rules(template, **fields):
    for name, value in fields.items():
        setattr(template, name, value)
    template.save()


def test_a_rule_change_alone_leaves_earlier_responses_as_scored(responses, library):
    change_rules(library["opd-visit"], negative_rating_max=3)
    assert flags(responses) == {"booking_1": True, "wait_3": False, "happy": False, "b_booking_1": True}


def test_the_command_rescores_with_the_rules_now_and_audits_per_hospital(responses, library, superuser):
    change_rules(library["opd-visit"], negative_rating_max=3, negative_items=NegativeItems.KEY)
    out = rescore("opd-visit", "--user", superuser.username)
    # access_ease and wait_time are not key questions: nothing counts any more but a key one.
    assert flags(responses) == {"booking_1": False, "wait_3": False, "happy": False, "b_booking_1": False}
    assert "4 rescored: 0 now negative, 2 no longer negative, 2 unchanged." in out
    booking = SurveyResponse.objects.get(pk=responses["booking_1"].pk)
    assert booking.negative_reasons == [] and booking.mean_score == responses["booking_1"].mean_score
    events = AuditEvent.objects.filter(action=AUDIT_RESCORED).order_by("hospital__code")
    assert [(e.hospital.code, e.row_count, e.details["template"], e.details["no_longer_negative"]) for e in events] == [
        ("HA", 3, "opd-visit", 1),
        ("HB", 1, "opd-visit", 1),
    ]
    assert {e.actor for e in events} == {superuser}


def test_responses_are_rescored_in_chunks(responses, library, superuser, monkeypatch):
    monkeypatch.setattr("px360.surveys.services.RESCORE_CHUNK", 1)
    change_rules(library["opd-visit"], negative_rating_max=3)
    out = rescore("opd-visit", "--user", superuser.username)
    assert "4 rescored: 1 now negative, 0 no longer negative, 1 unchanged." in out
    assert flags(responses) == {"booking_1": True, "wait_3": True, "happy": False, "b_booking_1": True}
    assert AuditEvent.objects.filter(action=AUDIT_RESCORED).count() == 2  # one per hospital, not per chunk


def test_a_rescored_response_lists_its_new_reasons(responses, library, superuser):
    change_rules(library["opd-visit"], negative_rating_max=3)
    rescore("opd-visit", "--user", superuser.username)
    wait = SurveyResponse.objects.get(pk=responses["wait_3"].pk)
    assert wait.is_negative is True
    assert wait.negative_reasons == [
        {"question": "wait_time", "type": "rating_1_5", "value": 3, "scale": 5, "max": 3, "rule": "bottom_box"}
    ]


def test_the_command_speaks_arabic_too(responses, library, superuser):
    change_rules(library["opd-visit"], negative_rating_max=3)
    out = rescore("opd-visit", "--user", superuser.username, language="ar")
    assert "أُعيد احتساب 4: أصبح سلبيًا 1، ولم يعد سلبيًا 0، ودون تغيير 1." in out


def test_a_dry_run_counts_and_saves_nothing(responses, library, superuser):
    change_rules(library["opd-visit"], negative_rating_max=3)
    out = rescore("opd-visit", "--user", superuser.username, "--dry-run")
    # The two bookings rated 1 stay negative, with the new threshold in their reasons: changed, not counted apart.
    assert "Nothing saved (dry run). 4 rescored: 1 now negative, 0 no longer negative, 1 unchanged." in out
    assert flags(responses)["wait_3"] is False
    assert not AuditEvent.objects.filter(action=AUDIT_RESCORED).exists()


def test_the_command_is_scoped_to_one_hospital_when_asked(responses, library, superuser):
    change_rules(library["opd-visit"], negative_items=NegativeItems.NONE)
    rescore("opd-visit", "--user", superuser.username, "--hospital", "HB")
    assert flags(responses) == {"booking_1": True, "wait_3": False, "happy": False, "b_booking_1": False}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["no-such-survey", "--user", "root"], "No survey template no-such-survey that root may change."),
        (["opd-visit", "--user", "nobody"], "No active user nobody."),
        (["opd-visit", "--user", "root", "--hospital", "XX"], "No responses of XX that root may see."),
        # A coordinator does not change a group-wide instrument, so does not rescore it either.
        (["opd-visit", "--user", "coordinator_a"], "No survey template opd-visit that coordinator_a may change."),
    ],
)
def test_the_command_refuses_what_it_cannot_do(responses, superuser, make_user, hospital_a, arguments, message):
    make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coordinator_a")
    with pytest.raises(CommandError, match=message.replace(".", r"\.")):
        rescore(*arguments)
    assert not AuditEvent.objects.filter(action=AUDIT_RESCORED).exists()


# --- the admin action ---------------------------------------------------------------------------------------


def rescore_action(client, *templates):
    with translation.override("en"):
        url = reverse("admin:surveys_surveytemplate_changelist")
    return client.post(
        url,
        {"action": "rescore_responses", "_selected_action": [str(t.pk) for t in templates]},
        follow=True,
    )


def test_a_px_admin_rescores_from_the_templates_list(client, responses, library, make_user):
    client.force_login(make_user(RoleCode.PX_ADMIN, username="px_admin"))
    change_rules(library["opd-visit"], negative_rating_max=3)
    page = rescore_action(client, library["opd-visit"])
    assert page.status_code == 200
    assert "4 responses rescored: 1 now negative, 0 no longer negative." in page.content.decode()
    assert flags(responses)["wait_3"] is True
    assert AuditEvent.objects.filter(action=AUDIT_RESCORED).count() == 2


def test_a_coordinators_rescore_touches_only_their_hospitals_responses(
    client, responses, library, make_user, hospital_a
):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coordinator_a")
    # The hospital's own outpatient survey: the coordinator may change it.
    template = library["opd-visit"]
    template.hospital = hospital_a
    change_rules(template, negative_items=NegativeItems.NONE)
    SurveyResponse.objects.filter(pk=responses["b_booking_1"].pk).update(is_negative=True)
    client.force_login(coordinator)
    page = rescore_action(client, template)
    assert "3 responses rescored: 0 now negative, 1 no longer negative." in page.content.decode()
    assert flags(responses) == {"booking_1": False, "wait_3": False, "happy": False, "b_booking_1": True}
    event = AuditEvent.objects.get(action=AUDIT_RESCORED)
    assert (event.hospital, event.actor, event.row_count) == (hospital_a, coordinator, 3)


def test_a_viewer_has_no_rescore_action(client, responses, library, make_user, hospital_a):
    client.force_login(make_user(RoleCode.VIEWER, hospital=hospital_a, username="viewer_a"))
    with translation.override("en"):
        page = client.get(reverse("admin:surveys_surveytemplate_changelist"))
    assert "rescore_responses" not in page.content.decode()
    rescore_action(client, library["opd-visit"])
    assert not AuditEvent.objects.filter(action=AUDIT_RESCORED).exists()
