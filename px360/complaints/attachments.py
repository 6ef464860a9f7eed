"""Files attached to a complaint: checked by their content, kept out of public media, read through a checked view.

What a file is comes from its first bytes (and, for a Word document, the
names inside its zip), never from its name or from the type the browser
claims: a page or a program renamed ``.pdf`` is refused. Accepted files are
stored under ``MEDIA_ROOT/private/complaints/<complaint>/<attachment>`` —
nothing serves that folder — with their size and SHA-256, and are read only
through :func:`px360.complaints.views.attachment_file`, which checks access
and writes an audit event.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Complaint, ComplaintAttachment
from .services import ComplaintError, NewComplaint, complaint_create

# How many files a complaint sent from the public form may carry.
MAX_PUBLIC_FILES = 3

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
GIF = "image/gif"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# What a browser may show in the page (everything else downloads).
PREVIEWABLE = frozenset({PDF, PNG, JPEG, WEBP, GIF})

# The file chooser's hint; the check below is what counts.
ACCEPT = ".pdf,.jpg,.jpeg,.png,.webp,.gif,.docx," + ",".join(sorted(PREVIEWABLE | {DOCX}))

_HEAD_BYTES = 16
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(settings.PX360_COMPLAINT_ATTACHMENT_MAX_BYTES)


def _detect(head: bytes, uploaded) -> str | None:
    """The type the first bytes say (a zip is a Word document only if its parts say so)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head.startswith(b"PK\x03\x04") and _is_docx(uploaded):
        return DOCX
    return None


def _is_docx(uploaded) -> bool:
    """A Word document without macros: the zip's directory alone is read, nothing is unpacked."""
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        uploaded.seek(0)
    macros = any(name.lower().endswith("vbaproject.bin") for name in names)
    return "[Content_Types].xml" in names and "word/document.xml" in names and not macros


def clean_name(name: str) -> str:
    """The name the file had, as a name only: no folders, no control characters, at most 255 characters."""
    base = PurePath(str(name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return base[-255:] or "file"


def check_file(uploaded) -> CheckedFile:
    """What an uploaded file really is, or :class:`ComplaintError` (in the active language) saying why it is refused."""
    name = clean_name(getattr(uploaded, "name", ""))
    limit = max_bytes()
    declared = getattr(uploaded, "size", None)
    if declared is not None and declared > limit:
        raise _too_large(name, limit)
    uploaded.seek(0)
    head = uploaded.read(_HEAD_BYTES)
    if not head:
        raise ComplaintError({"attachments": [_("The file %(name)s is empty.") % {"name": name}]})
    content_type = _detect(head, uploaded)
    if content_type is None:
        raise ComplaintError(
            {
                "attachments": [
                    _("The file %(name)s is not one of the accepted kinds: PDF, JPEG, PNG, WebP, GIF or Word (DOCX).")
                    % {"name": name}
                ]
            }
        )
    uploaded.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := uploaded.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(name, limit)
        digest.update(chunk)
    uploaded.seek(0)
    return CheckedFile(name=name, content_type=content_type, size=size, sha256=digest.hexdigest())


def _too_large(name: str, limit: int) -> ComplaintError:
    return ComplaintError(
        {
            "attachments": [
                _("The file %(name)s is larger than %(size)s.") % {"name": name, "size": filesizeformat(limit)}
            ]
        }
    )


def check_files(files: Iterable, *, most: int = MAX_PUBLIC_FILES) -> list[CheckedFile]:
    """Check each file; every refusal is reported together, with the count first."""
    files = list(files)
    problems = []
    if len(files) > most:
        problems.append(
            ngettext("Attach at most %(count)s file.", "Attach at most %(count)s files.", most) % {"count": most}
        )
    checked = []
    for uploaded in files:
        try:
            checked.append(check_file(uploaded))
        except ComplaintError as error:
            problems.extend(error.message_dict["attachments"])
    if problems:
        raise ComplaintError({"attachments": problems})
    return checked


def attachment_add(complaint: Complaint, uploaded_file, *, by=None) -> ComplaintAttachment:
    """Check ``uploaded_file`` by its content and size, store it and record it on ``complaint``.

    Refused files raise :class:`ComplaintError` (translated) and store
    nothing. A file stored by a transaction that then fails is removed again
    (see :func:`complaint_create_with_attachments`).
    """
    checked = check_file(uploaded_file)
    attachment = ComplaintAttachment(
        complaint=complaint,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    uploaded_file.seek(0)
    # The storage path comes from the model (complaint and attachment ids), never from the file's name.
    attachment.file.save(checked.name, File(uploaded_file), save=False)
    try:
        attachment.save()
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


def complaint_create_with_attachments(new: NewComplaint, files: Iterable = (), *, by=None) -> Complaint:
    """A complaint and its files in one transaction: all of it is saved, or nothing (no stray file on disk either)."""
    files = list(files)
    check_files(files)
    stored: list[ComplaintAttachment] = []
    try:
        with transaction.atomic():
            complaint = complaint_create(new, by=by)
            for uploaded in files:
                stored.append(attachment_add(complaint, uploaded, by=by))
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return complaint


def attachment_url(attachment: ComplaintAttachment) -> str:
    """The checked, audited address staff open the file at."""
    return reverse("complaints_files:attachment", args=[attachment.pk])


def disposition(attachment: ComplaintAttachment) -> str:
    """Shown in the browser (images and PDFs) or downloaded (everything else)."""
    return "inline" if attachment.content_type in PREVIEWABLE else "attachment"
