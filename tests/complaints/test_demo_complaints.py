"""The demo's half year of complaints, inquiries and feedback: every state, real clocks, loaded once."""

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min
from freezegun import freeze_time

from px360.complaints.choices import (
    OPEN_COMPLAINT_STATUSES,
    Channel,
    ComplaintStatus,
    FeedbackKind,
    InquiryStatus,
    Severity,
    UpdateKind,
)
from px360.complaints.models import Complaint, ComplaintIssue, ComplaintUpdate, Feedback, Inquiry
from px360.complaints.selectors import item_ids_due
from px360.complaints.services import Contact
from px360.demo.complaints import COMPLAINANT_MESSAGES, HospitalDemo, Story
from px360.demo.management.commands.load_demo import demo_moment
from px360.notifications.choices import NotificationStatus
from px360.notifications.models import Notification
from px360.organizations.models import Hospital
from px360.sla.choices import ClockKind, ClockState
from px360.sla.models import SLAClock, SLAStatusChange

pytestmark = pytest.mark.django_db

# A Sunday morning in Riyadh: the first working day of the Saudi week.
MOMENT = "2026-11-29T09:40:00+03:00"


def _counts():
    return {
        "complaints": sorted(Complaint.objects.values_list("reference", "status")),
        "inquiries": sorted(Inquiry.objects.values_list("reference", "status")),
        "feedback": Feedback.objects.count(),
        "issues": ComplaintIssue.objects.count(),
        "timeline": ComplaintUpdate.objects.count(),
        "clocks": SLAClock.objects.count(),
        "status changes": SLAStatusChange.objects.count(),
        "messages": Notification.objects.count(),
    }


