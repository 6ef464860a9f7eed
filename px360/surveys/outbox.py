"""What the outbox asks of survey messages (invitations and reminders)."""

from px360.notifications.choices import NotificationPurpose
from px360.notifications.purposes import Purpose, register

from .services import next_allowed_send_time, survey_notification_fallback, survey_notification_still_wanted


class SurveyMessages(Purpose):
    def still_wanted(self, notification) -> str:
        if not notification.survey_instance_id:
            return ""
        return survey_notification_still_wanted(notification)

    def next_send_time(self, moment, notification):
        # Never inside the hospital's quiet hours (Asia/Riyadh).
        return next_allowed_send_time(moment, hospital=notification.hospital)

    def after_failure(self, notification) -> None:
        if notification.survey_instance_id:
            survey_notification_fallback(notification=notification)


def register_purposes() -> None:
    messages = SurveyMessages()
    for purpose in (NotificationPurpose.SURVEY_INVITATION, NotificationPurpose.SURVEY_REMINDER):
        register(purpose, messages)
