"""compute_timeline's contract at its edges, and layer validation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.engine import (
    OnDemandShiftInput,
    Recurrence,
    RecurrenceType,
    TierInput,
    compute_timeline,
    validate_layer,
)
from tests.engine.helpers import NEW_YORK, at, layer, timeline, utc

MONDAY = datetime(2026, 1, 5, 9)


def test_empty_window_gives_an_empty_timeline() -> None:
    result = timeline(layer(), start=utc(2026, 1, 6), end=utc(2026, 1, 6))
    assert (result.shifts, result.gaps, result.understaffed) == ((), (), ())
    assert [(v.layer_id, v.shifts) for v in result.layers] == [(1, ())]
    backwards = timeline(layer(), start=utc(2026, 1, 7), end=utc(2026, 1, 6))
    assert backwards.shifts == ()


def test_naive_window_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_timeline(TierInput(layers=()), datetime(2026, 1, 1), utc(2026, 1, 2))


def test_window_in_another_zone_comes_back_in_utc() -> None:
    result = timeline(layer(), start=at(NEW_YORK, 2026, 1, 6), end=at(NEW_YORK, 2026, 1, 7))
    assert result.start == utc(2026, 1, 6, 5)
    assert all(s.start.utcoffset() == timedelta(0) for s in result.shifts)


def test_no_layers_is_one_gap() -> None:
    result = timeline(start=utc(2026, 1, 1), end=utc(2026, 1, 2))
    assert [(g.start, g.end) for g in result.gaps] == [(utc(2026, 1, 1), utc(2026, 1, 2))]


def test_layer_without_participants_puts_nobody_on_call() -> None:
    result = timeline(layer(contacts=()), start=utc(2026, 1, 6), end=utc(2026, 1, 7))
    assert result.shifts == () and result.understaffed == ()
    assert len(result.gaps) == 1
    assert validate_layer(layer(contacts=())) == []


def test_k_greater_than_n_is_refused() -> None:
    bad = layer(contacts=(1, 2), on_call=3)
    assert validate_layer(bad) == [("on_call", "must not exceed the number of participants (2)")]
    with pytest.raises(ValueError, match="on_call"):
        timeline(bad, start=utc(2026, 1, 6), end=utc(2026, 1, 7))


def test_repeated_layer_index_is_refused() -> None:
    with pytest.raises(ValueError, match="used twice"):
        timeline(layer(id=1), layer(id=2), start=utc(2026, 1, 6), end=utc(2026, 1, 7))


def test_on_demand_without_contacts_is_ignored() -> None:
    od = OnDemandShiftInput(1, utc(2026, 1, 6), utc(2026, 1, 7), ())
    result = timeline(start=utc(2026, 1, 6), end=utc(2026, 1, 7), on_demand_shifts=(od,))
    assert result.shifts == ()


def test_output_is_clipped_to_the_window() -> None:
    od = OnDemandShiftInput(1, utc(2026, 1, 5), utc(2026, 1, 9), (1,))
    result = timeline(
        layer(start=MONDAY), start=utc(2026, 1, 6), end=utc(2026, 1, 7), on_demand_shifts=(od,)
    )
    assert [(s.start, s.end) for s in result.shifts] == [(utc(2026, 1, 6), utc(2026, 1, 7))]
    assert all(
        utc(2026, 1, 6) <= p.start < p.end <= utc(2026, 1, 7)
        for view in result.layers
        for p in view.shifts
    )


def test_shift_at_finds_the_covering_shift() -> None:
    result = timeline(
        layer(start=MONDAY, end=datetime(2026, 1, 7, 9)), start=utc(2026, 1, 5), end=utc(2026, 1, 9)
    )
    assert result.shift_at(at(NEW_YORK, 2026, 1, 6, 8, 59)).assignees == (1,)  # type: ignore[union-attr]
    assert result.shift_at(at(NEW_YORK, 2026, 1, 6, 9)).assignees == (2,)  # type: ignore[union-attr]
    assert result.shift_at(at(NEW_YORK, 2026, 1, 7, 9)) is None
    assert result.shift_at(utc(2026, 1, 5)) is None


def test_invalid_ical_rule_raises_when_expanded() -> None:
    bad = layer(
        recurrence=Recurrence(RecurrenceType.ICAL, date(2026, 1, 1), rule="FREQ=DAILY;BYHOUR=3")
    )
    with pytest.raises(ValueError, match="BYHOUR"):
        timeline(bad, start=utc(2026, 1, 6), end=utc(2026, 1, 7))
