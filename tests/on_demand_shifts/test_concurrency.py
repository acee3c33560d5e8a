"""Concurrent writers of one tier's on-demand shifts (SPEC §3: they cannot both win an overlap).

Two layers of proof, on both backends:

* In process (the `api` fixture): two mutations fired with ``asyncio.gather``, several rounds.
  Hooks make the race certain rather than lucky: on PostgreSQL both requests are held until both
  are inside their own transactions (each on its own pool connection) right before the tier row
  lock, and the first to get the lock waits until ``pg_stat_activity`` shows the other backend
  blocked on a lock. On SQLite the first holder waits until the other request is inside the
  resolver, queued behind the single connection's transaction lock. A control test takes the row
  lock away and shows the harness does produce the race on PostgreSQL.
* Real servers: uvicorn subprocesses (two of them on PostgreSQL, as operators run it; one on
  SQLite) and one httpx client per server, many rounds, no hooks at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from tortoise import Tortoise, connections

from app.auth import service as auth_service
from app.auth.roles import Role
from app.db import tortoise_config
from app.on_demand_shifts import resolvers, service
from app.tiers import models as tier_models
from tests.on_demand_shifts.helpers import CREATE, UPDATE, create, instant, on_demand_of_tier
from tests.processes import AppServer, start_app_server
from tests.support import Api, postgres_url, prepare_database
from tests.timelines.factories import contacts, schedule

ROUNDS = 6


def slot(round_no: int, hour: int) -> str:
    """Each round works on its own day so rounds never touch each other."""
    return f"2026-04-{round_no + 1:02d}T{hour:02d}:00:00Z"


def assert_no_overlaps(shifts: list[tuple[datetime, datetime, list[str]]]) -> None:
    ordered = sorted(shifts)
    for (_, end, _), (start, _, _) in pairwise(ordered):
        assert end <= start, f"overlapping on-demand shifts remain: {ordered}"


@dataclass
class Race:
    """Hooks around the resolver entry and the tier lock that force two writers to collide."""

    backend: str
    monitor: Any = None  # an asyncpg connection outside the pool, PostgreSQL only
    both_past_lock: bool = False  # control only: neither goes on until both passed the "lock"
    entered: int = 0
    at_lock: int = 0
    pids: list[int] = field(default_factory=list)
    holders: int = 0
    blocked_seen: list[bool] = field(default_factory=list)
    waited_for_other: list[bool] = field(default_factory=list)
    all_entered: asyncio.Event = field(default_factory=asyncio.Event)
    all_at_lock: asyncio.Event = field(default_factory=asyncio.Event)
    all_past_lock: asyncio.Event = field(default_factory=asyncio.Event)

    armed: bool = False

    def disarm(self) -> None:
        self.armed = False

    def arm(self) -> None:
        """Collide the next two writers (calls outside arm/disarm pass straight through)."""
        self.armed = True
        self.entered = self.at_lock = self.holders = 0
        self.pids.clear()
        self.all_entered = asyncio.Event()
        self.all_at_lock = asyncio.Event()
        self.all_past_lock = asyncio.Event()

    def install(self, monkeypatch: pytest.MonkeyPatch, lock: Callable[..., Awaitable[Any]]) -> None:
        real_editor = resolvers.editor

        def editor(info: Any) -> int:
            if not self.armed:
                return real_editor(info)
            self.entered += 1
            if self.entered == 2:
                self.all_entered.set()
            return real_editor(info)

        async def locked(*, org_id: int, tier_id: int) -> Any:
            if not self.armed:
                return await lock(org_id=org_id, tier_id=tier_id)
            if self.backend == "postgres":
                rows = await connections.get("default").execute_query_dict(
                    "SELECT pg_backend_pid() AS pid"
                )
                mine = rows[0]["pid"]
                self.pids.append(mine)
                self.at_lock += 1
                if self.at_lock == 2:
                    self.all_at_lock.set()
                # Both transactions are open, each on its own connection, before either locks.
                await asyncio.wait_for(self.all_at_lock.wait(), 10)
            tier = await lock(org_id=org_id, tier_id=tier_id)
            self.holders += 1
            if self.both_past_lock:
                if self.holders == 2:
                    self.all_past_lock.set()
                await asyncio.wait_for(self.all_past_lock.wait(), 5)
                return tier
            if self.holders == 1:  # the first holder waits until the other writer is stuck
                if self.backend == "postgres":
                    other = next(p for p in self.pids if p != mine)
                    self.blocked_seen.append(await self._blocked(other))
                else:
                    try:
                        await asyncio.wait_for(self.all_entered.wait(), 5)
                        self.waited_for_other.append(True)
                    except TimeoutError:
                        self.waited_for_other.append(False)
                await asyncio.sleep(0.02)
            return tier

        monkeypatch.setattr(resolvers, "editor", editor)
        monkeypatch.setattr(service, "_lock_tier", locked)

    async def _blocked(self, pid: int, timeout: float = 3.0) -> bool:
        """Whether backend ``pid`` shows up waiting on a lock within ``timeout`` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            wait = await self.monitor.fetchval(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid
            )
            if wait == "Lock":
                return True
            await asyncio.sleep(0.01)
        return False


