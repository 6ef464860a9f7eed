"""Organisation imports never cross hospitals, never reveal, never change what the role cannot.

Every test goes through the admin as a person would: upload the file, read the
preview, press confirm. Hospital B's records carry ``MARK`` in every name, so
any of them showing on a page is easy to see.
"""

import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.utils import translation

from px360.accounts.roles import RoleCode
from px360.core.masking import mask_national_id
from px360.core.models import AuditAction, AuditEvent
from px360.core.resources import neutralise_formula, restore_formula
from px360.organizations.models import Department, Hospital, Patient, Physician

from ..factories import DepartmentFactory, HospitalFactory, PatientFactory, PhysicianFactory, valid_national_id
from .importing import (
    export_file,
    import_confirm,
    import_preview,
    preview_cells,
    preview_errors,
    read_sheet,
    sheet_bytes,
)

pytestmark = pytest.mark.django_db

MARK = "QQJEDDAH"


@pytest.fixture
def jeddah(db):
    """Hospital B and one record of each kind, named so they are easy to spot."""
    hospital = HospitalFactory(code="JED", name=f"{MARK} H", name_ar=f"{MARK} م", name_en=f"{MARK} Hospital")
    return {
        Hospital: hospital,
        Department: DepartmentFactory(hospital=hospital, code="CARD", name_ar=f"{MARK} قلب", name_en=f"{MARK} Cardio"),
        Physician: PhysicianFactory(
            hospital=hospital, license_number="JEDLIC1", name_ar=f"{MARK} د", name_en=f"{MARK} Dr"
        ),
        Patient: PatientFactory(hospital=hospital, mrn="JEDMRN1", name_ar=f"{MARK} مريض", name_en=f"{MARK} Patient"),
    }


def grant(user, *codenames):
    """Model permissions beyond the role table, for scopes no role imports with today."""
    for codename in codenames:
        app_label, name = codename.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=name))
    # Permission caches live on the user object the client reloads per request.
    return user


# One row per model: a key of hospital B (exists, out of scope) and an unknown key of the same shape.
ROWS = {
    Hospital: (["code", "name_ar", "name_en"], ["{key}", "اسم جديد", "Renamed"], "JED", "NOWHERE"),
    Department: (
        ["hospital_code", "code", "name_ar", "name_en"],
        ["JED", "{key}", "اسم جديد", "Renamed"],
        "CARD",
        "NOWHERE",
    ),
    Physician: (
        ["license_number", "name_ar", "name_en", "hospital_code"],
        ["{key}", "اسم جديد", "Renamed", "JED"],
        "JEDLIC1",
        "NOWHERE",
    ),
    Patient: (
        ["hospital_code", "mrn", "name_ar", "name_en"],
        ["JED", "{key}", "اسم جديد", "Renamed"],
        "JEDMRN1",
        "NOWHERE",
    ),
}


def _rows(model, key):
    header, row, _existing, _unknown = ROWS[model]
    return [header, [cell.replace("{key}", key) for cell in row]]


def _page_without_noise(response, key) -> str:
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace(key, "KEY")


@pytest.mark.parametrize("model", list(ROWS), ids=lambda m: m._meta.model_name)
def test_a_key_of_another_hospital_reads_exactly_like_an_unknown_key(client, hospital_admin_a, jeddah, model):
    if model is Hospital:
        # No role imports hospitals below PX Admin; give a Hospital Admin the button to try.
        grant(hospital_admin_a, "organizations.import_hospital")
    client.force_login(hospital_admin_a)
    stored = jeddah[model]
    before = {field.attname: getattr(stored, field.attname) for field in model._meta.concrete_fields}
    _header, _row, existing, unknown = ROWS[model]

    outside = import_preview(client, model, _rows(model, existing))
    missing = import_preview(client, model, _rows(model, unknown))

    assert outside.status_code == missing.status_code == 200
    assert preview_errors(outside) and preview_errors(outside) == preview_errors(missing)
    assert "confirm_form" not in outside.context and "confirm_form" not in missing.context
    assert _page_without_noise(outside, existing) == _page_without_noise(missing, unknown)
    assert MARK not in outside.content.decode()
    stored.refresh_from_db()
    assert {field.attname: getattr(stored, field.attname) for field in model._meta.concrete_fields} == before
    assert not model._default_manager.filter(**{ROWS[model][0][ROWS[model][1].index("{key}")]: unknown}).exists()


