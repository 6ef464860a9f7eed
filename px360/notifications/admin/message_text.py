"""Message texts: the wording patients receive, edited per hospital, language and channel, with a preview.

The change page shows the placeholders the message may use, the wording PX360
ships for comparison, and a preview with sample values (the hospital's name,
a link as long as a real one) as SMS, WhatsApp and e-mail would carry it,
with the number of SMS parts. "Preview" shows the text as typed without
saving it.
"""

from __future__ import annotations

import contextvars
from string import Template

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter, DropdownFilter

from px360.core.access import user_is_global
from px360.core.admin.base import PXModelAdmin
from px360.core.admin.bidi import display_object
from px360.core.choices import Channel, Language

from .. import message_kinds
from ..messages import Texts, compose
from ..models import MessageText
from ..sms import MAX_PARTS, sms_length

_current_request: contextvars.ContextVar = contextvars.ContextVar("px360_message_text_request", default=None)

#: The name of the form's "Preview" button, and the code of the form error that keeps it from saving.
PREVIEW = "_preview"

_VALUE_CLASS = "rounded-sm bg-primary-100 px-1 font-semibold text-primary-700 dark:bg-primary-500/20"
_MISTAKE_CLASS = "rounded-sm bg-red-100 px-1 text-red-700 dark:bg-red-500/20 dark:text-red-400"


def direction(language: str) -> str:
    return "rtl" if language == Language.ARABIC else "ltr"


def marked_placeholders(text: str) -> SafeString:
    """``text`` escaped, each placeholder shown as code (``$hospital`` reads as a token, left to right)."""
    pieces, position = [], 0
    for match in Template.pattern.finditer(text or ""):
        pieces.append(escape(text[position : match.start()]))
        token = match.group(0)
        if match.group("named") or match.group("braced"):
            pieces.append(format_html('<code dir="ltr">{}</code>', token))
        else:
            pieces.append(escape(token))
        position = match.end()
    pieces.append(escape((text or "")[position:]))
    return mark_safe("".join(pieces))


def filled_html(text: str, context: dict, *, email: bool = False) -> SafeString:
    """``text`` escaped with its placeholders replaced by their sample values, highlighted.

    A placeholder the message does not offer stays as written, marked as a
    mistake. ``email``: the link is left out, as the e-mail shows it as a button.
    """
    pieces, position, text = [], 0, text or ""
    for match in Template.pattern.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        position = match.end()
        name = match.group("named") or match.group("braced")
        if match.group("escaped") is not None:
            pieces.append("$")
        elif name is None or name not in context:
            pieces.append(format_html('<code dir="ltr" class="{}">{}</code>', _MISTAKE_CLASS, match.group(0)))
        elif not (email and name == "link"):
            direction_ = ' dir="ltr"' if name.endswith("link") else ""
            pieces.append(format_html('<bdi class="{}"{}>{}</bdi>', _VALUE_CLASS, mark_safe(direction_), context[name]))
    pieces.append(escape(text[position:]))
    filled = "".join(pieces)
    return mark_safe(filled.rstrip(": ") if email else filled)


def in_text_language(content: SafeString, language: str) -> SafeString:
    """A text (already escaped) in a box, in its language and direction, its line breaks kept."""
    return format_html(
        '<div lang="{}" dir="{}" class="rounded-default border border-base-200 p-3 dark:border-base-700">{}</div>',
        language,
        direction(language),
        mark_safe(str(content).replace("\n", "<br>")),
    )


def sms_summary(text: str, *, shipped_parts: int | None = None) -> SafeString:
    """How the text travels as an SMS: parts, characters, alphabet, and what is worth a warning."""
    length = sms_length(text)
    alphabet = (
        _("Unicode, 70 characters a part (67 when split)")
        if length.unicode
        else _("basic alphabet, 160 characters a part (153 when split)")
    )
    line = format_html(
        "{} · {} · {}",
        ngettext("%(count)d SMS part", "%(count)d SMS parts", length.parts) % {"count": length.parts},
        ngettext("%(count)d character", "%(count)d characters", length.units) % {"count": length.units},
        alphabet,
    )
    notes = []
    if length.parts > MAX_PARTS:
        notes.append(
            ngettext("Too long: at most %(max)d part is sent.", "Too long: at most %(max)d parts are sent.", MAX_PARTS)
            % {"max": MAX_PARTS}
        )
    elif shipped_parts is not None and length.parts > shipped_parts:
        notes.append(
            ngettext(
                "Longer than the shipped wording, which takes %(count)d part: each part is charged.",
                "Longer than the shipped wording, which takes %(count)d parts: each part is charged.",
                shipped_parts,
            )
            % {"count": shipped_parts}
        )
    latin_outside = [char for char in length.outside if not ("\u0600" <= char <= "\u06ff")]
    if length.unicode and len(latin_outside) == len(length.outside):
        # No Arabic letter: a single typographic character is what makes every part shorter.
        notes.append(
            format_html(
                "{} {}",
                _("Sent as Unicode because of:"),
                format_html_join(" ", '<bdi dir="ltr">{}</bdi>', ((char,) for char in latin_outside)),
            )
        )
    warnings = format_html_join("", '<p class="text-red-600 dark:text-red-400">{}</p>', ((note,) for note in notes))
    return format_html('<p class="text-sm">{}</p>{}', line, warnings)


