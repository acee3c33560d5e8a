"""SMTP_URL's TLS forms against a real SMTP server (aiosmtpd) on a loopback port whose
certificate is issued in the test by a throwaway CA (trustme): the client verifies it,
trusting the CA through SMTP_CA_FILE; the server records whether each mail came over TLS."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme

from app.notifications.transports import Mailer, SendError
from tests.notifications.helpers import settings_for
from tests.notifications.smtp import smtp_server


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA, name: str = "127.0.0.1") -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    yield str(path)


def mail() -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "rotagraph@localhost", "ann@example.org", "hi"
    m.set_content("hello over TLS")
    return m


async def send(url: str, ca_file: str | None) -> None:
    mailer = Mailer(settings_for(smtp_url=url, smtp_ca_file=ca_file))
    try:
        await mailer.send(mail())
    finally:
        await mailer.close()


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtp"])
async def test_starttls_offered_is_used_and_the_mail_arrives_encrypted(
    scheme: str, ca: trustme.CA, ca_file: str
) -> None:
    # The server offers STARTTLS without requiring it: only the client's choice upgrades.
    with smtp_server(tls_context=server_context(ca)) as box:
        await send(f"{scheme}://127.0.0.1:{box.port}", ca_file)
        [arrived] = await box.wait_for(1)
        assert arrived.get_content().strip() == "hello over TLS"
        assert box.starttls == [True]
        assert (box.tls[0] or "").startswith("TLSv1.")


async def test_starttls_required_but_not_offered_fails_and_sends_nothing(ca_file: str) -> None:
    with smtp_server() as box:
        with pytest.raises(SendError, match=r"SMTP 127\.0\.0\.1:\d+: .*STARTTLS.*not supported"):
            await send(f"smtp+starttls://127.0.0.1:{box.port}", ca_file)
        assert box.mails == []
        # The same server takes the mail in plain text when STARTTLS is only optional.
        await send(f"smtp://127.0.0.1:{box.port}", ca_file)
        await box.wait_for(1)
        assert (box.tls, box.starttls) == ([None], [False])


async def test_smtps_delivers_over_tls_from_the_first_byte(ca: trustme.CA, ca_file: str) -> None:
    with smtp_server(ssl_context=server_context(ca)) as box:
        await send(f"smtps://127.0.0.1:{box.port}", ca_file)
        [arrived] = await box.wait_for(1)
        assert arrived["Subject"] == "hi"
        assert (box.tls[0] or "").startswith("TLSv1.")
        assert box.starttls == [False]


@pytest.mark.parametrize("scheme", ["smtps", "smtp+starttls"])
@pytest.mark.parametrize("why", ["unknown CA", "no CA file", "other host name"])
async def test_a_certificate_the_client_does_not_trust_is_refused(
    scheme: str, why: str, ca: trustme.CA, ca_file: str, tmp_path: Path
) -> None:
    trusted: str | None = ca_file
    if why == "unknown CA":
        trusted = str(tmp_path / "other-ca.pem")
        trustme.CA().cert_pem.write_to_path(trusted)
    elif why == "no CA file":
        trusted = None
    # Issued by the trusted CA, but for a name the client does not connect to.
    context = server_context(ca, "mail.example.org" if why == "other host name" else "127.0.0.1")
    options = {"ssl_context": context} if scheme == "smtps" else {"tls_context": context}
    with smtp_server(**options) as box:
        with pytest.raises(SendError, match="certificate verify failed") as refused:
            await send(f"{scheme}://127.0.0.1:{box.port}", trusted)
        assert box.mails == []
    if why == "other host name":
        assert "mismatch" in str(refused.value)
