"""Layers as engine inputs: stored rows or drafts, with everything the engine needs.

A layer's ``LayerInput`` carries its expanded participants (groups become their members in
order, a contact named twice keeps its first place) with each entry's weekdays and working
hours, the contact's own zone and the public holidays of the contact's region; the holiday
dates of its schedule's calendar; its pauses, holiday rule, advance and roster segments. The
holiday years expanded run from the year before the layer's start (ACTIVE_TURNS counts from
there) to ``last_year``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from app.contacts import models as contact_models
from app.engine import (
    Advance,
    Direction,
    HolidayRule,
    LayerInput,
    Participant,
    Pause,
    Recurrence,
    RecurrenceType,
    Restriction,
    RestrictionKind,
    RosterSegment,
    RotationUnit,
    WorkingHours,
)
from app.groups import service as group_service
from app.holiday_calendars import HolidayCalendar, calendar_dates, region_dates
from app.layers import models
from app.layers.specs import Entry
from app.schedules import models as schedule_models
from app.schedules import service as schedule_service
from app.tiers import models as tier_models

__all__ = [
    "Entry",
    "Lookups",
    "layer_input",
    "layers_for",
    "load_lookups",
    "segments_from_json",
    "segments_to_json",
]

_FIELDS = (
    "start_local",
    "end_local",
    "timezone",
    "rotation_unit",
    "rotation_length",
    "staff_on_call",
    "staff_to_rotate",
    "direction",
    "restrictions",
    "recurrence_type",
    "recurrence_from",
    "recurrence_to",
    "recurrence_every_n",
    "recurrence_rule",
    "min_staff",
    "skip_unavailable",
    "on_holidays",
    "participant_holidays",
    "pauses",
    "advance",
    "roster_segments",
)


def row_values(row: models.Layer) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _FIELDS}


def clock(text: str) -> time:
    hours, minutes = (int(p) for p in text.split(":"))
    return time(hours, minutes)


def restriction_input(raw: dict[str, Any]) -> Restriction:
    return Restriction(
        kind=RestrictionKind(raw["kind"]),
        start_time=clock(raw["startTime"]),
        duration=timedelta(minutes=raw["durationMinutes"]),
        weekday=raw.get("weekday"),
    )


def segments_from_json(raw: Iterable[dict[str, Any]]) -> tuple[RosterSegment, ...]:
    return tuple(
        RosterSegment(
            start=datetime.fromisoformat(s["start"]),
            turn=int(s["turn"]),
            offset=int(s["offset"]),
            contacts=tuple(int(c) for c in s["contacts"]),
        )
        for s in raw
    )


def segments_to_json(segments: Iterable[RosterSegment]) -> list[dict[str, Any]]:
    return [
        {
            "start": s.start.isoformat(),
            "turn": s.turn,
            "offset": s.offset,
            "contacts": list(s.contacts),
        }
        for s in segments
    ]


@dataclass
class Lookups:
    """What expanding layers needs besides their rows, read once for many layers."""

    members: dict[int, list[int]] = field(default_factory=dict)
    contacts: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # zone, region
    calendars: dict[int, HolidayCalendar] = field(default_factory=dict)  # by tier id
    last_year: int = 2000
    _regions: dict[tuple[str, int, int], frozenset[date]] = field(default_factory=dict)

    def region_holidays(self, region: str | None, first_year: int) -> frozenset[date]:
        if not region:
            return frozenset()
        key = (region, first_year, self.last_year)
        found = self._regions.get(key)
        if found is None:
            found = self._regions[key] = frozenset(region_dates(region, first_year, self.last_year))
        return found

    def schedule_holidays(self, tier_id: int, first_year: int) -> frozenset[date]:
        calendar = self.calendars.get(tier_id)
        if calendar is None:
            return frozenset()
        days = calendar_dates(calendar, date(first_year, 1, 1), date(self.last_year, 12, 31))
        return frozenset(h.date for h in days)


async def load_lookups(
    *, tier_ids: set[int], entries: Iterable[Entry], segment_contacts: set[int], last_year: int
) -> Lookups:
    """Group members, contacts' zones and regions, and the tiers' calendars (four queries)."""
    entries = list(entries)
    group_ids = {g for _, g, _, _, _ in entries if g is not None}
    members = await group_service.members_of(group_ids=group_ids)
    contact_ids = {c for c, _, _, _, _ in entries if c is not None} | segment_contacts
    contact_ids |= {c for ids in members.values() for c in ids}
    contacts = {
        pk: (zone, region)
        for pk, zone, region in await contact_models.Contact.filter(id__in=contact_ids).values_list(
            "id", "timezone", "holiday_region"
        )
    }
    calendars: dict[int, HolidayCalendar] = {}
    if tier_ids:
        schedule_of = dict(
            await tier_models.Tier.filter(id__in=tier_ids).values_list("id", "schedule_id")
        )
        schedules = await schedule_models.Schedule.filter(id__in=set(schedule_of.values()))
        by_id = {s.id: schedule_service.calendar_of(s) for s in schedules}
        for tier_id, schedule_id in schedule_of.items():
            calendar = by_id.get(schedule_id)
            if calendar is not None:
                calendars[tier_id] = calendar
    return Lookups(members, contacts, calendars, last_year)


def _participants(
    entries: Sequence[Entry], lookups: Lookups, first_year: int
) -> tuple[Participant, ...]:
    seen: set[int] = set()
    out: list[Participant] = []
    for contact_id, group_id, weekdays, opens, closes in entries:
        ids = [contact_id] if contact_id is not None else lookups.members.get(group_id or 0, [])
        days = frozenset(weekdays) if weekdays is not None else None
        hours = WorkingHours(clock(opens), clock(closes)) if opens and closes else None
        for pk in ids:
            if pk in seen:
                continue
            seen.add(pk)
            zone, region = lookups.contacts.get(pk, (None, None))
            out.append(
                Participant(
                    contact_id=pk,
                    weekdays=days,
                    working_hours=hours,
                    zone=zone,
                    holidays=lookups.region_holidays(region, first_year),
                )
            )
    return tuple(out)


def layer_input(
    *,
    layer_id: int,
    index: int,
    tier_id: int | None,
    values: Mapping[str, Any],
    entries: Sequence[Entry],
    lookups: Lookups,
) -> LayerInput:
    """The engine's view of one layer described by stored ``values`` (see ``row_values``)."""
    start = datetime.fromisoformat(values["start_local"])
    first_year = start.year - 1
    recurrence = None
    if values["recurrence_type"] and values["recurrence_from"] is not None:
        recurrence = Recurrence(
            type=RecurrenceType(values["recurrence_type"]),
            start=values["recurrence_from"],
            end=values["recurrence_to"],
            every_n=values["recurrence_every_n"],
            rule=values["recurrence_rule"],
        )
    rule = HolidayRule(values["on_holidays"])
    return LayerInput(
        id=layer_id,
        index=index,
        start=start,
        zone=values["timezone"],
        unit=RotationUnit(values["rotation_unit"]),
        length=values["rotation_length"],
        participants=_participants(entries, lookups, first_year),
        on_call=values["staff_on_call"],
        rotate=values["staff_to_rotate"],
        direction=Direction(values["direction"]),
        restrictions=tuple(restriction_input(r) for r in values["restrictions"]),
        recurrence=recurrence,
        end=datetime.fromisoformat(values["end_local"]) if values["end_local"] else None,
        min_staff=values["min_staff"],
        skip_unavailable=values["skip_unavailable"],
        on_holidays=rule,
        holidays=lookups.schedule_holidays(tier_id, first_year)
        if rule is not HolidayRule.RUN and tier_id is not None
        else frozenset(),
        participant_holidays=values["participant_holidays"],
        pauses=tuple(
            Pause(date.fromisoformat(p["from"]), date.fromisoformat(p["to"]))
            for p in values["pauses"]
        ),
        advance=Advance(values["advance"]),
        segments=segments_from_json(values["roster_segments"]),
    )


