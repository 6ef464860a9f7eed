"""Demo complaints, inquiries, compliments and suggestions: half a year of a coordinator's work.

Per demo hospital, about ninety complaints over the last six months — most
about appointments and waiting, a few clinical, some of high severity — each
coded with HCAT issues, assigned, noted, answered and closed at the times it
happened; and, open today, what a coordinator finds in the morning: new ones,
ones nobody acknowledged, some at risk, some breached, some waiting for the
complainant, resolved ones to close, a reopened one. Inquiries (one became a
complaint), compliments naming physicians and staff, and suggestions come
with them.

Everything goes through the complaints services, each step run as at the
moment it happened (the services stamp their rows, history and timeline with
the current time, and the SLA clocks are computed from the status history on
the business calendar). Times are relative to now; every choice is seeded, so
each load tells the same story with the same numbers. Loaded once per
hospital: nothing is done for a hospital that already has a complaint.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from unittest import mock

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from px360.accounts.models import User
from px360.accounts.roles import RoleCode
from px360.complaints.choices import Channel, ComplainantKind, ComplaintStatus, FeedbackKind, InquiryStatus, Relation
from px360.complaints.models import Complaint, ComplaintIssue, HCATCategory
from px360.complaints.services import (
    Contact,
    IssueCoding,
    NewComplaint,
    complaint_assign,
    complaint_create,
    complaint_message,
    complaint_note,
    complaint_recode,
    complaint_transition,
    feedback_create,
    inquiry_create,
    inquiry_promote,
    inquiry_transition,
)
from px360.complaints.sla import COMPLAINT, INQUIRY
from px360.journeys.models import Encounter
from px360.notifications.models import StaffNotice
from px360.notifications.services import staff_notice_mark_read
from px360.organizations.models import Department, Employee, Hospital, Patient, Physician
from px360.sla.businesstime import add_business_time, business_time_between
from px360.sla.models import SLAPolicy
from px360.sla.selectors import calendar_for, schedule_for
from px360.sla.services import recompute_for_policy
from px360.surveys.demo import NEGATIVE_COMMENTS
from px360.surveys.models import SurveyResponse

from . import complaint_texts as texts

DEMO_HOSPITALS = ["RYD", "JED"]

# The outbox purpose of the messages the complaints services write to complainants.
COMPLAINANT_MESSAGES = "complaint_update"

HOUR = timedelta(hours=1)
HALF_YEAR = timedelta(days=182)

# The state each complaint is in at load time, and how many of each per hospital (low, high).
COMPLAINT_MIX = (
    ("new_today", 2, 4),
    ("not_acknowledged", 1, 2),
    ("acknowledged", 2, 2),
    ("in_progress", 3, 5),
    ("at_risk", 2, 3),
    ("breached", 3, 4),
    ("waiting", 2, 3),
    ("reopened", 1, 1),
    ("resolved", 4, 6),
    ("reopened_and_closed", 1, 1),
    ("closed", 52, 64),
)
INQUIRY_MIX = (
    ("new_today", 2, 2),
    ("in_progress_today", 1, 1),
    ("not_acknowledged", 1, 1),
    ("waiting", 1, 1),
    ("answered", 3, 3),
    ("closed", 12, 18),
)
COMPLIMENTS = (20, 26)
SUGGESTIONS = (6, 9)

CHANNEL_WEIGHTS = (
    (Channel.WALK_IN, 28),
    (Channel.MOH_937, 20),
    (Channel.PHONE, 17),
    (Channel.WEB, 18),
    (Channel.CALL_CENTRE, 5),
    (Channel.EMAIL, 4),
    (Channel.SOCIAL, 3),
    (Channel.LETTER, 2),
)
# When each channel brings cases, local time: (first hour, last hour, working days only).
CHANNEL_HOURS = {
    Channel.WALK_IN: (8, 21, False),
    Channel.MOH_937: (7, 23, False),
    Channel.PHONE: (8, 15, True),
    Channel.CALL_CENTRE: (8, 21, False),
    Channel.WEB: (6, 23, False),
    Channel.EMAIL: (6, 23, False),
    Channel.SOCIAL: (9, 23, False),
    Channel.LETTER: (9, 13, True),
}
ANONYMOUS_CHANNELS = (Channel.WEB, Channel.LETTER, Channel.SOCIAL)
RELATIONS = {"child": Relation.CHILD, "parent": Relation.PARENT, "spouse": Relation.SPOUSE}
SAUDI_WORKING_DAYS = (6, 0, 1, 2, 3)  # Sunday to Thursday, as Python numbers weekdays
# Departments the demo's department manager heads (Internal Medicine and what sits under it).
MEDICAL_TREE = ("MED", "CARD", "ENDO", "WARD3")

# Survey comments of the demo's unhappy answers (surveys.demo), as a coordinator sums them up and codes them.
SURVEY_COMPLAINTS = (
    ("انتظار طويل في الصيدلية دون توضيح", "Long wait at the pharmacy with no explanation", "waiting_time", "PHAR"),
    ("الطبيب لم يشرح نتائج التحاليل", "Test results not explained by the doctor", "communication", ""),
    ("الغرفة غير نظيفة وتأخر الرد على الجرس", "Room not clean, call button unanswered", "environment", ""),
    ("تأجيل الموعد مرتين دون إشعار", "Appointment moved twice without notice", "appointment_delays", "OPD"),
)


def load_demo_complaints(*, password=None):
    hospitals = [
        hospital
        for hospital in Hospital.objects.filter(code__in=DEMO_HOSPITALS).order_by("code")
        if not Complaint.objects.filter(hospital=hospital).exists()
    ]
    if not hospitals or not HCATCategory.objects.exists():
        return []
    now = timezone.now()
    tickets: set[str] = set()
    demos = [HospitalDemo(hospital, now=now, tickets=tickets) for hospital in hospitals]
    jobs = [job for demo in demos for job in demo.plan()]
    # References are handed out in the order cases arrived, across the group.
    jobs.sort(key=lambda job: job.at)
    for job in jobs:
        job.run()
    _bring_clocks_up_to_date()
    fresh = set().union(*(demo.fresh for demo in demos))
    transaction.on_commit(
        partial(_mark_old_notices_read, hospital_ids=[h.pk for h in hospitals], fresh=fresh, since=now),
        robust=True,
    )
    return []


@contextmanager
def _as_at(moment: datetime):
    """Run the services as at ``moment``: the clock starts there and ticks a millisecond a read,
    so the rows one step writes keep their order whatever the real clock does."""
    ticks = itertools.count()
    with mock.patch("django.utils.timezone.now", new=lambda: moment + timedelta(milliseconds=next(ticks))):
        yield


def _business_before(schedule, end: datetime, amount: timedelta) -> datetime:
    """The instant from which ``amount`` of working time has passed by ``end``."""
    remaining = amount
    day = schedule.local_date(end)
    for _day in range(800):
        for begin, finish in reversed(schedule.intervals_on(day)):
            if begin >= end:
                continue
            finish = min(finish, end)
            if finish - begin >= remaining:
                return finish - remaining
            remaining -= finish - begin
        day -= timedelta(days=1)
    raise ValueError("No working time in the calendar")


@dataclass
class Job:
    at: datetime
    run: Callable[[], None]


@dataclass
class Step:
    at: datetime
    action: str
    by: User | None = None
    text: str = ""
    user: User | None = None


@dataclass
class Story:
    """One complaint as it happened: what arrived, who handled it, and each step after."""

    new: NewComplaint
    topic: str
    family: str
    assignee: User
    received_at: datetime | None = None
    steps: list[Step] = field(default_factory=list)
    # Its notices are still news to the staff (they stay unread).
    fresh: bool = False
    # Coded medium at intake; the file review raises it to high.
    recode: bool = False
    notes_written: set[str] = field(default_factory=set)


class HospitalDemo:
    """The complaints, inquiries and feedback of one demo hospital: planned (every choice drawn from the
    hospital's seeded generator), then told through the services."""

    def __init__(self, hospital: Hospital, *, now: datetime, tickets: set[str] | None = None):
        self.hospital = hospital
        self.now = now
        # Nothing happens later than a few minutes before now.
        self.limit = now - timedelta(minutes=5)
        self.seed = f"px360-demo-complaints-{hospital.code}"
        self.rng = random.Random(self.seed)
        self.schedule = schedule_for(calendar_for(hospital))
        self.departments = {d.code: d for d in Department.objects.filter(hospital=hospital)}
        self.physicians = {
            p.department.code: p
            for p in Physician.objects.filter(hospital=hospital, department__isnull=False).select_related("department")
        }
        self.users = {
            code: User.objects.filter(username=f"{hospital.code.lower()}_{code}").first()
            for code in (RoleCode.PX_COORDINATOR, RoleCode.DEPARTMENT_MANAGER, RoleCode.STAFF, RoleCode.NURSE)
        }
        self.coordinator = self.users[RoleCode.PX_COORDINATOR]
        self.nurse = self._employee(RoleCode.NURSE, "01", ("ممرضة", "Staff nurse"))
        self.front_desk = self._employee(
            RoleCode.STAFF, "02", ("مشرف الاستقبال والمواعيد", "Front desk and appointments supervisor")
        )
        self.patients = list(Patient.objects.filter(hospital=hospital).order_by("mrn"))
        self.categories = {c.code: c for c in HCATCategory.objects.filter(is_active=True)}
        # The 937 ticket numbers handed out (shared by the hospitals loaded together).
        self.tickets = tickets if tickets is not None else set()
        self.fresh: set[str] = set()
        # Messages to complainants wait in the outbox for the sending job. With the console backend (the
        # default outside production) they stay on this machine; where a real SMS gateway is configured,
        # the demo's complainants leave no phone number, so nothing is ever queued for a made-up number
        # (their e-mail addresses are on the reserved example.com domain).
        self.with_phones = settings.PX360_SMS_BACKEND == "console"

    # --- people ---------------------------------------------------------------------------

    def _employee(self, role: str, number: str, title: tuple[str, str]) -> Employee | None:
        """The employment record of the demo's nurse and front-desk supervisor, so that complaints and
        compliments can name them."""
        user = self.users.get(role)
        if user is None:
            return None
        employee = Employee.all_objects.filter(user=user).first()
        if employee is None:
            employee = Employee.objects.create(
                user=user,
                hospital=self.hospital,
                department=user.department,
                employee_number=f"{self.hospital.code}-E{number}",
                job_title=title[0],
                job_title_ar=title[0],
                job_title_en=title[1],
            )
        return employee

    def _phone(self, patient: Patient | None = None) -> str:
        number = f"+9665{self.rng.choice('0345689')}{self.rng.randint(0, 9999999):07d}"
        if patient is not None and patient.phone:
            number = patient.phone
        return number if self.with_phones else ""

    def _name(self, language: str) -> str:
        if language == "ar":
            return f"{self.rng.choice(texts.FIRST_NAMES_AR)} {self.rng.choice(texts.FAMILY_NAMES_AR)}"
        return self.rng.choice(texts.NAMES_EN)

    def _contact(self, *, who: str, language: str, channel: str, patient: Patient | None) -> Contact:
        rng = self.rng
        if who == "self" and patient is not None:
            name = patient.name_ar if language == "ar" else patient.name_en
            return Contact(kind=ComplainantKind.PATIENT, name=name, phone=self._phone(patient), language=language)
        if who == "self" and channel in ANONYMOUS_CHANNELS and rng.random() < 0.25:
            return Contact(kind=ComplainantKind.ANONYMOUS, language=language)
        name = self._name(language)
        email = ""
        if language == "en" and channel in (Channel.WEB, Channel.EMAIL):
            email = f"{name.split()[0].lower()}.{rng.randint(10, 99)}@example.com"
        return Contact(
            kind=ComplainantKind.PATIENT if who == "self" else ComplainantKind.ON_BEHALF,
            name=name,
            relation=RELATIONS.get(who, ""),
            phone=self._phone(),
            email=email,
            language=language,
        )

    def _assignee(self, department: str, family: str) -> User:
        manager = self.users[RoleCode.DEPARTMENT_MANAGER]
        staff = self.users[RoleCode.STAFF]
        if department in MEDICAL_TREE and manager is not None:
            return manager
        if department in ("OPD", "PHAR") and family in ("access", "waiting", "billing") and staff is not None:
            return staff if self.rng.random() < 0.6 else self.coordinator
        return self.coordinator

    # --- time -----------------------------------------------------------------------------

    def _ago(self, hours: float) -> datetime:
        """``hours`` of working time before now, to the second."""
        return _business_before(self.schedule, self.now, timedelta(hours=hours)).replace(microsecond=0)

    def _after(self, start: datetime, hours: float) -> datetime:
        return add_business_time(self.schedule, start, timedelta(hours=max(hours, 0.02))).replace(microsecond=0)

    def _received(self, channel: str, *, newest: datetime, oldest: datetime) -> datetime:
        """A time between ``oldest`` and ``newest`` when the channel brings cases; fewer at the weekend."""
        first, last, working_days_only = CHANNEL_HOURS[channel]
        span = (newest - oldest).total_seconds()
        for _attempt in range(60):
            moment = timezone.localtime(oldest + timedelta(seconds=self.rng.uniform(0, span)))
            weekend = moment.weekday() not in SAUDI_WORKING_DAYS
            if weekend and (working_days_only or self.rng.random() < 0.6):
                continue
            moment = moment.replace(
                hour=self.rng.randint(first, last), minute=self.rng.randint(0, 59), second=0, microsecond=0
            )
            if oldest <= moment <= newest:
                return moment
        return newest

    def _plausible(self, channel: str, moment: datetime) -> bool:
        first, last, working_days_only = CHANNEL_HOURS[channel]
        local = timezone.localtime(moment)
        if working_days_only and local.weekday() not in SAUDI_WORKING_DAYS:
            return False
        return first <= local.hour <= last

    def _times(self, start: datetime, end: datetime, count: int) -> list[datetime]:
        """``count`` increasing moments between ``start`` and ``end``, in working hours when any lie between."""
        working = business_time_between(self.schedule, start, end)
        moments = []
        previous = start
        for fraction in sorted(self.rng.uniform(0.08, 0.92) for _ in range(count)):
            if working > timedelta(minutes=10):
                moment = add_business_time(self.schedule, start, working * fraction)
            else:
                moment = start + (end - start) * fraction
            moment = min(
                max(moment.replace(microsecond=0), previous + timedelta(minutes=1)), end - timedelta(seconds=1)
            )
            moments.append(moment)
            previous = moment
        return moments

    # --- the plan -------------------------------------------------------------------------

    def plan(self) -> list[Job]:
        """Every case of the hospital, each a job to run at the moment it arrived.

        The counts are drawn first, then each case from a generator of its own: what the cases are and
        say never depends on the day the demo is loaded, only when they happened does."""
        rng = random.Random(self.seed)
        complaints = [scenario for scenario, low, high in COMPLAINT_MIX for _n in range(rng.randint(low, high))]
        inquiries = [scenario for scenario, low, high in INQUIRY_MIX for _n in range(rng.randint(low, high))]
        compliments = rng.randint(*COMPLIMENTS)
        suggestions = rng.randint(*SUGGESTIONS)
        # Shown in every demo: a nurse and the front-desk supervisor named, a serious clinical case open,
        # and one case whose severity the file review raised.
        features = {
            complaints.index("in_progress"): "nurse",
            complaints.index("resolved"): "front_desk",
            complaints.index("breached"): "serious",
            complaints.index("closed"): "recode",
        }
        jobs = []
        for index, scenario in enumerate(complaints):
            self._case("complaint", index)
            story = self._story(scenario, feature=features.get(index, ""))
            jobs.append(Job(story.received_at, partial(self._tell, story)))
        self._case("survey", 0)
        jobs += self._survey_complaints()
        for index, scenario in enumerate(inquiries):
            self._case("inquiry", index)
            jobs.append(self._inquiry_job(scenario))
        self._case("promoted", 0)
        jobs.append(self._promoted_inquiry_job())
        for index in range(compliments):
            self._case("compliment", index)
            jobs.append(self._compliment_job())
        for index in range(suggestions):
            self._case("suggestion", index)
            jobs.append(self._suggestion_job())
        return jobs

    def _case(self, kind: str, index: int) -> None:
        self.rng = random.Random(f"{self.seed}-{kind}-{index}")

    def _new_complaint(self, *, feature: str = "") -> tuple[NewComplaint, texts.Topic]:
        """What arrived: topic, wording, who wrote, the department and the people named, the coding."""
        rng = self.rng
        recode = feature == "recode"
        topics = [t for t in texts.TOPICS if not recode or t.family == "clinical"]
        topic = rng.choices(topics, weights=[t.weight for t in topics])[0]
        channel = rng.choices([c for c, _w in CHANNEL_WEIGHTS], [w for _c, w in CHANNEL_WEIGHTS])[0]
        language = "en" if rng.random() < 0.2 else "ar"
        wording = rng.choice(topic.en if language == "en" else topic.ar)
        featured = {
            "nurse": lambda w: w.nurse,
            "front_desk": lambda w: w.front_desk,
            "serious": lambda w: w.severity == 3,
        }.get(feature)
        if featured is not None:
            language = "ar"
            topic, wording = rng.choice([(t, w) for t in texts.TOPICS for w in t.ar if featured(w)])
        department = wording.department or rng.choice(topic.departments)
        patient = None
        if wording.who == "self" and rng.random() < 0.55:
            speakers = [p for p in self.patients if p.preferred_language == language]
            patient = rng.choice(speakers) if speakers else None
        contact = self._contact(who=wording.who, language=language, channel=channel, patient=patient)
        physician = None
        if topic.physician or "{doctor}" in wording.text:
            physician = self.physicians.get(department)
            if physician is not None and "{doctor}" not in wording.text and rng.random() < 0.4:
                physician = None
        staff = [
            employee
            for employee, named in ((self.nurse, wording.nurse), (self.front_desk, wording.front_desk))
            if named and employee is not None
        ]
        clinic_ar, clinic_en = texts.CLINICS[department]
        values = {
            "clinic": clinic_ar if language == "ar" else clinic_en,
            "doctor": (physician.name_ar if language == "ar" else physician.name_en) if physician else "",
            "nurse": self.nurse.user.first_name if self.nurse is not None else "",
            "staff": self.front_desk.user.first_name if self.front_desk is not None else "",
            "city": self.hospital.city_ar if language == "ar" else self.hospital.city_en,
        }
        if contact.kind == ComplainantKind.ANONYMOUS and channel not in ANONYMOUS_CHANNELS:
            channel = Channel.WEB
        new = NewComplaint(
            hospital=self.hospital,
            summary=wording.summary,
            description=wording.text.format(**values),
            channel=channel,
            contact=contact,
            department=self.departments[department],
            patient=patient,
            physicians=[physician] if physician is not None else [],
            staff=staff,
            identity_withheld=bool(physician or staff) and rng.random() < 0.3,
            issues=self._coding(topic, wording, department, lowered=recode),
        )
        return new, topic

    def _coding(self, topic: texts.Topic, wording: texts.Wording, department: str, *, lowered: bool):
        """One to three HCAT issues: the topic's main one always, the others as the coordinator sees them."""
        rng = self.rng
        stage = topic.stage or texts.STAGE_BY_DEPARTMENT.get(department, "outpatient")
        issues = []
        for index, (code, low, high, harm_low, harm_high) in enumerate(topic.issues):
            severity, harm = rng.randint(low, high), rng.randint(harm_low, harm_high)
            if index and (len(issues) >= 3 or rng.random() < 0.55):
                continue
            category = self.categories.get(code)
            if category is None:
                continue
            if index == 0:
                severity = 2 if lowered else (wording.severity or severity)
                harm = wording.harm if wording.harm >= 0 else harm
            issues.append(
                IssueCoding(
                    category=category,
                    severity=severity,
                    harm=harm,
                    stage_of_care=stage,
                    is_medical=topic.medical and index == 0,
                )
            )
        return issues

    # --- complaint stories ------------------------------------------------------------------

    def _story(self, scenario: str, *, feature: str = "") -> Story:
        new, topic = self._new_complaint(feature=feature)
        story = Story(
            new=new,
            topic=topic.code,
            family=topic.family,
            assignee=self._assignee(new.department.code, topic.family),
            recode=feature == "recode",
        )
        severity = max([1, *(issue.severity for issue in new.issues)])
        # The seeded policies: acknowledge in a business day and resolve in five; high severity 4 hours and 3 days.
        acknowledge, resolve = (4.0, 24.0) if severity >= 3 else (8.0, 40.0)
        getattr(self, f"_{scenario}")(story, acknowledge, resolve)
        new.received_at = story.received_at
        if not self._plausible(new.channel, story.received_at):
            anonymous = new.contact.kind == ComplainantKind.ANONYMOUS
            new.channel = Channel.WEB if anonymous else self.rng.choice([Channel.WEB, Channel.MOH_937])
        if new.channel == Channel.MOH_937:
            new.external_reference = self._ticket()
        if new.patient is not None:
            # The visit the complaint is about, when the patient had one in the days before.
            new.encounter = (
                Encounter.objects.filter(
                    patient=new.patient,
                    admitted_at__lt=story.received_at,
                    admitted_at__gte=story.received_at - timedelta(days=10),
                )
                .order_by("-admitted_at")
                .first()
            )
        story.steps.sort(key=lambda step: step.at)
        return story

    def _ticket(self) -> str:
        """A Ministry 937 ticket number no complaint has: a known ticket would be taken for the same complaint."""
        while True:
            ticket = str(self.rng.randint(1_000_000_000, 9_999_999_999))
            known = Complaint.objects.filter(channel=Channel.MOH_937, external_reference=ticket).exists()
            if ticket not in self.tickets and not known:
                self.tickets.add(ticket)
                return ticket

    def _lang(self, story: Story) -> int:
        return 1 if story.new.contact.language == "en" else 0

    def _reachable(self, story: Story) -> bool:
        contact = story.new.contact
        return contact.kind != ComplainantKind.ANONYMOUS and bool(contact.phone or contact.email)

    def _note(self, story: Story) -> str:
        """A note of the story's topic not written on it yet; staff write most in Arabic, some in English."""
        arabic, english = texts.NOTES[story.topic]
        pool = english if self.rng.random() < 0.25 else arabic
        left = [note for note in (*pool, *arabic, *english) if note not in story.notes_written]
        note = self.rng.choice([note for note in pool if note in left] or left or texts.FOLLOW_UP_NOTES)
        story.notes_written.add(note)
        return note

    def _resolution(self, story: Story) -> str:
        return self.rng.choice(texts.RESOLUTIONS[story.topic][self._lang(story)])

    def _say(self, pair: tuple, story: Story) -> str:
        clinic = texts.CLINICS[story.new.department.code][self._lang(story)]
        return self.rng.choice(pair[self._lang(story)]).format(clinic=clinic)

    def _progress_message(self, story: Story) -> str:
        if story.family == "access" and self.rng.random() < 0.5:
            return self._say(texts.APPOINTMENT_MESSAGES, story)
        return self._say(texts.PROGRESS_MESSAGES, story)

    def _intake(self, story: Story, ack_at: datetime, start_at: datetime | None, *, direct: bool = False) -> None:
        """Acknowledged and assigned at ``ack_at`` (or taken in hand at once when ``direct``); started at
        ``start_at``."""
        if direct:
            story.steps.append(Step(ack_at, "start", by=self.coordinator))
        else:
            story.steps.append(Step(ack_at, "acknowledge", by=self.coordinator))
        story.steps.append(Step(ack_at + timedelta(minutes=1), "assign", by=self.coordinator, user=story.assignee))
        if start_at is not None and not direct:
            story.steps.append(Step(start_at, "start", by=story.assignee))

    def _working(self, story: Story, start: datetime, end: datetime, *, messages: bool = True) -> None:
        """Notes, and perhaps a message to the complainant, between ``start`` and ``end``."""
        rng = self.rng
        kinds = ["note"] * rng.randint(1, 2)
        if messages and self._reachable(story) and rng.random() < 0.5:
            kinds.insert(rng.randint(0, len(kinds)), "message")
        for moment, kind in zip(self._times(start, end, len(kinds)), kinds, strict=True):
            if kind == "note":
                author = story.assignee if rng.random() < 0.7 else self.coordinator
                story.steps.append(Step(moment, "note", by=author, text=self._note(story)))
            else:
                story.steps.append(Step(moment, "message", by=self.coordinator, text=self._progress_message(story)))

    def _new_today(self, story: Story, acknowledge: float, resolve: float) -> None:
        rng = self.rng
        story.received_at = (self.limit - timedelta(minutes=rng.randint(15, 11 * 60))).replace(microsecond=0)
        story.fresh = True

    def _not_acknowledged(self, story: Story, acknowledge: float, resolve: float) -> None:
        # Past the acknowledgement target and nobody picked it up; the resolve clock is still on track.
        story.received_at = self._ago(self.rng.uniform(acknowledge * 1.3, min(acknowledge * 2.5, resolve * 0.6)))
        story.fresh = True

    def _acknowledged(self, story: Story, acknowledge: float, resolve: float) -> None:
        used = self.rng.uniform(0.1, 0.45) * resolve
        story.received_at = self._ago(used)
        self._intake(story, self._after(story.received_at, min(used * 0.5, acknowledge * 0.6)), None)

    def _in_progress(self, story: Story, acknowledge: float, resolve: float) -> None:
        self._open(story, self.rng.uniform(0.2, 0.6) * resolve, acknowledge)

    def _at_risk(self, story: Story, acknowledge: float, resolve: float) -> None:
        self._open(story, self.rng.uniform(0.8, 0.95) * resolve, acknowledge)

    def _breached(self, story: Story, acknowledge: float, resolve: float) -> None:
        rng = self.rng
        self._open(story, rng.uniform(1.15, 3.0) * resolve, acknowledge, late=rng.random() < 0.3)
        due = self._after(story.received_at, resolve)
        if due < self.limit - HOUR:
            text = rng.choice(texts.ESCALATION_NOTES)
            story.steps.append(Step(self._times(due, self.limit, 1)[0], "note", by=self.coordinator, text=text))
        if self._reachable(story) and rng.random() < 0.6:
            message = self._say(texts.PROGRESS_MESSAGES, story)
            story.steps.append(Step(self.limit - timedelta(minutes=30), "message", by=story.assignee, text=message))

    def _open(self, story: Story, used: float, acknowledge: float, *, late: bool = False) -> None:
        """Received ``used`` working hours ago, acknowledged, assigned, worked on since."""
        rng = self.rng
        story.received_at = self._ago(used)
        ack_after = rng.uniform(1.1, 1.6) * acknowledge if late else rng.uniform(0.05, 0.5) * acknowledge
        ack_at = self._after(story.received_at, min(ack_after, used * 0.3))
        start_at = self._after(ack_at, max(min(rng.uniform(0.2, 3), used * 0.2), 0.2))
        direct = story.new.channel in (Channel.PHONE, Channel.WALK_IN) and rng.random() < 0.25
        self._intake(story, ack_at, start_at, direct=direct)
        self._working(story, start_at, self.limit)

    def _waiting(self, story: Story, acknowledge: float, resolve: float) -> None:
        rng = self.rng
        used_before_wait = rng.uniform(0.25, 0.6) * resolve
        story.received_at = self._ago(used_before_wait + rng.uniform(2, 20))
        ack_at = self._after(story.received_at, min(rng.uniform(0.5, 4), acknowledge * 0.6))
        start_at = self._after(ack_at, rng.uniform(0.5, 3))
        wait_at = max(self._after(story.received_at, used_before_wait), start_at + HOUR)
        self._intake(story, ack_at, start_at)
        self._working(story, start_at, wait_at - timedelta(minutes=5), messages=False)
        self._ask_and_wait(story, wait_at)

    def _ask_and_wait(self, story: Story, wait_at: datetime) -> None:
        lang = self._lang(story)
        if self._reachable(story):
            requests = texts.REQUEST_MESSAGES.get(story.family) or texts.REQUEST_MESSAGES[""]
            text = self.rng.choice(requests[lang])
            story.steps.append(Step(wait_at - timedelta(minutes=3), "message", by=story.assignee, text=text))
        text = self.rng.choice(texts.WAITING_NOTES[lang])
        story.steps.append(Step(wait_at, "wait", by=story.assignee, text=text))

    def _resolved(self, story: Story, acknowledge: float, resolve: float) -> None:
        # Resolved in the last days and not closed yet: the coordinator checks with the complainant first.
        took = self.rng.uniform(0.3, 1.1) * resolve
        story.received_at = self._ago(took + self.rng.uniform(1, 20))
        self._handled(story, acknowledge, self._after(story.received_at, took))

    def _closed(self, story: Story, acknowledge: float, resolve: float) -> None:
        rng = self.rng
        late = rng.random() < 0.15
        took = rng.uniform(1.05, 2.6) * resolve if late else rng.uniform(0.08, 0.95) * resolve
        paused = rng.uniform(8, 32) if rng.random() < 0.12 else 0
        closing = rng.uniform(2, 20)
        newest = self._ago(took + paused + closing + 8)
        story.received_at = self._received(story.new.channel, newest=newest, oldest=self.now - HALF_YEAR)
        if not (paused or story.recode) and story.new.channel == Channel.WALK_IN and rng.random() < 0.12:
            # Sorted out at the desk within the hour (a lost referral found, a new appointment given).
            resolved_at = story.received_at + timedelta(minutes=rng.randint(15, 50))
            story.steps.append(Step(resolved_at, "resolve", by=self.coordinator, text=self._resolution(story)))
            story.steps.append(Step(self._after(resolved_at, closing), "close", by=self.coordinator))
            return
        self._handled(
            story,
            acknowledge,
            self._after(story.received_at, took + paused),
            closing=closing,
            pause=(took * rng.uniform(0.3, 0.6), paused) if paused else None,
            late_ack=rng.random() < 0.08,
        )

    def _handled(
        self,
        story: Story,
        acknowledge: float,
        resolved_at: datetime,
        *,
        closing: float | None = None,
        pause: tuple[float, float] | None = None,
        late_ack: bool = False,
    ) -> None:
        """Acknowledged, assigned, worked on (perhaps waiting for the complainant), resolved at
        ``resolved_at`` and, ``closing`` working hours later, closed."""
        rng = self.rng
        received = story.received_at
        span = business_time_between(self.schedule, received, resolved_at) / HOUR
        ack_after = rng.uniform(1.1, 1.8) * acknowledge if late_ack else rng.uniform(0.05, 0.7) * acknowledge
        ack_at = self._after(received, min(ack_after, span * 0.25))
        start_at = self._after(ack_at, max(min(rng.uniform(0.2, 4), span * 0.15), 0.2))
        direct = story.new.channel == Channel.PHONE and rng.random() < 0.3
        self._intake(story, ack_at, start_at, direct=direct)
        wait_at = resume_at = None
        if pause is not None:
            wait_at = max(self._after(received, pause[0]), start_at + HOUR)
            resume_at = add_business_time(self.schedule, wait_at, timedelta(hours=pause[1])).replace(microsecond=0)
            if resume_at > resolved_at - HOUR:
                wait_at = None
        if wait_at is not None:
            self._working(story, start_at, wait_at - timedelta(minutes=5), messages=False)
            self._ask_and_wait(story, wait_at)
            text = rng.choice(texts.RESUME_NOTES[self._lang(story)])
            story.steps.append(Step(resume_at, "resume", by=story.assignee, text=text))
            self._working(story, resume_at, resolved_at, messages=False)
        else:
            self._working(story, start_at, resolved_at)
        if story.recode:
            moment = self._times(start_at, resolved_at, 1)[0]
            story.steps.append(Step(moment, "recode", by=self.coordinator, text=rng.choice(texts.SEVERITY_NOTES)))
        story.steps.append(Step(resolved_at, "resolve", by=story.assignee, text=self._resolution(story)))
        if closing is not None:
            close_at = min(self._after(resolved_at, closing), self.limit)
            story.steps.append(Step(close_at, "close", by=self.coordinator))

    def _reopened(self, story: Story, acknowledge: float, resolve: float) -> None:
        """Closed some weeks ago, reopened in the last days: the complainant called back."""
        rng = self.rng
        took = rng.uniform(0.4, 0.8) * resolve
        reopen_at = self._ago(rng.uniform(2, 16))
        closed_about = reopen_at - timedelta(days=rng.randint(8, 20))
        story.received_at = _business_before(self.schedule, closed_about, timedelta(hours=took + 6)).replace(
            microsecond=0
        )
        self._handled(story, acknowledge, self._after(story.received_at, took), closing=rng.uniform(2, 5))
        text = rng.choice(texts.REOPEN_NOTES[self._lang(story)])
        story.steps.append(Step(reopen_at, "reopen", by=self.coordinator, text=text))
        self._working(story, reopen_at, self.limit, messages=False)
        story.fresh = True

    def _reopened_and_closed(self, story: Story, acknowledge: float, resolve: float) -> None:
        """Reopened once, months ago, and closed again."""
        rng = self.rng
        story.received_at = self._received(
            story.new.channel, newest=self.now - timedelta(days=60), oldest=self.now - timedelta(days=150)
        )
        took = rng.uniform(0.3, 0.8) * resolve
        closing = rng.uniform(2, 6)
        resolved_at = self._after(story.received_at, took)
        self._handled(story, acknowledge, resolved_at, closing=closing)
        closed_at = self._after(resolved_at, closing)
        reopen_at = self._after(closed_at + timedelta(days=rng.randint(5, 12)), rng.uniform(1, 5))
        text = rng.choice(texts.REOPEN_NOTES[self._lang(story)])
        story.steps.append(Step(reopen_at, "reopen", by=self.coordinator, text=text))
        again = self._after(reopen_at, rng.uniform(6, 16))
        self._working(story, reopen_at, again, messages=False)
        story.steps.append(Step(again, "resolve", by=story.assignee, text=self._resolution(story)))
        story.steps.append(Step(self._after(again, rng.uniform(2, 8)), "close", by=self.coordinator))

    # --- telling a story through the services -------------------------------------------

    def _tell(self, story: Story) -> None:
        # The public web form has no member of staff behind it; everything else is entered by the coordinator.
        by = None if story.new.channel == Channel.WEB else self.coordinator
        with _as_at(story.received_at):
            complaint = complaint_create(story.new, by=by)
        self._play(complaint, story.steps)
        if story.fresh or any(step.at > self.now - 24 * HOUR for step in story.steps):
            self.fresh.add(complaint.reference)

    def _play(self, complaint: Complaint, steps: list[Step]) -> None:
        for step in steps:
            with _as_at(step.at):
                self._apply(complaint, step)

    def _apply(self, complaint: Complaint, step: Step) -> None:
        at = step.at
        if step.action == "acknowledge":
            complaint_transition(complaint, ComplaintStatus.ACKNOWLEDGED, by=step.by, at=at)
        elif step.action in ("start", "resume", "reopen"):
            complaint_transition(complaint, ComplaintStatus.IN_PROGRESS, by=step.by, note=step.text, at=at)
        elif step.action == "wait":
            complaint_transition(complaint, ComplaintStatus.WAITING, by=step.by, note=step.text, at=at)
        elif step.action == "assign":
            complaint_assign(complaint, by=step.by, user=step.user)
        elif step.action == "note":
            complaint_note(complaint, by=step.by, text=step.text)
        elif step.action == "message":
            complaint_message(complaint, by=step.by, text=step.text)
        elif step.action == "recode":
            # As the issues inline saves an edited issue; the service then follows the new severity.
            issue = complaint.issues.order_by("-severity", "created_at").first()
            issue.severity = 3
            issue.save(update_fields=["severity", "updated_at"])
            complaint_note(complaint, by=step.by, text=step.text)
            complaint_recode(complaint, by=step.by)
        elif step.action == "resolve":
            # As the workflow form does: the resolution summary is saved, then the complaint resolved.
            complaint.resolution = step.text
            complaint._change_reason = "resolution"
            complaint.save(update_fields=["resolution", "updated_at"])
            complaint_transition(complaint, ComplaintStatus.RESOLVED, by=step.by, at=at)
        elif step.action == "close":
            complaint_transition(complaint, ComplaintStatus.CLOSED, by=step.by, at=at)
        else:  # pragma: no cover - the plan writes only the actions above
            raise ValueError(step.action)

    # --- from survey comments ----------------------------------------------------------------

    def _survey_complaints(self) -> list[Job]:
        """The coordinator raised complaints from the demo's unhappy survey answers that carry a comment."""
        responses = (
            SurveyResponse.objects.filter(hospital=self.hospital, is_negative=True, submitted_at__isnull=False)
            .exclude(comments="")
            .select_related("instance__patient", "instance__encounter__department")
            .order_by("submitted_at", "pk")[:2]
        )
        return [Job(response.submitted_at, partial(self._from_survey, response)) for response in responses]

    def _from_survey(self, response: SurveyResponse) -> None:
        patient = response.instance.patient
        encounter = response.instance.encounter
        language = response.language if response.language in ("ar", "en") else "ar"
        index = next((i for i, pair in enumerate(NEGATIVE_COMMENTS) if response.comments in pair), None)
        summary_ar, summary_en, code, department = SURVEY_COMPLAINTS[index if index is not None else 1]
        category = self.categories.get(code)
        complaint = complaint_create(
            NewComplaint(
                hospital=self.hospital,
                summary=summary_ar if language == "ar" else summary_en,
                description=response.comments,
                channel=Channel.SURVEY,
                contact=Contact(
                    kind=ComplainantKind.PATIENT,
                    name=(patient.name_ar if language == "ar" else patient.name_en) if patient else "",
                    phone=self._phone(patient) if patient else "",
                    language=language,
                ),
                department=self.departments.get(department) or (encounter.department if encounter else None),
                patient=patient,
                encounter=encounter,
                survey_response=response,
                issues=[IssueCoding(category=category, severity=1)] if category is not None else [],
            ),
            by=self.coordinator,
        )
        self.fresh.add(complaint.reference)

    # --- inquiries -------------------------------------------------------------------------

    def _inquiry_job(self, scenario: str) -> Job:
        rng = self.rng
        english = rng.random() < 0.2
        subject, question, answer, department = rng.choice(texts.INQUIRIES_EN if english else texts.INQUIRIES_AR)
        received, steps = self._inquiry_times(scenario)
        channel = rng.choice([Channel.PHONE, Channel.PHONE, Channel.CALL_CENTRE, Channel.WEB, Channel.WALK_IN])
        if not self._plausible(channel, received):
            channel = Channel.WEB
        language = "en" if english else "ar"
        details = {
            "subject": subject,
            "question": question,
            "answer": answer,
            "department": self.departments.get(department),
            "channel": channel,
            "contact": Contact(
                kind=ComplainantKind.PATIENT, name=self._name(language), phone=self._phone(), language=language
            ),
            "assignee": (self.users[RoleCode.STAFF] if department in ("OPD", "PHAR") else None) or self.coordinator,
        }
        return Job(received, partial(self._inquiry, received, steps, details))

    def _inquiry_times(self, scenario: str) -> tuple[datetime, list[tuple[datetime, str]]]:
        rng = self.rng
        if scenario == "new_today":
            return (self.limit - timedelta(minutes=rng.randint(10, 6 * 60))).replace(microsecond=0), []
        if scenario == "not_acknowledged":
            return self._ago(rng.uniform(5, 9)), []
        if scenario == "in_progress_today":
            received = self._ago(rng.uniform(1, 3))
            return received, [(self._after(received, rng.uniform(0.2, 0.8)), "start")]
        if scenario == "waiting":
            received = self._ago(rng.uniform(6, 14))
            start = self._after(received, rng.uniform(0.3, 2))
            return received, [(start, "start"), (self._after(start, rng.uniform(0.5, 3)), "wait")]
        if scenario == "answered":
            received = self._ago(rng.uniform(4, 24))
            return received, [(self._after(received, rng.uniform(0.5, 3)), "answer")]
        received = self._received(Channel.PHONE, newest=self._ago(40), oldest=self.now - HALF_YEAR)
        steps = []
        start = received
        if rng.random() < 0.6:
            start = self._after(received, rng.uniform(0.2, 3))
            steps.append((start, "start"))
        answered = self._after(start, rng.uniform(0.3, 12))
        steps += [(answered, "answer"), (self._after(answered, rng.uniform(4, 24)), "close")]
        return received, steps

    def _inquiry(self, received: datetime, steps: list, details: dict) -> None:
        with _as_at(received):
            inquiry = inquiry_create(
                hospital=self.hospital,
                subject=details["subject"],
                question=details["question"],
                channel=details["channel"],
                contact=details["contact"],
                department=details["department"],
                received_at=received,
                assigned_to=details["assignee"],
                by=None if details["channel"] == Channel.WEB else self.coordinator,
            )
        by = details["assignee"]
        for at, action in steps:
            with _as_at(at):
                if action == "start":
                    inquiry_transition(inquiry, InquiryStatus.IN_PROGRESS, by=by, at=at)
                elif action == "wait":
                    inquiry_transition(inquiry, InquiryStatus.WAITING, by=by, at=at)
                elif action == "answer":
                    # As the inquiry's change form saves the answer before it is marked answered.
                    inquiry.answer = details["answer"]
                    inquiry._change_reason = "answer"
                    inquiry.save(update_fields=["answer", "updated_at"])
                    inquiry_transition(inquiry, InquiryStatus.ANSWERED, by=by, at=at)
                else:
                    inquiry_transition(inquiry, InquiryStatus.CLOSED, by=self.coordinator, at=at)
        if received > self.now - 24 * HOUR:
            self.fresh.add(inquiry.reference)

    def _promoted_inquiry_job(self) -> Job:
        """An inquiry that turns out to be a complaint: the coordinator makes it one the same day."""
        received = self._ago(self.rng.uniform(3, 6))
        contact = self._contact(who="child", language="ar", channel=Channel.PHONE, patient=None)
        return Job(received, partial(self._promoted_inquiry, received, contact))

    def _promoted_inquiry(self, received: datetime, contact: Contact) -> None:
        subject, question, summary = texts.PROMOTED_INQUIRY
        with _as_at(received):
            inquiry = inquiry_create(
                hospital=self.hospital,
                subject=subject,
                question=question,
                channel=Channel.PHONE,
                contact=contact,
                department=self.departments.get("SURG"),
                received_at=received,
                assigned_to=self.coordinator,
                by=self.coordinator,
            )
        started = self._after(received, 0.4)
        with _as_at(started):
            inquiry_transition(inquiry, InquiryStatus.IN_PROGRESS, by=self.coordinator, at=started)
        promoted = self._after(started, 0.6)
        with _as_at(promoted):
            complaint = inquiry_promote(inquiry, by=self.coordinator, summary=summary)
            for code, severity in (("institutional_processes", 2), ("communication", 1)):
                category = self.categories.get(code)
                if category is not None:
                    # As the issues inline codes it on the complaint's page.
                    ComplaintIssue.objects.create(
                        complaint=complaint, category=category, severity=severity, stage_of_care="operation"
                    )
            complaint_recode(complaint, by=self.coordinator)
        steps = [
            Step(self._after(promoted, 0.2), "acknowledge", by=self.coordinator),
            Step(self._after(promoted, 0.25), "assign", by=self.coordinator, user=self.coordinator),
            Step(
                self._after(promoted, 0.6),
                "note",
                by=self.coordinator,
                text="تواصلنا مع قسم العمليات: أُلغيت العملية لعدم توفر سرير في العناية بعد العملية. طلبنا موعداً "
                "بديلاً خلال أسبوع.",
            ),
        ]
        self._play(complaint, [step for step in steps if step.at < self.limit])
        self.fresh.update({inquiry.reference, complaint.reference})

    # --- compliments and suggestions ---------------------------------------------------------

    def _compliment_job(self) -> Job:
        rng = self.rng
        english = rng.random() < 0.2
        lang = 1 if english else 0
        details = {"kind": FeedbackKind.COMPLIMENT, "language": "en" if english else "ar"}
        whom = rng.choices(["doctor", "nurse", "staff", "team"], weights=[5, 2, 2, 2])[0]
        if whom == "doctor" and self.physicians:
            physician = self.physicians[rng.choice(sorted(self.physicians))]
            name = physician.name_en if english else physician.name_ar
            details.update(physician=physician, text=rng.choice(texts.COMPLIMENTS_DOCTOR[lang]).format(doctor=name))
        elif whom == "nurse" and self.nurse is not None:
            text = rng.choice(texts.COMPLIMENTS_NURSE[lang]).format(nurse=self.nurse.user.first_name)
            details.update(employee=self.nurse, text=text)
        elif whom == "staff" and self.front_desk is not None:
            text = rng.choice(texts.COMPLIMENTS_STAFF[lang]).format(staff=self.front_desk.user.first_name)
            details.update(employee=self.front_desk, text=text)
        else:
            text, department = rng.choice(texts.COMPLIMENTS_TEAM[lang])
            details.update(text=text, department=self.departments.get(department))
        details["channel"] = rng.choice([Channel.WALK_IN, Channel.WEB, Channel.LETTER, Channel.SOCIAL, Channel.PHONE])
        received = self._received(details["channel"], newest=self.limit, oldest=self.now - HALF_YEAR)
        details["contact"] = Contact(
            name=self._name(details["language"]), phone=self._phone(), language=details["language"]
        )
        return Job(received, partial(self._feedback, received, details))

    def _suggestion_job(self) -> Job:
        rng = self.rng
        english = rng.random() < 0.2
        language = "en" if english else "ar"
        text, department = rng.choice(texts.SUGGESTIONS[1 if english else 0])
        channel = rng.choice([Channel.WEB, Channel.WALK_IN, Channel.SOCIAL])
        received = self._received(channel, newest=self.limit, oldest=self.now - HALF_YEAR)
        details = {
            "kind": FeedbackKind.SUGGESTION,
            "text": text,
            "department": self.departments.get(department),
            "channel": channel,
            "language": language,
            "contact": Contact(name=self._name(language), phone=self._phone(), language=language),
        }
        return Job(received, partial(self._feedback, received, details))

    def _feedback(self, received: datetime, details: dict) -> None:
        with _as_at(received):
            feedback = feedback_create(
                hospital=self.hospital,
                kind=details["kind"],
                text=details["text"],
                channel=details["channel"],
                contact=details["contact"],
                department=details.get("department"),
                physician=details.get("physician"),
                employee=details.get("employee"),
                received_at=received,
                by=None if details["channel"] in (Channel.WEB, Channel.SOCIAL) else self.coordinator,
            )
        if received > self.now - 24 * HOUR:
            self.fresh.add(feedback.reference)


def _bring_clocks_up_to_date() -> None:
    """Each step computed the clocks as at its own moment; compute the open ones as at now."""
    for policy in SLAPolicy.objects.filter(kind__in=[COMPLAINT, INQUIRY], is_active=True):
        recompute_for_policy(policy)


def _mark_old_notices_read(*, hospital_ids: list, fresh: set, since: datetime) -> None:
    """The staff read the half year's notices as it went by; today's stay unread."""
    notices = StaffNotice.objects.filter(
        hospital_id__in=hospital_ids, kind__startswith="complaints.", read_at__isnull=True, created_at__gte=since
    ).select_related("user")
    for notice in notices:
        if notice.params.get("reference") not in fresh:
            staff_notice_mark_read(user=notice.user, notice_id=notice.pk)
