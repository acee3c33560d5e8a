"""Refused cover-request writes (SPEC §11, §6 errors): each answers with its code and the
offending field, and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.cover_requests.factories import (
    ACCEPT,
    CANCEL,
    OFFER,
    REQUEST,
    WITHDRAW,
    Rota,
    offer,
    refused,
    request,
    rota,
)
from tests.support import Api

WINDOW = ("2026-03-03T12:00:00Z", "2026-03-03T18:00:00Z")  # inside Bob's turn


async def ask(api: Api, r: Rota, who: str, start: str, end: str, code: str, **extra: Any) -> Any:
    variables = {"s": r.schedule, "from": start, "to": end, **extra}
    return await refused(api, REQUEST, variables, r.tokens[who], code)


async def test_bad_windows_are_refused_naming_the_field(api: Api) -> None:
    r = await rota(api)
    past = await ask(
        api, r, "Ann", "2026-03-02T11:00:00Z", "2026-03-02T13:00:00Z", "BAD_USER_INPUT"
    )
    assert past["extensions"]["fields"] == ["from"]
    empty = await ask(api, r, "Bob", WINDOW[1], WINDOW[0], "BAD_USER_INPUT")
    assert empty["extensions"]["fields"] == ["to"]
    long_note = await ask(api, r, "Bob", *WINDOW, "BAD_USER_INPUT", note="x" * 501)
    assert long_note["extensions"]["fields"] == ["note"]
    nobody = await refused(
        api,
        REQUEST,
        {"s": r.schedule, "from": WINDOW[0], "to": WINDOW[1]},
        api.tokens["EDITOR"],
        "BAD_USER_INPUT",
    )
    assert nobody["extensions"]["fields"] == ["contactId"]


async def test_a_window_outside_the_requesters_on_call_time_lists_when_they_are_on(
    api: Api,
) -> None:
    r = await rota(api)
    bob_on = {"start": "2026-03-03T09:00:00Z", "end": "2026-03-04T09:00:00Z"}
    partly = await ask(api, r, "Bob", "2026-03-03T06:00:00Z", "2026-03-03T12:00:00Z", "CONFLICT")
    assert bob_on in partly["extensions"]["onCall"]
    assert "2026-03-03T09:00:00Z to 2026-03-04T09:00:00Z" in partly["message"]
    wholly = await ask(api, r, "Bob", "2026-03-04T12:00:00Z", "2026-03-04T13:00:00Z", "CONFLICT")
    assert wholly["extensions"]["onCall"][0] == bob_on  # the next turn is three days on
    dee = await ask(api, r, "Dee", *WINDOW, "CONFLICT")
    assert dee["extensions"]["onCall"] == []


async def test_a_person_acts_only_for_itself(api: Api) -> None:
    r = await rota(api)
    await ask(api, r, "Ann", *WINDOW, "FORBIDDEN", c=r.ids["Bob"])
    asked = await request(api, r, "Bob", *WINDOW)
    await refused(api, OFFER, {"r": asked["id"], "c": r.ids["Cid"]}, r.tokens["Ann"], "FORBIDDEN")
    made = await offer(api, r, "Ann", asked["id"])
    await refused(api, WITHDRAW, {"o": made["id"]}, r.tokens["Cid"], "FORBIDDEN")
    await refused(api, ACCEPT, {"o": made["id"]}, r.tokens["Ann"], "FORBIDDEN")
    await refused(api, CANCEL, {"id": asked["id"]}, r.tokens["Cid"], "FORBIDDEN")
    for query, variables in (
        (REQUEST, {"s": r.schedule, "from": WINDOW[0], "to": WINDOW[1], "c": r.ids["Bob"]}),
        (OFFER, {"r": asked["id"], "c": r.ids["Cid"]}),
        (ACCEPT, {"o": made["id"]}),
        (CANCEL, {"id": asked["id"]}),
    ):
        await refused(api, query, variables, api.tokens["VIEWER"], "FORBIDDEN")


async def test_only_candidates_may_offer(api: Api) -> None:
    r = await rota(api)
    asked = await request(api, r, "Bob", *WINDOW)
    outsider = await refused(api, OFFER, {"r": asked["id"]}, r.tokens["Dee"], "CONFLICT")
    assert "participants" in outsider["message"]
    own = await refused(api, OFFER, {"r": asked["id"]}, r.tokens["Bob"], "CONFLICT")
    assert "own request" in own["message"]
    # Cid records his own unavailability over part of the window (a personal write) ...
    await api.ok(
        """mutation($c: ID!) { createSubstitutions(inputs: [{contactId: $c, timezone: "UTC",
          between: {from: "2026-03-03T17:00:00Z", to: "2026-03-03T20:00:00Z"}}]) { id } }""",
        {"c": r.ids["Cid"]},
        token=r.tokens["Cid"],
    )
    busy = await refused(api, OFFER, {"r": asked["id"]}, r.tokens["Cid"], "CONFLICT")
    assert "unavailable" in busy["message"]


async def test_someone_on_call_during_the_window_is_no_candidate(api: Api) -> None:
    # Two on call at once: Ann and Bob on 03-02, Cid and Ann on 03-03.
    r = await rota(api, staffRotation={"numberOfStaffOnCall": 2})
    asked = await request(api, r, "Ann", "2026-03-02T13:00:00Z", "2026-03-02T14:00:00Z")
    assert [c["name"] for c in asked["candidates"]] == ["Cid"]
    error = await refused(api, OFFER, {"r": asked["id"]}, r.tokens["Bob"], "CONFLICT")
    assert "on call" in error["message"]


async def test_nothing_moves_once_the_window_started_or_the_request_ended(api: Api) -> None:
    r = await rota(api)
    asked = await request(api, r, "Bob", *WINDOW)
    made = await offer(api, r, "Ann", asked["id"])
    api.clock.set(api.clock.now() + timedelta(days=1, hours=1))  # 03-03 13:00
    await refused(api, ACCEPT, {"o": made["id"]}, r.tokens["Bob"], "CONFLICT")
    await refused(api, CANCEL, {"id": asked["id"]}, r.tokens["Bob"], "CONFLICT")
    await refused(api, OFFER, {"r": asked["id"]}, r.tokens["Cid"], "CONFLICT")
    api.clock.set(api.clock.now() - timedelta(days=1))
    second = await request(api, r, "Bob", "2026-03-03T19:00:00Z", "2026-03-03T20:00:00Z")
    await api.ok(CANCEL, {"id": second["id"]}, token=r.tokens["Bob"])
    await refused(api, CANCEL, {"id": second["id"]}, r.tokens["Bob"], "CONFLICT")
    await refused(api, OFFER, {"r": second["id"]}, r.tokens["Ann"], "CONFLICT")
