"""Kinds of notice the staff-notification tests send, registered as a sending app would."""

from px360.notifications.kinds import EmailDelivery, NoticeKind, register

IMPORT_FINISHED = register(
    NoticeKind(
        code="tests.import_finished",
        label="Import finished",
        title="The import of %(file)s finished: %(new)s new encounters",
        default_email=EmailDelivery.IMMEDIATE,
        icon="upload_file",
    )
)
ESCALATION = register(
    NoticeKind(
        code="tests.escalation",
        label="Escalation",
        title="Complaint %(reference)s was escalated to you",
        default_email=EmailDelivery.IMMEDIATE,
        digestable=False,
        icon="priority_high",
    )
)
WAITING = register(
    NoticeKind(
        code="tests.waiting",
        label="Waiting for you",
        title="Action %(reference)s is waiting for you",
        default_email=EmailDelivery.DIGEST,
    )
)
