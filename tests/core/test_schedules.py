import pytest
from django.core.management import call_command
from django_q.models import Schedule

from px360.core.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_setup_schedules_twice_leaves_one_schedule_per_job():
    call_command("setup_schedules")
    call_command("setup_schedules")
    names = list(Schedule.objects.values_list("name", flat=True))
    assert sorted(names) == sorted(job.name for job in SCHEDULES)


def test_setup_schedules_repairs_a_changed_schedule_and_keeps_others():
    call_command("setup_schedules")
    Schedule.objects.filter(name="core.heartbeat").update(minutes=99)
    Schedule.objects.create(name="hand-made", func="math.floor", schedule_type=Schedule.ONCE)
    call_command("setup_schedules")
    assert Schedule.objects.get(name="core.heartbeat").minutes == 1
    assert Schedule.objects.filter(name="hand-made").exists()


def test_heartbeat_job_records_its_last_run():
    from django_q.tasks import async_task

    from px360.core.models import JobHeartbeat

    async_task("px360.core.tasks.heartbeat")
    assert JobHeartbeat.objects.filter(name="queue").exists()