def test_a_physician_of_another_hospital_is_not_moved_renamed_or_shown(client, hospital_admin_a, hospital_a, jeddah):
    """The red-team case: a Riyadh admin names a Jeddah licence with the Riyadh hospital."""
    client.force_login(hospital_admin_a)
    physician = jeddah[Physician]
    rows = [["license_number", "name_ar", "name_en", "hospital_code"], ["JEDLIC1", "منقول", "Moved", "HA"]]

    preview = import_preview(client, Physician, rows)
    unknown = import_preview(client, Physician, [rows[0], ["NEWLIC1", "منقول", "Moved", "HA"]])

    # Licences are unique per hospital: the Jeddah licence reads exactly like
    # an unknown one (a new Riyadh record), and nothing of Jeddah's is shown.
    assert MARK not in preview.content.decode()
    assert preview_errors(preview) == preview_errors(unknown) == []
    assert "confirm_form" in preview.context
    import_confirm(client, Physician, preview)
    physician.refresh_from_db()
    assert (physician.hospital, physician.name_en) == (jeddah[Hospital], f"{MARK} Dr")
    riyadh = Physician.objects.get(hospital=hospital_a, license_number="JEDLIC1")
    assert riyadh.name_en == "Moved"


def test_a_row_for_another_hospital_is_refused_like_an_unknown_hospital(client, hospital_admin_a, jeddah):
    client.force_login(hospital_admin_a)
    header = ["hospital_code", "mrn", "name_ar", "name_en"]
    other = import_preview(client, Patient, [header, ["JED", "NEW1", "س", "S"]])
    unknown = import_preview(client, Patient, [header, ["XXX", "NEW1", "س", "S"]])
    ((_n, other_errors),) = preview_errors(other)
    ((_n, unknown_errors),) = preview_errors(unknown)
    assert list(other_errors) == ["hospital_code"]
    assert other_errors["hospital_code"] == [
        message.replace("XXX", "JED") for message in unknown_errors["hospital_code"]
    ]
    assert not Patient.objects.filter(mrn="NEW1").exists()


# An update of hospital A's physician RUHLIC1 and a new one, RUHLIC2.
OWN_PHYSICIANS = [
    ["license_number", "name_ar", "name_en", "hospital_code"],
    ["RUHLIC1", "جديد", "New", "HA"],
    ["RUHLIC2", "ثان", "Second", "HA"],
]


def test_own_records_are_matched_updated_and_created(client, hospital_admin_a, hospital_a, jeddah):
    """The scope narrows matching; it does not stop the import a hospital admin is for."""
    mine = PhysicianFactory(hospital=hospital_a, license_number="RUHLIC1", name_en="Old")
    client.force_login(hospital_admin_a)
    preview = import_preview(client, Physician, OWN_PHYSICIANS)
    assert not preview_errors(preview)
    assert [row.import_type for row in preview.context["result"].valid_rows()] == ["update", "new"]
    response = import_confirm(client, Physician, preview)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.name_en == "New"
    assert Physician.objects.get(license_number="RUHLIC2").hospital == hospital_a
    assert mine.history.first().history_user == hospital_admin_a


def test_a_record_that_leaves_the_scope_before_confirming_is_not_written(client, hospital_admin_a, hospital_a, jeddah):
    mine = PhysicianFactory(hospital=hospital_a, license_number="RUHLIC1", name_en="Old")
    client.force_login(hospital_admin_a)
    preview = import_preview(client, Physician, OWN_PHYSICIANS)
    assert not preview_errors(preview)
    # Someone moves the physician to Jeddah between the preview and the confirmation.
    Physician.objects.filter(pk=mine.pk).update(hospital=jeddah[Hospital])

    import_confirm(client, Physician, preview)

    # The moved record is out of scope: untouched, and its key now reads as a new Riyadh licence.
    mine.refresh_from_db()
    assert (mine.hospital, mine.name_en) == (jeddah[Hospital], "Old")
    assert Physician.objects.get(hospital=hospital_a, license_number="RUHLIC1").name_en == "New"


def test_a_file_that_turned_bad_before_confirming_writes_nothing(client, coordinator, hospital_a):
    patient = PatientFactory(hospital=hospital_a, mrn="P1", name_en="Old")
    client.force_login(coordinator)
    rows = [
        PATIENT_HEADER,
        ["HA", "P1", mask_national_id(patient.national_id), "س", "New"],
        ["HA", "P2", valid_national_id(2468), "ص", "Second"],
    ]
    preview = import_preview(client, Patient, rows)
    assert not preview_errors(preview)
    # The national ID is corrected in the admin between the preview and the
    # confirmation: the file's masked value no longer stands for the stored one.
    Patient.objects.filter(pk=patient.pk).update(national_id=valid_national_id(1357))

    response = import_confirm(client, Patient, preview)

    notices = [str(message) for message in get_messages(response.wsgi_request)]
    with translation.override("ar"):  # the admin's default language
        expected = translation.gettext(
            "Nothing was imported: some rows are no longer valid. Upload the file again to see why."
        )
    assert notices == [expected]
    event = AuditEvent.objects.filter(action=AuditAction.IMPORT).get()
    assert (event.row_count, event.details["saved"]) == (0, False)
    patient.refresh_from_db()
    assert patient.name_en == "Old"
    # All or nothing: the file's other row is not saved either.
    assert not Patient.objects.filter(mrn="P2").exists()


