"""Destination and schedule status (SPEC §4): the pure rules, and the status moving with the
clock alone through the status tick job of a running app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app import pubsub
from app.destinations import channels as destination_channels
from app.destinations import models as destination_models
from app.destinations.status import (
    IMMINENT,
    Status,
    destination_status,
    next_change,
    schedule_status,
)
from tests.destinations.receiver import webhook_receiver
from tests.support import Api, prepare_database, running_app
from tests.timelines.factories import contacts, schedule, set_layers, weekly

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
US = timedelta(microseconds=1)


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def status(
    shifts: list[tuple[datetime, datetime]], exported_until: datetime | None, *, done: bool = True
) -> Status:
    return destination_status(
        shifts=shifts, exported_until=exported_until, first_attempt_done=done, now=NOW
    )


# ------------------------------------------------------------------ destination, pure


def test_pending_without_confirmed_shifts_even_after_an_attempt() -> None:
    assert status([], None) is Status.PENDING
    assert status([], at(10)) is Status.PENDING


def test_pending_until_the_first_attempt_finished() -> None:
    shifts = [(at(-3), at(21)), (at(21), at(45))]
    assert status(shifts, None, done=False) is Status.PENDING
    # Even when some of it was exported somehow, the first attempt decides.
    assert status(shifts, at(45), done=False) is Status.PENDING
    assert status(shifts, None, done=True) is Status.ERROR


def test_ok_when_everything_confirmed_is_exported() -> None:
    shifts = [(at(-3), at(21)), (at(21), at(45))]
    assert status(shifts, at(45)) is Status.OK
    assert status(shifts, at(100)) is Status.OK
    # One microsecond short of the last end: that shift is not (fully) exported.
    assert status(shifts, at(45) - US) is Status.ERROR


def test_error_when_the_running_shift_is_not_exported() -> None:
    shifts = [(at(-3), at(21)), (at(200), at(224))]
    assert status(shifts, None) is Status.ERROR
    # Partly exported counts as not exported.
    assert status(shifts, at(10)) is Status.ERROR


def test_error_and_warning_at_exactly_72_hours() -> None:
    exported = at(21)
    running = (at(-3), at(21))
    start = NOW + IMMINENT
    assert IMMINENT == timedelta(hours=72)
    assert status([running, (start, start + 24 * H)], exported) is Status.ERROR
    assert status([running, (start + US, start + 24 * H)], exported) is Status.WARNING
    assert status([running, (start - US, start + 24 * H)], exported) is Status.ERROR


def test_warning_only_when_all_missing_shifts_start_after_72_hours() -> None:
    shifts = [(at(-3), at(21)), (at(21), at(80)), (at(80), at(100)), (at(100), at(130))]
    assert status(shifts, at(80)) is Status.WARNING
    assert status(shifts, at(100)) is Status.WARNING
    assert status(shifts, at(130)) is Status.OK
    # A gap in what was exported: the shift at 21h is missing again (after a rewind).
    assert status(shifts, at(21)) is Status.ERROR


def test_a_later_export_in_progress_keeps_the_status_it_had() -> None:
    """attempts_finished > 0: the status follows exportedUntil only, so a retry in progress
    (or one that failed) does not bring PENDING back."""
    shifts = [(at(-3), at(21)), (at(21), at(45)), (at(90), at(100))]
    assert status(shifts, at(45), done=True) is Status.WARNING
    assert status(shifts, at(100), done=True) is Status.OK
    assert status(shifts, at(21), done=True) is Status.ERROR


def test_next_change_is_when_an_unexported_shift_comes_within_72_hours() -> None:
    shifts = [(at(-3), at(21)), (at(80), at(100)), (at(100), at(130))]
    assert next_change(shifts=shifts, exported_until=at(21), now=NOW) == at(80) - IMMINENT
    # At that instant the status is ERROR, one microsecond before WARNING.
    later = at(80) - IMMINENT
    assert (
        destination_status(shifts=shifts, exported_until=at(21), first_attempt_done=True, now=later)
        is Status.ERROR
    )
    assert (
        destination_status(
            shifts=shifts, exported_until=at(21), first_attempt_done=True, now=later - US
        )
        is Status.WARNING
    )
    # Unexported and running: it can only change when it ends.
    assert next_change(shifts=shifts[:1], exported_until=None, now=NOW) == at(21)
    # Both pending changes: the earliest wins (the shift at 80 h is 72 h away at 8 h).
    assert next_change(shifts=shifts, exported_until=None, now=NOW) == at(8)
    assert next_change(shifts=shifts, exported_until=at(130), now=NOW) is None


# ------------------------------------------------------------------- schedule, pure


def test_roll_up_is_the_worst_ignoring_pending() -> None:
    P, K, W, E = Status.PENDING, Status.OK, Status.WARNING, Status.ERROR
    assert schedule_status([K, W], has_confirmed_shifts=True) is W
    assert schedule_status([W, E, K], has_confirmed_shifts=True) is E
    assert schedule_status([P, K], has_confirmed_shifts=True) is K
    assert schedule_status([P, W, P], has_confirmed_shifts=True) is W
    assert schedule_status([P, E], has_confirmed_shifts=True) is E
    assert schedule_status([P, P], has_confirmed_shifts=True) is P
    assert schedule_status([P], has_confirmed_shifts=False) is P


def test_roll_up_without_destinations_follows_confirmed_shifts() -> None:
    assert schedule_status([], has_confirmed_shifts=False) is Status.PENDING
    assert schedule_status([], has_confirmed_shifts=True) is Status.OK


# ------------------------------------------------------------------------ API

CONFIRM = "mutation($s: ID!, $u: DateTime) { confirmAssignments(scheduleId: $s, until: $u) { newAssignment } }"
STATUS = "query($s: ID!) { schedule(id: $s) { status destinations { status exportedUntil } } }"
CREATE = """mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id status } }"""
EXPORT = "mutation($id: ID!) { exportDestination(id: $id, wait: true) { status exportedUntil lastError } }"
SECRET = "s3cret-signing-key-000"


async def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def listening(channel: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Collect the events published on a channel while the block runs."""
    events: list[dict[str, Any]] = []
    started = asyncio.Event()

    async def consume() -> None:
        stream = pubsub.broker().subscribe(channel)
        first = asyncio.ensure_future(stream.__anext__())
        started.set()
        events.append(await first)
        async for event in stream:
            events.append(event)

    task = asyncio.create_task(consume())
    await started.wait()
    await asyncio.sleep(0.01)  # let the subscription register its queue
    try:
        yield events
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def schedule_status_of(api: Api, sid: str) -> dict[str, Any]:
    data: dict[str, Any] = (await api.ok(STATUS, {"s": sid}))["schedule"]
    return data


