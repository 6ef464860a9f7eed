import json

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter, RelatedDropdownFilter
from unfold.decorators import action, display

from px360.core.admin.base import PXModelAdmin
from px360.core.admin.bidi import identifiers, isolate
from px360.core.admin.confirm import confirm_then
from px360.integrations.choices import EventStatus
from px360.integrations.models import InboundEvent
from px360.integrations.services import event_reprocess, event_retry


@admin.register(InboundEvent)
class InboundEventAdmin(PXModelAdmin):
    list_display = (
        "received_at",
        "source",
        "format",
        "event_type",
        "message_id",
        "hospital",
        "encounter_number",
        "status_badge",
    )
    list_select_related = ("source", "hospital")
    list_filter = (
        ("status", ChoicesDropdownFilter),
        ("format", ChoicesDropdownFilter),
        ("source", RelatedDropdownFilter),
        ("received_at", RangeDateTimeFilter),
    )
    list_filter_submit = True
    search_fields = ("=message_id", "=encounter_number", "=event_type")
    readonly_fields = (
        "source",
        "api_key",
        "format",
        "message_id",
        "event_type",
        "hospital",
        "encounter_number",
        "encounter",
        "status",
        "attempts",
        "received_at",
        "processed_at",
        "error_display",
        "problems_display",
        "payload_display",
        "raw_display",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "status",
                    "source",
                    "api_key",
                    "format",
                    "message_id",
                    "event_type",
                    "hospital",
                    "encounter_number",
                    "encounter",
                    "attempts",
                    "received_at",
                    "processed_at",
                )
            },
        ),
        (_("What went wrong"), {"fields": ("error_display", "problems_display")}),
        (_("Message"), {"fields": ("payload_display", "raw_display")}),
    )
    actions = ["retry_selected", "reprocess_selected"]
    actions_detail = ["retry_one", "reprocess_one"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The stored message is evidence: nobody edits it.
        return False

    def has_reprocess_permission(self, request, obj=None):
        obj = self._as_object(request, obj)
        if obj is not None and not self.has_view_permission(request, obj):
            return False
        return request.user.has_perm("integrations.reprocess_inboundevent")

    @display(
        description=_("status"),
        label={
            EventStatus.RECEIVED: "info",
            EventStatus.PROCESSED: "success",
            EventStatus.FAILED: "danger",
            EventStatus.REJECTED: "warning",
        },
    )
    def status_badge(self, event):
        return event.status, event.get_status_display()

    @admin.display(description=_("processing error"))
    def error_display(self, event):
        # The reason names the message's codes (encounter number, trigger): they read left to right.
        return isolate(event.error, self._codes(event)) if event.error else "-"

    @staticmethod
    def _codes(event):
        return [event.encounter_number, event.message_id, event.event_type, *identifiers(event.hospital)]

    @admin.display(description=_("problems"))
    def problems_display(self, event):
        if not event.problems:
            return "-"
        codes = self._codes(event)
        items = format_html_join(
            "",
            '<li><code dir="ltr">{}</code> {}</li>',
            ((problem.get("field", ""), isolate(problem.get("message", ""), codes)) for problem in event.problems),
        )
        return format_html('<ul class="list-disc ps-5">{}</ul>', items)

    @admin.display(description=_("message as read"))
    def payload_display(self, event):
        return format_html(
            '<pre dir="ltr" class="whitespace-pre-wrap text-xs">{}</pre>',
            json.dumps(event.payload, ensure_ascii=False, indent=2),
        )

    @admin.display(description=_("message as received"))
    def raw_display(self, event):
        return format_html('<pre dir="ltr" class="whitespace-pre-wrap text-xs">{}</pre>', event.raw.replace("\r", "\n"))

    def _run(self, request, events, service, done_message):
        count = 0
        for event in events:
            service(event=event, by=request.user, request=request)
            count += 1
        self.message_user(request, done_message % {"count": count}, messages.SUCCESS)

    @action(description=_("Retry selected failed events"), permissions=["reprocess"])
    def retry_selected(self, request, queryset):
        self._run(request, queryset.filter(status=EventStatus.FAILED), event_retry, _("%(count)d events queued again."))

    @action(description=_("Reprocess selected events"), permissions=["reprocess"])
    def reprocess_selected(self, request, queryset):
        self._run(
            request, queryset.exclude(status=EventStatus.REJECTED), event_reprocess, _("%(count)d events queued again.")
        )

    def _one(self, request, object_id, *, service, allowed, title, message):
        event = self.get_object(request, object_id)
        back = reverse("admin:integrations_inboundevent_change", args=[event.pk])

        def run():
            if allowed(event):
                service(event=event, by=request.user, request=request)
                self.message_user(request, _("The event was queued again."), messages.SUCCESS)
            else:
                self.message_user(request, _("This event cannot be queued again."), messages.WARNING)
            return redirect(back)

        return confirm_then(
            request, self, obj=event, title=title, message=message, button=title, back_url=back, on_confirm=run
        )

    @action(description=_("Retry"), permissions=["reprocess"], icon="replay")
    def retry_one(self, request, object_id):
        return self._one(
            request,
            object_id,
            service=event_retry,
            allowed=lambda event: event.status == EventStatus.FAILED,
            title=_("Retry"),
            message=_("Process this failed event again, now that its cause is fixed?"),
        )

    @action(description=_("Reprocess"), permissions=["reprocess"], icon="refresh")
    def reprocess_one(self, request, object_id):
        return self._one(
            request,
            object_id,
            service=event_reprocess,
            allowed=lambda event: event.status != EventStatus.REJECTED,
            title=_("Reprocess"),
            message=_("Apply this event again? Applying an event twice changes nothing that is already right."),
        )
