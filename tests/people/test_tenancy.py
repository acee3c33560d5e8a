"""Another organization's ids are NOT_FOUND for every people and cover-request operation,
and nothing is written (SPEC §7)."""

from __future__ import annotations

from app.auth import service as auth_service
from app.auth.roles import Role
from app.contacts import service as contact_service
from tests.cover_requests.factories import (
    ACCEPT,
    CANCEL,
    GET,
    OFFER,
    PERSONAL,
    REQUEST,
    WITHDRAW,
    offer,
    request,
    rota,
)
from tests.people.test_api import LINK, REVOKE, TOKENS
from tests.support import Api, table_counts


async def test_another_organizations_ids_are_not_found(api: Api) -> None:
    r = await rota(api)
    asked = await request(api, r, "Bob", "2026-03-03T12:00:00Z", "2026-03-03T18:00:00Z")
    made = await offer(api, r, "Ann", asked["id"])
    bob_tokens = (await api.ok(TOKENS, {"c": r.ids["Bob"]}))["personalTokens"]

    other = await auth_service.create_organization(name="Other")
    _, admin = await auth_service.create_token(org_id=other.id, name="a", role=Role.ADMIN)
    eve = await contact_service.create_contact(
        org_id=other.id, fields=contact_service.ContactFields(name="Eve")
    )
    _, eve_token = await auth_service.create_token(
        org_id=other.id, name="eve", role=Role.PERSON, contact_id=eve.id
    )
    from app.api.relay import encode_id

    eve_id = encode_id("Contact", eve.id)
    cases = [
        (REQUEST, {"s": r.schedule, "from": "2026-03-03T12:00:00Z", "to": "2026-03-03T13:00:00Z"}),
        (
            REQUEST,
            {
                "s": r.schedule,
                "from": "2026-03-03T12:00:00Z",
                "to": "2026-03-03T13:00:00Z",
                "c": eve_id,
            },
        ),
        (OFFER, {"r": asked["id"]}),
        (WITHDRAW, {"o": made["id"]}),
        (ACCEPT, {"o": made["id"]}),
        (CANCEL, {"id": asked["id"]}),
        (GET, {"id": asked["id"]}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": asked["id"]}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": made["id"]}),
        (PERSONAL, {"c": r.ids["Bob"], "n": "x"}),
        (LINK, {"c": r.ids["Bob"]}),
        (TOKENS, {"c": r.ids["Bob"]}),
        (REVOKE, {"id": bob_tokens[0]["id"]}),
    ]
    for query, variables in cases:
        tokens = (
            [admin, eve_token] if query in (REQUEST, OFFER, WITHDRAW, CANCEL, ACCEPT) else [admin]
        )
        for token in tokens:
            if query is REQUEST and token == admin and "c" not in variables:
                variables = {**variables, "c": eve_id}
            before = await table_counts()
            error = await api.error(query, variables, token=token)
            assert error["extensions"]["code"] == "NOT_FOUND", (query, variables, error)
            assert await table_counts() == before
    listed = await api.ok("{ coverRequests { totalCount } }", token=admin)
    assert listed["coverRequests"]["totalCount"] == 0
