"""Unavailability, weekday entries, skip-to-next and replacements."""

from __future__ import annotations

from datetime import date, datetime, time

from app.engine import (
    BusyBlock,
    Direction,
    Interval,
    OnDemandShiftInput,
    Origin,
    Participant,
    Recurrence,
    RecurrenceType,
    RotationUnit,
    SubstitutionInput,
    contact_unavailability,
    substitution_occurrences,
)
from tests.engine.helpers import LONDON, NEW_YORK, at, layer, timeline, utc

MONDAY = datetime(2026, 1, 5, 9)  # a Monday, 09:00 handoff


def day(d: int, h: int = 9, m: int = 0) -> datetime:
    """January 2026 local New York time."""
    return at(NEW_YORK, 2026, 1, d, h, m)


def busy(contact: int, start: datetime, end: datetime) -> BusyBlock:
    return BusyBlock(contact, start, end)


def away(
    sub_id: int, contact: int, first: date, last: date | None = None, **kw: object
) -> SubstitutionInput:
    rec = Recurrence(RecurrenceType.OCCURRENCE, first, last)
    return SubstitutionInput(sub_id, contact, None, rec, kw.pop("zone", NEW_YORK), **kw)  # type: ignore[arg-type]


def replaced(
    sub_id: int, contact: int, by: int, first: date, last: date | None = None
) -> SubstitutionInput:
    rec = Recurrence(RecurrenceType.OCCURRENCE, first, last)
    return SubstitutionInput(sub_id, contact, by, rec, NEW_YORK)


def rows(result: object) -> list[tuple[datetime, datetime, tuple[int | None, ...], str]]:
    return [(s.start, s.end, s.positions, s.origin.value) for s in result.shifts]  # type: ignore[attr-defined]


def test_monday_to_friday_participant_keeps_the_whole_friday_turn() -> None:
    weekdays = frozenset(range(5))
    rota = layer(start=MONDAY, participants=(Participant(1, weekdays), Participant(2)))
    result = timeline(rota, start=day(9), end=day(12))
    assert rows(result) == [
        (day(9), day(10), (1,), "LAYER"),  # Friday's turn ends Saturday 09:00
        (day(10), day(11), (2,), "LAYER"),
        (day(11), day(12), (2,), "SUBSTITUTION"),  # Sunday's turn skips 1 for 2
    ]
    assert result.layers[0].shifts[-1].origin is Origin.SUBSTITUTION


def test_skip_to_next_forward() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3, 4))
    result = timeline(
        rota, start=day(5), end=day(6), busy_blocks=(busy(1, day(5, 12), day(5, 15)),)
    )
    assert rows(result) == [
        (day(5), day(5, 12), (1,), "LAYER"),
        (day(5, 12), day(5, 15), (2,), "SUBSTITUTION"),
        (day(5, 15), day(6), (1,), "LAYER"),
    ]


def test_skip_to_next_backward_follows_the_direction() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3, 4), direction=Direction.BACKWARD)
    blocks = (busy(1, day(5, 12), day(5, 15)), busy(4, day(5, 13), day(5, 14)))
    result = timeline(rota, start=day(5), end=day(6), busy_blocks=blocks)
    assert rows(result) == [
        (day(5), day(5, 12), (1,), "LAYER"),
        (day(5, 12), day(5, 13), (4,), "SUBSTITUTION"),  # backward: P(n-1) is next
        (day(5, 13), day(5, 14), (3,), "SUBSTITUTION"),
        (day(5, 14), day(5, 15), (4,), "SUBSTITUTION"),
        (day(5, 15), day(6), (1,), "LAYER"),
    ]


def test_k2_with_first_position_unavailable_moves_everyone_up() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3, 4), on_call=2)
    result = timeline(rota, start=day(5), end=day(6), busy_blocks=(busy(1, day(5), day(6)),))
    assert rows(result) == [(day(5), day(6), (2, 3), "SUBSTITUTION")]


def test_k2_with_second_position_unavailable_keeps_the_primary() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3, 4), on_call=2)
    result = timeline(rota, start=day(5), end=day(6), busy_blocks=(busy(2, day(5), day(6)),))
    assert rows(result) == [(day(5), day(6), (1, 3), "SUBSTITUTION")]
    assert result.understaffed == ()


def test_skip_unavailable_false_leaves_the_position_empty_and_understaffed() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3), on_call=2, skip_unavailable=False)
    result = timeline(
        rota, start=day(5), end=day(6), busy_blocks=(busy(1, day(5, 12), day(5, 15)),)
    )
    assert rows(result) == [
        (day(5), day(5, 12), (1, 2), "LAYER"),
        (day(5, 12), day(5, 15), (None, 2), "SUBSTITUTION"),
        (day(5, 15), day(6), (1, 2), "LAYER"),
    ]
    assert result.shifts[1].assignees == (2,)
    [short] = result.understaffed
    assert (short.start, short.end, short.layer_id, short.filled, short.required) == (
        day(5, 12),
        day(5, 15),
        1,
        1,
        2,
    )


