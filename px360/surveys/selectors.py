"""Reads of the surveys app, always scoped by the access policy."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from px360.core.access import restrict
from px360.notifications.choices import NotificationStatus
from px360.notifications.models import Notification

from .choices import SurveyStatus
from .models import SurveyInstance, SurveyResponse


def survey_instances_for(user):
    return restrict(SurveyInstance.objects.all(), user, "view")


def survey_responses_for(user):
    return restrict(SurveyResponse.objects.all(), user, "view")


FUNNEL_STEPS = ("triggered", "suppressed", "scheduled", "sent", "delivered", "opened", "completed")


def funnel(queryset, by: str) -> list[dict]:
    """Funnel counts of invitations grouped ``by`` "template" or "hospital".

    * triggered — every row (a stage completed with a survey attached)
    * suppressed — a contact rule said no (row kept with its reason)
    * scheduled — everything not suppressed
    * sent / delivered — at least one message sent (or delivered) for it
    * opened — the link was opened; completed — answered
    """
    sent = Notification.objects.filter(
        survey_instance=OuterRef("pk"), status__in=(NotificationStatus.SENT, NotificationStatus.DELIVERED)
    )
    delivered = Notification.objects.filter(survey_instance=OuterRef("pk"), status=NotificationStatus.DELIVERED)
    key = {"template": ("template_id", "template__code"), "hospital": ("hospital_id", "hospital__code")}[by]
    rows = (
        queryset.order_by()
        .annotate(was_sent=Exists(sent), was_delivered=Exists(delivered))
        .values(*key)
        .annotate(
            triggered=Count("pk"),
            suppressed=Count("pk", filter=Q(status=SurveyStatus.SUPPRESSED)),
            scheduled=Count("pk", filter=~Q(status=SurveyStatus.SUPPRESSED)),
            sent=Count("pk", filter=Q(was_sent=True)),
            delivered=Count("pk", filter=Q(was_delivered=True)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            completed=Count("pk", filter=Q(status=SurveyStatus.COMPLETED)),
        )
        .order_by(key[1])
    )
    return [{"id": row[key[0]], "label": row[key[1]], **{step: row[step] for step in FUNNEL_STEPS}} for row in rows]
