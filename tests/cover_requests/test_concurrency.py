"""Two accepts of one cover request at once: exactly one wins (SPEC §11), on both backends.

The two acceptOffer mutations are sent concurrently through the whole app. On PostgreSQL each
runs in its own transaction on its own pooled connection, and a hook holds both until both
have passed every check (so both saw the request OFFERED): only the compare-and-set on the
status can then decide. On SQLite the single connection's transaction lock orders them, and
the second finds the request ACCEPTED.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.cover_requests import models, service
from app.substitutions import models as substitution_models
from tests.cover_requests.factories import ACCEPT, offer, request, rota
from tests.support import Api

ROUNDS = 4


async def test_of_two_concurrent_accepts_exactly_one_wins(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = await rota(api)
    real = service._require_candidate
    state: dict[str, Any] = {"arrived": 0, "both": asyncio.Event(), "armed": False}

    async def checked(org_id: int, row: Any, contact_id: int) -> None:
        await real(org_id, row, contact_id)
        if not state["armed"]:
            return
        state["arrived"] += 1
        if state["arrived"] == 2:
            state["both"].set()
        if api.backend == "postgres":
            await asyncio.wait_for(state["both"].wait(), 10)

    monkeypatch.setattr(service, "_require_candidate", checked)
    for n in range(ROUNDS):
        start, end = f"2026-03-03T{10 + 2 * n:02d}:00:00Z", f"2026-03-03T{11 + 2 * n:02d}:00:00Z"
        asked = await request(api, r, "Bob", start, end)
        offers = [await offer(api, r, who, asked["id"]) for who in ("Ann", "Cid")]
        state.update(arrived=0, both=asyncio.Event(), armed=True)
        bodies = await asyncio.gather(
            *(api.post(ACCEPT, {"o": o["id"]}, token=r.tokens["Bob"]) for o in offers)
        )
        state["armed"] = False
        won = [b for b in bodies if not b.get("errors")]
        lost = [b for b in bodies if b.get("errors")]
        assert len(won) == 1 and len(lost) == 1, bodies
        assert lost[0]["errors"][0]["extensions"]["code"] == "CONFLICT"
        if api.backend == "postgres":
            assert state["arrived"] == 2  # both passed every check before the decision
        winner = won[0]["data"]["acceptOffer"]["volunteer"]["name"]
        row = await models.CoverRequest.get(id=int_pk(asked["id"]))
        assert row.status == "ACCEPTED"
        subs = await substitution_models.Substitution.filter(
            between_start=row.start, status="ACTIVE"
        )
        assert len(subs) == 1 and subs[0].id == row.substitution_id
        assert subs[0].replacement_id == int_pk(r.ids[winner])
        statuses = sorted(
            await models.CoverOffer.filter(cover_request_id=row.id).values_list("status", flat=True)
        )
        assert statuses == ["ACCEPTED", "DECLINED"]


def int_pk(global_id: str) -> int:
    from app.api.relay import split_id

    return split_id(global_id)[1]