def test_nobody_available_lets_lower_layers_show_through_and_is_understaffed() -> None:
    base = layer(id=1, index=0, start=MONDAY, contacts=(8,))
    top = layer(id=2, index=1, start=MONDAY, contacts=(1,), skip_unavailable=False)
    result = timeline(
        base, top, start=day(5), end=day(6), busy_blocks=(busy(1, day(5, 12), day(5, 15)),)
    )
    assert [(s.start, s.assignees, s.layer_id) for s in result.shifts] == [
        (day(5), (1,), 2),
        (day(5, 12), (8,), 1),
        (day(5, 15), (1,), 2),
    ]
    assert [(u.start, u.layer_id, u.filled, u.required) for u in result.understaffed] == [
        (day(5, 12), 2, 0, 1)
    ]
    empty = [p for p in result.layer(2).shifts if not p.assignees]  # type: ignore[union-attr]
    assert [(p.start, p.end, p.positions, p.overridden) for p in empty] == [
        (day(5, 12), day(5, 15), (None,), False)
    ]


def test_min_staff_lower_than_k() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2), on_call=2, min_staff=1, skip_unavailable=False)
    result = timeline(rota, start=day(5), end=day(6), busy_blocks=(busy(1, day(5), day(6)),))
    assert rows(result) == [(day(5), day(6), (None, 2), "SUBSTITUTION")]
    assert result.understaffed == ()


def test_replacement_takes_the_position() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2))
    result = timeline(
        rota, start=day(5), end=day(7), substitutions=(replaced(1, 1, 9, date(2026, 1, 5)),)
    )
    assert rows(result) == [
        (day(5), day(6, 0), (9,), "SUBSTITUTION"),  # the substitution's whole local day
        (day(6, 0), day(6), (1,), "LAYER"),
        (day(6), day(7), (2,), "LAYER"),
    ]


def test_replacement_is_one_hop() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2))
    subs = (replaced(1, 1, 9, date(2026, 1, 5)), replaced(2, 9, 10, date(2026, 1, 5)))
    result = timeline(rota, start=day(5), end=day(5, 12), substitutions=subs)
    assert rows(result) == [(day(5), day(5, 12), (9,), "SUBSTITUTION")]


def test_unavailable_replacement_leaves_the_contact_on_or_skips() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3))
    subs = (replaced(1, 1, 9, date(2026, 1, 5)),)
    blocks = (busy(9, day(5, 10), day(5, 14)), busy(1, day(5, 12), day(5, 14)))
    result = timeline(rota, start=day(5), end=day(5, 16), substitutions=subs, busy_blocks=blocks)
    assert rows(result) == [
        (day(5), day(5, 10), (9,), "SUBSTITUTION"),
        (day(5, 10), day(5, 12), (1,), "LAYER"),  # replacement busy: contact 1 stays on
        (day(5, 12), day(5, 14), (2,), "SUBSTITUTION"),  # both busy: skip to the next
        (day(5, 14), day(5, 16), (9,), "SUBSTITUTION"),
    ]


def test_newest_replacement_wins_and_replaced_contacts_are_not_skipped_to() -> None:
    """SPEC §2 (rule added after the first release): only the newest (highest id) of several
    replacements of one contact is tried; if it cannot serve, the contact keeps the position
    when available (an older replacement is never tried), else the skip rule applies."""
    rota = layer(start=MONDAY, contacts=(1, 2, 3))
    subs = (
        replaced(2, 1, 8, date(2026, 1, 5)),  # newest, though listed first
        replaced(1, 1, 9, date(2026, 1, 5)),
        replaced(3, 2, 7, date(2026, 1, 5)),
    )
    blocks = (busy(8, day(5, 10), day(5, 12)), busy(1, day(5, 11), day(5, 12)))
    result = timeline(rota, start=day(5), end=day(5, 13), substitutions=subs, busy_blocks=blocks)
    assert rows(result) == [
        (day(5), day(5, 10), (8,), "SUBSTITUTION"),
        (day(5, 10), day(5, 11), (1,), "LAYER"),  # 8 busy: 1 keeps it, 9 is not tried
        (day(5, 11), day(5, 12), (3,), "SUBSTITUTION"),  # 2 handed over to 7: skipped
        (day(5, 12), day(5, 13), (8,), "SUBSTITUTION"),
    ]


def test_substitution_window_crossing_midnight_in_its_own_zone() -> None:
    sub = away(1, 1, date(2026, 1, 6), window_start=time(22), window_end=time(6), zone=LONDON)
    [occurrence] = substitution_occurrences(sub, utc(2026, 1, 1), utc(2026, 1, 10))
    assert (occurrence.start, occurrence.end) == (utc(2026, 1, 6, 22), utc(2026, 1, 7, 6))
    rota = layer(start=MONDAY, contacts=(1, 2, 3), unit=RotationUnit.WEEK)
    result = timeline(rota, start=day(6, 12), end=day(7, 12), substitutions=(sub,))
    assert rows(result) == [
        (day(6, 12), day(6, 17), (1,), "LAYER"),
        (day(6, 17), day(7, 1), (2,), "SUBSTITUTION"),
        (day(7, 1), day(7, 12), (1,), "LAYER"),
    ]


