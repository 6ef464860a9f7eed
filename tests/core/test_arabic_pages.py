"""Every admin page a PX Coordinator reaches reads in Arabic: no stray English.

A PX Coordinator of the demo's Riyadh hospital, with the demo's data around
them, opens in Arabic the admin index, every app index, and for every
registered admin they may view: its list, its add page, one change page, its
history and every custom page of the admin (import, export, funnel, detail
actions...). The visible text of each page (text nodes, button labels and the
title, placeholder and aria-label attributes) is scanned for Latin words.

Latin is allowed only for technical terms a user meets as such (file formats,
HL7 trigger codes, spreadsheet column names; see ``ALLOWED``) and for values
the page marks as left-to-right data (inside ``<bdi>``, ``dir="ltr"``,
``<code>``, ``<pre>`` or ``<kbd>``): a medical record number or an encounter
number is data, not an untranslated label.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, reverse
from django.utils import translation

from px360.accounts.roles import RoleCode
from px360.organizations.models import Hospital

pytestmark = pytest.mark.django_db

#: Technical terms that stay Latin in an Arabic page (compared case-insensitively).
ALLOWED = {
    # the product and its integrations
    "px360",
    "his",
    "hl7",
    "adt",
    "api",
    "json",
    "mllp",
    "ack",
    # file formats a user picks or downloads
    "csv",
    "xlsx",
    "xls",
    "tsv",
    "ods",
    "html",
    "yaml",
    "utf",
    "bom",
    "windows",
    # character encodings a user picks for a CSV file
    "utf-8",
    "windows-1256",
    # units and standards
    "sms",
    "nps",
    "url",
    "e164",
    "iso",
}
#: Technical tokens by shape: HL7 triggers and segments (A01, MSH-10), versions (v2).
ALLOWED_PATTERNS = [re.compile(p) for p in (r"^A\d\d$", r"^[A-Z]{2,3}\d{1,2}$", r"^v\d+$")]

#: The columns of the import contract (DESIGN §5) are named as the file names them.
IMPORT_COLUMNS = {
    "hospital_code",
    "encounter_number",
    "encounter_type",
    "patient_mrn",
    "patient_national_id",
    "patient_name_ar",
    "patient_name_en",
    "patient_phone",
    "patient_email",
    "patient_birth_date",
    "patient_gender",
    "patient_language",
    "department_code",
    "physician_license",
    "admitted_at",
    "discharged_at",
    "status",
}

# Elements whose content is never shown as text, or is data the page marks as
# left to right (codes, numbers, messages as received).
HIDDEN = {"script", "style", "noscript", "template", "svg", "textarea"}
MARKED_DATA = {"code", "pre", "kbd", "samp", "bdi"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[_'’.-][A-Za-z0-9]+)*")


# Plain text (select options, the window title) isolates data between the
# left-to-right isolate and its pop, as no element can carry dir there.
ISOLATED = re.compile("\u2066[^\u2069]*\u2069")


class VisibleText(HTMLParser):
    """Collects what a reader of the page sees, leaving out left-to-right data.

    The window title cannot mark data: codes in it count as data when the
    page marks them as data elsewhere (the record's number in its own title).
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []  # (tag, why its text is left out)
        self.chunks: list[str] = []
        self.title: list[str] = []
        self.data: list[str] = []

    @property
    def left_out(self) -> str | None:
        return self.stack[-1][1] if self.stack else None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        language = (attributes.get("lang") or "ar").lower()
        left_out = self.left_out
        if left_out is None:
            if tag in HIDDEN or "material-symbols-outlined" in (attributes.get("class") or ""):
                left_out = "hidden"
            elif tag in MARKED_DATA or (attributes.get("dir") or "").lower() == "ltr":
                left_out = "data"
            elif not (language.startswith("ar") or tag == "html"):
                left_out = "other language"
        if left_out is None:
            for name in SHOWN_ATTRIBUTES:
                if attributes.get(name):
                    self.chunks.append(attributes[name])
            if tag == "input" and (attributes.get("type") or "").lower() in ("submit", "button", "reset"):
                self.chunks.append(attributes.get("value") or "")
        if tag not in VOID:
            self.stack.append((tag, left_out))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        # Tolerate unclosed elements (<p>, <li>, <option>): close up to the match.
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if not data.strip():
            return
        if self.stack and self.stack[-1][0] == "title":
            self.title.append(data)
        elif self.left_out is None:
            self.chunks.append(data)
        elif self.left_out == "data":
            self.data.append(data)


def allowed(word: str) -> bool:
    return word.lower() in ALLOWED or word in IMPORT_COLUMNS or any(p.match(word) for p in ALLOWED_PATTERNS)


def latin_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    data_words = {word for chunk in parser.data for word in LATIN_WORD.findall(chunk)}
    words = {word for chunk in parser.title for word in LATIN_WORD.findall(ISOLATED.sub(" ", chunk))} - data_words
    for chunk in parser.chunks:
        words.update(LATIN_WORD.findall(ISOLATED.sub(" ", chunk)))
    return {word for word in words if not allowed(word)}


def test_the_scanner_sees_labels_and_skips_data():
    html = (
        '<html><head><title>Title word</title><script>var hidden = "Script";</script></head>'
        '<body><p title="Tooltip">نص <b>Bold</b> <bdi>MRN000123</bdi> <span dir="ltr">ENC-9</span></p>'
        '<input type="submit" value="Save"><input name="q" value="typed"><code>opd-visit</code>'
        "<p>ملف CSV أو XLSX والرمز A03</p><select><option>\u2066RYD\u2069 · مستشفى</option></select>"
        "</body></html>"
    )
    assert latin_words(html) == {"Title", "word", "Tooltip", "Bold", "Save"}
    assert latin_words("<title>ENC-9 | PX360</title><bdi>ENC-9</bdi>") == set()


def admin_patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from admin_patterns(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern


@pytest.fixture
def coordinator(settings, tmp_path, make_user):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    hospital = Hospital.objects.get(code="RYD")
    user = make_user(
        RoleCode.PX_COORDINATOR,
        hospital=hospital,
        username="coordinator",
        first_name="سارة",
        last_name="القحطاني",
    )
    if hasattr(user, "preferred_language"):
        user.preferred_language = "ar"
        user.save()
    return user


def reachable_pages(user):
    """(label, url) of every admin page ``user`` may open, one object per model."""
    request = RequestFactory().get("/ar/admin/")
    request.user = user
    with translation.override("ar"):
        yield "index", reverse("admin:index")
        apps_seen = set()
        for model, model_admin in admin.site._registry.items():
            if not model_admin.has_view_or_change_permission(request):
                continue
            opts = model._meta
            prefix = f"{opts.app_label}_{opts.model_name}_"
            if opts.app_label not in apps_seen:
                apps_seen.add(opts.app_label)
                yield f"{opts.app_label} app", reverse("admin:app_list", args=[opts.app_label])
            obj = model_admin.get_queryset(request).order_by("pk").first()
            for pattern in model_admin.get_urls():
                if not isinstance(pattern, URLPattern) or not (pattern.name or "").startswith(prefix):
                    continue
                page = pattern.name[len(prefix) :]
                arguments = set(pattern.pattern.regex.groupindex)
                if page in ("add",) and not model_admin.has_add_permission(request):
                    continue
                if page == "delete" and not model_admin.has_delete_permission(request, obj):
                    continue
                if page.startswith("permissions") or page == "simple_history" or page == "autocomplete":
                    continue
                if arguments - {"object_id", "object_pk"}:
                    continue
                if arguments:
                    if obj is None:
                        continue
                    key = next(iter(arguments))
                    url = reverse(f"admin:{pattern.name}", kwargs={key: obj.pk})
                else:
                    url = reverse(f"admin:{pattern.name}")
                yield f"{opts.label_lower} {page}", url


def test_every_page_a_coordinator_reaches_reads_in_arabic(client, coordinator):
    client.force_login(coordinator)
    findings: dict[str, set[str]] = defaultdict(set)
    opened = 0
    for label, url in reachable_pages(coordinator):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="ar")
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        opened += 1
        html = response.content.decode()
        assert 'lang="ar"' in html and 'dir="rtl"' in html, url
        words = latin_words(html)
        if words:
            findings[f"{label} ({url})"] |= words
    assert opened > 40
    report = "\n".join(f"{page}: {' '.join(sorted(words))}" for page, words in sorted(findings.items()))
    assert not findings, f"Latin words on Arabic pages:\n{report}"
