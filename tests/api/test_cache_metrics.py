"""/metrics shows every in-process cache's size next to its configured bound, and the sizes
stay within the bounds however many distinct requests arrive."""

from __future__ import annotations

from pathlib import Path

from tests.support import prepare_database, running_app

DISTINCT = 200


async def test_every_cache_reports_its_size_and_bound(backend: str, tmp_path: Path) -> None:
    url = await prepare_database(backend, tmp_path)
    settings = {"response_cache_entries": 5, "timeline_cache_entries": 7, "metrics_token": "m-1"}
    async with running_app(url, backend, **settings) as api:
        for i in range(DISTINCT):  # distinct texts: a new parse, validation and cache entry each
            await api.ok(f"query Q{i} {{ contacts {{ totalCount }} }}")
        await api.client.post("/graphql", json={"query": "{ nope"})
        text = (await api.client.get("/metrics", headers={"Authorization": "Bearer m-1"})).text
    gauges = {k: int(v) for k, v in (line.rsplit(" ", 1) for line in text.splitlines())}
    assert gauges["rotagraph_response_cache_max_entries"] == 5
    assert gauges["rotagraph_response_cache_entries"] == 5
    assert gauges["rotagraph_response_cache_evictions"] == DISTINCT - 5
    assert gauges["rotagraph_timeline_cache_max_entries"] == 7
    assert 0 <= gauges["rotagraph_timeline_cache_entries"] <= 7
    assert gauges["rotagraph_timeline_cache_max_bytes"] > 0
    for cache in ("parser", "validation"):
        bound = gauges[f"rotagraph_{cache}_cache_max_entries"]
        assert 0 < bound < DISTINCT  # bounded, and the loop above filled it
        assert gauges[f"rotagraph_{cache}_cache_entries"] == bound
