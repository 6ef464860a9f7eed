"""Forms of the public complaint pages: the complaint itself and the status look-up."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from px360.core.validators import normalize_phone
from px360.organizations.models import Department, Hospital

from . import attachments
from .choices import ComplainantKind, Language, Relation

SUMMARY_MAX = 200
DESCRIPTION_MAX = 5000


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by its content in the form's clean."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": attachments.ACCEPT, "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _name(record, language: str) -> str:
    return getattr(record, f"name_{language}", "") or record.name


class ComplaintForm(forms.Form):
    """The public complaint form; the hospital and department lists are read in ``language``."""

    hospital = forms.ChoiceField(
        label=_("Hospital"),
        error_messages={"required": _("Choose the hospital."), "invalid_choice": _("Choose the hospital.")},
    )
    complainant_kind = forms.ChoiceField(
        label=_("Who is raising this complaint?"),
        choices=ComplainantKind.choices,
        initial=ComplainantKind.PATIENT,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who is raising the complaint.")},
    )
    contact_relation = forms.ChoiceField(
        label=_("Your relation to the patient"),
        choices=[("", "—"), *Relation.choices],
        required=False,
    )
    contact_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "dir": "auto"}),
    )
    contact_phone = forms.CharField(
        label=_("Mobile number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "dir": "ltr"}),
        help_text=_("We send updates to this number; its last four digits let you follow the complaint."),
    )
    contact_email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
        error_messages={"invalid": _("Enter a valid e-mail address.")},
    )
    language = forms.ChoiceField(
        label=_("Language for our replies"), choices=Language.choices, widget=forms.RadioSelect
    )
    department = forms.ChoiceField(label=_("Department (if you know it)"), required=False)
    summary = forms.CharField(
        label=_("In a few words, what is the complaint about?"),
        max_length=SUMMARY_MAX,
        widget=forms.TextInput(attrs={"dir": "auto"}),
        error_messages={"required": _("Give a short summary.")},
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
        help_text=_("When and where it happened, who was involved, and what you would like us to do."),
        error_messages={"required": _("Describe what happened.")},
    )
    identity_withheld = forms.BooleanField(
        label=_("Do not tell the staff I mention who I am"),
        required=False,
    )
    attachments = MultipleFileField(
        label=_("Attachments (optional)"),
        required=False,
    )
    # A field people never see: whatever fills it is a robot.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.language = language
        hospitals = sorted(Hospital.objects.filter(is_active=True), key=lambda hospital: _name(hospital, language))
        self.hospitals = {hospital.code: hospital for hospital in hospitals}
        self.fields["hospital"].choices = [("", "—")] + [(h.code, _name(h, language)) for h in hospitals]
        departments = (
            Department.objects.filter(is_active=True, hospital__in=hospitals)
            .select_related("hospital")
            .order_by("hospital__code", f"name_{language}")
        )
        self.departments = {str(d.pk): d for d in departments}
        groups: dict[str, list] = {}
        for department in departments:
            groups.setdefault(department.hospital.code, []).append((str(department.pk), _name(department, language)))
        self.department_groups = groups
        self.fields["department"].choices = [("", "—")] + [
            (_name(hospital, language), groups[hospital.code]) for hospital in hospitals if hospital.code in groups
        ]
        self.fields["language"].initial = language
        self.fields["attachments"].help_text = gettext(
            "Up to %(count)s files: photos (JPEG, PNG, WebP, GIF), PDF or Word documents, each up to %(size)s."
        ) % {"count": attachments.MAX_PUBLIC_FILES, "size": _size(attachments.max_bytes())}

    def clean_hospital(self):
        code = self.cleaned_data["hospital"]
        hospital = self.hospitals.get(code)
        if hospital is None:
            raise ValidationError(_("Choose the hospital."))
        return hospital

    def clean_department(self):
        value = self.cleaned_data.get("department")
        return self.departments.get(value) if value else None

    def clean_contact_name(self):
        return " ".join(self.cleaned_data["contact_name"].split())

    def clean_contact_phone(self):
        value = self.cleaned_data["contact_phone"].strip()
        return normalize_phone(value) if value else ""

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        try:
            attachments.check_files(files)
        except ValidationError as error:
            raise ValidationError(error.message_dict["attachments"]) from None
        return files

    def clean(self):
        data = super().clean()
        kind = data.get("complainant_kind")
        hospital = data.get("hospital")
        department = data.get("department")
        if department is not None and hospital is not None and department.hospital_id != hospital.pk:
            self.add_error("department", _("Choose a department of the hospital you chose."))
        if kind == ComplainantKind.ANONYMOUS:
            for name in ("contact_name", "contact_phone", "contact_email", "contact_relation"):
                data[name] = ""
                self.errors.pop(name, None)
            return data
        if kind == ComplainantKind.ON_BEHALF and not data.get("contact_relation"):
            self.add_error("contact_relation", _("Say how you are related to the patient."))
        if "contact_name" in data and not data["contact_name"]:
            self.add_error("contact_name", _("Write your name, or choose to stay anonymous."))
        if (
            "contact_phone" not in self.errors
            and "contact_email" not in self.errors
            and not data.get("contact_phone")
            and not data.get("contact_email")
        ):
            self.add_error("contact_phone", _("Give a mobile number or an e-mail address so that we can answer you."))
        return data

    @property
    def trapped(self) -> bool:
        """Whether the field people never see was filled in."""
        return bool((self.cleaned_data.get("website") or "").strip())


def _size(limit: int) -> str:
    return filesizeformat(limit)


class StatusForm(forms.Form):
    reference = forms.CharField(
        label=_("Complaint reference"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "dir": "ltr",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "placeholder": "CMP-2026-000123",
            }
        ),
        error_messages={"required": _("Write the reference you were given, e.g. CMP-2026-000123.")},
    )
    phone_digits = forms.CharField(
        label=_("Last four digits of your mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Write the last four digits of the mobile number you gave.")},
    )


def describe(form) -> None:
    """Tie each field to its help and its errors for screen readers (call once the form is checked)."""
    for name, field in form.fields.items():
        ids = []
        if field.help_text:
            ids.append(f"help-{name}")
        if name in form.errors:
            ids.append(f"error-{name}")
            field.widget.attrs["aria-invalid"] = "true"
        if ids:
            field.widget.attrs["aria-describedby"] = " ".join(ids)
