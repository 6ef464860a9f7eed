"""The complaint list and page: intake by staff, coding, the workflow, the timeline and the clocks."""

from __future__ import annotations

import contextlib

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from px360.core.access import restrict
from px360.core.admin.base import PXModelAdmin
from px360.core.admin.bidi import ltr, plain_object_label
from px360.sla.admin.common import ParentScopedInline, local_datetime, with_hijri

from ..choices import COMPLAINT_TRANSITIONS, ComplainantKind, ComplaintStatus, UpdateKind
from ..models import Complaint, ComplaintIssue
from ..selectors import sees_complainant
from ..services import (
    ComplaintError,
    Contact,
    NewComplaint,
    complaint_assign,
    complaint_create,
    complaint_message,
    complaint_note,
    complaint_recode,
    complaint_transition,
)
from .common import SLAColumnsMixin, SLADueFilter, adopt, contact_from

STATUS_COLOURS = {
    ComplaintStatus.NEW: "info",
    ComplaintStatus.ACKNOWLEDGED: "info",
    ComplaintStatus.IN_PROGRESS: "warning",
    ComplaintStatus.WAITING: "warning",
    ComplaintStatus.RESOLVED: "success",
    ComplaintStatus.CLOSED: "success",
}

CONTACT_FIELDS = (
    "complainant_kind",
    "contact_name",
    "contact_relation",
    "contact_phone",
    "contact_email",
    "language",
    "identity_withheld",
    "patient",
    "encounter",
)


class IssueInline(ParentScopedInline):
    """The complaint's HCAT coding: changed only by those who may change the complaint."""

    model = ComplaintIssue
    fields = ("category", "severity", "harm", "stage_of_care", "is_medical", "note")
    verbose_name = _("issue (HCAT coding)")
    verbose_name_plural = _("issues (HCAT coding)")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "category":
            from ..models import HCATCategory

            kwargs["queryset"] = HCATCategory.objects.filter(is_active=True).select_related("parent")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ComplaintForm(forms.ModelForm):
    """Checks the complainant and the hospital of everything named, as the service does."""

    class Meta:
        model = Complaint
        fields = (
            "hospital",
            "department",
            "channel",
            "external_reference",
            "received_at",
            *CONTACT_FIELDS,
            "summary",
            "description",
            "physicians",
            "staff",
            "severity",
            "resolution",
        )

    def clean(self):
        data = super().clean()
        if not any(name in self.fields for name in ("contact_phone", "contact_email")):
            return data
        contact = Contact(
            kind=data.get("complainant_kind") or ComplainantKind.PATIENT,
            name=data.get("contact_name", ""),
            relation=data.get("contact_relation", ""),
            phone=data.get("contact_phone", ""),
            email=data.get("contact_email", ""),
            language=data.get("language") or "ar",
        )
        try:
            cleaned = contact.cleaned()
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                self.add_error(name if name in self.fields else None, errors)
            return data
        for name, value in cleaned.fields().items():
            if name in self.fields:
                data[name] = value
        hospital = data.get("hospital") or getattr(self.instance, "hospital", None)
        if hospital is not None:
            for name in ("department", "patient", "encounter"):
                value = data.get(name)
                if value is not None and value.hospital_id != hospital.pk:
                    self.add_error(name, _("This belongs to another hospital."))
            for name in ("physicians", "staff"):
                if any(value.hospital_id != hospital.pk for value in data.get(name) or ()):
                    self.add_error(name, _("This belongs to another hospital."))
        return data


