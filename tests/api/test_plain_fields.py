"""Plain fields (app.api.plain): read in place, the same results and errors as the ordinary
path, long lists still taking turns on the loop, and the fields of the shifts query found."""

from __future__ import annotations

import asyncio
import enum
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from app import cooperative
from app.api import plain
from app.api.execution import SharingExecutionContext
from app.api.scalars import SCALARS
from app.api.schema import build_schema

START = datetime(2026, 3, 1, tzinfo=UTC)


@strawberry.enum
class Color(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Tag:
    label: str


@strawberry.type
class Other:
    label: str


@strawberry.type
class Item:
    name: str
    at: datetime
    color: Color
    note: str | None
    tags: list[Tag]
    maybe_tags: list[Tag | None] | None
    best: Tag | None

    @strawberry.field
    def doubled(self) -> str:
        return self.name * 2


def item(i: int, **changes: Any) -> Item:
    values: dict[str, Any] = {
        "name": f"n{i}",
        "at": START + timedelta(hours=i),
        "color": Color.RED if i % 2 else Color.BLUE,
        "note": None if i % 3 else f"note {i}",
        "tags": [Tag(label=f"t{i}-{k}") for k in range(i % 4)],
        "maybe_tags": None if i % 5 == 0 else [Tag(label="x"), None],
        "best": Tag(label="best") if i % 2 else None,
    }
    values.update(changes)
    return Item(**values)


def items(count: int, broken: dict[int, dict[str, Any]] | None = None) -> list[Item]:
    broken = broken or {}
    return [item(i, **broken.get(i, {})) for i in range(count)]


class Store:
    lists: dict[str, list[Any]] = {}


@strawberry.type
class Query:
    @strawberry.field
    def items(self, key: str) -> list[Item]:
        return Store.lists[key]

    @strawberry.field
    def maybe_items(self, key: str) -> list[Item | None] | None:
        return Store.lists[key]


class Middleware(SchemaExtension):
    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        return _next(root, info, *args, **kwargs)


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    """The same schema with plain fields installed, and without (Strawberry's own path)."""
    config = StrawberryConfig(scalar_map=SCALARS)
    fast = strawberry.Schema(
        query=Query, config=config, execution_context_class=SharingExecutionContext
    )
    plain.install(fast._schema)
    ordinary = strawberry.Schema(query=Query, config=config)
    return fast, ordinary


# Only plain fields (each item completed in one pass); WITH_RESOLVER adds a resolver field
# (each item completed field by field, leaves still read in place).
SELECTION = """
  name at color note __typename alias: name
  tags { label __typename } maybeTags { label } best { label }
  ... on Item { at2: at }
  skipped: name @skip(if: true)
"""


WITH_RESOLVER = SELECTION + " doubled"


def outcome(result: Any) -> tuple[Any, list[tuple[str, list[Any]]]]:
    errors = sorted((e.message, list(e.path or [])) for e in result.errors or [])
    return result.data, errors


async def same_as_ordinary(query: str) -> tuple[Any, list[tuple[str, list[Any]]]]:
    fast, ordinary = schemas()
    expected = outcome(await ordinary.execute(query))
    got = outcome(await fast.execute(query))
    assert got == expected
    return got


async def test_plain_reads_give_strawberrys_results_short_and_long_lists() -> None:
    Store.lists = {"short": items(7), "long": items(3 * cooperative.SLICE + 7)}
    for key in ("short", "long"):
        await same_as_ordinary(f'{{ items(key: "{key}") {{ {WITH_RESOLVER} }} }}')
        data, errors = await same_as_ordinary(f'{{ items(key: "{key}") {{ {SELECTION} }} }}')
        assert not errors
        assert data["items"][5] == {
            "name": "n5",
            "at": "2026-03-01T05:00:00+00:00",
            "color": "RED",
            "note": None,
            "__typename": "Item",
            "alias": "n5",
            "tags": [{"label": "t5-0", "__typename": "Tag"}],
            "maybeTags": None,
            "best": {"label": "best"},
            "at2": "2026-03-01T05:00:00+00:00",
        }


async def test_errors_and_their_paths_are_the_ordinary_ones() -> None:
    long = 2 * cooperative.SLICE + 3
    bad = {
        1: {"name": None},  # null for a non-null leaf
        60: {"tags": [Tag(label="ok"), None]},  # null item in a non-null list
        61: {"at": "not a datetime"},  # the scalar refuses the value
        62: {"best": Other(label="other class")},  # an object of another class
        63: {"maybe_tags": [None, Tag(label=None)]},  # type: ignore[arg-type]
    }
    Store.lists = {"bad": items(long, bad)}
    for field in ("items", "maybeItems"):
        for selection in (SELECTION, WITH_RESOLVER):
            _, errors = await same_as_ordinary(f'{{ {field}(key: "bad") {{ {selection} }} }}')
            assert errors, field
    data, errors = await same_as_ordinary(f'{{ maybeItems(key: "bad") {{ {SELECTION} }} }}')
    paths = [path for _, path in errors]
    assert ["maybeItems", 1, "name"] in paths and ["maybeItems", 63, "maybeTags", 1, "label"] in (
        paths
    )
    assert data["maybeItems"][1] is None and data["maybeItems"][2]["name"] == "n2"


async def test_middleware_turns_plain_reads_off_with_the_same_results() -> None:
    Store.lists = {"short": items(4)}
    config = StrawberryConfig(scalar_map=SCALARS)
    with_middleware = strawberry.Schema(
        query=Query,
        config=config,
        extensions=[Middleware],
        execution_context_class=SharingExecutionContext,
    )
    plain.install(with_middleware._schema)
    _, ordinary = schemas()
    query = f'{{ items(key: "short") {{ {WITH_RESOLVER} }} }}'
    assert outcome(await with_middleware.execute(query)) == outcome(await ordinary.execute(query))


async def test_a_long_plain_list_still_takes_turns_on_the_loop() -> None:
    count = 400 * cooperative.SLICE  # far longer to complete than one stretch
    Store.lists = {"long": items(count)}
    fast, _ = schemas()
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    result = await fast.execute('{ items(key: "long") { name at tags { label } } }')
    stop.set()
    await task
    assert result.errors is None and len(result.data["items"]) == count  # type: ignore[index]
    # Another task ran between the stretches, not only once the whole list was done.
    assert ticks - before >= 3


def test_the_shifts_query_reads_plain_fields() -> None:
    """Strawberry's resolver-less fields are recognised (a Strawberry upgrade that renames
    them would silently lose the shortcut)."""
    schema = build_schema()._schema
    leaves = plain.leaves_of(schema)
    assert leaves is not None
    assert {"start", "end", "origin"} <= set(leaves["Shift"])
    assert "name" in leaves["Contact"]
    shift = schema.type_map["Shift"]
    assert isinstance(shift, GraphQLObjectType)
    assert isinstance(shift.fields["assignees"].resolve, plain.PlainResolver)
    # Fields with resolvers or permissions keep theirs.
    assert not isinstance(shift.fields["positions"].resolve, plain.PlainResolver)


def test_datetimes_are_written_as_isoformat_by_a_bounded_memo() -> None:
    from zoneinfo import ZoneInfo

    from dateutil import tz as dateutil_tz

    from app.api import scalars

    new_york = ZoneInfo("America/New_York")
    instant = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    values = [
        instant,
        instant.astimezone(new_york),  # the same instant, another zone
        instant.astimezone(timezone(timedelta(hours=5, minutes=30))),
        instant.replace(tzinfo=None),
        datetime(2026, 11, 1, 1, 30, tzinfo=new_york),  # either side of the fold
        datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=new_york),
        # dateutil's zones are not hashable (the soak found shifts carrying tzutc()).
        instant.replace(tzinfo=dateutil_tz.tzutc()),
        instant.astimezone(dateutil_tz.gettz("Europe/Berlin")),
    ]
    for _ in range(2):  # the second round is answered from the memo
        assert [scalars.serialize_datetime(v) for v in values] == [v.isoformat() for v in values]
    for hours in range(2 * scalars.FORMATTED_ENTRIES):
        moment = START + timedelta(hours=hours)
        assert scalars.serialize_datetime(moment) == moment.isoformat()
        assert len(scalars._formatted) <= scalars.FORMATTED_ENTRIES
