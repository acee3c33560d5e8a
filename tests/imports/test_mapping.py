"""The mapping of source rotations, pure: no server, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app import engine
from app.imports import source as src
from app.imports.rotations import People, engine_layer, map_layer
from app.imports.zones import zone_name

T0 = datetime(2026, 3, 1, tzinfo=UTC)
USERS = {f"u{i}": src.User(f"u{i}", f"User {i}", f"u{i}@example.com") for i in range(6)}
PEOPLE = People(USERS, {})


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 5),
    hours=st.integers(1, 48),
    virtual=st.integers(-2000, 2000),
    start=st.integers(-500, 500),
    probes=st.lists(st.integers(0, 24 * 60 * 40), min_size=1, max_size=8),
)
def test_a_layer_starting_anywhere_in_its_rotation_keeps_who_is_on(
    n: int, hours: int, virtual: int, start: int, probes: list[int]
) -> None:
    """PagerDuty's rule: at instant x >= start, user (x - virtual start) // turn mod n is on;
    nothing before start. The mapped layer must say the same from its first turn on."""
    turn = timedelta(hours=hours)
    vstart = T0 + timedelta(hours=virtual)
    begins = T0 + timedelta(hours=start)
    layer = src.Layer(
        id="L",
        name="L",
        priority=1,
        zone="UTC",
        rotation_start=vstart,
        unit="HOUR",
        length=hours,
        turns=tuple((src.Member("user", f"u{i}"),) for i in range(n)),
        start=begins,
    )
    mapped, _ = map_layer(layer, index=1, source_id="x/layer:L", people=PEOPLE, since=begins)
    assert mapped is not None
    ids = {f"u{i}": i + 1 for i in range(n)}
    ours = engine_layer(mapped, 1, ids)
    for minutes in probes:
        at = begins + timedelta(minutes=minutes)
        expected = ids[f"u{((at - vstart) // turn) % n}"]
        assert engine.on_call(ours, engine.turn_index(ours, at)) == (expected,)


def test_rails_zone_names_and_unknown_zones() -> None:
    assert zone_name("Eastern Time (US & Canada)") == ("America/New_York", None)
    assert zone_name("Europe/Berlin") == ("Europe/Berlin", None)
    zone, note = zone_name("Middle Earth")
    assert zone == "UTC" and note and "Middle Earth" in note


def test_people_without_a_valid_email_and_repeats_are_noted() -> None:
    users = {**USERS, "bad": src.User("bad", "No Mail", "not-an-email")}
    layer = src.Layer(
        id="L",
        name="Rota",
        priority=1,
        zone="UTC",
        rotation_start=T0,
        unit="WEEK",
        length=1,
        turns=tuple((src.Member("user", u),) for u in ("u0", "bad", "u1", "u0", "gone")),
    )
    mapped, notes = map_layer(
        layer, index=1, source_id="x/layer:L", people=People(users, {}), since=T0
    )
    assert mapped is not None and mapped.users == ("u0", "u1")
    reasons = " | ".join(n.reason for n in notes)
    assert "user bad has no valid email" in reasons
    assert "user gone is unknown" in reasons
    assert "appears more than once" in reasons


def test_a_team_alone_in_a_rotation_is_all_on_call() -> None:
    team = src.Team("t", "SRE", ("u2", "u3"))
    layer = src.Layer(
        id="L",
        name="Team",
        priority=1,
        zone="UTC",
        rotation_start=T0,
        unit="WEEK",
        length=1,
        turns=((src.Member("team", "t"),),),
    )
    mapped, notes = map_layer(
        layer, index=1, source_id="x/layer:L", people=People(USERS, {"t": team}), since=T0
    )
    assert mapped is not None and (mapped.users, mapped.on_call) == (("u2", "u3"), 2)
    assert notes == []
