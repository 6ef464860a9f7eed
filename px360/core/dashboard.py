"""The admin's home page: a few figures in the user's scope, each a link to its list.

Every figure is counted on a queryset narrowed by the access policy, and a
figure the user may not see is left out, so a Hospital Admin's home page
never counts another hospital's rows.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from px360.core.access import restrict


@dataclass(frozen=True)
class Figure:
    label: str
    model: str
    icon: str
    filters: dict
    query: dict


def _figures(now):
    # Whole minutes: the list's range filter takes a time to the minute.
    week_ago = (now - timedelta(days=7)).replace(second=0, microsecond=0)
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return [
        Figure(
            _("Encounters in the last 7 days"),
            "journeys.encounter",
            "ward",
            {"admitted_at__gte": week_ago},
            # The list's own admission-time filter (Unfold's range: a date and a time).
            {
                "admitted_at_from_0": timezone.localtime(week_ago).date().isoformat(),
                "admitted_at_from_1": timezone.localtime(week_ago).strftime("%H:%M"),
            },
        ),
        Figure(
            _("Journeys in progress"),
            "journeys.journeyinstance",
            "timeline",
            {"status": "active"},
            {"status__exact": "active"},
        ),
        Figure(
            _("HIS messages that failed"),
            "integrations.inboundevent",
            "error",
            {"status": "failed"},
            {"status__exact": "failed"},
        ),
        Figure(
            _("Surveys awaiting an answer"),
            "surveys.surveyinstance",
            "forward_to_inbox",
            {"status__in": ["invited", "opened"]},
            {},
        ),
        Figure(
            _("Survey responses this month"),
            "surveys.surveyresponse",
            "rate_review",
            {"submitted_at__gte": month_start},
            {},
        ),
        Figure(
            _("Negative responses this month"),
            "surveys.surveyresponse",
            "sentiment_dissatisfied",
            {"submitted_at__gte": month_start, "is_negative": True},
            {"negative": "yes"},
        ),
    ]


def dashboard_figures(request) -> list[dict]:
    cards = []
    for figure in _figures(timezone.now()):
        try:
            model = apps.get_model(figure.model)
        except LookupError:
            continue
        model_admin = admin.site._registry.get(model)
        if model_admin is None or not model_admin.has_view_permission(request):
            continue
        count = restrict(model._default_manager.filter(**figure.filters), request.user).count()
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        if figure.query:
            url += "?" + urlencode(figure.query)
        cards.append({"label": figure.label, "value": count, "icon": figure.icon, "url": url})
    return cards


def dashboard_callback(request, context):
    context["px_figures"] = dashboard_figures(request)
    return context
