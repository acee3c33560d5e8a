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

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit
from xml.sax.saxutils import escape

import aiohttp

from app import outbound

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CALSERVER = "http://calendarserver.org/ns/"
APPLE = "http://apple.com/ns/ical/"
_PREFIXES = {DAV: "d", CALDAV: "c", CALSERVER: "cs", APPLE: "ic"}


def _tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


CURRENT_USER_PRINCIPAL = _tag(DAV, "current-user-principal")
RESOURCETYPE = _tag(DAV, "resourcetype")
DISPLAYNAME = _tag(DAV, "displayname")
GETETAG = _tag(DAV, "getetag")
SYNC_TOKEN = _tag(DAV, "sync-token")
CALENDAR_HOME_SET = _tag(CALDAV, "calendar-home-set")
CALENDAR_DATA = _tag(CALDAV, "calendar-data")
CALENDAR_DESCRIPTION = _tag(CALDAV, "calendar-description")
SUPPORTED_COMPONENTS = _tag(CALDAV, "supported-calendar-component-set")
GETCTAG = _tag(CALSERVER, "getctag")
CALENDAR_COLOR = _tag(APPLE, "calendar-color")

_CALENDAR_PROPS = (
    RESOURCETYPE,
    DISPLAYNAME,
    SUPPORTED_COMPONENTS,
    CALENDAR_DESCRIPTION,
    CALENDAR_COLOR,
    GETCTAG,
    SYNC_TOKEN,
)
_ANY_STATUS = frozenset(range(100, 600))
_XML = 'application/xml; charset="utf-8"'


# ------------------------------------------------------------------------------ errors


