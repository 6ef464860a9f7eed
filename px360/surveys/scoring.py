"""Survey scoring exactly as DOMAIN.md defines it. Pure functions, no database.

* Mean score (0–100): a 1–5 answer maps to 0, 25, 50, 75, 100; a response's
  mean is the mean of its 1–5 answers.
* Top box: the share of answers in the best category — 5 on a rating, 9–10
  on likelihood to recommend, "yes" on a yes/no question. A composite's
  top-box score is the mean of its items' top-box percentages.
* NPS: promoters 9–10, passives 7–8, detractors 0–6;
  NPS = % promoters − % detractors.
* Negative: each survey template defines it (:class:`NegativeDefinition`).
  By default a response is negative when any rated question is in the bottom
  box (1–2 of 5), an overall rating is in the bottom box (0–6 of 10, as the
  HCAHPS overall rating) or likelihood to recommend is a detractor (0–6). The
  answers that met a rule are kept with the response as its reasons.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .choices import NPSCategory, QuestionType

SCORED_TYPES = (QuestionType.RATING, QuestionType.NPS, QuestionType.YES_NO)
YES, NO = 1, 0


def _round(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def answer_score(question_type: str, value: int | None) -> Decimal | None:
    """The 0–100 score of one 1–5 answer (None for anything else)."""
    if value is None or question_type != QuestionType.RATING:
        return None
    return _round((value - 1) * 25)


def is_top_box(question_type: str, value: int | None) -> bool | None:
    if value is None or question_type not in SCORED_TYPES:
        return None
    if question_type == QuestionType.RATING:
        return value == 5
    if question_type == QuestionType.NPS:
        return value >= 9
    return value == YES


def nps_category(value: int | None) -> str:
    if value is None:
        return ""
    if value >= 9:
        return NPSCategory.PROMOTER
    if value >= 7:
        return NPSCategory.PASSIVE
    return NPSCategory.DETRACTOR


def is_low(question_type: str, value: int | None, *, rating_max: int = 2, nps_max: int = 6) -> bool:
    """A low score: what shows a follow-up question and marks a key question negative."""
    if value is None:
        return False
    if question_type == QuestionType.RATING:
        return value <= rating_max
    if question_type == QuestionType.NPS:
        return value <= nps_max
    if question_type == QuestionType.YES_NO:
        return value == NO
    return False


# --- negative responses ------------------------------------------------------------

#: NPS detractors: 0–6 on likelihood to recommend (DOMAIN.md), not a setting.
DETRACTOR_MAX = 6
ITEMS_ANY, ITEMS_KEY, ITEMS_NONE = "any", "key", "none"


class NegativeRule:
    """The rule an answer met, as stored in ``SurveyResponse.negative_reasons``."""

    BOTTOM_BOX = "bottom_box"  # any rated question in the bottom box
    KEY_BOTTOM_BOX = "key_bottom_box"  # a key question in the bottom box
    OVERALL = "overall"  # an overall rating in the bottom box
    DETRACTOR = "detractor"  # 0–6 on likelihood to recommend

    ALL = (BOTTOM_BOX, KEY_BOTTOM_BOX, OVERALL, DETRACTOR)


@dataclass(frozen=True)
class NegativeDefinition:
    """When a response is negative; the defaults are DOMAIN.md's.

    ``items``: which rated questions count by themselves ("any", "key" or
    "none"); ``rating_max`` / ``scale_max``: the top of the bottom box of a
    1–5 and of a 0–10 rating; ``overall``: an overall rating question
    (``overall_questions``, by code) in the bottom box counts whatever
    ``items`` says; ``detractor``: 0–6 on likelihood to recommend counts.
    A 0–10 question that is not an overall rating is likelihood to recommend.
    """

    items: str = ITEMS_ANY
    rating_max: int = 2
    scale_max: int = 6
    overall: bool = True
    overall_questions: tuple[str, ...] = ()
    detractor: bool = True


DEFAULT_DEFINITION = NegativeDefinition()


def is_recommend(answer: dict, definition: NegativeDefinition = DEFAULT_DEFINITION) -> bool:
    """A likelihood-to-recommend (NPS) answer: a 0–10 question that is not an overall rating."""
    return answer["type"] == QuestionType.NPS and answer.get("code") not in definition.overall_questions


def negative_reasons(answers: list[dict], definition: NegativeDefinition = DEFAULT_DEFINITION) -> list[dict]:
    """The answers that make a response negative, each with the rule it met.

    ``answers``: dicts with code, type, value and is_key, in question order.
    Each reason: ``{"question", "type", "value", "scale", "max", "rule"}`` —
    enough to explain it later, whatever the definition becomes.
    """
    reasons = []
    for answer in answers:
        value, kind, code = answer.get("value"), answer["type"], answer.get("code", "")
        if not isinstance(value, int) or kind not in (QuestionType.RATING, QuestionType.NPS):
            continue
        is_overall = code in definition.overall_questions
        scale, top = (5, definition.rating_max) if kind == QuestionType.RATING else (10, definition.scale_max)
        rule = ""
        if kind == QuestionType.NPS and not is_overall:
            if definition.detractor and value <= DETRACTOR_MAX:
                rule, top = NegativeRule.DETRACTOR, DETRACTOR_MAX
        elif value <= top:
            if is_overall and definition.overall:
                rule = NegativeRule.OVERALL
            elif definition.items == ITEMS_ANY:
                rule = NegativeRule.BOTTOM_BOX
            elif definition.items == ITEMS_KEY and answer.get("is_key"):
                rule = NegativeRule.KEY_BOTTOM_BOX
        if rule:
            reasons.append({"question": code, "type": kind, "value": value, "scale": scale, "max": top, "rule": rule})
    return reasons


@dataclass
class ResponseScores:
    mean_score: Decimal | None
    top_box_percent: Decimal | None
    nps_value: int | None
    nps_category: str
    is_negative: bool
    negative_reasons: list[dict] = field(default_factory=list)


def score_response(answers: list[dict], *, definition: NegativeDefinition = DEFAULT_DEFINITION) -> ResponseScores:
    """Score one response. ``answers``: dicts with code, type, value, is_key.

    The response's likelihood to recommend is its first 0–10 answer that is not
    an overall rating.
    """
    ratings = [a["value"] for a in answers if a["type"] == QuestionType.RATING and a.get("value") is not None]
    boxes = [is_top_box(a["type"], a.get("value")) for a in answers]
    boxes = [box for box in boxes if box is not None]
    nps_values = [a["value"] for a in answers if is_recommend(a, definition) and a.get("value") is not None]
    nps_value = nps_values[0] if nps_values else None
    reasons = negative_reasons(answers, definition)
    return ResponseScores(
        mean_score=_round(sum((v - 1) * 25 for v in ratings) / len(ratings)) if ratings else None,
        top_box_percent=_round(100 * sum(boxes) / len(boxes)) if boxes else None,
        nps_value=nps_value,
        nps_category=nps_category(nps_value),
        is_negative=bool(reasons),
        negative_reasons=reasons,
    )


@dataclass
class QuestionAggregate:
    code: str
    question_type: str
    dimension: str = ""
    n: int = 0
    mean_score: Decimal | None = None
    top_box_percent: Decimal | None = None


@dataclass
class AggregateScores:
    responses: int = 0
    mean_score: Decimal | None = None
    nps: Decimal | None = None
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    questions: dict[str, QuestionAggregate] = field(default_factory=dict)
    composites: dict[str, Decimal] = field(default_factory=dict)


def aggregate(responses: list[list[dict]]) -> AggregateScores:
    """Scores over many responses: per question, per composite, NPS.

    Each response is a list of answer dicts (code, type, value, dimension).
    The overall mean is the mean of every 1–5 answer's 0–100 score.
    """
    result = AggregateScores(responses=len(responses))
    values: dict[str, list[int]] = defaultdict(list)
    meta: dict[str, tuple[str, str]] = {}
    for answers in responses:
        for a in answers:
            if a["type"] in SCORED_TYPES and a.get("value") is not None:
                values[a["code"]].append(a["value"])
                meta[a["code"]] = (a["type"], a.get("dimension", ""))
    all_rating_scores = []
    nps_values = []
    raw_top_box: dict[str, float] = {}
    for code, answered in values.items():
        question_type, dimension = meta[code]
        agg = QuestionAggregate(code=code, question_type=question_type, dimension=dimension, n=len(answered))
        if question_type == QuestionType.RATING:
            scores = [(v - 1) * 25 for v in answered]
            all_rating_scores += scores
            agg.mean_score = _round(sum(scores) / len(scores))
        if question_type == QuestionType.NPS:
            nps_values += answered
        raw_top_box[code] = 100 * sum(is_top_box(question_type, v) for v in answered) / len(answered)
        agg.top_box_percent = _round(raw_top_box[code])
        result.questions[code] = agg
    if all_rating_scores:
        result.mean_score = _round(sum(all_rating_scores) / len(all_rating_scores))
    if nps_values:
        result.promoters = sum(1 for v in nps_values if v >= 9)
        result.passives = sum(1 for v in nps_values if 7 <= v <= 8)
        result.detractors = sum(1 for v in nps_values if v <= 6)
        result.nps = _round(100 * (result.promoters - result.detractors) / len(nps_values))
    # Composite top box: the mean of its items' (unrounded) top-box percentages.
    by_dimension: dict[str, list[float]] = defaultdict(list)
    for code, agg in result.questions.items():
        if agg.dimension:
            by_dimension[agg.dimension].append(raw_top_box[code])
    result.composites = {dim: _round(sum(items) / len(items)) for dim, items in by_dimension.items()}
    return result
