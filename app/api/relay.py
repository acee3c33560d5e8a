"""Relay plumbing: global ids, the Node interface, connections with totalCount."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from tortoise.queryset import QuerySet

from app import ids
from app.errors import BadUserInput, Collector, NotFound

T = TypeVar("T")
M = TypeVar("M")


def encode_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(ids.encode_id(type_name, pk))


# Primary keys are 32-bit on PostgreSQL: an id beyond that range names nothing anywhere, on
# either backend, so it is NOT_FOUND without a query (never a database error).
MAX_PK = 2**31 - 1
MAX_ID_LENGTH = 200


def split_id(value: str, *, field: str = "id") -> tuple[str, int]:
    """Decode a global id into (type name, primary key); malformed ids are bad input. A key
    outside 1..MAX_PK comes back with no type name (it names nothing)."""
    try:
        if len(value) > MAX_ID_LENGTH:
            raise ValueError(value)
        padded = value + "=" * (-len(value) % 4)
        type_name, _, raw = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        pk = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise BadUserInput(f"{shown!r} is not a valid id", field=field) from None
    return (type_name, pk) if 0 < pk <= MAX_PK else ("", pk)


def decode_id(value: str, type_name: str, *, field: str = "id") -> int:
    """The primary key of a global id of the expected type; another type is NOT_FOUND."""
    found_type, pk = split_id(value, field=field)
    if found_type != type_name:
        raise NotFound(type_name, value)
    return pk


def decode_reference(value: str, type_name: str, *, field: str) -> int:
    """The primary key of an id given as a reference inside an input: an id of another type
    names no ``type_name`` (NOT_FOUND naming the field); a malformed one is bad input."""
    found_type, pk = split_id(value, field=field)
    if found_type != type_name:
        errors = Collector()
        errors.missing(field, type_name)
        errors.raise_if_any()
    return pk


def collect_reference(errors: Collector, field: str, value: str, type_name: str) -> int | None:
    """The primary key of a reference inside an input, or None with the problem added to
    ``errors``: a malformed id is bad input, another type's id names no ``type_name``."""
    try:
        return decode_id(value, type_name)
    except BadUserInput:
        errors.add(field, f"{value!r} is not a valid id")
    except NotFound:
        errors.missing(field, type_name)
    return None


def decode_ids(values: Sequence[str], type_name: str, *, field: str) -> list[int]:
    return [decode_reference(v, type_name, field=f"{field}.{i}") for i, v in enumerate(values)]


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list. `totalCount` counts the whole list.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @strawberry.field(description="The nodes of this page, without edges.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, raw = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if kind != "o" or len(cursor) > 40:
            raise ValueError(kind)
        offset = int(raw)
        if not 0 <= offset < MAX_PK:
            raise ValueError(raw)
        return offset
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput("not a valid cursor", field="after") from None


def page_bounds(first: int | None, after: str | None, *, default: int, cap: int) -> tuple[int, int]:
    """(offset, size) for a request; sizes outside 0..cap are bad input."""
    size = default if first is None else first
    if size < 0 or size > cap:
        raise BadUserInput(f"must be between 0 and {cap}", field="first")
    start = _offset(after) + 1 if after else 0
    return start, size


def build_connection(items: Sequence[T], *, start: int, total: int) -> Connection[T]:
    edges = [Edge(cursor=_cursor(start + i), node=item) for i, item in enumerate(items)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + len(items) < total,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


async def paginate(
    queryset: QuerySet[Any],
    convert: Callable[[Any], T],
    *,
    first: int | None,
    after: str | None,
    cap: int,
    default: int = 100,
) -> Connection[T]:
    """One COUNT and one page SELECT for any queryset."""
    start, size = page_bounds(first, after, default=min(default, cap), cap=cap)
    total = await queryset.count()
    rows = await queryset.offset(start).limit(size) if size else []
    return build_connection([convert(r) for r in rows], start=start, total=total)


def paginate_list(
    items: Sequence[T], *, first: int | None, after: str | None, cap: int, default: int = 100
) -> Connection[T]:
    start, size = page_bounds(first, after, default=min(default, cap), cap=cap)
    return build_connection(list(items[start : start + size]), start=start, total=len(items))
