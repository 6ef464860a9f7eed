"""Import jobs are named in the hospital's time, as the person who ran one remembers it."""

import pytest
from freezegun import freeze_time

from px360.journeys.models import ImportJob

pytestmark = pytest.mark.django_db


@freeze_time("2026-03-01 21:30:00+00:00")
def test_a_job_started_late_in_the_evening_utc_is_named_after_midnight_riyadh_time(hospital_admin_a):
    job = ImportJob.objects.create(user=hospital_admin_a)
    assert str(job).endswith("2026-03-02 00:30")
