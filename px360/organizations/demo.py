"""Bilingual demo organisations: two hospitals, a department tree, people."""

import random
from datetime import date

from px360.core.validators import national_id_is_valid

from .models import Department, Hospital, Patient, Physician

HOSPITALS = [
    ("RYD", "مستشفى النور العام", "Al-Noor General Hospital", "الرياض", "Riyadh", "الرياض", "Riyadh Region"),
    ("JED", "مستشفى الشفاء التخصصي", "Al-Shifa Specialist Hospital", "جدة", "Jeddah", "مكة المكرمة", "Makkah Region"),
]

# code, Arabic, English, parent code
DEPARTMENTS = [
    ("MED", "الباطنة", "Internal Medicine", None),
    ("CARD", "أمراض القلب", "Cardiology", "MED"),
    ("ENDO", "الغدد الصماء", "Endocrinology", "MED"),
    ("SURG", "الجراحة", "Surgery", None),
    ("ORTH", "جراحة العظام", "Orthopaedics", "SURG"),
    ("ED", "الطوارئ", "Emergency Department", None),
    ("PED", "طب الأطفال", "Paediatrics", None),
    ("OPD", "العيادات الخارجية", "Outpatient Clinics", None),
    ("PHAR", "الصيدلية", "Pharmacy", "OPD"),
    ("WARD3", "الجناح الثالث", "Ward 3", "MED"),
]

PHYSICIANS = [
    ("د. خالد العتيبي", "Dr. Khalid Al-Otaibi", "أمراض القلب", "Cardiology", "CARD"),
    ("د. نورة القحطاني", "Dr. Noura Al-Qahtani", "الغدد الصماء", "Endocrinology", "ENDO"),
    ("د. فهد الشهري", "Dr. Fahad Al-Shehri", "جراحة العظام", "Orthopaedics", "ORTH"),
    ("د. سارة الزهراني", "Dr. Sara Al-Zahrani", "طب الطوارئ", "Emergency Medicine", "ED"),
    ("د. عبدالله الدوسري", "Dr. Abdullah Al-Dosari", "طب الأطفال", "Paediatrics", "PED"),
]

FIRST_NAMES = [
    ("محمد", "Mohammed", "M"),
    ("عبدالرحمن", "Abdulrahman", "M"),
    ("فيصل", "Faisal", "M"),
    ("سلطان", "Sultan", "M"),
    ("يوسف", "Yousef", "M"),
    ("تركي", "Turki", "M"),
    ("فاطمة", "Fatimah", "F"),
    ("ريم", "Reem", "F"),
    ("هيفاء", "Haifa", "F"),
    ("لطيفة", "Latifa", "F"),
    ("منيرة", "Munira", "F"),
    ("جواهر", "Jawaher", "F"),
]
FAMILY_NAMES = [
    ("الحربي", "Al-Harbi"),
    ("المطيري", "Al-Mutairi"),
    ("الغامدي", "Al-Ghamdi"),
    ("السبيعي", "Al-Subaie"),
    ("العنزي", "Al-Anazi"),
    ("الشمري", "Al-Shammari"),
]


def demo_national_id(rng: random.Random, first_digit: str = "1") -> str:
    """A random ten-digit number whose check digit is right."""
    body = first_digit + "".join(str(rng.randint(0, 9)) for _ in range(8))
    for check in "0123456789":
        if national_id_is_valid(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


def load_organizations(*, password=None):
    rng = random.Random(360)
    for index, (code, name_ar, name_en, city_ar, city_en, region_ar, region_en) in enumerate(HOSPITALS):
        hospital = Hospital.all_objects.filter(code=code).first()
        if hospital is None:
            hospital = Hospital.objects.create(
                code=code,
                name=name_ar,
                name_ar=name_ar,
                name_en=name_en,
                city=city_ar,
                city_ar=city_ar,
                city_en=city_en,
                region=region_ar,
                region_ar=region_ar,
                region_en=region_en,
            )
        departments = {}
        for dept_code, dept_ar, dept_en, parent_code in DEPARTMENTS:
            department, _created = Department.all_objects.get_or_create(
                hospital=hospital,
                code=dept_code,
                defaults={
                    "name": dept_ar,
                    "name_ar": dept_ar,
                    "name_en": dept_en,
                    "parent": departments.get(parent_code),
                },
            )
            departments[dept_code] = department
        for number, (ar, en, spec_ar, spec_en, dept_code) in enumerate(PHYSICIANS, start=1):
            Physician.all_objects.get_or_create(
                license_number=f"{code}-{10000 + number}",
                defaults={
                    "name": ar,
                    "name_ar": ar,
                    "name_en": en,
                    "specialty": spec_ar,
                    "specialty_ar": spec_ar,
                    "specialty_en": spec_en,
                    "hospital": hospital,
                    "department": departments[dept_code],
                },
            )
        for number in range(1, 31):
            first_ar, first_en, gender = rng.choice(FIRST_NAMES)
            family_ar, family_en = rng.choice(FAMILY_NAMES)
            Patient.all_objects.get_or_create(
                hospital=hospital,
                mrn=f"{code}{index + 1}{number:06d}",
                defaults={
                    "national_id": demo_national_id(rng, "1" if number % 4 else "2"),
                    "name_ar": f"{first_ar} {family_ar}",
                    "name_en": f"{first_en} {family_en}",
                    "gender": gender,
                    "birth_date": date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
                    "nationality": "SA" if number % 4 else "EG",
                    "phone": f"+9665{rng.choice('0345689')}{rng.randint(0, 9999999):07d}",
                    "preferred_language": "ar" if number % 3 else "en",
                },
            )
    return []
