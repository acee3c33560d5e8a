"""Benchmark of the timeline engine (a script, not a test): python scripts/bench_engine.py

S1: 3 layers x 8 contacts (daily; weekly with a weekday restriction; 12-hour HOUR rotation on
weekends), 40 on-demand shifts. S2: 10 layers x 20 contacts, 200 on-demand shifts, 200
unavailability substitutions. Times are medians of the CPU time of repeated runs in this one process.

Comparisons:
- iCal: the same schedules as iCalendar (one VEVENT series with an RRULE per layer member and
  turn residue, on-demand shifts as single events), expanded with icalendar +
  recurring_ical_events over the same window. iCal cannot express substitutions, precedence or
  skipping, so it does strictly less work than the engine.
- floor: building as many Shift / LayerShift / Understaffed objects as the engine returned, in
  a plain loop.

Rotation rules (SPEC §9), each against its baseline in the same run:
- an ACTIVE_TURNS daily layer restricted to weekdays, started five years before the window vs
  this year (goal: at most 2x on the first computation — the engine keeps no cache for it);
- S1 with holidays in three regions (US dates skipped by the daily layer, a DE-BY ONLY holiday
  layer on top, participants with GB-SCT own holidays) vs plain S1;
- a daily layer with 20 roster segments over the year vs the same layer with none.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import math
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import holidays
import icalendar
import recurring_ical_events

from app.engine import (
    Advance,
    Direction,
    Effective,
    HolidayRule,
    LayerInput,
    LayerShift,
    OnDemandShiftInput,
    Origin,
    Participant,
    Recurrence,
    RecurrenceType,
    Restriction,
    RestrictionKind,
    RotationUnit,
    Shift,
    SubstitutionInput,
    TierInput,
    Timeline,
    Understaffed,
    compute_timeline,
    roster_change,
)
from app.engine.turns import Rotation

ZONE = "America/New_York"
WINDOW_START = datetime(2026, 1, 1, 5, tzinfo=UTC)  # local midnight
LAYERS_START = datetime(2025, 1, 6)  # a Monday, a year before the window
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


# ------------------------------------------------------------------------------- schedules


def people(first: int, count: int) -> tuple[Participant, ...]:
    return tuple(Participant(first + i) for i in range(count))


def business_hours() -> tuple[Restriction, ...]:
    return tuple(
        Restriction(RestrictionKind.WEEKLY, clock(9), timedelta(hours=8), weekday)
        for weekday in range(5)
    )


def weekends(start: date) -> Recurrence:
    return Recurrence(RecurrenceType.ICAL, start, rule="FREQ=WEEKLY;BYDAY=SA,SU")


def s1_layers(start: datetime) -> tuple[LayerInput, ...]:
    return (
        LayerInput(1, 0, start.replace(hour=9), ZONE, RotationUnit.DAY, participants=people(10, 8)),
        LayerInput(
            2,
            1,
            start.replace(hour=8),
            ZONE,
            RotationUnit.HOUR,
            length=12,
            participants=people(30, 8),
            recurrence=weekends(start.date()),
        ),
        LayerInput(
            3,
            2,
            start.replace(hour=9),
            ZONE,
            RotationUnit.WEEK,
            participants=people(20, 8),
            restrictions=business_hours(),
        ),
    )


def on_demand(
    count: int, days: int, contacts: list[int], seed: int
) -> tuple[OnDemandShiftInput, ...]:
    """``count`` non-overlapping shifts spread over ``days`` days from the window start."""
    rng = random.Random(seed)
    slot = timedelta(days=days) / count
    shifts = []
    for i in range(count):
        start = WINDOW_START + slot * i + timedelta(hours=rng.randrange(0, 24))
        length = timedelta(hours=rng.randrange(1, 13))
        shifts.append(OnDemandShiftInput(1000 + i, start, start + length, (rng.choice(contacts),)))
    return tuple(shifts)


def s1(start: datetime = LAYERS_START) -> TierInput:
    return TierInput(s1_layers(start), on_demand(40, 365, [10, 20, 30, 99], seed=1))


def s2() -> TierInput:
    s = LAYERS_START
    d = s.date()
    layers = (
        LayerInput(101, 0, s.replace(hour=9), ZONE, RotationUnit.DAY, participants=people(100, 20)),
        LayerInput(
            102,
            1,
            s.replace(hour=9),
            ZONE,
            RotationUnit.WEEK,
            participants=people(200, 20),
            restrictions=business_hours(),
        ),
        LayerInput(
            103,
            2,
            s.replace(hour=8),
            ZONE,
            RotationUnit.HOUR,
            length=12,
            participants=people(300, 20),
            recurrence=weekends(d),
        ),
        LayerInput(
            104,
            3,
            s.replace(hour=18),
            ZONE,
            RotationUnit.DAY,
            participants=people(400, 20),
            on_call=2,
            restrictions=(Restriction(RestrictionKind.DAILY, clock(18), timedelta(hours=14)),),
        ),
        LayerInput(
            105,
            4,
            s.replace(hour=9),
            ZONE,
            RotationUnit.WEEK,
            participants=people(500, 20),
            recurrence=Recurrence(RecurrenceType.REPEAT, d, date(2026, 6, 30)),
        ),
        LayerInput(
            106,
            5,
            s.replace(hour=12),
            ZONE,
            RotationUnit.DAY,
            participants=people(600, 20),
            direction=Direction.BACKWARD,
            restrictions=(Restriction(RestrictionKind.DAILY, clock(12), timedelta(hours=2)),),
        ),
        LayerInput(
            107,
            6,
            s.replace(hour=6),
            ZONE,
            RotationUnit.HOUR,
            length=8,
            participants=people(700, 20),
            recurrence=Recurrence(RecurrenceType.REPEAT, date(2026, 7, 1), date(2026, 9, 30)),
        ),
        LayerInput(
            108,
            7,
            s.replace(hour=0),
            ZONE,
            RotationUnit.WEEK,
            participants=people(800, 20),
            restrictions=(
                Restriction(RestrictionKind.WEEKLY, clock(0), timedelta(hours=48), weekday=5),
            ),
        ),
        LayerInput(
            109,
            8,
            s.replace(hour=8),
            ZONE,
            RotationUnit.DAY,
            participants=people(900, 20),
            on_call=2,
            rotate=1,
            recurrence=Recurrence(RecurrenceType.REPEAT, date(2026, 10, 1), date(2026, 12, 31)),
            restrictions=(Restriction(RestrictionKind.DAILY, clock(8), timedelta(hours=10)),),
        ),
        LayerInput(
            110,
            9,
            s.replace(hour=8),
            ZONE,
            RotationUnit.MONTH,
            participants=people(1100, 20),
            restrictions=(
                Restriction(RestrictionKind.WEEKLY, clock(8), timedelta(hours=4), weekday=0),
            ),
        ),
    )
    contacts = [p.contact_id for layer in layers for p in layer.participants]
    return TierInput(layers, on_demand(200, 365, contacts, seed=3), substitutions(contacts, 2))


def spec_tier() -> TierInput:
    """SPEC §2's performance example: 3 layers, 300 on-demand shifts, 200 substitutions."""
    layers = s1_layers(LAYERS_START)
    contacts = [p.contact_id for layer in layers for p in layer.participants]
    return TierInput(layers, on_demand(300, 365, contacts, seed=4), substitutions(contacts, 5))


