"""One masking rule, seen by every role on every surface that can show a national ID.

Hospital Admins, PX Admins and superusers read national IDs in full; every
other role reads the last four digits, or cannot open the page at all. The
expectations are written out per role below (not computed from the masking
module), so lowering the level in ``px360.core.masking`` or an export that
forgets to mask fails here.
"""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.core.masking import is_masked_value, mask_national_id, national_id_for, sees_full_identifiers
from px360.journeys.models import Encounter
from px360.organizations.models import Patient

from ..factories import DepartmentFactory, PatientFactory, UserFactory, valid_national_id
from ..organizations.importing import admin_url, read_sheet, sheet_bytes

pytestmark = pytest.mark.django_db

SUPERUSER = "superuser"
FULL, MASKED, NONE = "full", "masked", "no access"

PATIENT_SURFACES = (
    "list",
    "change page",
    "history",
    "history version",
    "search by MRN",
    "search by name",
    "export csv",
    "export xlsx",
    "import preview",
)
ENCOUNTER_SURFACES = ("encounter export csv", "encounter export xlsx")

# What each role reads on the patient pages and in the encounter export.
# Department Managers see encounters of their department tree but no patient
# records (patients belong to a hospital, not a department).
EXPECTED = {
    SUPERUSER: (FULL, FULL),
    RoleCode.PX_ADMIN: (FULL, FULL),
    RoleCode.HOSPITAL_ADMIN: (FULL, FULL),
    RoleCode.DEPARTMENT_MANAGER: (NONE, MASKED),
    RoleCode.PX_COORDINATOR: (MASKED, MASKED),
    RoleCode.PHYSICIAN: (NONE, NONE),
    RoleCode.NURSE: (NONE, NONE),
    RoleCode.STAFF: (NONE, NONE),
    RoleCode.VIEWER: (NONE, NONE),
}
ROLES = list(EXPECTED)


def _role_id(role) -> str:
    return str(getattr(role, "value", role))


@pytest.fixture
def scene(roles, hospital_a):
    """A patient whose national ID was corrected once, and one encounter of theirs."""
    department = DepartmentFactory(hospital=hospital_a, code="MED", name_en="Medicine")
    first_id, current_id = valid_national_id(31337), valid_national_id(27182)
    patient = PatientFactory(
        hospital=hospital_a, mrn="MASK-1", national_id=first_id, name_en="Maskable Person", name_ar="شخص"
    )
    patient.national_id = current_id
    patient.save()
    Encounter.objects.create(
        hospital=hospital_a,
        encounter_number="ENC-MASK",
        encounter_type="OPD",
        patient=patient,
        department=department,
        admitted_at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC),
    )
    return {"hospital": hospital_a, "department": department, "patient": patient, "ids": (first_id, current_id)}


def _viewer(role, scene):
    if role == SUPERUSER:
        return UserFactory(username="root", is_superuser=True)
    return UserFactory(
        username=f"u_{role.value}", role=role, hospital=scene["hospital"], department=scene["department"]
    )


def _get(client, url, **params) -> str:
    response = client.get(url, params)
    return response.content.decode() if response.status_code == 200 else ""


def _export(client, model, file_format) -> str:
    url = admin_url(model, "export")
    page = client.get(url)
    if page.status_code != 200:
        return ""
    form = page.context["form"]
    data = {"resource": "0"}
    data["format"] = next(value for value, label in form.fields["format"].choices if str(label).lower() == file_format)
    for name, field in form.fields.items():
        if name not in ("format", "resource") and field.__class__.__name__ == "BooleanField":
            data[name] = "on"
    response = client.post(url, data)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return "\n".join(",".join(row) for row in read_sheet(content, file_format))


