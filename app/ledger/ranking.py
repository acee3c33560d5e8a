"""Load ranking (SPEC §14): who carried least over the trailing 90 days comes first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.contacts import models as contact_models
from app.ledger import arithmetic, service
from app.ledger.arithmetic import Figures

TRAILING = timedelta(days=90)


@dataclass(frozen=True)
class Load:
    """A contact's confirmed load over [start, end) across every schedule of the organization."""

    contact: contact_models.Contact
    start: datetime
    end: datetime
    figures: Figures


def _rank_key(load: Load) -> tuple[object, ...]:
    f = load.figures
    return (
        f.hours,
        f.night,
        f.weekend + f.holiday,
        f.shifts,
        load.contact.name.casefold(),
        load.contact.id,
    )


async def rank(*, org_id: int, contact_ids: Sequence[int], before: datetime) -> list[Load]:
    """``contact_ids`` ordered least loaded first over the 90 days up to ``before``: fewest
    hours on call, then fewest night hours, then fewest weekend plus holiday hours, then
    fewest shifts, then by name and id. Confirmed rows only, every schedule counted; a
    constant number of statements."""
    start = before - TRAILING
    loaded = await service.load(org_id=org_id, start=start, end=before, schedule_ids=None)
    wanted = list(dict.fromkeys(contact_ids))
    figures = arithmetic.ledger(
        [s for s in loaded.shifts if s.contact_id in set(wanted)],
        windows=[(start, before)],
        zones=loaded.zones,
        holidays=loaded.holidays,
        per_schedule=False,
    )
    contacts = dict(loaded.contacts)
    missing = [c for c in wanted if c not in contacts]
    if missing:
        for row in await contact_models.Contact.filter(organization_id=org_id, id__in=missing):
            contacts[row.id] = row
    loads = [
        Load(contacts[c], start, before, figures.get((c, 0, None), Figures()))
        for c in wanted
        if c in contacts
    ]
    return sorted(loads, key=_rank_key)
