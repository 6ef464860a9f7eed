"""The public page /s/<link>/: bad links look alike, one response per invitation, rate limit."""

import pytest
from django.core import signing
from django.utils import translation
from django.utils.translation import gettext
from freezegun import freeze_time

from px360.core.models import AuditAction, AuditEvent
from px360.surveys.choices import SurveyStatus
from px360.surveys.models import SurveyResponse
from px360.surveys.services import (
    LINK_SALT,
    survey_link_value,
    survey_schedule_for_stage,
    surveys_cancel,
    surveys_dispatch_due,
    surveys_expire,
    surveys_send_reminders,
)

from .conftest import riyadh

pytestmark = pytest.mark.django_db

NOW = "2026-11-20T10:00:00+03:00"


@pytest.fixture
def invited(make_patient, complete_stage, library):
    def make(survey="nps-only", **patient_fields):
        patient = make_patient(**patient_fields)
        instance = survey_schedule_for_stage(
            stage=complete_stage(patient, survey=library[survey], at=riyadh(2026, 11, 20, 9, 0), delay_hours=0)
        )
        surveys_dispatch_due()
        instance.refresh_from_db()
        return instance

    return make


def url(instance):
    return f"/s/{survey_link_value(instance)}/"


ANSWERS = {"action": "submit", "q_recommend": "9"}


@freeze_time(NOW)
def test_the_page_opens_in_arabic_right_to_left_with_only_hospital_and_first_name(client, invited):
    instance = invited(survey="opd-visit", mrn="MRN-X1", national_id="1000000008")
    page = client.get(url(instance))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'lang="ar"' in html and 'dir="rtl"' in html
    assert "مستشفى أ" in html and "سارة" in html
    for private in ("الحربي", "MRN-X1", "1000000008", "+966501234567", "patient@example.com"):
        assert private not in html
    assert "/static/surveys/survey.css" in html
    for marker in ('src="http', 'href="http', 'src="//', 'href="//', "http://", "cdn"):
        assert marker not in html, marker  # every asset is served from this site
    assert 'name="viewport"' in html
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "same-origin"


@freeze_time(NOW)
def test_the_language_switch_shows_english(client, invited):
    html = client.get(url(invited()) + "?lang=en").content.decode()
    assert 'lang="en"' in html and 'dir="ltr"' in html and "Hospital A" in html


@freeze_time(NOW)
def test_questions_have_labels_and_fieldsets_with_legends(client, invited):
    html = client.get(url(invited(survey="opd-visit"))).content.decode()
    assert html.count("<fieldset") == html.count("<legend")
    assert '<label class="px-label" for="q_comments">' in html


@freeze_time(NOW)
def test_opening_records_opened_at_and_an_audit_event_without_personal_data(client, invited):
    instance = invited()
    client.get(url(instance))
    client.get(url(instance))
    instance.refresh_from_db()
    assert instance.opened_at is not None and instance.status == SurveyStatus.OPENED
    events = AuditEvent.objects.filter(action=AuditAction.SURVEY_OPENED)
    assert events.count() == 1
    event = events.get()
    assert event.ip_address is None and event.actor is None
    assert instance.patient.mrn not in event.object_repr


@freeze_time(NOW)
def test_submitting_stores_one_scored_response_and_shows_thank_you(client, invited):
    instance = invited()
    response = client.post(url(instance), ANSWERS)
    assert response.status_code == 302
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "شكراً" in thanks.content.decode()
    stored = SurveyResponse.objects.get(instance=instance)
    assert stored.submitted_at is not None and stored.nps_value == 9 and stored.nps_category == "promoter"
    instance.refresh_from_db()
    assert instance.status == SurveyStatus.COMPLETED


@freeze_time(NOW)
def test_a_second_submission_changes_nothing(client, invited):
    instance = invited()
    client.post(url(instance), ANSWERS)
    before = list(SurveyResponse.objects.get(instance=instance).answers.values_list("question_code", "value_number"))
    second = client.post(url(instance), {"action": "submit", "q_recommend": "0", "q_recommend_why": "changed"})
    assert second.status_code == 404
    stored = SurveyResponse.objects.get(instance=instance)
    assert list(stored.answers.values_list("question_code", "value_number")) == before
    assert stored.nps_value == 9 and SurveyResponse.objects.count() == 1


