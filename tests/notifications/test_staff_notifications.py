"""Notices to members of staff: the inbox, e-mail at once or in a daily digest, through the outbox.

Three people: Huda, a PX Coordinator who is told things; Omar, a colleague
with his own inbox; and the job cluster, which sends what is queued.
"""

import datetime as dt
import logging
import re
import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.notifications import kinds
from px360.notifications.choices import NotificationStatus
from px360.notifications.kinds import EmailDelivery, StaffPurpose
from px360.notifications.models import Notification, StaffNotice, StaffNoticeSettings
from px360.notifications.selectors import staff_in_roles
from px360.notifications.services import (
    notify_staff,
    staff_digests_send,
    staff_notice_settings_set,
)
from px360.notifications.tasks import send_digests, send_due

from .notice_kinds import ESCALATION, IMPORT_FINISHED, WAITING

pytestmark = pytest.mark.django_db

MORNING = "2026-11-20T06:00:00+03:00"


@pytest.fixture
def huda(make_user, hospital_a):
    return make_user(
        RoleCode.PX_COORDINATOR,
        hospital=hospital_a,
        username="huda",
        email="huda@hospital-a.sa",
        preferred_language="ar",
    )


@pytest.fixture
def omar(make_user, hospital_a):
    return make_user(
        RoleCode.VIEWER, hospital=hospital_a, username="omar", email="omar@hospital-a.sa", preferred_language="en"
    )


@pytest.fixture
def tell(django_capture_on_commit_callbacks):
    """Notify as a service inside a web request would: the notices appear when the transaction commits."""

    def notify(users, kind=IMPORT_FINISHED.code, params=None, **options):
        params = {"file": "encounters-nov.xlsx", "new": 12} if params is None else params
        with django_capture_on_commit_callbacks(execute=True):
            notify_staff(users, kind=kind, params=params, **options)

    return notify


def choose(user, **deliveries):
    staff_notice_settings_set(
        user=user,
        by=user,
        deliveries={getattr(kind_, "code", kind_): value for kind_, value in deliveries.items()},
        digest_hour=7,
    )


# --- queued, never sent in the request ---------------------------------------------


