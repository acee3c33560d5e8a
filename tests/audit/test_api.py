"""The audit log (issue 12, finding 7; SPEC §7) through the API on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support import Api, prepare_database, running_app, table_counts

LOG = """query($f: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $f, first: $first, after: $after) {
    totalCount
    edges { cursor node { id at operation objectIds tokenId tokenName role contactId } }
  } }"""
CREATE = 'mutation($n: String!) { createContact(input: {name: $n, timezone: "UTC"}) { id } }'
RENAME = "mutation($id: ID!, $n: String!) { updateContact(id: $id, input: {name: $n}) { id } }"
DELETE = "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }"


async def log(api: Api, **variables: Any) -> list[dict[str, Any]]:
    data = await api.ok(LOG, variables)
    return [e["node"] for e in data["auditLog"]["edges"]]


async def test_every_write_is_recorded_and_outlives_what_it_names(api: Api) -> None:
    editor = api.tokens["EDITOR"]
    ann = (await api.ok(CREATE, {"n": "Ann"}, token=editor))["createContact"]["id"]
    await api.ok(RENAME, {"id": ann, "n": "Ann B"}, token=editor)
    first = await log(api)
    await api.ok(DELETE, {"id": ann}, token=editor)

    entries = await log(api)
    assert [e["operation"] for e in entries] == ["deleteContact", "updateContact", "createContact"]
    assert all(ann in e["objectIds"] for e in entries)
    assert all(e["tokenName"] == "editor" and e["role"] == "EDITOR" for e in entries)
    assert all(e["contactId"] is None for e in entries)
    assert entries[0]["at"] >= entries[1]["at"] >= entries[2]["at"]
    # Entries are never changed: the older ones read the same after later writes and the
    # deletion of the contact they name.
    assert entries[1:] == first
    viewer = await api.ok("{ viewer { token { id } } }", token=editor)
    assert entries[0]["tokenId"] == viewer["viewer"]["token"]["id"]


async def test_failed_writes_record_nothing(api: Api) -> None:
    before = await table_counts()
    error = await api.error(CREATE, {"n": ""}, token=api.tokens["EDITOR"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = await api.error(CREATE, {"n": "Zed"}, token=api.tokens["VIEWER"])
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await table_counts() == before
    assert await log(api) == []


async def test_personal_tokens_record_their_contact(api: Api) -> None:
    ann = (await api.ok(CREATE, {"n": "Ann"}))["createContact"]["id"]
    personal = "mutation($c: ID!, $n: String!) { createPersonalToken(contactId: $c, name: $n) { secret token { id } } }"
    phone = (await api.ok(personal, {"c": ann, "n": "phone"}))["createPersonalToken"]
    laptop = (await api.ok(personal, {"c": ann, "n": "laptop"}))["createPersonalToken"]
    # Ann's phone token revokes her laptop token: a write by a PERSON token.
    await api.ok(
        "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
        {"id": laptop["token"]["id"]},
        token=phone["secret"],
    )
    (entry,) = await log(api, f={"contactId": ann})
    assert entry["operation"] == "revokeApiToken"
    assert entry["role"] == "PERSON" and entry["contactId"] == ann
    assert entry["tokenId"] == phone["token"]["id"] and entry["tokenName"] == "phone"
    assert laptop["token"]["id"] in entry["objectIds"]


async def test_filters_paging_and_roles(api: Api) -> None:
    ids = [(await api.ok(CREATE, {"n": f"P{i}"}))["createContact"]["id"] for i in range(5)]
    await api.ok(RENAME, {"id": ids[0], "n": "P0 again"}, token=api.tokens["EDITOR"])
    assert len(await log(api, f={"operations": ["updateContact"]})) == 1
    assert [e["operation"] for e in await log(api, f={"objectId": ids[0]})] == [
        "updateContact",
        "createContact",
    ]
    admin_token = (await api.ok("{ viewer { token { id } } }"))["viewer"]["token"]["id"]
    assert len(await log(api, f={"tokenId": admin_token})) == 5
    page = (await api.ok(LOG, {"first": 2}))["auditLog"]
    assert page["totalCount"] == 6 and len(page["edges"]) == 2
    rest = await log(api, first=10, after=page["edges"][-1]["cursor"])
    assert len(rest) == 4
    assert await log(api, f={"from": "2100-01-01T00:00:00Z"}) == []
    for role in ("VIEWER", "EDITOR"):
        error = await api.error(LOG, {}, token=api.tokens[role])
        assert error["extensions"]["code"] == "FORBIDDEN"


async def test_the_log_is_never_answered_from_the_response_cache(
    backend: str, tmp_path: Path
) -> None:
    """Entries are written just after each write commits: a cached answer could miss one."""
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, response_cache_entries=100) as api:
        await api.ok(CREATE, {"n": "Ann"})
        for _ in range(3):
            assert (await api.ok(LOG))["auditLog"]["totalCount"] == 1
        auth = {"Authorization": f"Bearer {api.tokens['ADMIN']}"}
        metrics = (await api.client.get("/metrics", headers=auth)).text
        assert "rotagraph_response_cache_hits 0" in metrics
        assert "rotagraph_response_cache_uncacheable 3" in metrics