class CalDavError(Exception):
    """A CalDAV request failed; the message is fit for users (no credentials)."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class AccessDenied(CalDavError):
    """401 (user name or password refused) or 403 (no access to this resource)."""


class NotFound(CalDavError):
    """404 or 410: no such resource."""


class NotACalendar(CalDavError):
    """The URL answers, but is not a CalDAV calendar (or not a CalDAV server at all)."""


class PreconditionFailed(CalDavError):
    """412: the ``If-Match`` / ``If-None-Match`` condition did not hold."""


class AlreadyExists(CalDavError):
    """MKCALENDAR where something already is (405, or 409 resource-must-be-null)."""


class Unavailable(CalDavError):
    """Unreachable, timed out, or failing with 5xx even after the retries."""


class ProtocolError(CalDavError):
    """Any other unexpected status, or an answer that is not the XML CalDAV promises."""


# ------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Calendar:
    url: str
    display_name: str | None
    components: tuple[str, ...] = ()  # empty when the server does not say (then: all)
    description: str | None = None
    color: str | None = None
    ctag: str | None = None
    sync_token: str | None = None

    def supports(self, component: str = "VEVENT") -> bool:
        return not self.components or component.upper() in self.components


@dataclass(frozen=True)
class EventResource:
    url: str  # absolute
    href: str  # the path the server named it by
    etag: str | None
    ics: str


@dataclass(frozen=True)
class _Response:
    url: str
    href: str
    status: int | None  # the response's own status line, when it has one instead of propstats
    props: dict[str, ET.Element]  # the properties found (2xx propstat), by Clark name


# ------------------------------------------------------------------------------ helpers


def safe_url(url: str) -> str:
    """The URL without any user:password@ part, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def collection_url(url: str) -> str:
    """A collection's URL always ends in "/" (relative hrefs resolve inside it)."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def resource_url(calendar_url: str, name: str) -> str:
    """The URL of the resource ``name`` (escaped as needed) inside a calendar collection."""
    return urljoin(collection_url(calendar_url), quote(name, safe="@:+-._~!$&'()*,;="))


def _same_path(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc) == (pb.scheme, pb.netloc) and unquote(pa.path).rstrip(
        "/"
    ) == unquote(pb.path).rstrip("/")


def is_inside(collection: str, url: str) -> bool:
    """Whether ``url`` names a resource inside the collection (same origin, below its path)."""
    pc, pu = urlsplit(collection_url(collection)), urlsplit(url)
    if (pc.scheme, pc.netloc.lower()) != (pu.scheme, pu.netloc.lower()):
        return False
    inner = unquote(pu.path)
    return inner.startswith(unquote(pc.path)) and inner.rstrip("/") != unquote(pc.path).rstrip("/")


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("time ranges need aware datetimes")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _element(clark: str) -> str:
    ns, _, name = clark[1:].partition("}")
    return f"{_PREFIXES[ns]}:{name}"


def _document(root: str, inner: str) -> bytes:
    """An XML document whose root element ``root`` (Clark name) declares our prefixes."""
    declarations = " ".join(f'xmlns:{p}="{ns}"' for ns, p in _PREFIXES.items())
    name = _element(root)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<{name} {declarations}>{inner}</{name}>'.encode()
    )


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _prop(props: Iterable[str]) -> str:
    return "<d:prop>" + "".join(f"<{_element(p)}/>" for p in props) + "</d:prop>"


def _status_code(line: str | None) -> int | None:
    # "HTTP/1.1 200 OK"
    parts = (line or "").split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def _header(reply: outbound.Reply, name: str) -> str | None:
    return next((v for k, v in reply.headers.items() if k.lower() == name.lower()), None)


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _hrefs(element: ET.Element | None, base: str) -> list[str]:
    if element is None:
        return []
    return [
        urljoin(base, h.text.strip())
        for h in element.iter(_tag(DAV, "href"))
        if h.text and h.text.strip()
    ]


def parse_multistatus(body: bytes, request_url: str) -> list[_Response]:
    """The responses of a 207 Multi-Status body; hrefs resolved against ``request_url``."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ProtocolError(
            f"{safe_url(request_url)} answered with malformed XML ({exc})", url=request_url
        ) from None
    if root.tag != _tag(DAV, "multistatus"):
        raise ProtocolError(
            f"{safe_url(request_url)} did not answer with a WebDAV multistatus", url=request_url
        )
    out = []
    for response in root.findall(_tag(DAV, "response")):
        href = _text(response.find(_tag(DAV, "href")))
        if href is None:
            continue
        props: dict[str, ET.Element] = {}
        for propstat in response.findall(_tag(DAV, "propstat")):
            status = _status_code(propstat.findtext(_tag(DAV, "status")))
            prop = propstat.find(_tag(DAV, "prop"))
            if prop is not None and status is not None and 200 <= status < 300:
                for element in prop:
                    props[element.tag] = element
        out.append(
            _Response(
                url=urljoin(request_url, href),
                href=href,
                status=_status_code(response.findtext(_tag(DAV, "status"))),
                props=props,
            )
        )
    return out


def _calendar_of(response: _Response) -> Calendar | None:
    kinds = response.props.get(RESOURCETYPE)
    if kinds is None or kinds.find(_tag(CALDAV, "calendar")) is None:
        return None
    components = response.props.get(SUPPORTED_COMPONENTS)
    return Calendar(
        url=collection_url(response.url),
        display_name=_text(response.props.get(DISPLAYNAME)),
        components=tuple(
            c.get("name", "").upper()
            for c in components.findall(_tag(CALDAV, "comp"))
            if c.get("name")
        )
        if components is not None
        else (),
        description=_text(response.props.get(CALENDAR_DESCRIPTION)),
        color=_text(response.props.get(CALENDAR_COLOR)),
        ctag=_text(response.props.get(GETCTAG)),
        sync_token=_text(response.props.get(SYNC_TOKEN)),
    )


