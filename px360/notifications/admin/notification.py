from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from px360.core.admin.base import PXModelAdmin, ReadOnlyAdminMixin
from px360.core.admin.search import PersonSearchMixin
from px360.core.validators import ascii_digits, normalize_phone
from px360.organizations.search import patient_match

from ..choices import NotificationStatus, cancel_reason_text
from ..models import Notification

# The body holds the survey link (a credential) and the recipient is personal
# data: the admin shows neither, only a masked recipient. Both are searched
# only as a whole (an exact recipient), never a part of either.
FIELDS = (
    "hospital",
    "survey_instance",
    "purpose",
    "channel",
    "masked_recipient",
    "language",
    "message_template",
    "status",
    "attempts",
    "next_attempt_at",
    "claimed_at",
    "sent_at",
    "delivered_at",
    "provider_id",
    "error_text",
    "fallback_from",
)


def recipient_form(term: str) -> str:
    """How a recipient typed as ``term`` is stored: a phone number in E.164, an address as it is ("" if neither)."""
    text = ascii_digits(term.strip())
    if "@" in text:
        return text
    try:
        return normalize_phone(text)
    except ValidationError:
        return ""


class NotificationAdmin(PersonSearchMixin, ReadOnlyAdminMixin, PXModelAdmin):
    list_display = (
        "message",
        "hospital_name",
        "channel",
        "status_badge",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "delivered_at",
    )
    list_filter = (
        ("status", ChoicesDropdownFilter),
        ("channel", ChoicesDropdownFilter),
        ("purpose", ChoicesDropdownFilter),
        ("hospital", AutocompleteSelectFilter),
        ("created_at", RangeDateTimeFilter),
    )
    list_select_related = ("hospital",)
    # Millions of rows: no COUNT(*) (of the list or of a search), no page numbers.
    paginator = InfinitePaginator
    show_full_result_count = False
    # Not used (PersonSearchMixin searches); Django shows the box only when it is set.
    search_fields = ("=recipient",)
    search_help_text = _(
        "Recipient's phone number or e-mail address, the patient's MRN or national ID (exact), "
        "or part of the patient's name."
    )
    person_path = "patient"
    person_model = "organizations.Patient"
    person_match = staticmethod(patient_match)
    fields = FIELDS
    readonly_fields = FIELDS
    actions = []

    def own_search(self, request, term, hospital_ids):
        """The recipient as a whole (a guardian's number, or a number the patient has since changed)."""
        recipient = recipient_form(term)
        # Addresses are stored as typed, in any case: compared case-insensitively
        # (UPPER on PostgreSQL, which an index on UPPER(recipient) serves).
        return Q(recipient__iexact=recipient) if recipient else None

    @display(description=_("message"), ordering="purpose")
    def message(self, obj):
        # The purpose's name in the reader's language; the short id tells rows apart.
        return format_html('{} · <bdi dir="ltr">{}</bdi>', obj.get_purpose_display(), str(obj.pk)[:8])

    @display(description=_("hospital"), ordering="hospital__name")
    def hospital_name(self, obj):
        return obj.hospital.name if obj.hospital_id else "-"

    @display(description=_("message template"))
    def message_template(self, obj):
        """The template's name, with the key the message templates and data exports use."""
        key = obj.template_key
        # Message templates are named after the purpose they serve.
        name = dict(Notification._meta.get_field("purpose").flatchoices).get(key)
        if name is None:
            return format_html('<bdi dir="ltr">{}</bdi>', key)
        return format_html('{} (<bdi dir="ltr">{}</bdi>)', name, key)

    @display(
        description=_("status"),
        label={
            NotificationStatus.QUEUED: "info",
            NotificationStatus.SENDING: "warning",
            NotificationStatus.SENT: "info",
            NotificationStatus.DELIVERED: "success",
            NotificationStatus.FAILED: "danger",
            NotificationStatus.CANCELLED: "danger",
        },
    )
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("error"))
    def error_text(self, obj):
        """Why a message was cancelled, in words; a gateway's error as it sent it (technical English)."""
        if not obj.error:
            return "-"
        if obj.status == NotificationStatus.CANCELLED:
            words = cancel_reason_text(obj.error)
            if words is not None:
                return words
        return format_html('<bdi lang="en" dir="ltr">{}</bdi>', obj.error)

    @display(description=_("recipient"))
    def masked_recipient(self, obj):
        return format_html('<bdi dir="ltr">{}</bdi>', obj.masked_recipient)


admin.site.register(Notification, NotificationAdmin)