class ChannelFilter(DropdownFilter):
    """The text's channel, "every channel" included (stored blank)."""

    title = _("channel")
    parameter_name = "channel"
    EVERY = "every"

    def lookups(self, request, model_admin):
        return [(self.EVERY, _("Every channel")), *Channel.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.EVERY:
            return queryset.filter(channel="")
        if value in Channel.values:
            return queryset.filter(channel=value)
        return queryset


class MessageTextForm(forms.ModelForm):
    class Meta:
        model = MessageText
        fields = ("kind", "hospital", "language", "channel", "is_active", "subject", "body")

    def clean(self):
        cleaned = super().clean()
        if self.data.get(PREVIEW):
            # Keeps the form from saving; the page drops this error and shows the preview instead.
            self.add_error(None, ValidationError(_("Preview only: nothing was saved."), code=PREVIEW))
        return cleaned


@admin.register(MessageText)
class MessageTextAdmin(PXModelAdmin):
    """A hospital edits its own texts; the group's texts only a PX Admin."""

    form = MessageTextForm
    group_wide_error = _("Choose your hospital: only a PX Admin edits the texts of the whole group.")
    list_display = ("kind", "hospital_or_group", "language", "channel_label", "text_start", "is_active", "updated_at")
    list_filter = (
        ("kind", ChoicesDropdownFilter),
        ("hospital", AutocompleteSelectFilter),
        ("language", ChoicesDropdownFilter),
        ChannelFilter,
        "is_active",
    )
    list_select_related = ("hospital",)
    search_fields = ("subject", "body")
    search_help_text = _("Words of the subject or the text.")
    autocomplete_fields = ("hospital",)
    readonly_fields = ("placeholders", "preview", "shipped_wording", "subject_shown", "body_shown")
    fieldsets = (
        (None, {"fields": ("kind", "hospital", "language", "channel", "is_active")}),
        (_("Text"), {"fields": ("subject", "body", "placeholders")}),
        (_("Preview"), {"fields": ("preview",)}),
        (_("Shipped wording"), {"fields": ("shipped_wording",)}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read only (the group's texts, to a hospital user): each text in its own language and direction.
        shown = {"subject": "subject_shown", "body": "body_shown"}
        return [
            (name, {**options, "fields": tuple(shown.get(field, field) for field in options["fields"])})
            for name, options in fieldsets
        ]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if not user_is_global(request.user) and request.user.hospital_id:
            initial.setdefault("hospital", request.user.hospital_id)
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # A text is typed in its own direction (a new one in the page's): an Arabic text that
        # starts with $hospital still reads right to left.
        writing = direction(obj.language if obj is not None else get_language())
        for name in ("subject", "body"):
            if name in form.base_fields:
                form.base_fields[name].widget.attrs["dir"] = writing
        if "body" in form.base_fields:
            form.base_fields["body"].widget.attrs["rows"] = 4
        return form

    # --- list columns --------------------------------------------------------------

    @admin.display(description=_("hospital"), ordering="hospital__code")
    def hospital_or_group(self, text):
        return _("Whole group") if text.hospital_id is None else display_object(text.hospital)

    @admin.display(description=_("channel"), ordering="channel")
    def channel_label(self, text):
        return text.get_channel_display()  # "Every channel" for the blank value, in lists and exports

    @admin.display(description=_("text"))
    def text_start(self, text):
        start = Truncator(text.body).chars(70)
        return format_html(
            '<bdi lang="{}" dir="{}">{}</bdi>', text.language, direction(text.language), marked_placeholders(start)
        )

    @admin.display(description=_("subject"))
    def subject_shown(self, text):
        return in_text_language(marked_placeholders(text.subject), text.language) if text.subject else "-"

    @admin.display(description=_("text"))
    def body_shown(self, text):
        return in_text_language(marked_placeholders(text.body), text.language)

    # --- the change page -------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        token = _current_request.set(request)  # the preview names the user's hospital and offers its button
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # the read-only fields are drawn now, while the request is known
            return response
        finally:
            _current_request.reset(token)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        errors = form.errors.get(NON_FIELD_ERRORS) if form.is_bound else None
        if errors is not None and any(getattr(error, "code", None) == PREVIEW for error in errors.data):
            errors.data = [error for error in errors.data if getattr(error, "code", None) != PREVIEW]
            if not errors.data:
                del form.errors[NON_FIELD_ERRORS]
            context["errors"] = helpers.AdminErrorList(form, [])
            self.message_user(
                request, _("The preview below shows your changes; nothing is saved until you save."), messages.INFO
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _can_edit(self, text) -> bool:
        request = _current_request.get()
        if request is None:
            return False
        if text is None or text.pk is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, text)

    def _preview_hospital(self, text):
        """The hospital whose name the preview shows: the text's, else the user's (a group text)."""
        if text.hospital_id:
            return text.hospital
        request = _current_request.get()
        user = getattr(request, "user", None)
        return user.hospital if getattr(user, "hospital_id", None) else None

    @admin.display(description=_("placeholders"))
    def placeholders(self, text):
        kind = text.message_kind if text is not None else None
        kinds = [kind] if kind is not None else message_kinds.all_kinds()
        required = format_html(' <span class="font-semibold">({})</span>', _("required in the text"))
        sections = []
        for each in kinds:
            rows = format_html_join(
                "",
                '<tr><td class="p-1 align-top"><code dir="ltr">{}</code></td><td class="p-1">{}{}</td></tr>',
                (
                    (placeholder.token, placeholder.description, required if placeholder.code in each.required else "")
                    for placeholder in each.placeholders
                ),
            )
            title = format_html('<p class="font-semibold">{}</p>', each.label) if kind is None else ""
            sections.append(format_html('{}<table class="text-sm">{}</table>', title, rows))
        note = format_html(
            '<p class="text-xs mt-2">{} <code dir="ltr">${{hospital}}</code> · {} <code dir="ltr">$$</code></p>',
            _("Also written as"),
            _("a dollar sign:"),
        )
        return format_html(
            '<div class="px360-placeholders">{}{}</div>',
            format_html_join("", "{}", ((section,) for section in sections)),
            note,
        )

    @admin.display(description=_("preview"))
    def preview(self, text):
        kind = text.message_kind if text is not None else None
        if kind is None or text.language not in Language.values or not text.body:
            return _("Choose the message and its language and write the text, then press Preview.")
        language = text.language
        hospital = self._preview_hospital(text)
        context = kind.sample_context(hospital, language)
        texts = Texts(subject=text.subject, body=text.body)
        shipped = kind.wording(language)
        blocks = []
        if text.channel in ("", Channel.SMS, Channel.WHATSAPP):
            plain = compose(kind, language, texts, channel=Channel.SMS, context=context).body
            shown = format_html("{}\n{}", filled_html(text.body, context), shipped.stop)
            title = {
                "": _("SMS and WhatsApp"),
                Channel.SMS: _("SMS"),
                Channel.WHATSAPP: _("WhatsApp"),
            }[text.channel]
            summary = ""
            if text.channel != Channel.WHATSAPP:
                shipped_texts = Texts(subject=shipped.subject, body=shipped.body)
                shipped_sms = compose(kind, language, shipped_texts, channel=Channel.SMS, context=context).body
                summary = sms_summary(plain, shipped_parts=sms_length(shipped_sms).parts)
            blocks.append(
                format_html(
                    '<p class="font-semibold mb-1">{}</p>{}{}', title, in_text_language(shown, language), summary
                )
            )
        if text.channel in ("", Channel.EMAIL):
            subject = filled_html(text.subject or shipped.subject, context)
            body = filled_html(text.body, context, email=True)
            button = format_html(
                '<p class="mt-2"><span class="inline-block rounded-default bg-primary-600 px-3 py-2 text-white">'
                "{}</span></p>",
                shipped.button,
            )
            mail = format_html('<p class="font-semibold">{}</p><p class="mt-2">{}</p>{}', subject, body, button)
            blocks.append(
                format_html('<p class="font-semibold mb-1">{}</p>{}', _("E-mail"), in_text_language(mail, language))
            )
        note = format_html(
            '<p class="text-xs mt-2">{}</p>', _("Sample values: the hospital's name and a link as long as a real one.")
        )
        button = ""
        if self._can_edit(text):
            button = format_html(
                '<button type="submit" name="{}" value="1" class="mt-3 rounded-default border border-base-200 '
                'px-3 py-2 font-medium dark:border-base-700">{}</button>',
                PREVIEW,
                _("Preview"),
            )
        return format_html(
            '<div class="px360-message-preview"><div class="flex flex-col gap-4">{}</div>{}{}</div>',
            format_html_join("", "<div>{}</div>", ((block,) for block in blocks)),
            note,
            button,
        )

    @admin.display(description=_("shipped wording"))
    def shipped_wording(self, text):
        kind = text.message_kind if text is not None else None
        if kind is None:
            return _("Choose the message to compare with the wording PX360 ships.")
        languages = [text.language] if text.language in Language.values else list(Language.values)
        blocks = []
        for language in languages:
            wording = kind.wording(language)
            content = format_html(
                '<p class="font-semibold">{}</p><p class="mt-2">{}</p><p class="mt-2 text-xs">{}</p>',
                marked_placeholders(wording.subject),
                marked_placeholders(wording.body),
                wording.stop,
            )
            blocks.append(in_text_language(content, language))
        note = format_html(
            '<p class="text-xs mt-2">{}</p>',
            _("Used when neither the hospital nor the group has an active text of its own."),
        )
        return format_html(
            '<div class="px360-shipped-wording">{}{}</div>',
            format_html_join("", "<div class='mb-2'>{}</div>", ((block,) for block in blocks)),
            note,
        )
