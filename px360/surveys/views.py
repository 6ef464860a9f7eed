"""The public survey page patients open from a message: ``/s/<link>/``.

No sign-in, no admin chrome, nothing personal beyond the hospital and the
patient's first name. Unknown, tampered, expired, used and cancelled links all
get the very same page, status and headers, in the browser's language, after
the same work, so a link reveals nothing about itself or other links.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from px360.common.ratelimit import over_limit
from px360.core.services import client_ip

from . import scoring
from .choices import QuestionType, SurveyStatus
from .models import SurveyInstance, SurveyResponse
from .services import (
    SurveyClosed,
    instance_for_link,
    parse_answers,
    survey_open,
    survey_opt_out,
    survey_save_progress,
    survey_submit,
)

LANGUAGES = ("ar", "en")
THANKS_WINDOW_SECONDS = 3600


def _rate_limited(request) -> bool:
    """Over the survey pages' calls per minute from this client address."""
    return over_limit("survey", client_ip(request) or "-", limit=settings.PX360_SURVEY_RATE_LIMIT_PER_MINUTE)


def _chosen_language(request) -> str | None:
    """The language the link asks for (``?lang=``, kept in the form as ``lang``)."""
    chosen = request.POST.get("lang") or request.GET.get("lang")
    return chosen if chosen in LANGUAGES else None


def _browser_language(request) -> str:
    """The language the link asks for or the browser's, never the patient's."""
    # LocaleMiddleware has read the language cookie and Accept-Language.
    browser = getattr(request, "LANGUAGE_CODE", "")
    return _chosen_language(request) or (browser if browser in LANGUAGES else settings.LANGUAGE_CODE)


def _language(request, instance: SurveyInstance) -> str:
    """An invitation's page speaks the patient's language unless the link asks for another."""
    patient = instance.language if instance.language in LANGUAGES else None
    return _chosen_language(request) or patient or _browser_language(request)


def _render(request, template: str, context: dict, *, language: str, status: int = 200):
    """Render in ``language``, with a switch to the other one (a ``?lang=`` link relative to the page)."""
    with translation.override(language):
        response = TemplateResponse(
            request,
            template,
            {
                **context,
                "language": language,
                "direction": "rtl" if language == "ar" else "ltr",
                "other_language": "en" if language == "ar" else "ar",
            },
            status=status,
        )
        response.render()
    # The link is a credential: keep it out of caches, other sites' referrers
    # and indexes. ("no-referrer" would make browsers post with Origin: null,
    # which the CSRF check rightly refuses.)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Content-Language"] = language
    return response


def _invalid(request):
    """The one answer for every link that cannot be answered: unknown, tampered, expired, used, cancelled.

    It is built from the request alone — the browser's language, or the one
    its ``?lang=`` switch asks for, never the patient's — so nothing in it
    (words, length, headers) tells a spent link from a forged one; and the
    look-up before it is the same single query for both
    (:func:`~px360.surveys.services.instance_for_link`). The switch is a link
    relative to the page (``?lang=en``): it holds nothing of the link itself.
    """
    return _render(request, "surveys/public/invalid.html", {}, language=_browser_language(request), status=404)


def _too_many(request):
    response = _render(request, "surveys/public/rate_limited.html", {}, language=_browser_language(request), status=429)
    response["Retry-After"] = "60"
    return response


def _hospital_name(instance, language):
    return getattr(instance.hospital, f"name_{language}", "") or instance.hospital.name


def _first_name(instance, language) -> str:
    if instance.to_guardian:
        return ""
    patient = instance.patient
    other = "en" if language == "ar" else "ar"
    full = (getattr(patient, f"name_{language}", "") or getattr(patient, f"name_{other}", "") or "").strip()
    return full.split()[0] if full else ""


def _questions_for_display(instance, language, values, errors):
    """The questions as the page shows them, every word in ``language`` (call it with that language active).

    Follow-up questions (shown only after a low score) carry no number of their
    own: "question 3 of 9" counts the questions every patient sees.
    """
    questions = instance.version.questions()
    total = sum(1 for question in questions if not question.get("follow_up_of"))
    number = 0
    shown = []
    for question in questions:
        kind = question["type"]
        text = question.get(f"text_{language}") or question.get("text_ar") or question.get("text_en")
        options = []
        if kind == QuestionType.RATING:
            labels = [_("Very poor"), _("Poor"), _("Fair"), _("Good"), _("Very good")]
            options = [{"value": str(n), "label": f"{n} · {labels[n - 1]}"} for n in range(1, 6)]
        elif kind == QuestionType.NPS:
            options = [{"value": str(n), "label": str(n)} for n in range(11)]
        elif kind == QuestionType.YES_NO:
            options = [{"value": "1", "label": _("Yes")}, {"value": "0", "label": _("No")}]
        elif kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            options = [
                {"value": c["value"], "label": c.get(language) or c.get("ar") or c.get("en") or c["value"]}
                for c in question["choices"]
            ]
        value = values.get(question["code"])
        selected = (
            {str(v) for v in value} if isinstance(value, list) else ({str(value)} if value is not None else set())
        )
        low_values = []
        parent = next((q for q in questions if q["code"] == question.get("follow_up_of")), None)
        if parent is not None:
            span = {"rating_1_5": range(1, 6), "nps_0_10": range(11), "yes_no": range(2)}[parent["type"]]
            low_values = [str(v) for v in span if scoring.is_low(parent["type"], v)]
        counted = not question.get("follow_up_of")
        step = ""
        if counted:
            number += 1
            if total > 1:
                step = _("Question %(number)s of %(total)s") % {"number": number, "total": total}
        shown.append(
            {
                **question,
                "counted": counted,
                "step": step,
                "answered": bool(selected) or bool(value if isinstance(value, str) else ""),
                "text": text,
                "options": options,
                "selected": selected,
                "text_value": value if isinstance(value, str) else "",
                "error": errors.get(question["code"], ""),
                "low_values": ",".join(low_values),
                "input_type": "checkbox" if kind == QuestionType.MULTIPLE_CHOICE else "radio",
            }
        )
    return shown


