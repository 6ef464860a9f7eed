"""The patient 360 page's survey invitations, suppressions, responses and guardian contact.

Registered in ``SurveysConfig.ready``. The invitation's link id (a credential)
is never read here, so it cannot reach the page.
"""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from px360.core.access import restrict
from px360.organizations.timeline import Fact, TimelineEntry, TimelineSource, admin_change_url

from .choices import SurveyStatus
from .models import GuardianContact, SurveyInstance, SurveyResponse

_INVITATION_TONES = {
    SurveyStatus.SCHEDULED: "info",
    SurveyStatus.INVITED: "info",
    SurveyStatus.OPENED: "warning",
    SurveyStatus.COMPLETED: "success",
    SurveyStatus.SUPPRESSED: "danger",
    SurveyStatus.EXPIRED: "danger",
    SurveyStatus.CANCELLED: "danger",
}
COMMENT_EXCERPT = 200


def _masked_contact(value: str) -> str:
    """A phone number or address as the outbox shows recipients: ``…4567``, ``a…@example.sa``."""
    if "@" in value:
        name, _sep, domain = value.partition("@")
        return f"{name[:1]}…@{domain}"
    return f"…{value[-4:]}" if value else ""


class InvitationSource(TimelineSource):
    """Every invitation of the patient, including those a contact rule suppressed (with the reason).

    Placed when the invitation went out, or when it was triggered if it never did.
    """

    key = "invitations"
    model = SurveyInstance
    label = _("Survey invitations")
    entry_label = _("Survey invitation")
    icon = "mark_email_unread"
    order = 30

    def queryset(self, *, patient, user):
        rows = restrict(SurveyInstance.objects.filter(patient=patient), user)
        return rows.select_related("template", "encounter").annotate(
            timeline_at=Coalesce(F("invited_at"), F("triggered_at"))
        )

    def entry(self, invitation, *, user):
        status = str(invitation.get_status_display())
        if invitation.status == SurveyStatus.SUPPRESSED and invitation.suppression_reason:
            status = _("Suppressed: %(reason)s") % {"reason": invitation.get_suppression_reason_display()}
        facts = []
        if invitation.channel:
            facts.append(Fact(_("channel"), invitation.get_channel_display()))
        facts.append(Fact(_("language"), invitation.get_language_display()))
        if invitation.to_guardian:
            facts.append(Fact(_("sent to the guardian"), _("Yes")))
        if invitation.suppression_detail:
            facts.append(Fact(_("suppression detail"), invitation.suppression_detail, ltr=True))
        for label, moment in (
            (_("send at"), invitation.scheduled_at if invitation.status == SurveyStatus.SCHEDULED else None),
            (_("opened at"), invitation.opened_at),
            (_("completed at"), invitation.completed_at),
            (_("expires at"), invitation.expires_at if invitation.status in SurveyStatus.pending() else None),
            (_("cancelled at"), invitation.cancelled_at),
        ):
            if moment:
                facts.append(Fact(label, at=moment))
        if invitation.reminders_sent:
            facts.append(Fact(_("reminders sent"), invitation.reminders_sent, ltr=True))
        return TimelineEntry(
            at=invitation.triggered_at,
            title=str(invitation.template.name),
            status=str(status),
            tone=_INVITATION_TONES.get(invitation.status, "neutral"),
            facts=facts,
            url=admin_change_url(invitation),
            visit=invitation.encounter.encounter_number if invitation.encounter_id else "",
        )

    def summary(self, *, patient, user):
        guardian = restrict(GuardianContact.objects.filter(patient=patient), user).first()
        if guardian is None:
            return []
        contacts = [_masked_contact(value) for value in (guardian.phone, guardian.email) if value]
        value = " · ".join([guardian.relationship, *contacts] if guardian.relationship else contacts)
        return [Fact(_("guardian contact"), value, ltr=not guardian.relationship, data=True)]


class ResponseSource(TimelineSource):
    """The patient's answers: scores, likelihood to recommend, whether negative, and the comments."""

    key = "responses"
    model = SurveyResponse
    label = _("Survey responses")
    entry_label = _("Survey response")
    icon = "reviews"
    order = 40

    def queryset(self, *, patient, user):
        rows = restrict(SurveyResponse.objects.filter(instance__patient=patient), user)
        return rows.select_related("template", "instance__encounter").annotate(
            timeline_at=Coalesce(F("submitted_at"), F("created_at"))
        )

    def entry(self, response, *, user):
        if response.submitted_at is None:
            status, tone = _("Saved, not submitted"), "warning"
        elif response.is_negative:
            status, tone = _("Negative"), "danger"
        else:
            status, tone = _("Submitted"), "success"
        facts = []
        if response.mean_score is not None:
            facts.append(Fact(_("mean score (0–100)"), response.mean_score, ltr=True))
        if response.top_box_percent is not None:
            facts.append(Fact(_("top box (%)"), response.top_box_percent, ltr=True))
        if response.nps_value is not None:
            facts.append(Fact(_("likelihood to recommend"), f"{response.nps_value} / 10", ltr=True))
        if response.nps_category:
            facts.append(Fact(_("NPS category"), response.get_nps_category_display()))
        if response.comments:
            text = response.comments
            facts.append(
                Fact(
                    _("comments"),
                    text if len(text) <= COMMENT_EXCERPT else text[: COMMENT_EXCERPT - 1] + "…",
                    data=True,
                )
            )
        encounter = response.instance.encounter
        return TimelineEntry(
            at=response.submitted_at or response.created_at,
            title=str(response.template.name),
            status=str(status),
            tone=tone,
            facts=facts,
            url=admin_change_url(response),
            visit=encounter.encounter_number if encounter is not None else "",
        )


def register_sources() -> None:
    from px360.organizations.timeline import register

    register(InvitationSource())
    register(ResponseSource())
