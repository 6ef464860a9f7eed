"""The notices the complaints app sends to members of staff (read by px360.notifications.kinds).

Titles carry the reference and the hospital's words only — never the
complainant's name or what they wrote: notices are e-mailed.
"""

from django.utils.translation import gettext_lazy as _

from px360.notifications.kinds import EmailDelivery, NoticeKind, register

NEW_COMPLAINT = register(
    NoticeKind(
        code="complaints.new",
        label=_("New complaint"),
        title=_("New complaint %(reference)s (%(channel)s): acknowledge by %(due)s"),
        default_email=EmailDelivery.IMMEDIATE,
        icon="report",
    )
)
ASSIGNED = register(
    NoticeKind(
        code="complaints.assigned",
        label=_("Complaint assigned to you"),
        title=_("%(reference)s is assigned to you; the answer is due %(due)s"),
        default_email=EmailDelivery.IMMEDIATE,
        icon="assignment_ind",
    )
)
REOPENED = register(
    NoticeKind(
        code="complaints.reopened",
        label=_("Complaint reopened"),
        title=_("%(reference)s was reopened: %(reason)s"),
        default_email=EmailDelivery.IMMEDIATE,
        digestable=False,
        icon="replay",
    )
)
NEW_INQUIRY = register(
    NoticeKind(
        code="complaints.inquiry",
        label=_("New inquiry"),
        title=_("New inquiry %(reference)s: answer by %(due)s"),
        default_email=EmailDelivery.DIGEST,
        icon="help",
    )
)
COMPLIMENT = register(
    NoticeKind(
        code="complaints.compliment",
        label=_("Compliment"),
        title=_("A patient complimented %(person)s (%(reference)s)"),
        default_email=EmailDelivery.DIGEST,
        icon="favorite",
    )
)
SUGGESTION = register(
    NoticeKind(
        code="complaints.suggestion",
        label=_("Suggestion"),
        title=_("A suggestion for %(department)s (%(reference)s)"),
        default_email=EmailDelivery.DIGEST,
        icon="lightbulb",
    )
)
