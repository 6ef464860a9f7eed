"""The patient 360 page's visits and journeys (registered in ``JourneysConfig.ready``)."""

from django.db.models import F, Prefetch
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from px360.core.access import restrict
from px360.organizations.timeline import Fact, TimelineEntry, TimelineSource, admin_change_url

from .choices import EncounterStatus
from .journey_models import JourneyInstance, JourneyStageInstance, JourneyStatus, StageStatus
from .models import Encounter

_ENCOUNTER_TONES = {
    EncounterStatus.ACTIVE: "info",
    EncounterStatus.DISCHARGED: "success",
    EncounterStatus.CANCELLED: "danger",
}
_JOURNEY_TONES = {
    JourneyStatus.ACTIVE: "info",
    JourneyStatus.COMPLETED: "success",
    JourneyStatus.SUPERSEDED: "warning",
    JourneyStatus.CANCELLED: "danger",
}


class EncounterSource(TimelineSource):
    """The patient's visits and stays, at their admission (or visit start)."""

    key = "encounters"
    model = Encounter
    label = _("Visits")
    entry_label = _("Visit")
    icon = "stethoscope"
    order = 10

    def queryset(self, *, patient, user):
        rows = restrict(Encounter.objects.filter(patient=patient), user)
        return rows.select_related("department", "attending_physician").annotate(timeline_at=F("admitted_at"))

    def entry(self, encounter, *, user):
        # The encounter number is the entry's visit, shown on every entry of the visit.
        facts = []
        if encounter.department_id:
            facts.append(Fact(_("department"), encounter.department.name, data=True))
        if encounter.attending_physician_id:
            facts.append(Fact(_("attending physician"), encounter.attending_physician.name, data=True))
        if encounter.discharged_at:
            facts.append(Fact(_("discharged / visit end"), at=encounter.discharged_at))
        return TimelineEntry(
            at=encounter.admitted_at,
            title=str(encounter.get_encounter_type_display()),
            status=str(encounter.get_status_display()),
            tone=_ENCOUNTER_TONES.get(encounter.status, "neutral"),
            facts=facts,
            url=admin_change_url(encounter),
            visit=encounter.encounter_number,
        )


class JourneySource(TimelineSource):
    """The journeys the patient's encounters went through, with each stage's state."""

    key = "journeys"
    model = JourneyInstance
    label = _("Journeys")
    entry_label = _("Journey")
    icon = "route"
    order = 20

    def queryset(self, *, patient, user):
        rows = restrict(JourneyInstance.objects.filter(encounter__patient=patient), user)
        stages = restrict(JourneyStageInstance.objects.order_by("order"), user)
        return (
            rows.select_related("encounter", "template")
            .prefetch_related(Prefetch("stages", queryset=stages))
            .annotate(timeline_at=F("started_at"))
        )

    def entry(self, journey, *, user):
        english = (get_language() or "ar").startswith("en")
        stages = list(journey.stages.all())
        done = sum(stage.status == StageStatus.COMPLETED for stage in stages)
        facts = [
            Fact(_("template"), journey.template.name, data=True),
            Fact(_("stages done"), f"{done} / {len(stages)}", ltr=True),
        ]
        for stage in stages:
            name = (stage.name_en if english else stage.name_ar) or stage.name_ar or stage.name_en
            facts.append(Fact(name, str(stage.get_status_display()), at=stage.completed_at))
        if journey.completed_at:
            facts.append(Fact(_("completed at"), at=journey.completed_at))
        return TimelineEntry(
            at=journey.started_at,
            title=str(journey.get_journey_type_display()),
            status=str(journey.get_status_display()),
            tone=_JOURNEY_TONES.get(journey.status, "neutral"),
            facts=facts,
            url=admin_change_url(journey),
            visit=journey.encounter.encounter_number,
        )


def register_sources() -> None:
    from px360.organizations.timeline import register

    register(EncounterSource())
    register(JourneySource())