def substitutions(contacts: list[int], seed: int) -> tuple[SubstitutionInput, ...]:
    """200 unavailabilities: stretches of days off, and weekly 09:00-13:00 appointments."""
    rng = random.Random(seed)
    subs = []
    for i in range(200):
        first = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 365))
        if i % 2:
            rec = Recurrence(
                RecurrenceType.OCCURRENCE, first, first + timedelta(days=rng.randrange(0, 10))
            )
            subs.append(SubstitutionInput(5000 + i, rng.choice(contacts), None, rec, ZONE))
        else:
            weekday = WEEKDAYS[first.weekday()]
            until = (first + timedelta(weeks=rng.randrange(1, 8))).strftime("%Y%m%d")
            rec = Recurrence(
                RecurrenceType.ICAL, first, rule=f"FREQ=WEEKLY;BYDAY={weekday};UNTIL={until}"
            )
            subs.append(
                SubstitutionInput(
                    5000 + i, rng.choice(contacts), None, rec, ZONE, clock(9), clock(13)
                )
            )
    return tuple(subs)


# --------------------------------------------------------------------------- rotation rules


def weekday_active_turns(start: datetime) -> TierInput:
    """A daily 09:00 ACTIVE_TURNS layer covering weekdays 09:00-17:00 only."""
    layer = LayerInput(
        1,
        0,
        start.replace(hour=9),
        ZONE,
        RotationUnit.DAY,
        participants=people(10, 7),
        restrictions=business_hours(),
        advance=Advance.ACTIVE_TURNS,
    )
    return TierInput((layer,))


