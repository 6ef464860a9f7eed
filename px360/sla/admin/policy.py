"""SLA policies, their escalation steps, and the what-if preview of their deadlines."""

from __future__ import annotations

import contextvars
from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget, UnfoldAdminSelectWidget

from px360.core.access import restrict
from px360.core.admin.base import PXTranslatedModelAdmin
from px360.core.admin.bidi import display_object

from .. import registry
from ..models import EscalationStep, SLAPolicy
from ..services import preview, recompute_for_policy
from .common import ParentScopedInline, with_hijri

_current_request: contextvars.ContextVar = contextvars.ContextVar("px360_sla_policy_request", default=None)


def _kind_choices(current: str | None = None) -> list[tuple[str, str]]:
    choices = registry.kind_choices()
    if current and current not in dict(choices):
        choices.append((current, current))
    return choices


def _status_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for kind in registry.all_kinds():
        for status in kind.statuses:
            if not status.resolves:
                seen.setdefault(status.code, f"{status.label}")
    return list(seen.items())


def _severity_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {"": str(_("Any severity"))}
    for kind in registry.all_kinds():
        for code, label in kind.severities:
            seen.setdefault(code, f"{label}")
    return list(seen.items())


class SLAPolicyForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("kind of item"), choices=(), widget=UnfoldAdminSelectWidget)
    severity = forms.ChoiceField(
        label=_("severity or priority"), choices=(), required=False, widget=UnfoldAdminSelectWidget
    )
    pause_statuses = forms.MultipleChoiceField(
        label=_("statuses that pause the resolve clock"),
        choices=(),
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("Only the working hours spent in these statuses are left out of the time used."),
    )

    class Meta:
        model = SLAPolicy
        fields = (
            "hospital",
            "name_ar",
            "name_en",
            "kind",
            "severity",
            "is_active",
            "acknowledge_target",
            "acknowledge_unit",
            "resolve_target",
            "resolve_unit",
            "pause_statuses",
            "reopen_mode",
            "at_risk_percent",
            "notify_outside_working_hours",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kind_choices(self.instance.kind if self.instance.pk else None)
        severities = _severity_choices()
        if self.instance.severity and self.instance.severity not in dict(severities):
            severities.append((self.instance.severity, self.instance.severity))
        self.fields["severity"].choices = severities
        self.fields["pause_statuses"].choices = _status_choices()


class StepInline(ParentScopedInline):
    model = EscalationStep
    fields = ("clock", "trigger", "percent", "days_after", "audience", "action", "reassign_to", "reassign_user")
    autocomplete_fields = ("reassign_user",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "reassign_user":
            # Whom a step may hand items to: the active users the editor may see (their hospital's).
            users = db_field.related_model._default_manager.filter(is_active=True)
            kwargs["queryset"] = restrict(users, request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _coming_thursday_15(now: datetime) -> datetime:
    local = timezone.localtime(now)
    days = (3 - local.weekday()) % 7 or 7
    day = local.date() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(15)))


@admin.register(SLAPolicy)
class SLAPolicyAdmin(PXTranslatedModelAdmin):
    """A hospital manages its own policies; the group's defaults only a PX Admin."""

    form = SLAPolicyForm
    group_wide_error = _("Choose your hospital: only a PX Admin manages the group's SLA policies.")
    list_display = ("name", "kind_label", "severity_label", "hospital_or_group", "acknowledge", "resolve", "is_active")
    list_filter = (("hospital", AutocompleteSelectFilter), ("reopen_mode", ChoicesDropdownFilter), "is_active")
    list_select_related = ("hospital",)
    search_fields = ("name_ar", "name_en")
    autocomplete_fields = ("hospital",)
    inlines = [StepInline]
    readonly_fields = ("what_if", "kind_label", "severity_label")
    fieldsets = (
        (None, {"fields": ("hospital", "name", "kind", "severity", "is_active")}),
        (
            _("Targets"),
            {
                "fields": (
                    ("acknowledge_target", "acknowledge_unit"),
                    ("resolve_target", "resolve_unit"),
                    "pause_statuses",
                    "reopen_mode",
                    "at_risk_percent",
                    "notify_outside_working_hours",
                )
            },
        ),
        (_("What if"), {"fields": ("what_if",)}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read only (the group's policy for a hospital user, or a viewer): kind and severity by name, not code.
        names = {"kind": "kind_label", "severity": "severity_label"}
        return [
            (title, {**options, "fields": tuple(names.get(name, name) for name in options["fields"])})
            for title, options in fieldsets
        ]

    @admin.display(description=_("hospital"), ordering="hospital__code")
    def hospital_or_group(self, policy):
        return _("Group default") if policy.hospital is None else display_object(policy.hospital)

    @admin.display(description=_("kind of item"), ordering="kind")
    def kind_label(self, policy):
        kind = registry.find(policy.kind)
        return kind.label if kind is not None else policy.kind

    @admin.display(description=_("severity or priority"), ordering="severity")
    def severity_label(self, policy):
        if not policy.severity:
            return _("Any severity")
        kind = registry.find(policy.kind)
        return dict(kind.severities).get(policy.severity, policy.severity) if kind is not None else policy.severity

    @admin.display(description=_("acknowledge within"))
    def acknowledge(self, policy):
        if policy.acknowledge_target is None:
            return "-"
        return f"{policy.acknowledge_target} {policy.get_acknowledge_unit_display()}"

    @admin.display(description=_("resolve within"))
    def resolve(self, policy):
        return f"{policy.resolve_target} {policy.get_resolve_unit_display()}"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        token = _current_request.set(request)  # the preview reads the moment asked in the address
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # the read-only fields are drawn now, while the request is known
            return response
        finally:
            _current_request.reset(token)

    @admin.display(description=_("deadlines"))
    def what_if(self, policy):
        """Deadlines of an item received at a few moments, under this policy as saved (no pauses)."""
        if policy is None or policy.pk is None:
            return _("Save the policy to see its deadlines.")
        request = _current_request.get()
        now = timezone.now()
        moments = [(_("Received the coming Thursday at 15:00"), _coming_thursday_15(now)), (_("Received now"), now)]
        asked = parse_datetime(request.GET.get("received", "")) if request is not None else None
        if asked is not None:
            asked = timezone.make_aware(asked) if timezone.is_naive(asked) else asked
            moments.append((_("Received at the time asked"), asked))
        rows = []
        for label, received in moments:
            # A hospital user sees the deadlines on their hospital's calendar.
            hospital = policy.hospital_id or (getattr(request.user, "hospital_id", None) if request else None)
            result = preview(policy, received, hospital=hospital)
            steps = format_html_join(
                "", "<li>{} → {}</li>", ((str(step), with_hijri(at)) for step, at in result["steps"])
            )
            rows.append(
                format_html(
                    "<tr><th class='text-start align-top p-2'>{}<br><span class='font-normal'>{}</span></th>"
                    "<td class='align-top p-2'>{}</td><td class='align-top p-2'>{}</td>"
                    "<td class='align-top p-2'><ul>{}</ul></td></tr>",
                    label,
                    with_hijri(received),
                    with_hijri(result["acknowledge"]) if result["acknowledge"] else "-",
                    with_hijri(result["resolve"]),
                    steps,
                )
            )
        return format_html(
            "<div class='overflow-x-auto'><table class='px360-sla-whatif w-full text-sm'>"
            "<thead><tr><th class='text-start p-2'>{}</th><th class='text-start p-2'>{}</th>"
            "<th class='text-start p-2'>{}</th><th class='text-start p-2'>{}</th></tr></thead>"
            "<tbody>{}</tbody></table></div><p class='text-xs mt-2'>{}</p>",
            _("Received"),
            _("Acknowledge by"),
            _("Resolve by"),
            _("Escalation steps"),
            format_html_join("", "{}", ((row,) for row in rows)),
            format_html(
                _("Another moment: add {parameter} (Riyadh time) to this page's address."),
                parameter=format_html('<code dir="ltr">{}</code>', "?received=YYYY-MM-DDTHH:MM"),
            ),
        )

    def save_model(self, request, obj, form, change):
        request._px360_previous_policy = SLAPolicy.objects.get(pk=obj.pk) if change and obj.pk else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            recompute_for_policy(form.instance, previous=getattr(request, "_px360_previous_policy", None))
