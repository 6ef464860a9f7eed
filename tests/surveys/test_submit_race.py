"""Two submissions of one invitation racing on PostgreSQL: exactly one is stored.

The invitation is single use. The page reads it as open, then the service
consumes it with a conditional UPDATE (``... WHERE status IN (invited, opened)``):
that UPDATE is the lock. Here two patients' browsers (a double tap, two tabs)
post at the same moment; both requests have read the invitation as open before
either writes, which is exactly the interleaving a check-then-save would lose.
"""

import threading
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from px360.surveys import services
from px360.surveys.choices import SurveyStatus
from px360.surveys.models import SurveyAnswer, SurveyInstance, SurveyPolicy, SurveyResponse
from px360.surveys.services import survey_link_value, survey_schedule_for_stage, surveys_dispatch_due

pytestmark = [
    pytest.mark.django_db(transaction=True),  # each thread has its own connection and sees committed rows
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite lets one writer in at a time, so two submissions can never interleave",
    ),
]


@pytest.fixture
def open_invitation(make_patient, complete_stage, library, hospital_a):
    """An invitation sent a moment ago (dates from the real clock: the threads share it)."""
    SurveyPolicy.objects.create(hospital=hospital_a, quiet_hours_start="08:00", quiet_hours_end="08:00")
    stage = complete_stage(
        make_patient(), survey=library["nps-only"], at=timezone.now() - timezone.timedelta(hours=1), delay_hours=0
    )
    instance = survey_schedule_for_stage(stage=stage)
    surveys_dispatch_due()
    instance.refresh_from_db()
    assert instance.status == SurveyStatus.INVITED
    return instance


def test_two_simultaneous_submissions_store_one_response_and_refuse_the_other(open_invitation):
    url = f"/s/{survey_link_value(open_invitation)}/"
    both_read_it_open = threading.Barrier(2, timeout=20)
    waited = threading.local()
    real_policy_for = services.policy_for

    def policy_for_after_both_read(hospital):
        # survey_submit reads the hospital policy after the page has found the
        # invitation open and before it writes: hold each request there until
        # the other one has got as far.
        if not getattr(waited, "done", False):
            waited.done = True
            both_read_it_open.wait()
        return real_policy_for(hospital)

    answers = {"0": {"action": "submit", "q_recommend": "9"}, "1": {"action": "submit", "q_recommend": "2"}}
    results: dict = {}

    def submit(name):
        try:
            results[name] = Client(REMOTE_ADDR=f"10.0.0.{int(name) + 1}").post(url, answers[name]).status_code
        except Exception as error:  # reported by the assertion below
            results[name] = error
        finally:
            connection.close()

    with mock.patch.object(services, "policy_for", policy_for_after_both_read):
        threads = [threading.Thread(target=submit, args=(name,)) for name in answers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    # One browser is thanked, the other gets the page every used link gets.
    assert sorted(results.values(), key=str) == [302, 404], results
    winner = next(name for name, status in results.items() if status == 302)
    response = SurveyResponse.objects.get()
    assert response.instance_id == open_invitation.pk
    assert response.nps_value == int(answers[winner]["q_recommend"])
    assert list(SurveyAnswer.objects.values_list("question_code", "value_number")) == [
        ("recommend", int(answers[winner]["q_recommend"]))
    ]
    assert SurveyInstance.objects.get(pk=open_invitation.pk).status == SurveyStatus.COMPLETED
