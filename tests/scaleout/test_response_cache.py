"""The response cache with several real processes (issue 9): a write on one process is read
back at once through the cache on another, background writes too; a revoked token fails
everywhere within a second; callers of different roles never share an entry.

The clock-driven case (a handoff with no write changes onCallNow) is covered in-process by
tests/api/test_response_cache.py: an entry's expiry is computed by the process that stores
it, so a second process adds nothing there."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.scaleout.cluster import Cluster, eventually, gql, require_redis, sql, webhook_receiver
from tests.scaleout.factories import DESTINATION_STATUS, EXPORT, daily_schedule, destinations, pk

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CONTACTS = "{ contacts(first: 100) { totalCount nodes { name } } }"
CREATE_CONTACT = (
    'mutation($n: String!) { createContact(input: {name: $n, timezone: "UTC"}) { id } }'
)
ROUNDS = 25


async def cache_metrics(base: str, token: str) -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        text = (
            await client.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"})
        ).text
    out = {}
    for line in text.splitlines():
        name, value = line.rsplit(" ", 1)
        out[name.removeprefix("rotagraph_response_cache_")] = int(value)
    return out


@pytest.mark.parametrize("broker", ["notify", "redis"])
async def test_a_write_is_read_back_at_once_through_every_process_cache(
    broker: str, database: str, admin: str, tmp_path: Path
) -> None:
    env = {"RUN_JOBS": "false", "RESPONSE_CACHE_ENTRIES": "1000"}
    if broker == "redis":
        env["PUBSUB_URL"] = require_redis()
    async with Cluster(database, 2, env=env, log_dir=tmp_path) as cluster:
        a, b = cluster[0], cluster[1]
        async with httpx.AsyncClient(timeout=30) as client:
            names = [
                n["name"]
                for n in (await gql(a, admin, CONTACTS, client=client))["contacts"]["nodes"]
            ]
            for round_ in range(ROUNDS):
                # Alternate: write on B read on A, write on A read on A, write on A read on B.
                writer, reader = [(b, a), (a, a), (a, b)][round_ % 3]
                for node in (a, b):  # both caches hold the answer before the write
                    for _ in range(2):
                        data = await gql(node, admin, CONTACTS, client=client)
                        assert data["contacts"]["totalCount"] == len(names)
                name = f"{broker} round {round_:02d}"
                await gql(writer, admin, CREATE_CONTACT, {"n": name}, client=client)
                names = sorted([*names, name])
                data = await gql(reader, admin, CONTACTS, client=client)
                assert data["contacts"]["totalCount"] == len(names), (
                    f"round {round_}: process {reader.index} answered a stale count after a "
                    f"write on process {writer.index}"
                )
                assert sorted(n["name"] for n in data["contacts"]["nodes"]) == names
        for node in (a, b):
            assert (await cache_metrics(node.base, admin))["hits"] >= ROUNDS


async def test_a_background_export_is_read_back_through_another_process_cache(
    database: str, admin: str, tmp_path: Path
) -> None:
    # A serves reads only; B's export worker runs the export in the background.
    node_env = {0: {"RUN_JOBS": "false"}, 1: {"RUN_JOBS": "true", "EXPORT_POLL_SECONDS": "0.3"}}
    async with Cluster(database, 2, node_env=node_env, log_dir=tmp_path) as cluster:
        a, b = cluster[0], cluster[1]
        s = await daily_schedule(a, admin, "Background export")
        async with webhook_receiver(cluster) as hook:
            (dest,) = await destinations(a, admin, s["id"], hook.url, 1)
            hook.hold = lambda n: n == 0  # the export waits at the receiver ...
            await gql(b, admin, EXPORT, {"id": dest, "w": False})
            await asyncio.wait_for(hook.held.wait(), 20)
            # ... while A caches the answer of the current version (the mutation's bump).
            hits = (await cache_metrics(a.base, admin))["hits"]
            for _ in range(2):
                assert (await gql(a, admin, DESTINATION_STATUS, {"id": dest}))["destination"][
                    "status"
                ] == "PENDING"
            assert (await cache_metrics(a.base, admin))["hits"] == hits + 1
            hook.release.set()

            async def recorded() -> bool:
                rows = await sql(database, "SELECT status FROM destination WHERE id = $1", pk(dest))
                return bool(rows[0]["status"] == "OK")

            await eventually(recorded, timeout=20)
            await eventually(lambda: _status_on(b, admin, dest, "OK"), timeout=2)
            data = await gql(a, admin, DESTINATION_STATUS, {"id": dest})
            assert data["destination"]["status"] == "OK"


async def _status_on(node: object, token: str, dest: str, status: str) -> bool:
    data = await gql(node, token, DESTINATION_STATUS, {"id": dest})  # type: ignore[arg-type]
    return bool(data["destination"]["status"] == status)


async def test_a_revoked_token_fails_on_another_process_within_a_second(
    database: str, admin: str, tmp_path: Path
) -> None:
    async with Cluster(database, 2, env={"RUN_JOBS": "false"}, log_dir=tmp_path) as cluster:
        a, b = cluster[0], cluster[1]
        for round_ in range(3):
            created = await gql(
                a,
                admin,
                "mutation($n: String!) { createApiToken(name: $n, role: VIEWER) { token { id } secret } }",
                {"n": f"revoked {round_}"},
            )
            token_id = created["createApiToken"]["token"]["id"]
            secret = created["createApiToken"]["secret"]
            headers = {"Authorization": f"Bearer {secret}"}
            body = {"query": "{ viewer { role } }"}
            async with httpx.AsyncClient(base_url=b.base, timeout=10) as client:
                # B remembers the token (and caches the answer) just before the revocation.
                for _ in range(2):
                    assert (
                        await client.post("/graphql", json=body, headers=headers)
                    ).status_code == 200
                revoking = time.monotonic()
                await gql(
                    a,
                    admin,
                    "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
                    {"id": token_id},
                )
                while True:
                    status = (await client.post("/graphql", json=body, headers=headers)).status_code
                    elapsed = time.monotonic() - revoking
                    if status == 401:
                        break
                    assert status == 200
                    assert elapsed < 1.0, (
                        f"B still accepted the revoked token after {elapsed:.2f} s"
                    )
                assert elapsed <= 1.0
            # A itself refuses it at once.
            async with httpx.AsyncClient(base_url=a.base, timeout=10) as client:
                assert (
                    await client.post("/graphql", json=body, headers=headers)
                ).status_code == 401


async def test_a_viewer_and_an_admin_never_share_an_entry(
    database: str, admin: str, tmp_path: Path
) -> None:
    async with Cluster(database, 2, env={"RUN_JOBS": "false"}, log_dir=tmp_path) as cluster:
        created = await gql(
            cluster[0],
            admin,
            'mutation { createApiToken(name: "a viewer", role: VIEWER) { secret } }',
        )
        viewer = created["createApiToken"]["secret"]
        tokens_query = {"query": "{ apiTokens(first: 100) { totalCount } }"}
        role_query = {"query": "{ viewer { role } }"}
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(3):  # from the second time on, answers may come from the caches
                for node in cluster.nodes:
                    for token, role in ((admin, "ADMIN"), (viewer, "VIEWER")):
                        headers = {"Authorization": f"Bearer {token}"}
                        doc = (
                            await client.post(
                                f"{node.base}/graphql", json=role_query, headers=headers
                            )
                        ).json()
                        assert doc["data"]["viewer"]["role"] == role
                        doc = (
                            await client.post(
                                f"{node.base}/graphql", json=tokens_query, headers=headers
                            )
                        ).json()
                        if role == "ADMIN":
                            assert doc["data"]["apiTokens"]["totalCount"] >= 2
                        else:
                            assert doc["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        for node in cluster.nodes:
            assert (await cache_metrics(node.base, admin))["hits"] >= 2
