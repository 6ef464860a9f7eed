"""Channel backends: how one queued notification leaves the building.

Each backend's ``send`` returns a :class:`SendResult` and never raises for a
provider problem: ``permanent`` failures (a refused number, a bad request)
move on to the next channel at once, other failures are retried with backoff.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger("px360.notifications")


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_id: str = ""
    delivered: bool = False
    permanent: bool = False
    error: str = ""


class ConsoleBackend:
    """The embedded default: appends each message to a dated file in the outbox folder.

    Nothing leaves the machine. The log line carries no recipient or link (a
    link is a credential); the file has them, for a developer to follow.
    """

    def send(self, notification) -> SendResult:
        folder = Path(settings.PX360_OUTBOX_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        record = {
            "id": str(notification.pk),
            "channel": notification.channel,
            "to": notification.recipient,
            "language": notification.language,
            "subject": notification.subject,
            "body": notification.body,
        }
        with (folder / f"outbox-{date.today():%Y-%m-%d}.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        logger.info("notification %s written to the outbox (%s)", notification.pk, notification.channel)
        return SendResult(ok=True, provider_id=f"console:{notification.pk}", delivered=True)


class EmailBackend:
    """E-mail through Django's EMAIL_BACKEND, as text and HTML."""

    def send(self, notification) -> SendResult:
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient],
            headers={"X-PX360-Notification": str(notification.pk)},
        )
        if notification.html_body:
            message.attach_alternative(notification.html_body, "text/html")
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as error:
            return SendResult(ok=False, permanent=True, error=f"recipient refused: {error}"[:500])
        except Exception as error:  # any transport problem is worth a retry
            return SendResult(ok=False, error=f"{type(error).__name__}: {error}"[:500])
        return SendResult(ok=True, provider_id=f"email:{notification.pk}")


class HttpGatewayBackend:
    """SMS and WhatsApp through one HTTP gateway: URL, auth header, sender ID, payload template.

    The payload template is JSON text with ``$to``, ``$sender``, ``$body``,
    ``$channel`` and ``$reference``; values are JSON-escaped before they go in.
    The gateway's answer may carry the message id as ``id`` or ``message_id``.
    """

    def __init__(self, *, url=None, auth_header=None, sender=None, payload_template=None, timeout=None):
        self.url = url if url is not None else settings.PX360_GATEWAY_URL
        self.auth_header = auth_header if auth_header is not None else settings.PX360_GATEWAY_AUTH_HEADER
        self.sender = sender if sender is not None else settings.PX360_GATEWAY_SENDER_ID
        self.payload_template = payload_template or settings.PX360_GATEWAY_PAYLOAD_TEMPLATE
        self.timeout = timeout or settings.PX360_GATEWAY_TIMEOUT_SECONDS

    def payload(self, notification) -> bytes:
        def escaped(value: str) -> str:
            return json.dumps(str(value), ensure_ascii=False)[1:-1]

        text = Template(self.payload_template).safe_substitute(
            to=escaped(notification.recipient),
            sender=escaped(self.sender),
            body=escaped(notification.body),
            channel=escaped(notification.channel),
            reference=escaped(notification.pk),
        )
        json.loads(text)  # a broken template fails here, not at the provider
        return text.encode("utf-8")

    def send(self, notification) -> SendResult:
        if not self.url:
            return SendResult(ok=False, permanent=True, error="PX360_GATEWAY_URL is not configured")
        try:
            data = self.payload(notification)
        except ValueError as error:
            return SendResult(ok=False, permanent=True, error=f"bad payload template: {error}"[:500])
        request = urllib.request.Request(self.url, data=data, method="POST")
        request.add_header("Content-Type", "application/json; charset=utf-8")
        if self.auth_header and ":" in self.auth_header:
            name, value = self.auth_header.split(":", 1)
            request.add_header(name.strip(), value.strip())
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(65536)
        except urllib.error.HTTPError as error:
            # 4xx is the provider refusing this message (bad number, blocked
            # sender): retrying will not help. 429 and 5xx may pass later.
            permanent = 400 <= error.code < 500 and error.code not in (408, 429)
            return SendResult(ok=False, permanent=permanent, error=f"HTTP {error.code}: {error.reason}"[:500])
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            return SendResult(ok=False, error=f"{type(error).__name__}: {error}"[:500])
        provider_id = ""
        try:
            answer = json.loads(body.decode("utf-8") or "{}")
            if isinstance(answer, dict):
                provider_id = str(answer.get("id") or answer.get("message_id") or "")
        except ValueError:
            pass
        return SendResult(ok=True, provider_id=provider_id[:120])


def backend_for(channel: str):
    if channel == "email":
        return EmailBackend() if settings.PX360_EMAIL_CHANNEL_BACKEND == "email" else ConsoleBackend()
    name = settings.PX360_SMS_BACKEND if channel == "sms" else settings.PX360_WHATSAPP_BACKEND
    return HttpGatewayBackend() if name == "gateway" else ConsoleBackend()