@pytest_asyncio.fixture
async def race(api: Api, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Race]:
    r = Race(backend=api.backend)
    if api.backend == "postgres":
        import asyncpg

        r.monitor = await asyncpg.connect(postgres_url().replace("postgres://", "postgresql://", 1))
    r.install(monkeypatch, service._lock_tier)
    try:
        yield r
    finally:
        if r.monitor is not None:
            await r.monitor.close()


async def _contest(
    api: Api, race: Race, *, sure: bool, rounds: int = ROUNDS
) -> list[list[dict[str, Any]]]:
    """Per round, two conflicting writers at once: alternately create/create and update/create.
    Returns each round's two response bodies."""
    ann, bob = await contacts(api, "Ann", "Bob")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    results = []
    for n in range(rounds):
        if n % 2 and sure:
            # Something already there for the sure writers to trim and split.
            await create(api, tier, slot(n, 6), slot(n, 20), [ann])
        moving = None
        if n % 3 == 2:
            moving = (
                await create(
                    api,
                    tier,
                    f"2026-05-{n + 1:02d}T00:00:00Z",
                    f"2026-05-{n + 1:02d}T01:00:00Z",
                    [ann],
                )
            )["id"]
        race.arm()
        first = api.post(
            CREATE,
            {
                "i": {
                    "tierId": tier,
                    "start": slot(n, 8),
                    "end": slot(n, 16),
                    "contactIds": [ann],
                    "sure": sure,
                }
            },
        )
        if moving is None:
            second = api.post(
                CREATE,
                {
                    "i": {
                        "tierId": tier,
                        "start": slot(n, 10),
                        "end": slot(n, 18),
                        "contactIds": [bob],
                        "sure": sure,
                    }
                },
            )
        else:
            second = api.post(
                UPDATE,
                {
                    "id": moving,
                    "i": {
                        "start": slot(n, 10),
                        "end": slot(n, 18),
                        "contactIds": [bob],
                        "sure": sure,
                    },
                },
            )
        bodies = list(await asyncio.gather(first, second))
        race.disarm()
        results.append(bodies)
        day = [
            x for x in await on_demand_of_tier(api, tier) if x[0].month == 4 and x[0].day == n + 1
        ]
        assert_no_overlaps(day)
    assert_no_overlaps(await on_demand_of_tier(api, tier))
    return results


def _verify_collisions(race: Race, rounds: int) -> None:
    if race.backend == "postgres":
        # Every round: two transactions open at once on two backends, the second blocked on
        # the first's row lock while the first held it.
        assert race.blocked_seen == [True] * rounds, race.blocked_seen
    else:
        assert race.waited_for_other == [True] * rounds, race.waited_for_other


@pytest.mark.parametrize("sure", [False, True], ids=["sure-false", "sure-true"])
async def test_concurrent_conflicting_writers(api: Api, race: Race, sure: bool) -> None:
    results = await _contest(api, race, sure=sure)
    _verify_collisions(race, ROUNDS)
    for bodies in results:
        errors = [b["errors"][0]["extensions"]["code"] for b in bodies if b.get("errors")]
        if sure:
            assert errors == [], bodies  # both win, the later one trims the earlier
        else:
            assert errors == ["CONFLICT"], bodies  # exactly one wins
            loser = next(b for b in bodies if b.get("errors"))
            winner = next(b for b in bodies if not b.get("errors"))
            won = next(iter(winner["data"].values()))
            listed = loser["errors"][0]["extensions"]["overlapping"]
            assert [o["id"] for o in listed] == [won["id"]]


