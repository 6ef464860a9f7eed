"""Many notices at once (``notify_staff_many``): what one call per notice does, in a constant number of queries.

A job that tells many people many things — the SLA sweep, for one — hands
its whole batch over at once. Each person still gets each notice once, in
their inbox and by e-mail as they chose, after the job's transaction commits.
"""

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.notifications.kinds import EmailDelivery, StaffPurpose
from px360.notifications.models import Notification, StaffNotice
from px360.notifications.services import (
    notify_staff,
    notify_staff_many,
    staff_digests_send,
    staff_notice_settings_set,
)
from px360.notifications.tasks import send_due

from .notice_kinds import ESCALATION, IMPORT_FINISHED, WAITING

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user, hospital_a):
    def make(username, **fields):
        fields.setdefault("email", f"{username}@hospital-a.sa")
        return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username=username, **fields)

    return make


@pytest.fixture
def tell_many(django_capture_on_commit_callbacks):
    def tell(batch):
        with django_capture_on_commit_callbacks(execute=True):
            notify_staff_many(batch)

    return tell


def escalation(users, reference, **extra):
    return {"users": users, "kind": ESCALATION.code, "params": {"reference": reference}, **extra}


def test_each_user_gets_each_notice_by_the_channel_they_chose(staff, tell_many, hospital_a):
    huda = staff("huda", preferred_language="ar")
    omar = staff("omar", preferred_language="en")
    lina = staff("lina", email="")  # no address: the inbox only
    sami = staff("sami", is_active=False)
    staff_notice_settings_set(user=omar, by=omar, deliveries={WAITING.code: EmailDelivery.NONE}, digest_hour=7)
    tell_many(
        [
            escalation([huda, omar.pk, lina, sami], "CMP-1", link="/ar/admin/", hospital=hospital_a, key="k1"),
            {"users": [huda, str(omar.pk)], "kind": WAITING.code, "params": {"reference": "ACT-2"}, "key": "k2"},
        ]
    )
    deliveries = set(StaffNotice.objects.values_list("user__username", "kind", "delivery"))
    assert deliveries == {
        ("huda", ESCALATION.code, EmailDelivery.IMMEDIATE),
        ("omar", ESCALATION.code, EmailDelivery.IMMEDIATE),
        ("lina", ESCALATION.code, EmailDelivery.NONE),
        ("huda", WAITING.code, EmailDelivery.DIGEST),  # the kind's default
        ("omar", WAITING.code, EmailDelivery.NONE),  # his choice
    }
    notice = StaffNotice.objects.get(user=huda, kind=ESCALATION.code)
    assert (notice.link, notice.hospital, notice.params) == ("/ar/admin/", hospital_a, {"reference": "CMP-1"})
    assert notice.mailed_at is not None
    assert StaffNotice.objects.get(user=huda, kind=WAITING.code).mailed_at is None  # waits for the digest
    # Immediate e-mails are queued, in each reader's language, and sent by the job.
    emails = {email.user.username: email for email in Notification.objects.select_related("user")}
    assert set(emails) == {"huda", "omar"}
    assert emails["huda"].language == "ar" and emails["omar"].language == "en"
    assert all(email.purpose == StaffPurpose.STAFF_NOTICE for email in emails.values())
    assert f"/ar/admin/inbox/{notice.pk}/open/" in emails["huda"].body
    assert emails["huda"].hospital == hospital_a
    assert mail.outbox == []
    send_due()
    assert sorted(message.to[0] for message in mail.outbox) == ["huda@hospital-a.sa", "omar@hospital-a.sa"]
    assert all("CMP-1" not in message.subject for message in mail.outbox)
    # The digest picks up the notices that wait for it.
    with freeze_time("2099-01-01T07:30:00+03:00"):
        assert staff_digests_send()["queued"] == 1
    assert Notification.objects.filter(user=huda, purpose=StaffPurpose.STAFF_DIGEST).count() == 1


def test_a_key_notifies_each_user_once_whichever_way_it_was_used(staff, tell_many, django_capture_on_commit_callbacks):
    huda, omar = staff("huda"), staff("omar")
    with django_capture_on_commit_callbacks(execute=True):
        notify_staff(huda, kind=ESCALATION.code, params={"reference": "CMP-1"}, key="sla-step:1")
    tell_many([escalation([huda, omar], "CMP-1", key="sla-step:1"), escalation([huda], "CMP-1", key="sla-step:1")])
    tell_many([escalation([huda, omar], "CMP-1", key="sla-step:1")])  # the job ran again
    assert sorted(StaffNotice.objects.values_list("user__username", flat=True)) == ["huda", "omar"]
    assert Notification.objects.filter(user=huda).count() == 1
    assert Notification.objects.filter(user=omar).count() == 1


def test_without_a_key_every_call_tells_again(staff, tell_many):
    huda = staff("huda")
    tell_many([escalation([huda], "CMP-1"), escalation([huda], "CMP-1")])
    assert StaffNotice.objects.filter(user=huda).count() == 2


def test_nothing_exists_before_the_commit_and_a_rollback_tells_nobody(staff, django_capture_on_commit_callbacks):
    huda = staff("huda")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        notify_staff_many([escalation([huda], "CMP-1", key="k")])
        assert not StaffNotice.objects.exists()
    assert len(callbacks) == 1 and StaffNotice.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify_staff_many([escalation([huda], "CMP-2", key="k2")])
        raise RuntimeError("the job failed after all")
    assert StaffNotice.objects.count() == 1


def test_a_bad_entry_is_refused_in_the_caller_and_an_empty_batch_does_nothing(
    staff, django_capture_on_commit_callbacks
):
    huda = staff("huda")
    with pytest.raises(LookupError):
        notify_staff_many([escalation([huda], "CMP-1"), {"users": [huda], "kind": "tests.no_such_kind"}])
    with pytest.raises(ValueError):
        notify_staff_many([escalation([huda], "CMP-1", link="https://evil.example/")])
    with pytest.raises(ValueError):
        notify_staff_many([{"users": [huda], "kind": IMPORT_FINISHED.code, "params": {"when": object()}}])
    with django_capture_on_commit_callbacks() as callbacks:
        notify_staff_many([])
        notify_staff_many([escalation([], "CMP-1")])
    assert callbacks == []


def _queries_to_tell(entries: int, users: list, tell_many) -> int:
    batch = [escalation(users, f"CMP-{entries}-{n}", key=f"{entries}-{n}") for n in range(entries)]
    with CaptureQueriesContext(connection) as queries:
        tell_many(batch)
    assert StaffNotice.objects.filter(params__reference__startswith=f"CMP-{entries}-").count() == entries * len(users)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_batch(staff, tell_many):
    few = [staff(f"few{n}") for n in range(2)]
    many = [staff(f"many{n}", email="" if n % 3 == 0 else f"many{n}@hospital-a.sa") for n in range(12)]
    staff_notice_settings_set(user=many[1], by=many[1], deliveries={ESCALATION.code: "none"}, digest_hour=7)
    small = _queries_to_tell(2, few, tell_many)
    large = _queries_to_tell(40, many, tell_many)  # 480 notices
    assert small == large
    assert Notification.objects.count() == 2 * 2 + 40 * 7  # 12 people: 4 without an address, 1 chose none