@pytest.fixture
def spent_and_forged_links(client, invited, settings):
    """Links that cannot be answered: three spent ones of an English-speaking patient, and forged ones."""
    with freeze_time(NOW):
        settings.PX360_SURVEY_RATE_LIMIT_PER_MINUTE = 1000
        used = invited(preferred_language="en")
        assert client.post(url(used), ANSWERS).status_code == 302
        expired = invited(mrn="M-EXP", preferred_language="en")
        expired.expires_at = riyadh(2026, 11, 19, 0, 0)
        expired.save()
        cancelled = invited(mrn="M-CAN", preferred_language="en")
        surveys_cancel(instances=[cancelled], reason="test")
        valid = invited(mrn="M-OK")
    return {
        "used": survey_link_value(used),
        "expired": survey_link_value(expired),
        "cancelled": survey_link_value(cancelled),
        "tampered": survey_link_value(valid)[:-3] + "abc",
        "unknown": signing.Signer(salt=LINK_SALT, sep=".").sign("A" * 24),
        "random": "q3Jx0v9ZPa1mT7rKc2WbYd4E.Uf8hN6sLkR0pQ2vXyZ1aBcDeFg",
        "malformed": "not-a-link",
        "too_long": "A" * 300,
    }


def answer(client, path):
    """The whole answer as a browser sees it: status, headers (no Date) and body bytes."""
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="ar")
    headers = tuple(sorted((key, value) for key, value in response.items() if key != "Date"))
    return response.status_code, headers, response.content


@freeze_time(NOW)
def test_spent_links_answer_exactly_as_forged_ones_in_the_browsers_language(client, spent_and_forged_links):
    answers = {kind: answer(client, f"/s/{value}/") for kind, value in spent_and_forged_links.items()}
    assert len(set(answers.values())) == 1, {kind: (a[0], len(a[2])) for kind, a in answers.items()}
    status, headers, body = answers["used"]
    assert status == 404 and ("Content-Language", "ar") in headers
    assert 'lang="ar"' in body.decode() and "Thank you for your time" not in body.decode()


@freeze_time(NOW)
def test_spent_links_cost_the_same_queries_as_forged_ones(client, spent_and_forged_links, django_assert_num_queries):
    """The number of queries stands in for time: a spent link does no more work than a forged one."""
    for value in spent_and_forged_links.values():
        with django_assert_num_queries(1):  # the one indexed look-up of the link
            assert client.get(f"/s/{value}/", HTTP_ACCEPT_LANGUAGE="ar").status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.SURVEY_OPENED).exists()


@freeze_time(NOW)
def test_the_thanks_and_opt_out_pages_of_spent_links_answer_as_forged_ones(
    client, spent_and_forged_links, make_patient, complete_stage, library
):
    not_sent_yet = survey_schedule_for_stage(
        stage=complete_stage(
            make_patient(mrn="M-LATER", preferred_language="en"),
            survey=library["nps-only"],
            at=riyadh(2026, 11, 20, 9, 0),
            delay_hours=5,
        )
    )
    assert not_sent_yet.status == SurveyStatus.SCHEDULED
    forged_opt_out = answer(client, f"/s/{spent_and_forged_links['tampered']}/opt-out/")
    assert answer(client, f"/s/{survey_link_value(not_sent_yet)}/opt-out/") == forged_opt_out
    assert forged_opt_out[0] == 404

    old_thanks = answer(client, f"/s/{spent_and_forged_links['expired']}/thanks/")
    forged_thanks = answer(client, f"/s/{spent_and_forged_links['tampered']}/thanks/")
    assert old_thanks == forged_thanks and old_thanks[0] == 404
    with freeze_time("2026-11-20T12:00:00+03:00"):  # the thank-you page of an answer two hours old
        late_thanks = answer(client, f"/s/{spent_and_forged_links['used']}/thanks/")
    assert late_thanks == forged_thanks


@freeze_time(NOW)
def test_the_patients_own_link_opens_in_the_patients_language_whatever_the_browser(client, invited):
    instance = invited(preferred_language="en")
    page = client.get(url(instance), HTTP_ACCEPT_LANGUAGE="ar")
    assert page.status_code == 200 and 'lang="en"' in page.content.decode() and page["Content-Language"] == "en"