async def test_update_racing_a_trim_reads_the_shift_under_the_lock(api: Api, race: Race) -> None:
    """An update that changes only `end` while a sure writer trims the same shift's start: in
    either order the result is the same, so the update must not act on a start it read before
    it held the lock (that stale start would overlap the trimming shift: a false CONFLICT)."""
    ann, bob = await contacts(api, "Ann", "Bob")
    tier = (await schedule(api))["tiers"][0]["id"]
    for n in range(ROUNDS // 2):
        shift = await create(api, tier, slot(n, 8), slot(n, 16), [ann])
        race.arm()
        bodies = await asyncio.gather(
            api.post(
                CREATE,
                {
                    "i": {
                        "tierId": tier,
                        "start": slot(n, 6),
                        "end": slot(n, 10),
                        "contactIds": [bob],
                        "sure": True,
                    }
                },
            ),
            api.post(UPDATE, {"id": shift["id"], "i": {"end": slot(n, 18)}}),
        )
        race.disarm()
        assert [b.get("errors") for b in bodies] == [None, None], bodies
        day = [
            x for x in await on_demand_of_tier(api, tier) if x[0].day == n + 1 and x[0].month == 4
        ]
        assert day == [
            (instant(slot(n, 6)), instant(slot(n, 10)), ["Bob"]),
            (instant(slot(n, 10)), instant(slot(n, 18)), ["Ann"]),
        ]
    _verify_collisions(race, ROUNDS // 2)


async def test_update_racing_a_delete_is_not_found_or_done(api: Api, race: Race) -> None:
    """Deleting a shift while another request updates it: the update either lands before the
    delete or answers NOT_FOUND; never an internal error, never contacts of a deleted shift."""
    from app.on_demand_shifts import models

    ann, bob = await contacts(api, "Ann", "Bob")
    tier = (await schedule(api))["tiers"][0]["id"]
    outcomes = []
    for n in range(ROUNDS):
        shift = await create(api, tier, slot(n, 8), slot(n, 16), [ann])
        race.arm()
        update = api.post(
            UPDATE, {"id": shift["id"], "i": {"contactIds": [bob], "end": slot(n, 17)}}
        )
        delete = api.post(
            "mutation($id: ID!) { deleteOnDemandShift(id: $id) { deletedId } }", {"id": shift["id"]}
        )
        # Alternate who is fired first so both orders of taking the lock occur.
        first, second = (update, delete) if n % 2 else (delete, update)
        bodies = await asyncio.gather(first, second)
        race.disarm()
        updated, deleted = (bodies[0], bodies[1]) if n % 2 else (bodies[1], bodies[0])
        assert deleted.get("errors") is None, deleted
        code = updated["errors"][0]["extensions"]["code"] if updated.get("errors") else "OK"
        assert code in {"OK", "NOT_FOUND"}, updated
        outcomes.append(code)
        assert await on_demand_of_tier(api, tier) == []
    assert await models.OnDemandShiftContact.all().count() == 0
    _verify_collisions(race, ROUNDS)


async def test_control_without_the_row_lock_the_race_is_real(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The harness really races: with a plain SELECT instead of the row lock, PostgreSQL lets
    both writers win an overlap. SQLite stays safe because it runs one transaction at a time."""

    async def unlocked(*, org_id: int, tier_id: int) -> tier_models.Tier:
        tier = await tier_models.Tier.filter(id=tier_id, organization_id=org_id).first()
        assert tier is not None
        return tier

    r = Race(backend=api.backend, both_past_lock=api.backend == "postgres")
    r.install(monkeypatch, unlocked)
    ann, bob = await contacts(api, "Ann", "Bob")
    tier = (await schedule(api))["tiers"][0]["id"]
    r.arm()
    bodies = await asyncio.gather(
        api.post(
            CREATE,
            {"i": {"tierId": tier, "start": slot(0, 8), "end": slot(0, 16), "contactIds": [ann]}},
        ),
        api.post(
            CREATE,
            {"i": {"tierId": tier, "start": slot(0, 10), "end": slot(0, 18), "contactIds": [bob]}},
        ),
    )
    r.disarm()
    errors = [b for b in bodies if b.get("errors")]
    if api.backend == "postgres":
        assert errors == [], "expected both writers to win without the lock"
        assert len(await on_demand_of_tier(api, tier)) == 2  # overlapping: what the lock prevents
    else:
        assert len(errors) == 1 and errors[0]["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_row_lock_is_sent_to_postgresql(api: Api) -> None:
    """The tier lock is a real ``FOR UPDATE`` on PostgreSQL (Tortoise can drop it silently)."""
    from tests.support import count_sql

    (ann,) = await contacts(api, "Ann")
    tier = (await schedule(api))["tiers"][0]["id"]
    with count_sql() as statements:
        await create(api, tier, slot(0, 8), slot(0, 9), [ann])
    locks = [s for s in statements if "FOR UPDATE" in s.upper()]
    if api.backend == "postgres":
        assert locks and all('"tier"' in s or " tier" in s for s in locks), statements
    else:
        assert locks == []  # SQLite has no row locks: its one-writer transaction lock protects


# Real servers -------------------------------------------------------------------------------


@dataclass
class Servers:
    bases: list[str]
    token: str


@pytest_asyncio.fixture
async def servers(backend: str, tmp_path: Path) -> AsyncIterator[Servers]:
    url = await prepare_database(backend, tmp_path)
    await Tortoise.init(config=tortoise_config(url))
    org = await auth_service.create_organization(name="Race")
    _, token = await auth_service.create_token(org_id=org.id, name="a", role=Role.ADMIN)
    await Tortoise.close_connections()
    # PostgreSQL: two processes on one database, as operators run it. SQLite: one process only.
    started: list[AppServer] = []
    try:
        for n in range(2 if backend == "postgres" else 1):
            started.append(await start_app_server(url, tmp_path / f"server{n}.log"))
        yield Servers(bases=[server.base for server in started], token=token)
    finally:
        for server in started:
            server.stop()


SERVER_ROUNDS = 20


@pytest.mark.parametrize("sure", [False, True], ids=["sure-false", "sure-true"])
async def test_concurrent_writers_on_real_servers(servers: Servers, sure: bool) -> None:
    headers = {"Authorization": f"Bearer {servers.token}"}
    # One client per writer; on PostgreSQL each writer talks to its own server process.
    bases = servers.bases * 2 if len(servers.bases) == 1 else servers.bases
    async with (
        httpx.AsyncClient(base_url=bases[0], headers=headers, timeout=30) as one,
        httpx.AsyncClient(base_url=bases[1], headers=headers, timeout=30) as two,
    ):

        async def call(
            client: httpx.AsyncClient, query: str, variables: dict[str, Any]
        ) -> dict[str, Any]:
            body: dict[str, Any] = (
                await client.post("/graphql", json={"query": query, "variables": variables})
            ).json()
            return body

        people = []
        for name in ("Ann", "Bob"):
            body = await call(
                one,
                'mutation($n: String!) { createContact(input: {name: $n, timezone: "UTC"}) { id } }',
                {"n": name},
            )
            people.append(body["data"]["createContact"]["id"])
        body = await call(
            one,
            'mutation { createSchedule(input: {name: "Ops", timezone: "UTC"}) { tiers { id } } }',
            {},
        )
        tier = body["data"]["createSchedule"]["tiers"][0]["id"]

        wins = 0
        for n in range(SERVER_ROUNDS):
            day = f"2026-{4 + n // 28:02d}-{n % 28 + 1:02d}"
            a = {
                "i": {
                    "tierId": tier,
                    "start": f"{day}T08:00:00Z",
                    "end": f"{day}T16:00:00Z",
                    "contactIds": [people[0]],
                    "sure": sure,
                }
            }
            b = {
                "i": {
                    "tierId": tier,
                    "start": f"{day}T10:00:00Z",
                    "end": f"{day}T18:00:00Z",
                    "contactIds": [people[1]],
                    "sure": sure,
                }
            }
            bodies = await asyncio.gather(call(one, CREATE, a), call(two, CREATE, b))
            codes = [x["errors"][0]["extensions"]["code"] for x in bodies if x.get("errors")]
            if sure:
                assert codes == [], bodies
            else:
                assert codes == ["CONFLICT"], bodies
            wins += len(bodies) - len(codes)
        listed = await call(
            one,
            "query($t: ID!) { onDemandShifts(filter: {tierIds: [$t]}, first: 100) { totalCount nodes { start end } } }",
            {"t": tier},
        )
    page = listed["data"]["onDemandShifts"]
    shifts: list[tuple[datetime, datetime, list[str]]] = [
        (instant(x["start"]), instant(x["end"]), []) for x in page["nodes"]
    ]
    assert_no_overlaps(shifts)
    assert wins == (2 if sure else 1) * SERVER_ROUNDS
    assert page["totalCount"] == (2 if sure else 1) * SERVER_ROUNDS
