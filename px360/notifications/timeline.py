"""The patient 360 page's messages (registered in ``NotificationsConfig.ready``).

As on the outbox's own admin page, a message's text is never shown — it holds
the survey link, a credential — and its recipient only masked. The stored
error is technical text from the gateway (in English, sometimes with the
address): the page says in words what happened and leaves the detail to the
message's own page.
"""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from px360.core.access import restrict
from px360.organizations.timeline import Fact, TimelineEntry, TimelineSource, admin_change_url

from .choices import NotificationStatus, cancel_reason_text
from .models import Notification

_TONES = {
    NotificationStatus.QUEUED: "info",
    NotificationStatus.SENDING: "warning",
    NotificationStatus.SENT: "info",
    NotificationStatus.DELIVERED: "success",
    NotificationStatus.FAILED: "danger",
    NotificationStatus.CANCELLED: "danger",
}


class MessageSource(TimelineSource):
    """Every message to the patient (or their guardian): when it went out, or was queued if it never did."""

    key = "messages"
    model = Notification
    label = _("Messages")
    entry_label = _("Message")
    icon = "sms"
    order = 50

    def queryset(self, *, patient, user):
        rows = restrict(Notification.objects.filter(patient=patient), user)
        # Only the columns shown: the text and HTML (with the survey link) are never read.
        return (
            rows.select_related("survey_instance__encounter")
            .defer("body", "html_body", "subject", "survey_instance__token")
            .annotate(timeline_at=Coalesce(F("sent_at"), F("created_at")))
        )

    def entry(self, message, *, user):
        facts = [
            Fact(_("channel"), message.get_channel_display()),
            Fact(_("recipient"), message.masked_recipient, ltr=True),
            Fact(_("language"), message.get_language_display()),
        ]
        if message.attempts:
            facts.append(Fact(_("attempts"), message.attempts, ltr=True))
        if message.delivered_at:
            facts.append(Fact(_("delivered at"), at=message.delivered_at))
        if message.status == NotificationStatus.FAILED:
            facts.append(Fact(_("error"), _("The gateway did not take the message; its page has the detail.")))
        elif message.status == NotificationStatus.CANCELLED and cancel_reason_text(message.error) is not None:
            facts.append(Fact(_("why"), cancel_reason_text(message.error)))
        elif message.status == NotificationStatus.QUEUED and message.attempts:
            facts.append(Fact(_("next attempt at"), at=message.next_attempt_at))
        instance = message.survey_instance
        encounter = instance.encounter if instance is not None else None
        return TimelineEntry(
            at=message.sent_at or message.created_at,
            title=str(message.get_purpose_display()),
            status=str(message.get_status_display()),
            tone=_TONES.get(message.status, "neutral"),
            facts=facts,
            url=admin_change_url(message),
            visit=encounter.encounter_number if encounter is not None else "",
        )


def register_sources() -> None:
    from px360.organizations.timeline import register

    register(MessageSource())
