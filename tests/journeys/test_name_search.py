import pytest

from px360.organizations.search import name_search_value, normalize_name

from ..factories import PatientFactory


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهيم"),
        ("آمنة", "امنه"),
        ("مصطفى", "مصطفي"),
        ("مُحَمَّد", "محمد"),
        ("عـــلي", "علي"),
        ("  Ahmed   AL-Harbi ", "ahmed al-harbi"),
    ],
)
def test_normalize_name_folds_spelling_variants(variant, plain):
    assert normalize_name(variant) == plain


@pytest.mark.django_db
def test_patient_save_keeps_name_search(hospital_a):
    patient = PatientFactory(hospital=hospital_a, name_ar="فاطمة", name_en="Fatimah")
    assert patient.name_search == name_search_value("فاطمة", "Fatimah") == "فاطمه | fatimah"
    patient.name_ar = "آمنة"
    patient.save(update_fields=["name_ar"])
    patient.refresh_from_db()
    assert patient.name_search.startswith("امنه")