def test_a_hospital_admin_cannot_move_own_records_to_another_hospital(client, hospital_admin_a, hospital_a, jeddah):
    mine = PhysicianFactory(hospital=hospital_a, license_number="RUHLIC1", name_en="Mine")
    client.force_login(hospital_admin_a)
    rows = [["license_number", "name_ar", "name_en", "hospital_code"], ["RUHLIC1", "منقول", "Moved", "JED"]]
    preview = import_preview(client, Physician, rows)
    assert [list(errors) for _n, errors in preview_errors(preview)] == [["hospital_code"]]
    mine.refresh_from_db()
    assert (mine.hospital, mine.name_en) == (hospital_a, "Mine")


def test_a_department_manager_imports_only_within_their_department_tree(client, make_user, hospital_a, jeddah):
    """A scope narrower than a hospital is checked by the access policy on the saved row."""
    top = DepartmentFactory(hospital=hospital_a, code="MED", name_en="Medicine")
    ward = DepartmentFactory(hospital=hospital_a, code="WARD", name_en="Ward", parent=top)
    elsewhere = DepartmentFactory(hospital=hospital_a, code="SURG", name_en="Surgery")
    manager = make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=top, username="dm")
    grant(manager, "organizations.import_department", "organizations.add_department")
    client.force_login(manager)
    header = ["hospital_code", "code", "name_ar", "name_en"]

    inside = import_preview(client, Department, [header, ["HA", "WARD", "جناح", "Ward renamed"]])
    assert not preview_errors(inside)
    import_confirm(client, Department, inside)
    ward.refresh_from_db()
    assert ward.name_en == "Ward renamed"

    for row in (["HA", "SURG", "ج", "Surgery renamed"], ["HA", "BRANDNEW", "ج", "New"]):
        refused = import_preview(client, Department, [header, row])
        assert preview_errors(refused), row
    elsewhere.refresh_from_db()
    assert elsewhere.name_en == "Surgery"
    assert not Department.objects.filter(code="BRANDNEW").exists()


# --- masked national IDs in patient imports ----------------------------------------------


