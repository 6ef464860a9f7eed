"""What the outbox asks of messages to complainants."""

from px360.notifications.choices import NotificationPurpose
from px360.notifications.purposes import Purpose, register


class ComplaintMessages(Purpose):
    def next_send_time(self, moment, notification):
        # Not at night either: the hospital's quiet hours (Asia/Riyadh), as for surveys.
        from px360.surveys.services import next_allowed_send_time

        return next_allowed_send_time(moment, hospital=notification.hospital)


def register_purposes() -> None:
    register(NotificationPurpose.COMPLAINT_UPDATE, ComplaintMessages())
