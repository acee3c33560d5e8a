"""Cover requests through the whole app (SPEC §11): ask, offer, accept, cancel, expire, and
their effect on shifts, confirmed assignments and feeds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.cover_requests import expiry
from app.shifts import models as shift_models
from tests.cover_requests.factories import (
    ACCEPT,
    CANCEL,
    GET,
    WITHDRAW,
    Rota,
    offer,
    request,
    rota,
    shifts,
)
from tests.support import Api

CONFIRM = "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }"
FEED = """mutation($c: ID!) { createCalendarFeed(input: {contactId: $c, name: "mine"}) { url } }"""
CREATE_SUBSTITUTION = """mutation($i: [CreateSubstitutionInput!]!) {
  createSubstitutions(inputs: $i) { id kind between { from to } recurrence { type } } }"""
WINDOW = ("2026-03-03T12:00:00Z", "2026-03-03T18:00:00Z")  # inside Bob's turn
DAYS = ("2026-03-03T00:00:00Z", "2026-03-05T00:00:00Z")


async def confirmed(r: Rota) -> list[tuple[str, str, list[int]]]:
    rows = await shift_models.Shift.all().order_by("start")
    return [(f"{x.start:%m-%dT%H:%M}", f"{x.end:%m-%dT%H:%M}", list(x.assignees)) for x in rows]


async def feed_text(api: Api, url: str) -> str:
    response = await api.client.get(url.replace("http://testserver", ""))
    assert response.status_code == 200
    return response.text


async def test_ask_offer_accept_then_cancel_changes_and_restores_everything(api: Api) -> None:
    r = await rota(api)
    await api.ok(CONFIRM, {"s": r.schedule})
    before_shifts = await shifts(api, r.tier, *DAYS)
    before_rows = await confirmed(r)
    feed = (await api.ok(FEED, {"c": r.ids["Cid"]}))["createCalendarFeed"]["url"]

    asked = await request(api, r, "Bob", *WINDOW, note="dentist")
    assert asked["status"] == "OPEN"
    assert asked["requester"]["name"] == "Bob" and asked["note"] == "dentist"
    # Ann's and Cid's turns are on other days; Dee is no participant. Least loaded first:
    # Cid has carried nothing yet, Ann the confirmed 21 hours up to Tuesday 09:00.
    assert [c["name"] for c in asked["candidates"]] == ["Cid", "Ann"]

    cid = await offer(api, r, "Cid", asked["id"])
    ann = await offer(api, r, "Ann", asked["id"])
    assert cid["status"] == ann["status"] == "ACTIVE"
    got = (await api.ok(GET, {"id": asked["id"]}))["coverRequest"]
    assert got["status"] == "OFFERED"
    assert [o["contact"]["name"] for o in got["offers"]] == ["Cid", "Ann"]

    accepted = (await api.ok(ACCEPT, {"o": cid["id"]}, token=r.tokens["Bob"]))["acceptOffer"]
    assert accepted["status"] == "ACCEPTED"
    assert accepted["volunteer"]["name"] == "Cid"
    assert accepted["candidates"] == []
    assert {o["contact"]["name"]: o["status"] for o in accepted["offers"]} == {
        "Cid": "ACCEPTED",
        "Ann": "DECLINED",
    }
    sub = accepted["substitution"]
    assert sub["kind"] == "REPLACEMENT" and sub["status"] == "ACTIVE"
    assert (sub["contact"]["name"], sub["replacement"]["name"]) == ("Bob", "Cid")
    assert sub["between"] == {
        "from": WINDOW[0].replace("Z", "+00:00"),
        "to": WINDOW[1].replace("Z", "+00:00"),
    }

    assert await shifts(api, r.tier, *DAYS) == [
        ("03-03T00:00", "03-03T09:00", "LAYER", ["Ann"]),
        ("03-03T09:00", "03-03T12:00", "LAYER", ["Bob"]),
        ("03-03T12:00", "03-03T18:00", "SUBSTITUTION", ["Cid"]),
        ("03-03T18:00", "03-04T09:00", "LAYER", ["Bob"]),
        ("03-04T09:00", "03-05T00:00", "LAYER", ["Cid"]),
    ]
    accepted_rows = await confirmed(r)
    assert accepted_rows != before_rows
    assert ("03-03T12:00", "03-03T18:00", [int_id(r.ids["Cid"])]) in accepted_rows
    assert "DTSTART:20260303T120000Z" in (await feed_text(api, feed)).replace(";TZID=UTC", "")

    cancelled = (await api.ok(CANCEL, {"id": asked["id"]}, token=r.tokens["Bob"]))[
        "cancelCoverRequest"
    ]
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["substitution"]["status"] == "DELETED"
    assert await shifts(api, r.tier, *DAYS) == before_shifts
    assert await confirmed(r) == before_rows
    text = await feed_text(api, feed)
    assert "STATUS:CANCELLED" in text  # the removed shift is sent as cancelled

    # The same substitution written directly has exactly the effect acceptance had.
    direct = await api.ok(
        CREATE_SUBSTITUTION,
        {
            "i": [
                {
                    "contactId": r.ids["Bob"],
                    "replacementId": r.ids["Cid"],
                    "scheduleId": r.schedule,
                    "between": {"from": WINDOW[0], "to": WINDOW[1]},
                }
            ]
        },
    )
    assert direct["createSubstitutions"][0]["recurrence"] is None
    assert await confirmed(r) == accepted_rows


def int_id(global_id: str) -> int:
    from app.api.relay import split_id

    return split_id(global_id)[1]


async def test_withdrawing_the_last_offer_reopens_and_an_editor_acts_for_people(
    api: Api,
) -> None:
    r = await rota(api)
    editor = api.tokens["EDITOR"]
    asked = await request(api, r, "Bob", *WINDOW)
    on_behalf = await api.ok(
        """mutation($s: ID!, $c: ID!) { requestCover(scheduleId: $s, contactId: $c,
          from: "2026-03-04T10:00:00Z", to: "2026-03-04T11:00:00Z") { requester { name } } }""",
        {"s": r.schedule, "c": r.ids["Cid"]},
        token=editor,
    )
    assert on_behalf["requestCover"]["requester"]["name"] == "Cid"
    made = await api.ok(
        "mutation($r: ID!, $c: ID) { offerCover(requestId: $r, contactId: $c) { id } }",
        {"r": asked["id"], "c": r.ids["Ann"]},
        token=editor,
    )
    offer_id = made["offerCover"]["id"]
    withdrawn = await api.ok(WITHDRAW, {"o": offer_id}, token=r.tokens["Ann"])
    assert withdrawn["withdrawOffer"]["status"] == "WITHDRAWN"
    assert (await api.ok(GET, {"id": asked["id"]}))["coverRequest"]["status"] == "OPEN"
    again = await offer(api, r, "Ann", asked["id"])
    assert again["id"] == offer_id and again["status"] == "ACTIVE"
    accepted = await api.ok(ACCEPT, {"o": offer_id}, token=editor)
    assert accepted["acceptOffer"]["volunteer"]["name"] == "Ann"


async def test_requests_expire_when_their_window_starts_uncovered(api: Api) -> None:
    r = await rota(api)
    open_one = await request(api, r, "Bob", *WINDOW)
    offered = await request(api, r, "Bob", "2026-03-03T19:00:00Z", "2026-03-03T20:00:00Z")
    await offer(api, r, "Ann", offered["id"])
    later = await request(api, r, "Cid", "2026-03-04T10:00:00Z", "2026-03-04T11:00:00Z")
    api.clock.set(api.clock.now() + timedelta(days=1, hours=8))  # 03-03 20:00
    assert await expiry.expire_started() == 2
    statuses = {
        key: (await api.ok(GET, {"id": value["id"]}))["coverRequest"]["status"]
        for key, value in {"open": open_one, "offered": offered, "later": later}.items()
    }
    assert statuses == {"open": "EXPIRED", "offered": "EXPIRED", "later": "OPEN"}
    assert await expiry.expire_started() == 0


LIST = """query($f: CoverRequestFilter, $s: [CoverRequestSort!], $first: Int, $after: String) {
  coverRequests(filter: $f, sort: $s, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { from status requester { name } } } }"""


async def test_cover_requests_filter_sort_and_page(api: Api) -> None:
    r = await rota(api)
    first = await request(api, r, "Bob", *WINDOW)
    await request(api, r, "Cid", "2026-03-04T10:00:00Z", "2026-03-04T11:00:00Z")
    await request(api, r, "Bob", "2026-03-03T19:00:00Z", "2026-03-03T20:00:00Z")
    await offer(api, r, "Ann", first["id"])

    async def listed(variables: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        data = await api.ok(LIST, variables, token=token)
        result: dict[str, Any] = data["coverRequests"]
        return result

    everything = await listed({}, token=r.tokens["Dee"])  # a person reads like a VIEWER
    assert [n["from"][5:16] for n in everything["nodes"]] == [
        "03-03T12:00",
        "03-03T19:00",
        "03-04T10:00",
    ]
    bob = await listed(
        {"f": {"requester": [r.ids["Bob"]]}, "s": [{"field": "FROM", "direction": "DESC"}]}
    )
    assert [n["from"][5:16] for n in bob["nodes"]] == ["03-03T19:00", "03-03T12:00"]
    offered = await listed({"f": {"status": ["OFFERED"], "offeredBy": [r.ids["Ann"]]}})
    assert offered["totalCount"] == 1
    window = await listed(
        {"f": {"overlapping": {"from": "2026-03-04T00:00:00Z", "to": "2026-03-05T00:00:00Z"}}}
    )
    assert [n["requester"]["name"] for n in window["nodes"]] == ["Cid"]
    page = await listed({"first": 2})
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = await listed({"first": 2, "after": page["pageInfo"]["endCursor"]})
    assert [n["from"][5:16] for n in rest["nodes"]] == ["03-04T10:00"]


async def test_an_accepted_request_reaches_a_webhook_export_and_cancelling_rewinds_it(
    api: Api,
) -> None:
    from tests.destinations.receiver import webhook_receiver

    r = await rota(api)
    await api.ok(CONFIRM, {"s": r.schedule})
    export = """mutation($id: ID!) { exportDestination(id: $id, wait: true) { status } }"""

    def covered(body: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [
            (s["start"][5:16], s["end"][5:16], s["contact"]["name"])
            for s in body["shifts"]
            if s["start"] < "2026-03-04"
        ]

    async with webhook_receiver() as receiver:
        made = await api.ok(
            """mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id } }""",
            {
                "i": {
                    "scheduleId": r.schedule,
                    "name": "hook",
                    "kind": "WEBHOOK",
                    "autoExport": False,
                    "config": {"url": receiver.url, "retryInitialSeconds": 0.01},
                    "secrets": {"signingSecret": "s3cret-signing-key-000"},
                }
            },
        )
        hook = made["createDestination"]["id"]
        asked = await request(api, r, "Bob", *WINDOW)
        volunteer = await offer(api, r, "Cid", asked["id"])
        await api.ok(ACCEPT, {"o": volunteer["id"]}, token=r.tokens["Bob"])
        assert (await api.ok(export, {"id": hook}))["exportDestination"]["status"] == "OK"
        assert covered(receiver.deliveries[-1].body) == [
            ("03-02T12:00", "03-03T09:00", "Ann"),
            ("03-03T09:00", "03-03T12:00", "Bob"),
            ("03-03T12:00", "03-03T18:00", "Cid"),
            ("03-03T18:00", "03-04T09:00", "Bob"),
        ]
        await api.ok(CANCEL, {"id": asked["id"]}, token=r.tokens["Bob"])
        assert (await api.ok(export, {"id": hook}))["exportDestination"]["status"] == "OK"
        # The export rewound to the changed shift and sent Bob's whole turn again.
        assert ("03-03T09:00", "03-04T09:00", "Bob") in covered(receiver.deliveries[-1].body)