def test_nothing_is_queued_before_the_transaction_commits_and_nothing_is_sent_until_the_job_runs(
    huda, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        notify_staff(huda, kind=IMPORT_FINISHED.code, params={"file": "a.xlsx", "new": 3}, link="/ar/admin/")
        assert not StaffNotice.objects.exists()  # not before the commit
    assert len(callbacks) == 1
    notice = StaffNotice.objects.get(user=huda)
    email = Notification.objects.get(user=huda)
    assert email.status == NotificationStatus.QUEUED and email.purpose == StaffPurpose.STAFF_NOTICE
    assert mail.outbox == []  # queued only: the job sends
    assert notice.delivery == EmailDelivery.IMMEDIATE and notice.mailed_at is not None

    send_due()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["huda@hospital-a.sa"]


def test_a_rolled_back_change_tells_nobody(huda, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify_staff(huda, kind=IMPORT_FINISHED.code, params={"file": "a.xlsx", "new": 3})
        raise RuntimeError("the import failed after all")
    assert not StaffNotice.objects.exists()
    assert not Notification.objects.exists()


def test_the_job_sends_each_email_once_even_when_it_runs_twice(huda, omar, tell):
    tell([huda, omar])
    first, second = send_due(), send_due()
    assert first.get("sent") == 2 and second == {"reaped": 0}
    assert sorted(message.to[0] for message in mail.outbox) == ["huda@hospital-a.sa", "omar@hospital-a.sa"]


def test_the_same_key_notifies_a_user_once(huda, tell):
    tell(huda, key="import-42-finished")
    tell(huda, key="import-42-finished")
    tell(huda, key="import-43-finished")
    assert StaffNotice.objects.filter(user=huda).count() == 2
    assert Notification.objects.filter(user=huda).count() == 2


class FlakySMTP:
    """An e-mail backend whose server hangs up: a passing failure worth a retry."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_passing_email_failure_is_retried_later_and_then_sent(huda, tell, settings):
    settings.PX360_NOTIFY_RETRY_BASE_SECONDS = 300
    settings.EMAIL_BACKEND = f"{__name__}.FlakySMTP"
    with freeze_time(MORNING) as clock:
        tell(huda)
        assert send_due().get("queued") == 1
        email = Notification.objects.get(user=huda)
        assert email.status == NotificationStatus.QUEUED and email.attempts == 1
        assert "SMTPServerDisconnected" in email.error
        assert email.next_attempt_at == dt.datetime.fromisoformat(MORNING) + dt.timedelta(seconds=300)
        send_due()
        assert Notification.objects.get(pk=email.pk).attempts == 1  # not before its time

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        clock.tick(dt.timedelta(minutes=6))
        assert send_due().get("sent") == 1
    email.refresh_from_db()
    assert email.status == NotificationStatus.SENT and email.attempts == 2
    assert len(mail.outbox) == 1


def test_an_email_that_keeps_failing_stops_after_the_last_attempt(huda, tell, settings):
    settings.PX360_NOTIFY_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = f"{__name__}.FlakySMTP"
    with freeze_time(MORNING) as clock:
        tell(huda)
        send_due()
        clock.tick(dt.timedelta(hours=1))
        send_due()
        clock.tick(dt.timedelta(hours=2))
        send_due()
    email = Notification.objects.get(user=huda)
    assert email.status == NotificationStatus.FAILED and email.attempts == 2
    # The inbox still has the notice.
    assert StaffNotice.objects.filter(user=huda).count() == 1


def test_an_email_queued_for_someone_deactivated_since_is_not_sent(huda, tell):
    tell(huda)
    huda.is_active = False
    huda.save()
    send_due()
    assert mail.outbox == []
    assert Notification.objects.get(user=huda).status == NotificationStatus.CANCELLED


# --- each user's choices ---------------------------------------------------------


def test_each_user_gets_each_kind_by_the_channel_they_chose(huda, omar, tell):
    choose(huda, **{IMPORT_FINISHED.code: EmailDelivery.NONE})
    tell([huda, omar])
    send_due()
    # Both have it in their inbox; only Omar, who kept the default, gets an e-mail.
    assert StaffNotice.objects.filter(kind=IMPORT_FINISHED.code).count() == 2
    assert [message.to for message in mail.outbox] == [["omar@hospital-a.sa"]]
    assert StaffNotice.objects.get(user=huda).delivery == EmailDelivery.NONE


def test_a_kind_that_cannot_wait_is_not_put_in_the_digest(huda, tell):
    with pytest.raises(ValidationError) as refused:
        choose(huda, **{ESCALATION.code: EmailDelivery.DIGEST})
    assert refused.value.code == "invalid_delivery"
    # A choice stored before the kind stopped being digestable is read as "at once".
    StaffNoticeSettings.objects.update_or_create(user=huda, defaults={"deliveries": {ESCALATION.code: "digest"}})
    tell(huda, kind=ESCALATION.code, params={"reference": "CMP-7"})
    assert StaffNotice.objects.get(user=huda).delivery == EmailDelivery.IMMEDIATE


def test_nobody_chooses_for_someone_else(huda, omar):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        staff_notice_settings_set(user=huda, by=omar, deliveries={}, digest_hour=9)


def test_inactive_users_are_left_out_and_users_without_an_address_get_the_inbox_only(huda, omar, tell):
    omar.is_active = False
    omar.save()
    huda.email = ""
    huda.save()
    tell([huda, omar])
    assert list(StaffNotice.objects.values_list("user__username", "delivery")) == [("huda", EmailDelivery.NONE)]
    assert not Notification.objects.exists()


def test_the_email_is_in_the_users_language_links_to_their_inbox_and_its_subject_carries_no_details(huda, omar, tell):
    tell([huda, omar], params={"file": "ward3-Sara-Al-Harbi.xlsx", "new": 12})
    by_user = {n.user.username: n for n in Notification.objects.select_related("user")}
    assert by_user["huda"].language == "ar" and by_user["omar"].language == "en"
    for email in by_user.values():
        assert "Sara" not in email.subject and "ward3" not in email.subject
        assert "ward3-Sara-Al-Harbi.xlsx" in email.body  # the detail is inside, for the reader
    notice = StaffNotice.objects.get(user=huda)
    assert f"https://px.example.sa/ar/admin/inbox/{notice.pk}/open/" in by_user["huda"].body
    assert "/en/admin/inbox/" in by_user["omar"].body and "/en/admin/profile/" in by_user["omar"].body
    assert by_user["omar"].subject == "PX360: Import finished"


def test_sending_logs_neither_the_address_nor_the_details(huda, tell, caplog):
    caplog.set_level(logging.DEBUG)
    tell(huda, params={"file": "Sara-Al-Harbi.xlsx", "new": 1})
    send_due()
    assert mail.outbox
    assert "huda@hospital-a.sa" not in caplog.text and "Sara-Al-Harbi" not in caplog.text


def test_a_kind_nobody_registered_or_a_link_off_the_site_is_refused_in_the_caller(huda):
    with pytest.raises(LookupError):
        notify_staff(huda, kind="tests.no_such_kind")
    with pytest.raises(ValueError):
        notify_staff(huda, kind=IMPORT_FINISHED.code, link="https://evil.example/")
    with pytest.raises(ValueError):
        notify_staff(huda, kind=IMPORT_FINISHED.code, params={"when": dt.datetime.now()})


def test_a_kind_cannot_be_registered_twice_with_another_meaning():
    with pytest.raises(ValueError):
        kinds.register(kinds.NoticeKind(code=IMPORT_FINISHED.code, label="Other", title="Other"))
    assert kinds.get(IMPORT_FINISHED.code) is IMPORT_FINISHED


def test_coordinators_of_a_hospital_are_found_by_role(huda, omar, make_user, hospital_b):
    other = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_b, username="other_coordinator")
    assert list(staff_in_roles(roles=[RoleCode.PX_COORDINATOR], hospital=huda.hospital)) == [huda]
    assert set(staff_in_roles(roles=[RoleCode.PX_COORDINATOR])) == {huda, other}


# --- the daily digest --------------------------------------------------------------


def at(clock_text):
    return freeze_time(clock_text)


def test_the_digest_groups_the_days_notices_into_one_email_once_a_day(huda, tell):
    choose(huda, **{IMPORT_FINISHED.code: EmailDelivery.DIGEST})
    with at("2026-11-19T20:00:00+03:00"):
        tell(huda, kind=WAITING.code, params={"reference": "ACT-1"})
        tell(huda, params={"file": "nov.xlsx", "new": 5})
    with at("2026-11-20T06:50:00+03:00"):
        assert staff_digests_send()["queued"] == 0  # before her hour (07:00 by default)
        assert not Notification.objects.exists()
    with at("2026-11-20T07:05:00+03:00"):
        assert send_digests()["queued"] == 1
        assert send_digests()["queued"] == 0  # the job ran twice
        send_due()
        send_due()
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["huda@hospital-a.sa"]
    assert "ACT-1" in digest.body and "nov.xlsx" in digest.body
    assert "ACT-1" not in digest.subject and "nov.xlsx" not in digest.subject
    assert Notification.objects.get().purpose == StaffPurpose.STAFF_DIGEST
    assert not StaffNotice.objects.filter(mailed_at__isnull=True).exists()

    # A notice after today's digest waits for tomorrow's.
    with at("2026-11-20T09:00:00+03:00"):
        tell(huda, kind=WAITING.code, params={"reference": "ACT-2"})
        assert send_digests()["queued"] == 0
    with at("2026-11-21T07:00:00+03:00"):
        assert send_digests()["queued"] == 1
        send_due()
    assert len(mail.outbox) == 2
    assert "ACT-2" in mail.outbox[1].body and "ACT-1" not in mail.outbox[1].body


def test_the_digest_comes_at_the_hour_each_user_chose_in_riyadh_time(huda, omar, tell):
    staff_notice_settings_set(user=omar, by=omar, deliveries={}, digest_hour=18)
    with at("2026-11-20T08:00:00+03:00"):
        tell([huda, omar], kind=WAITING.code, params={"reference": "ACT-3"})
    with at("2026-11-20T14:59:00Z"):  # 17:59 in Riyadh
        send_digests()
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["huda"]
    with at("2026-11-20T15:00:00Z"):  # 18:00 in Riyadh
        send_digests()
    assert Notification.objects.filter(user=omar, purpose=StaffPurpose.STAFF_DIGEST).count() == 1


# --- the inbox and the bell ----------------------------------------------------------


def bell_count(page) -> int:
    match = re.search(r'id="px-inbox-bell"[^>]*data-unread="(\d+)"', page.content.decode())
    assert match, "the bell is in the header"
    return int(match.group(1))


def test_the_bell_counts_unread_notices_on_every_admin_page(client, omar, tell):
    client.force_login(omar)
    assert bell_count(client.get("/en/admin/")) == 0
    tell(omar)
    tell(omar, kind=WAITING.code, params={"reference": "ACT-9"})
    assert bell_count(client.get("/en/admin/")) == 2
    assert bell_count(client.get(reverse("inbox:list"))) == 2


def test_the_inbox_lists_my_notices_newest_first_and_marks_them_read(client, omar, huda, tell):
    with at("2026-11-20T08:00:00+03:00"):
        tell(omar, params={"file": "first.xlsx", "new": 1})
    with at("2026-11-20T09:00:00+03:00"):
        tell(omar, kind=WAITING.code, params={"reference": "ACT-77"})
    tell(huda, params={"file": "not-for-omar.xlsx", "new": 1})
    client.force_login(omar)
    page = client.get("/en/admin/inbox/").content.decode()
    assert page.index("ACT-77") < page.index("first.xlsx")
    assert "not-for-omar" not in page
    assert "12:00" not in page and "09:00" in page  # Riyadh time

    newest = StaffNotice.objects.get(user=omar, kind=WAITING.code)
    response = client.post(reverse("inbox:read", args=[newest.pk]), {"next": "/en/admin/inbox/?show=unread"})
    assert response.status_code == 302 and response["Location"] == "/en/admin/inbox/?show=unread"
    newest.refresh_from_db()
    assert newest.read_at is not None
    assert bell_count(client.get("/en/admin/")) == 1
    assert "ACT-77" not in client.get("/en/admin/inbox/?show=unread").content.decode()

    response = client.post(reverse("inbox:read_all"))
    assert response.status_code == 302
    assert bell_count(client.get("/en/admin/")) == 0
    assert StaffNotice.objects.get(user=huda).read_at is None  # only mine


def test_opening_a_notice_marks_it_read_and_follows_its_link_in_my_language(client, omar, tell):
    tell(omar, link="/ar/admin/journeys/importjob/")
    notice = StaffNotice.objects.get(user=omar)
    client.force_login(omar)
    response = client.get(f"/en/admin/inbox/{notice.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/en/admin/journeys/importjob/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_an_open_redirect_is_never_followed(client, omar, tell):
    tell(omar)
    notice = StaffNotice.objects.get(user=omar)
    StaffNotice.objects.filter(pk=notice.pk).update(link="//evil.example/")
    client.force_login(omar)
    assert client.get(f"/en/admin/inbox/{notice.pk}/open/")["Location"] == "/en/admin/inbox/"
    response = client.post(reverse("inbox:read", args=[notice.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == "/en/admin/inbox/"


@pytest.mark.parametrize("whose_page", ["open", "read"])
def test_nobody_opens_or_marks_another_users_notice_not_even_a_superuser(client, huda, superuser, tell, whose_page):
    tell(huda)
    notice = StaffNotice.objects.get(user=huda)
    client.force_login(superuser)
    url = reverse(f"inbox:{whose_page}", args=[notice.pk])
    response = client.post(url) if whose_page == "read" else client.get(url)
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None
    assert str(notice.pk) not in client.get(reverse("inbox:list")).content.decode()


def test_the_inbox_needs_a_signed_in_member_of_staff(client, omar):
    response = client.get("/en/admin/inbox/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_details_are_shown_as_text_isolated_from_the_sentence_never_as_markup(client, omar, tell):
    tell(omar, params={"file": '<img src=x onerror="alert(1)">.xlsx', "new": 3})
    client.force_login(omar)
    page = client.get("/en/admin/inbox/").content.decode()
    assert "<img src=x" not in page
    assert "<bdi>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.xlsx</bdi>" in page
    send_due()
    html = mail.outbox[0].alternatives[0][0]
    assert "<img src=x" not in html and "&lt;img src=x" in html
