"""A daily rotation with personal tokens, and the cover-request documents, for API tests.

The rotation (UTC, handoff 09:00 from Monday 2026-03-02): Ann 03-02, Bob 03-03, Cid 03-04,
Ann 03-05 ... each from 09:00 to 09:00 the next day. Dee is a contact but no participant.
The test clock stands at 2026-03-02 12:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.substitutions.test_effect_api import shifts
from tests.support import Api, table_counts
from tests.timelines.factories import contacts, schedule, set_layers, weekly

REQUEST_FIELDS = """id from to note status requester { name } volunteer { name }
candidates { name } offers { id status contact { name } }
substitution { id kind status between { from to } contact { name } replacement { name } }"""
REQUEST = f"""mutation($s: ID!, $from: DateTime!, $to: DateTime!, $note: String, $c: ID) {{
  requestCover(scheduleId: $s, from: $from, to: $to, note: $note, contactId: $c) {{
    {REQUEST_FIELDS} }} }}"""
OFFER = """mutation($r: ID!, $c: ID) { offerCover(requestId: $r, contactId: $c) {
  id status contact { name } } }"""
WITHDRAW = "mutation($o: ID!) { withdrawOffer(offerId: $o) { id status } }"
ACCEPT = f"mutation($o: ID!) {{ acceptOffer(offerId: $o) {{ {REQUEST_FIELDS} }} }}"
CANCEL = f"mutation($id: ID!) {{ cancelCoverRequest(id: $id) {{ {REQUEST_FIELDS} }} }}"
GET = f"query($id: ID!) {{ coverRequest(id: $id) {{ {REQUEST_FIELDS} }} }}"
PERSONAL = """mutation($c: ID!, $n: String!) { createPersonalToken(contactId: $c, name: $n) {
  secret token { id role contactId } } }"""


@dataclass
class Rota:
    schedule: str
    tier: str
    ids: dict[str, str]  # name -> contact id
    tokens: dict[str, str]  # name -> personal token secret


async def personal_token(api: Api, contact_id: str, name: str = "phone") -> str:
    data = await api.ok(PERSONAL, {"c": contact_id, "n": name}, token=api.tokens["EDITOR"])
    secret: str = data["createPersonalToken"]["secret"]
    return secret


async def rota(api: Api, **layer: Any) -> Rota:
    names = ["Ann", "Bob", "Cid", "Dee"]
    ids = dict(zip(names, await contacts(api, *names), strict=True))
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    participants = [ids["Ann"], ids["Bob"], ids["Cid"]]
    await set_layers(
        api, tier, [weekly("Daily", "2026-03-02T09:00", participants, unit="DAY", **layer)]
    )
    tokens = {name: await personal_token(api, pk) for name, pk in ids.items()}
    return Rota(schedule=s["id"], tier=tier, ids=ids, tokens=tokens)


async def request(
    api: Api, r: Rota, who: str, start: str, end: str, **extra: Any
) -> dict[str, Any]:
    data = await api.ok(
        REQUEST, {"s": r.schedule, "from": start, "to": end, **extra}, token=r.tokens[who]
    )
    result: dict[str, Any] = data["requestCover"]
    return result


async def offer(api: Api, r: Rota, who: str, request_id: str) -> dict[str, Any]:
    data = await api.ok(OFFER, {"r": request_id}, token=r.tokens[who])
    result: dict[str, Any] = data["offerCover"]
    return result


async def refused(
    api: Api, query: str, variables: dict[str, Any], token: str, code: str = "FORBIDDEN"
) -> dict[str, Any]:
    """The error of a write that must be refused with ``code``, having written nothing."""
    before = await table_counts()
    error = await api.error(query, variables, token=token)
    assert error["extensions"]["code"] == code, error
    assert await table_counts() == before
    return error


__all__ = ["shifts"]
