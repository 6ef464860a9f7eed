"""Inquiries: questions and requests with their own, shorter targets; one click makes one a complaint."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.decorators import action, display

from px360.core.admin.base import PXModelAdmin
from px360.core.admin.bidi import ltr
from px360.core.admin.confirm import confirm_then
from px360.sla.admin.common import local_datetime

from ..choices import INQUIRY_TRANSITIONS, InquiryStatus
from ..models import Complaint, Inquiry
from ..services import ComplaintError, inquiry_create, inquiry_promote, inquiry_transition
from .common import SLAColumnsMixin, SLADueFilter, adopt, contact_from

STATUS_COLOURS = {
    InquiryStatus.NEW: "info",
    InquiryStatus.IN_PROGRESS: "warning",
    InquiryStatus.WAITING: "warning",
    InquiryStatus.ANSWERED: "success",
    InquiryStatus.CLOSED: "success",
    InquiryStatus.PROMOTED: "danger",
}


@admin.register(Inquiry)
class InquiryAdmin(SLAColumnsMixin, PXModelAdmin):
    list_display = (
        "reference_code",
        "subject_text",
        "hospital",
        "department",
        "status_badge",
        "channel",
        "received",
        "assigned_to",
        "time_left",
    )
    list_display_links = ("reference_code", "subject_text")
    list_filter = (
        ("status", ChoicesDropdownFilter),
        SLADueFilter,
        ("channel", ChoicesDropdownFilter),
        ("hospital", AutocompleteSelectFilter),
        ("department", AutocompleteSelectFilter),
    )
    search_fields = ("=reference", "=external_reference", "=patient__mrn")
    list_select_related = ("hospital", "department", "assigned_to")
    autocomplete_fields = ("hospital", "department", "patient", "assigned_to")
    actions_detail = ["answer", "start", "close", "promote"]
    export_columns = ("reference", "received_at", "hospital__name", "department__name", "channel", "status", "subject")

    fieldsets = (
        (None, {"fields": ("hospital", "department", "channel", "external_reference", "received_at", "assigned_to")}),
        (
            _("Who is asking"),
            {
                "fields": (
                    "complainant_kind",
                    "contact_name",
                    "contact_relation",
                    "contact_phone",
                    "contact_email",
                    "language",
                    "patient",
                )
            },
        ),
        (_("Question"), {"fields": ("subject", "question")}),
        (_("Answer"), {"fields": ("answer", "answered_at")}),
        (_("Service level"), {"fields": ("reference", "status", "sla_panel", "promoted_to")}),
    )

    def get_readonly_fields(self, request, obj=None):
        fixed = ("reference", "status", "sla_panel", "promoted_to", "answered_at")
        if obj is None:
            return fixed
        return (*fixed, "hospital", "channel", "external_reference", "received_at")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = inquiry_create(
            hospital=data["hospital"],
            subject=data["subject"],
            question=data["question"],
            channel=data["channel"],
            contact=contact_from(data),
            department=data.get("department"),
            patient=data.get("patient"),
            received_at=data.get("received_at"),
            external_reference=data.get("external_reference", ""),
            assigned_to=data.get("assigned_to"),
            by=request.user,
        )
        adopt(obj, created)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("reference"), ordering="reference")
    def reference_code(self, obj):
        return ltr(obj.reference)

    @admin.display(description=_("subject"))
    def subject_text(self, obj):
        return format_html('<bdi dir="auto">{}</bdi>', obj.subject)

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, obj):
        return local_datetime(obj.received_at)

    @display(description=_("status"), label=STATUS_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    def _step(self, request, object_id, do, *, question):
        """Ask first (GET), act on POST: a link alone never changes an inquiry."""
        inquiry = self.get_object(request, object_id)
        if inquiry is None:
            raise Http404
        if not self.has_change_permission(request, inquiry):
            raise PermissionDenied
        back = reverse("admin:complaints_inquiry_change", args=[inquiry.pk])

        def act():
            try:
                with transaction.atomic():
                    result = do(inquiry)
            except ComplaintError as error:
                for message in error.messages:
                    self.message_user(request, message, messages.ERROR)
                return HttpResponseRedirect(back)
            if isinstance(result, Complaint):
                self.message_user(
                    request, _("The inquiry is now the complaint %(reference)s.") % {"reference": result.reference}
                )
                return HttpResponseRedirect(reverse("admin:complaints_complaint_change", args=[result.pk]))
            self.message_user(
                request,
                _("%(reference)s is now %(status)s.")
                % {"reference": inquiry.reference, "status": inquiry.get_status_display()},
            )
            return HttpResponseRedirect(back)

        return confirm_then(
            request,
            self,
            obj=inquiry,
            title=inquiry.reference,
            message=question,
            button=_("Confirm"),
            back_url=back,
            on_confirm=act,
        )

    @action(description=_("Mark answered"), url_path="answer", permissions=["change"])
    def answer(self, request, object_id):
        return self._step(
            request,
            object_id,
            lambda i: inquiry_transition(i, InquiryStatus.ANSWERED, by=request.user),
            question=_("Mark this inquiry answered? Its answer is kept as written."),
        )

    @action(description=_("Start working on it"), url_path="start", permissions=["change"])
    def start(self, request, object_id):
        def go(inquiry):
            target = InquiryStatus.IN_PROGRESS
            if target not in INQUIRY_TRANSITIONS[InquiryStatus(inquiry.status)]:
                raise ComplaintError(_("This inquiry cannot be started now."))
            return inquiry_transition(inquiry, target, by=request.user)

        return self._step(request, object_id, go, question=_("Start working on this inquiry?"))

    @action(description=_("Close"), url_path="close", permissions=["change"])
    def close(self, request, object_id):
        return self._step(
            request,
            object_id,
            lambda i: inquiry_transition(i, InquiryStatus.CLOSED, by=request.user),
            question=_("Close this inquiry?"),
        )

    @action(description=_("Make it a complaint"), url_path="promote", permissions=["promote"])
    def promote(self, request, object_id):
        return self._step(
            request,
            object_id,
            lambda i: inquiry_promote(i, by=request.user),
            question=_("Make this inquiry a complaint? The complaint keeps the time the inquiry was received."),
        )

    def has_promote_permission(self, request, obj=None):
        return request.user.has_perm("complaints.add_complaint") and self.has_change_permission(request, obj)
