"""The patient 360 page: one scoped, audited page with everything PX360 knows about a patient.

Opened from the outside, as each role would: through the patient's admin URL,
with the client signed in as a real role of the hospital.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from px360.accounts.roles import RoleCode
from px360.core.models import AuditAction, AuditEvent
from px360.integrations.models import InboundEvent, IntegrationSource
from px360.journeys.journey_models import JourneyInstance, JourneyStageInstance, JourneyTemplate
from px360.journeys.models import Encounter
from px360.notifications.models import Notification
from px360.organizations import timeline
from px360.surveys.choices import SuppressionReason, SurveyStatus
from px360.surveys.models import SurveyInstance, SurveyResponse, SurveyTemplate
from px360.surveys.services import template_current_version

from ..factories import DepartmentFactory, PatientFactory, PhysicianFactory

pytestmark = pytest.mark.django_db

TOKEN = "tok-3f9a1c77e2b04d5aa8c1"  # a survey link id: a credential
GUARDIAN_PHONE = "+966509998877"


def url(patient, language="en", **query):
    path = reverse("admin:organizations_patient_patient_360", args=[patient.pk]).replace("/ar/", f"/{language}/", 1)
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


def kinds_in_order(response) -> list[str]:
    """The ``data-kind`` of each timeline entry, top to bottom."""
    html = response.content.decode()
    entries = html.split('id="px-360-entries"', 1)[-1]
    return re.findall(r'<li class="[^"]*" data-kind="([a-z]+)"', entries)


class Story:
    """One patient of hospital A, seen in Medicine, then in Surgery, with everything that followed."""

    def __init__(self, hospital, *, patient=None):
        self.hospital = hospital
        self.medicine = DepartmentFactory(hospital=hospital, code="MED3", name_en="Medicine", name_ar="الباطنة")
        self.surgery = DepartmentFactory(hospital=hospital, code="SUR3", name_en="Surgery", name_ar="الجراحة")
        self.patient = patient or PatientFactory(
            hospital=hospital, mrn="MRN-360", phone="+966501112233", name_en="Sara Ali", name_ar="سارة علي"
        )
        self.survey = SurveyTemplate.objects.create(
            code="opd-360", name="OPD", name_ar="استبانة العيادات", name_en="OPD visit survey"
        )
        self.version = template_current_version(template=self.survey)
        self.journey_template = JourneyTemplate.objects.create(
            journey_type="OPD", hospital=hospital, name="OPD", name_ar="رحلة العيادات", name_en="Outpatient journey"
        )
        self.source = IntegrationSource.objects.create(code="his-360", name="Main HIS")
        self.source.hospitals.add(hospital)
        self.base = timezone.now() - dt.timedelta(days=10)
        self.count = 0

    def at(self, **delta):
        return self.base + dt.timedelta(**delta)

    def visit(self, department, *, hours=0, number=None):
        self.count += 1
        number = number or f"ENC-{department.code}-{self.count}"
        admitted = self.at(hours=hours)
        encounter = Encounter.objects.create(
            hospital=self.hospital,
            encounter_number=number,
            encounter_type="OPD",
            patient=self.patient,
            department=department,
            attending_physician=PhysicianFactory(hospital=self.hospital, department=department),
            admitted_at=admitted,
            discharged_at=admitted + dt.timedelta(minutes=30),
            status="discharged",
        )
        journey = JourneyInstance.objects.create(
            encounter=encounter,
            template=self.journey_template,
            journey_type="OPD",
            started_at=admitted + dt.timedelta(minutes=1),
            status="completed",
        )
        JourneyStageInstance.objects.create(
            journey=journey,
            order=1,
            code="end_of_visit",
            name_ar="نهاية الزيارة",
            name_en="End of visit",
            status="completed",
            completed_at=admitted + dt.timedelta(minutes=30),
        )
        event = InboundEvent.objects.create(
            source=self.source,
            message_id=f"MSG-{self.count}",
            format="hl7",
            event_type="A03",
            hospital=self.hospital,
            encounter_number=number,
            status="processed",
            raw="MSH|...",
            encounter=encounter,
        )
        InboundEvent.objects.filter(pk=event.pk).update(received_at=admitted + dt.timedelta(minutes=31))
        return encounter

    def invite(self, encounter, *, hours, status=SurveyStatus.COMPLETED, **fields):
        self.count += 1
        return SurveyInstance.objects.create(
            template=self.survey,
            version=self.version,
            hospital=self.hospital,
            patient=self.patient,
            encounter=encounter,
            journey_type="OPD",
            trigger_key=f"t360:{self.count}",
            token=f"{TOKEN}{self.count}",
            status=status,
            triggered_at=self.at(hours=hours - 1),
            invited_at=self.at(hours=hours) if status != SurveyStatus.SUPPRESSED else None,
            channel="sms",
            **fields,
        )

    def message(self, invitation, *, hours, status="sent", recipient="+966501112233"):
        self.count += 1
        message = Notification.objects.create(
            hospital=self.hospital,
            patient=self.patient,
            survey_instance=invitation,
            purpose="survey_invitation",
            channel="sms",
            recipient=recipient,
            language="ar",
            template_key="survey_invitation",
            body=f"رأيك يهمنا: https://px.example.sa/s/{invitation.token}/",
            status=status,
            sent_at=self.at(hours=hours) if status == "sent" else None,
            attempts=1,
            error="HTTP 500: Internal Server Error" if status == "failed" else "",
            idempotency_key=f"n360:{self.count}",
        )
        # A message never sent is placed when it was queued.
        Notification.objects.filter(pk=message.pk).update(created_at=self.at(hours=hours))
        return message

    def answer(self, invitation, *, hours, negative=False):
        return SurveyResponse.objects.create(
            instance=invitation,
            hospital=self.hospital,
            template=self.survey,
            version=self.version,
            language="ar",
            submitted_at=self.at(hours=hours),
            is_negative=negative,
            mean_score=25 if negative else 90,
            nps_value=10,
            nps_category="promoter",
            comments="انتظار طويل في الصيدلية" if negative else "",
        )

    def full(self):
        """Medicine (day 0): visit, journey, HIS message, invitation, message, negative response.
        Surgery (day 2): visit, journey, HIS message, suppressed invitation, failed message to the guardian.
        Then the patient opts out of SMS (now)."""
        medicine = self.visit(self.medicine, hours=0)
        invitation = self.invite(medicine, hours=3)
        self.message(invitation, hours=3.1)
        self.answer(invitation, hours=5, negative=True)
        surgery = self.visit(self.surgery, hours=48)
        suppressed = self.invite(
            surgery, hours=50, status=SurveyStatus.SUPPRESSED, suppression_reason=SuppressionReason.OPTED_OUT
        )
        self.message(suppressed, hours=49.5, status="failed", recipient=GUARDIAN_PHONE)
        self.patient.opted_out_sms = True
        self.patient.save()
        return self


@pytest.fixture
def story(hospital_a, roles):
    return Story(hospital_a).full()


@pytest.fixture
def coordinator(make_user, hospital_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord360")


# --- what a coordinator sees -------------------------------------------------------------------


def test_a_coordinator_sees_every_visit_journey_invitation_response_message_and_opt_out_newest_first(
    client, story, coordinator
):
    client.force_login(coordinator)
    response = client.get(url(story.patient))
    assert response.status_code == 200
    assert kinds_in_order(response) == [
        "contact",  # opted out of SMS, now
        "messages",  # the failed message, day 2
        "invitations",  # suppressed: opted out
        "his",  # A03 of the surgery visit
        "journeys",
        "encounters",  # the surgery visit
        "responses",  # negative, day 0
        "messages",
        "invitations",
        "his",
        "journeys",
        "encounters",  # the medicine visit
    ]
    html = response.content.decode()
    for text in (
        "ENC-MED3-1",
        "ENC-SUR3-",
        "Outpatient",
        "Medicine",
        "Surgery",
        "OPD visit survey",
        "Negative",
        "انتظار طويل في الصيدلية",
        "Suppressed: Patient opted out of every usable channel",
        "Failed",
        "Opted out of SMS",
        "A03 discharge / end of visit",
        "End of visit",
    ):
        assert text in html, text
    # Times are Riyadh's.
    admitted = timezone.localtime(Encounter.objects.get(encounter_number="ENC-MED3-1").admitted_at)
    assert f"{admitted:%Y-%m-%d %H:%M}" in html
    # Each entry opens its own page.
    encounter = Encounter.objects.get(encounter_number="ENC-MED3-1")
    assert reverse("admin:journeys_encounter_change", args=[encounter.pk]).replace("/ar/", "/en/") in html or (
        reverse("admin:journeys_encounter_change", args=[encounter.pk]) in html
    )


def test_the_summary_shows_identifiers_contact_preferences_opt_outs_and_counts(client, story, coordinator):
    client.force_login(coordinator)
    html = client.get(url(story.patient)).content.decode()
    summary = html.split('id="px-360-facts"', 1)[1].split("</dl>", 1)[0]
    assert '<bdi dir="ltr">MRN-360</bdi>' in summary
    assert '<bdi dir="ltr">+966501112233</bdi>' in summary
    assert "Sara Ali" in summary and "سارة علي" in summary
    assert "Hospital A" in summary
    assert "SMS" in summary  # opted out of
    kinds = html.split('id="px-360-kinds"', 1)[1].split("</nav>", 1)[0]
    counts = dict(
        re.findall(r'data-kind="([a-z]+)"[^>]*>\s*<span[^>]*>[^<]*</span>\s*[^<]+<bdi dir="ltr">(\d+)</bdi>', kinds)
    )
    assert counts == {
        "encounters": "2",
        "journeys": "2",
        "invitations": "2",
        "responses": "1",
        "messages": "2",
        "his": "2",
        "contact": "1",
    }


def test_the_page_is_reachable_from_the_patient_record_and_from_search_results(client, story, coordinator):
    client.force_login(coordinator)
    target = reverse("admin:organizations_patient_patient_360", args=[story.patient.pk]).replace("/ar/", "/en/")
    change = client.get(reverse("admin:organizations_patient_change", args=[story.patient.pk]).replace("/ar/", "/en/"))
    assert target in change.content.decode()
    found = client.get(reverse("admin:organizations_patient_changelist").replace("/ar/", "/en/") + "?q=MRN-360")
    assert target in found.content.decode()


def test_one_kind_at_a_time(client, story, coordinator):
    client.force_login(coordinator)
    response = client.get(url(story.patient, kind="messages"))
    assert kinds_in_order(response) == ["messages", "messages"]


def test_an_unknown_kind_or_a_forged_cursor_is_a_bad_request(client, story, coordinator):
    client.force_login(coordinator)
    assert client.get(url(story.patient, kind="complaints_of_everyone")).status_code == 400
    assert client.get(url(story.patient, before="not-a-cursor")).status_code == 400
    assert client.get(url(story.patient, before="2026-01-01T00:00:00%2B00:00|encounters|not-a-uuid")).status_code == 400
    assert client.post(url(story.patient)).status_code == 405  # a page to read, nothing to post


# --- scope -------------------------------------------------------------------------------------


def test_a_user_of_another_hospital_gets_404(client, story, make_user, hospital_b):
    for role in (RoleCode.PX_COORDINATOR, RoleCode.HOSPITAL_ADMIN):
        outsider = make_user(role, hospital=hospital_b)
        client.force_login(outsider)
        assert client.get(url(story.patient)).status_code == 404
    # A record that does not exist reads the same.
    missing = PatientFactory.build(hospital=story.hospital)
    assert client.get(url(missing)).status_code == 404
    assert not AuditEvent.objects.filter(object_id=str(story.patient.pk)).exists()


def test_a_department_scoped_role_sees_only_the_rows_of_its_department(client, story, make_user, hospital_a):
    manager = make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=story.medicine)
    # A department manager reads a patient through a grant (patients belong to hospitals, not departments).
    assert client.get(url(story.patient)).status_code == 302  # not signed in
    client.force_login(manager)
    assert client.get(url(story.patient)).status_code == 404
    assign_perm("organizations.view_patient", manager, story.patient)
    response = client.get(url(story.patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert "ENC-MED3-1" in html
    assert "ENC-SUR3-" not in html
    # Medicine's visit, journey, invitation and response; no messages or HIS messages (not their screens).
    assert kinds_in_order(response) == ["contact", "responses", "invitations", "journeys", "encounters"]
    kinds = html.split('id="px-360-kinds"', 1)[1].split("</nav>", 1)[0]
    assert 'data-kind="messages"' not in kinds and 'data-kind="his"' not in kinds


def test_the_view_is_audited_without_personal_data(client, story, coordinator):
    client.force_login(coordinator)
    client.get(url(story.patient, kind="encounters"))
    event = AuditEvent.objects.get(action=AuditAction.VIEW, object_id=str(story.patient.pk))
    assert event.actor == coordinator
    assert event.hospital_id == story.hospital.pk
    assert event.details == {"via": "patient_360", "kind": "encounters"}
    assert event.object_repr == "MRN-360"
    for secret in (story.patient.phone, story.patient.national_id, "Sara"):
        assert secret not in str(event.details)


# --- masking and secrets ------------------------------------------------------------------------


def test_identifiers_and_recipients_follow_the_masking_rule_and_no_link_token_is_shown(
    client, story, coordinator, hospital_admin_a
):
    national_id = story.patient.national_id
    client.force_login(coordinator)
    html = client.get(url(story.patient)).content.decode()
    assert national_id not in html
    assert "•" * 6 + national_id[-4:] in html
    assert GUARDIAN_PHONE not in html and "…8877" in html
    assert TOKEN not in html and "/s/" not in html
    assert "Internal Server Error" not in html  # the gateway's words stay on the message's page

    client.force_login(hospital_admin_a)
    html = client.get(url(story.patient)).content.decode()
    assert national_id in html
    assert GUARDIAN_PHONE not in html and TOKEN not in html


# --- paging and queries -------------------------------------------------------------------------


def test_paging_walks_the_whole_history_once_in_order_even_across_equal_times(client, story, coordinator, monkeypatch):
    # Two rows of different kinds at the very same moment, on a page boundary.
    same = story.at(hours=100)
    encounter = story.visit(story.medicine, hours=100, number="ENC-TIE")
    JourneyInstance.objects.filter(encounter=encounter).update(started_at=same)
    monkeypatch.setattr(timeline, "PAGE_SIZE", 4)
    client.force_login(coordinator)
    seen, page, pages = [], url(story.patient), 0
    while page:
        response = client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        seen += re.findall(r'<time class="ms-auto[^"]*" datetime="([^"]+)"', html)
        more = re.search(r'id="px-360-older"\s+href="([^"]+)"', html)
        page = more.group(1).replace("&amp;", "&") if more else None
        pages += 1
    total = 2 + 2 + 2 + 1 + 2 + 2 + 1 + 3  # the story, and the tied visit's encounter, journey and HIS message
    assert len(seen) == total
    assert pages == 4
    assert seen == sorted(seen, key=dt.datetime.fromisoformat, reverse=True)


def test_the_number_of_queries_does_not_grow_with_the_history(
    client, story, coordinator, django_assert_max_num_queries, django_assert_num_queries
):
    client.force_login(coordinator)
    client.get(url(story.patient))  # warm the session and content-type caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as short:
        assert client.get(url(story.patient)).status_code == 200
    for hours in range(200, 230):
        encounter = story.visit(story.surgery, hours=hours)
        invitation = story.invite(encounter, hours=hours + 0.5)
        story.message(invitation, hours=hours + 0.6)
        story.answer(invitation, hours=hours + 0.7)
        story.patient.opted_out_email = not story.patient.opted_out_email
        story.patient.save()
    with django_assert_num_queries(len(short.captured_queries)):
        response = client.get(url(story.patient))
    assert len(kinds_in_order(response)) == timeline.PAGE_SIZE
    with django_assert_max_num_queries(40):
        client.get(url(story.patient))


def test_a_source_registered_by_a_later_app_joins_the_page_scoped_and_in_order(client, story, coordinator, monkeypatch):
    """Complaints and actions will register a source from their own app; the page needs no change."""
    from django.db.models import DateTimeField, Value

    from px360.core.access import restrict
    from px360.organizations.timeline import TimelineEntry, TimelineSource

    class CallSource(TimelineSource):
        key = "calls"
        model = Encounter
        label = "Calls"
        entry_label = "Call"
        icon = "call"

        def queryset(self, *, patient, user):
            rows = restrict(Encounter.objects.filter(patient=patient, department__code="MED3"), user)
            return rows.annotate(timeline_at=Value(story.at(hours=24), output_field=DateTimeField()))

        def entry(self, row, *, user):
            return TimelineEntry(at=row.timeline_at, title=f"Call about {row.encounter_number}")

    monkeypatch.setitem(timeline._registry, "calls", CallSource())
    client.force_login(coordinator)
    response = client.get(url(story.patient))
    # Day 1 sits between the surgery visit (day 2) and the medicine response (day 0).
    assert kinds_in_order(response)[5:7] == ["encounters", "calls"]
    assert "Call about ENC-MED3-1" in response.content.decode()
