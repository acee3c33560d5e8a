"""A real SMTP server (aiosmtpd) on a loopback port that keeps every mail it receives,
parsed, with the TLS version of the connection each one came over; it can be stopped and
started again on the same port, and told to hold a mail."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.destinations.receiver import free_port


@dataclass
class Mailbox:
    port: int
    mails: list[EmailMessage] = field(default_factory=list)
    tls: list[str | None] = field(default_factory=list)
    """Per mail: the TLS version of the connection it came over, None for plain text."""
    starttls: list[bool] = field(default_factory=list)
    """Per mail: whether the session was upgraded by STARTTLS (aiosmtpd's ``session.ssl``)."""
    on_data: Callable[[EmailMessage], object] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """Passed to aiosmtpd's SMTP (e.g. an authenticator)."""

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.mails]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with self.lock:
                if len(self.mails) >= count:
                    return list(self.mails)
            if loop.time() > deadline:
                raise AssertionError(f"{len(self.mails)} mails arrived, expected {count}")
            await asyncio.sleep(0.02)

    def start(self) -> None:
        box = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                mail = message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(mail, EmailMessage)
                tls = server.transport.get_extra_info("ssl_object")
                with box.lock:
                    box.mails.append(mail)
                    box.tls.append(tls.version() if tls is not None else None)
                    box.starttls.append(session.ssl is not None)
                if box.on_data is not None:
                    box.on_data(mail)
                return "250 OK"

        self.controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextmanager
def smtp_server(*, started: bool = True, **options: Any) -> Iterator[Mailbox]:
    box = Mailbox(port=free_port(), options=options)
    if started:
        box.start()
    try:
        yield box
    finally:
        box.stop()


def parts(mail: EmailMessage) -> dict[str, Any]:
    """The plain-text body, the HTML body and the attachments (filename -> bytes)."""
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    attachments = {
        str(a.get_filename()): a.get_payload(decode=True) for a in mail.iter_attachments()
    }
    return {
        "text": text.get_content().replace("\r\n", "\n") if text is not None else None,
        "html": html.get_content().replace("\r\n", "\n") if html is not None else None,
        "attachments": attachments,
    }
