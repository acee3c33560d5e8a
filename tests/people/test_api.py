"""Personal tokens, personal links with one-time codes, `me`, and what a PERSON may write
(SPEC §11, §7), through the whole app."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from app.auth import models as auth_models
from app.calendars import importer
from tests.calendars.conftest import server as server  # a fixture
from tests.calendars.ics_server import IcsServer, vcalendar
from tests.calendars.queries import CONNECT, DISCONNECT, SET_IMPORTS
from tests.cover_requests.factories import PERSONAL, offer, refused, request, rota
from tests.support import Api, table_counts

LINK = """mutation($c: ID!) { createPersonalLink(contactId: $c) {
  url code expiresAt contactId } }"""
TOKENS = "query($c: ID!) { personalTokens(contactId: $c) { id name role contactId revokedAt } }"
REVOKE = "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }"
ME = """{ me { contact { name } token { role }
  shifts(from: "2026-03-02T00:00:00Z", to: "2026-03-05T00:00:00Z") { start end }
  calendarFeeds { name }
  coverRequests { totalCount nodes { status } }
  coverOffers { status coverRequest { requester { name } } } } }"""
SUBSTITUTE = (
    """mutation($i: [CreateSubstitutionInput!]!) { createSubstitutions(inputs: $i) { id } }"""
)
AWAY = {"from": "2026-03-10T00:00:00Z", "to": "2026-03-11T00:00:00Z"}


async def test_editors_create_personal_tokens_shown_once_listed_per_contact(api: Api) -> None:
    r = await rota(api)  # one personal token per contact, made by an EDITOR
    made = await api.ok(PERSONAL, {"c": r.ids["Ann"], "n": "laptop"})  # ADMIN may too
    created = made["createPersonalToken"]
    assert created["token"]["role"] == "PERSON"
    assert created["token"]["contactId"] == r.ids["Ann"]
    listed = (await api.ok(TOKENS, {"c": r.ids["Ann"]}, token=api.tokens["EDITOR"]))[
        "personalTokens"
    ]
    assert [t["name"] for t in listed] == ["phone", "laptop"]
    assert created["secret"] not in str(listed)
    own = await api.ok(TOKENS, {"c": r.ids["Ann"]}, token=r.tokens["Ann"])
    assert len(own["personalTokens"]) == 2
    await refused(api, TOKENS, {"c": r.ids["Bob"]}, r.tokens["Ann"])
    await refused(api, TOKENS, {"c": r.ids["Ann"]}, api.tokens["VIEWER"])
    for token in (api.tokens["VIEWER"], r.tokens["Ann"]):
        await refused(api, PERSONAL, {"c": r.ids["Ann"], "n": "x"}, token)
    wrong_role = await refused(
        api,
        'mutation { createApiToken(name: "p", role: PERSON) { secret } }',
        {},
        api.tokens["ADMIN"],
        "BAD_USER_INPUT",
    )
    assert wrong_role["extensions"]["fields"] == ["role"]
    who = await api.ok("{ viewer { role token { contactId } } }", token=r.tokens["Ann"])
    assert who["viewer"] == {"role": "PERSON", "token": {"contactId": r.ids["Ann"]}}


async def test_personal_tokens_are_revocable_by_editors_and_their_person(api: Api) -> None:
    r = await rota(api)
    ids = {
        t["name"]: t["id"] for t in (await api.ok(TOKENS, {"c": r.ids["Ann"]}))["personalTokens"]
    }
    extra = (await api.ok(PERSONAL, {"c": r.ids["Ann"], "n": "spare"}))["createPersonalToken"]
    org_tokens = (await api.ok("{ apiTokens { nodes { id role } } }"))["apiTokens"]["nodes"]
    viewer_id = next(t["id"] for t in org_tokens if t["role"] == "VIEWER")
    await refused(api, REVOKE, {"id": viewer_id}, api.tokens["EDITOR"])
    await refused(api, REVOKE, {"id": ids["phone"]}, r.tokens["Bob"])
    await refused(api, REVOKE, {"id": ids["phone"]}, api.tokens["VIEWER"])
    await api.ok(REVOKE, {"id": extra["token"]["id"]}, token=r.tokens["Ann"])
    await api.ok(REVOKE, {"id": ids["phone"]}, token=api.tokens["EDITOR"])
    for secret in (extra["secret"], r.tokens["Ann"]):
        response = await api.client.post(
            "/graphql",
            json={"query": "{ me { contact { name } } }"},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert response.status_code == 401


async def sign_in(api: Api, code: Any) -> tuple[int, dict[str, Any]]:
    response = await api.client.post("/sign-in", json={"code": code})
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def test_a_personal_link_signs_in_once_within_fifteen_minutes(api: Api) -> None:
    r = await rota(api)
    link = (await api.ok(LINK, {"c": r.ids["Bob"]}, token=api.tokens["EDITOR"]))[
        "createPersonalLink"
    ]
    assert link["url"] == f"http://testserver/#signin={link['code']}"
    assert link["expiresAt"].startswith("2026-03-02T12:15:00")
    assert link["contactId"] == r.ids["Bob"]
    stored = await auth_models.SignInCode.all()
    assert len(stored) == 1 and link["code"] not in stored[0].code_hash

    status, body = await sign_in(api, link["code"])
    assert status == 200 and body["contactId"] == r.ids["Bob"]
    me = await api.ok("{ me { contact { name } token { role name } } }", token=body["token"])
    assert me["me"] == {
        "contact": {"name": "Bob"},
        "token": {"role": "PERSON", "name": "personal link"},
    }
    before = await table_counts()
    status, body = await sign_in(api, link["code"])
    assert status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await table_counts() == before

    late = (await api.ok(LINK, {"c": r.ids["Bob"]}))["createPersonalLink"]
    api.clock.advance(timedelta(minutes=15))
    assert (await sign_in(api, late["code"]))[0] == 401
    assert (await sign_in(api, "rgc_not-a-code"))[0] == 401
    status, body = await sign_in(api, 42)
    assert status == 400 and body["errors"][0]["extensions"]["fields"] == ["code"]
    response = await api.client.post("/sign-in", content=b"{not json")
    assert response.status_code == 400
    # the late link and its audit entry
    assert await table_counts() == {
        **before,
        "sign_in_code": before["sign_in_code"] + 1,
        "audit_entry": before["audit_entry"] + 1,
    }
    for token in (api.tokens["VIEWER"], r.tokens["Bob"]):
        await refused(api, LINK, {"c": r.ids["Bob"]}, token)


async def test_a_code_exchanged_twice_at_once_gives_one_token(api: Api) -> None:
    r = await rota(api)
    code = (await api.ok(LINK, {"c": r.ids["Cid"]}))["createPersonalLink"]["code"]
    results = await asyncio.gather(sign_in(api, code), sign_in(api, code))
    assert sorted(status for status, _ in results) == [200, 401]
    assert await auth_models.ApiToken.filter(name="personal link").count() == 1


async def test_me_shows_the_persons_shifts_feeds_requests_and_offers(api: Api) -> None:
    r = await rota(api)
    asked = await request(api, r, "Bob", "2026-03-03T12:00:00Z", "2026-03-03T18:00:00Z")
    await offer(api, r, "Ann", asked["id"])
    await api.ok(
        'mutation($c: ID!) { createCalendarFeed(input: {contactId: $c, name: "Bob on call"}) { url } }',
        {"c": r.ids["Bob"]},
    )
    bob = (await api.ok(ME, token=r.tokens["Bob"]))["me"]
    assert bob["contact"]["name"] == "Bob" and bob["token"]["role"] == "PERSON"
    assert [(s["start"][5:13], s["end"][5:13]) for s in bob["shifts"]] == [("03-03T09", "03-04T09")]
    assert bob["calendarFeeds"] == [{"name": "Bob on call"}]
    assert bob["coverRequests"] == {"totalCount": 1, "nodes": [{"status": "OFFERED"}]}
    ann = (await api.ok(ME, token=r.tokens["Ann"]))["me"]
    assert ann["coverOffers"] == [
        {"status": "ACTIVE", "coverRequest": {"requester": {"name": "Bob"}}}
    ]
    assert ann["coverRequests"]["totalCount"] == 0
    for role in ("VIEWER", "EDITOR", "ADMIN"):
        assert (await api.ok("{ me { contact { name } } }", token=api.tokens[role]))["me"] is None


async def test_a_person_reads_like_a_viewer(api: Api) -> None:
    r = await rota(api)
    data = await api.ok(
        "{ contacts { totalCount } schedules { totalCount } coverRequests { totalCount } }",
        token=r.tokens["Dee"],
    )
    assert data == {
        "contacts": {"totalCount": 4},
        "schedules": {"totalCount": 1},
        "coverRequests": {"totalCount": 0},
    }


async def test_a_person_writes_only_its_own_unavailability(api: Api) -> None:
    r = await rota(api)
    ann = r.tokens["Ann"]
    mine = {"contactId": r.ids["Ann"], "scheduleId": r.schedule, "between": AWAY}
    created = await api.ok(SUBSTITUTE, {"i": [mine]}, token=ann)
    sub_id = created["createSubstitutions"][0]["id"]
    await refused(api, SUBSTITUTE, {"i": [{**mine, "contactId": r.ids["Bob"]}]}, ann)
    await refused(api, SUBSTITUTE, {"i": [{**mine, "replacementId": r.ids["Bob"]}]}, ann)
    update = """mutation($ids: [ID!]!, $p: UpdateSubstitutionInput!) {
      updateSubstitutions(ids: $ids, patch: $p) { id between { from } } }"""
    moved = await api.ok(
        update,
        {
            "ids": [sub_id],
            "p": {"between": {"from": "2026-03-12T00:00:00Z", "to": "2026-03-13T00:00:00Z"}},
        },
        token=ann,
    )
    assert moved["updateSubstitutions"][0]["between"]["from"].startswith("2026-03-12")
    await refused(api, update, {"ids": [sub_id], "p": {"contactId": r.ids["Bob"]}}, ann)
    await refused(api, update, {"ids": [sub_id], "p": {"replacementId": r.ids["Bob"]}}, ann)
    bobs = await api.ok(SUBSTITUTE, {"i": [{**mine, "contactId": r.ids["Bob"]}]})
    bob_sub = bobs["createSubstitutions"][0]["id"]
    delete = "mutation($ids: [ID!]!) { deleteSubstitutions(ids: $ids) { status } }"
    await refused(api, update, {"ids": [bob_sub], "p": {"timezone": "UTC"}}, ann)
    await refused(api, delete, {"ids": [bob_sub]}, ann)
    await refused(api, delete, {"ids": [sub_id, bob_sub]}, ann)
    done = await api.ok(delete, {"ids": [sub_id]}, token=ann)
    assert done["deleteSubstitutions"] == [{"status": "DELETED"}]


async def test_a_person_manages_only_its_own_calendar_connections(
    api: Api, server: IcsServer
) -> None:
    r = await rota(api)
    server.serve("/ann.ics", vcalendar())
    settings = {"url": server.url("/ann.ics")}
    own = await api.ok(
        CONNECT, {"c": r.ids["Ann"], "p": "ICS_URL", "s": settings}, token=r.tokens["Ann"]
    )
    connection = own["connectCalendar"]
    await refused(api, CONNECT, {"c": r.ids["Bob"], "p": "ICS_URL", "s": settings}, r.tokens["Ann"])
    item = {"calendarId": connection["calendars"][0]["id"], "enabled": True}
    for query, variables in (
        (SET_IMPORTS, {"id": connection["id"], "i": [item]}),
        (
            "mutation($id: ID!) { importCalendarsNow(connectionId: $id) { id } }",
            {"id": connection["id"]},
        ),
        (DISCONNECT, {"id": connection["id"]}),
    ):
        await refused(api, query, variables, r.tokens["Bob"])
    await api.ok(SET_IMPORTS, {"id": connection["id"], "i": [item]}, token=r.tokens["Ann"])
    await importer.drain()
    await api.ok(DISCONNECT, {"id": connection["id"]}, token=r.tokens["Ann"])


async def test_deleting_a_contact_removes_its_personal_tokens_and_codes(api: Api) -> None:
    r = await rota(api)
    await api.ok(LINK, {"c": r.ids["Dee"]})
    await api.ok(
        "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }", {"id": r.ids["Dee"]}
    )
    assert await auth_models.ApiToken.filter(role="PERSON").count() == 3
    assert await auth_models.SignInCode.all().count() == 0
