"""Every write by a personal token is in the audit log with its contact (SPEC §7, §11),
including the personal-link exchange that creates one; refused writes record nothing."""

from __future__ import annotations

from typing import Any

from tests.cover_requests.factories import (
    ACCEPT,
    CANCEL,
    OFFER,
    offer,
    request,
    rota,
)
from tests.support import Api

LOG = """query($f: AuditLogFilter) { auditLog(filter: $f, first: 100) {
  nodes { operation role contactId tokenId objectIds } } }"""
WINDOW = ("2026-03-03T12:00:00Z", "2026-03-03T18:00:00Z")


async def log(api: Api, contact_id: str) -> list[dict[str, Any]]:
    data = await api.ok(LOG, {"f": {"contactId": contact_id}})
    nodes: list[dict[str, Any]] = data["auditLog"]["nodes"]
    return nodes


async def test_personal_writes_are_audited_with_their_contact(api: Api) -> None:
    r = await rota(api)
    asked = await request(api, r, "Bob", *WINDOW)
    made = await offer(api, r, "Cid", asked["id"])
    await api.ok(ACCEPT, {"o": made["id"]}, token=r.tokens["Bob"])
    await api.ok(
        """mutation($c: ID!) { createSubstitutions(inputs: [{contactId: $c, timezone: "UTC",
          between: {from: "2026-03-10T00:00:00Z", to: "2026-03-11T00:00:00Z"}}]) { id } }""",
        {"c": r.ids["Ann"]},
        token=r.tokens["Ann"],
    )
    await api.ok(CANCEL, {"id": asked["id"]}, token=r.tokens["Bob"])
    # Refused personal writes leave no entry.
    refused = await api.post(OFFER, {"r": asked["id"], "c": r.ids["Ann"]}, token=r.tokens["Dee"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    bob = await log(api, r.ids["Bob"])
    assert [e["operation"] for e in bob] == ["cancelCoverRequest", "acceptOffer", "requestCover"]
    assert all(e["role"] == "PERSON" and e["contactId"] == r.ids["Bob"] for e in bob)
    assert all(asked["id"] in e["objectIds"] for e in bob)
    assert [e["operation"] for e in await log(api, r.ids["Cid"])] == ["offerCover"]
    assert [e["operation"] for e in await log(api, r.ids["Ann"])] == ["createSubstitutions"]
    assert await log(api, r.ids["Dee"]) == []

    link = await api.ok(
        "mutation($c: ID!) { createPersonalLink(contactId: $c) { code } }", {"c": r.ids["Dee"]}
    )
    response = await api.client.post("/sign-in", json={"code": link["createPersonalLink"]["code"]})
    assert response.status_code == 200
    [signed_in] = await log(api, r.ids["Dee"])
    assert signed_in["operation"] == "signInWithCode" and signed_in["role"] == "PERSON"
    assert signed_in["tokenId"] == response.json()["tokenId"]
