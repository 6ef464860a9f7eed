"""Attached files: judged by their content, limited in size, kept out of public media, opened only through a checked, audited view."""

import hashlib
import re
import uuid
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from px360.accounts.roles import RoleCode
from px360.complaints import attachments
from px360.complaints.models import Complaint, ComplaintAttachment
from px360.complaints.services import ComplaintError, Contact, NewComplaint, complaint_create
from px360.core.models import AuditAction, AuditEvent

from ..factories import PhysicianFactory
from .samples import docx_bytes, minimal_pdf, png_bytes
from .test_public_form import URL, form_data

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def complaint_a(hospital_a, department_a):
    return complaint_create(
        NewComplaint(
            hospital=hospital_a,
            department=department_a,
            summary="Rude reception",
            description="The receptionist shouted at my mother.",
            contact=Contact(name="Sara", phone="0501234567"),
        )
    )


@pytest.mark.parametrize(
    "name, content",
    [
        ("report.pdf", HTML),
        ("scan.pdf", EXE),
        ("photo.jpg", b"not an image at all"),
        ("letter.docx", b"PK\x03\x04junk"),
    ],
    ids=["html-named-pdf", "exe-named-pdf", "text-named-jpg", "broken-zip-named-docx"],
)
def test_a_file_is_refused_by_what_it_contains_not_by_its_name(client, hospital_a, settings, name, content):
    response = client.post(URL, {**form_data(hospital_a, lang="en"), "attachments": [upload(name, content)]})
    assert response.status_code == 400
    page = response.content.decode()
    assert f"The file {name} is not one of the accepted kinds: PDF, JPEG, PNG, WebP, GIF or Word (DOCX)." in page
    assert "please choose them again" in page
    assert not Complaint.objects.exists()
    assert not ComplaintAttachment.objects.exists()
    assert stored_files(settings) == []


def test_a_word_document_with_macros_is_refused():
    with translation.override("en"), pytest.raises(ComplaintError) as refused:
        attachments.check_file(upload("letter.docx", docx_bytes(macros=True)))
    assert refused.value.message_dict["attachments"] == [
        "The file letter.docx is not one of the accepted kinds: PDF, JPEG, PNG, WebP, GIF or Word (DOCX)."
    ]


def test_a_file_over_the_size_limit_is_refused_in_the_pages_language(client, hospital_a, settings):
    settings.PX360_COMPLAINT_ATTACHMENT_MAX_BYTES = 2048
    big = png_bytes(40, 40) + b"\x00" * 3000
    response = client.post(URL, {**form_data(hospital_a, lang="en"), "attachments": [upload("big.png", big)]})
    assert response.status_code == 400
    assert "The file big.png is larger than 2.0\xa0KB." in response.content.decode()
    assert not Complaint.objects.exists()
    assert stored_files(settings) == []


def test_the_size_is_counted_from_the_bytes_not_from_what_the_upload_says(settings):
    settings.PX360_COMPLAINT_ATTACHMENT_MAX_BYTES = 2048
    lying = upload("small.png", png_bytes() + b"\x00" * 5000)
    lying.size = 10
    with translation.override("en"), pytest.raises(ComplaintError):
        attachments.check_file(lying)


def test_more_than_three_files_are_refused(client, hospital_a):
    files = [upload(f"p{n}.png", png_bytes(), "image/png") for n in range(4)]
    response = client.post(URL, {**form_data(hospital_a, lang="en"), "attachments": files})
    assert response.status_code == 400
    assert "Attach at most 3 files." in response.content.decode()
    assert not Complaint.objects.exists()


def test_pdf_png_and_word_files_are_kept_privately_with_their_digest(client, hospital_a, settings):
    pdf, png, docx = minimal_pdf(), png_bytes(), docx_bytes()
    files = [
        # The type comes from the content: the browser's claim and the name's ending do not count.
        upload("تقرير.pdf", pdf, "application/octet-stream"),
        upload("../../etc/photo.PNG", png, "text/html"),
        upload("letter.docx", docx, "application/zip"),
    ]
    response = client.post(URL, {**form_data(hospital_a), "attachments": files})
    assert response.status_code == 302

    complaint = Complaint.objects.get()
    kept = {a.original_name: a for a in complaint.attachments.all()}
    assert set(kept) == {"تقرير.pdf", "photo.PNG", "letter.docx"}
    for name, content, content_type in (
        ("تقرير.pdf", pdf, attachments.PDF),
        ("photo.PNG", png, attachments.PNG),
        ("letter.docx", docx, attachments.DOCX),
    ):
        attachment = kept[name]
        assert attachment.content_type == content_type
        assert attachment.size == len(content)
        assert attachment.sha256 == hashlib.sha256(content).hexdigest()
        assert attachment.uploaded_by is None
        # Named by ids only, under the private folder nothing serves.
        assert attachment.file.name == f"private/complaints/{complaint.pk}/{attachment.pk}"
        assert Path(attachment.file.path).read_bytes() == content
        assert Path(attachment.file.path).is_relative_to(Path(settings.MEDIA_ROOT) / "private")


