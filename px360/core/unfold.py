"""Callbacks named in ``settings.UNFOLD``: environment badge, sidebar, search."""

from django.conf import settings
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

_ENVIRONMENTS = {
    "development": (_("Development"), "info"),
    "test": (_("Test"), "info"),
    "staging": (_("Staging"), "warning"),
    "production": (_("Production"), "danger"),
}

# The sidebar, by domain. Items whose model is not installed yet or that the
# user may not view are left out, so every role sees only its own screens.
SIDEBAR = [
    (
        _("Organization"),
        [
            ("organizations.hospital", "local_hospital"),
            ("organizations.department", "account_tree"),
            ("organizations.physician", "stethoscope"),
            ("organizations.employee", "badge"),
            ("organizations.patient", "personal_injury"),
        ],
    ),
    (
        _("Journeys"),
        [
            ("journeys.encounter", "ward"),
            ("journeys.importjob", "upload_file"),
            ("journeys.journeytemplate", "route"),
            ("journeys.journeyinstance", "timeline"),
        ],
    ),
    (
        _("Integrations"),
        [
            ("integrations.integrationsource", "hub"),
            ("integrations.inboundevent", "move_to_inbox"),
        ],
    ),
    (
        _("Surveys"),
        [
            ("surveys.surveytemplate", "quiz"),
            ("surveys.surveyinstance", "forward_to_inbox"),
            ("surveys.surveyresponse", "rate_review"),
            ("surveys.surveysuppression", "block"),
            ("surveys.surveypolicy", "tune"),
            ("surveys.guardiancontact", "family_restroom"),
            ("notifications.notification", "outgoing_mail"),
            ("notifications.messagetext", "edit_note"),
        ],
    ),
    (
        _("Complaints and feedback"),
        [
            ("complaints.complaint", "report"),
            ("complaints.inquiry", "help"),
            ("complaints.feedback", "favorite"),
            ("complaints.hcatcategory", "category"),
        ],
    ),
    (
        _("Service levels"),
        [
            ("sla.slaclock", "timer"),
            ("sla.slapolicy", "rule"),
            ("sla.businesscalendar", "calendar_month"),
            ("sla.calendarexception", "event_busy"),
        ],
    ),
    (
        _("Users and access"),
        [
            ("accounts.user", "person"),
            ("accounts.role", "admin_panel_settings"),
            ("auth.group", "group"),
            ("core.auditevent", "policy"),
        ],
    ),
    (
        _("Jobs"),
        [
            ("django_q.schedule", "schedule"),
            ("django_q.success", "task_alt"),
            ("django_q.failure", "error"),
            ("django_q.ormq", "pending_actions"),
        ],
    ),
]

# Models whose records the sidebar search may look up. Unfold iterates every
# match, so only tables that stay small belong here; patients are searched on
# their own changelist, where it is audited.
SEARCHABLE_MODELS = ["organizations.hospital", "organizations.department", "organizations.physician"]


def environment_callback(request):
    label = settings.PX360_ENVIRONMENT_LABEL
    name, colour = _ENVIRONMENTS[settings.PX360_ENV]
    return [label or name, colour]


def searchable_models(request):
    return SEARCHABLE_MODELS


def _model_admin(label):
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower == label:
            return model, model_admin
    return None, None


def sidebar_navigation(request):
    groups = [
        {
            "items": [
                {"title": _("Dashboard"), "icon": "dashboard", "link": reverse("admin:index")},
            ]
        }
    ]
    for title, entries in SIDEBAR:
        items = []
        for label, icon in entries:
            model, model_admin = _model_admin(label)
            if model is None or not model_admin.has_view_or_change_permission(request):
                continue
            try:
                link = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            except NoReverseMatch:
                continue
            items.append({"title": capfirst(model._meta.verbose_name_plural), "icon": icon, "link": link})
        if items:
            groups.append({"title": title, "collapsible": True, "items": items})
    return groups
