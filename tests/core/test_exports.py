"""List exports from the outside: the "Export list" button of a changelist, as real roles use it.

Exports are the list as its user sees it — scope, filters, search — written
at once when short and by the job cluster when long, with a progress page, a
download kept for a limited time, an audit event, and pages that answer 404
to anyone but the person who asked (and a superuser).

The admin here is the project's, each model admin with
:class:`~px360.core.admin.exporting.ChangelistExportMixin` mixed in (where it
is not already), under the same site name, so ``admin:`` URLs resolve.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import LocalePrefixPattern, path, reverse
from django.utils import timezone, translation
from freezegun import freeze_time
from openpyxl import load_workbook

from px360 import urls as project_urls
from px360.accounts.roles import RoleCode
from px360.core.admin.exporting import ChangelistExportMixin
from px360.core.exports.service import export_jobs_cleanup
from px360.core.models import AuditAction, AuditEvent, ExportJob, ExportStatus
from px360.core.services import hash_sensitive
from px360.journeys.models import Encounter

from ..factories import PatientFactory

pytestmark = pytest.mark.django_db


def _export_site():
    site = type(admin.site)(name=admin.site.name)
    site.site_url = admin.site.site_url
    for model, model_admin in admin.site._registry.items():
        admin_class = type(model_admin)
        if not issubclass(admin_class, ChangelistExportMixin):
            admin_class = type(
                admin_class.__name__, (ChangelistExportMixin, admin_class), {"__module__": admin_class.__module__}
            )
        site.register(model, admin_class)
    return site


def _with_admin(patterns, site):
    """The project's URLs with ``site`` in place of the admin (everything else under the language prefix kept)."""
    result = []
    for pattern in patterns:
        if not isinstance(pattern.pattern, LocalePrefixPattern):
            result.append(pattern)
            continue
        inner = [
            path("admin/", site.urls) if getattr(item, "namespace", None) == "admin" else item
            for item in pattern.url_patterns
        ]
        result.extend(i18n_patterns(*inner, prefix_default_language=True))
    return result


export_site = _export_site()
urlpatterns = _with_admin(project_urls.urlpatterns, export_site)

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def url(name: str, *args, language: str = "en", query: str = "") -> str:
    with translation.override(language):
        address = reverse(f"admin:{name}", args=args)
    return f"{address}?{query}" if query else address


def encounter(hospital, number, *, patient=None, kind="OPD", admitted=None):
    return Encounter.objects.create(
        hospital=hospital,
        encounter_number=number,
        encounter_type=kind,
        patient=patient or PatientFactory(hospital=hospital),
        admitted_at=admitted or timezone.now(),
    )


def download(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def xlsx_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the byte-order mark to read Arabic"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def column(rows, header) -> list:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def coordinator(make_user, hospital_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a")


@pytest.fixture
def rows_a_and_b(hospital_a, hospital_b):
    ahmed = PatientFactory(hospital=hospital_a, mrn="MRN1001", name_en="Ahmed Saleh", national_id="1000000016")
    return {
        "a_opd": encounter(hospital_a, "A-OPD-1", patient=ahmed),
        "a_ems": encounter(hospital_a, "A-EMS-1", kind="EMS", patient=ahmed),
        "a_other": encounter(hospital_a, "A-OPD-2"),
        "b_opd": encounter(hospital_b, "B-OPD-1"),
        "b_ems": encounter(hospital_b, "B-EMS-1", kind="EMS"),
    }


# --- the button and the page ------------------------------------------------------------


def test_the_list_offers_an_export_of_what_it_shows(client, coordinator, rows_a_and_b):
    client.force_login(coordinator)
    page = client.get(url("journeys_encounter_changelist", query="encounter_type__exact=EMS"))
    assert page.status_code == 200
    assert page.context["px_export_url"] == url("journeys_encounter_list_export", query="encounter_type__exact=EMS")
    assert "Export list" in page.content.decode()
    assert url("journeys_encounter_list_export", query="encounter_type__exact=EMS") in page.content.decode()


def test_a_list_without_import_or_export_gets_the_button_too(client, superuser):
    client.force_login(superuser)
    page = client.get(url("journeys_journeytemplate_changelist", query="is_active__exact=1"))
    assert url("journeys_journeytemplate_list_export", query="is_active__exact=1") in page.content.decode()
    form = client.get(page.context["px_export_url"])
    assert form.status_code == 200 and form.context["row_count"] == 0


def test_a_role_without_the_export_permission_has_no_button_and_gets_403(client, make_user, hospital_a):
    viewer = make_user(RoleCode.VIEWER, hospital=hospital_a)  # sees responses, may not export them
    client.force_login(viewer)
    page = client.get(url("surveys_surveyresponse_changelist"))
    assert page.status_code == 200 and "px_export_url" not in page.context
    assert client.get(url("surveys_surveyresponse_list_export")).status_code == 403
    assert client.post(url("surveys_surveyresponse_list_export"), {"format": "xlsx"}).status_code == 403


