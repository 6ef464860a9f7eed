"""Real-looking HL7 v2.5 ADT messages, as an HIS interface engine sends them."""

from ..factories import valid_national_id

NATIONAL_ID = valid_national_id(77001)


def adt(
    event: str,
    *,
    control_id: str,
    facility: str = "HA",
    visit: str = "V1001",
    patient_class: str = "O",
    mrn: str = "MRN7001",
    point_of_care: str = "MED",
    attending: str = "LIC00001",
    admitted: str = "20261120083000",
    discharged: str = "",
    sent: str = "20261120090000",
    occurred: str = "",
) -> str:
    segments = [
        f"MSH|^~\\&|HIS|{facility}^^L|PX360|PX360|{sent}||ADT^{event}^ADT_{event}|{control_id}|P|2.5",
        f"EVN|{event}|{occurred or sent}",
        f"PID|1||{mrn}^^^{facility}^MR~{NATIONAL_ID}^^^SA^NI||Al-Harbi^Mohammed^^^^^L~الحربي^محمد^^^^^L||19800531|M|||||0501234567||ARA",
        f"PV1|1|{patient_class}|{point_of_care}^^^{facility}||||{attending}^Al-Otaibi^Khalid|||MED|||||||||{visit}|||||||||||||||||||||||||{admitted}|{discharged}",
    ]
    return "\r".join(segments) + "\r"
