"""The complaint resolution-satisfaction survey, so that closing a complaint can ask how it was handled.

Installed from the instrument library (``fixtures/surveys/library.json``, the
group-wide template ``complaint-resolution``, Arabic and English) when no
template has that code yet; one already there — loaded by
``load_survey_library`` or edited by an admin — is left as it is. Reversing
keeps it: invitations and answers may point at it.
"""

import json
import uuid
from pathlib import Path

from django.db import migrations

LIBRARY = Path(__file__).resolve().parents[3] / "fixtures" / "surveys" / "library.json"
CODE = "complaint-resolution"


def install_resolution_survey(apps, schema_editor):
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    SurveyQuestion = apps.get_model("surveys", "SurveyQuestion")
    if SurveyTemplate.objects.filter(code=CODE).exists():
        return
    data = json.loads(LIBRARY.read_text(encoding="utf-8"))
    item = next(template for template in data["templates"] if template["code"] == CODE)
    template = SurveyTemplate.objects.create(
        id=uuid.uuid4(),
        code=CODE,
        kind=item["kind"],
        name=item["name_ar"],
        name_ar=item["name_ar"],
        name_en=item["name_en"],
        intro=item.get("intro_ar", ""),
        intro_ar=item.get("intro_ar", ""),
        intro_en=item.get("intro_en", ""),
        thank_you=item.get("thank_you_ar", ""),
        thank_you_ar=item.get("thank_you_ar", ""),
        thank_you_en=item.get("thank_you_en", ""),
        overall_questions=item.get("overall_questions", []),
    )
    by_code = {}
    for spec in item["questions"]:
        by_code[spec["code"]] = SurveyQuestion.objects.create(
            id=uuid.uuid4(),
            template=template,
            order=spec["order"],
            code=spec["code"],
            text=spec["text_ar"],
            text_ar=spec["text_ar"],
            text_en=spec["text_en"],
            question_type=spec["type"],
            choices=spec.get("choices", []),
            required=spec.get("required", True),
            follow_up_of=by_code.get(spec.get("follow_up_of") or ""),
            dimension=spec.get("dimension", ""),
            is_key=spec.get("is_key", False),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_taxonomy_and_service_levels"),
        ("surveys", "0003_negative_definition_per_template"),
    ]

    operations = [
        migrations.RunPython(install_resolution_survey, migrations.RunPython.noop),
    ]