async def test_schedule_without_destinations_is_pending_until_it_has_confirmed_shifts(
    api: Api,
) -> None:
    (a,) = await contacts(api, "Ann")
    s = await schedule(api, horizon=3)
    assert (await schedule_status_of(api, s["id"]))["status"] == "PENDING"
    # Confirming a tier with no layers confirms nothing: still no confirmed shift.
    await api.ok(CONFIRM, {"s": s["id"]})
    assert (await schedule_status_of(api, s["id"]))["status"] == "PENDING"
    await set_layers(
        api, s["tiers"][0]["id"], [weekly("Daily", "2026-03-01T00:00", [a], unit="DAY")]
    )
    await api.ok(CONFIRM, {"s": s["id"]})
    assert (await schedule_status_of(api, s["id"]))["status"] == "OK"


async def test_roll_up_through_the_api_ignores_pending_destinations(api: Api) -> None:
    a, b = await contacts(api, "Ann", "Bob")
    s = await schedule(api, horizon=3)
    await set_layers(
        api, s["tiers"][0]["id"], [weekly("Daily", "2026-03-01T00:00", [a, b], unit="DAY")]
    )
    await api.ok(CONFIRM, {"s": s["id"]})
    async with webhook_receiver() as receiver:
        ids = []
        for name, position in (("primary", 1), ("never", 1)):
            created = await api.ok(
                CREATE,
                {
                    "i": {
                        "scheduleId": s["id"],
                        "name": name,
                        "kind": "WEBHOOK",
                        "autoExport": False,
                        "position": position,
                        "config": {"url": receiver.url, "retryInitialSeconds": 0.01},
                        "secrets": {"signingSecret": SECRET},
                    }
                },
            )
            ids.append(created["createDestination"]["id"])
        assert (await schedule_status_of(api, s["id"]))["status"] == "PENDING"
        done = (await api.ok(EXPORT, {"id": ids[0]}))["exportDestination"]
        assert done["status"] == "OK"
        state = await schedule_status_of(api, s["id"])
        assert sorted(d["status"] for d in state["destinations"]) == ["OK", "PENDING"]
        assert state["status"] == "OK"
        # A failed first attempt finishes it: the destination is ERROR, and so is the schedule.
        receiver.script = [400]
        failed = (await api.ok(EXPORT, {"id": ids[1]}))["exportDestination"]
        assert failed["status"] == "ERROR" and failed["exportedUntil"] is None
        assert (await schedule_status_of(api, s["id"]))["status"] == "ERROR"