# --- scope, filters, search ---------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_a_short_list_downloads_at_once_with_only_what_the_user_sees(client, coordinator, rows_a_and_b, file_format):
    client.force_login(coordinator)
    response = client.post(url("journeys_encounter_list_export"), {"format": file_format})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = xlsx_rows(download(response)) if file_format == "xlsx" else csv_rows(download(response))
    assert sorted(column(rows, "Encounter number")) == ["A-EMS-1", "A-OPD-1", "A-OPD-2"]


def test_the_lists_filters_and_search_are_exported_and_audited_with_identifiers_hashed(
    client, coordinator, rows_a_and_b
):
    client.force_login(coordinator)
    query = "encounter_type__exact=EMS&q=MRN1001"
    response = client.post(url("journeys_encounter_list_export", query=query), {"format": "xlsx"})
    rows = xlsx_rows(download(response))
    assert column(rows, "Encounter number") == ["A-EMS-1"]
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=coordinator).get()
    assert event.row_count == 1
    assert event.details["format"] == "xlsx" and event.details["background"] is False
    assert event.details["filters"]["encounter_type__exact"] == "EMS"
    assert event.details["filters"]["q"] == {"kind": "identifier", "hash": hash_sensitive("MRN1001")}
    assert "MRN1001" not in str(event.details)


def test_a_lookup_the_list_does_not_declare_is_refused_for_exports_too(client, coordinator, rows_a_and_b):
    client.force_login(coordinator)
    probe = url("journeys_encounter_list_export", query="patient__national_id__startswith=1")
    assert client.get(probe).status_code == 400
    assert client.post(probe, {"format": "csv"}).status_code == 400


def test_another_hospitals_rows_never_reach_a_background_export(
    client, coordinator, rows_a_and_b, settings, django_capture_on_commit_callbacks
):
    settings.PX360_EXPORT_IMMEDIATE_ROWS = 1
    client.force_login(coordinator)
    # A filter naming hospital B's id selects nothing, in the list and in the export.
    query = f"hospital__id__exact={rows_a_and_b['b_opd'].hospital_id}"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("journeys_encounter_list_export"), {"format": "csv"})
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE and job.processed_rows == 3
    rows = csv_rows(download(client.get(url("journeys_encounter_list_export_download", job.pk))))
    assert sorted(column(rows, "Encounter number")) == ["A-EMS-1", "A-OPD-1", "A-OPD-2"]
    response = client.post(url("journeys_encounter_list_export", query=query), {"format": "csv"})
    assert csv_rows(download(response))[1:] == []


def test_the_job_rebuilds_the_lists_filters_and_search_as_its_user_sees_them(
    client, coordinator, rows_a_and_b, settings, django_capture_on_commit_callbacks
):
    settings.PX360_EXPORT_IMMEDIATE_ROWS = 0  # every list with a row goes to the job cluster
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("journeys_encounter_list_export", query="encounter_type__exact=EMS&q=MRN1001"), {"format": "xlsx"}
        )
    job = ExportJob.objects.get()
    assert job.params == {"encounter_type__exact": ["EMS"], "q": ["MRN1001"]}
    assert job.status == ExportStatus.DONE and job.processed_rows == 1
    rows = xlsx_rows(download(client.get(url("journeys_encounter_list_export_download", job.pk))))
    assert column(rows, "Encounter number") == ["A-EMS-1"]
    written = AuditEvent.objects.get(action=AuditAction.EXPORT, details__background=True)
    assert written.details["filters"]["q"] == {"kind": "identifier", "hash": hash_sensitive("MRN1001")}


# --- background jobs ----------------------------------------------------------------------


def test_a_long_list_is_written_by_the_job_cluster_with_progress_and_a_download_link(
    client, coordinator, rows_a_and_b, settings, django_capture_on_commit_callbacks
):
    settings.PX360_EXPORT_IMMEDIATE_ROWS = 2
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("journeys_encounter_list_export", query="o=1"), {"format": "xlsx"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == url("journeys_encounter_list_export_job", job.pk)
    assert job.user == coordinator and job.params == {"o": ["1"]} and job.language == "en"
    assert job.status == ExportStatus.DONE and job.total_rows == job.processed_rows == 3 and job.progress == 100
    assert job.expires_at == job.finished_at + timedelta(hours=24)

    status = client.get(url("journeys_encounter_list_export_status", job.pk)).json()
    assert status["finished"] and status["progress"] == 100 and status["download_url"]
    page = client.get(url("journeys_encounter_list_export_job", job.pk))
    assert page.status_code == 200 and "Download the file" in page.content.decode()
    rows = xlsx_rows(download(client.get(status["download_url"])))
    assert len(rows) == 4

    written = AuditEvent.objects.get(action=AuditAction.EXPORT, details__background=True)
    assert written.actor == coordinator and written.row_count == 3 and written.details["job"] == str(job.pk)
    assert written.details["filters"] == {"o": "1"}
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, details__download=str(job.pk)).count() == 1


