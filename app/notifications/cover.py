"""Cover-request notices (SPEC §11, §12): candidates hear of a new request, the requester
of each offer, both sides of an acceptance, volunteers of a cancellation, the requester of
an expiry. A listener of ``cover_requests.service``, run inside the writing transaction."""

from __future__ import annotations

from datetime import datetime

from app import clock
from app.contacts import models as contact_models
from app.cover_requests import models as cover_models
from app.cover_requests import service as cover_service
from app.notifications import delivery, models, notices
from app.notifications.render import when
from app.schedules import models as schedule_models


async def _tell(
    row: cover_models.CoverRequest, event: str, contact_ids: list[int], text: str, now: datetime
) -> None:
    recipients = await notices.contact_recipients(contact_ids)
    schedule = await schedule_models.Schedule.get(id=row.schedule_id)
    for contact_id in contact_ids:
        for recipient in recipients.get(contact_id, []):
            if not recipient.wants("COVER_REQUEST"):
                continue
            span = when(row.start.isoformat(), row.end.isoformat(), recipient.zone)
            await notices.create(
                org_id=row.organization_id,
                kind="COVER_REQUEST",
                key=f"cover:{row.id}:{event}:{recipient.channel.id}",
                transport=recipient.channel.kind,
                address=recipient.channel.address,
                due_at=now,
                channel_id=recipient.channel.id,
                contact_id=contact_id,
                schedule_id=row.schedule_id,
                data={
                    "subject": f"Cover request on {schedule.name}: {event.split(':')[0].lower()}",
                    "lines": [text, f"{span} on {schedule.name}"],
                    "coverRequestId": row.id,
                    "event": event.split(":")[0],
                },
            )
    delivery.kick_after_commit()


async def on_cover_request(request_id: int) -> None:
    row = await cover_models.CoverRequest.get_or_none(id=request_id)
    if row is None:
        return
    now = clock.now()
    key = f"cover:{row.id}"
    state = await models.AlertState.get_or_none(key=key)
    seen = state.state if state else {"status": None, "offers": []}
    offers = await cover_models.CoverOffer.filter(cover_request_id=row.id).order_by("id")
    names = dict(
        await contact_models.Contact.filter(
            id__in={row.requester_id, *(o.contact_id for o in offers)}
        ).values_list("id", "name")
    )
    requester = names.get(row.requester_id, "?")
    if seen["status"] is None and row.status in cover_service.LIVE:
        candidates = await cover_service.candidate_ids(org_id=row.organization_id, row=row)
        await _tell(row, "REQUESTED", candidates, f"{requester} asks for cover.", now)
    for offer in offers:
        if offer.status == "ACTIVE" and offer.contact_id not in seen["offers"]:
            volunteer = names.get(offer.contact_id, "?")
            event = f"OFFERED:{offer.contact_id}"
            await _tell(row, event, [row.requester_id], f"{volunteer} offers to cover you.", now)
    if row.status != seen["status"]:
        volunteer = names.get(row.volunteer_id or 0, "?")
        if row.status == cover_service.ACCEPTED:
            text = f"{volunteer} covers {requester}."
            await _tell(row, "ACCEPTED", [row.requester_id, row.volunteer_id or 0], text, now)
        elif row.status == cover_service.CANCELLED:
            offered = [o.contact_id for o in offers]
            await _tell(row, "CANCELLED", offered, f"{requester} cancelled the request.", now)
        elif row.status == cover_service.EXPIRED:
            text = "Nobody covered the request before it started: it expired."
            await _tell(row, "EXPIRED", [row.requester_id], text, now)
    offered_ids = sorted({o.contact_id for o in offers} | set(seen["offers"]))
    await notices.set_state(key, {"status": row.status, "offers": offered_ids})


cover_service.LISTENERS.append(on_cover_request)
