"""The patient 360 page's HIS messages (registered in ``IntegrationsConfig.ready``).

Only messages linked to one of the patient's encounters are about them; the
raw message and the parsed payload stay on the message's own page.
"""

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from px360.core.access import restrict
from px360.journeys.journey_models import STAGE_EVENT_CHOICES
from px360.organizations.timeline import Fact, TimelineEntry, TimelineSource, admin_change_url

from .choices import EventStatus
from .models import InboundEvent

_TONES = {
    EventStatus.RECEIVED: "info",
    EventStatus.PROCESSED: "success",
    EventStatus.FAILED: "danger",
    EventStatus.REJECTED: "warning",
}
_EVENT_NAMES = dict(STAGE_EVENT_CHOICES)


class HISEventSource(TimelineSource):
    """HIS messages (JSON or HL7 v2) about the patient's encounters, when they were received."""

    key = "his"
    model = InboundEvent
    label = _("HIS messages")
    entry_label = _("HIS message")
    icon = "sync_alt"
    order = 60

    def queryset(self, *, patient, user):
        rows = restrict(InboundEvent.objects.filter(encounter__patient=patient), user)
        return (
            rows.select_related("source", "encounter")
            .defer("raw", "payload", "problems")
            .annotate(timeline_at=F("received_at"))
        )

    def entry(self, event, *, user):
        title = _EVENT_NAMES.get(event.event_type)
        facts = [] if title else [Fact(_("event type"), event.event_type or "-", ltr=True)]
        facts += [Fact(_("format"), event.get_format_display()), Fact(_("source"), event.source.name, data=True)]
        if event.message_id:
            facts.append(Fact(_("message ID"), event.message_id, ltr=True))
        if event.processed_at:
            facts.append(Fact(_("processed at"), at=event.processed_at))
        if event.status == EventStatus.FAILED:
            facts.append(Fact(_("processing error"), _("Processing failed; the message's page has the detail.")))
        return TimelineEntry(
            at=event.received_at,
            title=str(title or _("HIS message")),
            status=str(event.get_status_display()),
            tone=_TONES.get(event.status, "neutral"),
            facts=facts,
            url=admin_change_url(event),
            visit=event.encounter.encounter_number if event.encounter_id else event.encounter_number,
        )


def register_sources() -> None:
    from px360.organizations.timeline import register

    register(HISEventSource())
