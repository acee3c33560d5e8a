"""Outbound HTTP: the one way Rotagraph calls another server.

Webhooks, PagerDuty, CalDAV (exports and imports), ICS calendar imports and every later
integration (vendor importers, notifications) send their requests through this module, so
one address policy, one redirect rule, one size cap and one error vocabulary hold for all.

Use::

    from app import outbound

    async with outbound.session(settings) as s:         # a guarded session of one's own
        reply = await outbound.request(s, "POST", url, json=..., headers=...,
                                       retry=outbound.RetryPolicy(attempts=5), timeout=10)
        got = await outbound.fetch(s, url, settings=settings, etag=previous_etag)

    s = outbound.shared()     # the process's long-lived session (the app configures it)

    outbound.check_url(url)                    # why a URL is unusable (scheme, host, user:pw)
    outbound.address_problem(url, settings)    # why its host is refused, without DNS
    await outbound.check_host(url, settings)   # the same after DNS (raises OutboundError)

**Address policy.** Unless ``settings.allow_private_addresses`` is on, a session refuses
loopback, private, link-local, CGNAT, multicast, reserved and unspecified addresses in every
spelling (``127.1``, ``0x7f000001``, ``[::ffff:127.0.0.1]``, ``[::1]``, NAT64 and 6to4 forms
of them): its resolver refuses a host when *any* of its addresses is refused, and its socket
factory checks the address each connection is actually opened to, which covers literal
addresses, every redirect hop and DNS answers that change between checks.

**Redirects** are followed by hand, at most ``max_redirects`` hops (0 for ``request``
unless asked, so a webhook POST never wanders), http and https only, each hop under the
policy; ``Authorization`` is dropped when a hop leaves the first origin.

**Errors.** Every failure is an :class:`OutboundError` whose message names the host and the
HTTP status only: never the URL's path or query (an ICS URL's path and a webhook URL are
secrets), never credentials, never the remote server's body. ``status`` holds the HTTP status
when there was one. ``request`` retries transient failures (timeouts, connection errors,
408/425/429/5xx) with exponential backoff and jitter; a refused address is never retried.
"""

from app.outbound.client import (
    DEFAULT_MAX_BYTES,
    REDIRECTS,
    RETRYABLE_STATUS,
    USER_AGENT,
    Fetched,
    Reply,
    RetryPolicy,
    close,
    fetch,
    request,
    session,
    shared,
)
from app.outbound.errors import BlockedAddress, OutboundError
from app.outbound.policy import (
    SCHEMES,
    address_problem,
    check_host,
    check_url,
    configure,
    host_of,
    is_blocked,
    literal_address,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "REDIRECTS",
    "RETRYABLE_STATUS",
    "SCHEMES",
    "USER_AGENT",
    "BlockedAddress",
    "Fetched",
    "OutboundError",
    "Reply",
    "RetryPolicy",
    "address_problem",
    "check_host",
    "check_url",
    "close",
    "configure",
    "fetch",
    "host_of",
    "is_blocked",
    "literal_address",
    "request",
    "session",
    "shared",
]
