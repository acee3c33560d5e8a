"""SMTP_URL: its forms, and credentials sent to a real SMTP server that requires them."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from app.notifications.transports import Mailer, SendError, parse_smtp_url
from tests.notifications.helpers import settings_for
from tests.notifications.smtp import smtp_server


def test_the_three_forms_of_smtp_url() -> None:
    plain = parse_smtp_url("smtp://mail.example.org")
    assert (plain.port, plain.use_tls, plain.start_tls) == (25, False, None)
    starttls = parse_smtp_url("smtp+starttls://u:p%40ss@mail.example.org")
    assert (starttls.port, starttls.use_tls, starttls.start_tls) == (587, False, True)
    assert (starttls.username, starttls.password) == ("u", "p@ss")
    tls = parse_smtp_url("smtps://mail.example.org:2465")
    assert (tls.port, tls.use_tls, tls.start_tls) == (2465, True, False)
    with pytest.raises(ValueError, match="SMTP_URL must be"):
        parse_smtp_url("http://mail.example.org")


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        b"notices",
        b"p@ss word",
    )
    return AuthResult(success=ok)


def mail() -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "rotagraph@localhost", "ann@example.org", "hi"
    m.set_content("hello")
    return m


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_credentials_from_smtp_url_log_in() -> None:
    # The test server accepts AUTH without TLS (on loopback); a real one would require TLS.
    with smtp_server(
        authenticator=authenticator, auth_required=True, auth_require_tls=False
    ) as box:
        good = Mailer(settings_for(smtp_url=f"smtp://notices:p%40ss%20word@127.0.0.1:{box.port}"))
        await good.send(mail())
        await good.close()
        assert len(await box.wait_for(1)) == 1
        bad = Mailer(settings_for(smtp_url=f"smtp://notices:wrong@127.0.0.1:{box.port}"))
        with pytest.raises(SendError, match=r"SMTP 127\.0\.0\.1"):
            await bad.send(mail())
        await bad.close()
        unset = Mailer(settings_for(smtp_url=None))
        with pytest.raises(SendError, match="SMTP_URL is not set") as refused:
            await unset.send(mail())
        assert refused.value.retry is False
        assert len(box.mails) == 1
