"""Golden cases of the business calendar: the dates a coordinator would work out by hand."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from px360.sla.businesstime import (
    NoWorkingTime,
    SpecialHours,
    WorkSchedule,
    add_business_time,
    business_time_between,
    next_working_instant,
)
from px360.sla.hijri import hijri_label
from px360.sla.models import BusinessCalendar, CalendarException
from px360.sla.selectors import calendar_for
from px360.sla.services import calendar_create, confirm_exceptions, seed_saudi_holidays

RIYADH = ZoneInfo("Asia/Riyadh")
DAY = timedelta(hours=8)  # one business day of the default calendar


def riyadh(*args) -> datetime:
    return datetime(*args, tzinfo=RIYADH)


DEFAULT = WorkSchedule()
THURSDAY_15 = riyadh(2026, 11, 26, 15)  # a Thursday


def test_the_default_week_is_sunday_to_thursday_eight_to_four_in_riyadh():
    assert DEFAULT.zone == "Asia/Riyadh"
    assert [DEFAULT.windows_on(date(2026, 11, 22 + offset)) for offset in range(7)] == [
        ((time(8), time(16)),),  # Sunday
        ((time(8), time(16)),),
        ((time(8), time(16)),),
        ((time(8), time(16)),),
        ((time(8), time(16)),),  # Thursday
        (),  # Friday
        (),  # Saturday
    ]


def test_received_thursday_15h_with_one_business_day_is_due_sunday_15h():
    assert add_business_time(DEFAULT, THURSDAY_15, DAY) == riyadh(2026, 11, 29, 15)


def test_received_thursday_15h_with_two_business_days_is_due_monday_15h():
    assert add_business_time(DEFAULT, THURSDAY_15, 2 * DAY) == riyadh(2026, 11, 30, 15)


def test_received_at_night_counts_from_the_next_morning():
    friday_night = riyadh(2026, 11, 27, 23, 30)
    assert add_business_time(DEFAULT, friday_night, timedelta(hours=1)) == riyadh(2026, 11, 29, 9)
    assert next_working_instant(DEFAULT, friday_night) == riyadh(2026, 11, 29, 8)


def test_an_eid_holiday_is_skipped():
    eid = WorkSchedule(closed=frozenset(date(2027, 3, 9) + timedelta(days=n) for n in range(4)) | {date(2027, 3, 14)})
    monday = riyadh(2027, 3, 8, 15)
    assert add_business_time(DEFAULT, monday, DAY) == riyadh(2027, 3, 9, 15)
    assert add_business_time(eid, monday, DAY) == riyadh(2027, 3, 15, 15)


def test_a_pause_over_a_weekend_counts_zero():
    assert business_time_between(DEFAULT, riyadh(2026, 11, 26, 16), riyadh(2026, 11, 29, 8)) == timedelta(0)
    assert business_time_between(DEFAULT, riyadh(2026, 11, 26, 14), riyadh(2026, 11, 29, 9)) == timedelta(hours=3)


def test_ramadan_hours_shorten_the_day():
    ramadan = WorkSchedule(special=(SpecialHours(date(2027, 2, 8), date(2027, 3, 8), ((time(10), time(15)),)),))
    thursday = riyadh(2027, 2, 11, 14)
    # One hour left on Thursday, five on Sunday, two on Monday.
    assert add_business_time(ramadan, thursday, DAY) == riyadh(2027, 2, 15, 12)
    assert add_business_time(DEFAULT, thursday, DAY) == riyadh(2027, 2, 14, 14)
    assert business_time_between(ramadan, riyadh(2027, 2, 14), riyadh(2027, 2, 15)) == timedelta(hours=5)
    # The weekend stays closed in Ramadan.
    assert ramadan.windows_on(date(2027, 2, 12)) == ()


def test_several_windows_a_day():
    split = WorkSchedule(weekly={6: ((time(8), time(12)), (time(13), time(17)))})
    sunday_11 = riyadh(2026, 11, 29, 11)
    assert add_business_time(split, sunday_11, timedelta(hours=2)) == riyadh(2026, 11, 29, 14)
    assert business_time_between(split, riyadh(2026, 11, 29), riyadh(2026, 11, 30)) == timedelta(hours=8)


def test_daylight_saving_never_applies_in_riyadh_but_the_arithmetic_is_zone_correct():
    # Berlin moves its clocks from 02:00 to 03:00 on 29 March 2026: a 01:00–04:00 window lasts 2 hours that day.
    berlin = WorkSchedule(zone="Europe/Berlin", weekly={6: ((time(1), time(4)),)})
    sunday = datetime(2026, 3, 29, tzinfo=ZoneInfo("Europe/Berlin"))
    assert business_time_between(berlin, sunday, sunday + timedelta(days=1)) == timedelta(hours=2)
    assert add_business_time(berlin, sunday, timedelta(hours=2)) == datetime(2026, 3, 29, 2, tzinfo=UTC)
    # The same window in Riyadh, where no clock changes: 3 hours.
    riyadh_week = WorkSchedule(weekly={6: ((time(1), time(4)),)})
    assert business_time_between(riyadh_week, riyadh(2026, 3, 29), riyadh(2026, 3, 30)) == timedelta(hours=3)
    # Results are instants: the same in any zone.
    assert add_business_time(DEFAULT, THURSDAY_15.astimezone(UTC), DAY) == riyadh(2026, 11, 29, 15)


def test_a_window_until_midnight_and_a_calendar_with_no_working_time():
    late = WorkSchedule(weekly={6: ((time(20), time(0)),)})
    assert add_business_time(late, riyadh(2026, 11, 29, 23), timedelta(hours=1)) == riyadh(2026, 11, 30, 0)
    with pytest.raises(NoWorkingTime):
        add_business_time(WorkSchedule(weekly={}), THURSDAY_15, DAY)
    with pytest.raises(ValueError):
        WorkSchedule(weekly={6: ((time(8), time(12)), (time(11), time(14)))})
    with pytest.raises(ValueError):
        add_business_time(DEFAULT, datetime(2026, 11, 26, 15), DAY)  # naive


@pytest.mark.django_db
def test_the_group_calendar_is_there_from_the_start_and_a_hospital_calendar_wins(hospital_a, hospital_b):
    group = calendar_for(hospital_a)
    assert group is not None and group.hospital_id is None
    schedule = group.schedule()
    assert schedule.weekly == {day: ((time(8), time(16)),) for day in (6, 0, 1, 2, 3)}
    own = calendar_create(name_ar="تقويم أ", name_en="Calendar A", hospital=hospital_a)
    assert calendar_for(hospital_a) == own
    assert calendar_for(hospital_b) == group


@pytest.mark.django_db
def test_saudi_holidays_are_seeded_once_as_estimates_and_eid_is_skipped():
    group = BusinessCalendar.objects.get(hospital__isnull=True)
    created = seed_saudi_holidays(group, 2027)
    assert seed_saudi_holidays(group, 2027) == []
    names = {row.name_en for row in created}
    assert {"Founding Day Holiday", "Eid al-Fitr Holiday", "Eid al-Adha Holiday", "National Day Holiday"} <= names
    assert all(row.is_estimated for row in created)
    eid = next(row for row in created if row.name_en == "Eid al-Fitr Holiday")
    assert (eid.first_day, eid.last_day) == (date(2027, 3, 9), date(2027, 3, 12))
    assert eid.name_ar == "عطلة عيد الفطر"
    ramadan = next(row for row in created if row.kind == "special_hours")
    assert ramadan.windows.count() == 1
    schedule = group.schedule()
    # Received Thursday 13 May 2027 at 15:00, one business day: the weekend, Eid al-Adha (Sunday to
    # Tuesday) and its observed day (Wednesday) are closed.
    assert add_business_time(schedule, riyadh(2027, 5, 13, 15), DAY) == riyadh(2027, 5, 20, 15)
    # The last day of Ramadan works 10:00–15:00: at 15:00 the day is over.
    assert add_business_time(schedule, riyadh(2027, 3, 8, 12), timedelta(hours=4)) == riyadh(2027, 3, 15, 9)


@pytest.mark.django_db
def test_confirming_an_estimated_holiday_records_who_and_when(superuser):
    group = BusinessCalendar.objects.get(hospital__isnull=True)
    seed_saudi_holidays(group, 2027)
    estimated = CalendarException.objects.filter(calendar=group, is_estimated=True)
    count = estimated.count()
    assert confirm_exceptions(list(estimated), by=superuser) == count
    row = CalendarException.objects.filter(calendar=group).first()
    assert not row.is_estimated and row.confirmed_by == superuser and row.confirmed_at is not None
    assert row.history.first().history_user == superuser


def test_hijri_dates_beside_gregorian_ones():
    assert hijri_label(date(2026, 11, 27), "en") == "17 Jumada al-Akhirah 1448 AH"
    assert "جمادى الآخرة" in hijri_label(date(2026, 11, 27), "ar")
    assert hijri_label(date(1800, 1, 1), "en") == ""
