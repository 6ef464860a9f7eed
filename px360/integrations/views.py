"""The one endpoint HIS systems talk to."""

from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .hl7 import HL7Error, build_ack, read_header
from .schema import openapi_document
from .services import api_key_authenticate, event_receive, rate_limited

HL7_CONTENT_TYPE = "application/hl7-v2"


def _is_hl7(request) -> bool:
    return request.content_type in (HL7_CONTENT_TYPE, "x-application/hl7-v2+er7")


def _answer(request, status: int, *, ack_code: str, problems=None, body: dict | None = None, header=None):
    """JSON for JSON senders; an HL7 ACK (with the same HTTP status) for HL7 senders."""
    if _is_hl7(request):
        text = "; ".join(problem["message"] for problem in problems or [])
        return HttpResponse(build_ack(header or {}, ack_code, text), status=status, content_type=HL7_CONTENT_TYPE)
    payload = body or {"status": "error", "problems": problems or []}
    return JsonResponse(payload, status=status)


def _hl7_header(request) -> dict:
    if not _is_hl7(request):
        return {}
    try:
        return read_header(request.body.decode("utf-8", "replace"))
    except HL7Error:
        return {}


def _in_senders_language(view):
    """Answer in the sender's language, and leave the thread's language as a fresh one has it.

    The endpoint is outside ``i18n_patterns``, so ``LocaleMiddleware`` has
    activated the sender's ``Accept-Language`` for the whole thread and never
    restores it: a later request or job on the same thread would speak that
    language. The view states its language itself and, once the answer is
    built, deactivates it (the project default applies again).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        language = translation.get_language_from_request(request)
        with translation.override(language, deactivate=True):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        return response

    return wrapper


@csrf_exempt
@require_POST
@_in_senders_language
def intake(request):
    limit = settings.PX360_INTAKE_MAX_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if (declared.isdigit() and int(declared) > limit) or len(request.body) > limit:
        problem = {"field": "", "message": _("The message is larger than %(limit)d bytes.") % {"limit": limit}}
        return _answer(request, 413, ack_code="AR", problems=[problem])

    api_key = api_key_authenticate(request.headers.get("Authorization", ""))
    if api_key is None:
        problem = {"field": "Authorization", "message": _("Missing, unknown or revoked API key.")}
        return _answer(request, 401, ack_code="AR", problems=[problem], header=_hl7_header(request))
    if rate_limited(api_key):
        problem = {"field": "", "message": _("Too many requests for this key; slow down and retry.")}
        response = _answer(request, 429, ack_code="AR", problems=[problem], header=_hl7_header(request))
        response["Retry-After"] = "60"
        return response

    receipt = event_receive(api_key=api_key, body=request.body, content_type=request.content_type or "")
    if receipt.status in (200, 202):
        body = {"status": "accepted", "event_id": str(receipt.event.pk), "duplicate": receipt.duplicate}
        return _answer(request, receipt.status, ack_code="AA", body=body, header=receipt.hl7_header)
    code = "AR" if receipt.status == 403 else "AE"
    body = {"status": "error", "event_id": str(receipt.event.pk), "problems": receipt.problems}
    return _answer(
        request, receipt.status, ack_code=code, problems=receipt.problems, body=body, header=receipt.hl7_header
    )


@require_GET
def openapi(request):
    return JsonResponse(openapi_document(request.build_absolute_uri("/")))
