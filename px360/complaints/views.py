"""The public complaint pages (``/complaints/``) and the staff's view of an attached file.

The public pages need no sign-in. They speak Arabic unless the visitor's
browser or the switch (``?lang=en``) asks for English, read right to left in
Arabic, and fit a phone. Sending a complaint and looking up its status are
rate-limited per client address. A robot that fills the field people never
see gets the same thank-you page, and nothing is saved.

The status page answers a reference and the last four digits of the mobile
number the complaint was filed with; any pair that does not match — unknown
reference, no number on file, wrong digits — gets one and the same answer,
built from the request's language alone. Look-ups are counted per client
address and per reference.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from px360.common.ratelimit import over_limit
from px360.core.access import can_access
from px360.core.models import AuditAction
from px360.core.references import format_reference, normalise_reference
from px360.core.services import audit_record, client_ip
from px360.sla.hijri import hijri_label

from . import attachments
from .choices import Channel, ComplaintStatus
from .forms import ComplaintForm, StatusForm, describe
from .models import ComplaintAttachment
from .services import COMPLAINT_PREFIX, Contact, NewComplaint, complaint_for_status_page

logger = logging.getLogger("px360.complaints")

LANGUAGES = ("ar", "en")
HOUR = 3600
# What the thank-you page shows, kept in the visitor's session between the form and the page.
RECEIVED_KEY = "px360_complaint_received"

# Each status as the complainant reads it: a name and one plain sentence.
PUBLIC_STATUS = {
    ComplaintStatus.NEW: (
        pgettext_lazy("complaint for the public", "Received"),
        _("We have received your complaint. It will be reviewed shortly."),
    ),
    ComplaintStatus.ACKNOWLEDGED: (
        pgettext_lazy("complaint for the public", "Being reviewed"),
        _("Our patient experience team has read your complaint and is reviewing it."),
    ),
    ComplaintStatus.IN_PROGRESS: (
        pgettext_lazy("complaint for the public", "Being looked into"),
        _("The people responsible are looking into what happened."),
    ),
    ComplaintStatus.WAITING: (
        pgettext_lazy("complaint for the public", "Waiting for your reply"),
        _("We need more information from you. We will contact you, or you can call the hospital with your reference."),
    ),
    ComplaintStatus.RESOLVED: (
        pgettext_lazy("complaint for the public", "Answered"),
        _("We have answered your complaint. If anything is still wrong, contact the hospital with your reference."),
    ),
    ComplaintStatus.CLOSED: (
        pgettext_lazy("complaint for the public", "Closed"),
        _("Your complaint is closed. Thank you for helping us improve."),
    ),
}


# --- language, rendering ----------------------------------------------------------


def _language(request) -> str:
    """The switch's language (``?lang=``, kept in forms as ``lang``), else the browser's, else Arabic."""
    chosen = request.POST.get("lang") or request.GET.get("lang")
    if chosen in LANGUAGES:
        return chosen
    browser = getattr(request, "LANGUAGE_CODE", "")
    return browser if browser in LANGUAGES else settings.LANGUAGE_CODE


def _switch_url(request, other: str) -> str:
    """The same page in the other language; only the preselected hospital is carried over."""
    query = {"lang": other}
    hospital = request.GET.get("h", "")
    if hospital and request.method == "GET":
        query["h"] = hospital[:20]
    return "?" + urlencode(query)


def _render(request, template: str, context: dict, *, language: str, status: int = 200):
    other = "en" if language == "ar" else "ar"
    with translation.override(language):
        response = TemplateResponse(
            request,
            template,
            {
                **context,
                "language": language,
                "direction": "rtl" if language == "ar" else "ltr",
                "other_language": other,
                "switch_url": _switch_url(request, other),
            },
            status=status,
        )
        response.render()
    # What a complainant typed or was shown stays out of caches and indexes.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Content-Language"] = language
    return response


def _too_many(request, language: str):
    response = _render(request, "complaints/public/rate_limited.html", {}, language=language, status=429)
    response["Retry-After"] = str(HOUR)
    return response


def _over_limit(request, scope: str, limit: int) -> bool:
    return over_limit(scope, client_ip(request) or "-", limit=limit, window_seconds=HOUR)


def _local_date(value, language: str) -> dict | None:
    """A date as the page shows it: Gregorian in the page's language, with the Hijri date beside it."""
    if value is None:
        return None
    day = timezone.localtime(value).date()
    with translation.override(language):
        return {"gregorian": formats.date_format(day, "j F Y"), "hijri": hijri_label(day, language)}