def regional_dates(code: str, first_year: int, last_year: int) -> frozenset[date]:
    country, _, subdiv = code.partition("-")
    found = holidays.country_holidays(
        country, subdiv=subdiv or None, years=range(first_year, last_year + 1)
    )
    return frozenset(found)


def with_holidays(tier: TierInput) -> TierInput:
    us = regional_dates("US", 2025, 2027)
    bavaria = regional_dates("DE-BY", 2025, 2027)
    scotland = regional_dates("GB-SCT", 2025, 2027)
    daily, weekends_layer, business = tier.layers
    daily = dataclasses.replace(daily, holidays=us, on_holidays=HolidayRule.SKIP)
    business = dataclasses.replace(
        business,
        participant_holidays=True,
        participants=tuple(
            dataclasses.replace(p, zone="Europe/London", holidays=scotland)
            for p in business.participants
        ),
    )
    on_holidays = LayerInput(
        4,
        3,
        LAYERS_START.replace(hour=9),
        "Europe/Berlin",
        RotationUnit.DAY,
        participants=people(40, 4),
        holidays=bavaria,
        on_holidays=HolidayRule.ONLY,
    )
    return TierInput((daily, weekends_layer, business, on_holidays), tier.on_demand_shifts)


def with_segments(count: int) -> TierInput:
    layer = LayerInput(
        1, 0, LAYERS_START.replace(hour=9), ZONE, RotationUnit.DAY, participants=people(10, 8)
    )
    for i in range(count):
        at = WINDOW_START + timedelta(days=365 * i / count, hours=5)
        roster = tuple(range(10 + i % 3, 18 + i % 3))
        layer = dataclasses.replace(
            layer,
            participants=people(10 + i % 3, 8),
            segments=roster_change(layer, roster, at, Effective.NEXT_HANDOFF),
        )
    return TierInput((layer,))


# ----------------------------------------------------------------------------------- iCal