async def entries_of(layer_ids: Iterable[int]) -> dict[int, list[Entry]]:
    out: dict[int, list[Entry]] = defaultdict(list)
    ids = list(layer_ids)
    if ids:
        for layer_id, contact_id, group_id, weekdays, opens, closes in (
            await models.LayerParticipant.filter(layer_id__in=ids)
            .order_by("layer_id", "position")
            .values_list(
                "layer_id",
                "contact_id",
                "group_id",
                "weekdays",
                "working_hours_start",
                "working_hours_end",
            )
        ):
            out[layer_id].append((contact_id, group_id, weekdays, opens, closes))
    return out


async def inputs_of(rows: Sequence[models.Layer], *, last_year: int) -> dict[int, LayerInput]:
    """Engine inputs of stored layer rows, by layer id (a fixed number of queries)."""
    entries = await entries_of(r.id for r in rows)
    lookups = await load_lookups(
        tier_ids={r.tier_id for r in rows},
        entries=[e for es in entries.values() for e in es],
        segment_contacts={
            c for r in rows for s in r.roster_segments for c in s.get("contacts", ())
        },
        last_year=last_year,
    )
    return {
        row.id: layer_input(
            layer_id=row.id,
            index=row.index,
            tier_id=row.tier_id,
            values=row_values(row),
            entries=entries[row.id],
            lookups=lookups,
        )
        for row in rows
    }


async def layers_for(
    tier_ids: Iterable[int], *, last_year: int
) -> dict[int, tuple[LayerInput, ...]]:
    """Every tier's layers as engine inputs, by index."""
    ids = set(tier_ids)
    rows = await models.Layer.filter(tier_id__in=ids).order_by("tier_id", "index")
    found = await inputs_of(rows, last_year=last_year)
    out: dict[int, list[LayerInput]] = {pk: [] for pk in ids}
    for row in rows:
        out[row.tier_id].append(found[row.id])
    return {pk: tuple(layers) for pk, layers in out.items()}
