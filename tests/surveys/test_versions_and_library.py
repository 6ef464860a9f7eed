"""Version pinning of answers, the instrument library, and the demo loader."""

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from px360.surveys.models import SurveyQuestion, SurveyResponse, SurveyTemplate
from px360.surveys.services import survey_link_value, survey_schedule_for_stage, surveys_dispatch_due

from .conftest import riyadh

pytestmark = pytest.mark.django_db


@freeze_time("2026-11-20T10:00:00+03:00")
def test_answers_stay_tied_to_the_version_the_patient_saw_after_an_edit(client, make_patient, complete_stage, library):
    survey = library["nps-only"]
    first = survey_schedule_for_stage(
        stage=complete_stage(make_patient(), survey=survey, at=riyadh(2026, 11, 20, 9, 0), delay_hours=0)
    )
    surveys_dispatch_due()
    first.refresh_from_db()

    question = survey.questions.get(code="recommend")
    question.text_ar = "نص جديد بعد التعديل"
    question.save()
    second = survey_schedule_for_stage(
        stage=complete_stage(
            make_patient(mrn="M2", national_id=""), survey=survey, at=riyadh(2026, 11, 20, 9, 0), delay_hours=0
        )
    )
    surveys_dispatch_due()
    second.refresh_from_db()

    assert (first.version.number, second.version.number) == (1, 2)
    page = client.get(f"/s/{survey_link_value(first)}/").content.decode()
    assert "نص جديد بعد التعديل" not in page and "توصي بنا" in page  # the words first was sent
    client.post(f"/s/{survey_link_value(first)}/", {"action": "submit", "q_recommend": "10"})
    response = SurveyResponse.objects.get(instance=first)
    assert response.version.number == 1
    assert response.version.question("recommend")["text_ar"].startswith("ما مدى احتمال")


def test_an_unchanged_template_reuses_its_version(library):
    from px360.surveys.services import template_current_version

    survey = library["opd-visit"]
    first = template_current_version(template=survey)
    assert template_current_version(template=survey) == first
    assert list(survey.versions.values_list("number", flat=True)) == [1]


def test_the_library_has_every_instrument_bilingual_and_loads_idempotently(db):
    call_command("load_survey_library")
    call_command("load_survey_library")
    codes = set(SurveyTemplate.objects.values_list("code", flat=True))
    assert codes == {
        "opd-visit",
        "inpatient-stay",
        "emergency-visit",
        "ems-transport",
        "complaint-resolution",
        "nps-only",
    }
    assert SurveyTemplate.objects.get(code="opd-visit").questions.count() == 11
    for question in SurveyQuestion.objects.all():
        assert question.text_ar and question.text_en, question.code
        question.full_clean()
    for template in SurveyTemplate.objects.all():
        assert template.name_ar and template.name_en


def test_reloading_keeps_a_coordinators_edit(library):
    question = library["opd-visit"].questions.get(code="wait_time")
    question.text_en = "Edited"
    question.save()
    call_command("load_survey_library")
    question.refresh_from_db()
    assert question.text_en == "Edited"


def test_demo_loader_attaches_surveys_to_the_demo_journeys_and_tolerates_their_absence(db):
    from px360.journeys.library import load_journey_templates
    from px360.journeys.models import JourneyStageTemplate
    from px360.surveys.demo import load_surveys

    load_surveys()  # no journey templates yet: fine
    load_journey_templates()
    load_surveys()
    end_of_visit = JourneyStageTemplate.objects.get(template__journey_type="OPD", code="end_of_visit")
    discharge = JourneyStageTemplate.objects.get(template__journey_type="INPATIENT", code="discharge")
    assert end_of_visit.survey_template.code == "opd-visit"
    assert discharge.survey_template.code == "inpatient-stay"


def test_the_shipped_inpatient_survey_names_its_overall_rating(db):
    call_command("load_survey_library")
    inpatient = SurveyTemplate.objects.get(code="inpatient-stay")
    assert inpatient.overall_questions == ["overall_rating"]
    assert inpatient.questions.filter(code="overall_rating").exists()
