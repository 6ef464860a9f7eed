"""The journey templates PX360 ships (fixtures/journey_templates.json)."""

import json

from django.conf import settings
from django.db import transaction

from .journey_models import JourneyStageTemplate, JourneyTemplate

LIBRARY = settings.BASE_DIR / "fixtures" / "journey_templates.json"


@transaction.atomic
def load_journey_templates(*, password=None, path=LIBRARY) -> list:
    """Create the group-wide default templates that do not exist yet (idempotent).

    A template already there is left alone: staff may have edited it.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["templates"]:
        exists = JourneyTemplate.objects.filter(
            journey_type=entry["journey_type"], hospital__isnull=True, is_active=True
        ).exists()
        if exists:
            continue
        template = JourneyTemplate.objects.create(
            journey_type=entry["journey_type"],
            name=entry["name_ar"],
            name_ar=entry["name_ar"],
            name_en=entry["name_en"],
        )
        for order, stage in enumerate(entry["stages"], start=1):
            JourneyStageTemplate.objects.create(
                template=template,
                order=order,
                code=stage["code"],
                name=stage["name_ar"],
                name_ar=stage["name_ar"],
                name_en=stage["name_en"],
                completes_on=stage["completes_on"],
                is_required=stage["is_required"],
                survey_delay_hours=stage.get("survey_delay_hours", 0),
            )
    return []
