"""WebDAV and CalDAV XML: property names, request documents, and the multistatus answers
read back into values. Read with the standard library: ElementTree neither fetches external
entities nor (with the bundled expat) expands entity bombs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin
from xml.sax.saxutils import escape

from app.caldav.errors import ProtocolError
from app.caldav.urls import collection_url, safe_url

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CALSERVER = "http://calendarserver.org/ns/"
APPLE = "http://apple.com/ns/ical/"
_PREFIXES = {DAV: "d", CALDAV: "c", CALSERVER: "cs", APPLE: "ic"}


def tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


CURRENT_USER_PRINCIPAL = tag(DAV, "current-user-principal")
RESOURCETYPE = tag(DAV, "resourcetype")
DISPLAYNAME = tag(DAV, "displayname")
GETETAG = tag(DAV, "getetag")
SYNC_TOKEN = tag(DAV, "sync-token")
CALENDAR_HOME_SET = tag(CALDAV, "calendar-home-set")
CALENDAR_DATA = tag(CALDAV, "calendar-data")
CALENDAR_DESCRIPTION = tag(CALDAV, "calendar-description")
SUPPORTED_COMPONENTS = tag(CALDAV, "supported-calendar-component-set")
GETCTAG = tag(CALSERVER, "getctag")
CALENDAR_COLOR = tag(APPLE, "calendar-color")

CALENDAR_PROPS = (
    RESOURCETYPE,
    DISPLAYNAME,
    SUPPORTED_COMPONENTS,
    CALENDAR_DESCRIPTION,
    CALENDAR_COLOR,
    GETCTAG,
    SYNC_TOKEN,
)


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
class Response:
    url: str
    href: str
    status: int | None  # the response's own status line, when it has one instead of propstats
    props: dict[str, ET.Element]  # the properties found (2xx propstat), by Clark name


def _element(clark: str) -> str:
    ns, _, name = clark[1:].partition("}")
    return f"{_PREFIXES[ns]}:{name}"


def xml_document(root: str, inner: str) -> bytes:
    """An XML document whose root element ``root`` (Clark name) declares our prefixes."""
    declarations = " ".join(f'xmlns:{p}="{ns}"' for ns, p in _PREFIXES.items())
    name = _element(root)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<{name} {declarations}>{inner}</{name}>'.encode()
    )


def xml_attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def xml_prop(props: Iterable[str]) -> str:
    return "<d:prop>" + "".join(f"<{_element(p)}/>" for p in props) + "</d:prop>"


def _status_code(line: str | None) -> int | None:
    # "HTTP/1.1 200 OK"
    parts = (line or "").split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def text_of(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def hrefs_of(element: ET.Element | None, base: str) -> list[str]:
    if element is None:
        return []
    return [
        urljoin(base, h.text.strip())
        for h in element.iter(tag(DAV, "href"))
        if h.text and h.text.strip()
    ]


def parse_multistatus(body: bytes, request_url: str) -> list[Response]:
    """The responses of a 207 Multi-Status body; hrefs resolved against ``request_url``."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ProtocolError(
            f"{safe_url(request_url)} answered with malformed XML ({exc})", url=request_url
        ) from None
    if root.tag != tag(DAV, "multistatus"):
        raise ProtocolError(
            f"{safe_url(request_url)} did not answer with a WebDAV multistatus", url=request_url
        )
    out = []
    for response in root.findall(tag(DAV, "response")):
        href = text_of(response.find(tag(DAV, "href")))
        if href is None:
            continue
        props: dict[str, ET.Element] = {}
        for propstat in response.findall(tag(DAV, "propstat")):
            status = _status_code(propstat.findtext(tag(DAV, "status")))
            prop = propstat.find(tag(DAV, "prop"))
            if prop is not None and status is not None and 200 <= status < 300:
                for element in prop:
                    props[element.tag] = element
        out.append(
            Response(
                url=urljoin(request_url, href),
                href=href,
                status=_status_code(response.findtext(tag(DAV, "status"))),
                props=props,
            )
        )
    return out


def calendar_of(response: Response) -> Calendar | None:
    kinds = response.props.get(RESOURCETYPE)
    if kinds is None or kinds.find(tag(CALDAV, "calendar")) is None:
        return None
    components = response.props.get(SUPPORTED_COMPONENTS)
    return Calendar(
        url=collection_url(response.url),
        display_name=text_of(response.props.get(DISPLAYNAME)),
        components=tuple(
            c.get("name", "").upper()
            for c in components.findall(tag(CALDAV, "comp"))
            if c.get("name")
        )
        if components is not None
        else (),
        description=text_of(response.props.get(CALENDAR_DESCRIPTION)),
        color=text_of(response.props.get(CALENDAR_COLOR)),
        ctag=text_of(response.props.get(GETCTAG)),
        sync_token=text_of(response.props.get(SYNC_TOKEN)),
    )