def test_a_failure_while_storing_leaves_neither_the_complaint_nor_a_file(hospital_a, settings, monkeypatch):
    original = FileSystemStorage._save
    calls = []

    def fail_on_second(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", fail_on_second)
    files = [upload("a.pdf", minimal_pdf()), upload("b.png", png_bytes())]
    with pytest.raises(OSError):
        attachments.complaint_create_with_attachments(
            NewComplaint(hospital=hospital_a, summary="s", description="d", contact=Contact(phone="0501234567")), files
        )
    assert len(calls) == 2
    assert not Complaint.objects.exists()
    assert not ComplaintAttachment.objects.exists()
    assert stored_files(settings) == []


def test_staff_attach_a_file_under_their_name(complaint_a, coordinator_a):
    attachment = attachments.attachment_add(complaint_a, upload("x.pdf", minimal_pdf()), by=coordinator_a)
    assert attachment.uploaded_by == coordinator_a
    assert attachment.history.count() == 1  # its history starts with it


# --- the checked, audited view ------------------------------------------------------


def same_page(response, pk) -> str:
    page = response.content.decode().replace(str(pk), "<id>")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def file_url(attachment, language="en"):
    return f"/{language}/admin/complaints-files/{attachment.pk}/"


def test_the_hospitals_coordinator_opens_a_pdf_in_the_browser_and_it_is_audited(client, complaint_a, coordinator_a):
    content = minimal_pdf("Report")
    attachment = attachments.attachment_add(complaint_a, upload("report.pdf", content))
    client.force_login(coordinator_a)

    response = client.get(file_url(attachment))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and policy.endswith("sandbox")
    assert "script-src" not in policy
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    event = AuditEvent.objects.get(action=AuditAction.VIEW, object_id=str(attachment.pk))
    assert event.actor == coordinator_a
    assert event.hospital_id == complaint_a.hospital_id
    assert event.details == {"complaint": complaint_a.reference, "sha256": attachment.sha256}


def test_a_word_document_downloads_instead_of_opening(client, complaint_a, coordinator_a):
    attachment = attachments.attachment_add(complaint_a, upload("رسالة.docx", docx_bytes()))
    client.force_login(coordinator_a)
    response = client.get(file_url(attachment, "ar"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert response["Content-Type"] == attachments.DOCX


def test_another_hospitals_coordinator_gets_404_like_a_missing_file(client, complaint_a, coordinator_b):
    attachment = attachments.attachment_add(complaint_a, upload("x.png", png_bytes()))
    client.force_login(coordinator_b)
    out_of_scope = client.get(file_url(attachment))
    unknown = uuid.uuid4()
    missing = client.get(f"/en/admin/complaints-files/{unknown}/")
    assert out_of_scope.status_code == missing.status_code == 404
    # The same page but for the address itself (in the language switch) and the form token.
    assert same_page(out_of_scope, attachment.pk) == same_page(missing, unknown)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, complaint_a):
    attachment = attachments.attachment_add(complaint_a, upload("x.png", png_bytes()))
    response = client.get(file_url(attachment))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_physician_named_in_a_complaint_that_withholds_identity_sees_no_file(client, make_user, hospital_a):
    user = make_user(RoleCode.PHYSICIAN, hospital=hospital_a, username="dr_named")
    physician = PhysicianFactory(hospital=hospital_a, user=user)
    files = {}
    for withheld in (False, True):
        complaint = complaint_create(
            NewComplaint(
                hospital=hospital_a,
                summary="s",
                description="d",
                physicians=[physician],
                identity_withheld=withheld,
                contact=Contact(name="Sara", phone="0501234567"),
            )
        )
        files[withheld] = attachments.attachment_add(complaint, upload("x.png", png_bytes()))
    client.force_login(user)
    assert client.get(file_url(files[False])).status_code == 200
    assert client.get(file_url(files[True])).status_code == 404
