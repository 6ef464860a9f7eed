"""The eight roles and the model permissions each one holds.

One table, read top to bottom: for every model, the actions each role may
take — v view, a add, c change, d delete, i import, e export, r reprocess. Object scope
(which rows) is the access policy's job (``px360.core.access``); this table
only says which screens and buttons a role gets.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RoleCode(models.TextChoices):
    PX_ADMIN = "px_admin", _("PX Admin")
    HOSPITAL_ADMIN = "hospital_admin", _("Hospital Admin")
    DEPARTMENT_MANAGER = "department_manager", _("Department Manager")
    PX_COORDINATOR = "px_coordinator", _("PX Coordinator")
    PHYSICIAN = "physician", _("Physician")
    NURSE = "nurse", _("Nurse")
    STAFF = "staff", _("Staff")
    VIEWER = "viewer", _("Viewer")


# code: (level, English name, Arabic name)
ROLES = {
    RoleCode.PX_ADMIN: (100, "PX Admin", "مدير تجربة المريض"),
    RoleCode.HOSPITAL_ADMIN: (80, "Hospital Admin", "مدير المستشفى"),
    RoleCode.DEPARTMENT_MANAGER: (60, "Department Manager", "مدير القسم"),
    RoleCode.PX_COORDINATOR: (50, "PX Coordinator", "منسق تجربة المريض"),
    RoleCode.PHYSICIAN: (40, "Physician", "طبيب"),
    RoleCode.NURSE: (30, "Nurse", "ممرض"),
    RoleCode.STAFF: (20, "Staff", "موظف"),
    RoleCode.VIEWER: (10, "Viewer", "مطّلع"),
}

_ORDER = [
    RoleCode.PX_ADMIN,
    RoleCode.HOSPITAL_ADMIN,
    RoleCode.DEPARTMENT_MANAGER,
    RoleCode.PX_COORDINATOR,
    RoleCode.PHYSICIAN,
    RoleCode.NURSE,
    RoleCode.STAFF,
    RoleCode.VIEWER,
]

# fmt: off
#                                  PX admin  Hosp.adm  Dept.mgr  Coord.   Physician Nurse  Staff  Viewer
PERMISSION_TABLE: dict[str, tuple[str, ...]] = {
    "organizations.hospital":        ("vacdie", "vce",     "v",      "v",     "v",      "v",   "v",   "v"),
    "organizations.department":      ("vacdie", "vacdie",  "vce",    "ve",    "v",      "v",   "v",   "v"),
    "organizations.physician":       ("vacdie", "vacdie",  "ve",     "ve",    "v",      "v",   "v",   "v"),
    "organizations.employee":        ("vacdie", "vacdie",  "ve",     "v",     "",       "",    "",    ""),
    "organizations.patient":         ("vacdie", "vacdie",  "v",      "vacie", "",       "",    "",    ""),
    "journeys.encounter":            ("vacdie", "vacdie",  "ve",     "vie",   "",       "",    "",    ""),
    "journeys.importjob":            ("vacd",   "vac",     "",       "va",    "",       "",    "",    ""),
    "journeys.journeytemplate":      ("vacd",   "vacd",    "v",      "vac",   "",       "",    "",    ""),
    "journeys.journeystagetemplate": ("vacd",   "vacd",    "v",      "vacd",  "",       "",    "",    ""),
    "journeys.journeyinstance":      ("v",      "v",       "v",      "v",     "v",      "v",   "",    "v"),
    "journeys.journeystageinstance": ("v",      "v",       "v",      "v",     "v",      "v",   "",    "v"),
    "accounts.user":                 ("vacd",   "vac",     "v",      "",      "",       "",    "",    ""),
    "accounts.role":                 ("v",      "v",       "",       "",      "",       "",    "",    ""),
    "core.auditevent":               ("v",      "v",       "",       "",      "",       "",    "",    ""),
    "integrations.integrationsource": ("vacd", "v",      "",       "",      "",       "",    "",    ""),
    "integrations.apikey":           ("vc",     "v",       "",       "",      "",       "",    "",    ""),
    "integrations.inboundevent":     ("vr",     "vr",      "",       "vr",    "",       "",    "",    ""),
    "surveys.surveytemplate":        ("vacd",   "vacd",    "v",      "vacd",  "",       "",    "",    "v"),
    "surveys.surveyquestion":        ("vacd",   "vacd",    "v",      "vacd",  "",       "",    "",    "v"),
    "surveys.surveypolicy":          ("vacd",   "vac",     "v",      "vc",    "",       "",    "",    "v"),
    "surveys.guardiancontact":       ("vacd",   "vacd",    "",       "vacd",  "",       "",    "",    ""),
    "surveys.surveyinstance":        ("vc",     "vc",      "v",      "vc",    "",       "",    "",    "v"),
    "surveys.surveysuppression":     ("v",      "v",       "v",      "v",     "",       "",    "",    "v"),
    "surveys.surveyresponse":        ("ve",     "ve",      "v",      "ve",    "",       "",    "",    "v"),
    "notifications.notification":    ("v",      "v",       "",       "v",     "",       "",    "",    ""),
    "notifications.messagetext":     ("vacd",   "vac",     "",       "vac",   "",       "",    "",    ""),
    "sla.businesscalendar":          ("vacd",   "vac",     "v",      "v",     "",       "",    "",    "v"),
    "sla.workingwindow":             ("vacd",   "vacd",    "v",      "v",     "",       "",    "",    "v"),
    "sla.calendarexception":         ("vacd",   "vacd",    "v",      "v",     "",       "",    "",    "v"),
    "sla.exceptionwindow":           ("vacd",   "vacd",    "v",      "v",     "",       "",    "",    "v"),
    "sla.slapolicy":                 ("vacd",   "vac",     "v",      "v",     "",       "",    "",    "v"),
    "sla.escalationstep":            ("vacd",   "vacd",    "v",      "v",     "",       "",    "",    "v"),
    "sla.slaclock":                  ("v",      "v",       "",       "v",     "",       "",    "",    "v"),
    "complaints.complaint":          ("vacie",  "vacie",   "vace",   "vacie", "v",      "v",   "vc",  "v"),
    "complaints.complaintissue":     ("vacd",   "vacd",    "vacd",   "vacd",  "v",      "v",   "vacd", "v"),
    "complaints.complaintupdate":    ("v",      "v",       "v",      "v",     "v",      "v",   "v",   "v"),
    "complaints.complaintattachment": ("vad",   "vad",     "va",     "vad",   "v",      "v",   "va",  "v"),
    "complaints.inquiry":            ("vace",   "vace",    "vce",    "vace",  "",       "",    "vc",  "v"),
    "complaints.feedback":           ("vace",   "vace",    "vce",    "vace",  "v",      "v",   "v",   "v"),
    "complaints.hcatcategory":       ("vac",    "v",       "v",      "v",     "v",      "v",   "v",   "v"),
    "guardian.userobjectpermission": ("vacd",   "vacd",    "",       "",      "",       "",    "",    ""),
    "guardian.groupobjectpermission": ("vacd",  "v",       "",       "",      "",       "",    "",    ""),
}
# fmt: on

_ACTIONS = {"v": "view", "a": "add", "c": "change", "d": "delete", "i": "import", "e": "export", "r": "reprocess"}


def permissions_for(code: str) -> list[tuple[str, str]]:
    """``(app_label, codename)`` pairs the role's group gets."""
    column = _ORDER.index(code)
    pairs = []
    for label, row in PERMISSION_TABLE.items():
        app_label, model_name = label.split(".")
        for letter in row[column]:
            pairs.append((app_label, f"{_ACTIONS[letter]}_{model_name}"))
    return pairs
