"""URLs of CalDAV collections and resources, and URLs safe to show (no credentials)."""

from __future__ import annotations

from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit


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


def same_path(a: str, b: str) -> bool:
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