def test_a_job_queued_while_waiting_shows_its_progress_page(client, coordinator, rows_a_and_b, settings):
    settings.PX360_EXPORT_IMMEDIATE_ROWS = 2
    client.force_login(coordinator)
    client.post(url("journeys_encounter_list_export"), {"format": "csv"})  # not committed: still waiting
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.PENDING
    page = client.get(url("journeys_encounter_list_export_job", job.pk)).content.decode()
    assert "This page updates by itself" in page and "Download the file" not in page
    assert client.get(url("journeys_encounter_list_export_download", job.pk)).status_code == 404


@pytest.mark.parametrize("who", ["colleague", "px_admin", "other_hospital"])
def test_someone_elses_export_is_a_404(
    client, coordinator, rows_a_and_b, settings, make_user, hospital_a, hospital_b, who, superuser,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.PX360_EXPORT_IMMEDIATE_ROWS = 1
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("journeys_encounter_list_export"), {"format": "csv"})
    job = ExportJob.objects.get()
    others = {
        "colleague": lambda: make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a),
        "px_admin": lambda: make_user(RoleCode.PX_ADMIN),
        "other_hospital": lambda: make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_b),
    }
    client.force_login(others[who]())
    for name in ("journeys_encounter_list_export_job", "journeys_encounter_list_export_status"):
        assert client.get(url(name, job.pk)).status_code == 404
    assert client.get(url("journeys_encounter_list_export_download", job.pk)).status_code == 404
    client.force_login(superuser)
    assert client.get(url("journeys_encounter_list_export_download", job.pk)).status_code == 200


def test_a_job_is_found_only_under_its_own_list(client, coordinator, rows_a_and_b, settings):
    settings.PX360_EXPORT_IMMEDIATE_ROWS = 1
    client.force_login(coordinator)
    client.post(url("journeys_encounter_list_export"), {"format": "csv"})
    job = ExportJob.objects.get()
    assert client.get(url("organizations_patient_list_export_job", job.pk)).status_code == 404


def test_a_deactivated_account_gets_no_file(coordinator, rows_a_and_b, settings, client):
    from px360.core.exports.service import export_job_run

    settings.PX360_EXPORT_IMMEDIATE_ROWS = 1
    client.force_login(coordinator)
    client.post(url("journeys_encounter_list_export"), {"format": "csv"})
    coordinator.is_active = False
    coordinator.save()
    job = export_job_run(job=ExportJob.objects.get())
    assert job.status == ExportStatus.FAILED and not job.file
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_expired_files_are_deleted_by_the_cleanup_job_and_their_link_is_gone(
    client, coordinator, rows_a_and_b, settings, django_capture_on_commit_callbacks
):
    settings.PX360_EXPORT_IMMEDIATE_ROWS = 1
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("journeys_encounter_list_export"), {"format": "xlsx"})
    job = ExportJob.objects.get()
    stored = job.file.path
    link = url("journeys_encounter_list_export_download", job.pk)
    assert client.get(link).status_code == 200
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    # Past its time the link is dead even before the cleanup runs.
    assert client.get(link).status_code == 404
    assert export_jobs_cleanup() == {"expired": 1, "stale": 0}
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not job.file and job.params == {}
    import os

    assert not os.path.exists(stored)
    page = client.get(url("journeys_encounter_list_export_job", job.pk)).content.decode()
    assert "no longer kept" in page


def test_the_cleanup_job_fails_exports_that_never_finished(coordinator):
    job = ExportJob.objects.create(
        user=coordinator, model_label="journeys.encounter", export_format="csv", params={"q": ["x"]}
    )
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    assert export_jobs_cleanup() == {"expired": 0, "stale": 0}
    with freeze_time(timezone.now() + timedelta(days=1)):
        assert export_jobs_cleanup() == {"expired": 0, "stale": 1}
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.params == {} and job.failure_reason


def test_the_cleanup_job_is_scheduled_by_name():
    from px360.core.exports import tasks

    assert tasks.export_cleanup() == {"expired": 0, "stale": 0}


# --- masking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "shown"), [(RoleCode.PX_COORDINATOR, "••••••0016"), (RoleCode.HOSPITAL_ADMIN, "1000000016")]
)
def test_national_ids_are_exported_as_the_role_reads_them(client, make_user, hospital_a, rows_a_and_b, role, shown):
    client.force_login(make_user(role, hospital=hospital_a))
    for file_format in ("xlsx", "csv"):
        response = client.post(url("organizations_patient_list_export", query="q=MRN1001"), {"format": file_format})
        rows = xlsx_rows(download(response)) if file_format == "xlsx" else csv_rows(download(response))
        header = next(h for h in rows[0] if "national ID" in str(h) or "National ID" in str(h))
        assert column(rows, header) == [shown], file_format