# --- the complaint form -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def complaint_form(request):
    language = _language(request)
    if request.method == "POST" and _over_limit(
        request, "complaint-form", settings.PX360_COMPLAINT_RATE_LIMIT_PER_HOUR
    ):
        return _too_many(request, language)
    # Labels, choices and every refusal are worded in the page's language.
    with translation.override(language):
        if request.method == "GET":
            form = ComplaintForm(language=language, initial={"hospital": request.GET.get("h", "")[:20]})
            return _form_page(request, form, language)
        form = ComplaintForm(request.POST, request.FILES, language=language)
        if not form.is_valid():
            return _form_page(request, form, language, status=400)
        data = form.cleaned_data
        if form.trapped:
            # The same answer a person gets, with a reference that belongs to nobody; nothing is kept.
            logger.info("A complaint sent by a robot was dropped")
            return _received(request, language, reference=_decoy_reference(), data=data)
        try:
            complaint = attachments.complaint_create_with_attachments(
                NewComplaint(
                    hospital=data["hospital"],
                    department=data["department"],
                    summary=data["summary"],
                    description=data["description"],
                    channel=Channel.WEB,
                    identity_withheld=data["identity_withheld"],
                    contact=Contact(
                        kind=data["complainant_kind"],
                        name=data["contact_name"],
                        relation=data["contact_relation"],
                        phone=data["contact_phone"],
                        email=data["contact_email"],
                        language=data["language"],
                    ),
                ),
                data["attachments"],
            )
        except ValidationError as error:
            _add_errors(form, error)
            return _form_page(request, form, language, status=400)
    return _received(request, language, reference=complaint.reference, data=data)


def _add_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, messages in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


def _form_page(request, form, language: str, *, status: int = 200):
    describe(form)
    context = {
        "form": form,
        "errors": [(form[name], messages) for name, messages in form.errors.items() if name in form.fields],
        "general_errors": form.non_field_errors(),
        "department_groups": form.department_groups,
    }
    return _render(request, "complaints/public/form.html", context, language=language, status=status)


def _decoy_reference() -> str:
    return format_reference(COMPLAINT_PREFIX, timezone.localtime().year, secrets.randbelow(999_999) + 1)


def _received(request, language: str, *, reference: str, data: dict):
    request.session[RECEIVED_KEY] = {
        "reference": reference,
        "phone": bool(data.get("contact_phone")),
        "email": bool(data.get("contact_email")),
    }
    return redirect(reverse("complaints_public:thanks") + "?" + urlencode({"lang": language}))


@require_GET
def complaint_thanks(request):
    language = _language(request)
    received = request.session.get(RECEIVED_KEY)
    if not isinstance(received, dict) or not received.get("reference"):
        return redirect(reverse("complaints_public:form") + "?" + urlencode({"lang": language}))
    return _render(request, "complaints/public/thanks.html", {"received": received}, language=language)


# --- the status page --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def complaint_status(request):
    language = _language(request)
    if request.method == "GET":
        return _render(request, "complaints/public/status.html", {"form": StatusForm()}, language=language)
    limit = settings.PX360_COMPLAINT_STATUS_RATE_LIMIT_PER_HOUR
    if _over_limit(request, "complaint-status", limit):
        return _too_many(request, language)
    with translation.override(language):
        form = StatusForm(request.POST)
        if not form.is_valid():
            describe(form)
            return _render(request, "complaints/public/status.html", {"form": form}, language=language, status=400)
    reference = form.cleaned_data["reference"]
    # Counted per reference as typed (known or not, so the count tells nothing): four digits
    # cannot be guessed by spreading the tries over many addresses.
    key = normalise_reference(reference) or reference.strip().upper()[:40]
    if over_limit("complaint-status-reference", key, limit=limit, window_seconds=HOUR):
        return _too_many(request, language)
    complaint = complaint_for_status_page(reference, form.cleaned_data["phone_digits"])
    if complaint is None:
        # Built from the language alone: nothing typed comes back, so no pair reads differently from another.
        return _render(request, "complaints/public/status_not_found.html", {}, language=language)
    status, explanation = PUBLIC_STATUS[ComplaintStatus(complaint.status)]
    finished = complaint.status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)
    context = {
        "reference": complaint.reference,
        "status": status,
        "explanation": explanation,
        "received": _local_date(complaint.received_at, language),
        "expected": None if finished else _local_date(complaint.expected_by, language),
        "resolved": _local_date(complaint.resolved_at or complaint.closed_at, language) if finished else None,
    }
    return _render(request, "complaints/public/status_result.html", context, language=language)


# --- staff: an attached file -------------------------------------------------------

# Whatever the file holds, the page it opens in runs nothing and reaches nothing:
# a sandbox with an opaque origin, no scripts, no requests, no framing.
FILE_POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"
)


def _hidden_from(user, complaint) -> bool:
    """A complaint whose complainant asked to stay unknown to the staff named shows them no file."""
    if not complaint.identity_withheld or user.is_superuser:
        return False
    return complaint.physicians.filter(user=user).exists() or complaint.staff.filter(user=user).exists()


@require_GET
def attachment_file(request, pk):
    """One attached file, to whoever may see its complaint; every opening is audited.

    Out of scope, withheld or missing reads the same: 404.
    """
    attachment = ComplaintAttachment.objects.select_related("complaint").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    complaint = attachment.complaint
    if not can_access(request.user, complaint) or _hidden_from(request.user, complaint):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        logger.warning("Complaint attachment %s has no file on disk", attachment.pk)
        raise Http404 from None
    audit_record(
        action=AuditAction.VIEW,
        request=request,
        obj=attachment,
        hospital=complaint.hospital,
        details={"complaint": complaint.reference, "sha256": attachment.sha256},
    )
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=attachments.disposition(attachment) == "attachment",
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