def _import_preview(client, patient, new_id) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = admin_url(Patient, "import")
    if client.get(url).status_code != 200:
        return ""
    rows = [
        ["hospital_code", "mrn", "national_id", "name_ar", "name_en"],
        # The masked value (as a masked export writes it) means "unchanged" for everyone.
        [patient.hospital.code, patient.mrn, mask_national_id(patient.national_id), "اسم", "Renamed"],
        [patient.hospital.code, "MASK-NEW", new_id, "جديد", "Newcomer"],
    ]
    upload = SimpleUploadedFile("patients.csv", sheet_bytes(rows))
    response = client.post(url, {"resource": "0", "format": "1", "import_file": upload})
    result = response.context["result"]
    assert not result.has_validation_errors() and not result.has_errors()
    return response.content.decode()


def _surface(client, name, scene) -> tuple[str, list[str]]:
    """The page or file a surface shows, and the national IDs it concerns."""
    patient = scene["patient"]
    first_id, current_id = scene["ids"]
    change_url = reverse("admin:organizations_patient_change", args=[patient.pk])
    if name == "list":
        return _get(client, admin_url(Patient, "changelist")), [current_id]
    if name == "change page":
        return _get(client, change_url), [current_id]
    if name == "history":
        return _get(client, reverse("admin:organizations_patient_history", args=[patient.pk])), [first_id, current_id]
    if name == "history version":
        oldest = patient.history.order_by("history_date").first()
        url = reverse("admin:organizations_patient_simple_history", args=[patient.pk, oldest.history_id])
        return _get(client, url), [first_id]
    if name == "search by MRN":
        return _get(client, admin_url(Patient, "changelist"), q=patient.mrn), [current_id]
    if name == "search by name":
        return _get(client, admin_url(Patient, "changelist"), q="Maskable"), [current_id]
    if name.startswith("export"):
        return _export(client, Patient, name.split()[-1]), [current_id]
    if name.startswith("encounter export"):
        return _export(client, Encounter, name.split()[-1]), [current_id]
    if name == "import preview":
        new_id = valid_national_id(55511)
        return _import_preview(client, patient, new_id), [current_id, new_id]
    raise AssertionError(name)


def _outcome(content: str, ids: list[str]) -> str:
    if content and all(national_id in content for national_id in ids):
        return FULL
    if any(national_id in content for national_id in ids):
        return "partly full"
    if content and all(mask_national_id(national_id) in content for national_id in ids):
        return MASKED
    return NONE


@pytest.mark.parametrize("role", ROLES, ids=_role_id)
def test_each_role_reads_national_ids_as_its_level_allows_on_every_surface(client, scene, role):
    client.force_login(_viewer(role, scene))
    patient_expected, encounter_expected = EXPECTED[role]
    seen = {}
    for name in PATIENT_SURFACES + ENCOUNTER_SURFACES:
        content, ids = _surface(client, name, scene)
        seen[name] = _outcome(content, ids)
    wanted = dict.fromkeys(PATIENT_SURFACES, patient_expected) | dict.fromkeys(ENCOUNTER_SURFACES, encounter_expected)
    assert seen == wanted


@pytest.mark.parametrize("role", ROLES, ids=_role_id)
def test_the_rule_itself_follows_the_role_level(roles, hospital_a, role):
    user = _viewer(role, {"hospital": hospital_a, "department": None})
    full = EXPECTED[role][0] == FULL or role in (SUPERUSER, RoleCode.PX_ADMIN, RoleCode.HOSPITAL_ADMIN)
    assert sees_full_identifiers(user) is full
    shown = national_id_for(user, "1234567890")
    assert shown == ("1234567890" if full else "••••••7890")
    assert is_masked_value(shown) is not full


def test_no_one_signed_out_sees_a_full_national_id():
    from django.contrib.auth.models import AnonymousUser

    assert not sees_full_identifiers(None) and not sees_full_identifiers(AnonymousUser())
    assert national_id_for(None, "1234567890") == "••••••7890"
    assert mask_national_id("") == "" and mask_national_id(None) == ""
