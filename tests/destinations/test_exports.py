"""Exports through the whole app (SPEC §4): what is sent, exportedUntil, rewinds, auto export,
Export Now with and without waiting, write-only secrets and roles."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.destinations.test_faults import SECRET, Hook, hook_receiver, statuses, webhook
from tests.support import Api, prepare_database, running_app
from tests.timelines.factories import contacts, schedule, set_layers, weekly

CREATE = """mutation($i: CreateDestinationInput!) { createDestination(input: $i) {
  id name status exportedUntil secretKeys config lastError } }"""
EXPORT = """mutation($id: ID!, $w: Boolean!) { exportDestination(id: $id, wait: $w) {
  status exportedUntil lastError lastAttemptAt lastSuccessAt } }"""
EXPORT_SCHEDULE = """mutation($id: ID!, $w: Boolean!) { exportSchedule(id: $id, wait: $w) { id status exportedUntil } }"""
CONFIRM = "mutation($s: ID!, $u: DateTime) { confirmAssignments(scheduleId: $s, until: $u) { newAssignment changedFrom } }"
DEST = "query($id: ID!) { node(id: $id) { ... on Destination { status exportedUntil lastError lastAttemptAt secretKeys } } }"
ON_DEMAND = """mutation($i: CreateOnDemandShiftInput!) { createOnDemandShift(input: $i) { id } }"""
DAY_LAYER = "2026-03-01T00:00"  # daily shifts at midnight: 03-01 Ann, 03-02 Bob, 03-03 Ann…


async def export(
    api: Api, dest_id: str, *, wait: bool = True, token: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = (await api.ok(EXPORT, {"id": dest_id, "w": wait}, token=token))[
        "exportDestination"
    ]
    return data


async def dest_state(api: Api, dest_id: str) -> dict[str, Any]:
    data: dict[str, Any] = (await api.ok(DEST, {"id": dest_id}))["node"]
    return data


def shifts_of(hook: Hook, index: int = -1) -> list[tuple[str, str, str]]:
    body = hook.deliveries[index].body
    return [(s["start"][:16], s["end"][:16], s["contact"]["name"]) for s in body["shifts"]]


def range_of(hook: Hook, index: int = -1) -> tuple[str, str]:
    body = hook.deliveries[index].body
    return body["range"]["start"][:16], body["range"]["end"][:16]


async def two_person_schedule(api: Api) -> tuple[dict[str, Any], list[str]]:
    people = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api, horizon=3)  # H = 2026-03-06T00:00
    layers = await set_layers(
        api, s["tiers"][0]["id"], [weekly("Daily", DAY_LAYER, people[:2], unit="DAY")]
    )
    await api.ok(CONFIRM, {"s": s["id"]})
    s["layer"] = layers[0]["id"]
    return s, people


async def wait_until(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


# ------------------------------------------------------------------ exportedUntil


async def test_exported_until_advances_only_on_success(api: Api) -> None:
    s, _ = await two_person_schedule(api)
    async with hook_receiver(statuses(400)) as hook:
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        failed = await export(api, dest["id"])
        assert failed["exportedUntil"] is None and failed["status"] == "ERROR"
        assert failed["lastSuccessAt"] is None and failed["lastAttemptAt"] is not None
        ok = await export(api, dest["id"])
        assert ok["status"] == "OK" and ok["lastError"] is None
        assert ok["exportedUntil"].startswith("2026-03-06T00:00")  # end of the last shift sent
        assert shifts_of(hook) == [
            ("2026-03-02T12:00", "2026-03-03T00:00", "Bob"),
            ("2026-03-03T00:00", "2026-03-04T00:00", "Ann"),
            ("2026-03-04T00:00", "2026-03-05T00:00", "Bob"),
            ("2026-03-05T00:00", "2026-03-06T00:00", "Ann"),
        ]
        # A change after exportedUntil (more confirmed days) does not rewind it…
        await api.ok(CONFIRM, {"s": s["id"], "u": "2026-03-08T00:00:00Z"})
        assert (await dest_state(api, dest["id"]))["exportedUntil"] == ok["exportedUntil"]
        # …and a failed export of them leaves it where it was.
        hook.answer = statuses(400, 200, 400)  # the third request fails
        again = await export(api, dest["id"])
        assert (
            again["exportedUntil"] == ok["exportedUntil"]
            and again["lastSuccessAt"] == ok["lastSuccessAt"]
        )
        assert "HTTP 400" in again["lastError"]
        assert again["status"] == "WARNING"  # what is missing starts more than 72 h ahead
        # The next success starts where the last one ended.
        hook.answer = None
        last = await export(api, dest["id"])
        assert last["exportedUntil"].startswith("2026-03-08T00:00") and last["status"] == "OK"
        assert range_of(hook) == ("2026-03-06T00:00", "2026-03-08T00:00")
        assert shifts_of(hook) == [
            ("2026-03-06T00:00", "2026-03-07T00:00", "Bob"),
            ("2026-03-07T00:00", "2026-03-08T00:00", "Ann"),
        ]
        # One key per logical export (destination, range, data): a retry of a failed one repeats it.
        assert hook.keys[0] == hook.keys[1] != hook.keys[2] == hook.keys[3]


async def test_a_change_before_exported_until_rewinds_to_the_merged_shift_containing_it(
    api: Api,
) -> None:
    s, (ann, _, _) = await two_person_schedule(api)
    async with hook_receiver() as hook:
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        await export(api, dest["id"])
        # Ann covers Bob's day 03-04: Ann now runs 03-03 → 03-06 as one merged shift.
        await api.ok(
            ON_DEMAND,
            {
                "i": {
                    "tierId": s["tiers"][0]["id"],
                    "start": "2026-03-04T00:00:00Z",
                    "end": "2026-03-05T00:00:00Z",
                    "contactIds": [ann],
                }
            },
        )
        state = await dest_state(api, dest["id"])
        # The change starts at 03-04, inside the merged shift that starts at 03-03.
        assert state["exportedUntil"].startswith("2026-03-03T00:00")
        assert state["status"] == "ERROR"  # a shift within 72 h is no longer exported
        assert len(hook.deliveries) == 1  # no auto export
        done = await export(api, dest["id"])
        assert done["status"] == "OK" and done["exportedUntil"].startswith("2026-03-06T00:00")
        assert range_of(hook) == ("2026-03-03T00:00", "2026-03-06T00:00")
        # Bob's shift on 03-04 vanished: the replaced range no longer has it.
        assert shifts_of(hook) == [("2026-03-03T00:00", "2026-03-06T00:00", "Ann")]
        assert hook.keys[0] != hook.keys[1]


async def test_vanished_shifts_are_removed_up_to_the_old_exported_until(api: Api) -> None:
    s, (ann, bob, _) = await two_person_schedule(api)
    async with hook_receiver() as hook:
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        await export(api, dest["id"])
        # The layer now ends at 03-04: the shifts of 03-04 and 03-05 vanish.
        await api.ok(
            "mutation($id: ID!, $i: LayerInput!) { updateLayer(id: $id, input: $i) { id } }",
            {
                "id": s["layer"],
                "i": weekly("Daily", DAY_LAYER, [ann, bob], unit="DAY", end="2026-03-04T00:00"),
            },
        )
        state = await dest_state(api, dest["id"])
        assert state["exportedUntil"].startswith("2026-03-04T00:00")
        done = await export(api, dest["id"])
        assert done["status"] == "OK"
        # The range reaches the old exportedUntil, so the destination drops what vanished.
        assert range_of(hook) == ("2026-03-04T00:00", "2026-03-06T00:00")
        assert shifts_of(hook) == []
        # A receiver applying the ranges in order ends with exactly the confirmed shifts.
        kept = [sh for sh in shifts_of(hook, 0) if sh[1] <= range_of(hook)[0]]
        assert kept == [
            ("2026-03-02T12:00", "2026-03-03T00:00", "Bob"),
            ("2026-03-03T00:00", "2026-03-04T00:00", "Ann"),
        ]


# -------------------------------------------------------------------- auto export


async def test_auto_export_after_each_new_assignment_and_manual_waits(
    backend: str, tmp_path: Path
) -> None:
    url = await prepare_database(backend, tmp_path)
    async with (
        running_app(
            url,
            backend,
            run_jobs=True,
            export_poll_seconds=0.1,
            confirm_interval_seconds=3600,
            status_interval_seconds=3600,
        ) as api,
        hook_receiver() as auto_hook,
        hook_receiver() as manual_hook,
    ):
        s, (ann, _, cid) = await two_person_schedule(api)
        auto = (
            await api.ok(
                CREATE, {"i": {**webhook(s["id"], auto_hook.url, autoExport=True), "name": "auto"}}
            )
        )["createDestination"]
        manual = (
            await api.ok(CREATE, {"i": {**webhook(s["id"], manual_hook.url), "name": "manual"}})
        )["createDestination"]
        await auto_hook.wait_for(1)  # created with autoExport: exported at once
        assert [sh[2] for sh in shifts_of(auto_hook)] == ["Bob", "Ann", "Bob", "Ann"]

        # Edit the layer (a new assignment): a delivery arrives without any export request.
        await set_layers(
            api, s["tiers"][0]["id"], [weekly("Daily", DAY_LAYER, [ann, cid], unit="DAY")]
        )
        await auto_hook.wait_for(2)
        assert [sh[2] for sh in shifts_of(auto_hook)] == ["Cid", "Ann", "Cid", "Ann"]
        assert auto_hook.keys[0] != auto_hook.keys[1]

        async def exported() -> bool:
            state = await dest_state(api, auto["id"])
            return bool(state["status"] == "OK" and state["exportedUntil"])

        await wait_until(exported)
        # The destination without autoExport waits for Export Now.
        await asyncio.sleep(0.4)
        assert manual_hook.deliveries == []
        assert (await dest_state(api, manual["id"]))["status"] == "PENDING"
        await api.ok(EXPORT_SCHEDULE, {"id": s["id"], "w": False})
        await manual_hook.wait_for(1)
        assert [sh[2] for sh in shifts_of(manual_hook)] == ["Cid", "Ann", "Cid", "Ann"]

        async def manual_ok() -> bool:
            return (await dest_state(api, manual["id"]))["status"] == "OK"

        await wait_until(manual_ok)


async def test_export_without_waiting_returns_the_destination_as_it_was(
    backend: str, tmp_path: Path
) -> None:
    url = await prepare_database(backend, tmp_path)

    async def slow(n: int) -> int:
        await hook.pause(1.0)
        return 200

    async with (
        running_app(
            url, backend, run_jobs=True, export_poll_seconds=0.1, confirm_interval_seconds=3600
        ) as api,
        hook_receiver(slow) as hook,
    ):
        s, _ = await two_person_schedule(api)
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        started = asyncio.get_running_loop().time()
        returned = await export(api, dest["id"], wait=False)
        assert asyncio.get_running_loop().time() - started < 0.8
        assert returned == {
            "status": "PENDING",
            "exportedUntil": None,
            "lastError": None,
            "lastAttemptAt": None,
            "lastSuccessAt": None,
        }
        await hook.wait_for(1)

        async def done() -> dict[str, Any] | None:
            state = await dest_state(api, dest["id"])
            return state if state["exportedUntil"] else None

        state = await wait_until(done)
        assert state["status"] == "OK" and state["exportedUntil"].startswith("2026-03-06T00:00")
        assert len(hook.deliveries) == 1


# ------------------------------------------------------------ what is sent


async def test_one_assignee_per_shift_equal_neighbours_merged(api: Api) -> None:
    ann, bob, cid = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api, horizon=3)
    tier = s["tiers"][0]["id"]
    # Two on call a day, rotating one place: 03-02 [Bob, Cid], 03-03 [Cid, Ann], 03-04 [Ann, Bob],
    # 03-05 [Bob, Cid].
    await set_layers(
        api,
        tier,
        [
            weekly(
                "Pairs",
                DAY_LAYER,
                [ann, bob, cid],
                unit="DAY",
                staffRotation={"numberOfStaffOnCall": 2, "numberOfStaffToRotate": 1},
            )
        ],
    )
    # 03-04 taken over by [Bob, Ann]: the secondary stays Ann from 03-03 to 03-05.
    await api.ok(
        ON_DEMAND,
        {
            "i": {
                "tierId": tier,
                "start": "2026-03-04T00:00:00Z",
                "end": "2026-03-05T00:00:00Z",
                "contactIds": [bob, ann],
            }
        },
    )
    await api.ok(CONFIRM, {"s": s["id"]})
    async with hook_receiver() as primary_hook, hook_receiver() as secondary_hook:
        primary = (
            await api.ok(CREATE, {"i": {**webhook(s["id"], primary_hook.url), "name": "primary"}})
        )["createDestination"]
        secondary = (
            await api.ok(
                CREATE,
                {"i": {**webhook(s["id"], secondary_hook.url), "name": "secondary", "position": 2}},
            )
        )["createDestination"]
        assert (await export(api, primary["id"]))["status"] == "OK"
        assert (await export(api, secondary["id"]))["status"] == "OK"
        assert shifts_of(secondary_hook) == [
            ("2026-03-02T12:00", "2026-03-03T00:00", "Cid"),
            ("2026-03-03T00:00", "2026-03-05T00:00", "Ann"),
            ("2026-03-05T00:00", "2026-03-06T00:00", "Cid"),
        ]
        # The primary: the on-demand Bob and the layer's Bob of 03-05 are one shift.
        assert shifts_of(primary_hook) == [
            ("2026-03-02T12:00", "2026-03-03T00:00", "Bob"),
            ("2026-03-03T00:00", "2026-03-04T00:00", "Cid"),
            ("2026-03-04T00:00", "2026-03-06T00:00", "Bob"),
        ]
        for hook in (primary_hook, secondary_hook):
            for shift in hook.deliveries[0].body["shifts"]:
                assert set(shift["contact"]) == {"id", "name", "email"}


# ------------------------------------------------------- secrets and roles


async def test_secrets_are_write_only_and_never_in_errors_or_logs(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    s, _ = await two_person_schedule(api)
    async with hook_receiver(statuses(400)) as hook:
        created = await api.ok(CREATE, {"i": webhook(s["id"], hook.url)})
        dest = created["createDestination"]
        assert dest["secretKeys"] == ["signingSecret"] and "signingSecret" not in dest["config"]
        failed = await export(api, dest["id"])
        assert failed["status"] == "ERROR" and failed["lastError"]
        updated = await api.ok(
            """mutation($id: ID!) { updateDestination(id: $id, input: {name: "renamed", secrets: {extra: "another-secret-value-1"}}) {
              name secretKeys config lastError } }""",
            {"id": dest["id"]},
        )
        assert updated["updateDestination"]["secretKeys"] == ["extra", "signingSecret"]
        listed = await api.ok(
            "query($s: ID!) { destinations(scheduleId: $s) { nodes { secretKeys config lastError } } schedule(id: $s) { destinations { secretKeys config } } }",
            {"s": s["id"]},
        )
        # The secret still signs: the receiver can verify the next delivery.
        ok = await export(api, dest["id"])
        assert ok["status"] == "OK"
        last = hook.deliveries[-1]
        assert (
            last.signature
            == "sha256=" + hmac.new(SECRET.encode(), last.raw, hashlib.sha256).hexdigest()
        )
        bad = await api.post(
            CREATE,
            {"i": {**webhook(s["id"], hook.url), "secrets": {"signingSecret": "short-secret"}}},
        )
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    everything = str([created, failed, updated, listed, ok, bad])
    for secret in (SECRET, "another-secret-value-1", "short-secret"):
        assert secret not in everything
        # The database drivers' DEBUG logs print SQL parameters (off unless asked for); no
        # record of ours at any level, and no record at INFO or above, may carry a secret.
        leaked = [r for r in caplog.records if secret in r.getMessage()]
        assert [
            (r.name, r.levelname)
            for r in leaked
            if r.name.startswith("rotagraph") or r.levelno > logging.DEBUG
        ] == []
        for delivery in hook.deliveries:
            assert secret.encode() not in delivery.raw


async def test_only_admins_manage_destinations_and_editors_export(api: Api) -> None:
    s, _ = await two_person_schedule(api)
    async with hook_receiver() as hook:
        for role in ("VIEWER", "EDITOR"):
            error = await api.error(
                CREATE, {"i": webhook(s["id"], hook.url)}, token=api.tokens[role]
            )
            assert error["extensions"]["code"] == "FORBIDDEN", role
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url)}, token=api.tokens["ADMIN"]))[
            "createDestination"
        ]
        error = await api.error(
            'mutation($id: ID!) { updateDestination(id: $id, input: {name: "x"}) { id } }',
            {"id": dest["id"]},
            token=api.tokens["EDITOR"],
        )
        assert error["extensions"]["code"] == "FORBIDDEN"
        error = await api.error(EXPORT, {"id": dest["id"], "w": True}, token=api.tokens["VIEWER"])
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert hook.deliveries == []
        done = await export(api, dest["id"], token=api.tokens["EDITOR"])
        assert done["status"] == "OK" and len(hook.deliveries) == 1
        listed = await api.ok(
            EXPORT_SCHEDULE, {"id": s["id"], "w": True}, token=api.tokens["EDITOR"]
        )
        assert [d["id"] for d in listed["exportSchedule"]] == [dest["id"]]


async def test_a_change_during_an_export_in_flight_is_not_lost(
    backend: str, tmp_path: Path
) -> None:
    """The receiver holds the first delivery while the layer changes; the recorded outcome of
    that export must not claim the changed shifts, and the change is exported next."""
    url = await prepare_database(backend, tmp_path)
    release = asyncio.Event()

    async def hold_first(n: int) -> int:
        if n == 0:
            await asyncio.wait_for(release.wait(), 10)
        return 200

    async with (
        running_app(
            url,
            backend,
            run_jobs=True,
            export_poll_seconds=0.1,
            confirm_interval_seconds=3600,
            status_interval_seconds=3600,
        ) as api,
        hook_receiver(hold_first) as hook,
    ):
        s, (ann, bob, cid) = await two_person_schedule(api)
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url, autoExport=True)}))[
            "createDestination"
        ]
        await hook.wait_for(1)  # sent, not yet answered
        assert [sh[2] for sh in shifts_of(hook)] == ["Bob", "Ann", "Bob", "Ann"]
        # Cid takes Bob's days from 03-04 on (updateLayer keeps the layer, so the rows before
        # 03-04 stay as they are).
        await api.ok(
            "mutation($id: ID!, $i: LayerInput!) { updateLayer(id: $id, input: $i) { id } }",
            {
                "id": s["layer"],
                "i": weekly("Daily", DAY_LAYER, [ann, bob], unit="DAY", end="2026-03-04T00:00"),
            },
        )
        await api.ok(
            ON_DEMAND,
            {
                "i": {
                    "tierId": s["tiers"][0]["id"],
                    "start": "2026-03-04T00:00:00Z",
                    "end": "2026-03-06T00:00:00Z",
                    "contactIds": [cid],
                }
            },
        )
        release.set()
        await hook.wait_for(2)

        async def settled() -> dict[str, Any] | None:
            state = await dest_state(api, dest["id"])
            return state if state["status"] == "OK" else None

        state = await wait_until(settled)
        assert state["exportedUntil"].startswith("2026-03-06T00:00")
        # The second export re-sends from the change: Bob's 03-04 is replaced by Cid.
        assert range_of(hook)[0] <= "2026-03-04T00:00" and range_of(hook)[1] == "2026-03-06T00:00"
        assert [sh for sh in shifts_of(hook) if sh[0] >= "2026-03-04"] == [
            ("2026-03-04T00:00", "2026-03-06T00:00", "Cid")
        ]
        await asyncio.sleep(0.3)
        assert len(hook.deliveries) == 2
