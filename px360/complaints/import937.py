"""The admin page that imports a file of the Ministry's 937 line (:mod:`px360.complaints.moh937`).

The complaint admin adds :func:`urls` to its own (``ComplaintAdmin.get_urls``),
so the page lives at ``…/complaints/complaint/import-937/`` under the name
``admin:complaints_complaint_import_937``. Only users who may add complaints
and answer for at least one hospital reach it; anyone else gets a 403.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _

from . import moh937
from .models import Complaint

URL_NAME = "complaints_complaint_import_937"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ALLOWED_SUFFIXES = (".xlsx", ".csv", ".txt")


class Import937Form(forms.Form):
    file = forms.FileField(
        label=_("937 file"),
        help_text=_("The tickets exported from the 937 system: XLSX (first sheet) or CSV, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )
    check_only = forms.BooleanField(
        label=_("Only check the file: save nothing"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(_("Choose an XLSX or CSV file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB: split it into smaller files."))
        return upload


def _url(name: str, *args) -> str:
    """A page of the complaint admin, or '' while it is not installed."""
    try:
        return reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return ""


def _template_csv() -> HttpResponse:
    """An empty file with the columns, for whoever prepares a file by hand (UTF-8 with BOM, for Excel)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="937-template.csv"'
    response.write("\ufeff")
    csv.writer(response).writerow(moh937.COLUMNS)
    return response


def import_937_view(request, admin_site=None):
    """Upload a 937 file: every row is checked, then every new ticket is saved, or none."""
    site = admin_site or admin.site
    if not moh937.may_import(request.user):
        raise PermissionDenied
    if request.method == "GET" and request.GET.get("template") == "csv":
        return _template_csv()
    report = None
    if request.method == "POST":
        form = Import937Form(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            # The upload holds callers' details: a private directory, removed as soon as it is read.
            with tempfile.TemporaryDirectory(prefix="px360-937-") as directory:
                target = Path(directory) / f"upload{Path(upload.name).suffix.lower()}"
                with open(target, "wb") as handle:
                    for chunk in upload.chunks():
                        handle.write(chunk)
                report = moh937.import_937_file(
                    target,
                    user=request.user,
                    request=request,
                    file_name=Path(upload.name).name,
                    check_only=form.cleaned_data["check_only"],
                )
            form = Import937Form()
    else:
        form = Import937Form()

    def with_links(outcomes):
        return [
            {
                "row": outcome.row,
                "ticket": outcome.ticket,
                "reference": outcome.reference,
                "url": _url("complaints_complaint_change", outcome.complaint_id) if outcome.complaint_id else "",
            }
            for outcome in outcomes
        ]

    context = {
        **site.each_context(request),
        "title": _("Import from the Ministry's 937 line"),
        "opts": Complaint._meta,
        "form": form,
        "columns": moh937.COLUMN_DEFINITIONS,
        "report": report,
        "file_problem": report.worded_file_problem(html=True) if report else "",
        "problems": report.worded_problems(html=True) if report else [],
        "new": with_links(report.new) if report else [],
        "received": with_links(report.received) if report else [],
        "changelist_url": _url("complaints_complaint_changelist"),
        "template_url": f"{request.path}?template=csv",
    }
    request.current_app = site.name
    return TemplateResponse(request, "complaints/admin/import_937.html", context)


def urls(admin_site=None) -> list:
    """The page's URL, for ``ComplaintAdmin.get_urls`` (before the admin's own catch-all patterns)."""
    site = admin_site or admin.site

    def view(request):
        return import_937_view(request, admin_site=site)

    return [path("import-937/", site.admin_view(view), name=URL_NAME)]
