"""The instrument library shipped in ``fixtures/surveys/library.json``."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import SurveyQuestion, SurveyTemplate

LIBRARY_PATH = Path(settings.BASE_DIR) / "fixtures" / "surveys" / "library.json"

# Demo journey stages (journey type, stage code) and the instrument each gets.
DEMO_STAGE_SURVEYS = [
    ("OPD", "end_of_visit", "opd-visit"),
    ("INPATIENT", "discharge", "inpatient-stay"),
    ("EMS", "ed_discharge", "emergency-visit"),
]


@transaction.atomic
def load_library(path: Path | None = None) -> dict:
    """Create the library's templates and questions that do not exist yet.

    Idempotent, and it never overwrites what coordinators edited: existing
    templates and questions (matched by code) are left as they are.
    """
    data = json.loads((path or LIBRARY_PATH).read_text(encoding="utf-8"))
    counts = {"templates": 0, "questions": 0}
    for item in data["templates"]:
        template = SurveyTemplate.all_objects.filter(code=item["code"]).first()
        if template is None:
            template = SurveyTemplate.objects.create(
                code=item["code"],
                kind=item["kind"],
                name=item["name_ar"],
                name_ar=item["name_ar"],
                name_en=item["name_en"],
                intro_ar=item.get("intro_ar", ""),
                intro_en=item.get("intro_en", ""),
                thank_you_ar=item.get("thank_you_ar", ""),
                thank_you_en=item.get("thank_you_en", ""),
                # The questions that rate the stay as a whole (the negative rules' overall rating).
                overall_questions=item.get("overall_questions", []),
            )
            counts["templates"] += 1
        existing = {q.code: q for q in template.questions.all()}
        for spec in item["questions"]:
            if spec["code"] in existing:
                continue
            existing[spec["code"]] = SurveyQuestion.objects.create(
                template=template,
                order=spec["order"],
                code=spec["code"],
                text=spec["text_ar"],
                text_ar=spec["text_ar"],
                text_en=spec["text_en"],
                question_type=spec["type"],
                choices=spec.get("choices", []),
                required=spec.get("required", True),
                follow_up_of=existing.get(spec.get("follow_up_of") or ""),
                dimension=spec.get("dimension", ""),
                is_key=spec.get("is_key", False),
            )
            counts["questions"] += 1
    return counts


def attach_demo_stage_surveys() -> int:
    """Attach library instruments to the demo journeys' survey stages, when those exist."""
    from px360.journeys.models import JourneyStageTemplate

    attached = 0
    for journey_type, stage_code, template_code in DEMO_STAGE_SURVEYS:
        template = SurveyTemplate.objects.filter(code=template_code).first()
        if template is None:
            continue
        attached += JourneyStageTemplate.objects.filter(
            template__journey_type=journey_type, code=stage_code, survey_template__isnull=True
        ).update(survey_template=template)
    return attached
