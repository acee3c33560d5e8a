"""The PAGERDUTY adapter against a local PagerDuty REST server (tests/servers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from app import clock
from app.destinations.adapters import adapter_for
from app.destinations.adapters.base import (
    ExportFailed,
    ExportRequest,
    ExportResult,
    Person,
    PreviousItem,
    Segment,
)
from app.destinations.adapters.pagerduty import PagerDutyAdapter
from tests.servers import FakePagerDuty, PdUser, pagerduty_server

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
T0 = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
TOKEN = "pd-test-token-0123456789"
SCHEDULE = "PSCHED1"

ANN, BOB, CAROL, DAN = 1, 2, 3, 4
PEOPLE = {
    ANN: Person(ANN, "Ann Lee", "Ann@Example.com", None),
    BOB: Person(BOB, "Bob Stone", "bob@example.com", None),
    CAROL: Person(CAROL, "Carol Diaz", "carol@example.com", None),
    DAN: Person(DAN, "Dan Noemail", None, None),
}
USERS = [
    PdUser("PANN", "ann@example.com", "Ann Lee"),
    PdUser(
        "PJOANN", "joann@example.com", "Joann Smith"
    ),  # also matches the query "ann@example.com"
    PdUser("PBOB", "bob.pd@example.com", "Bob Stone"),
    PdUser("PCAROL", "carol@example.com", "Carol Diaz"),
    PdUser("PDAN", "dan@example.com", "Dan Noemail"),
]


@pytest_asyncio.fixture
async def pd() -> AsyncIterator[FakePagerDuty]:
    async with pagerduty_server(token=TOKEN, users=USERS, schedules=[SCHEDULE]) as fake:
        yield fake


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def config(pd: FakePagerDuty, **extra: Any) -> dict[str, Any]:
    return {
        "baseUrl": pd.base_url,
        "scheduleId": SCHEDULE,
        "userMap": {"bob@example.com": "PBOB"},  # Bob's PagerDuty email differs from his contact's
        "retryInitialSeconds": 0.01,
        **extra,
    }


def request(
    pd: FakePagerDuty,
    segments: Sequence[Segment],
    *,
    previous: Sequence[PreviousItem] = (),
    start: datetime = T0,
    end: datetime = T0 + 48 * H,
    key: str = "key-1",
    token: str = TOKEN,
    **extra: Any,
) -> ExportRequest:
    return ExportRequest(
        destination_id=7,
        schedule_name="Platform",
        config=config(pd, **extra),
        secrets={"apiToken": token},
        range_start=start,
        range_end=end,
        segments=list(segments),
        people=PEOPLE,
        idempotency_key=key,
        previous_items=list(previous),
    )


async def export(
    req: ExportRequest, session: aiohttp.ClientSession, *, now: datetime = NOW
) -> ExportResult:
    clock.use(clock.FixedClock(now))
    return await PagerDutyAdapter().export(req, session)


def seg(hours_from: int, hours_to: int, contact: int) -> Segment:
    return Segment(T0 + hours_from * H, T0 + hours_to * H, contact)


async def test_export_creates_overrides_with_users_times_and_headers(
    pd: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    segments = [seg(0, 12, ANN), seg(12, 24, BOB), seg(24, 36, ANN)]
    result = await export(request(pd, segments, fromEmail="ops@example.com"), session)

    assert pd.current(SCHEDULE) == [
        ("PANN", T0, T0 + 12 * H),
        ("PBOB", T0 + 12 * H, T0 + 24 * H),
        ("PANN", T0 + 24 * H, T0 + 36 * H),
    ]
    assert [(i.start, i.end) for i in result.created] == [(s.start, s.end) for s in segments]
    assert {i.external_id for i in result.created} == set(pd.overrides[SCHEDULE])
    assert result.removed == []

    posts = pd.calls_of("POST")
    assert len(posts) == 3
    for call in pd.calls:
        assert call.headers["Authorization"] == f"Token token={TOKEN}"
        assert call.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
        assert call.headers["From"] == "ops@example.com"
    for call, segment in zip(posts, segments, strict=True):
        assert call.headers["Content-Type"] == "application/json"
        assert call.idempotency_key is not None and call.idempotency_key.startswith("key-1:")
        body = call.body["override"]
        assert datetime.fromisoformat(body["start"]) == segment.start
        assert datetime.fromisoformat(body["end"]) == segment.end
        assert body["user"]["type"] == "user_reference"
    assert len({c.idempotency_key for c in posts}) == 3  # one per override, stable per export
    # The range was read once, in UTC.
    (listing,) = pd.calls_of("GET", f"/schedules/{SCHEDULE}/overrides")
    assert datetime.fromisoformat(listing.query["since"]) == T0
    assert datetime.fromisoformat(listing.query["until"]) == T0 + 48 * H


async def test_reexport_of_changed_range_deletes_exactly_what_it_wrote(
    pd: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    first = await export(
        request(pd, [seg(0, 12, ANN), seg(12, 24, BOB), seg(24, 36, ANN)]), session
    )
    by_start = {i.start: i.external_id for i in first.created}
    human = pd.add_override(SCHEDULE, T0 + 30 * H, T0 + 31 * H, "PDAN")  # someone else's
    outside = pd.add_override(SCHEDULE, T0 - 10 * H, T0 - 9 * H, "PDAN")
    pd.calls.clear()

    # Bob's shift goes to Carol, the last one ends later; the first is unchanged.
    second = await export(
        request(
            pd,
            [seg(0, 12, ANN), seg(12, 24, CAROL), seg(24, 40, ANN)],
            previous=first.created,
            key="key-2",
        ),
        session,
    )

    deleted = {c.path.rsplit("/", 1)[1] for c in pd.calls_of("DELETE")}
    assert deleted == {by_start[T0 + 12 * H], by_start[T0 + 24 * H]}
    assert set(second.removed) == deleted
    assert [(i.start, i.end) for i in second.created] == [
        (T0 + 12 * H, T0 + 24 * H),
        (T0 + 24 * H, T0 + 40 * H),
    ]
    assert len(pd.calls_of("POST")) == 2
    assert by_start[T0] in pd.overrides[SCHEDULE]  # kept: no gap in coverage
    assert human in pd.overrides[SCHEDULE] and outside in pd.overrides[SCHEDULE]
    assert pd.current(SCHEDULE) == [
        ("PDAN", T0 - 10 * H, T0 - 9 * H),
        ("PANN", T0, T0 + 12 * H),
        ("PCAROL", T0 + 12 * H, T0 + 24 * H),
        ("PANN", T0 + 24 * H, T0 + 40 * H),
        ("PDAN", T0 + 30 * H, T0 + 31 * H),
    ]

    # A range that became empty removes everything this destination wrote in it.
    stored = [i for i in first.created if i.start == T0] + second.created
    third = await export(request(pd, [], previous=stored, key="key-3"), session)
    assert sorted(third.removed) == sorted(i.external_id for i in stored)
    assert third.created == []
    assert set(pd.overrides[SCHEDULE]) == {human, outside}


async def test_user_map_by_email_or_name_before_lookup_by_email(
    pd: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    segments = [
        seg(0, 6, ANN),
        seg(6, 12, BOB),
        seg(12, 18, DAN),
        seg(18, 24, ANN),
        seg(24, 30, CAROL),
    ]
    await export(
        request(
            pd,
            segments,
            userMap={
                "BOB@example.com": "PBOB",
                "dan noemail": "PDAN",
                "carol@example.com": "PCAROL",
            },
        ),
        session,
    )
    assert [u for u, _, _ in pd.current(SCHEDULE)] == ["PANN", "PBOB", "PDAN", "PANN", "PCAROL"]
    # Only Ann needed a lookup, once for both of her shifts; the fuzzy match "joann" is ignored.
    lookups = pd.calls_of("GET", "/users")
    assert [c.query["query"] for c in lookups] == ["ann@example.com"]


async def test_unmapped_contacts_fail_before_anything_is_written(
    pd: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    unknown = {**PEOPLE, 9: Person(9, "Eve Unknown", "eve@example.com", None)}
    req = request(pd, [seg(0, 6, ANN), seg(6, 12, 9), seg(12, 18, DAN)], userMap={})
    req = ExportRequest(**{**req.__dict__, "people": unknown})
    with pytest.raises(ExportFailed) as failed:
        await export(req, session)
    message = str(failed.value)
    assert "Eve Unknown (eve@example.com)" in message
    assert "Dan Noemail (no email)" in message
    assert "Ann" not in message.split(":")[1]  # Ann was found
    assert "config.userMap" in message
    assert pd.calls_of("POST") == [] and pd.calls_of("DELETE") == []


async def test_500_then_200_is_retried_with_the_same_key(
    pd: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    pd.fail("POST", f"/schedules/{SCHEDULE}/overrides", status=500, times=1)
    pd.fail("DELETE", status=503, times=1)
    first = await export(request(pd, [seg(0, 12, ANN)]), session)
    posts = pd.calls_of("POST")
    assert len(posts) == 2 and posts[0].idempotency_key == posts[1].idempotency_key
    assert len(pd.overrides[SCHEDULE]) == 1

    await export(request(pd, [seg(0, 12, BOB)], previous=first.created, key="k2"), session)
    assert len(pd.calls_of("DELETE")) == 2  # 503, then the delete that worked
    assert pd.current(SCHEDULE) == [("PBOB", T0, T0 + 12 * H)]


async def test_a_timeout_is_retried(pd: FakePagerDuty, session: aiohttp.ClientSession) -> None:
    pd.fail("GET", f"/schedules/{SCHEDULE}/overrides", status=0, delay=1.0, times=1)
    await export(request(pd, [seg(0, 12, ANN)], timeoutSeconds=0.2), session)
    assert len(pd.calls_of("GET", f"/schedules/{SCHEDULE}/overrides")) == 2
    assert pd.current(SCHEDULE) == [("PANN", T0, T0 + 12 * H)]


async def test_400_fails_at_once(pd: FakePagerDuty, session: aiohttp.ClientSession) -> None:
    pd.fail("POST", status=400, times=5, body="Override user is not on this schedule")
    with pytest.raises(ExportFailed) as failed:
        await export(request(pd, [seg(0, 12, ANN)]), session)
    assert len(pd.calls_of("POST")) == 1
    assert "HTTP 400" in str(failed.value) and str(failed.value).startswith("PagerDuty")


async def test_5xx_that_persists_fails_after_max_attempts(
    pd: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    pd.fail("POST", status=502, times=10)
    with pytest.raises(ExportFailed) as failed:
        await export(request(pd, [seg(0, 12, ANN)], maxAttempts=3), session)
    assert len(pd.calls_of("POST")) == 3
    assert "502" in str(failed.value)


async def test_the_token_is_never_in_a_message(
    pd: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    wrong = "pd-wrong-token-9876543210"
    with pytest.raises(ExportFailed) as refused:
        await export(request(pd, [seg(0, 12, ANN)], token=wrong), session)
    assert "HTTP 401" in str(refused.value) and "secrets.apiToken" in str(refused.value)
    assert wrong not in str(refused.value) and TOKEN not in str(refused.value)
    assert len(pd.calls) == 1  # not retried

    # Even a server that echoes the token back does not get it (or anything else it
    # answered) into lastError: the status and our own reason only.
    pd.fail("POST", status=422, body=f"bad request from Token token={TOKEN}")
    with pytest.raises(ExportFailed) as echoed:
        await export(request(pd, [seg(0, 12, ANN)]), session)
    assert TOKEN not in str(echoed.value) and "bad request" not in str(echoed.value)
    assert "HTTP 422" in str(echoed.value)


async def test_a_crash_after_writing_adopts_instead_of_duplicating(
    pd: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    segments = [seg(0, 12, ANN), seg(12, 24, BOB)]
    lost = await export(request(pd, segments), session)  # sent, but never recorded
    pd.calls.clear()
    again = await export(request(pd, segments), session)  # same logical export, no previous
    assert pd.calls_of("POST") == []
    assert sorted(i.external_id for i in again.created) == sorted(
        i.external_id for i in lost.created
    )
    assert len(pd.overrides[SCHEDULE]) == 2


async def test_deleting_what_is_gone_or_ended(
    pd: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    ended = pd.add_override(SCHEDULE, NOW - 5 * H, NOW - 1 * H, "PANN")
    previous = [
        PreviousItem("PGONE", T0, T0 + 6 * H),  # deleted at PagerDuty by someone: 404
        PreviousItem(ended, NOW - 5 * H, NOW - 1 * H),  # the past cannot change
    ]
    result = await export(request(pd, [], previous=previous, start=NOW - 6 * H), session)
    assert sorted(result.removed) == sorted(["PGONE", ended])
    assert [c.path for c in pd.calls_of("DELETE")] == [f"/schedules/{SCHEDULE}/overrides/PGONE"]
    assert ended in pd.overrides[SCHEDULE]


async def test_unknown_schedule_is_a_clear_error(
    pd: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ExportFailed, match=r"schedule PNOPE was not found .*config\.scheduleId"):
        await export(request(pd, [seg(0, 12, ANN)], scheduleId="PNOPE"), session)


def test_check_config() -> None:
    adapter = adapter_for("PAGERDUTY")
    assert adapter.kind == "PAGERDUTY"
    assert adapter.check_config({"scheduleId": "PABC123"}, {"apiToken": "t"}) == []
    assert (
        adapter.check_config(
            {
                "scheduleId": "PABC123",
                "baseUrl": "http://127.0.0.1:9/",
                "userMap": {"a@example.com": "PA"},
                "fromEmail": "ops@example.com",
                "timeoutSeconds": 5,
                "maxAttempts": 3,
            },
            {"apiToken": "t"},
        )
        == []
    )
    fields = [
        f
        for f, _ in adapter.check_config(
            {
                "baseUrl": "ftp://x",
                "userMap": {"a@example.com": 5},
                "fromEmail": "nobody",
                "timeoutSeconds": 0,
                "maxAttempts": 99,
            },
            {},
        )
    ]
    assert fields == [
        "config.baseUrl",
        "config.scheduleId",
        "config.userMap",
        "config.fromEmail",
        "config.timeoutSeconds",
        "config.maxAttempts",
        "secrets.apiToken",
    ]