def ical_of(tier: TierInput) -> icalendar.Calendar:
    """One VEVENT series per layer member and turn residue, as rotation-as-iCal tools store
    them; restricted layers become their windows; on-demand shifts are single events."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//rotagraph//bench//EN")
    cal.add("version", "2.0")
    uid = 0

    def event(start: datetime, duration: timedelta, rule: dict[str, Any] | None) -> None:
        nonlocal uid
        uid += 1
        ev = icalendar.Event()
        ev.add("uid", f"{uid}@bench")
        ev.add("summary", f"on call {uid}")
        ev.add("dtstart", start)
        ev.add("duration", duration)
        if rule:
            ev.add("rrule", rule)
        cal.add_component(ev)

    for layer in tier.layers:
        rot = Rotation(layer)
        cycle = rot.n // math.gcd(rot.n, rot.r)
        for residue in range(cycle):
            for _ in rot.on_call(residue):  # one series per member on call in that residue
                event_for(layer, rot, residue, cycle, event)
    for shift in tier.on_demand_shifts:
        event(shift.start, shift.end - shift.start, None)
    return cal


def event_for(
    layer: LayerInput,
    rot: Rotation,
    residue: int,
    cycle: int,
    event: Callable[[datetime, timedelta, dict[str, Any] | None], None],
) -> None:
    turn_start = rot.boundary(residue).astimezone(rot.tz)
    unit = layer.unit
    rule: dict[str, Any] = {}
    if layer.recurrence is not None and layer.recurrence.type is RecurrenceType.ICAL:
        rule["byday"] = ["SA", "SU"]
    if layer.recurrence is not None and layer.recurrence.end is not None:
        rule["until"] = datetime.combine(layer.recurrence.end, clock(23, 59), tzinfo=UTC)
    if layer.restrictions:
        first = layer.restrictions[0]
        days = sorted({r.weekday for r in layer.restrictions if r.weekday is not None})
        start = turn_start.replace(hour=first.start_time.hour, minute=first.start_time.minute)
        if unit is RotationUnit.DAY:
            rule.update(freq="daily", interval=cycle * layer.length)
        else:
            rule.update(
                freq="weekly" if unit is RotationUnit.WEEK else "monthly",
                interval=cycle * layer.length,
                byday=[WEEKDAYS[d] for d in days],
            )
        event(start, first.duration, rule)
        return
    length = rot.boundary(residue + 1) - rot.boundary(residue)
    freq = {
        RotationUnit.HOUR: "hourly",
        RotationUnit.DAY: "daily",
        RotationUnit.WEEK: "weekly",
        RotationUnit.MONTH: "monthly",
    }[unit]
    rule.update(freq=freq, interval=cycle * layer.length)
    event(turn_start, length, rule)


def expand(cal: icalendar.Calendar, start: datetime, end: datetime) -> int:
    return len(recurring_ical_events.of(cal).between(start, end))


# ---------------------------------------------------------------------------------- floor


def floor(shifts: int, pieces: int, short: int) -> None:
    """Build as many output objects as the engine returned, in a plain loop."""
    at = WINDOW_START
    people_ = (1,)
    for i in range(shifts):
        Shift(at, at, people_, people_, Origin.LAYER, i, None)
    for _ in range(pieces):
        LayerShift(at, at, people_, people_, Origin.LAYER, False, None, None)
    for i in range(short):
        Understaffed(at, at, i, 0, 1)


# ---------------------------------------------------------------------------------- timing


def cpu_ms(fn: Callable[[], object]) -> float:
    """CPU time of one call: steadier than wall time on a shared machine."""
    began = time.process_time()
    fn()
    return (time.process_time() - began) * 1000


def median_ms(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(cpu_ms(fn) for _ in range(runs))


def interleaved_medians(fns: list[tuple[Callable[[], object], int]], rounds: int) -> list[float]:
    """Medians of functions run in turns (each ``every``-th round), so that a burst of load
    elsewhere on the machine hits all of them alike."""
    times: list[list[float]] = [[] for _ in fns]
    for r in range(rounds):
        for i, (fn, every) in enumerate(fns):
            if r % every == 0:
                times[i].append(cpu_ms(fn))
    return [statistics.median(t) for t in times]


def counts(result: Timeline) -> tuple[int, int, int]:
    return (
        len(result.shifts),
        sum(len(view.shifts) for view in result.layers),
        len(result.understaffed),
    )


def where_time_goes(tier: TierInput, end: datetime, runs: int = 5) -> list[str]:
    """cProfile's own time of each part of the engine over a few runs, as shares."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        compute_timeline(tier, WINDOW_START, end)
    profiler.disable()
    shares: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        if filename.endswith("/app/engine/timeline.py"):
            part = "app/engine/timeline.py (building the output dataclasses)"
        elif "/app/engine/" in filename:
            part = "app/engine/" + Path(filename).name
        elif filename == "~":
            part = "C builtins (sort, bisect, datetime, zoneinfo...)"
        else:
            part = "other Python (dateutil, stdlib)"
        shares[part] = shares.get(part, 0.0) + own
    total = sum(shares.values())
    return [
        f"  {share / total:6.1%}  {part}"
        for part, share in sorted(shares.items(), key=lambda item: -item[1])
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="?", type=int, default=15, help="runs per median (15)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    args = parser.parse_args()
    runs = args.runs
    rows: list[tuple[str, str, str, str, str]] = []
    measured: list[dict[str, Any]] = []
    ratios: list[str] = []

    def row(name: str, days: int, ms: float, result: Timeline | None, extra: str = "") -> None:
        measured.append({"scenario": name, "days": days, "cpu_ms": ms})
        shifts = ""
        if result is not None:
            final, pieces, _ = counts(result)
            shifts = f"{final} / {pieces}"
        rows.append((name, f"{days} d", f"{ms:9.2f}", f"{ms * 1000 / days:8.1f}", shifts + extra))

    tier1 = s1()
    windows = (1, 30, 90, 365, 730)
    ends = [WINDOW_START + timedelta(days=days) for days in windows]
    for end in ends:
        compute_timeline(tier1, WINDOW_START, end)  # warm the ICAL cache
    medians = interleaved_medians(
        [(partial(compute_timeline, tier1, WINDOW_START, end), 1) for end in ends], runs
    )
    for days, end, ms in zip(windows, ends, medians, strict=True):
        row("S1 engine", days, ms, compute_timeline(tier1, WINDOW_START, end))

    year_end = WINDOW_START + timedelta(days=365)
    ages = (
        ("S1 layers started 10 years ago", s1(LAYERS_START - timedelta(weeks=52 * 10))),
        ("S1 layers started yesterday", s1(datetime(2025, 12, 31))),
    )
    # The first run expands the weekend RRULE from its DTSTART; later runs use the cache.
    firsts = [cpu_ms(partial(compute_timeline, aged, WINDOW_START, year_end)) for _, aged in ages]
    medians = interleaved_medians(
        [(partial(compute_timeline, aged, WINDOW_START, year_end), 1) for _, aged in ages], runs
    )
    for (label, aged), first_ms, ms in zip(ages, firsts, medians, strict=True):
        result = compute_timeline(aged, WINDOW_START, year_end)
        row(label, 365, ms, result, f"  (first run {first_ms:.1f} ms)")

    spec = spec_tier()
    compute_timeline(spec, WINDOW_START, year_end)
    spec_ms = median_ms(lambda: compute_timeline(spec, WINDOW_START, year_end), runs)
    row(
        "SPEC: S1 + 300 on-demand + 200 subs",
        365,
        spec_ms,
        compute_timeline(spec, WINDOW_START, year_end),
    )

    tier2 = s2()
    compute_timeline(tier2, WINDOW_START, year_end)
    s2_result = compute_timeline(tier2, WINDOW_START, year_end)
    s1_result = compute_timeline(tier1, WINDOW_START, year_end)

    ical_every = 3  # iCal runs are slow: once every third round
    for name, tier, result in (("S1", tier1, s1_result), ("S2", tier2, s2_result)):
        cal = ical_of(tier)
        occurrences = expand(cal, WINDOW_START, year_end)
        final, pieces, short = counts(result)
        engine_ms, ical_ms, floor_ms = interleaved_medians(
            [
                (partial(compute_timeline, tier, WINDOW_START, year_end), 1),
                (partial(expand, cal, WINDOW_START, year_end), ical_every),
                (partial(floor, final, pieces, short), 1),
            ],
            runs,
        )
        row(f"{name} engine (interleaved)", 365, engine_ms, result)
        row(f"{name} iCal expansion", 365, ical_ms, None, f"{occurrences} occurrences")
        row(
            f"{name} floor (objects only)", 365, floor_ms, None, f"{final + pieces + short} objects"
        )
        ratios.append(f"{name} iCal / engine: {ical_ms / engine_ms:6.1f}x   (goal >= 30x)")
        ratios.append(f"{name} engine / floor: {engine_ms / floor_ms:6.1f}x   (goal <= 5x)")

    def against(label: str, tier: TierInput, base_label: str | None, base: TierInput) -> float:
        """One year of ``tier`` vs ``base``, interleaved; rows for both (or the first only)."""
        ms, base_ms = interleaved_medians(
            [
                (partial(compute_timeline, tier, WINDOW_START, year_end), 1),
                (partial(compute_timeline, base, WINDOW_START, year_end), 1),
            ],
            runs,
        )
        row(label, 365, ms, compute_timeline(tier, WINDOW_START, year_end))
        if base_label is not None:
            row(base_label, 365, base_ms, compute_timeline(base, WINDOW_START, year_end))
        return ms / base_ms

    aged_ratio = against(
        "ACTIVE_TURNS weekdays, started 2021",
        weekday_active_turns(datetime(2021, 1, 4)),
        "ACTIVE_TURNS weekdays, started 2026",
        weekday_active_turns(datetime(2026, 1, 5)),
    )
    ratios.append(
        "ACTIVE_TURNS 5 years old / this year (first computation; nothing cached): "
        f"{aged_ratio:4.2f}x   (goal <= 2x)"
    )
    regional_ratio = against(
        "S1 + holidays in US, DE-BY, GB-SCT", with_holidays(tier1), None, tier1
    )
    ratios.append(f"S1 with holidays in three regions / plain S1: {regional_ratio:4.2f}x")
    segments_ratio = against(
        "daily layer, 20 roster segments",
        with_segments(20),
        "daily layer, no roster segments",
        with_segments(0),
    )
    ratios.append(f"20 roster segments / none: {segments_ratio:4.2f}x")

    header = ("scenario", "window", "CPU ms", "us / day", "final / layer shifts")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    print(
        f"Python {sys.version.split()[0]}; CPU ms, median of {runs} runs "
        f"(iCal in every {ical_every}rd round, interleaved with its engine and floor runs)"
    )
    for cells in [header, *rows]:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip())
    ratios.append(f"SPEC tier, one year: {spec_ms:.1f} ms   (goal: well under 50 ms)")
    print()
    print("Where S2's time goes (cProfile own time, shares; profiling inflates small calls):")
    for line in where_time_goes(tier2, year_end):
        print(line)
    print()
    for ratio in ratios:
        print(ratio)
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "rows": measured}, indent=2))


if __name__ == "__main__":
    main()
