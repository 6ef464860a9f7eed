"""The surveys app listens to journeys: a completed stage with a survey invites the patient."""

from django.db.models import Exists, OuterRef

from px360.journeys.hooks import JourneyListener

from .models import SurveyInstance
from .services import survey_cancel_pending, survey_schedule_for_stage, survey_schedule_for_stages


class SurveyInvitations(JourneyListener):
    def stage_completed(self, stage) -> None:
        survey_schedule_for_stage(stage=stage)

    def stages_completed(self, stages: list) -> int:
        return survey_schedule_for_stages(stages=stages)

    def encounter_cancelled(self, encounter, *, reason: str) -> None:
        survey_cancel_pending(encounter=encounter, reason=reason)

    def stages_missing_follow_up(self, stages):
        return stages.filter(survey_template__isnull=False).exclude(
            Exists(SurveyInstance.objects.filter(journey_stage=OuterRef("pk")))
        )
