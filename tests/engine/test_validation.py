"""Input checks for the API layer: every problem named by its field."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.engine import (
    Participant,
    Recurrence,
    RecurrenceType,
    Restriction,
    RestrictionKind,
    SubstitutionInput,
    validate_layer,
    validate_substitution,
)
from tests.engine.helpers import NEW_YORK, layer, utc


def test_validate_layer_names_every_problem() -> None:
    bad = layer(
        zone="Nowhere/Special",
        length=0,
        on_call=0,
        rotate=0,
        min_staff=5,
        end=datetime(2026, 1, 1),
        participants=(Participant(1, frozenset()), Participant(2, frozenset({7}))),
        restrictions=(
            Restriction(RestrictionKind.DAILY, time(9), timedelta(0), weekday=2),
            Restriction(RestrictionKind.WEEKLY, time(9), timedelta(days=8)),
        ),
        recurrence=Recurrence(RecurrenceType.ICAL, date(2026, 1, 1), rule="FREQ=HOURLY"),
    )
    assert [field for field, _ in validate_layer(bad)] == [
        "zone",
        "end",
        "length",
        "on_call",
        "rotate",
        "min_staff",
        "participants[0].weekdays",
        "participants[1].weekdays",
        "restrictions[0].duration",
        "restrictions[0].weekday",
        "restrictions[1].duration",
        "restrictions[1].weekday",
        "recurrence.rule",
    ]
    aware = layer(start=utc(2026, 1, 1))
    assert [f for f, _ in validate_layer(aware)] == ["start"]


def test_validate_substitution() -> None:
    rec = Recurrence(RecurrenceType.OCCURRENCE, date(2026, 1, 1))
    assert validate_substitution(SubstitutionInput(1, 4, 5, rec, NEW_YORK)) == []
    assert [f for f, _ in validate_substitution(SubstitutionInput(1, 4, 4, rec, "X/Y"))] == [
        "zone",
        "replacement_id",
    ]
