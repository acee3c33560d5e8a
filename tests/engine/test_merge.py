"""Layer precedence, on-demand shifts, origins, merging of touching pieces, per-layer views."""

from __future__ import annotations

from datetime import datetime

from app.engine import BusyBlock, OnDemandShiftInput, Origin
from tests.engine.helpers import NEW_YORK, at, layer, timeline

MONDAY = datetime(2026, 1, 5, 9)


def day(d: int, h: int = 9) -> datetime:
    return at(NEW_YORK, 2026, 1, d, h)


def test_highest_index_layer_wins() -> None:
    low = layer(id=1, index=0, start=MONDAY, contacts=(1,))
    high = layer(id=2, index=5, start=MONDAY, contacts=(2,))
    result = timeline(high, low, start=day(5), end=day(6))
    assert [(s.assignees, s.layer_id) for s in result.shifts] == [((2,), 2)]
    assert [p.overridden_by_layer_id for p in result.layer(1).shifts] == [2]  # type: ignore[union-attr]


def test_partly_filled_top_layer_still_wins() -> None:
    low = layer(id=1, index=0, start=MONDAY, contacts=(7, 8))
    high = layer(id=2, index=1, start=MONDAY, contacts=(1, 2), on_call=2, skip_unavailable=False)
    result = timeline(
        low, high, start=day(5), end=day(6), busy_blocks=(BusyBlock(1, day(5), day(6)),)
    )
    [shift] = result.shifts
    assert (shift.layer_id, shift.positions, shift.assignees) == (2, (None, 2), (2,))
    assert shift.origin is Origin.SUBSTITUTION
    assert [(u.layer_id, u.filled, u.required) for u in result.understaffed] == [(2, 1, 2)]


def test_on_demand_wins_over_every_layer_and_marks_what_it_overrode() -> None:
    low = layer(id=1, index=0, start=MONDAY, contacts=(1,))
    high = layer(id=2, index=1, start=MONDAY, contacts=(2,))
    od = OnDemandShiftInput(40, day(5, 12), day(5, 14), (5, 6))
    result = timeline(low, high, start=day(5), end=day(5, 18), on_demand_shifts=(od,))
    assert [
        (s.start, s.end, s.assignees, s.origin, s.layer_id, s.on_demand_id) for s in result.shifts
    ] == [
        (day(5), day(5, 12), (2,), Origin.LAYER, 2, None),
        (day(5, 12), day(5, 14), (5, 6), Origin.ON_DEMAND, None, 40),
        (day(5, 14), day(5, 18), (2,), Origin.LAYER, 2, None),
    ]
    top_view = result.layer(2).shifts  # type: ignore[union-attr]
    assert [(p.start, p.end, p.overridden, p.overridden_by_on_demand_id) for p in top_view] == [
        (day(5), day(5, 12), False, None),
        (day(5, 12), day(5, 14), True, 40),
        (day(5, 14), day(5, 18), False, None),
    ]
    low_view = result.layer(1).shifts  # type: ignore[union-attr]
    assert [
        (p.start, p.end, p.overridden_by_layer_id, p.overridden_by_on_demand_id) for p in low_view
    ] == [
        (day(5), day(5, 12), 2, None),
        (day(5, 12), day(5, 14), None, 40),
        (day(5, 14), day(5, 18), 2, None),
    ]


def test_overlapping_on_demand_shifts_highest_id_wins() -> None:
    first = OnDemandShiftInput(1, day(5, 8), day(5, 16), (1,))
    later = OnDemandShiftInput(2, day(5, 10), day(5, 12), (2,))
    result = timeline(start=day(5, 0), end=day(6, 0), on_demand_shifts=(later, first))
    assert [(s.start, s.end, s.assignees) for s in result.shifts] == [
        (day(5, 8), day(5, 10), (1,)),
        (day(5, 10), day(5, 12), (2,)),
        (day(5, 12), day(5, 16), (1,)),
    ]
    assert [(g.start, g.end) for g in result.gaps] == [
        (day(5, 0), day(5, 8)),
        (day(5, 16), day(6, 0)),
    ]


def test_touching_equal_turns_merge() -> None:
    solo = layer(start=MONDAY, contacts=(3,))
    result = timeline(solo, start=day(5), end=day(9))
    assert [(s.start, s.end, s.assignees) for s in result.shifts] == [(day(5), day(9), (3,))]
    assert len(result.layer(1).shifts) == 1  # type: ignore[union-attr]


def test_equal_assignees_do_not_merge_across_sources_or_origins() -> None:
    low = layer(id=1, index=0, start=MONDAY, contacts=(3,))
    high = layer(id=2, index=1, start=MONDAY, contacts=(3,), end=datetime(2026, 1, 5, 15))
    od_a = OnDemandShiftInput(1, day(6), day(6, 12), (3,))
    od_b = OnDemandShiftInput(2, day(6, 12), day(6, 14), (3,))
    result = timeline(low, high, start=day(5), end=day(6, 18), on_demand_shifts=(od_a, od_b))
    assert [(s.start, s.origin, s.layer_id, s.on_demand_id) for s in result.shifts] == [
        (day(5), Origin.LAYER, 2, None),
        (day(5, 15), Origin.LAYER, 1, None),
        (day(6), Origin.ON_DEMAND, None, 1),
        (day(6, 12), Origin.ON_DEMAND, None, 2),
        (day(6, 14), Origin.LAYER, 1, None),
    ]
    assert {s.assignees for s in result.shifts} == {(3,)}


def test_adjacent_on_demand_pieces_of_one_shift_merge_with_nothing_else() -> None:
    rota = layer(start=MONDAY, contacts=(3,))
    od = OnDemandShiftInput(9, day(5, 12), day(5, 14), (3,))
    result = timeline(rota, start=day(5), end=day(6), on_demand_shifts=(od,))
    assert len(result.shifts) == 3


def test_gaps_cover_what_no_layer_covers() -> None:
    rota = layer(start=MONDAY, contacts=(3,), end=datetime(2026, 1, 6, 9))
    result = timeline(rota, start=day(4), end=day(8))
    assert [(g.start, g.end) for g in result.gaps] == [(day(4), day(5)), (day(6), day(8))]


def test_layer_views_come_in_input_order() -> None:
    low = layer(id=1, index=0, start=MONDAY)
    high = layer(id=2, index=1, start=MONDAY)
    result = timeline(low, high, start=day(5), end=day(6))
    assert [v.layer_id for v in result.layers] == [1, 2]
