"""The group's business calendar: Sunday to Thursday, 08:00–16:00, Riyadh time."""

import datetime
import uuid

from django.db import migrations

WORKING_DAYS = (6, 0, 1, 2, 3)  # Python weekdays: Sunday, Monday, Tuesday, Wednesday, Thursday


def create_group_calendar(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    WorkingWindow = apps.get_model("sla", "WorkingWindow")
    if BusinessCalendar.objects.filter(hospital__isnull=True, is_active=True).exists():
        return
    calendar = BusinessCalendar.objects.create(
        id=uuid.uuid4(),
        name="تقويم المجموعة",
        name_ar="تقويم المجموعة",
        name_en="Group calendar",
        timezone="Asia/Riyadh",
    )
    for weekday in WORKING_DAYS:
        WorkingWindow.objects.create(
            id=uuid.uuid4(),
            calendar=calendar,
            weekday=weekday,
            start_time=datetime.time(8),
            end_time=datetime.time(16),
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_sla_engine")]

    operations = [migrations.RunPython(create_group_calendar, migrations.RunPython.noop)]