def test_the_demo_has_a_half_year_of_cases_in_every_state_with_real_clocks_loaded_once(settings, tmp_path, monkeypatch):
    """One load (it takes a while), each rule checked by its own function below."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PX360_OUTBOX_DIR = tmp_path / "outbox"
    monkeypatch.setenv("PX360_DEMO_PASSWORD", "demo-password-360")
    with freeze_time(MOMENT):
        call_command("load_demo", stdout=io.StringIO())
        # The demo happens as at this moment (at night: the last hour before the survey quiet hours).
        now = demo_moment()
    each_hospital_has_a_half_year_of_complaints_in_every_state(now)
    open_complaints_have_clocks_and_some_are_at_risk_or_breached_at_load_time(now)
    the_history_happened_when_it_says(now)
    inquiries_and_feedback_are_there_too()
    a_second_load_adds_nothing_and_the_plan_is_the_same_each_time(now)
    with_a_real_sms_gateway_no_demo_complainant_has_a_phone_number(now, settings)


def each_hospital_has_a_half_year_of_complaints_in_every_state(now):
    for hospital in Hospital.objects.filter(code__in=["RYD", "JED"]):
        complaints = Complaint.objects.filter(hospital=hospital)
        assert 60 <= complaints.count() <= 120
        assert set(complaints.values_list("status", flat=True)) == set(ComplaintStatus.values)
        received = complaints.aggregate(first=Min("received_at"), last=Max("received_at"))
        assert received["first"] < now - timedelta(days=150) and received["last"] <= now
        # Every month of the half year has complaints, not only the last weeks.
        months = {(at.year, at.month) for at in complaints.values_list("received_at", flat=True)}
        assert len(months) >= 6
        # New ones arrived today; one or two were reopened, one of them still open.
        assert complaints.filter(status=ComplaintStatus.NEW, received_at__gte=now - timedelta(hours=24)).exists()
        reopened = complaints.filter(reopen_count__gte=1)
        assert reopened.filter(status=ComplaintStatus.IN_PROGRESS).exists()
        assert reopened.filter(status=ComplaintStatus.CLOSED).exists()
        # Mostly non-medical, many about appointments and waiting; channels as the hospital receives them.
        issues = ComplaintIssue.objects.filter(complaint__hospital=hospital)
        codes = Counter(issues.values_list("category__code", flat=True))
        assert codes["appointment_delays"] + codes["waiting_time"] >= complaints.count() // 3
        medical = complaints.filter(issues__is_medical=True).distinct().count()
        assert 0 < medical < complaints.count() // 4
        channels = Counter(complaints.values_list("channel", flat=True))
        for channel in (Channel.WALK_IN, Channel.PHONE, Channel.WEB, Channel.MOH_937, Channel.SURVEY):
            assert channels[channel], channel
        tickets = complaints.filter(channel=Channel.MOH_937)
        assert not tickets.filter(external_reference="").exists()
        assert complaints.filter(survey_response__isnull=False).exists()
        # Coded with one to three issues each, a few of high severity with harm.
        per_complaint = set(complaints.annotate(n=Count("issues")).values_list("n", flat=True))
        assert per_complaint <= {1, 2, 3} and 3 in per_complaint
        assert complaints.filter(severity=Severity.HIGH).exists()
        # One was coded medium at intake and raised to high after the file review.
        assert complaints.filter(severity=Severity.HIGH, updates__kind=UpdateKind.CODING).exists()
        assert issues.filter(severity=Severity.HIGH, harm__gte=2).exists()
        # Assigned to the demo's staff; physicians and staff named on some.
        assignees = set(complaints.exclude(assigned_to=None).values_list("assigned_to__username", flat=True))
        code = hospital.code.lower()
        assert {f"{code}_px_coordinator", f"{code}_department_manager"} <= assignees
        assert complaints.filter(physicians__isnull=False).exists()
        assert complaints.filter(staff__isnull=False).exists()
        # Bilingual, in the complainants' own words, not one sentence repeated.
        arabic = complaints.filter(language="ar")
        english = complaints.filter(language="en")
        assert arabic.count() > english.count() > 0
        assert all(any("\u0600" <= ch <= "\u06ff" for ch in text) for text in arabic.values_list("summary", flat=True))
        assert all(text.isascii() for text in english.values_list("description", flat=True))
        assert complaints.values("description").distinct().count() >= complaints.count() // 2


def open_complaints_have_clocks_and_some_are_at_risk_or_breached_at_load_time(now):
    open_complaints = Complaint.objects.filter(status__in=OPEN_COMPLAINT_STATUSES)
    for complaint in open_complaints:
        clocks = {clock.clock: clock for clock in SLAClock.objects.filter(item_id=str(complaint.pk))}
        assert set(clocks) == {ClockKind.ACKNOWLEDGE, ClockKind.RESOLVE}, complaint.reference
        assert clocks[ClockKind.RESOLVE].stopped_at is None
        if complaint.status == ComplaintStatus.WAITING:
            assert clocks[ClockKind.RESOLVE].state == ClockState.PAUSED
    # Computed as at the load, not as at each case's last step: a clock past its due time reads breached.
    running = SLAClock.objects.filter(stopped_at__isnull=True)
    assert not running.filter(computed_at__lt=now - timedelta(minutes=1)).exists()
    assert not running.filter(due_at__lte=now, breached_at__isnull=True).exists()
    with freeze_time(now):
        breached = set(item_ids_due(Complaint, "breached"))
        at_risk = set(item_ids_due(Complaint, "at_risk"))
    for hospital in Hospital.objects.filter(code__in=["RYD", "JED"]):
        ids = {str(pk) for pk in open_complaints.filter(hospital=hospital).values_list("pk", flat=True)}
        assert len(ids & breached) >= 2 and len(ids & at_risk) >= 2
        # One nobody acknowledged in time; the acknowledgement clock of the others stopped when they were.
        unacknowledged = Complaint.objects.filter(hospital=hospital, status=ComplaintStatus.NEW)
        assert {str(pk) for pk in unacknowledged.values_list("pk", flat=True)} & breached
    # Closed ones kept their history: met or missed, never running.
    closed = Complaint.objects.filter(status=ComplaintStatus.CLOSED)
    states = Counter(
        SLAClock.objects.filter(item_id__in=[str(pk) for pk in closed.values_list("pk", flat=True)]).values_list(
            "state", flat=True
        )
    )
    assert set(states) == {ClockState.MET, ClockState.MISSED} and states[ClockState.MET] > states[ClockState.MISSED]


def the_history_happened_when_it_says(now):
    complaint = (
        Complaint.objects.filter(status=ComplaintStatus.CLOSED, received_at__lt=now - timedelta(days=60))
        .annotate(steps=Count("updates"))
        .filter(steps__gte=6)
        .first()
    )
    updates = list(complaint.updates.order_by("created_at"))
    # The timeline runs from the day it arrived, in order: received, acknowledged, ..., closed.
    assert updates[0].new_status == ComplaintStatus.NEW and abs(updates[0].created_at - complaint.received_at) < (
        timedelta(seconds=1)
    )
    # Closing is the last change of status (the closing loop may add a note on the resolution survey after it).
    updates = [update for update in updates if update.kind == UpdateKind.STATUS]
    assert updates[-1].new_status == ComplaintStatus.CLOSED
    assert complaint.acknowledged_at <= complaint.resolved_at <= complaint.closed_at < now - timedelta(days=30)
    assert updates[-1].created_at == complaint.closed_at or abs(updates[-1].created_at - complaint.closed_at) < (
        timedelta(seconds=1)
    )
    assert complaint.history.earliest("history_date").history_date < now - timedelta(days=59)
    changes = list(SLAStatusChange.objects.filter(item_id=str(complaint.pk)).order_by("at"))
    assert changes[0].at == complaint.received_at and changes[-1].status == ComplaintStatus.CLOSED
    # Nothing is dated after the moment the demo was loaded.
    assert not ComplaintUpdate.objects.filter(created_at__gt=now).exists()
    assert not Complaint.objects.filter(received_at__gt=now).exists()
    # Notes, messages to complainants (in the outbox, in their language), assignments.
    kinds = Counter(ComplaintUpdate.objects.values_list("kind", flat=True))
    assert kinds[UpdateKind.NOTE] and kinds[UpdateKind.MESSAGE] and kinds[UpdateKind.ASSIGNMENT]
    messages = Notification.objects.filter(purpose=COMPLAINANT_MESSAGES)
    assert messages.filter(language="ar").exists() and messages.filter(language="en").exists()
    assert set(messages.values_list("status", flat=True)) == {NotificationStatus.QUEUED}


def inquiries_and_feedback_are_there_too():
    for hospital in Hospital.objects.filter(code__in=["RYD", "JED"]):
        inquiries = Inquiry.objects.filter(hospital=hospital)
        assert 20 <= inquiries.count() <= 40
        assert set(inquiries.values_list("status", flat=True)) == set(InquiryStatus.values)
        promoted = inquiries.get(status=InquiryStatus.PROMOTED)
        assert promoted.promoted_to.received_at == promoted.received_at
        assert promoted.promoted_to.issues.exists()
        assert not inquiries.filter(status=InquiryStatus.ANSWERED, answer="").exists()
        feedback = Feedback.objects.filter(hospital=hospital)
        compliments = feedback.filter(kind=FeedbackKind.COMPLIMENT)
        assert 20 <= compliments.count() <= 40
        assert compliments.filter(physician__isnull=False).exists()
        assert compliments.filter(employee__isnull=False).exists()
        assert feedback.filter(kind=FeedbackKind.SUGGESTION).exists()


def a_second_load_adds_nothing_and_the_plan_is_the_same_each_time(now):
    first = _counts()
    with freeze_time(now):
        call_command("load_demo", stdout=io.StringIO())
    assert _counts() == first
    # Every choice comes from the hospital's seeded generator: planned twice, the same story.
    hospital = Hospital.objects.get(code="RYD")

    def planned():
        jobs = HospitalDemo(hospital, now=now).plan()
        return [(job.at, getattr(job.run.args[0], "new", None) and job.run.args[0].new.summary) for job in jobs]

    assert planned() == planned()


def with_a_real_sms_gateway_no_demo_complainant_has_a_phone_number(now, settings):
    """Messages wait in the outbox for the sending job: with a real gateway none may go to a made-up number."""
    settings.PX360_SMS_BACKEND = "gateway"
    contacts = []
    for job in HospitalDemo(Hospital.objects.get(code="RYD"), now=now).plan():
        for argument in job.run.args:
            if isinstance(argument, Story):
                contacts.append(argument.new.contact)
            elif isinstance(argument, dict) and "contact" in argument:
                contacts.append(argument["contact"])
            elif isinstance(argument, Contact):
                contacts.append(argument)
    assert len(contacts) > 100
    assert not any(contact.phone for contact in contacts)
    assert all(contact.email.endswith("@example.com") for contact in contacts if contact.email)
