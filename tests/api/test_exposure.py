"""Nothing sensitive where a VIEWER or a log can read it (issue 12, finding 5): credential
configs redacted for VIEWERs, feed secrets kept out of the access log, /metrics behind a
token. (lastError without the remote body: tests/destinations/test_address_policy.py.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.processes import spawn, uvicorn_command
from tests.servers import free_port
from tests.support import Api, prepare_database, running_app
from tests.timelines.factories import schedule

CREATE = """mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id } }"""
READ = "query($id: ID!) { destination(id: $id) { config secretKeys } }"
HOOK = "https://hooks.example.com/services/T000/B000/s3cr3t-path-token"


async def test_credential_configs_are_redacted_for_viewers(api: Api) -> None:
    s = await schedule(api, "S")
    hook = await api.ok(
        CREATE,
        {
            "i": {
                "scheduleId": s["id"],
                "name": "hook",
                "kind": "WEBHOOK",
                "autoExport": False,
                "config": {"url": HOOK, "timeoutSeconds": 5},
                "secrets": {"signingSecret": "0123456789abcdef"},
            }
        },
    )
    cal = await api.ok(
        CREATE,
        {
            "i": {
                "scheduleId": s["id"],
                "name": "cal",
                "kind": "CALDAV",
                "autoExport": False,
                "config": {"url": "https://dav.example.com/u/ann/work/", "username": "ann"},
                "secrets": {"password": "pw"},
            }
        },
    )
    hook_id, cal_id = hook["createDestination"]["id"], cal["createDestination"]["id"]
    for role in ("EDITOR", "ADMIN"):
        seen = await api.ok(READ, {"id": hook_id}, token=api.tokens[role])
        assert seen["destination"]["config"]["url"] == HOOK
    seen = await api.ok(READ, {"id": hook_id}, token=api.tokens["VIEWER"])
    assert seen["destination"]["config"] == {
        "url": "https://hooks.example.com/***",
        "timeoutSeconds": 5,
    }
    assert seen["destination"]["secretKeys"] == ["signingSecret"]
    seen = await api.ok(READ, {"id": cal_id}, token=api.tokens["VIEWER"])
    assert seen["destination"]["config"] == {
        "url": "https://dav.example.com/***",
        "username": "***",
    }
    # The same through a list, where a VIEWER and an EDITOR never share a cached answer.
    listed = "{ destinations { nodes { config } } }"
    assert "s3cr3t" not in str(await api.ok(listed, token=api.tokens["VIEWER"]))
    assert "s3cr3t" in str(await api.ok(listed, token=api.tokens["EDITOR"]))


async def test_metrics_need_a_token(backend: str, tmp_path: Path) -> None:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend) as api:
        refused = await api.client.get("/metrics")
        assert refused.status_code == 401 and "rotagraph_" not in refused.text
        bad = await api.client.get("/metrics", headers={"Authorization": "Bearer rg_nope"})
        assert bad.status_code == 401
        viewer = {"Authorization": f"Bearer {api.tokens['VIEWER']}"}
        assert (
            "rotagraph_timeline_cache_bytes"
            in (await api.client.get("/metrics", headers=viewer)).text
        )
    async with running_app(url, backend, metrics_token="m-0123456789") as api:
        viewer = {"Authorization": f"Bearer {api.tokens['VIEWER']}"}
        assert (await api.client.get("/metrics", headers=viewer)).status_code == 401
        scraper = {"Authorization": "Bearer m-0123456789"}
        answer = await api.client.get("/metrics", headers=scraper)
        assert answer.status_code == 200 and "rotagraph_response_cache_hits" in answer.text


async def test_feed_secrets_never_reach_the_access_log(tmp_path: Path) -> None:
    url = await prepare_database("sqlite", tmp_path)
    async with running_app(url, "sqlite"):
        pass
    port, log = free_port(), tmp_path / "server.log"
    env = {"DATABASE_URL": url, "RUN_JOBS": "false", "PATH": "/usr/bin:/bin"}
    process = spawn(uvicorn_command(port, "--log-level", "info"), env, log)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            for path in (
                "/feeds/rgf_TopSecretFeedToken.ics",
                "/feeds/rgf_TopSecretFeedToken.ics?x=1",
            ):
                assert (await client.get(path)).status_code == 404
        await asyncio.sleep(0.3)
    finally:
        process.terminate()
        process.wait(10)
    text = log.read_text()
    assert '"GET /feeds/*** HTTP/1.1" 404' in text, text
    assert "TopSecretFeedToken" not in text
