"""The notices the integrations app sends to members of staff (read by px360.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from px360.notifications.kinds import EmailDelivery, NoticeKind, register

HIS_MESSAGE_FAILED = register(
    NoticeKind(
        code="integrations.his_message_failed",
        label=_("HIS message failed"),
        title=_("The %(event)s message %(message_id)s from %(source)s could not be processed."),
        # A feed that breaks fails many messages at once: one e-mail a day, not one per message.
        default_email=EmailDelivery.DIGEST,
        icon="sync_problem",
    )
)
