"""The shared outbound client over real HTTP: ETag, redirects, size cap, failures, address
policy in every spelling."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from app import outbound
from app.settings import Settings
from tests.calendars.ics_server import IcsServer, ics_server, vcalendar

OPEN = Settings(allow_private_addresses=True, calendar_timeout_seconds=5)


@pytest_asyncio.fixture
async def server() -> AsyncIterator[IcsServer]:
    async with ics_server() as s:
        yield s


BODY = vcalendar("UID:a\nDTSTART:20260310T090000Z\nDTEND:20260310T170000Z")


async def fetch(url: str, settings: Settings = OPEN, etag: str | None = None) -> outbound.Fetched:
    async with outbound.session(settings) as session:
        return await outbound.fetch(session, url, settings=settings, etag=etag)


async def test_etag_and_if_none_match(server: IcsServer) -> None:
    server.serve("/cal.ics", BODY)
    first = await fetch(server.url("/cal.ics"))
    assert first.body == BODY.encode() and first.etag and not first.not_modified
    again = await fetch(server.url("/cal.ics"), etag=first.etag)
    assert again.not_modified and again.body == b""
    assert server.statuses("/cal.ics") == [200, 304]


async def test_redirects_are_followed_up_to_the_limit(server: IcsServer) -> None:
    server.serve("/cal.ics", BODY)
    server.redirect("/old", "/older", 301)
    server.redirect("/older", server.url("/cal.ics"), 307)
    assert (await fetch(server.url("/old"))).body == BODY.encode()
    server.redirect("/loop", "/loop")
    with pytest.raises(outbound.OutboundError, match="redirected more than 5 times"):
        await fetch(server.url("/loop"))
    assert len(server.statuses("/loop")) == 6
    server.redirect("/away", "ftp://example.com/cal.ics")
    with pytest.raises(outbound.OutboundError, match="http:// or https://"):
        await fetch(server.url("/away"))


async def test_oversize_bodies_are_refused_while_streaming(server: IcsServer) -> None:
    server.serve("/big.ics", "X" * 50_000)
    small = Settings(allow_private_addresses=True, calendar_max_bytes=10_000)
    with pytest.raises(outbound.OutboundError, match="larger than 10000 bytes"):
        await fetch(server.url("/big.ics"), small)


async def test_failures_name_the_host_only(server: IcsServer) -> None:
    server.fail("/secret-token-123/basic.ics", 500)
    with pytest.raises(outbound.OutboundError) as caught:
        await fetch(server.url("/secret-token-123/basic.ics"))
    assert "HTTP 500" in str(caught.value) and "secret-token" not in str(caught.value)
    server.fail("/secret-token-123/private.ics", 401)
    with pytest.raises(outbound.OutboundError) as refused:
        await fetch(server.url("/secret-token-123/private.ics"))
    assert refused.value.auth and "secret-token" not in str(refused.value)
    with pytest.raises(outbound.OutboundError, match=r"could not connect to 127\.0\.0\.1"):
        await fetch("http://127.0.0.1:9/secret-token-123/basic.ics")


async def test_private_and_loopback_addresses_are_refused_by_default(server: IcsServer) -> None:
    server.serve("/cal.ics", BODY)
    guarded = Settings(calendar_timeout_seconds=5)
    assert guarded.allow_private_addresses is False
    with pytest.raises(outbound.OutboundError, match="not a public address"):
        await fetch(server.url("/cal.ics"), guarded)
    port = server.base_url.rsplit(":", 1)[1]
    with pytest.raises(outbound.OutboundError, match="private or local address"):
        await fetch(f"http://localhost:{port}/cal.ics", guarded)
    assert server.requests == []  # nothing reached the server


async def test_the_connection_itself_is_guarded(server: IcsServer) -> None:
    # A redirect to a loopback address is stopped even if the first hop were allowed:
    # the socket factory checks every address a connection is opened to.
    server.serve("/cal.ics", BODY)
    guarded = Settings(calendar_timeout_seconds=5)
    async with outbound.session(guarded) as session:
        with pytest.raises(Exception) as caught:
            async with session.get(server.url("/cal.ics")):
                pass
    assert "not allowed" in repr(caught.value) or "not allowed" in str(caught.value.__cause__)
    assert server.requests == []


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("::ffff:127.0.0.1", True),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_address_policy(address: str, blocked: bool) -> None:
    assert outbound.is_blocked(address) is blocked


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://calendar.google.com/calendar/ical/x/basic.ics", None),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://example.com/", "http:// or https://"),
        ("https://user:pw@example.com/cal.ics", "user name or password"),
        ("https:///cal.ics", "host"),
    ],
)
def test_url_check(url: str, problem: str | None) -> None:
    why = outbound.check_url(url)
    assert (why is None) if problem is None else (why is not None and problem in why)


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("64:ff9b::7f00:1", True),  # NAT64 of 127.0.0.1
        ("64:ff9b::808:808", False),  # NAT64 of 8.8.8.8
        ("2002:a00:1::", True),  # 6to4 of 10.0.0.1
        ("::ffff:a9fe:a9fe", True),  # mapped 169.254.169.254
        ("fd00::1", True),
        ("ff02::1", True),
        ("::", True),
        ("not an address", True),
    ],
)
def test_address_policy_sees_embedded_addresses(address: str, blocked: bool) -> None:
    assert outbound.is_blocked(address) is blocked


GUARDED = Settings(allow_private_addresses=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://0177.0.0.1/",
        "http://127.0.0.1./",
        "http://[::ffff:127.0.0.1]/",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://localhost/",
        "http://ip6-localhost/",
        "http://admin.localhost/",
        "http://10.0.0.1/",
        "http://[fe80::1%25eth0]/",
    ],
)
def test_every_spelling_of_a_local_address_is_refused_without_dns(url: str) -> None:
    assert outbound.address_problem(url, GUARDED) is not None
    assert outbound.address_problem(url, Settings(allow_private_addresses=True)) is None


def test_public_hosts_pass_the_written_check() -> None:
    for url in ("https://api.pagerduty.com", "http://8.8.8.8/", "https://[2606:4700::1111]/"):
        assert outbound.address_problem(url, GUARDED) is None


async def test_a_request_never_follows_a_redirect_unless_asked(server: IcsServer) -> None:
    server.serve("/cal.ics", BODY)
    server.redirect("/old", server.url("/cal.ics"), 302)
    async with outbound.session(OPEN) as s:
        with pytest.raises(outbound.OutboundError, match="redirects are not followed") as caught:
            await outbound.request(s, "GET", server.url("/old"), retry=outbound.RetryPolicy(1))
        assert caught.value.status == 302
        reply = await outbound.request(s, "GET", server.url("/old"), max_redirects=1)
    assert reply.status == 200 and reply.body == BODY.encode()


async def test_a_refused_address_is_not_retried(server: IcsServer) -> None:
    async with outbound.session(Settings(allow_private_addresses=False)) as s:
        with pytest.raises(outbound.OutboundError, match="not allowed") as caught:
            await outbound.request(
                s, "POST", server.url("/hook"), retry=outbound.RetryPolicy(5, initial=1.0)
            )
    assert "tries" not in str(caught.value)
    assert server.requests == []
