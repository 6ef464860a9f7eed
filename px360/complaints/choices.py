"""Choices of complaints, inquiries and feedback."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ComplaintStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("complaint", "New")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("complaint", "Acknowledged")
    IN_PROGRESS = "in_progress", pgettext_lazy("complaint", "In progress")
    WAITING = "waiting", pgettext_lazy("complaint", "Waiting for the complainant")
    RESOLVED = "resolved", pgettext_lazy("complaint", "Resolved")
    CLOSED = "closed", pgettext_lazy("complaint", "Closed")


# Where each status may go next; reopening is resolved/closed → in progress.
COMPLAINT_TRANSITIONS = {
    ComplaintStatus.NEW: (ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.IN_PROGRESS, ComplaintStatus.RESOLVED),
    ComplaintStatus.ACKNOWLEDGED: (ComplaintStatus.IN_PROGRESS, ComplaintStatus.WAITING, ComplaintStatus.RESOLVED),
    ComplaintStatus.IN_PROGRESS: (ComplaintStatus.WAITING, ComplaintStatus.RESOLVED),
    ComplaintStatus.WAITING: (ComplaintStatus.IN_PROGRESS, ComplaintStatus.RESOLVED),
    ComplaintStatus.RESOLVED: (ComplaintStatus.CLOSED, ComplaintStatus.IN_PROGRESS),
    ComplaintStatus.CLOSED: (ComplaintStatus.IN_PROGRESS,),
}

OPEN_COMPLAINT_STATUSES = (
    ComplaintStatus.NEW,
    ComplaintStatus.ACKNOWLEDGED,
    ComplaintStatus.IN_PROGRESS,
    ComplaintStatus.WAITING,
)


class InquiryStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("inquiry", "New")
    IN_PROGRESS = "in_progress", pgettext_lazy("inquiry", "In progress")
    WAITING = "waiting", pgettext_lazy("inquiry", "Waiting for the person")
    ANSWERED = "answered", pgettext_lazy("inquiry", "Answered")
    CLOSED = "closed", pgettext_lazy("inquiry", "Closed")
    PROMOTED = "promoted", pgettext_lazy("inquiry", "Became a complaint")


INQUIRY_TRANSITIONS = {
    InquiryStatus.NEW: (InquiryStatus.IN_PROGRESS, InquiryStatus.WAITING, InquiryStatus.ANSWERED),
    InquiryStatus.IN_PROGRESS: (InquiryStatus.WAITING, InquiryStatus.ANSWERED),
    InquiryStatus.WAITING: (InquiryStatus.IN_PROGRESS, InquiryStatus.ANSWERED),
    InquiryStatus.ANSWERED: (InquiryStatus.CLOSED, InquiryStatus.IN_PROGRESS),
    InquiryStatus.CLOSED: (InquiryStatus.IN_PROGRESS,),
    InquiryStatus.PROMOTED: (),
}


class Channel(models.TextChoices):
    WALK_IN = "walk_in", pgettext_lazy("channel", "In person")
    PHONE = "phone", pgettext_lazy("channel", "Telephone")
    WEB = "web", pgettext_lazy("channel", "Public web form")
    EMAIL = "email", pgettext_lazy("channel", "E-mail")
    LETTER = "letter", pgettext_lazy("channel", "Letter")
    MOH_937 = "moh_937", pgettext_lazy("channel", "Ministry of Health 937")
    SURVEY = "survey", pgettext_lazy("channel", "Survey comment")
    CALL_CENTRE = "call_centre", pgettext_lazy("channel", "Call centre")
    SOCIAL = "social", pgettext_lazy("channel", "Social media")


class ComplainantKind(models.TextChoices):
    PATIENT = "patient", pgettext_lazy("complainant", "The patient")
    ON_BEHALF = "on_behalf", pgettext_lazy("complainant", "Someone on the patient's behalf")
    ANONYMOUS = "anonymous", pgettext_lazy("complainant", "Anonymous")


class Relation(models.TextChoices):
    PARENT = "parent", pgettext_lazy("relation", "Parent")
    CHILD = "child", pgettext_lazy("relation", "Son or daughter")
    SPOUSE = "spouse", pgettext_lazy("relation", "Spouse")
    SIBLING = "sibling", pgettext_lazy("relation", "Brother or sister")
    RELATIVE = "relative", pgettext_lazy("relation", "Other relative")
    GUARDIAN = "guardian", pgettext_lazy("relation", "Legal guardian")
    FRIEND = "friend", pgettext_lazy("relation", "Friend")
    OTHER = "other", pgettext_lazy("relation", "Other")


class HCATDomain(models.TextChoices):
    CLINICAL = "clinical", pgettext_lazy("hcat", "Clinical")
    MANAGEMENT = "management", pgettext_lazy("hcat", "Management")
    RELATIONSHIPS = "relationships", pgettext_lazy("hcat", "Relationships")


class Severity(models.IntegerChoices):
    """HCAT severity of one issue, judged independently of the outcome."""

    NOT_PRESENT = 0, pgettext_lazy("severity", "0 · Not present")
    LOW = 1, pgettext_lazy("severity", "1 · Low")
    MEDIUM = 2, pgettext_lazy("severity", "2 · Medium")
    HIGH = 3, pgettext_lazy("severity", "3 · High")


class Harm(models.IntegerChoices):
    NONE = 0, pgettext_lazy("harm", "0 · None")
    MINIMAL = 1, pgettext_lazy("harm", "1 · Minimal")
    MINOR = 2, pgettext_lazy("harm", "2 · Minor")
    MODERATE = 3, pgettext_lazy("harm", "3 · Moderate")
    MAJOR = 4, pgettext_lazy("harm", "4 · Major")
    CATASTROPHIC = 5, pgettext_lazy("harm", "5 · Catastrophic")


class StageOfCare(models.TextChoices):
    ADMISSION = "admission", pgettext_lazy("stage of care", "Admission / registration")
    EXAMINATION = "examination", pgettext_lazy("stage of care", "Examination and diagnosis")
    CARE = "care", pgettext_lazy("stage of care", "Care on the ward")
    OPERATION = "operation", pgettext_lazy("stage of care", "Operation or procedure")
    DISCHARGE = "discharge", pgettext_lazy("stage of care", "Discharge and transfer")
    OUTPATIENT = "outpatient", pgettext_lazy("stage of care", "Outpatient visit")
    EMERGENCY = "emergency", pgettext_lazy("stage of care", "Emergency")
    PHARMACY = "pharmacy", pgettext_lazy("stage of care", "Pharmacy")
    BILLING = "billing", pgettext_lazy("stage of care", "Billing and insurance")
    UNKNOWN = "unknown", pgettext_lazy("stage of care", "Not known")


class UpdateKind(models.TextChoices):
    NOTE = "note", pgettext_lazy("timeline", "Internal note")
    MESSAGE = "message", pgettext_lazy("timeline", "Message to the complainant")
    STATUS = "status", pgettext_lazy("timeline", "Status change")
    ASSIGNMENT = "assignment", pgettext_lazy("timeline", "Assignment")
    CODING = "coding", pgettext_lazy("timeline", "Coding")


class FeedbackKind(models.TextChoices):
    COMPLIMENT = "compliment", pgettext_lazy("feedback", "Compliment")
    SUGGESTION = "suggestion", pgettext_lazy("feedback", "Suggestion")


class FeedbackStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("feedback", "New")
    SHARED = "shared", pgettext_lazy("feedback", "Shared with the team")
    CLOSED = "closed", pgettext_lazy("feedback", "Closed")


class Language(models.TextChoices):
    ARABIC = "ar", _("Arabic")
    ENGLISH = "en", _("English")
