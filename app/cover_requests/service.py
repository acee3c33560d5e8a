"""Cover requests: ask, offer, withdraw, accept, cancel, expire (SPEC §11).

Every write takes an ``Actor``: EDITOR and ADMIN tokens act for anyone, a PERSON token only
for its own contact (FORBIDDEN otherwise, before anything is written). Status moves are
compare-and-set updates on the previous status, so of two concurrent accepts exactly one
wins on SQLite and PostgreSQL alike; the loser gets CONFLICT and its transaction writes
nothing. Accepting creates the REPLACEMENT substitution (requester -> volunteer, on the
request's schedule, ``between`` the request's window) in the caller's transaction;
cancelling an accepted request deletes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial

from app import db, pubsub, versions
from app.auth.roles import Actor
from app.contacts import service as contact_service
from app.cover_requests import models
from app.cover_requests.eligibility import Assessment, assess
from app.errors import BadUserInput, Collector, Conflict, NotFound
from app.schedules import service as schedule_service
from app.substitutions import service as substitution_service
from app.substitutions import specs as substitution_specs

OPEN, OFFERED, ACCEPTED, CANCELLED, EXPIRED = "OPEN", "OFFERED", "ACCEPTED", "CANCELLED", "EXPIRED"
STATUSES = (OPEN, OFFERED, ACCEPTED, CANCELLED, EXPIRED)
LIVE = (OPEN, OFFERED)
MAX_NOTE = 500


def channel(schedule_id: int) -> str:
    return f"cover-requests:{schedule_id}"


Listener = Callable[[int], Awaitable[None]]
LISTENERS: list[Listener] = []
"""Called with a cover request's id once per writing transaction that changed it, just
before that commits (the notifications register here: higher domains are not imported)."""


def _published(row: models.CoverRequest) -> None:
    pubsub.publish_after_commit(channel(row.schedule_id), {"coverRequestId": row.id})
    for i, listener in enumerate(LISTENERS):
        db.before_commit(f"cover-request:{row.id}:{i}", partial(listener, row.id))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def get_request(*, org_id: int, request_id: int) -> models.CoverRequest:
    row = await models.CoverRequest.get_or_none(id=request_id, organization_id=org_id)
    if row is None:
        raise NotFound("CoverRequest", request_id)
    return row


async def get_offer(*, org_id: int, offer_id: int) -> models.CoverOffer:
    row = await models.CoverOffer.get_or_none(id=offer_id, organization_id=org_id)
    if row is None:
        raise NotFound("CoverOffer", offer_id)
    return row


def _check_window(start: datetime, end: datetime, *, now: datetime, max_days: int) -> None:
    errors = Collector()
    if start.tzinfo is None:
        errors.add("from", "needs a UTC offset")
    if end.tzinfo is None:
        errors.add("to", "needs a UTC offset")
    if not errors.errors:
        if start < now:
            errors.add("from", "must not be in the past")
        if end <= start:
            errors.add("to", "must be after from")
        elif end - start > timedelta(days=max_days):
            errors.add("to", f"the window is at most {max_days} days")
    errors.raise_if_any()


def _not_started(row: models.CoverRequest, now: datetime) -> None:
    if row.start <= now:
        raise Conflict(
            f"the cover request's window started at {_iso(row.start)}",
            extensions={"status": row.status},
        )


def _require_status(row: models.CoverRequest, allowed: tuple[str, ...], doing: str) -> None:
    if row.status not in allowed:
        raise Conflict(
            f"cannot {doing} a cover request that is {row.status}",
            extensions={"status": row.status},
        )


def _require_on_call(found: Assessment, requester_id: int) -> None:
    """CONFLICT unless the requester is on call for the whole window, listing when they are."""
    if found.covers_window(requester_id):
        return
    times = found.on_call.get(requester_id, [])
    listed = ", ".join(f"{_iso(i.start)} to {_iso(i.end)}" for i in times) or "never"
    raise Conflict(
        "the window must lie within times the requester is on call on this schedule; "
        f"around it they are on call: {listed}",
        extensions={
            "onCall": [{"start": _iso(i.start), "end": _iso(i.end)} for i in times],
        },
    )


async def request_cover(
    *,
    actor: Actor,
    schedule_id: int,
    requester_id: int | None,
    start: datetime,
    end: datetime,
    note: str | None,
    now: datetime,
    max_days: int,
) -> models.CoverRequest:
    """A new OPEN request. A PERSON asks for itself (naming another contact is FORBIDDEN);
    an EDITOR names the requester."""
    if requester_id is None:
        if actor.contact_id is None:
            raise BadUserInput("is required with an organization token", field="contactId")
        requester_id = actor.contact_id
    actor.require_self(requester_id, "it requests cover only for itself")
    org_id = actor.org_id
    await schedule_service.get_schedule(org_id=org_id, schedule_id=schedule_id)
    await contact_service.get_contact(org_id=org_id, contact_id=requester_id)
    _check_window(start, end, now=now, max_days=max_days)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise BadUserInput(f"must be at most {MAX_NOTE} characters", field="note")
    found = await assess(org_id=org_id, schedule_id=schedule_id, start=start, end=end)
    _require_on_call(found, requester_id)
    row = await models.CoverRequest.create(
        organization_id=org_id,
        schedule_id=schedule_id,
        requester_id=requester_id,
        start=start,
        end=end,
        note=note,
    )
    _published(row)
    return row


async def candidate_ids(*, org_id: int, row: models.CoverRequest) -> list[int]:
    found = await assess(org_id=org_id, schedule_id=row.schedule_id, start=row.start, end=row.end)
    return found.candidate_ids(row.requester_id)


async def _require_candidate(org_id: int, row: models.CoverRequest, contact_id: int) -> None:
    found = await assess(org_id=org_id, schedule_id=row.schedule_id, start=row.start, end=row.end)
    why = found.why_not_candidate(contact_id, row.requester_id)
    if why is not None:
        raise Conflict(f"not a candidate for this cover request: {why}")


async def offer_cover(
    *, actor: Actor, request_id: int, contact_id: int | None, now: datetime
) -> models.CoverOffer:
    """An ACTIVE offer by a candidate (a PERSON offers itself; an EDITOR names the
    contact); offering again is a no-op, after a withdrawal it stands again."""
    org_id = actor.org_id
    row = await get_request(org_id=org_id, request_id=request_id)
    if contact_id is None:
        if actor.contact_id is None:
            raise BadUserInput("is required with an organization token", field="contactId")
        contact_id = actor.contact_id
    actor.require_self(contact_id, "it offers only itself")
    await contact_service.get_contact(org_id=org_id, contact_id=contact_id)
    _require_status(row, LIVE, "offer to cover")
    _not_started(row, now)
    await _require_candidate(org_id, row, contact_id)
    offer = await models.CoverOffer.get_or_none(cover_request_id=row.id, contact_id=contact_id)
    if offer is None:
        offer = await models.CoverOffer.create(
            organization_id=org_id, cover_request_id=row.id, contact_id=contact_id
        )
    elif offer.status != "ACTIVE":
        offer.status = "ACTIVE"
        await offer.save(update_fields=["status", "updated_at"])
    moved = await models.CoverRequest.filter(id=row.id, status__in=LIVE).update(status=OFFERED)
    if moved != 1:
        raise Conflict("the cover request changed meanwhile; read it again")
    _published(row)
    return offer


async def withdraw_offer(*, actor: Actor, offer_id: int) -> models.CoverOffer:
    org_id = actor.org_id
    offer = await get_offer(org_id=org_id, offer_id=offer_id)
    actor.require_self(offer.contact_id, "it withdraws only its own offers")
    if offer.status != "ACTIVE":
        raise Conflict(f"the offer is {offer.status}", extensions={"status": offer.status})
    if await models.CoverOffer.filter(id=offer.id, status="ACTIVE").update(status="WITHDRAWN") != 1:
        raise Conflict("the offer changed meanwhile; read it again")
    offer.status = "WITHDRAWN"
    standing = await models.CoverOffer.filter(
        cover_request_id=offer.cover_request_id, status="ACTIVE"
    ).exists()
    if not standing:
        await models.CoverRequest.filter(id=offer.cover_request_id, status=OFFERED).update(
            status=OPEN
        )
    _published(await get_request(org_id=org_id, request_id=offer.cover_request_id))
    return offer


async def accept_offer(*, actor: Actor, offer_id: int, now: datetime) -> models.CoverRequest:
    """The requester (or an EDITOR) accepts a standing offer: the request becomes ACCEPTED,
    the other offers DECLINED, and the REPLACEMENT substitution is created."""
    org_id = actor.org_id
    offer = await get_offer(org_id=org_id, offer_id=offer_id)
    row = await get_request(org_id=org_id, request_id=offer.cover_request_id)
    actor.require_self(row.requester_id, "only the requester accepts offers")
    _require_status(row, (OFFERED,), "accept an offer of")
    _not_started(row, now)
    if offer.status != "ACTIVE":
        raise Conflict(f"the offer is {offer.status}", extensions={"status": offer.status})
    await _require_candidate(org_id, row, offer.contact_id)
    # Compare-and-set: a concurrent accept of this request finds no OFFERED row.
    won = await models.CoverRequest.filter(id=row.id, status=OFFERED).update(
        status=ACCEPTED, volunteer_id=offer.contact_id
    )
    if (
        won != 1
        or (await models.CoverOffer.filter(id=offer.id, status="ACTIVE").update(status="ACCEPTED"))
        != 1
    ):
        raise Conflict("another offer was accepted, or the request changed meanwhile")
    await models.CoverOffer.filter(cover_request_id=row.id, status="ACTIVE").update(
        status="DECLINED"
    )
    [substitution] = await substitution_service.create_substitutions(
        org_id=org_id,
        specs=[
            substitution_specs.SubstitutionSpec(
                contact_id=row.requester_id,
                replacement_id=offer.contact_id,
                schedule_id=row.schedule_id,
                between=(row.start, row.end),
            )
        ],
    )
    await models.CoverRequest.filter(id=row.id).update(substitution_id=substitution.id)
    _published(row)
    return await get_request(org_id=org_id, request_id=row.id)


async def cancel_request(*, actor: Actor, request_id: int, now: datetime) -> models.CoverRequest:
    """Cancel before the window starts; an accepted request's substitution is deleted."""
    org_id = actor.org_id
    row = await get_request(org_id=org_id, request_id=request_id)
    actor.require_self(row.requester_id, "only the requester cancels a cover request")
    _require_status(row, (*LIVE, ACCEPTED), "cancel")
    _not_started(row, now)
    if await models.CoverRequest.filter(id=row.id, status=row.status).update(status=CANCELLED) != 1:
        raise Conflict("the cover request changed meanwhile; read it again")
    if row.status == ACCEPTED and row.substitution_id is not None:
        await substitution_service.delete_substitutions(org_id=org_id, ids=[row.substitution_id])
    await models.CoverOffer.filter(cover_request_id=row.id, status="ACTIVE").update(
        status="WITHDRAWN"
    )
    _published(row)
    return await get_request(org_id=org_id, request_id=row.id)


async def expire_due(*, now: datetime) -> int:
    """OPEN and OFFERED requests whose window has started become EXPIRED (run inside a
    transaction by the leased job); returns how many."""
    due = await models.CoverRequest.filter(status__in=LIVE, start__lte=now).order_by("id")
    expired = 0
    for row in due:
        if await models.CoverRequest.filter(id=row.id, status=row.status).update(status=EXPIRED):
            expired += 1
            versions.touch(row.organization_id)
            _published(row)
    return expired