def test_substitution_windows_and_recurrences() -> None:
    weekly = Recurrence(RecurrenceType.ICAL, date(2026, 1, 1), rule="FREQ=WEEKLY;BYDAY=TU")
    sub = SubstitutionInput(1, 1, None, weekly, NEW_YORK, window_start=time(9), window_end=time(12))
    found = substitution_occurrences(sub, utc(2026, 1, 1), utc(2026, 1, 21))
    assert [(o.start, o.end) for o in found] == [
        (day(6), day(6, 12)),
        (day(13), day(13, 12)),
        (day(20), day(20, 12)),
    ]
    whole = SubstitutionInput(
        2, 1, None, Recurrence(RecurrenceType.REPEAT, date(2026, 1, 6)), NEW_YORK
    )
    assert [(o.start, o.end) for o in substitution_occurrences(whole, day(5), day(9))] == [
        (day(6, 0), day(9))
    ]
    from_nine = SubstitutionInput(
        3,
        1,
        None,
        Recurrence(RecurrenceType.OCCURRENCE, date(2026, 1, 6)),
        NEW_YORK,
        window_start=time(9),
    )
    assert [(o.start, o.end) for o in substitution_occurrences(from_nine, day(5), day(9))] == [
        (day(6), day(7, 0))
    ]


def test_contact_unavailability_joins_substitutions_and_busy_blocks() -> None:
    subs = (away(1, 1, date(2026, 1, 6)), away(2, 2, date(2026, 1, 6)))
    blocks = (busy(1, day(5, 20), day(6, 3)), busy(1, day(8), day(8, 10)))
    found = contact_unavailability(1, subs, blocks, day(5), day(9))
    assert [(i.start, i.end) for i in found] == [(day(5, 20), day(7, 0)), (day(8), day(8, 10))]


def test_on_demand_shifts_are_never_altered_by_availability() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2))
    shift = OnDemandShiftInput(5, day(5, 12), day(5, 14), (1, 3, 1))
    result = timeline(
        rota,
        start=day(5),
        end=day(5, 16),
        on_demand_shifts=(shift,),
        busy_blocks=(busy(1, day(5), day(6)), busy(3, day(5), day(6))),
    )
    assert rows(result) == [
        (day(5), day(5, 12), (2,), "SUBSTITUTION"),
        (day(5, 12), day(5, 14), (1, 3), "ON_DEMAND"),
        (day(5, 14), day(5, 16), (2,), "SUBSTITUTION"),
    ]


def test_substitution_from_the_day_before_the_window_still_applies() -> None:
    sub = away(1, 1, date(2026, 1, 6), window_start=time(22), window_end=time(6))
    found = substitution_occurrences(sub, day(7, 2), day(8))
    assert [(o.start, o.end) for o in found] == [(day(7, 2), day(7, 6))]
    rota = layer(start=MONDAY, contacts=(1, 2), unit=RotationUnit.WEEK)
    result = timeline(rota, start=day(7, 2), end=day(7, 8), substitutions=(sub,))
    assert rows(result) == [
        (day(7, 2), day(7, 6), (2,), "SUBSTITUTION"),
        (day(7, 6), day(7, 8), (1,), "LAYER"),
    ]


def test_a_between_substitution_applies_over_exactly_its_instants() -> None:
    """SPEC §11: an absolute [from, to) replaces the recurrence and window; it may start and
    end mid-turn and spans local midnight without regard to dates."""
    rota = layer(start=MONDAY, contacts=(1, 2))
    # Contact 1 holds Monday 09:00 - Tuesday 09:00; 9 covers 15:00 - 03:00.
    dates_ignored = Recurrence(RecurrenceType.OCCURRENCE, date(2030, 1, 1), date(2030, 1, 1))
    cover = SubstitutionInput(
        7, 1, 9, dates_ignored, NEW_YORK, time(1, 0), time(2, 0), between=(day(5, 15), day(6, 3))
    )
    result = timeline(rota, start=day(5), end=day(6, 9), substitutions=(cover,))
    assert rows(result) == [
        (day(5), day(5, 15), (1,), "LAYER"),
        (day(5, 15), day(6, 3), (9,), "SUBSTITUTION"),
        (day(6, 3), day(6, 9), (1,), "LAYER"),
    ]
    away_part = SubstitutionInput(8, 2, None, dates_ignored, NEW_YORK, between=(day(6), day(7)))
    assert contact_unavailability(2, (away_part,), (), day(6, 12), day(8)) == (
        Interval(day(6, 12), day(7)),
    )
    assert substitution_occurrences(cover, day(1), day(9)) == (Interval(day(5, 15), day(6, 3)),)