@admin.register(Complaint)
class ComplaintAdmin(SLAColumnsMixin, PXModelAdmin):
    form = ComplaintForm
    list_display = (
        "reference_code",
        "summary_text",
        "hospital_code",
        "department",
        "status_badge",
        "severity",
        "received",
        "assigned_to",
        "time_left",
    )
    list_display_links = ("reference_code", "summary_text")
    list_filter = (
        ("status", ChoicesDropdownFilter),
        SLADueFilter,
        ("channel", ChoicesDropdownFilter),
        ("severity", ChoicesDropdownFilter),
        ("hospital", AutocompleteSelectFilter),
        ("department", AutocompleteSelectFilter),
        ("received_at", RangeDateTimeFilter),
    )
    search_fields = ("=reference", "=external_reference", "=patient__mrn")
    search_help_text = _("Reference (CMP-…), external ticket number or the patient's MRN, exactly.")
    list_select_related = ("hospital", "department", "assigned_to")
    autocomplete_fields = ("hospital", "department", "patient", "physicians", "staff")
    raw_id_fields = ("encounter",)
    inlines = (IssueInline,)
    actions_detail = ["work_on"]
    actions_list = ["open_937_import"]
    export_columns = (
        "reference",
        "received_at",
        "hospital__name",
        "department__name",
        "channel",
        "status",
        "severity",
        "harm",
        "summary",
        "acknowledged_at",
        "expected_by",
        "resolved_at",
        "closed_at",
        "reopen_count",
    )

    # --- pages ------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return (
                (None, {"fields": ("hospital", "department", "channel", "external_reference", "received_at")}),
                (_("Complainant"), {"fields": CONTACT_FIELDS}),
                (_("What happened"), {"fields": ("summary", "description", "physicians", "staff", "severity")}),
            )
        sets = [
            (
                None,
                {
                    "fields": (
                        "reference",
                        "status",
                        "hospital",
                        "department",
                        "assigned_to",
                        "channel",
                        "external_reference",
                        "received_on",
                    )
                },
            ),
        ]
        if sees_complainant(request.user, obj):
            sets.append((_("Complainant"), {"fields": CONTACT_FIELDS}))
        sets += [
            (_("What happened"), {"fields": ("summary", "description", "physicians", "staff")}),
            (_("Coding"), {"fields": ("severity", "harm")}),
            (_("Resolution"), {"fields": ("resolution",)}),
            (
                _("Service level"),
                {
                    "fields": (
                        "sla_panel",
                        "acknowledged_on",
                        "expected_on",
                        "resolved_on",
                        "closed_on",
                        "reopen_count",
                    )
                },
            ),
            (_("Timeline"), {"fields": ("timeline_panel",)}),
            (_("Attachments"), {"fields": ("attachments_panel",)}),
            (_("Sources"), {"fields": ("survey_response", "resolution_survey", "created_by")}),
        ]
        return sets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "reference",
            "status",
            "hospital",
            "assigned_to",
            "channel",
            "external_reference",
            "received_on",
            "severity",
            "harm",
            "sla_panel",
            "acknowledged_on",
            "expected_on",
            "resolved_on",
            "closed_on",
            "reopen_count",
            "timeline_panel",
            "attachments_panel",
            "survey_response",
            "resolution_survey",
            "created_by",
        )

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None and "hospital" in form.base_fields and request.user.hospital_id:
            form.base_fields["hospital"].initial = request.user.hospital_id
        return form

    def save_model(self, request, obj, form, change):
        if change:
            previous = Complaint.objects.only("department_id").get(pk=obj.pk)
            with transaction.atomic():
                super().save_model(request, obj, form, change)
                if previous.department_id != obj.department_id:
                    from px360.sla import services as sla

                    with contextlib.suppress(LookupError):
                        sla.update_item(obj, department=obj.department)
            return
        data = form.cleaned_data
        created = complaint_create(
            NewComplaint(
                hospital=data["hospital"],
                summary=data["summary"],
                description=data["description"],
                channel=data["channel"],
                contact=contact_from(data),
                received_at=data.get("received_at"),
                department=data.get("department"),
                patient=data.get("patient"),
                encounter=data.get("encounter"),
                physicians=list(data.get("physicians") or ()),
                staff=list(data.get("staff") or ()),
                identity_withheld=data.get("identity_withheld", False),
                external_reference=data.get("external_reference", ""),
                severity=data.get("severity") or 1,
            ),
            by=request.user,
        )
        adopt(obj, created, "created_at", "updated_at", "expected_by", "identity_withheld", "patient_id")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            complaint_recode(form.instance, by=request.user)

    def has_delete_permission(self, request, obj=None):
        # A complaint is a record the hospital answers for: it is closed, never deleted.
        return False

    # --- columns ----------------------------------------------------------------

    @admin.display(description=_("reference"), ordering="reference")
    def reference_code(self, obj):
        return ltr(obj.reference)

    @admin.display(description=_("hospital"), ordering="hospital__code")
    def hospital_code(self, obj):
        return ltr(obj.hospital.code)

    @admin.display(description=_("summary"))
    def summary_text(self, obj):
        return format_html('<bdi dir="auto">{}</bdi>', obj.summary)

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, obj):
        return local_datetime(obj.received_at)

    # Dates on the complaint's page: Riyadh time with the Hijri date beside it.
    @admin.display(description=_("received at"))
    def received_on(self, obj):
        return with_hijri(obj.received_at)

    @admin.display(description=_("acknowledged at"))
    def acknowledged_on(self, obj):
        return with_hijri(obj.acknowledged_at)

    @admin.display(description=_("expected answer by"))
    def expected_on(self, obj):
        return with_hijri(obj.expected_by)

    @admin.display(description=_("resolved at"))
    def resolved_on(self, obj):
        return with_hijri(obj.resolved_at)

    @admin.display(description=_("closed at"))
    def closed_on(self, obj):
        return with_hijri(obj.closed_at)

    @display(description=_("status"), label=STATUS_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @admin.display(description=_("timeline"))
    def timeline_panel(self, obj):
        updates = list(obj.updates.select_related("author").order_by("created_at"))
        if not updates:
            return "—"
        rows = []
        for update in updates:
            if update.kind == UpdateKind.STATUS and update.new_status:
                what = (
                    format_html("{} → {}", ComplaintStatus(update.old_status).label, update.get_new_status_display())
                    if update.old_status
                    else update.get_new_status_display()
                )
            else:
                what = update.get_kind_display()
            who = (update.author.get_full_name() or update.author.get_username()) if update.author else _("PX360")
            rows.append(
                (
                    local_datetime(update.created_at),
                    who,
                    what,
                    update.text or "",
                )
            )
        items = format_html_join(
            "",
            "<li class='py-1 border-b border-base-200 dark:border-base-700'><span class='text-xs text-base-500'>"
            "<bdi dir='ltr'>{}</bdi> · {}</span><div class='font-medium'>{}</div>"
            "<div class='whitespace-pre-wrap'><bdi dir='auto'>{}</bdi></div></li>",
            rows,
        )
        return format_html("<ul>{}</ul>", items)

    @admin.display(description=_("attachments"))
    def attachments_panel(self, obj):
        attachments = list(obj.attachments.order_by("created_at"))
        if not attachments:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><a class='text-primary-600 underline' href='{}' target='_blank' rel='noopener'>"
                "<bdi dir='auto'>{}</bdi></a> <span class='text-xs'>({} KB)</span></li>",
                ((_attachment_url(a), a.original_name, max(1, a.size // 1024)) for a in attachments),
            ),
        )

    # --- the Ministry's 937 line ---------------------------------------------------

    def get_urls(self):
        from .. import import937

        return [*import937.urls(self.admin_site), *super().get_urls()]

    @action(description=_("Import 937 tickets"), url_path="import-937-start", permissions=["open_937_import"])
    def open_937_import(self, request):
        return HttpResponseRedirect(reverse("admin:complaints_complaint_import_937"))

    def has_open_937_import_permission(self, request):
        from ..moh937 import may_import

        return may_import(request.user)

    # --- the workflow -------------------------------------------------------------

    @action(description=_("Work on this complaint"), url_path="work", permissions=["change"])
    def work_on(self, request, object_id):
        complaint = self.get_object(request, object_id)
        if complaint is None:
            raise Http404
        if not self.has_change_permission(request, complaint):
            raise PermissionDenied
        form = WorkflowForm(request.POST or None, request.FILES or None, complaint=complaint, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                done = form.apply(by=request.user)
            except ComplaintError as error:
                for name, errors in getattr(error, "message_dict", {None: error.messages}).items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:complaints_complaint_change", args=[complaint.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Work on %(reference)s") % {"reference": complaint.reference},
            "complaint": complaint,
            "form": form,
            "back_url": reverse("admin:complaints_complaint_change", args=[complaint.pk]),
        }
        return TemplateResponse(request, "complaints/admin/workflow.html", context)


def _attachment_url(attachment) -> str:
    return reverse("complaints_files:attachment", args=[attachment.pk])


STEP_TO_STATUS = {
    "acknowledge": ComplaintStatus.ACKNOWLEDGED,
    "start": ComplaintStatus.IN_PROGRESS,
    "wait": ComplaintStatus.WAITING,
    "resolve": ComplaintStatus.RESOLVED,
    "close": ComplaintStatus.CLOSED,
    "reopen": ComplaintStatus.IN_PROGRESS,
}

STEP_LABELS = {
    "acknowledge": _("Acknowledge (the complainant is told the reference and the expected date)"),
    "start": _("Start working on it"),
    "wait": _("Wait for the complainant (pauses the resolve clock)"),
    "resolve": _("Resolve (the complainant is told)"),
    "close": _("Close (sends the satisfaction survey)"),
    "reopen": _("Reopen"),
    "assign": _("Assign to a person or a department"),
    "note": _("Add an internal note"),
    "message": _("Write to the complainant"),
    "attach": _("Attach a file (PDF, image or Word document)"),
}


def available_steps(complaint) -> list[str]:
    allowed = COMPLAINT_TRANSITIONS[ComplaintStatus(complaint.status)]
    steps = []
    for step, status in STEP_TO_STATUS.items():
        reopening = complaint.status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)
        if status in allowed and ((step == "reopen") == (reopening and status == ComplaintStatus.IN_PROGRESS)):
            steps.append(step)
    return [*steps, "assign", "note", "message", "attach"]


