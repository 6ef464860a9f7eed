"""The notices the SLA engine sends to members of staff (found by px360.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from px360.notifications.kinds import EmailDelivery, NoticeKind, register

REMINDER = "sla.reminder"
BREACH = "sla.breach"
ESCALATION = "sla.escalation"
REASSIGNED = "sla.reassigned"

register(
    NoticeKind(
        code=REMINDER,
        label=_("SLA reminder"),
        title=_("%(reference)s: %(percent)s%% of the time allowed is used; due %(due)s"),
        default_email=EmailDelivery.IMMEDIATE,
        icon="timer",
    )
)
register(
    NoticeKind(
        code=BREACH,
        label=_("SLA breached"),
        title=_("%(reference)s is overdue: it was due %(due)s"),
        default_email=EmailDelivery.IMMEDIATE,
        digestable=False,
        icon="alarm",
    )
)
register(
    NoticeKind(
        code=ESCALATION,
        label=_("SLA escalation"),
        title=_("Escalated to you: %(reference)s has been overdue since %(due)s"),
        default_email=EmailDelivery.IMMEDIATE,
        digestable=False,
        icon="priority_high",
    )
)
register(
    NoticeKind(
        code=REASSIGNED,
        label=_("Reassigned to you by an SLA escalation"),
        title=_("%(reference)s is now assigned to you (due %(due)s)"),
        default_email=EmailDelivery.IMMEDIATE,
        digestable=False,
        icon="assignment_ind",
    )
)
