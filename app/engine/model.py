"""Frozen values going into and coming out of the timeline engine.

Inputs carry local wall-clock values (naive datetimes, dates, times) together with an IANA zone
name; outputs carry only aware UTC instants. Every interval is half-open: [start, end).
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta


class RotationUnit(enum.Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class Direction(enum.Enum):
    FORWARD = "FORWARD"
    BACKWARD = "BACKWARD"


class RecurrenceType(enum.Enum):
    REPEAT = "REPEAT"
    PERIODIC = "PERIODIC"
    ICAL = "ICAL"
    OCCURRENCE = "OCCURRENCE"


class RestrictionKind(enum.Enum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"


class Origin(enum.Enum):
    LAYER = "LAYER"
    ON_DEMAND = "ON_DEMAND"
    SUBSTITUTION = "SUBSTITUTION"


class HolidayRule(enum.Enum):
    """How a layer treats its schedule's holiday dates (SPEC §9)."""

    RUN = "RUN"  # ignore them
    SKIP = "SKIP"  # holiday dates are inactive
    ONLY = "ONLY"  # only holiday dates are active


class Advance(enum.Enum):
    """Which turns move the rotation on (SPEC §9)."""

    EVERY_TURN = "EVERY_TURN"
    ACTIVE_TURNS = "ACTIVE_TURNS"


class Effective(enum.Enum):
    """When a roster change takes effect (SPEC §9)."""

    NEXT_HANDOFF = "NEXT_HANDOFF"
    AT = "AT"
    IMMEDIATELY = "IMMEDIATELY"


