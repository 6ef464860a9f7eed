"""The HCAT taxonomy (from fixtures/hcat_taxonomy.json) and the group's default service levels.

Service levels follow the reference points in the domain notes: acknowledge
within one business day (four business hours at high severity), resolve in
five business days (three at high severity), the resolve clock paused while
waiting for the complainant; inquiries are acknowledged in four business
hours and answered in two business days. Reminders at 50 % (assignee) and
80 % (department managers), the PX coordinators at breach, the hospital's
administrators two business days after. Admins change all of it in the admin;
running this again changes nothing.
"""

import json
import uuid
from pathlib import Path

from django.db import migrations

TAXONOMY = Path(__file__).resolve().parents[3] / "fixtures" / "hcat_taxonomy.json"

POLICIES = (
    # kind, severity, name_ar, name_en, acknowledge (amount, unit), resolve (amount, unit), pauses
    ("complaint", "", "الشكاوى", "Complaints", (1, "business_days"), (5, "business_days"), ["waiting"]),
    (
        "complaint",
        "3",
        "الشكاوى عالية الخطورة",
        "High-severity complaints",
        (4, "business_hours"),
        (3, "business_days"),
        ["waiting"],
    ),
    ("inquiry", "", "الاستفسارات", "Inquiries", (4, "business_hours"), (2, "business_days"), ["waiting"]),
)

STEPS = (
    # clock, trigger, percent, days_after, audience
    ("acknowledge", "percent", 80, None, "px_coordinators"),
    ("acknowledge", "breach", None, None, "px_coordinators"),
    ("resolve", "percent", 50, None, "assignee"),
    ("resolve", "percent", 80, None, "department_manager"),
    ("resolve", "breach", None, None, "px_coordinators"),
    ("resolve", "after_breach", None, 2, "hospital_admins"),
)


def load_taxonomy(apps, schema_editor):
    HCATCategory = apps.get_model("complaints", "HCATCategory")
    data = json.loads(TAXONOMY.read_text(encoding="utf-8"))
    by_code = {}
    for row in data["categories"]:
        parent = by_code.get(row.get("parent")) if row.get("parent") else None
        defaults = {
            "domain": parent.domain if parent else row["domain"],
            "parent": parent,
            "sort_order": row["order"],
            "name": row["name_ar"],
            "name_ar": row["name_ar"],
            "name_en": row["name_en"],
            "description": row["description_ar"],
            "description_ar": row["description_ar"],
            "description_en": row["description_en"],
        }
        category = HCATCategory.objects.filter(code=row["code"]).first()
        if category is None:
            category = HCATCategory.objects.create(id=uuid.uuid4(), code=row["code"], **defaults)
        by_code[row["code"]] = category


def create_policies(apps, schema_editor):
    SLAPolicy = apps.get_model("sla", "SLAPolicy")
    EscalationStep = apps.get_model("sla", "EscalationStep")
    for kind, severity, name_ar, name_en, acknowledge, resolve, pauses in POLICIES:
        if SLAPolicy.objects.filter(kind=kind, severity=severity, hospital__isnull=True, is_active=True).exists():
            continue
        policy = SLAPolicy.objects.create(
            id=uuid.uuid4(),
            name=name_ar,
            name_ar=name_ar,
            name_en=name_en,
            kind=kind,
            severity=severity,
            acknowledge_target=acknowledge[0],
            acknowledge_unit=acknowledge[1],
            resolve_target=resolve[0],
            resolve_unit=resolve[1],
            pause_statuses=pauses,
            reopen_mode="continue",
        )
        for clock, trigger, percent, days_after, audience in STEPS:
            EscalationStep.objects.create(
                id=uuid.uuid4(),
                policy=policy,
                clock=clock,
                trigger=trigger,
                percent=percent,
                days_after=days_after,
                audience=audience,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_complaints_inquiries_feedback"),
        ("sla", "0002_group_calendar"),
    ]

    operations = [
        migrations.RunPython(load_taxonomy, migrations.RunPython.noop),
        migrations.RunPython(create_policies, migrations.RunPython.noop),
    ]
