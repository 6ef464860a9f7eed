"""The notices the journeys app sends to members of staff (read by px360.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from px360.notifications.kinds import EmailDelivery, NoticeKind, register

IMPORT_FINISHED = register(
    NoticeKind(
        code="journeys.import_finished",
        label=_("Import finished"),
        title=_("The import of %(file)s is saved: %(new)s new, %(updated)s updated, %(rejected)s rejected."),
        default_email=EmailDelivery.IMMEDIATE,
        icon="task_alt",
    )
)
IMPORT_FAILED = register(
    NoticeKind(
        code="journeys.import_failed",
        label=_("Import failed"),
        title=_("The import of %(file)s failed; its page says why."),
        default_email=EmailDelivery.IMMEDIATE,
        icon="error",
    )
)