class WorkflowForm(forms.Form):
    step = forms.ChoiceField(label=_("What to do"), widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Note, message or reason"),
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 4, "dir": "auto"}),
        help_text=_("A message goes to the complainant in their language; a note stays inside the hospital."),
    )
    resolution = forms.CharField(
        label=_("Resolution summary"),
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 4, "dir": "auto"}),
    )
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=get_user_model().objects.none(), required=False, widget=UnfoldAdminSelectWidget
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=None, required=False, widget=UnfoldAdminSelectWidget
    )

    file = forms.FileField(label=_("File"), required=False)

    def __init__(self, *args, complaint, user, **kwargs):
        super().__init__(*args, **kwargs)
        from px360.organizations.models import Department

        self.complaint = complaint
        self.fields["step"].choices = [(step, STEP_LABELS[step]) for step in available_steps(complaint)]
        self.fields["resolution"].initial = complaint.resolution
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, hospital=complaint.hospital)
            .order_by("first_name", "last_name", "username")
        )
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        self.fields["department"].queryset = restrict(
            Department.objects.filter(hospital=complaint.hospital), user
        ).order_by("code")
        self.fields["department"].label_from_instance = plain_object_label

    def apply(self, *, by) -> str:
        step = self.cleaned_data["step"]
        text = self.cleaned_data.get("text") or ""
        complaint = self.complaint
        if step in STEP_TO_STATUS:
            resolution = (self.cleaned_data.get("resolution") or "").strip()
            if resolution and resolution != complaint.resolution:
                complaint.resolution = resolution
                complaint._change_reason = "resolution"
                complaint.save(update_fields=["resolution", "updated_at"])
            complaint_transition(complaint, STEP_TO_STATUS[step], by=by, note=text)
            return _("%(reference)s is now %(status)s.") % {
                "reference": complaint.reference,
                "status": complaint.get_status_display(),
            }
        if step == "assign":
            complaint_assign(
                complaint, by=by, user=self.cleaned_data.get("assignee"), department=self.cleaned_data.get("department")
            )
            return _("%(reference)s is assigned.") % {"reference": complaint.reference}
        if step == "note":
            complaint_note(complaint, by=by, text=text)
            return _("The note is on the timeline.")
        if step == "attach":
            from ..attachments import attachment_add

            uploaded = self.cleaned_data.get("file")
            if uploaded is None:
                raise ComplaintError({"file": [_("Choose the file to attach.")]})
            with transaction.atomic():
                attachment = attachment_add(complaint, uploaded, by=by)
                complaint_note(complaint, by=by, text=_("Attached %(name)s") % {"name": attachment.original_name})
            return _("The file is attached.")
        complaint_message(complaint, by=by, text=text)
        return _("The message is queued for the complainant.")
