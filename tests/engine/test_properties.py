"""Hypothesis properties of compute_timeline around DST in New York, London and Lord Howe."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine import (
    Advance,
    BusyBlock,
    Direction,
    Effective,
    HolidayRule,
    LayerInput,
    OnDemandShiftInput,
    Participant,
    Pause,
    Recurrence,
    RecurrenceType,
    RotationUnit,
    SubstitutionInput,
    TierInput,
    Timeline,
    WorkingHours,
    compute_timeline,
    roster_change,
)
from app.engine.turns import add_months
from tests.engine.helpers import LONDON, LORD_HOWE, NEW_YORK, restriction_lists
from tests.engine.test_wallclock import reference_resolve

# Nights on which the clocks change in 2026, per zone.
TRANSITIONS = {
    NEW_YORK: (date(2026, 3, 8), date(2026, 11, 1)),
    LONDON: (date(2026, 3, 29), date(2026, 10, 25)),
    LORD_HOWE: (date(2026, 4, 5), date(2026, 10, 4)),
}
CONTACTS = (1, 2, 3, 4, 5, 6)
CLOCK_TIMES = [time(0), time(1, 30), time(2), time(2, 15), time(2, 30), time(9), time(23, 30)]
PROPERTY_SETTINGS = settings(
    max_examples=70,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def anchors(draw: st.DrawFn) -> tuple[str, datetime]:
    """A zone and a local midnight a few days around one of its DST transitions."""
    zone = draw(st.sampled_from(sorted(TRANSITIONS)))
    night = draw(st.sampled_from(TRANSITIONS[zone]))
    return zone, datetime.combine(night, time()) + timedelta(days=draw(st.integers(-4, 2)))


@st.composite
def recurrences(draw: st.DrawFn, around: date) -> Recurrence | None:
    kind = draw(st.sampled_from([None, *RecurrenceType]))
    if kind is None:
        return None
    start = around + timedelta(days=draw(st.integers(-20, 3)))
    end = draw(st.none() | st.integers(0, 30).map(lambda d: start + timedelta(days=d)))
    if kind is RecurrenceType.ICAL:
        rule = draw(
            st.sampled_from(
                ["FREQ=DAILY;INTERVAL=2", "FREQ=WEEKLY;BYDAY=MO,WE,SA", "FREQ=DAILY;COUNT=9"]
            )
        )
        return Recurrence(kind, start, end, rule=rule)
    return Recurrence(kind, start, end, every_n=draw(st.integers(1, 3)))


@st.composite
def layers(draw: st.DrawFn, zone: str, anchor: datetime, index: int, plain: bool) -> LayerInput:
    unit = draw(st.sampled_from(list(RotationUnit)))
    length = draw(st.integers(1, 30 if unit is RotationUnit.HOUR else 3))
    start = datetime.combine(
        anchor.date() - timedelta(days=draw(st.integers(0, 70))), draw(st.sampled_from(CLOCK_TIMES))
    )
    contacts = draw(st.lists(st.sampled_from(CONTACTS), min_size=1, max_size=5, unique=True))
    if plain:
        contacts = contacts if len(contacts) > 1 else [*contacts, 7]
        participants = tuple(Participant(c) for c in contacts)
        return LayerInput(index, index, start, zone, unit, length, participants)
    weekdays = st.none() | st.frozensets(st.integers(0, 6), min_size=1)
    around = anchor.date()
    near_dates = st.integers(-6, 4).map(lambda d: around + timedelta(days=d))
    participants = tuple(
        Participant(
            c,
            draw(weekdays),
            draw(
                st.none()
                | st.builds(
                    WorkingHours, st.sampled_from(CLOCK_TIMES), st.sampled_from(CLOCK_TIMES)
                )
            ),
            draw(st.none() | st.sampled_from(sorted(TRANSITIONS))),
            frozenset(draw(st.lists(near_dates, max_size=2))),
        )
        for c in contacts
    )
    k = draw(st.integers(1, len(contacts)))
    restrictions = draw(
        restriction_lists(CLOCK_TIMES, [timedelta(hours=h) for h in (1, 8, 16, 24, 30)])
    )
    end = draw(st.none() | st.integers(1, 90).map(lambda d: start + timedelta(days=d, hours=5)))
    pauses: list[Pause] = []
    for first in sorted(set(draw(st.lists(st.integers(-30, 6), max_size=2)))):
        day = around + timedelta(days=first)
        if not pauses or day > pauses[-1].end:
            pauses.append(Pause(day, day + timedelta(days=draw(st.integers(0, 3)))))
    rota = LayerInput(
        id=index,
        index=index,
        start=start,
        zone=zone,
        unit=unit,
        length=length,
        participants=participants,
        on_call=k,
        rotate=draw(st.none() | st.integers(1, 3)),
        direction=draw(st.sampled_from(list(Direction))),
        restrictions=restrictions,
        recurrence=draw(recurrences(anchor.date())),
        end=end,
        min_staff=draw(st.none() | st.integers(0, k)),
        skip_unavailable=draw(st.booleans()),
        on_holidays=draw(st.sampled_from(list(HolidayRule))),
        holidays=frozenset(draw(st.lists(near_dates, max_size=3))),
        participant_holidays=draw(st.booleans()),
        pauses=tuple(pauses),
        advance=draw(st.sampled_from(list(Advance))),
    )
    # Roster changes at a few instants around the anchor (each over a list of at least k).
    for _ in range(draw(st.integers(0, 2))):
        hours = draw(st.integers(-24 * 5, 24 * 3))
        at = reference_resolve(anchor, zone) + timedelta(
            hours=hours, minutes=draw(st.integers(0, 59))
        )
        new = draw(st.lists(st.sampled_from((*CONTACTS, 8)), min_size=k, max_size=6, unique=True))
        effective = draw(st.sampled_from(list(Effective)))
        when = at + timedelta(hours=draw(st.integers(0, 60)))
        rota = replace(rota, segments=roster_change(rota, tuple(new), at, effective, when))
    return rota


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[TierInput, datetime, datetime]:
    zone, anchor = draw(anchors())
    origin = reference_resolve(anchor, zone)
    count = draw(st.integers(1, 3))
    tier_layers = tuple(draw(layers(zone, anchor, i, plain=False)) for i in range(count))

    def instant(max_hours: int) -> st.SearchStrategy[datetime]:
        return st.integers(-48 * 4, max_hours * 4).map(lambda q: origin + timedelta(minutes=15 * q))

    cuts = sorted(draw(st.lists(instant(240), min_size=0, max_size=6, unique=True)))
    on_demand = tuple(
        OnDemandShiftInput(
            100 + i,
            cuts[i],
            cuts[i + 1],
            tuple(draw(st.lists(st.sampled_from(CONTACTS), min_size=1, max_size=3))),
        )
        for i in range(0, len(cuts) - 1, 2)
    )
    subs = []
    for i in range(draw(st.integers(0, 3))):
        contact = draw(st.sampled_from(CONTACTS))
        replacement = draw(st.none() | st.sampled_from([c for c in (*CONTACTS, 9) if c != contact]))
        rec = draw(recurrences(anchor.date()))
        subs.append(
            SubstitutionInput(
                200 + i,
                contact,
                replacement,
                rec or Recurrence(RecurrenceType.OCCURRENCE, anchor.date()),
                draw(st.sampled_from(sorted(TRANSITIONS))),
                draw(st.none() | st.sampled_from(CLOCK_TIMES)),
                draw(st.none() | st.sampled_from(CLOCK_TIMES)),
            )
        )
    busy = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(instant(240))
        busy.append(
            BusyBlock(
                draw(st.sampled_from(CONTACTS)),
                start,
                start + draw(st.sampled_from([timedelta(hours=h) for h in (1, 5, 30)])),
            )
        )
    window_start = draw(instant(72))
    window_end = window_start + timedelta(minutes=15 * draw(st.integers(1, 4 * 24 * 8)))
    tier = TierInput(tier_layers, on_demand, tuple(subs), tuple(busy))
    return tier, window_start, window_end


def check_partition(result: Timeline) -> None:
    pieces = sorted(
        [(s.start, s.end) for s in result.shifts] + [(g.start, g.end) for g in result.gaps]
    )
    cursor = result.start
    for start, end in pieces:
        assert start == cursor and start < end
        cursor = end
    assert cursor == result.end


def merged(items: list[Any], key: Any) -> list[Any]:
    """Touching items with equal keys joined, as (start, end, key) triples."""
    out: list[Any] = []
    for item in items:
        start, end, k = item.start, item.end, key(item)
        if out and out[-1][1] == start and out[-1][2] == k:
            out[-1] = (out[-1][0], end, k)
        else:
            out.append((start, end, k))
    return out


def shift_key(s: Any) -> Any:
    return (s.assignees, s.positions, s.origin, s.layer_id, s.on_demand_id)


def part_key(p: Any) -> Any:
    return (p.positions, p.origin, p.overridden_by_layer_id, p.overridden_by_on_demand_id)


@PROPERTY_SETTINGS
@given(scenarios())
def test_final_shifts_are_sorted_disjoint_inside_and_with_gaps_tile_the_window(
    scenario: tuple[TierInput, datetime, datetime],
) -> None:
    tier, start, end = scenario
    result = compute_timeline(tier, start, end)
    for before, after in zip(result.shifts, result.shifts[1:], strict=False):
        assert before.end <= after.start
        if before.end == after.start:
            assert shift_key(before) != shift_key(after)  # touching equal pieces were merged
    assert all(start <= s.start < s.end <= end for s in result.shifts)
    assert all(s.assignees for s in result.shifts)
    check_partition(result)
    for view in result.layers:
        for earlier, later in zip(view.shifts, view.shifts[1:], strict=False):
            assert earlier.end <= later.start
        for piece in view.shifts:
            shown = result.shift_at(piece.start)
            if piece.overridden:
                assert shown is not None and shown.layer_id != view.layer_id
            elif piece.assignees:
                assert shown is not None and shown.layer_id == view.layer_id
                assert shown.positions == piece.positions


@PROPERTY_SETTINGS
@given(scenarios())
def test_on_demand_instants_show_exactly_their_contacts(
    scenario: tuple[TierInput, datetime, datetime],
) -> None:
    tier, start, end = scenario
    result = compute_timeline(tier, start, end)
    for od in tier.on_demand_shifts:
        lo, hi = max(od.start, start), min(od.end, end)
        if lo >= hi:
            continue
        covering = [s for s in result.shifts if s.start < hi and s.end > lo]
        assert [(s.start, s.end) for s in covering] == [(lo, hi)]
        [shift] = covering
        assert shift.on_demand_id == od.id
        assert shift.assignees == tuple(dict.fromkeys(od.contact_ids))


@PROPERTY_SETTINGS
@given(scenarios(), st.floats(0.0, 1.0))
def test_splitting_the_window_and_merging_equals_the_whole(
    scenario: tuple[TierInput, datetime, datetime], fraction: float
) -> None:
    tier, start, end = scenario
    cut = start + (end - start) * fraction
    whole = compute_timeline(tier, start, end)
    left = compute_timeline(tier, start, cut)
    right = compute_timeline(tier, cut, end)
    assert merged([*left.shifts, *right.shifts], shift_key) == merged(list(whole.shifts), shift_key)
    assert merged([*left.gaps, *right.gaps], lambda g: None) == merged(
        list(whole.gaps), lambda g: None
    )

    def staff_key(u: Any) -> Any:
        return (u.filled, u.required)

    for layer in tier.layers:
        parts = [*left.layer(layer.id).shifts, *right.layer(layer.id).shifts]  # type: ignore[union-attr]
        assert merged(parts, part_key) == merged(list(whole.layer(layer.id).shifts), part_key)  # type: ignore[union-attr]
        short = [u for u in (*left.understaffed, *right.understaffed) if u.layer_id == layer.id]
        expected = [u for u in whole.understaffed if u.layer_id == layer.id]
        assert merged(short, staff_key) == merged(expected, staff_key)


def reference_boundaries(layer: LayerInput, start: datetime, end: datetime) -> list[datetime]:
    """Turn starts inside (start, end) computed the slow way: local date by local date."""
    found = []
    for t in range(0, 400):
        if layer.unit is RotationUnit.MONTH:
            local = datetime.combine(
                add_months(layer.start.date(), t * layer.length), layer.start.time()
            )
        else:
            days = layer.length * (7 if layer.unit is RotationUnit.WEEK else 1)
            local = layer.start + timedelta(days=t * days)
        instant = reference_resolve(local, layer.zone)
        if instant >= end:
            break
        if instant > start:
            found.append(instant)
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(anchors(), st.data())
def test_turn_boundaries_fall_at_resolved_handoffs_on_their_local_dates(
    anchor: tuple[str, datetime], data: st.DataObject
) -> None:
    zone, midnight = anchor
    layer = data.draw(layers(zone, midnight, 0, plain=True))
    start = reference_resolve(midnight, zone) - timedelta(days=2)
    end = start + timedelta(days=data.draw(st.integers(2, 16)))
    result = compute_timeline(TierInput((layer,)), start, end)
    starts = [s.start for s in result.shifts if s.start > start]
    if layer.unit is RotationUnit.HOUR:
        origin = reference_resolve(layer.start, zone)
        step = timedelta(hours=layer.length)
        assert all((s - origin) % step == timedelta(0) for s in starts)
        expected = [origin + step * t for t in range(0, 2000) if start < origin + step * t < end]
        assert starts == expected
    else:
        assert starts == reference_boundaries(layer, start, end)