@freeze_time(NOW)
def test_requests_are_rate_limited_per_address(client, invited, settings):
    settings.PX360_SURVEY_RATE_LIMIT_PER_MINUTE = 3
    instance = invited()
    statuses = [client.get(url(instance)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = client.get(url(instance), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


@freeze_time(NOW)
def test_progress_is_saved_and_shown_when_the_patient_comes_back(client, invited):
    instance = invited(survey="opd-visit")
    saved = client.post(url(instance), {"action": "save", "q_wait_time": "4", "q_comments": "قريباً"})
    assert saved.status_code == 200
    response = SurveyResponse.objects.get(instance=instance)
    assert response.submitted_at is None
    assert set(response.answers.values_list("question_code", flat=True)) == {"wait_time", "comments"}
    html = client.get(url(instance)).content.decode()
    assert 'value="4" checked' in html and "قريباً" in html
    instance.refresh_from_db()
    assert instance.status == SurveyStatus.OPENED  # still answerable


@freeze_time(NOW)
def test_missing_required_answers_are_reported_and_nothing_is_consumed(client, invited):
    instance = invited(survey="opd-visit")
    page = client.post(url(instance), {"action": "submit", "q_wait_time": "4"})
    assert page.status_code == 400
    html = page.content.decode()
    missing = ("access_ease", "doctor_explained", "doctor_listened", "staff_courtesy", "care_coordination", "recommend")
    for code in missing:
        assert f'px-has-error" id="question-{code}"' in html and f'aria-describedby="error-{code}"' in html, code
    assert 'px-has-error" id="question-wait_time"' not in html  # the answered question is not marked
    instance.refresh_from_db()
    assert instance.status == SurveyStatus.INVITED and instance.completed_at is None
    assert not SurveyResponse.objects.filter(instance=instance, submitted_at__isnull=False).exists()


@freeze_time(NOW)
def test_a_follow_up_counts_only_after_a_low_score(client, invited):
    high = invited()
    client.post(url(high), {"action": "submit", "q_recommend": "10", "q_recommend_why": "ignored"})
    assert not SurveyResponse.objects.get(instance=high).answers.filter(question_code="recommend_why").exists()
    low = invited(mrn="M-LOW")
    client.post(url(low), {"action": "submit", "q_recommend": "3", "q_recommend_why": "الانتظار طويل"})
    stored = SurveyResponse.objects.get(instance=low)
    assert stored.is_negative and stored.comments == "الانتظار طويل"


@freeze_time(NOW)
def test_the_opt_out_link_stops_that_channel_and_the_reminders(client, invited):
    instance = invited()
    page = client.post(url(instance) + "opt-out/")
    assert page.status_code == 200
    instance.patient.refresh_from_db()
    assert instance.patient.opted_out_whatsapp and not instance.patient.opted_out_sms
    with freeze_time("2026-11-23T10:00:00+03:00"):
        assert surveys_send_reminders() == 0


# --- reminders and expiry -----------------------------------------------------------------------


@freeze_time(NOW)
def test_one_reminder_to_non_responders_after_the_interval(invited):
    instance = invited()
    with freeze_time("2026-11-21T10:00:00+03:00"):
        assert surveys_send_reminders() == 0  # 24 h: too early
    with freeze_time("2026-11-22T10:01:00+03:00"):
        assert surveys_send_reminders() == 1
        assert surveys_send_reminders() == 0  # a re-run sends nothing new
    with freeze_time("2026-11-25T10:01:00+03:00"):
        assert surveys_send_reminders() == 0  # count: 1
    assert instance.notifications.filter(purpose="survey_reminder").count() == 1


@freeze_time(NOW)
def test_reminders_stop_when_the_survey_is_completed(client, invited):
    instance = invited()
    client.post(url(instance), ANSWERS)
    with freeze_time("2026-11-22T10:01:00+03:00"):
        assert surveys_send_reminders() == 0


@freeze_time(NOW)
def test_invitations_expire_after_the_configured_days(client, invited):
    instance = invited()
    assert instance.expires_at == riyadh(2026, 11, 27, 10, 0)
    with freeze_time("2026-11-27T10:01:00+03:00"):
        assert surveys_expire() == 1
        instance.refresh_from_db()
        assert instance.status == SurveyStatus.EXPIRED
        assert client.get(url(instance)).status_code == 404


# --- the language switch and progress ---------------------------------------------------------------


def html_language(html: str) -> str:
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def in_language(language, message, **values):
    """A message as the catalogue words it in ``language`` (the test holds whatever the translators chose)."""
    with translation.override(language):
        return gettext(message) % values if values else gettext(message)


@freeze_time(NOW)
@pytest.mark.parametrize("patient_language, switched_to", [("ar", "en"), ("en", "ar")])
def test_after_switching_language_every_answer_label_is_in_the_new_language(
    client, invited, patient_language, switched_to
):
    # The browser speaks the patient's language; the patient switches to the other one.
    instance = invited(survey="opd-visit", preferred_language=patient_language)
    page = client.get(url(instance) + f"?lang={switched_to}", HTTP_ACCEPT_LANGUAGE=patient_language)
    html = page.content.decode()
    assert html_language(html) == switched_to and page["Content-Language"] == switched_to
    for label in ("Very poor", "Poor", "Fair", "Very good", "Not at all likely", "Extremely likely", "Submit answers"):
        assert in_language(switched_to, label) in html, label
        assert in_language(patient_language, label) not in html, label
    assert "1 · " + in_language(switched_to, "Very poor") in html
    assert in_language(switched_to, "Question %(number)s of %(total)s", number=2, total=9) in html


@freeze_time(NOW)
def test_problems_with_the_answers_are_worded_in_the_pages_language(client, invited):
    instance = invited(survey="opd-visit")
    page = client.post(url(instance), {"action": "submit", "lang": "en"}, HTTP_ACCEPT_LANGUAGE="ar")
    html = page.content.decode()
    assert page.status_code == 400 and html_language(html) == "en"
    assert "Please answer this question." in html and "يرجى الإجابة" not in html


@freeze_time(NOW)
@pytest.mark.parametrize("language, words", [("ar", "هذا الرابط غير متاح"), ("en", "This link is not available")])
def test_the_link_not_available_page_has_a_switch_and_is_the_same_for_every_bad_link(
    client, spent_and_forged_links, language, words
):
    answers = {kind: answer(client, f"/s/{value}/?lang={language}") for kind, value in spent_and_forged_links.items()}
    assert len(set(answers.values())) == 1, {kind: (a[0], len(a[2])) for kind, a in answers.items()}
    status, headers, body = answers["used"]
    html = body.decode()
    assert status == 404 and ("Content-Language", language) in headers
    assert html_language(html) == language and words in html
    other = "en" if language == "ar" else "ar"
    assert f'class="px-switch" href="?lang={other}"' in html
    for value in spent_and_forged_links.values():
        assert value not in html


@freeze_time(NOW)
def test_the_link_not_available_page_follows_the_browser_without_a_switch_choice(client, spent_and_forged_links):
    status, _headers, body = answer_in(client, f"/s/{spent_and_forged_links['used']}/", "en")
    assert status == 404 and html_language(body.decode()) == "en"
    assert 'class="px-switch" href="?lang=ar"' in body.decode()


def answer_in(client, path, accept_language):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=accept_language)
    return response.status_code, dict(response.items()), response.content


@freeze_time(NOW)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_long_survey_shows_the_question_number_and_how_many_are_answered(client, invited, language):
    instance = invited(survey="opd-visit")
    html = client.get(url(instance) + f"?lang={language}").content.decode()
    for number in (1, 3, 9):
        assert in_language(language, "Question %(number)s of %(total)s", number=number, total=9) in html
    assert in_language(language, "%(answered)s of %(total)s answered", answered=0, total=9) in html
    assert '<progress max="9" value="0"' in html
    # The follow-up shown after a low score has no number of its own.
    follow_up = html.split('id="question-recommend_why"', 1)[1].split("</div>", 1)[0]
    assert "px-step" not in follow_up
    saved = client.post(url(instance), {"action": "save", "lang": language, "q_wait_time": "4"}).content.decode()
    assert in_language(language, "%(answered)s of %(total)s answered", answered=1, total=9) in saved
    assert '<progress max="9" value="1"' in saved


@freeze_time(NOW)
def test_a_one_question_survey_shows_no_progress(client, invited):
    html = client.get(url(invited(survey="nps-only")) + "?lang=en").content.decode()
    assert "<progress" not in html and "Question 1 of 1" not in html


def test_survey_links_use_the_port_make_run_serves_unless_the_address_is_set():
    """``make run`` passes PORT to every command it runs; the links in the outbox must reach that server."""
    import os
    import subprocess
    import sys

    code = "import django; django.setup(); from django.conf import settings; print(settings.PX360_PUBLIC_BASE_URL)"

    def base_url(**env):
        environment = {k: v for k, v in os.environ.items() if k not in ("PORT", "PX360_PUBLIC_BASE_URL")}
        environment.update(DJANGO_SETTINGS_MODULE="px360.settings", PX360_ENV="test", **env)
        return subprocess.run(
            [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert base_url() == "http://localhost:8000"
    assert base_url(PORT="8765") == "http://localhost:8765"
    assert base_url(PORT="8765", PX360_PUBLIC_BASE_URL="https://px.example.sa/") == "https://px.example.sa"