# --------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Daily working hours in the contact's zone; ``end <= start`` wraps past midnight, and
    00:00-00:00 means no working hours at all."""

    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Participant:
    """One rotation member. ``weekdays`` (0 = Monday … 6 = Sunday) limits the layer days (the
    window dates on restricted layers) on which the member is available; ``None`` means every
    day. With ``working_hours`` the member is available only inside them, on the contact-local
    dates whose weekday is in ``weekdays``. ``zone`` is the contact's own zone (``None`` = the
    layer's); ``holidays`` the public holidays of the contact's region, used only by layers with
    ``participant_holidays``."""

    contact_id: int
    weekdays: frozenset[int] | None = None
    working_hours: WorkingHours | None = None
    zone: str | None = None
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class Pause:
    """Local dates ``start``..``end`` (inclusive, the layer's zone) on which a layer is inactive."""

    start: date
    end: date


@dataclass(frozen=True, slots=True)
class RosterSegment:
    """(s_v, t_v, o_v, P_v) of SPEC §9: from instant ``start`` (aware; a boundary, or the change
    instant of an IMMEDIATELY change) the rotation runs over ``contacts``, turn ``turn``
    (the turn containing ``start``) putting ``contacts[offset]`` at position 1."""

    start: datetime
    turn: int
    offset: int
    contacts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Recurrence:
    """Which local dates something applies on. ``end`` is inclusive; ``every_n`` is used by
    PERIODIC only, ``rule`` (an RRULE without time parts) by ICAL only."""

    type: RecurrenceType
    start: date
    end: date | None = None
    every_n: int = 1
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class Restriction:
    """A window in the layer's zone: DAILY on every date, WEEKLY on dates whose weekday is
    ``weekday``. It runs from date + start_time for ``duration`` of local wall time."""

    kind: RestrictionKind
    start_time: time
    duration: timedelta
    weekday: int | None = None


@dataclass(frozen=True, slots=True)
class LayerInput:
    """One layer of a tier. ``start`` and ``end`` are naive local wall times in ``zone``; the
    time of day of ``start`` is the handoff time. ``holidays`` are the schedule's holiday dates
    (expanded by the service; used only when ``on_holidays`` is SKIP or ONLY). ``segments`` are
    the stored roster segments, in order, the first at boundary(0); none means one segment over
    ``participants``. ``participants`` is the current list: it carries each contact's weekdays,
    working hours, zone and holidays, whichever segment names the contact."""

    id: int
    index: int
    start: datetime
    zone: str
    unit: RotationUnit
    length: int = 1
    participants: tuple[Participant, ...] = ()
    on_call: int = 1
    rotate: int | None = None
    direction: Direction = Direction.FORWARD
    restrictions: tuple[Restriction, ...] = ()
    recurrence: Recurrence | None = None
    end: datetime | None = None
    min_staff: int | None = None
    skip_unavailable: bool = True
    on_holidays: HolidayRule = HolidayRule.RUN
    holidays: frozenset[date] = frozenset()
    participant_holidays: bool = False
    pauses: tuple[Pause, ...] = ()
    advance: Advance = Advance.EVERY_TURN
    segments: tuple[RosterSegment, ...] = ()

    @property
    def staff_to_rotate(self) -> int:
        """r: how many positions move on at each handoff (default k)."""
        return self.on_call if self.rotate is None else self.rotate

    @property
    def required_staff(self) -> int:
        """How many filled positions a piece needs not to be understaffed (default k)."""
        return self.on_call if self.min_staff is None else self.min_staff


@dataclass(frozen=True, slots=True)
class OnDemandShiftInput:
    """An explicit assignment; ``start``/``end`` are aware instants."""

    id: int
    start: datetime
    end: datetime
    contact_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SubstitutionInput:
    """An ACTIVE substitution of ``contact_id``: replaced by ``replacement_id``, or unavailable
    when it is ``None``. It applies on the recurrence's local dates in ``zone``, from
    ``window_start`` (default 00:00) to ``window_end`` (default 00:00); an end at or before the
    start falls on the next day, so no window at all is the whole local day. When
    ``between`` is given (aware instants, half-open [start, end), SPEC §11) it applies over
    exactly that stretch instead, and the recurrence and window are not read."""

    id: int
    contact_id: int
    replacement_id: int | None
    recurrence: Recurrence
    zone: str
    window_start: time | None = None
    window_end: time | None = None
    between: tuple[datetime, datetime] | None = None


@dataclass(frozen=True, slots=True)
class BusyBlock:
    """Busy time imported from a contact's calendar (aware instants)."""

    contact_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class TierInput:
    layers: tuple[LayerInput, ...]
    on_demand_shifts: tuple[OnDemandShiftInput, ...] = ()
    substitutions: tuple[SubstitutionInput, ...] = ()
    busy_blocks: tuple[BusyBlock, ...] = ()


# -------------------------------------------------------------------------------------- outputs


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Shift:
    """A piece of the final timeline. ``positions`` holds position 1..k (``None`` = empty);
    ``assignees`` the filled positions in order. ``layer_id`` is set for LAYER and
    SUBSTITUTION shifts, ``on_demand_id`` for ON_DEMAND ones."""

    start: datetime
    end: datetime
    assignees: tuple[int, ...]
    positions: tuple[int | None, ...]
    origin: Origin
    layer_id: int | None
    on_demand_id: int | None


@dataclass(frozen=True, slots=True)
class LayerShift:
    """A piece of one layer's own rotation (after availability). ``overridden`` pieces do not
    appear in the final timeline because a higher layer (``overridden_by_layer_id``) or an
    on-demand shift (``overridden_by_on_demand_id``) holds that time. A piece with no filled
    position is not overridden and not shown either: lower layers show through it."""

    start: datetime
    end: datetime
    assignees: tuple[int, ...]
    positions: tuple[int | None, ...]
    origin: Origin
    overridden: bool = False
    overridden_by_layer_id: int | None = None
    overridden_by_on_demand_id: int | None = None


@dataclass(frozen=True, slots=True)
class LayerTimeline:
    layer_id: int
    shifts: tuple[LayerShift, ...]


@dataclass(frozen=True, slots=True)
class Understaffed:
    """A stretch where a layer's own (not overridden) pieces had fewer filled positions than
    its ``min_staff``."""

    start: datetime
    end: datetime
    layer_id: int
    filled: int
    required: int


@dataclass(frozen=True, slots=True)
class Timeline:
    """The result for the window [start, end); see ``app.engine`` for its guarantees."""

    start: datetime
    end: datetime
    shifts: tuple[Shift, ...]
    layers: tuple[LayerTimeline, ...]
    gaps: tuple[Interval, ...]
    understaffed: tuple[Understaffed, ...]
    _shift_starts: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_shift_starts", tuple(s.start for s in self.shifts))

    def shift_at(self, instant: datetime) -> Shift | None:
        """The final shift covering ``instant`` (aware), or ``None`` in a gap."""
        i = bisect_right(self._shift_starts, instant) - 1
        if i >= 0 and instant < self.shifts[i].end:
            return self.shifts[i]
        return None

    def layer(self, layer_id: int) -> LayerTimeline | None:
        """The per-layer view of ``layer_id``, if that layer was part of the input."""
        for view in self.layers:
            if view.layer_id == layer_id:
                return view
        return None