@pytest.fixture
def coordinator(make_user, hospital_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord")


PATIENT_HEADER = ["hospital_code", "mrn", "national_id", "name_ar", "name_en"]


def test_the_preview_shows_a_coordinator_masked_national_ids(client, coordinator, hospital_a):
    patient = PatientFactory(hospital=hospital_a, mrn="P1", name_en="Before")
    new_id = valid_national_id(777)
    client.force_login(coordinator)
    rows = [
        PATIENT_HEADER,
        ["HA", "P1", mask_national_id(patient.national_id), "س", "After"],
        ["HA", "P2", new_id, "ع", "Newcomer"],
    ]
    preview = import_preview(client, Patient, rows)
    assert not preview_errors(preview)
    html = preview.content.decode()
    assert patient.national_id not in html and new_id not in html
    cells = preview_cells(preview)
    assert mask_national_id(patient.national_id) in cells[0][2]
    assert mask_national_id(new_id) in cells[1][2]


@pytest.mark.parametrize(
    "cell",
    ["other", "stored", "empty"],
    ids=["a different number", "the stored number in full", "an empty cell"],
)
def test_a_coordinator_cannot_change_a_stored_national_id(client, coordinator, hospital_a, cell):
    """Refused whatever the value, so the answer never tells whether a guess was right."""
    patient = PatientFactory(hospital=hospital_a, mrn="P1")
    stored = patient.national_id
    value = {"other": valid_national_id(4321), "stored": stored, "empty": ""}[cell]
    client.force_login(coordinator)
    preview = import_preview(client, Patient, [PATIENT_HEADER, ["HA", "P1", value, "س", "S"]])
    ((_number, errors),) = preview_errors(preview)
    assert list(errors) == ["national_id"]
    # The page repeats the file's own cells, and nothing of the stored number beyond them.
    assert (stored in preview.content.decode()) == (value == stored)
    patient.refresh_from_db()
    assert patient.national_id == stored


def test_a_hospital_admin_changes_a_national_id_and_a_masked_value_means_unchanged(
    client, hospital_admin_a, hospital_a
):
    first = PatientFactory(hospital=hospital_a, mrn="P1")
    second = PatientFactory(hospital=hospital_a, mrn="P2")
    new_id = valid_national_id(98765)
    kept = second.national_id
    client.force_login(hospital_admin_a)
    rows = [
        PATIENT_HEADER,
        ["HA", "P1", new_id, first.name_ar, first.name_en],
        ["HA", "P2", mask_national_id(kept), second.name_ar, second.name_en],
    ]
    preview = import_preview(client, Patient, rows)
    assert not preview_errors(preview)
    assert [row.import_type for row in preview.context["result"].valid_rows()] == ["update", "skip"]
    import_confirm(client, Patient, preview)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.national_id == new_id and second.national_id == kept

    wrong_mask = import_preview(client, Patient, [PATIENT_HEADER, ["HA", "P2", "••••••0000", "س", "S"]])
    assert [list(errors) for _n, errors in preview_errors(wrong_mask)] == [["national_id"]]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("role", [RoleCode.PX_COORDINATOR, RoleCode.HOSPITAL_ADMIN])
def test_a_patient_export_imports_again_as_it_is(client, make_user, hospital_a, role, file_format):
    PatientFactory(
        hospital=hospital_a,
        mrn="=1+2",
        name_en="@SUM(A1)",
        name_ar="-مريض",
        phone="+966501234567",
        email="p@example.com",
        birth_date="1980-02-03",
        gender="F",
    )
    PatientFactory(hospital=hospital_a, mrn="PLAIN", national_id="")
    PatientFactory(hospital=hospital_a, mrn="'=quoted")
    user = make_user(role, hospital=hospital_a, username="porter")
    client.force_login(user)
    before = list(Patient.objects.order_by("mrn").values())

    exported = export_file(client, Patient, file_format)
    cells = [cell for row in read_sheet(exported, file_format) for cell in row]
    assert "'=1+2" in cells and "'+966501234567" in cells and "''=quoted" in cells

    preview = import_preview(client, Patient, exported, file_format)
    assert not preview_errors(preview), preview_errors(preview)
    assert preview.context["result"].totals["skip"] == 3, preview_cells(preview)
    import_confirm(client, Patient, preview)
    assert list(Patient.objects.order_by("mrn").values()) == before


@pytest.mark.parametrize("value", ["=1+2", "+9665", "-3", "@x", "\tx", "'=x", "''+x", "'plain", "plain", "", None])
def test_the_formula_guard_comes_off_exactly_as_it_went_on(value):
    assert restore_formula(neutralise_formula(value)) == value


def test_an_imported_row_keeps_its_number_column_and_reason(client, hospital_admin_a, hospital_a):
    client.force_login(hospital_admin_a)
    rows = [PATIENT_HEADER, ["HA", "OK1", "", "س", "S"], ["XXX", "BAD", "", "س", "S"]]
    preview = import_preview(client, Patient, rows)
    ((number, errors),) = preview_errors(preview)
    assert number == 2 and list(errors) == ["hospital_code"]


def test_every_import_resource_resolves_related_codes_within_scope():
    """A resource added later with a plain foreign-key widget fails loudly instead of reading every hospital."""
    from django.contrib import admin
    from django.core.exceptions import ImproperlyConfigured
    from import_export import fields, widgets

    from px360.core.resources import PXResource

    for model_admin in admin.site._registry.values():
        for resource_class in getattr(model_admin, "resource_classes", []):
            assert issubclass(resource_class, PXResource), resource_class
            resource_class(user=None)

    class Careless(PXResource):
        hospital = fields.Field(attribute="hospital", widget=widgets.ForeignKeyWidget(Hospital, "code"))

        class Meta:
            model = Patient
            fields = ("hospital", "mrn")

    with pytest.raises(ImproperlyConfigured):
        Careless(user=None)


def test_each_import_resolves_codes_for_its_own_importer(hospital_admin_a, make_user, hospital_b):
    """Widgets are per resource: one person's import never resolves codes with another's scope."""
    from px360.organizations.resources import PatientResource

    other = make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_b, username="hb_admin")
    mine, theirs = PatientResource(user=hospital_admin_a), PatientResource(user=other)
    assert mine.fields["hospital"].widget.px_user == hospital_admin_a
    assert theirs.fields["hospital"].widget.px_user == other


def test_sheet_bytes_round_trip():
    assert read_sheet(sheet_bytes([["a", "b"], ["1", "2"]], "xlsx"), "xlsx") == [["a", "b"], ["1", "2"]]
