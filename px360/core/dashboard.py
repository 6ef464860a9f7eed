"""The admin's home page: a few figures in the user's scope, each a link to exactly the rows it counts.

A figure is defined by its link alone: a list and the filters that list
declares. Its value is the number of rows that list shows for those filters,
read through the list itself (the model admin's changelist, built from the
same parameters): scoped by the access policy, soft-deleted rows left out,
every filter applied as the list applies it. A figure and its list cannot
disagree, and a filter the list does not declare fails here as it would
there. A figure the user may not see is left out.
"""

import copy
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.contrib import admin
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from unfold.paginator import InfinitePaginator


@dataclass(frozen=True)
class Figure:
    label: str
    model: str
    icon: str
    #: The list's filter parameters; a list value repeats the parameter (several choices).
    query: dict


def _range_from(parameter: str, moment) -> dict:
    """An Unfold date-time range filter's "from" (a date and a time to the minute, in Riyadh time)."""
    local = timezone.localtime(moment)
    return {f"{parameter}_from_0": local.date().isoformat(), f"{parameter}_from_1": local.strftime("%H:%M")}


def _figures(now) -> list[Figure]:
    # Whole minutes: the lists' range filters take a time to the minute.
    week_ago = (now - timedelta(days=7)).replace(second=0, microsecond=0)
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = _range_from("submitted_at", month_start)
    return [
        Figure(
            _("Encounters in the last 7 days"),
            "journeys.encounter",
            "ward",
            _range_from("admitted_at", week_ago),
        ),
        Figure(_("Journeys in progress"), "journeys.journeyinstance", "timeline", {"status__exact": "active"}),
        Figure(_("HIS messages that failed"), "integrations.inboundevent", "error", {"status__exact": "failed"}),
        Figure(
            _("Surveys awaiting an answer"),
            "surveys.surveyinstance",
            "forward_to_inbox",
            {"status__exact": ["invited", "opened"]},
        ),
        Figure(_("Survey responses this month"), "surveys.surveyresponse", "rate_review", this_month),
        Figure(
            _("Negative responses this month"),
            "surveys.surveyresponse",
            "sentiment_dissatisfied",
            {**this_month, "negative": "yes"},
        ),
    ]


def figure_changelist(request, model_admin, query: dict):
    """The changelist ``request.user`` sees at the list's URL with ``query``."""
    list_request = copy.copy(request)
    list_request.GET = QueryDict(urlencode(query, doseq=True))
    return model_admin.get_changelist_instance(list_request)


def _row_count(changelist) -> int:
    if isinstance(changelist.paginator, InfinitePaginator):
        # Lists too long to count on every page view: counted here, once.
        return changelist.queryset.count()
    return changelist.result_count  # already counted by the list's paginator


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
        count = _row_count(figure_changelist(request, model_admin, figure.query))
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        if figure.query:
            url += "?" + urlencode(figure.query, doseq=True)
        cards.append({"label": figure.label, "value": count, "icon": figure.icon, "url": url})
    return cards


def dashboard_callback(request, context):
    context["px_figures"] = dashboard_figures(request)
    return context
