from datetime import UTC, datetime, timedelta, timezone

import pytest

from px360.integrations.hl7 import HL7Error, build_ack, parse_adt, parse_hl7_datetime, read_header

from .messages import NATIONAL_ID, adt

RIYADH = timezone(timedelta(hours=3))


def test_an_a04_maps_every_field_of_the_contract():
    event = parse_adt(adt("A04", control_id="MSG1", admitted="20261120083000", discharged=""))
    assert event.message_id == "MSG1"
    assert event.event_type == "A04"
    assert event.hospital_code == "HA"
    assert event.encounter_number == "V1001"
    assert event.encounter_type == "OPD"
    assert event.department_code == "MED"
    assert event.physician_license == "LIC00001"
    assert event.admitted_at == datetime(2026, 11, 20, 8, 30, tzinfo=RIYADH)
    assert event.discharged_at is None
    assert event.occurred_at == datetime(2026, 11, 20, 9, 0, tzinfo=RIYADH)
    assert event.patient.mrn == "MRN7001"
    assert event.patient.national_id == NATIONAL_ID
    assert event.patient.name_en == "Mohammed Al-Harbi"
    assert event.patient.name_ar == "محمد الحربي"
    assert event.patient.birth_date.isoformat() == "1980-05-31"
    assert event.patient.gender == "M"
    assert event.patient.phone == "0501234567"
    assert event.patient.language == "ar"


@pytest.mark.parametrize(("patient_class", "expected"), [("E", "EMS"), ("I", "INPATIENT"), ("O", "OPD")])
def test_patient_class_maps_to_encounter_type(patient_class, expected):
    assert parse_adt(adt("A01", control_id="X", patient_class=patient_class)).encounter_type == expected


def test_mllp_framing_and_newline_separators_are_tolerated():
    framed = "\x0b" + adt("A03", control_id="MLLP1").replace("\r", "\n") + "\x1c\r"
    assert parse_adt(framed).message_id == "MLLP1"


def test_first_identifier_is_the_mrn_when_no_type_is_given():
    message = adt("A04", control_id="X").replace("MRN7001^^^HA^MR~", "MRN9^^^HA~")
    assert parse_adt(message).patient.mrn == "MRN9"


def test_offsets_are_respected_and_bare_times_are_riyadh():
    assert parse_hl7_datetime("202611200830+0000") == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert parse_hl7_datetime("20261120") == datetime(2026, 11, 20, tzinfo=RIYADH)
    assert parse_hl7_datetime("202611200830") == datetime(2026, 11, 20, 8, 30, tzinfo=RIYADH)
    assert parse_hl7_datetime("20261120").utcoffset() == timedelta(hours=3)


def test_escape_sequences_are_decoded():
    message = adt("A04", control_id="X").replace("Al-Harbi^Mohammed", "Al\\T\\Harbi^Mohammed")
    assert parse_adt(message).patient.name_en == "Mohammed Al&Harbi"


def test_unknown_segments_and_fields_are_ignored():
    message = adt("A04", control_id="X") + "ZPX|custom|data\rOBX|1|ST|x||y\r"
    assert parse_adt(message).message_id == "X"


@pytest.mark.parametrize(
    ("mangle", "expected"),
    [
        (lambda m: "garbage", "MSH"),
        (lambda m: m.replace("ADT^A04^ADT_A04", "ORU^R01"), "ADT"),
        (lambda m: m.replace("|MSGX|", "||"), "MSH-10"),
        (lambda m: m.split("PV1|")[0], "PV1"),
        (lambda m: m.replace("20261120083000", "2026-11-20"), "PV1-44"),
    ],
)
def test_malformed_messages_explain_what_is_wrong(mangle, expected):
    with pytest.raises(HL7Error) as error:
        parse_adt(mangle(adt("A04", control_id="MSGX")))
    assert expected in " ".join(error.value.problems)


def test_ack_echoes_the_control_id():
    header = read_header(adt("A03", control_id="CTRL-9"))
    ack = build_ack(header, "AA")
    msh, msa = ack.strip("\r").split("\r")
    assert msh.startswith("MSH|^~\\&|PX360|PX360|HIS|HA|")
    assert "|ACK^A03^ACK|" in msh
    assert msa == "MSA|AA|CTRL-9|"
    error = build_ack(header, "AE", "bad | field")
    assert "MSA|AE|CTRL-9|bad   field" in error
    assert "\rERR|" in error
