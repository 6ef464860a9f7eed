"""The texts patients receive, edited in the admin per hospital, language and channel.

A message uses its hospital's text for its channel, else its hospital's for
every channel, else the group's for its channel, else the group's for every
channel, else the wording PX360 ships. Texts may use only their kind's
placeholders; the admin previews them with sample values and the number of
SMS parts. A hospital edits its own texts, reads the group's, and never sees
another hospital's.
"""

import csv
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.notifications import message_kinds
from px360.notifications.message_kinds import HOSPITAL, MessageKind, Placeholder, Wording
from px360.notifications.messages import message_texts_batch, render_message
from px360.notifications.models import MessageText
from px360.notifications.sms import SmsLength, sms_length
from px360.surveys.models import SurveyPolicy
from px360.surveys.services import survey_schedule_for_stage, surveys_dispatch_due

from ..surveys.conftest import riyadh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Refusals are read in English here (pages opened under /ar/ switch to Arabic themselves)."""
    from django.utils import translation

    translation.activate("en")


INVITATION = "survey_invitation"
CONTEXT = {"hospital": "HOSPITAL-NAME", "link": "https://px.example.sa/s/abc/"}


def text(kind=INVITATION, *, hospital=None, language="en", channel="", subject="$hospital: hello", body, **fields):
    return MessageText.objects.create(
        kind=kind, hospital=hospital, language=language, channel=channel, subject=subject, body=body, **fields
    )


def sms_to(hospital, language="en", channel="sms") -> str:
    return render_message(INVITATION, language, channel=channel, context=CONTEXT, hospital=hospital).body


def url(view="changelist", *args, language="en"):
    suffix = {
        "changelist": "",
        "add": "add/",
        "change": "{}/change/",
        "history": "{}/history/",
        "export": "export-list/",
    }[view]
    return f"/{language}/admin/notifications/messagetext/" + suffix.format(*args)


def form_data(**values):
    data = {
        "kind": INVITATION,
        "hospital": "",
        "language": "en",
        "channel": "",
        "is_active": "on",
        "subject": "$hospital: a word from us",
        "body": "$hospital thanks you. Rate us: $link",
    }
    data.update({key: "" if value is None else value for key, value in values.items()})
    return data


@pytest.fixture
def people(make_user, hospital_a, hospital_b):
    return {
        "px_admin": make_user(RoleCode.PX_ADMIN, username="px_admin"),
        "admin_a": make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="admin_a"),
        "coordinator_a": make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coordinator_a"),
        "viewer_a": make_user(RoleCode.VIEWER, hospital=hospital_a, username="viewer_a"),
    }


# --- which text a message uses ----------------------------------------------------------


def test_a_message_falls_back_from_the_hospitals_channel_text_to_the_shipped_wording(hospital_a):
    assert sms_to(hospital_a).startswith("HOSPITAL-NAME: thank you for your visit.")  # shipped

    group_any = text(body="Group, any channel: $link")
    assert sms_to(hospital_a) == "Group, any channel: https://px.example.sa/s/abc/\nReply STOP to opt out"
    group_sms = text(channel="sms", body="Group SMS: $link")
    assert sms_to(hospital_a).startswith("Group SMS:")
    hospital_any = text(hospital=hospital_a, body="Hospital, any channel: $link")
    assert sms_to(hospital_a).startswith("Hospital, any channel:")
    hospital_sms = text(hospital=hospital_a, channel="sms", body="Hospital SMS: $link")
    assert sms_to(hospital_a).startswith("Hospital SMS:")

    # Another channel skips the SMS texts; another language has none of them.
    assert sms_to(hospital_a, channel="whatsapp").startswith("Hospital, any channel:")
    assert sms_to(hospital_a, language="ar").startswith("HOSPITAL-NAME: شكراً لزيارتكم")

    # Deactivating a text falls back to the next one, step by step.
    for row, expected in (
        (hospital_sms, "Hospital, any channel:"),
        (hospital_any, "Group SMS:"),
        (group_sms, "Group, any channel:"),
        (group_any, "HOSPITAL-NAME: thank you"),
    ):
        row.is_active = False
        row.save()
        assert sms_to(hospital_a).startswith(expected)


def test_a_hospitals_text_is_used_for_that_hospital_only(hospital_a, hospital_b):
    text(hospital=hospital_a, body="Only for A: $link")
    text(body="For the group: $link")
    assert sms_to(hospital_a).startswith("Only for A:")
    assert sms_to(hospital_b).startswith("For the group:")
    assert sms_to(None).startswith("For the group:")  # a message without a hospital gets the group's


def test_an_email_uses_its_subject_and_the_same_html_template(hospital_a):
    text(hospital=hospital_a, channel="email", subject="$hospital: your opinion", body="We would love to hear: $link")
    rendered = render_message(INVITATION, "en", channel="email", context=CONTEXT, hospital=hospital_a)
    assert rendered.subject == "HOSPITAL-NAME: your opinion"
    assert rendered.body == "We would love to hear: https://px.example.sa/s/abc/"  # no opt-out line by e-mail
    assert "We would love to hear</p>" in rendered.html  # the link is the button, not in the sentence
    assert 'href="https://px.example.sa/s/abc/"' in rendered.html and "Start the survey" in rendered.html


def test_a_send_run_reads_the_texts_once(hospital_a, hospital_b):
    text(hospital=hospital_a, body="A: $link")
    with CaptureQueriesContext(connection) as queries, message_texts_batch():
        bodies = [sms_to(hospital) for hospital in (hospital_a, hospital_b) * 20]
    assert bodies[0].startswith("A:") and bodies[1].startswith("HOSPITAL-NAME: thank you")
    reads = [query for query in queries.captured_queries if "notifications_messagetext" in query["sql"]]
    assert len(reads) == 1
    # Outside a run every message reads the texts afresh: a change made by another process is seen at once.
    MessageText.objects.filter(hospital=hospital_a).update(body="A, changed: $link")
    assert sms_to(hospital_a).startswith("A, changed:")


@freeze_time("2026-11-20T10:00:00+03:00")
def test_a_survey_invitation_goes_out_with_the_hospitals_text(
    make_patient, complete_stage, opd_survey, hospital_a, hospital_b
):
    text(hospital=hospital_a, language="ar", body="$hospital يدعوكم لتقييم زيارتكم: $link", subject="$hospital")
    text(hospital=hospital_a, language="ar", channel="email", subject="$hospital: رأيكم", body="قيّموا زيارتكم: $link")
    SurveyPolicy.objects.create(hospital=hospital_a, channel_order=["whatsapp", "email"])

    def invite(patient):
        stage = complete_stage(patient, survey=opd_survey, at=riyadh(2026, 11, 20, 9, 0), delay_hours=0)
        instance = survey_schedule_for_stage(stage=stage)
        surveys_dispatch_due()
        return instance.notifications.get()

    whatsapp = invite(make_patient(preferred_language="ar"))
    assert whatsapp.channel == "whatsapp"
    assert whatsapp.body.startswith("مستشفى أ يدعوكم لتقييم زيارتكم: https://px.example.sa/s/")
    assert whatsapp.body.endswith("\nللإيقاف أرسل: إيقاف")

    emailed = invite(make_patient(preferred_language="ar", phone="", mrn="MRN-EMAIL"))
    assert emailed.channel == "email" and emailed.subject == "مستشفى أ: رأيكم"
    assert "قيّموا زيارتكم" in emailed.html_body and 'dir="rtl"' in emailed.html_body

    # Hospital B's patients keep the shipped wording.
    other = invite(make_patient(hospital=hospital_b, preferred_language="ar", mrn="MRN-B"))
    assert other.body.startswith("مستشفى ب: شكراً لزيارتكم")


# --- what a text may say ------------------------------------------------------------------


def plain(message: str) -> str:
    """A message without the isolates that keep each placeholder one left-to-right unit in Arabic."""
    return message.replace("\u2066", "").replace("\u2069", "")


def refused(**fields) -> dict:
    row = MessageText(kind=INVITATION, language="en", channel="", subject="$hospital", **fields)
    with pytest.raises(ValidationError) as raised:
        row.full_clean()
    return {field: [plain(message) for message in messages] for field, messages in raised.value.message_dict.items()}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("Dear $name, rate us: $link", "Unknown placeholder $name"),
        ("Rate us: ${link} ${mrn}", "Unknown placeholder $mrn"),
        ("Rate $Hospital: $link", "Unknown placeholder $Hospital"),
        ("It costs $5: $link", "“$5” is not a placeholder"),
        ("Rate ${hospital: $link", "“${hospital” is not a placeholder"),
        ("Rate us now $ $link", "“$” is not a placeholder"),
    ],
)
def test_only_the_kinds_placeholders_are_allowed_and_a_stray_dollar_is_named(body, named):
    errors = refused(body=body)
    assert any(named in error for error in errors["body"]), errors
    assert "$hospital, $link" in errors["body"][0]


def test_the_link_is_required_and_an_email_needs_a_subject():
    assert refused(body="Thank you for your visit to $hospital.")["body"] == [
        "The text must contain $link (The patient's own survey link)."
    ]
    row = MessageText(kind=INVITATION, language="en", channel="email", subject="  ", body="Rate us: $link")
    with pytest.raises(ValidationError) as raised:
        row.full_clean()
    assert list(raised.value.message_dict) == ["subject"]
    # An SMS needs no subject; a written $$ is a dollar sign, and ${name} a placeholder.
    MessageText(kind=INVITATION, language="en", channel="sms", body="Costs $$0. ${hospital}: $link").full_clean()


def test_an_sms_longer_than_five_parts_is_refused():
    errors = refused(body="Please tell us about your visit. " * 25 + "$link")
    assert errors["body"] == ["As an SMS this text takes 7 parts; at most 5 parts are sent. Shorten it."]
    # The same text by e-mail only is fine.
    MessageText(
        kind=INVITATION, language="en", channel="email", subject="Hi", body="Please tell us. " * 25 + "$link"
    ).full_clean()


def test_sms_parts_are_counted_for_the_gsm_alphabet_and_for_arabic():
    assert (sms_length("a" * 160).parts, sms_length("a" * 161).parts, sms_length("a" * 306).parts) == (1, 2, 2)
    assert sms_length("a" * 307).parts == 3
    assert sms_length("€" * 80) == SmsLength(unicode=False, units=160, parts=1)  # two places each
    assert (sms_length("ب" * 70).parts, sms_length("ب" * 71).parts, sms_length("ب" * 134).parts) == (1, 2, 2)
    dash = sms_length("a — b")
    assert dash.unicode and dash.outside == ("—",)


def test_one_text_per_kind_hospital_language_and_channel_also_for_the_group(hospital_a):
    text(body="Group: $link")
    text(hospital=hospital_a, body="A: $link")
    duplicate = MessageText(kind=INVITATION, language="en", channel="", subject="x", body="Again: $link")
    with pytest.raises(ValidationError, match="The group already has a text"):
        duplicate.full_clean()
    duplicate.hospital = hospital_a
    with pytest.raises(ValidationError, match="This hospital already has a text"):
        duplicate.full_clean()
    # The database keeps the rule too, NULL hospital included.
    with pytest.raises(IntegrityError), transaction.atomic():
        text(body="Group again: $link")
    text(channel="sms", body="Group SMS: $link")  # another channel is another text


def test_a_kind_cannot_offer_a_placeholder_for_personal_data():
    wording = Wording(subject="$hospital", body="$hospital $patient_name")
    for code in ("patient_name", "mrn", "national_id", "phone"):
        with pytest.raises(ValueError, match="personal data"):
            Placeholder(code, "no")
    kind = MessageKind(
        code="test_notice",
        label="Test notice",
        placeholders=(HOSPITAL, Placeholder("reference", "The reference")),
        shipped={"ar": Wording("$hospital", "$reference"), "en": Wording("$hospital", "$reference")},
    )
    with pytest.raises(ValueError, match="placeholder"):
        MessageKind(code="bad", label="Bad", placeholders=(HOSPITAL,), shipped={"ar": wording, "en": wording})
    message_kinds.register(kind)
    try:
        assert ("test_notice", "Test notice") in message_kinds.kind_choices()
    finally:
        message_kinds.unregister(kind.code)


def test_a_kind_no_app_registered_is_refused(hospital_a):
    with pytest.raises(LookupError):
        render_message("nobody_registered_this", "en", channel="sms", context={})


# --- the admin ------------------------------------------------------------------------------


def test_the_change_page_previews_the_text_with_sample_values_and_sms_parts(client, people, hospital_a):
    row = text(
        hospital=hospital_a, language="ar", channel="", subject="$hospital: رأيكم", body="$hospital: قيّمونا $link"
    )
    client.force_login(people["admin_a"])
    page = client.get(url("change", row.pk, language="ar"))
    assert page.status_code == 200
    html = page.content.decode()
    preview = html[html.index("px360-message-preview") :]
    assert 'lang="ar" dir="rtl"' in preview  # the Arabic text reads right to left
    assert "مستشفى أ" in preview and "https://px.example.sa/s/" in preview  # sample hospital and link
    assert "للإيقاف أرسل: إيقاف" in preview  # the SMS ends as patients receive it
    page = client.get(url("change", row.pk))
    html = page.content.decode()
    assert "2 SMS parts" in html and "Unicode" in html
    assert "SMS and WhatsApp" in html and "E-mail" in html
    # The placeholders with what they mean, and the shipped wording to compare with.
    assert '<code dir="ltr">$link</code>' in html and "The patient&#x27;s own survey link" in html
    assert "شكراً لزيارتكم" in html[html.index("px360-shipped-wording") :]


def test_preview_shows_the_edited_text_without_saving_it(client, people, hospital_a):
    row = text(hospital=hospital_a, body="Before: $link")
    client.force_login(people["admin_a"])
    data = form_data(hospital=hospital_a.pk, body="After, not saved: $link", _preview="1")
    page = client.post(url("change", row.pk), data)
    assert page.status_code == 200
    html = page.content.decode()
    assert "After, not saved:" in html[html.index("px360-message-preview") :]
    assert "nothing is saved until you save" in html
    assert "Please correct" not in html
    row.refresh_from_db()
    assert row.body == "Before: $link"
    # A wrong placeholder is named in the preview round too, and nothing is saved.
    page = client.post(url("change", row.pk), form_data(hospital=hospital_a.pk, body="Hi $name", _preview="1"))
    assert "Unknown placeholder \u2066$name\u2069" in page.content.decode()
    # Saving saves.
    assert client.post(url("change", row.pk), form_data(hospital=hospital_a.pk, body="After: $link")).status_code == 302
    row.refresh_from_db()
    assert row.body == "After: $link"


def test_a_hospital_admin_adds_a_text_for_their_hospital_and_the_form_names_bad_placeholders(
    client, people, hospital_a, hospital_b
):
    client.force_login(people["coordinator_a"])
    page = client.get(url("add"))
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["hospital"] == hospital_a.pk

    refused_page = client.post(url("add"), form_data(hospital=hospital_a.pk, body="Rate us $hospitalname: $link"))
    assert refused_page.status_code == 200
    assert "Unknown placeholder \u2066$hospitalname\u2069" in refused_page.content.decode()
    # Another hospital is not a choice.
    other = client.post(url("add"), form_data(hospital=hospital_b.pk))
    assert other.status_code == 200 and "hospital" in other.context["adminform"].form.errors
    assert client.post(url("add"), form_data(hospital=hospital_a.pk)).status_code == 302
    assert MessageText.objects.get().hospital == hospital_a


def test_another_hospitals_text_is_404_and_never_listed_searched_exported_or_offered(client, people, hospital_b):
    row_b = text(hospital=hospital_b, body="QQSECRET text of B: $link", subject="QQSECRET")
    client.force_login(people["admin_a"])
    for view in ("change", "history"):
        assert client.get(url(view, row_b.pk)).status_code == 404
    assert client.post(url("change", row_b.pk), form_data(hospital=row_b.hospital_id)).status_code == 404
    listing = client.get(url())
    assert listing.status_code == 200 and "QQSECRET" not in listing.content.decode()
    search = client.get(url() + "?q=QQSECRET")
    assert list(search.context["cl"].result_list) == []
    exported = client.post(url("export"), {"format": "csv"})
    assert exported.status_code == 200
    content = b"".join(exported.streaming_content) if exported.streaming else exported.content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows and not any("QQSECRET" in cell for row in rows for cell in row)
    offered = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "notifications", "model_name": "messagetext", "field_name": "hospital", "term": ""},
    )
    assert offered.status_code == 200
    assert [result["id"] for result in offered.json()["results"]] == [str(people["admin_a"].hospital_id)]
    # A PX Admin sees it.
    client.force_login(people["px_admin"])
    assert client.get(url("change", row_b.pk)).status_code == 200


def test_the_groups_texts_are_read_only_to_a_hospital_admin_and_only_a_px_admin_writes_them(client, people):
    group = text(body="Group text: $link")
    client.force_login(people["admin_a"])
    listing = client.get(url()).content.decode()
    assert "Group text" in listing and "Whole group" in listing
    page = client.get(url("change", group.pk))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert 'name="_preview"' not in page.content.decode()  # nothing to preview on a page one cannot change
    assert client.post(url("change", group.pk), form_data(body="Mine now: $link")).status_code == 403
    added = client.post(url("add"), form_data(channel="sms", body="Another group text: $link"))
    assert added.status_code == 200
    assert "only a PX Admin edits the texts of the whole group" in added.content.decode()
    assert not MessageText.objects.filter(body__startswith="Another").exists()

    client.force_login(people["px_admin"])
    assert client.post(url("add"), form_data(channel="sms", body="Another group text: $link")).status_code == 302
    assert MessageText.objects.get(body__startswith="Another").hospital is None


def test_a_viewer_has_no_message_texts(client, people):
    client.force_login(people["viewer_a"])
    assert client.get(url()).status_code == 403


def test_every_change_is_kept_in_the_history_with_who_made_it(client, people, hospital_a):
    client.force_login(people["admin_a"])
    client.post(url("add"), form_data(hospital=hospital_a.pk, body="First: $link"))
    row = MessageText.objects.get()
    client.post(url("change", row.pk), form_data(hospital=hospital_a.pk, body="Second: $link", is_active=None))
    history = list(row.history.order_by("history_date"))
    assert [(h.history_type, h.body, h.is_active) for h in history] == [
        ("+", "First: $link", True),
        ("~", "Second: $link", False),
    ]
    assert {h.history_user for h in history} == {people["admin_a"]}
    page = client.get(url("history", row.pk))
    assert page.status_code == 200


@freeze_time("2026-11-20T10:00:00+03:00")
def test_an_emailed_invitation_uses_the_groups_email_text(make_patient, complete_stage, opd_survey, hospital_a):
    text(language="en", channel="email", subject="$hospital asks", body="Tell $hospital how it went: $link")
    SurveyPolicy.objects.create(hospital=hospital_a, channel_order=["email"])
    patient = make_patient(preferred_language="en")
    stage = complete_stage(patient, survey=opd_survey, at=riyadh(2026, 11, 20, 9, 0), delay_hours=0)
    survey_schedule_for_stage(stage=stage)
    surveys_dispatch_due()
    from px360.notifications.tasks import send_due

    send_due()
    message = mail.outbox[0]
    assert message.subject == "Hospital A asks"
    assert message.body.startswith("Tell Hospital A how it went: https://px.example.sa/s/")


def test_the_list_filters_by_kind_hospital_language_and_channel(client, people, hospital_a):
    every = text(hospital=hospital_a, body="Every: $link")
    sms = text(hospital=hospital_a, channel="sms", body="SMS: $link")
    arabic = text(hospital=hospital_a, language="ar", channel="sms", body="عربي: $link")
    reminder = text("survey_reminder", body="Group reminder: $link")
    client.force_login(people["admin_a"])

    def listed(query):
        page = client.get(url() + query)
        assert page.status_code == 200, query
        return set(page.context["cl"].result_list)

    assert listed("?channel=every") == {every, reminder}
    assert listed("?channel=sms") == {sms, arabic}
    assert listed("?language__exact=ar") == {arabic}
    assert listed("?kind__exact=survey_reminder") == {reminder}
    assert listed(f"?hospital__id__exact={hospital_a.pk}") == {every, sms, arabic}


def test_the_pages_of_message_texts_read_in_arabic(client, make_user, hospital_a):
    """No Latin word outside the placeholders, the links and the texts written in English (marked as such)."""
    from ..core.test_arabic_pages import latin_words

    coordinator = make_user(
        RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coordinator", first_name="سارة", last_name="القحطاني"
    )
    rows = [
        text(hospital=hospital_a, language="ar", subject="$hospital: رأيكم", body="$hospital: قيّمونا $link"),
        text("survey_reminder", channel="sms", subject="", body="Hello from $hospital — $link"),  # the group's
        text("survey_reminder", hospital=hospital_a, channel="email", subject="$hospital asks", body="Hi: $link"),
    ]
    client.force_login(coordinator)
    pages = [url(language="ar"), url("add", language="ar"), url(language="ar") + "?channel=every"]
    pages += [url(view, row.pk, language="ar") for row in rows for view in ("change", "history")]
    found = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        found[page] = latin_words(response.content.decode())
    mistaken = form_data(hospital=hospital_a.pk, language="ar", subject="رأيكم", body="$name $5 بلا رابط", _preview="1")
    response = client.post(url("change", rows[0].pk, language="ar"), mistaken)
    found["preview with mistakes"] = latin_words(response.content.decode())
    assert {page: words for page, words in found.items() if words} == {}
