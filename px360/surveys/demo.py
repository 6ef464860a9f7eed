"""Demo surveys: the instrument library, attached to the demo journeys, default policies,
and the demo patients' invitations sent and partly answered through the real services."""

import random

from django.utils.datastructures import MultiValueDict

from px360.organizations.models import Hospital

from .choices import QuestionType, SurveyStatus
from .library import attach_demo_stage_surveys, load_library
from .models import SurveyInstance, SurveyPolicy, SurveyResponse, SurveyTemplate
from .services import survey_open, survey_submit, surveys_dispatch_due

DEMO_HOSPITALS = ["RYD", "JED"]

# What patients write, in the language they answer in: (Arabic, English).
NEGATIVE_COMMENTS = [
    (
        "انتظرت أكثر من ساعتين في الصيدلية لاستلام الدواء، ولم يشرح لي أحد سبب التأخير.",
        "I waited over two hours at the pharmacy for my medicine and nobody explained the delay.",
    ),
    (
        "لم يشرح الطبيب نتائج التحاليل، وخرجت من العيادة دون أن أفهم خطة العلاج.",
        "The doctor did not explain my test results; I left the clinic without understanding the treatment plan.",
    ),
    (
        "الغرفة لم تكن نظيفة، وكان جرس الاستدعاء لا يُجاب إلا بعد وقت طويل.",
        "The room was not clean and the call button went unanswered for a long time.",
    ),
    (
        "موعدي تأجل مرتين دون إشعار مسبق، وكان الاستقبال غير متعاون.",
        "My appointment was moved twice without notice and reception was unhelpful.",
    ),
]
POSITIVE_COMMENTS = [
    (
        "شكرًا للتمريض على الاهتمام واللطف طوال فترة التنويم.",
        "Thank you to the nurses for their care and kindness throughout my stay.",
    ),
    (
        "الطبيب استمع إليّ بصبر وشرح كل شيء بوضوح.",
        "The doctor listened patiently and explained everything clearly.",
    ),
    ("", ""),
    (
        "الخدمة سريعة والمكان مرتب، لكن المواقف مزدحمة.",
        "Quick service and a tidy clinic, though parking was crowded.",
    ),
]


# The issue that started per-template rules: one bottom-box answer (booking, 1 of 5), a
# complaint in the comment, and a 10 on likelihood to recommend. Still negative.
ONE_BAD_ITEM = {"opd-visit": "access_ease"}
PHARMACY_COMMENT = NEGATIVE_COMMENTS[0]


def load_surveys(*, password=None):
    load_library()
    # Tolerant: the demo journey templates may not be loaded (yet).
    attach_demo_stage_surveys()
    # The overall hospital rating (0–10) of the inpatient survey counts as its overall rating.
    for template in SurveyTemplate.objects.filter(overall_questions=[]):
        codes = list(
            template.questions.filter(dimension="overall", question_type__in=[QuestionType.RATING, QuestionType.NPS])
            .order_by("order")
            .values_list("code", flat=True)
        )
        if codes:
            template.overall_questions = codes
            template.save(update_fields=["overall_questions", "updated_at"])
    for hospital in Hospital.objects.filter(code__in=DEMO_HOSPITALS):
        SurveyPolicy.objects.get_or_create(hospital=hospital)
    return []


def load_demo_responses(*, password=None):
    """Send the demo's due invitations and answer most of them, some unhappily.

    Everything goes through the services a real invitation goes through
    (dispatch, the patient opening the link, the survey form's submission), so
    the scores, the negative flag and the messages are what PX360 computes.
    Per hospital: about a fifth stay unanswered, a fifth opened only, the rest
    answered, every third of those negative. The first outpatient answer is
    negative through one bottom-box item only (booking rated 1, a complaint in
    the comment, 10 on likelihood to recommend). Loaded once: nothing is done
    when the demo hospitals already have an answer.
    """
    if SurveyResponse.objects.filter(hospital__code__in=DEMO_HOSPITALS).exists():
        return []
    surveys_dispatch_due()
    rng = random.Random(3600)
    for hospital in Hospital.objects.filter(code__in=DEMO_HOSPITALS).order_by("code"):
        invited = list(
            SurveyInstance.objects.filter(hospital=hospital, status=SurveyStatus.INVITED)
            .select_related("version", "hospital", "template")
            .order_by("triggered_at", "pk")
        )
        answered = 0
        one_bad_item_done = set()
        for number, instance in enumerate(invited):
            if number % 5 == 4:
                continue  # not opened yet
            survey_open(instance=instance)
            if number % 5 == 3:
                continue  # opened, not answered
            code = instance.template.code
            if code in ONE_BAD_ITEM and code not in one_bad_item_done and instance.version.question(ONE_BAD_ITEM[code]):
                one_bad_item_done.add(code)
                data = demo_answers(instance, negative=False, rng=rng, bad_item=ONE_BAD_ITEM[code])
            else:
                data = demo_answers(instance, negative=answered % 3 == 0, rng=rng)
            survey_submit(instance=instance, data=data)
            answered += 1
    return []


def demo_answers(instance: SurveyInstance, *, negative: bool, rng: random.Random, bad_item: str = "") -> MultiValueDict:
    """The survey form as a patient posts it: low key ratings and a detractor score with a
    complaint when ``negative``, good ones otherwise; comments in the invitation's language.

    ``bad_item``: a happy patient except for this question, rated 1 (very poor), who
    complains about the pharmacy wait and still gives 10 on likelihood to recommend.
    """
    arabic = instance.language == "ar"
    pick = rng.choice(NEGATIVE_COMMENTS if negative else POSITIVE_COMMENTS)
    if bad_item:
        pick = PHARMACY_COMMENT
    comment = pick[0] if arabic else pick[1]
    data: dict[str, list[str]] = {}
    for question in instance.version.questions():
        kind, key = question["type"], question.get("is_key", False)
        if question["code"] == bad_item:
            value = 1
        elif kind == QuestionType.RATING:
            value = (rng.choice([1, 2]) if key else rng.choice([2, 3])) if negative else rng.choice([4, 5, 5])
        elif kind == QuestionType.NPS:
            value = 10 if bad_item else rng.randint(2, 5) if negative else rng.choice([8, 9, 10, 10])
        elif kind == QuestionType.YES_NO:
            value = 0 if negative else 1
        elif kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            choices = question.get("choices") or []
            if not choices:
                continue
            value = rng.choice(choices)["value"]
        else:
            # The closing comment carries the complaint or the thanks.
            if question["code"] != "comments" or not comment:
                continue
            value = comment
        data[f"q_{question['code']}"] = [str(value)]
    return MultiValueDict(data)
