"""The sweep kept as a test (issue 12, finding 8): a bounded schemathesis run generates
queries and mutations for every operation of the schema (revokeApiToken excluded: it would
revoke the run's own token) and sends them, as an ADMIN, to a real server on SQLite and on
PostgreSQL. Any 5xx, any error without ``extensions.code`` and any INTERNAL_SERVER_ERROR
(an exception the API did not expect, even masked) fails the run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from tests.processes import AppServer, start_app_server
from tests.support import prepare_database, running_app
from tests.timelines.factories import contacts, schedule, set_layers, weekly

EXAMPLES = 15  # per operation: about 1,000 requests per backend, 2,000 in all


def _json_object(pairs: dict[str, str | int]) -> graphql.ObjectValueNode:
    return nodes.Object(
        [
            graphql.ObjectFieldNode(
                name=graphql.NameNode(value=key),
                value=nodes.String(value) if isinstance(value, str) else nodes.Int(value),
            )
            for key, value in pairs.items()
        ]
    )


# The schema's own scalars: valid values and arbitrary text (which must be refused cleanly).
schemathesis.graphql.scalar(
    "LocalDateTime",
    st.one_of(
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
            lambda d: nodes.String(d.isoformat(timespec="minutes"))
        ),
        st.text(max_size=30).map(nodes.String),
    ),
)
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(
        st.dictionaries(
            st.sampled_from(["url", "baseUrl", "scheduleId", "username", "signingSecret", "x"]),
            st.one_of(st.text(max_size=40), st.integers(-(2**40), 2**40)),
            max_size=4,
        ).map(_json_object),
        st.text(max_size=20).map(nodes.String),
        st.integers().map(nodes.Int),
    ),
)

schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True, places=4).map(
            lambda d: nodes.String(str(d))
        ),
        st.text(max_size=20).map(nodes.String),
    ),
)


async def _seed(backend: str, folder: Path) -> tuple[str, str]:
    """A database with something to read: contacts, a schedule with layers."""
    url = await prepare_database(backend, folder)
    async with running_app(url, backend) as api:
        people = await contacts(api, "Ann", "Bob", "Cy")
        s = await schedule(api, "Ops", tiers=2)
        for tier in s["tiers"]:
            await set_layers(api, tier["id"], [weekly("W", "2026-03-02T09:00", people)])
        return url, api.tokens["ADMIN"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def graphql_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp(f"sweep-{request.param}")
    url, token = asyncio.run(_seed(request.param, folder))
    server: AppServer = asyncio.run(
        start_app_server(url, folder / "server.log", env={"EXECUTION_SECONDS": "5"})
    )
    try:
        loaded = schemathesis.graphql.from_url(
            f"{server.base}/graphql", headers={"Authorization": f"Bearer {token}"}
        )
        loaded.config.update(headers={"Authorization": f"Bearer {token}"})  # type: ignore[attr-defined]
        yield loaded.exclude(name="Mutation.revokeApiToken")
    finally:
        server.stop()
        log = (folder / "server.log").read_text(errors="replace")
        assert "Traceback" not in log, log[-4000:]


def test_no_generated_request_breaks_the_api(graphql_api: Any) -> None:
    failures: list[str] = []
    sent_count = 0
    for result in graphql_api.get_all_operations():
        operation = result.ok()
        label = operation.label

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            nonlocal sent_count
            sent_count += 1
            response = case.call()
            sent = json.dumps(case.body)[:1000] if case.body is not None else ""
            if response.status_code >= 500:
                failures.append(f"HTTP {response.status_code} for {sent}: {response.text[:300]}")
                return
            for error in response.json().get("errors") or []:
                code = (error.get("extensions") or {}).get("code")
                if code is None or code == "INTERNAL_SERVER_ERROR":
                    failures.append(f"{label}: {error} for {sent}")  # noqa: B023

        run()
    assert sent_count >= 40 * EXAMPLES
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:20])
