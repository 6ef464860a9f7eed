"""Admin forms for the survey settings stored as JSON: a coordinator edits them as
fields (ordered channels, department boxes, an options table) and the same JSON is
stored, so nothing that reads it changes."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from px360.core.admin.bidi import LRI, PDI, isolate
from px360.core.choices import Channel
from px360.organizations.models import Department

from .choices import QuestionType
from .models import NegativeItems, SurveyPolicy, SurveyQuestion, SurveyTemplate

#: The composite code the question's help text gives as an example.
DIMENSION_EXAMPLE = "nurse_communication"

#: Questions that can be an overall rating: a 1–5 or a 0–10 rating.
RATED_TYPES = (QuestionType.RATING, QuestionType.NPS)

# --- channel order ---------------------------------------------------------------


class ChannelOrderWidget(forms.MultiWidget):
    """One drop-down per position: first choice, second choice, …"""

    template_name = "surveys/widgets/channel_order.html"

    def __init__(self, attrs=None):
        choices = [("", _("— not used —")), *Channel.choices]
        widgets = [UnfoldAdminSelectWidget(choices=choices) for _channel in Channel]
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = []
        value = list(value) if isinstance(value, list | tuple) else []
        return (value + [""] * len(self.widgets))[: len(self.widgets)]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for position, subwidget in enumerate(context["widget"]["subwidgets"], start=1):
            subwidget["attrs"]["aria-label"] = _("Channel %(position)d") % {"position": position}
            subwidget["position"] = position
        return context


class ChannelOrderField(forms.Field):
    """The channels to try, in order: a list such as ``["whatsapp", "sms"]``."""

    widget = ChannelOrderWidget

    def to_python(self, value):
        if isinstance(value, str):
            value = ChannelOrderWidget().decompress(value)
        return [str(item).strip() for item in (value or [])]

    def validate(self, value):
        chosen = [item for item in value if item]
        if not chosen:
            raise ValidationError(_("Choose at least the first channel."), code="required")
        if any(item not in Channel.values for item in chosen):
            raise ValidationError(_("Choose channels from the list."), code="invalid_choice")
        if len(set(chosen)) != len(chosen):
            raise ValidationError(_("Choose each channel only once."), code="duplicate")
        if value[: len(chosen)] != chosen:
            raise ValidationError(_("Fill the positions in order, without leaving a gap."), code="gap")

    def clean(self, value):
        value = self.to_python(value)
        self.validate(value)
        return [item for item in value if item]

    def has_changed(self, initial, data):
        return [item for item in self.to_python(initial) if item] != [item for item in self.to_python(data) if item]


# --- policy --------------------------------------------------------------------


class SurveyPolicyForm(forms.ModelForm):
    channel_order = ChannelOrderField(
        label=capfirst(_("channel order")),
        help_text=_("The channel tried first, then the next when the patient cannot be reached on it."),
    )
    excluded_department_codes = forms.MultipleChoiceField(
        label=capfirst(_("excluded departments")),
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("Patients of these departments are never surveyed."),
    )

    #: The departments the editor may see (the admin sets it per request).
    departments = Department.objects.none()

    class Meta:
        model = SurveyPolicy
        # The admin's fieldsets choose the fields shown.
        fields = ("channel_order", "excluded_department_codes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hospital_id = self.instance.hospital_id if self.instance.pk else None
        departments = self.departments.order_by("code")
        if hospital_id:
            departments = departments.filter(hospital_id=hospital_id)
        labels: dict[str, str] = {}
        # The department's name; its code (read left to right) isolated in the label.
        for department in departments:
            labels.setdefault(department.code, f"{department.name} ({LRI}{department.code}{PDI})")
        # Codes stored earlier whose department is gone stay choosable, so saving keeps them.
        for code in self.instance.excluded_department_codes or []:
            labels.setdefault(code, f"{LRI}{code}{PDI}")
        self.fields["excluded_department_codes"].choices = sorted(labels.items(), key=lambda item: item[1])


# --- question options ------------------------------------------------------------


class ChoiceRowsWidget(forms.Widget):
    """A table of options, one row each: the stored value, the Arabic and the English label.

    Rows are posted as ``<name>_<n>_value``, ``<name>_<n>_ar`` and ``<name>_<n>_en``;
    a few empty rows are offered for new options.
    """

    template_name = "surveys/widgets/choice_rows.html"
    blank_rows = 3

    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = []
        return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = context["widget"]["value"] + [{}] * self.blank_rows
        inputs = UnfoldAdminTextInputWidget()
        context["widget"]["rows"] = [
            {
                "number": number + 1,
                "cells": [
                    inputs.get_context(
                        f"{name}_{number}_{key}", row.get(key, ""), {"aria-label": label, "dir": direction}
                    )["widget"]
                    for key, label, direction in (
                        ("value", _("Option %(number)d: stored value") % {"number": number + 1}, "ltr"),
                        ("ar", _("Option %(number)d: Arabic label") % {"number": number + 1}, "rtl"),
                        ("en", _("Option %(number)d: English label") % {"number": number + 1}, "ltr"),
                    )
                ],
            }
            for number, row in enumerate(rows)
        ]
        context["widget"]["has_options"] = bool(context["widget"]["value"])
        return context

    def value_from_datadict(self, data, files, name):
        rows = []
        number = 0
        while f"{name}_{number}_value" in data:
            rows.append({key: (data.get(f"{name}_{number}_{key}") or "").strip() for key in ("value", "ar", "en")})
            number += 1
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}_0_value" not in data


class ChoiceListField(forms.Field):
    """The options of a choice question: ``[{"value": ..., "ar": ..., "en": ...}, ...]``."""

    widget = ChoiceRowsWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = ChoiceRowsWidget().format_value(value)
        return [row for row in value if any(str(row.get(key) or "").strip() for key in ("value", "ar", "en"))]

    def clean(self, value):
        value = self.to_python(value)
        self.validate(value)
        return [{key: str(row.get(key) or "").strip() for key in ("value", "ar", "en")} for row in value]

    def has_changed(self, initial, data):
        return self.to_python(initial) != self.to_python(data)


def _dimension_help_text() -> str:
    # The model's help text, its example (a code) isolated left to right.
    text = SurveyQuestion._meta.get_field("dimension").help_text
    return isolate(text, [DIMENSION_EXAMPLE])


_dimension_help = lazy(_dimension_help_text, str)


class SurveyQuestionForm(forms.ModelForm):
    choices = ChoiceListField(
        label=capfirst(_("options")),
        help_text=_("Only for single- and multiple-choice questions: each option's stored value and its labels."),
    )

    class Meta:
        model = SurveyQuestion
        # The inline's ``fields`` choose the fields shown.
        fields = ("choices",)
        # Read-only pages take help texts from here too: the model's name the JSON keys
        # and a code, which read as English inside an Arabic sentence.
        help_texts = {
            "choices": _("Only for single- and multiple-choice questions: each option's stored value and its labels."),
            "dimension": _dimension_help(),
        }


# --- when a response is negative ---------------------------------------------------------


NEGATIVE_RULE_FIELDS = (
    "negative_items",
    "negative_rating_max",
    "negative_scale_max",
    "negative_overall",
    "overall_questions",
    "negative_detractor",
)


class SurveyTemplateForm(forms.ModelForm):
    """The template with its negative rules; the overall rating questions are ticked, not typed."""

    overall_questions = forms.MultipleChoiceField(
        label=capfirst(_("overall rating questions")),
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_(
            "The questions that rate the visit or the hospital as a whole (a 1–5 or 0–10 rating). "
            "A question added below can be ticked once the template is saved."
        ),
    )

    class Meta:
        model = SurveyTemplate
        # The admin's fieldsets choose the fields shown.
        fields = ("overall_questions",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        questions = (
            self.instance.questions.filter(question_type__in=RATED_TYPES).order_by("order", "code")
            if self.instance.pk
            else SurveyQuestion.objects.none()
        )
        labels = {
            question.code: format_html('{} <bdi dir="ltr">({})</bdi>', question.text, question.code)
            for question in questions
        }
        # A code chosen earlier whose question is gone stays listed, so the editor sees it and can untick it.
        for code in self.instance.overall_questions or []:
            labels.setdefault(code, str(code))
        self.fields["overall_questions"].choices = list(labels.items())
        if self.is_bound and not self.rules_posted:
            for name in NEGATIVE_RULE_FIELDS:
                if name in self.fields:
                    self.fields[name].required = False

    @property
    def rules_posted(self) -> bool:
        """Whether the post comes from a page with the negative rules on it (the radio is always set)."""
        return self.add_prefix("negative_items") in self.data

    def clean(self):
        cleaned = super().clean()
        if self.is_bound and not self.rules_posted:
            # A page without the rules (an older form, another client) leaves them as they are,
            # rather than reading its missing boxes as switched off.
            for name in NEGATIVE_RULE_FIELDS:
                if name in self.fields:
                    cleaned[name] = getattr(self.instance, name)
        return cleaned


class SurveyQuestionFormSet(forms.BaseInlineFormSet):
    """The template's questions, checked against its negative rules once both are posted."""

    def clean(self):
        super().clean()
        template = self.instance
        if template is None or any(form.errors for form in self.forms):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("code")
        ]
        rated = {data["code"]: data for data in kept if data.get("question_type") in RATED_TYPES}
        errors = []
        if template.negative_items == NegativeItems.KEY and not any(
            data.get("is_key")
            and (data.get("question_type") == QuestionType.RATING or code in (template.overall_questions or []))
            for code, data in rated.items()
        ):
            errors.append(
                ValidationError(
                    _(
                        "Only key questions make a response negative, but no rated question of this survey is a "
                        "key question: mark one as key, or count any rated question."
                    ),
                    code="no_key_question",
                )
            )
        missing = [code for code in template.overall_questions or [] if code not in rated]
        if missing:
            errors.append(
                ValidationError(
                    _("Not a rated question of this survey any more, so it cannot be an overall rating: %(codes)s."),
                    code="overall_not_rated",
                    params={"codes": ", ".join(missing)},
                )
            )
        if errors:
            raise ValidationError(errors)
