"""The complaint workflow from outside: intake, references, clocks, coding, transitions, messages, inquiries."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.complaints.choices import Channel, ComplainantKind, ComplaintStatus, InquiryStatus, UpdateKind
from px360.complaints.models import Complaint, HCATCategory
from px360.complaints.services import (
    ComplaintError,
    Contact,
    NewComplaint,
    complaint_assign,
    complaint_create,
    complaint_message,
    complaint_recode,
    complaint_transition,
    feedback_create,
    inquiry_create,
    inquiry_promote,
)
from px360.notifications.models import Notification, StaffNotice
from px360.sla.choices import ClockKind
from px360.sla.selectors import clocks_of

from ..factories import DepartmentFactory, EmployeeFactory, PhysicianFactory, UserFactory

pytestmark = pytest.mark.django_db
RIYADH = ZoneInfo("Asia/Riyadh")


def new(hospital, **kwargs):
    values = {
        "hospital": hospital,
        "summary": "Waited four hours",
        "description": "انتظرت أربع ساعات في العيادة دون أن يخبرني أحد بالسبب.",
        "contact": Contact(name="Sara", phone="0501234567", language="ar"),
    }
    values.update(kwargs)
    return NewComplaint(**values)


def test_a_complaint_gets_a_readable_unique_reference_and_both_clocks(hospital_a, roles):
    first = complaint_create(new(hospital_a))
    second = complaint_create(new(hospital_a))
    year = datetime.now(RIYADH).year
    assert first.reference == f"CMP-{year}-000001"
    assert second.reference == f"CMP-{year}-000002"
    clocks = {clock.clock for clock in clocks_of(first)}
    assert clocks == {ClockKind.ACKNOWLEDGE, ClockKind.RESOLVE}
    assert first.expected_by is not None
    assert first.contact_phone == "+966501234567"


def test_a_deleted_complaints_reference_is_never_reused(hospital_a, roles):
    first = complaint_create(new(hospital_a))
    Complaint.objects.filter(pk=first.pk).delete()
    again = complaint_create(new(hospital_a))
    assert again.reference != first.reference
    assert again.reference.endswith("000002")


def test_an_external_ticket_received_twice_makes_one_complaint(hospital_a, roles):
    one = complaint_create(new(hospital_a, channel=Channel.MOH_937, external_reference="937-55"))
    two = complaint_create(new(hospital_a, channel=Channel.MOH_937, external_reference="937-55"))
    assert one.pk == two.pk
    assert Complaint.objects.count() == 1


def test_bad_contact_details_are_refused_with_translated_messages(hospital_a, roles):
    with pytest.raises(ComplaintError) as caught:
        complaint_create(new(hospital_a, contact=Contact(phone="12", email="not-mail")))
    assert set(caught.value.message_dict) == {"contact_phone", "contact_email"}
    with pytest.raises(ComplaintError) as caught:
        complaint_create(new(hospital_a, contact=Contact(kind=ComplainantKind.ON_BEHALF, name="Ali")))
    assert "contact_relation" in caught.value.message_dict
    assert Complaint.objects.count() == 0


def test_things_of_another_hospital_cannot_be_named(hospital_a, hospital_b, roles):
    other = DepartmentFactory(hospital=hospital_b)
    doctor = PhysicianFactory(hospital=hospital_b)
    with pytest.raises(ComplaintError) as caught:
        complaint_create(new(hospital_a, department=other, physicians=[doctor]))
    assert {"department", "physicians"} <= set(caught.value.message_dict)


def test_an_anonymous_complaint_keeps_no_contact_and_withholds_identity(hospital_a, roles):
    complaint = complaint_create(
        new(hospital_a, contact=Contact(kind=ComplainantKind.ANONYMOUS, name="X", phone="0501234567"))
    )
    assert (complaint.contact_name, complaint.contact_phone) == ("", "")
    assert complaint.identity_withheld
    assert complaint_message(complaint, by=None, text="", template_key="complaint_acknowledged") is None


def test_the_full_workflow_with_coding_messages_and_history(
    hospital_a, make_user, roles, django_capture_on_commit_callbacks
):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_create(new(hospital_a), by=coordinator)
    assert StaffNotice.objects.filter(user=coordinator, kind="complaints.new").exists()

    complaint_transition(complaint, ComplaintStatus.ACKNOWLEDGED, by=coordinator)
    acknowledgement = Notification.objects.get(template_key="complaint_acknowledged")
    assert complaint.reference in acknowledgement.body and acknowledgement.language == "ar"
    assert complaint.acknowledged_at is not None

    complaint_transition(complaint, ComplaintStatus.IN_PROGRESS, by=coordinator)
    complaint_transition(complaint, ComplaintStatus.WAITING, by=coordinator)
    complaint_transition(complaint, ComplaintStatus.IN_PROGRESS, by=coordinator)

    with pytest.raises(ComplaintError) as caught:
        complaint_transition(complaint, ComplaintStatus.RESOLVED, by=coordinator)
    assert "resolution" in caught.value.message_dict
    complaint.resolution = "Apologised; the clinic now tells patients the expected wait."
    complaint.save()
    complaint_transition(complaint, ComplaintStatus.RESOLVED, by=coordinator)
    assert Notification.objects.filter(template_key="complaint_resolved").count() == 1

    with pytest.raises(ComplaintError) as caught:
        complaint_transition(complaint, ComplaintStatus.CLOSED, by=coordinator)
    assert "issues" in caught.value.message_dict

    waiting = HCATCategory.objects.get(code="waiting_time")
    complaint.issues.create(category=waiting, severity=2, harm=1, stage_of_care="outpatient")
    complaint_recode(complaint, by=coordinator)
    assert (complaint.severity, complaint.harm) == (2, 1)
    complaint_transition(complaint, ComplaintStatus.CLOSED, by=coordinator)
    assert complaint.closed_at is not None

    kinds = list(complaint.updates.order_by("created_at").values_list("kind", "new_status"))
    assert (UpdateKind.STATUS, ComplaintStatus.CLOSED) in kinds
    assert (UpdateKind.CODING, "") in kinds
    assert complaint.history.count() >= 8


def test_a_move_the_workflow_does_not_allow_is_refused(hospital_a, roles):
    complaint = complaint_create(new(hospital_a))
    with pytest.raises(ComplaintError):
        complaint_transition(complaint, ComplaintStatus.CLOSED)
    with pytest.raises(ComplaintError):
        complaint_transition(complaint, ComplaintStatus.WAITING)


def test_reopening_needs_a_reason_and_counts(hospital_a, roles):
    complaint = complaint_create(new(hospital_a))
    complaint.resolution = "Done"
    complaint.save()
    complaint_transition(complaint, ComplaintStatus.RESOLVED)
    with pytest.raises(ComplaintError):
        complaint_transition(complaint, ComplaintStatus.IN_PROGRESS)
    complaint_transition(complaint, ComplaintStatus.IN_PROGRESS, note="The patient called back")
    assert complaint.reopen_count == 1 and complaint.resolved_at is None


def test_a_higher_severity_rechooses_the_policy_and_keeps_the_clock(hospital_a, roles):
    complaint = complaint_create(new(hospital_a))
    before = {clock.clock: clock.policy.severity for clock in clocks_of(complaint)}
    assert before[ClockKind.RESOLVE] == ""
    safety = HCATCategory.objects.get(code="safety")
    complaint.issues.create(category=safety, severity=3, harm=3)
    complaint_recode(complaint)
    after = {clock.clock: clock.policy.severity for clock in clocks_of(complaint)}
    assert after[ClockKind.RESOLVE] == "3"


def test_assigning_tells_the_assignee_and_moves_the_clocks(
    hospital_a, make_user, roles, django_capture_on_commit_callbacks
):
    complaint = complaint_create(new(hospital_a))
    handler = make_user(RoleCode.STAFF, hospital=hospital_a)
    with django_capture_on_commit_callbacks(execute=True):
        complaint_assign(complaint, user=handler)
    assert StaffNotice.objects.filter(user=handler, kind="complaints.assigned").exists()
    assert {clock.assignee_id for clock in clocks_of(complaint)} == {handler.pk}
    other = UserFactory(hospital=None)
    other.hospital_id = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(ComplaintError):
        complaint_assign(complaint, user=other)


def test_an_inquiry_made_a_complaint_keeps_its_received_time(hospital_a, roles):
    received = datetime(2026, 11, 1, 9, 30, tzinfo=RIYADH)
    inquiry = inquiry_create(
        hospital=hospital_a, subject="Visiting hours", question="When can I visit?", received_at=received
    )
    assert inquiry.reference.startswith("INQ-2026-")
    complaint = inquiry_promote(inquiry)
    inquiry.refresh_from_db()
    assert complaint.received_at == received
    assert inquiry.status == InquiryStatus.PROMOTED and inquiry.promoted_to == complaint
    assert {clock.started_at for clock in clocks_of(complaint)} == {received}
    assert inquiry_promote(inquiry) == complaint


def test_a_compliment_reaches_the_person_and_their_manager(
    hospital_a, department_a, make_user, roles, django_capture_on_commit_callbacks
):
    nurse_user = make_user(RoleCode.NURSE, hospital=hospital_a, department=department_a)
    manager = make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=department_a)
    employee = EmployeeFactory(hospital=hospital_a, department=department_a, user=nurse_user)
    with django_capture_on_commit_callbacks(execute=True):
        feedback = feedback_create(
            hospital=hospital_a, kind="compliment", text="Nurse Huda was wonderful", employee=employee
        )
    assert feedback.reference.startswith("FBK-")
    assert feedback.department == department_a
    told = set(StaffNotice.objects.filter(kind="complaints.compliment").values_list("user_id", flat=True))
    assert told == {nurse_user.pk, manager.pk}


def test_the_workflow_page_moves_the_complaint(client, hospital_a, make_user, roles):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a)
    complaint = complaint_create(new(hospital_a))
    client.force_login(coordinator)
    url = reverse("admin:complaints_complaint_work_on", args=[complaint.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "acknowledge" in page.content.decode()
    response = client.post(url, {"step": "acknowledge", "text": ""})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ACKNOWLEDGED
    refused = client.post(url, {"step": "close", "text": ""})
    assert refused.status_code == 200  # not offered from acknowledged: the form says so
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ACKNOWLEDGED


def test_staff_enter_a_complaint_through_the_admin(client, hospital_a, department_a, make_user, roles):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a)
    client.force_login(coordinator)
    response = client.post(
        reverse("admin:complaints_complaint_add"),
        {
            "hospital": hospital_a.pk,
            "department": department_a.pk,
            "channel": Channel.PHONE,
            "received_at_0": "2026-11-01",
            "received_at_1": "10:00",
            "complainant_kind": ComplainantKind.PATIENT,
            "contact_name": "Sara",
            "contact_phone": "0501234567",
            "language": "ar",
            "summary": "Rude receptionist",
            "description": "The receptionist shouted at me.",
            "severity": 1,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    complaint = Complaint.objects.get()
    assert complaint.reference.startswith("CMP-") and complaint.created_by == coordinator
    assert complaint.contact_phone == "+966501234567"
    assert list(clocks_of(complaint))


def test_staff_attach_a_file_from_the_workflow_page_and_it_is_listed(
    client, hospital_a, make_user, roles, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .samples import minimal_pdf

    settings.MEDIA_ROOT = tmp_path / "media"
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a)
    complaint = complaint_create(new(hospital_a))
    client.force_login(coordinator)
    url = reverse("admin:complaints_complaint_work_on", args=[complaint.pk])
    upload = SimpleUploadedFile("letter.pdf", minimal_pdf(), content_type="application/pdf")
    assert client.post(url, {"step": "attach", "file": upload}).status_code == 302
    attachment = complaint.attachments.get()
    page = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()
    assert reverse("complaints_files:attachment", args=[attachment.pk]) in page
    fake = SimpleUploadedFile("evil.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    refused = client.post(url, {"step": "attach", "file": fake})
    assert refused.status_code == 200 and complaint.attachments.count() == 1


def test_an_escalation_step_reassigns_an_overdue_complaint_with_history_and_timeline(
    hospital_a, department_a, make_user, roles, django_capture_on_commit_callbacks
):
    from px360.sla.choices import ReassignTarget, Recipient, StepAction, StepTrigger
    from px360.sla.escalation import sla_sweep
    from px360.sla.models import EscalationStep, SLAPolicy

    handler = make_user(RoleCode.STAFF, hospital=hospital_a, department=department_a)
    head = make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=department_a)
    department_a.manager = head
    department_a.save()
    policy = SLAPolicy.objects.get(kind="complaint", severity="", hospital__isnull=True)
    EscalationStep.objects.create(
        policy=policy,
        trigger=StepTrigger.BREACH,
        audience=Recipient.PX_COORDINATORS,
        action=StepAction.NOTIFY_AND_REASSIGN,
        reassign_to=ReassignTarget.DEPARTMENT_MANAGER,
    )
    received = datetime(2026, 11, 26, 15, tzinfo=RIYADH)  # a Thursday
    complaint = complaint_create(new(hospital_a, department=department_a, received_at=received, assigned_to=handler))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=datetime(2026, 12, 10, 12, tzinfo=RIYADH))
    complaint.refresh_from_db()
    assert complaint.assigned_to == head
    assert complaint.updates.filter(kind=UpdateKind.ASSIGNMENT).exists()
    assert complaint.history.filter(history_change_reason="escalation: reassigned").exists()
    assert {clock.assignee_id for clock in clocks_of(complaint)} == {head.pk}

    closed = complaint_create(new(hospital_a, department=department_a, received_at=received, assigned_to=handler))
    closed.resolution = "Done"
    closed.save()
    complaint_transition(closed, ComplaintStatus.RESOLVED, at=received)
    from django.contrib.contenttypes.models import ContentType

    from px360.complaints.sla import reassign_items
    from px360.sla.registry import Reassignment

    done = reassign_items(
        ContentType.objects.get_for_model(Complaint),
        [Reassignment(str(closed.pk), head.pk, handler.pk, closed.reference, "resolve", None)],
    )
    assert done == []


def test_an_inquiry_is_made_a_complaint_only_on_confirmation(client, hospital_a, make_user, roles):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a)
    inquiry = inquiry_create(hospital=hospital_a, subject="Parking", question="Where can I park?")
    client.force_login(coordinator)
    url = reverse("admin:complaints_inquiry_promote", args=[inquiry.pk])
    assert client.get(url).status_code == 200  # a link only asks
    inquiry.refresh_from_db()
    assert inquiry.promoted_to is None
    response = client.post(url)
    inquiry.refresh_from_db()
    assert inquiry.promoted_to is not None
    assert response.url == reverse("admin:complaints_complaint_change", args=[inquiry.promoted_to.pk])
