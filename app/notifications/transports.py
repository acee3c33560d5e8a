"""Sending one rendered notice: EMAIL over SMTP (aiosmtplib; ``SMTP_URL``) and WEBHOOK
through the shared outbound client, HMAC-signed like webhook destinations.

``SMTP_URL`` forms: ``smtp://[user:password@]host[:port]`` (STARTTLS when the server offers
it), ``smtp+starttls://…`` (STARTTLS required), ``smtps://…`` (TLS from the first byte,
port 465 by default). The server's certificate is always verified, against the system's
CAs plus ``SMTP_CA_FILE`` when set. The notice's stable id is the email's Message-ID and the
webhook's ``Idempotency-Key``: a receiver drops repeats."""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import aiosmtplib

from app import outbound
from app.destinations.adapters.webhook import KEY_HEADER, SIGNATURE_HEADER, sign
from app.notifications.render import Message
from app.settings import Settings

NOTICE_HEADER = "X-Rotagraph-Notice"


class SendError(Exception):
    """A failed delivery; ``retry`` False when trying again cannot help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Smtp:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None


SCHEMES = {
    "smtp": (False, None, 25),
    "smtp+starttls": (False, True, 587),
    "smtps": (True, False, 465),
}


def parse_smtp_url(url: str) -> Smtp:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(
            "SMTP_URL must be smtp://, smtp+starttls:// or smtps:// [user:password@]host[:port]"
        )
    use_tls, start_tls, port = SCHEMES[parts.scheme]
    return Smtp(
        hostname=parts.hostname,
        port=parts.port or port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=start_tls,
    )


def message_id(uid: str) -> str:
    return f"<{uid}@rotagraph>"


def email_of(
    message: Message, *, uid: str, to: str, sender: str, kind: str, date: Any
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = message.subject
    mail["Message-ID"] = message_id(uid)
    mail["Date"] = format_datetime(date)
    mail[NOTICE_HEADER] = kind
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    if message.ics is not None:
        mail.add_attachment(
            message.ics,
            maintype="text",
            subtype="calendar",
            filename="shifts.ics",
            params={"method": "PUBLISH"},
        )
    return mail


class Mailer:
    """SMTP connections kept open for a delivery pass (at most one per concurrent send):
    a thousand reminders due at once do not each pay for a connection, EHLO and TLS."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
        self.idle: list[aiosmtplib.SMTP] = []

    async def _connect(self) -> aiosmtplib.SMTP:
        assert self.smtp is not None
        client = aiosmtplib.SMTP(
            hostname=self.smtp.hostname,
            port=self.smtp.port,
            use_tls=self.smtp.use_tls,
            start_tls=self.smtp.start_tls,
            timeout=self.settings.smtp_timeout_seconds,
            cert_bundle=self.settings.smtp_ca_file,
        )
        await client.connect()
        if self.smtp.username is not None:
            await client.login(self.smtp.username, self.smtp.password or "")
        return client

    async def send(self, mail: EmailMessage) -> None:
        if self.smtp is None:
            raise SendError("SMTP_URL is not set", retry=False)
        client = self.idle.pop() if self.idle else None
        try:
            if client is None or not client.is_connected:
                client = await self._connect()
            await client.send_message(mail)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if client is not None:
                self.idle.append(client)
            raise SendError(f"SMTP refused the recipient: {exc}", retry=False) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if client is not None:
                client.close()
            where = f"{self.smtp.hostname}:{self.smtp.port}"
            raise SendError(f"SMTP {where}: {type(exc).__name__}: {exc}") from None
        self.idle.append(client)

    async def close(self) -> None:
        idle, self.idle = self.idle, []
        for client in idle:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()


def webhook_body(*, uid: str, kind: str, message: Message, data: dict[str, Any]) -> bytes:
    payload: dict[str, Any] = {"id": uid, "kind": kind, "subject": message.subject}
    payload["text"] = message.text
    payload["data"] = {k: v for k, v in data.items() if k not in ("code", "before")}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


async def send_webhook(
    *, url: str, secret: str, uid: str, body: bytes, session: aiohttp.ClientSession
) -> None:
    """One POST; the delivery loop retries with its own backoff, so a 5xx is not retried
    here (a long in-request retry would hold the notice's lease)."""
    headers = {
        "Content-Type": "application/json",
        KEY_HEADER: uid,
        SIGNATURE_HEADER: sign(secret, body),
    }
    try:
        await outbound.request(
            session,
            "POST",
            url,
            retry=outbound.RetryPolicy(attempts=1),
            timeout=10,
            data=body,
            headers=headers,
        )
    except outbound.OutboundError as exc:
        permanent = exc.status is not None and exc.status not in outbound.RETRYABLE_STATUS
        raise SendError(str(exc), retry=not permanent) from None