def _saved_values(instance) -> dict:
    response = SurveyResponse.objects.filter(instance=instance).first()
    if response is None:
        return {}
    values = {}
    for answer in response.answers.all():
        if answer.value_number is not None:
            values[answer.question_code] = answer.value_number
        elif answer.value_choices:
            values[answer.question_code] = answer.value_choices
        else:
            values[answer.question_code] = answer.value_text
    return values


def _form_page(request, instance, language, *, values, errors=None, saved=False, status=200):
    snapshot = instance.version.snapshot
    with translation.override(language):
        questions = _questions_for_display(instance, language, values, errors or {})
        counted = [question for question in questions if question["counted"]]
        answered = sum(1 for question in counted if question["answered"])
        # survey.js fills in the count as the patient answers; the words stay translated.
        progress_format = _("%(answered)s of %(total)s answered") % {"answered": "{answered}", "total": len(counted)}
    context = {
        "instance": instance,
        "link": request.resolver_match.kwargs["link"],
        "hospital_name": _hospital_name(instance, language),
        "first_name": _first_name(instance, language),
        "survey_name": snapshot.get(f"name_{language}") or snapshot.get("name_ar"),
        "intro": snapshot.get(f"intro_{language}") or snapshot.get("intro_ar"),
        "questions": questions,
        "progress_total": len(counted),
        "progress_answered": answered,
        "progress_format": progress_format,
        "progress_text": progress_format.replace("{answered}", str(answered)),
        "errors": errors or {},
        "saved": saved,
        "expires_on": timezone.localtime(instance.expires_at).date() if instance.expires_at else None,
    }
    return _render(request, "surveys/public/survey.html", context, language=language, status=status)


@require_http_methods(["GET", "POST"])
def survey(request, link: str):
    if _rate_limited(request):
        return _too_many(request)
    instance = instance_for_link(link)
    if instance is None or not instance.is_answerable or instance.version_id is None:
        return _invalid(request)
    language = _language(request, instance)
    if request.method == "GET":
        survey_open(instance=instance)
        return _form_page(request, instance, language, values=_saved_values(instance))
    # The services word their problems in the active language: the page's.
    with translation.override(language):
        return _answer(request, instance, language)


def _answer(request, instance, language):
    """Save or submit the posted answers; the page again with the problems, or the thank-you page."""
    link = request.resolver_match.kwargs["link"]
    action = request.POST.get("action")
    try:
        if action == "save":
            errors = survey_save_progress(instance=instance, data=request.POST)
            instance.refresh_from_db()
            return _form_page(request, instance, language, values=_saved_values(instance), errors=errors, saved=True)
        survey_submit(instance=instance, data=request.POST)
    except SurveyClosed:
        return _invalid(request)
    except ValidationError as error:
        values, _errors = parse_answers(instance.version.questions(), request.POST, complete=False)
        errors = {code: messages[0] for code, messages in error.message_dict.items()}
        return _form_page(request, instance, language, values=values, errors=errors, status=400)
    return redirect(reverse("surveys_public:thanks", args=[link]) + f"?lang={language}")


@require_http_methods(["GET"])
def thanks(request, link: str):
    if _rate_limited(request):
        return _too_many(request)
    instance = instance_for_link(link)
    recent = timezone.now() - timezone.timedelta(seconds=THANKS_WINDOW_SECONDS)
    if instance is None or instance.status != SurveyStatus.COMPLETED or instance.completed_at < recent:
        return _invalid(request)
    language = _language(request, instance)
    snapshot = instance.version.snapshot
    context = {
        "hospital_name": _hospital_name(instance, language),
        "thank_you": snapshot.get(f"thank_you_{language}") or snapshot.get("thank_you_ar"),
    }
    return _render(request, "surveys/public/thanks.html", context, language=language)


@require_http_methods(["GET", "POST"])
def opt_out(request, link: str):
    """Stop messages on the invitation's channel; works for old and answered links too."""
    if _rate_limited(request):
        return _too_many(request)
    instance = instance_for_link(link)
    if instance is None or instance.status in (SurveyStatus.SUPPRESSED, SurveyStatus.SCHEDULED):
        return _invalid(request)
    language = _language(request, instance)
    context = {"hospital_name": _hospital_name(instance, language), "link": link, "done": False}
    if request.method == "POST":
        survey_opt_out(instance=instance)
        context["done"] = True
    return _render(request, "surveys/public/opt_out.html", context, language=language)