async def test_warning_turns_into_error_with_the_clock_alone(backend: str, tmp_path: Path) -> None:
    """A moving fixed clock and the status tick job: no write at all between WARNING and ERROR."""
    url = await prepare_database(backend, tmp_path)
    async with (
        running_app(
            url, backend, run_jobs=True, status_interval_seconds=0.05, confirm_interval_seconds=3600
        ) as api,
        webhook_receiver() as receiver,
    ):
        a, b = await contacts(api, "Ann", "Bob")
        s = await schedule(api, horizon=3)  # H = 2026-03-06T00:00
        # Daily shifts at midnight, so the horizon is a shift boundary.
        await set_layers(
            api, s["tiers"][0]["id"], [weekly("Daily", "2026-03-01T00:00", [a, b], unit="DAY")]
        )
        await api.ok(CONFIRM, {"s": s["id"]})
        created = await api.ok(
            CREATE,
            {
                "i": {
                    "scheduleId": s["id"],
                    "name": "hook",
                    "kind": "WEBHOOK",
                    "autoExport": False,
                    "config": {"url": receiver.url, "retryInitialSeconds": 0.01},
                    "secrets": {"signingSecret": SECRET},
                }
            },
        )
        dest_id = created["createDestination"]["id"]
        done = (await api.ok(EXPORT, {"id": dest_id}))["exportDestination"]
        assert done["status"] == "OK" and done["exportedUntil"].startswith("2026-03-06T00:00")
        # Confirm further ahead: new shifts from 03-06T00:00, 84 hours away. Not exported (no auto export).
        await api.ok(CONFIRM, {"s": s["id"], "u": "2026-03-09T00:00:00+00:00"})
        state = await schedule_status_of(api, s["id"])
        assert state["destinations"][0]["status"] == "WARNING" and state["status"] == "WARNING"
        pk = (await destination_models.Destination.get()).id
        schedule_pk = (await destination_models.Destination.get()).schedule_id

        async with (
            listening(destination_channels.destination_channel(schedule_pk)) as dest_events,
            listening(destination_channels.schedule_channel(schedule_pk)) as schedule_events,
        ):
            # One microsecond before the shift at 03-06T00:00 is 72 hours away: still WARNING.
            api.clock.set(datetime(2026, 3, 3, 0, 0, tzinfo=UTC) - US)
            await asyncio.sleep(0.3)  # several ticks
            assert (await destination_models.Destination.get(id=pk)).status == "WARNING"
            assert dest_events == []
            # A NOTIFY of the earlier change to WARNING may reach the listener late.
            assert all(e["status"] == "WARNING" for e in schedule_events), schedule_events
            schedule_events.clear()
            # Exactly 72 hours before: ERROR, published, with nothing written by anyone.
            api.clock.set(datetime(2026, 3, 3, 0, 0, tzinfo=UTC))

            async def published() -> bool:
                return bool(dest_events) and bool(schedule_events)

            await wait_until(published)
            assert dest_events == [{"destinationId": pk, "status": "ERROR"}]
            assert schedule_events == [{"scheduleId": schedule_pk, "status": "ERROR"}]
        state = await schedule_status_of(api, s["id"])
        assert state["destinations"][0]["status"] == "ERROR" and state["status"] == "ERROR"
        assert state["destinations"][0]["exportedUntil"].startswith("2026-03-06T00:00")
        assert len(receiver.deliveries) == 1
