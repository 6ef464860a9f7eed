"""Demo HIS messages: per demo hospital, one applied and one that failed, received and
processed by the intake service exactly as the HIS endpoint does it."""

import json
from datetime import timedelta

from django.utils import timezone

from px360.organizations.models import Hospital, Patient, Physician

from .models import IntegrationSource
from .services import api_key_create, event_process, event_receive

DEMO_HOSPITALS = ["RYD", "JED"]


def load_demo_his_messages(*, password=None):
    """A demo HIS source per hospital (its key is not kept: a coordinator rotates one to
    connect a real sender), an A04 registering a visit of a demo patient, which is
    applied, and an A03 discharging an encounter the HIS never registered, which fails
    with the reason an analyst reads. Loaded once per hospital: an existing source
    means its messages exist."""
    for hospital in Hospital.objects.filter(code__in=DEMO_HOSPITALS).order_by("code"):
        source, created = IntegrationSource.objects.get_or_create(
            code=f"demo-his-{hospital.code.lower()}", defaults={"name": f"HIS {hospital.name_en}"}
        )
        if not created:
            continue
        source.hospitals.add(hospital)
        api_key, _key = api_key_create(source=source)
        for message in demo_messages(hospital):
            receipt = event_receive(
                api_key=api_key,
                body=json.dumps(message, ensure_ascii=False).encode(),
                content_type="application/json",
            )
            if receipt.event is not None and receipt.status == 202:
                event_process(event_id=receipt.event.pk)
    return []


def demo_messages(hospital) -> list[dict]:
    """Two JSON events as the HIS sends them, timed relative to now."""
    patient = Patient.objects.filter(hospital=hospital).order_by("mrn").first()
    physician = Physician.objects.filter(hospital=hospital).order_by("license_number").first()
    now = timezone.localtime()
    arrived = now - timedelta(hours=3)
    code = hospital.code
    registration = {
        "message_id": f"{code}-ADT-000101",
        "event_type": "A04",
        "occurred_at": arrived.isoformat(),
        "hospital_code": code,
        "encounter_number": f"{code}-OPD-90001",
        "encounter_type": "OPD",
        "department_code": "OPD",
        "admitted_at": arrived.isoformat(),
        "patient": {
            "mrn": patient.mrn,
            "national_id": patient.national_id,
            "name_ar": patient.name_ar,
            "name_en": patient.name_en,
            "language": patient.preferred_language,
        },
    }
    if physician is not None:
        registration["physician_license"] = physician.license_number
    left = now - timedelta(hours=1)
    unknown_discharge = {
        "message_id": f"{code}-ADT-000102",
        "event_type": "A03",
        "occurred_at": left.isoformat(),
        "hospital_code": code,
        "encounter_number": f"{code}-OPD-90017",
        "discharged_at": left.isoformat(),
        "patient": {"mrn": patient.mrn},
    }
    return [registration, unknown_discharge]
