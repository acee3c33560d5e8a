"""Checks of engine inputs for the API layer: (field, message) pairs, or ValueError."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from app.engine.model import LayerInput, RestrictionKind, SubstitutionInput, TierInput
from app.engine.recurrence import validate_recurrence
from app.engine.turns import unique_participants
from app.engine.wallclock import zone_info

__all__ = ["Problem", "validate_layer", "validate_substitution", "validate_tier"]

Problem = tuple[str, str]
_MAX_RESTRICTION = timedelta(days=7)


def _zone_problem(zone: str) -> list[Problem]:
    try:
        zone_info(zone)
    except ValueError as exc:
        return [("zone", str(exc))]
    return []


def validate_layer(layer: LayerInput, *, check_rule: bool = True) -> list[Problem]:
    """Problems with ``layer`` as (field, message) pairs, fields named as on LayerInput
    (``restrictions[0].duration``, ``recurrence.rule``…); empty when it is valid. A layer
    without participants is valid (it puts nobody on call)."""
    problems = _zone_problem(layer.zone)
    if layer.start.tzinfo is not None:
        problems.append(("start", "must be a local date-time without a time zone"))
    if layer.end is not None:
        if layer.end.tzinfo is not None:
            problems.append(("end", "must be a local date-time without a time zone"))
        elif layer.start.tzinfo is None and layer.end <= layer.start:
            problems.append(("end", "must be after the start"))
    if layer.length < 1:
        problems.append(("length", "must be at least 1"))
    n = len(unique_participants(layer.participants))
    k = layer.on_call
    if k < 1:
        problems.append(("on_call", "must be at least 1"))
    elif n and k > n:
        problems.append(("on_call", f"must not exceed the number of participants ({n})"))
    if layer.staff_to_rotate < 1:
        problems.append(("rotate", "must be at least 1"))
    if layer.min_staff is not None and not 0 <= layer.min_staff <= k:
        problems.append(("min_staff", f"must be between 0 and the staff on call ({k})"))
    for i, participant in enumerate(layer.participants):
        weekdays = participant.weekdays
        if weekdays is None:
            continue
        if not weekdays:
            problems.append((f"participants[{i}].weekdays", "must not be empty"))
        elif not all(0 <= day <= 6 for day in weekdays):
            problems.append((f"participants[{i}].weekdays", "must be 0 (Monday) to 6 (Sunday)"))
    for i, restriction in enumerate(layer.restrictions):
        if not timedelta(0) < restriction.duration <= _MAX_RESTRICTION:
            problems.append(
                (f"restrictions[{i}].duration", "must be more than 0 and at most 7 days")
            )
        if restriction.kind is RestrictionKind.WEEKLY:
            if restriction.weekday is None or not 0 <= restriction.weekday <= 6:
                problems.append(
                    (f"restrictions[{i}].weekday", "a weekly restriction needs a weekday 0-6")
                )
        elif restriction.weekday is not None:
            problems.append((f"restrictions[{i}].weekday", "only weekly restrictions take one"))
    problems.extend(_pause_problems(layer))
    problems.extend(_segment_problems(layer, n))
    for i, participant in enumerate(layer.participants):
        if participant.zone is not None:
            problems.extend(
                (f"participants[{i}].zone", message)
                for _, message in _zone_problem(participant.zone)
            )
    if layer.recurrence is not None:
        problems.extend(
            p
            for p in validate_recurrence(layer.recurrence)
            if check_rule or not p[0].endswith(".rule")
        )
    return problems


def _pause_problems(layer: LayerInput) -> list[Problem]:
    problems: list[Problem] = []
    for i, pause in enumerate(layer.pauses):
        if pause.end < pause.start:
            problems.append((f"pauses[{i}].end", "must not be before the start"))
    ordered = sorted(range(len(layer.pauses)), key=lambda i: layer.pauses[i].start)
    for before, after in pairwise(ordered):
        if layer.pauses[after].start <= layer.pauses[before].end:
            problems.append((f"pauses[{after}]", f"overlaps pauses[{before}]"))
    return problems


def _segment_problems(layer: LayerInput, n: int) -> list[Problem]:
    problems: list[Problem] = []
    previous = None
    for i, segment in enumerate(layer.segments):
        field = f"segments[{i}]"
        if segment.start.tzinfo is None:
            problems.append((f"{field}.start", "must be an aware instant"))
            continue
        if previous is not None and segment.start <= previous:
            problems.append((f"{field}.start", "segments must start in increasing order"))
        previous = segment.start
        size = len(set(segment.contacts))
        if size != len(segment.contacts):
            problems.append((f"{field}.contacts", "must not repeat a contact"))
        if size and layer.on_call > size:
            problems.append(
                (f"{field}.contacts", f"fewer than the staff on call ({layer.on_call})")
            )
        if size and not 0 <= segment.offset < size:
            problems.append((f"{field}.offset", f"must be between 0 and {size - 1}"))
    return problems


def validate_substitution(sub: SubstitutionInput) -> list[Problem]:
    """Problems with ``sub`` as (field, message) pairs; empty when it is valid."""
    problems = _zone_problem(sub.zone)
    if sub.replacement_id is not None and sub.replacement_id == sub.contact_id:
        problems.append(("replacement_id", "a contact cannot replace itself"))
    problems.extend(validate_recurrence(sub.recurrence))
    return problems


def validate_tier(tier: TierInput) -> None:
    """Raise ValueError naming every problem of the tier's layers (indices must be unique)."""
    messages: list[str] = []
    seen: set[int] = set()
    for layer in tier.layers:
        if layer.index in seen:
            messages.append(f"layer {layer.id}: index: {layer.index} is used twice in the tier")
        seen.add(layer.index)
        messages.extend(
            f"layer {layer.id}: {field}: {message}"
            for field, message in validate_layer(layer, check_rule=False)
        )
    if messages:
        raise ValueError("; ".join(messages))
