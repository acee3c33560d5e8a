"""A small async CalDAV/WebDAV client (RFC 4918, RFC 4791, RFC 6764) on aiohttp.

Enough for exporting shifts as events and importing busy time:

* discovery with PROPFIND: current-user-principal → calendar-home-set → the calendars in
  each home (display name, supported components, description, colour, ctag, sync token);
* ``calendar(url)``: one collection's properties, :class:`NotACalendar` when it is none;
* ``events(url, start, end)``: REPORT calendar-query for the VEVENTs overlapping a time range
  (href, ETag and the iCalendar text of each resource), ``multiget`` and ``get``;
* ``put`` (``If-None-Match: *`` to create only, ``If-Match`` to update only), ``delete`` and
  ``mkcalendar``.

Every request goes through :func:`app.outbound.request` (the address policy, timeouts,
retries of transient failures with backoff and jitter) with Basic auth. Failures are
:class:`CalDavError` subclasses whose messages name the URL (never with credentials) and
never carry the password or the server's body.
XML is read with the standard library: ElementTree neither fetches external entities nor (with
the bundled expat) expands entity bombs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit
from xml.sax.saxutils import escape

import aiohttp

from app import outbound
from app.caldav.errors import (
    AccessDenied,
    AlreadyExists,
    CalDavError,
    NotACalendar,
    NotFound,
    PreconditionFailed,
    ProtocolError,
    Unavailable,
)
from app.caldav.urls import collection_url, safe_url, same_path
from app.caldav.webdav import (
    CALDAV,
    CALENDAR_DATA,
    CALENDAR_HOME_SET,
    CALENDAR_PROPS,
    CURRENT_USER_PRINCIPAL,
    DAV,
    GETETAG,
    Calendar,
    EventResource,
    Response,
    calendar_of,
    hrefs_of,
    parse_multistatus,
    tag,
    text_of,
    xml_attr,
    xml_document,
    xml_prop,
)

_ANY_STATUS = frozenset(range(100, 600))
_XML = 'application/xml; charset="utf-8"'


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("time ranges need aware datetimes")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _header(reply: outbound.Reply, name: str) -> str | None:
    return next((v for k, v in reply.headers.items() if k.lower() == name.lower()), None)


class CalDavClient:
    """One account on one CalDAV server. ``url`` is where discovery starts (the server, a
    principal or a calendar); the other methods take the URL they act on."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        username: str | None,
        password: str | None,
        timeout: float = 10.0,
        policy: outbound.RetryPolicy | None = None,
        max_redirects: int = 5,
    ) -> None:
        self.session = session
        self.url = url
        self.timeout = timeout
        self.policy = policy or outbound.RetryPolicy(attempts=3)
        self.max_redirects = max_redirects
        if username and ":" in username:
            raise CalDavError("a user name for Basic authentication cannot contain ':'")
        # A header rather than auth=: aiohttp drops it on a redirect to another origin.
        self._authorization = (
            aiohttp.encode_basic_auth(username, password or "") if username else None
        )

    # ------------------------------------------------------------------- transport

    async def _request(
        self,
        method: str,
        url: str,
        *,
        ok: Iterable[int],
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> outbound.Reply:
        sent = dict(headers or {})
        if self._authorization is not None:
            sent["Authorization"] = self._authorization
        if body is not None:
            sent.setdefault("Content-Type", _XML)
        try:
            reply = await outbound.request(
                self.session,
                method,
                url,
                retry=self.policy,
                timeout=self.timeout,
                ok=_ANY_STATUS,
                data=body,
                headers=sent,
                max_redirects=self.max_redirects,
            )
        except outbound.OutboundError as exc:
            raise Unavailable(f"the CalDAV server did not answer: {exc}", url=url) from None
        if reply.status in set(ok):
            return reply
        raise self._failure(method, url, reply)

    def _failure(self, method: str, url: str, reply: outbound.Reply) -> CalDavError:
        shown = safe_url(url)
        status = reply.status
        if status == 401:
            return AccessDenied(
                f"the CalDAV server refused the user name or password (HTTP 401 for {shown})",
                status=status,
                url=url,
            )
        if status == 403:
            return AccessDenied(
                f"the CalDAV server denied access to {shown} (HTTP 403)", status=status, url=url
            )
        if status in (404, 410):
            return NotFound(
                f"{shown} was not found on the CalDAV server (HTTP {status})",
                status=status,
                url=url,
            )
        if status == 412:
            return PreconditionFailed(
                f"{method} {shown}: the resource changed or already exists (HTTP 412)",
                status=status,
                url=url,
            )
        # Never the server's body: it reaches lastError, which VIEWERs read.
        return ProtocolError(f"{method} {shown}: HTTP {status}", status=status, url=url)

    async def propfind(self, url: str, props: Sequence[str], *, depth: str = "0") -> list[Response]:
        """PROPFIND ``props`` (Clark names) at ``url`` with Depth ``depth``."""
        reply = await self._request(
            "PROPFIND",
            url,
            ok={207},
            body=xml_document(tag(DAV, "propfind"), xml_prop(props)),
            headers={"Depth": depth},
        )
        return parse_multistatus(reply.body, url)

    # ------------------------------------------------------------------- discovery

    async def principal(self) -> str:
        """The current user's principal URL, from ``url`` or else from /.well-known/caldav."""
        tried: list[CalDavError] = []
        for candidate in (self.url, urljoin(self.url, "/.well-known/caldav")):
            try:
                responses = await self.propfind(candidate, [CURRENT_USER_PRINCIPAL])
            except (NotFound, ProtocolError) as exc:
                tried.append(exc)
                continue
            for response in responses:
                found = hrefs_of(response.props.get(CURRENT_USER_PRINCIPAL), response.url)
                if found:
                    return found[0]
        raise NotACalendar(
            f"{safe_url(self.url)} does not look like a CalDAV server (no current-user-principal)",
            url=self.url,
        )

    async def calendar_homes(self, principal: str | None = None) -> list[str]:
        """The calendar-home-set of a principal (default: the current user's)."""
        principal = principal or await self.principal()
        homes: list[str] = []
        for response in await self.propfind(principal, [CALENDAR_HOME_SET]):
            homes += [
                collection_url(h)
                for h in hrefs_of(response.props.get(CALENDAR_HOME_SET), response.url)
            ]
        if not homes:
            raise NotACalendar(f"{safe_url(principal)} names no calendar home", url=principal)
        return list(dict.fromkeys(homes))

    async def calendars(self, home: str | None = None) -> list[Calendar]:
        """The calendars in one home (Depth 1), or in all homes of the current user."""
        homes = [collection_url(home)] if home else await self.calendar_homes()
        found: dict[str, Calendar] = {}
        for url in homes:
            for response in await self.propfind(url, CALENDAR_PROPS, depth="1"):
                if same_path(response.url, url):
                    continue
                calendar = calendar_of(response)
                if calendar is not None:
                    found.setdefault(calendar.url, calendar)
        return list(found.values())

    async def discover(self) -> list[Calendar]:
        """Every calendar of the account that ``url`` leads to (principal → homes → calendars)."""
        return await self.calendars()

    async def calendar(self, url: str) -> Calendar:
        """The properties of one calendar collection; NotACalendar when ``url`` is no calendar."""
        try:
            responses = await self.propfind(collection_url(url), CALENDAR_PROPS)
        except ProtocolError as exc:
            raise NotACalendar(
                f"{safe_url(url)} is not a CalDAV calendar ({exc})", url=url
            ) from None
        for response in responses:
            calendar = calendar_of(response)
            if calendar is not None:
                return calendar
        raise NotACalendar(f"{safe_url(url)} is not a CalDAV calendar", url=url)

    # ---------------------------------------------------------------------- events

    async def events(
        self, calendar_url: str, start: datetime, end: datetime, *, component: str = "VEVENT"
    ) -> list[EventResource]:
        """The resources with a ``component`` overlapping [start, end) (REPORT calendar-query).
        Recurring events come whole (master and overrides): expanding them is the caller's."""
        url = collection_url(calendar_url)
        query = (
            xml_prop([GETETAG, CALENDAR_DATA])
            + '<c:filter><c:comp-filter name="VCALENDAR">'
            + f'<c:comp-filter name="{xml_attr(component.upper())}">'
            + f'<c:time-range start="{_utc(start)}" end="{_utc(end)}"/>'
            + "</c:comp-filter></c:comp-filter></c:filter>"
        )
        reply = await self._request(
            "REPORT",
            url,
            ok={207},
            body=xml_document(tag(CALDAV, "calendar-query"), query),
            headers={"Depth": "1"},
        )
        responses = [r for r in parse_multistatus(reply.body, url) if not same_path(r.url, url)]
        found = [self._event(r) for r in responses if CALENDAR_DATA in r.props]
        missing = [
            r.href for r in responses if CALENDAR_DATA not in r.props and (r.status or 200) < 300
        ]
        return found + (await self.multiget(url, missing) if missing else [])

    async def multiget(self, calendar_url: str, hrefs: Sequence[str]) -> list[EventResource]:
        """The named resources of a calendar in one REPORT calendar-multiget."""
        url = collection_url(calendar_url)
        inner = xml_prop([GETETAG, CALENDAR_DATA]) + "".join(
            f"<d:href>{escape(h)}</d:href>" for h in hrefs
        )
        reply = await self._request(
            "REPORT",
            url,
            ok={207},
            body=xml_document(tag(CALDAV, "calendar-multiget"), inner),
            headers={"Depth": "1"},
        )
        return [
            self._event(r) for r in parse_multistatus(reply.body, url) if CALENDAR_DATA in r.props
        ]

    @staticmethod
    def _event(response: Response) -> EventResource:
        data = response.props[CALENDAR_DATA]
        return EventResource(
            url=response.url,
            href=response.href,
            etag=text_of(response.props.get(GETETAG)),
            ics=data.text or "",
        )

    async def get(self, url: str) -> EventResource:
        reply = await self._request("GET", url, ok={200}, headers={"Accept": "text/calendar"})
        return EventResource(
            url=url,
            href=urlsplit(url).path,
            etag=_header(reply, "ETag"),
            ics=reply.body.decode("utf-8", "replace"),
        )

    async def put(
        self,
        url: str,
        ics: str | bytes,
        *,
        etag: str | None = None,
        create_only: bool = False,
    ) -> str | None:
        """Store one calendar object resource at ``url``; returns the new ETag when the server
        tells it. ``create_only`` sends ``If-None-Match: *``; ``etag`` sends ``If-Match``;
        either failing is PreconditionFailed."""
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if create_only:
            headers["If-None-Match"] = "*"
        if etag is not None:
            headers["If-Match"] = etag
        body = ics.encode() if isinstance(ics, str) else ics
        reply = await self._request("PUT", url, ok={200, 201, 204}, body=body, headers=headers)
        return _header(reply, "ETag")

    async def delete(self, url: str, *, etag: str | None = None, missing_ok: bool = False) -> bool:
        """Delete a resource; False when it was already gone and ``missing_ok``."""
        headers = {"If-Match": etag} if etag is not None else {}
        try:
            await self._request("DELETE", url, ok={200, 202, 204}, headers=headers)
        except NotFound:
            if missing_ok:
                return False
            raise
        return True

    async def mkcalendar(
        self,
        url: str,
        *,
        display_name: str | None = None,
        components: Sequence[str] = ("VEVENT",),
        description: str | None = None,
    ) -> Calendar:
        """Create a calendar collection at ``url`` (MKCALENDAR); AlreadyExists when something
        is there already."""
        props = ""
        if display_name is not None:
            props += f"<d:displayname>{escape(display_name)}</d:displayname>"
        if description is not None:
            props += f"<c:calendar-description>{escape(description)}</c:calendar-description>"
        if components:
            props += (
                "<c:supported-calendar-component-set>"
                + "".join(f'<c:comp name="{xml_attr(c.upper())}"/>' for c in components)
                + "</c:supported-calendar-component-set>"
            )
        url = collection_url(url)
        body = xml_document(tag(CALDAV, "mkcalendar"), f"<d:set><d:prop>{props}</d:prop></d:set>")
        try:
            await self._request("MKCALENDAR", url, ok={200, 201}, body=body)
        except ProtocolError as exc:
            if exc.status in (405, 409):
                raise AlreadyExists(
                    f"{safe_url(url)} already exists (HTTP {exc.status})",
                    status=exc.status,
                    url=url,
                ) from None
            raise
        return Calendar(
            url=url,
            display_name=display_name,
            components=tuple(c.upper() for c in components),
            description=description,
        )