# ------------------------------------------------------------------------------- client


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

    async def propfind(
        self, url: str, props: Sequence[str], *, depth: str = "0"
    ) -> list[_Response]:
        """PROPFIND ``props`` (Clark names) at ``url`` with Depth ``depth``."""
        reply = await self._request(
            "PROPFIND",
            url,
            ok={207},
            body=_document(_tag(DAV, "propfind"), _prop(props)),
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
                found = _hrefs(response.props.get(CURRENT_USER_PRINCIPAL), response.url)
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
                for h in _hrefs(response.props.get(CALENDAR_HOME_SET), response.url)
            ]
        if not homes:
            raise NotACalendar(f"{safe_url(principal)} names no calendar home", url=principal)
        return list(dict.fromkeys(homes))

    async def calendars(self, home: str | None = None) -> list[Calendar]:
        """The calendars in one home (Depth 1), or in all homes of the current user."""
        homes = [collection_url(home)] if home else await self.calendar_homes()
        found: dict[str, Calendar] = {}
        for url in homes:
            for response in await self.propfind(url, _CALENDAR_PROPS, depth="1"):
                if _same_path(response.url, url):
                    continue
                calendar = _calendar_of(response)
                if calendar is not None:
                    found.setdefault(calendar.url, calendar)
        return list(found.values())

    async def discover(self) -> list[Calendar]:
        """Every calendar of the account that ``url`` leads to (principal → homes → calendars)."""
        return await self.calendars()

    async def calendar(self, url: str) -> Calendar:
        """The properties of one calendar collection; NotACalendar when ``url`` is no calendar."""
        try:
            responses = await self.propfind(collection_url(url), _CALENDAR_PROPS)
        except ProtocolError as exc:
            raise NotACalendar(
                f"{safe_url(url)} is not a CalDAV calendar ({exc})", url=url
            ) from None
        for response in responses:
            calendar = _calendar_of(response)
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
            _prop([GETETAG, CALENDAR_DATA])
            + '<c:filter><c:comp-filter name="VCALENDAR">'
            + f'<c:comp-filter name="{_attr(component.upper())}">'
            + f'<c:time-range start="{_utc(start)}" end="{_utc(end)}"/>'
            + "</c:comp-filter></c:comp-filter></c:filter>"
        )
        reply = await self._request(
            "REPORT",
            url,
            ok={207},
            body=_document(_tag(CALDAV, "calendar-query"), query),
            headers={"Depth": "1"},
        )
        responses = [r for r in parse_multistatus(reply.body, url) if not _same_path(r.url, url)]
        found = [self._event(r) for r in responses if CALENDAR_DATA in r.props]
        missing = [
            r.href for r in responses if CALENDAR_DATA not in r.props and (r.status or 200) < 300
        ]
        return found + (await self.multiget(url, missing) if missing else [])

    async def multiget(self, calendar_url: str, hrefs: Sequence[str]) -> list[EventResource]:
        """The named resources of a calendar in one REPORT calendar-multiget."""
        url = collection_url(calendar_url)
        inner = _prop([GETETAG, CALENDAR_DATA]) + "".join(
            f"<d:href>{escape(h)}</d:href>" for h in hrefs
        )
        reply = await self._request(
            "REPORT",
            url,
            ok={207},
            body=_document(_tag(CALDAV, "calendar-multiget"), inner),
            headers={"Depth": "1"},
        )
        return [
            self._event(r) for r in parse_multistatus(reply.body, url) if CALENDAR_DATA in r.props
        ]

    @staticmethod
    def _event(response: _Response) -> EventResource:
        data = response.props[CALENDAR_DATA]
        return EventResource(
            url=response.url,
            href=response.href,
            etag=_text(response.props.get(GETETAG)),
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
                + "".join(f'<c:comp name="{_attr(c.upper())}"/>' for c in components)
                + "</c:supported-calendar-component-set>"
            )
        url = collection_url(url)
        body = _document(_tag(CALDAV, "mkcalendar"), f"<d:set><d:prop>{props}</d:prop></d:set>")
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
