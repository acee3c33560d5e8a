"""Loading confirmed rows for the ledger and the pay report, and a schedule's pay rules.

Each operation reads with a fixed number of statements whatever the window or the number of
schedules: the tiers, the confirmed rows overlapping the window, the contacts, the schedules
and (for pay) the pay rules. The arithmetic is ``app.ledger.arithmetic``.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections

from app.contacts import models as contact_models
from app.engine import resolve
from app.engine.model import Origin
from app.engine.wallclock import zone_info
from app.errors import Collector, NotFound
from app.holiday_calendars import calendar_dates
from app.ledger import arithmetic
from app.ledger import models as ledger_models
from app.ledger.arithmetic import Figures, HourClass, Pay, Period, Row
from app.schedules import models as schedule_models
from app.schedules import service as schedule_service
from app.tiers import models as tier_models
from app.timelines import service as timeline_service

MAX_DAYS = 400
"""The longest ledger or pay window: a year and then some."""


def schedule_holiday_dates(
    schedules: Sequence[schedule_models.Schedule], start: datetime, end: datetime
) -> dict[int, frozenset[date]]:
    """The holiday dates of each schedule's holiday calendar (SPEC §9) around [start, end):
    the one place the ledger learns holidays from. A day either side covers every zone's
    local dates. No statement: the calendar is stored on the schedule row."""
    first, last = start.date() - timedelta(days=1), end.date() + timedelta(days=1)
    out: dict[int, frozenset[date]] = {}
    for s in schedules:
        calendar = schedule_service.calendar_of(s)
        out[s.id] = (
            frozenset(h.date for h in calendar_dates(calendar, first, last))
            if calendar is not None
            else frozenset()
        )
    return out


def _instant(value: datetime | str) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


async def _confirmed_rows(
    org_id: int, tier_ids: list[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, datetime, list[int], str]]:
    """The ``shift`` rows of ``tier_ids`` touching [start, end): one plain statement whose
    values are converted here (the ORM's per-field conversion costs six times the read on a
    year of 150 tiers)."""
    conn = connections.get("default")
    params: list[Any] = [org_id, *tier_ids, end, start]
    if conn.capabilities.dialect == "postgres":
        marks = [f"${i}" for i in range(1, len(params) + 1)]
    else:
        marks = ["?"] * len(params)
    sql = (
        'SELECT "tier_id", "start", "end", "assignees", "origin" FROM "shift" '
        f'WHERE "organization_id" = {marks[0]} AND "tier_id" IN ({", ".join(marks[1:-2])}) '
        f'AND "start" < {marks[-2]} AND "end" >= {marks[-1]}'
    )
    _, found = await conn.execute_query(sql, params)
    return [
        (
            int(r[0]),
            _instant(r[1]),
            _instant(r[2]),
            json.loads(r[3]) if isinstance(r[3], str | bytes) else list(r[3]),
            str(r[4]),
        )
        for r in found
    ]


@dataclass(frozen=True)
class Loaded:
    shifts: list[arithmetic.PersonShift]
    contacts: dict[int, contact_models.Contact]
    schedules: dict[int, schedule_models.Schedule]
    zones: dict[int, tzinfo]
    holidays: dict[int, frozenset[date]]


def _zone(name: str) -> tzinfo:
    try:
        return zone_info(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


async def load(
    *, org_id: int, start: datetime, end: datetime, schedule_ids: Sequence[int] | None
) -> Loaded:
    """Confirmed rows touching [start, end) of the given schedules (all when None), as person
    shifts, with their contacts, schedules, zones and holiday dates: four statements."""
    sq = schedule_models.Schedule.filter(organization_id=org_id)
    if schedule_ids is not None:
        sq = sq.filter(id__in=list(schedule_ids))
    schedules = {s.id: s for s in await sq}
    tier_of = dict(
        await tier_models.Tier.filter(
            organization_id=org_id, schedule_id__in=list(schedules)
        ).values_list("id", "schedule_id")
    )
    rows: list[Row] = []
    if tier_of:
        for tier_id, lo, hi, assignees, origin in await _confirmed_rows(
            org_id, list(tier_of), start, end
        ):
            rows.append(Row(tier_of[tier_id], tier_id, lo, hi, tuple(assignees), Origin(origin)))
    shifts = arithmetic.person_shifts(rows)
    contact_ids = {s.contact_id for s in shifts}
    contacts: dict[int, contact_models.Contact] = {}
    if contact_ids:
        contacts = {
            c.id: c
            for c in await contact_models.Contact.filter(
                organization_id=org_id, id__in=list(contact_ids)
            )
        }
    shifts = [s for s in shifts if s.contact_id in contacts]  # deleted contacts drop out
    return Loaded(
        shifts=shifts,
        contacts=contacts,
        schedules=schedules,
        zones={pk: _zone(c.timezone) for pk, c in contacts.items()},
        holidays=schedule_holiday_dates(list(schedules.values()), start, end),
    )


class LedgerField(enum.Enum):
    PERIOD_START = "PERIOD_START"
    SHIFT_COUNT = "SHIFT_COUNT"
    HOURS = "HOURS"
    NIGHT_HOURS = "NIGHT_HOURS"
    WEEKEND_HOURS = "WEEKEND_HOURS"
    HOLIDAY_HOURS = "HOLIDAY_HOURS"
    NAME = "NAME"


DEFAULT_ORDER: tuple[tuple[LedgerField, bool], ...] = (
    (LedgerField.PERIOD_START, False),
    (LedgerField.HOURS, True),
)


@dataclass(frozen=True)
class Entry:
    contact: contact_models.Contact
    schedule: schedule_models.Schedule | None
    start: datetime
    end: datetime
    figures: Figures


def _key(field: LedgerField, e: Entry) -> Any:
    f = e.figures
    if field is LedgerField.PERIOD_START:
        return e.start
    if field is LedgerField.SHIFT_COUNT:
        return f.shifts
    if field is LedgerField.NAME:
        return e.contact.name.casefold()
    return {
        LedgerField.HOURS: f.hours,
        LedgerField.NIGHT_HOURS: f.night,
        LedgerField.WEEKEND_HOURS: f.weekend,
        LedgerField.HOLIDAY_HOURS: f.holiday,
    }[field]


def order(entries: Sequence[Entry], by: Sequence[tuple[LedgerField, bool]]) -> list[Entry]:
    """Sorted by each (field, descending) in turn, then name, contact id, schedule id."""
    out = sorted(
        entries,
        key=lambda e: (e.contact.name.casefold(), e.contact.id, e.schedule.id if e.schedule else 0),
    )
    for field, descending in reversed(by):
        out.sort(key=partial(_key, field), reverse=descending)
    return out


def check_window(start: datetime, end: datetime) -> None:
    timeline_service.check_window(start, end, max_days=MAX_DAYS)


async def ledger(
    *,
    org_id: int,
    start: datetime,
    end: datetime,
    period: Period,
    zone: str,
    schedule_ids: Sequence[int] | None,
    per_schedule: bool,
    contact_ids: Sequence[int] | None = None,
    by: Sequence[tuple[LedgerField, bool]] = DEFAULT_ORDER,
) -> list[Entry]:
    """Ledger entries per person and period (and schedule when ``per_schedule``) over
    [start, end), periods starting at local midnights of ``zone``."""
    check_window(start, end)
    try:
        tz = zone_info(zone)
    except (ValueError, KeyError):
        errors = Collector()
        errors.add("timezone", f"unknown time zone {zone!r}")
        errors.raise_if_any()
        raise
    loaded = await load(org_id=org_id, start=start, end=end, schedule_ids=schedule_ids)
    windows = arithmetic.periods(start, end, period, tz)
    figures = arithmetic.ledger(
        loaded.shifts,
        windows=windows,
        zones=loaded.zones,
        holidays=loaded.holidays,
        per_schedule=per_schedule,
    )
    wanted = set(contact_ids) if contact_ids is not None else None
    entries = [
        Entry(
            contact=loaded.contacts[contact_id],
            schedule=loaded.schedules[schedule_id] if schedule_id is not None else None,
            start=windows[index][0],
            end=windows[index][1],
            figures=f,
        )
        for (contact_id, index, schedule_id), f in figures.items()
        if wanted is None or contact_id in wanted
    ]
    return order(entries, by)


# Pay rules ------------------------------------------------------------------------------------

BASES = ("HOURLY", "PER_SHIFT")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class PayRuleSpec:
    effective_from: date
    currency: str
    basis: str
    rate: Decimal
    night_multiplier: Decimal = Decimal(1)
    weekend_multiplier: Decimal = Decimal(1)
    holiday_multiplier: Decimal = Decimal(1)


def _local_today(schedule: schedule_models.Schedule, now: datetime) -> date:
    return now.astimezone(_zone(schedule.timezone)).date()


async def _schedule(org_id: int, schedule_id: int) -> schedule_models.Schedule:
    found = await schedule_models.Schedule.get_or_none(organization_id=org_id, id=schedule_id)
    if found is None:
        raise NotFound("Schedule", schedule_id)
    return found


async def set_pay_rule(
    *, org_id: int, schedule_id: int, spec: PayRuleSpec, now: datetime
) -> ledger_models.PayRule:
    """Add (or replace) the schedule's rule from ``spec.effective_from``, which must be today
    or later in the schedule's zone: a change of terms never rewrites a period already begun."""
    schedule = await _schedule(org_id, schedule_id)
    errors = Collector("input.")
    if spec.effective_from < _local_today(schedule, now):
        errors.add("effectiveFrom", "must be today or later: past periods keep their rules")
    if not _CURRENCY.match(spec.currency):
        errors.add("currency", "must be a three-letter ISO 4217 code such as EUR")
    if spec.basis not in BASES:
        errors.add("basis", "must be HOURLY or PER_SHIFT")
    if not spec.rate.is_finite() or spec.rate < 0 or spec.rate >= Decimal(10) ** 8:
        errors.add("rate", "must be between 0 and 99999999.9999")
    elif spec.rate != spec.rate.quantize(Decimal("0.0001")):
        errors.add("rate", "has at most 4 decimal places")
    for name, value in (
        ("nightMultiplier", spec.night_multiplier),
        ("weekendMultiplier", spec.weekend_multiplier),
        ("holidayMultiplier", spec.holiday_multiplier),
    ):
        if not value.is_finite() or not 1 <= value < 1000:
            errors.add(name, "must be at least 1 and below 1000")
        elif value != value.quantize(Decimal("0.001")):
            errors.add(name, "has at most 3 decimal places")
    errors.raise_if_any()
    await ledger_models.PayRule.filter(
        schedule_id=schedule_id, effective_from=spec.effective_from
    ).delete()
    return await ledger_models.PayRule.create(
        organization_id=org_id,
        schedule_id=schedule_id,
        effective_from=spec.effective_from,
        currency=spec.currency,
        basis=spec.basis,
        rate=spec.rate,
        night_multiplier=spec.night_multiplier,
        weekend_multiplier=spec.weekend_multiplier,
        holiday_multiplier=spec.holiday_multiplier,
    )


async def delete_pay_rule(*, org_id: int, rule_id: int, now: datetime) -> None:
    """Remove a rule that has not taken effect yet (a rule in force is replaced by a newer one)."""
    rule = await ledger_models.PayRule.get_or_none(organization_id=org_id, id=rule_id)
    if rule is None:
        raise NotFound("PayRule", rule_id)
    schedule = await _schedule(org_id, rule.schedule_id)
    if rule.effective_from <= _local_today(schedule, now):
        errors = Collector()
        errors.add("id", "the rule has taken effect: add a newer rule instead")
        errors.raise_if_any()
    await rule.delete()


async def pay_rules(*, org_id: int, schedule_id: int) -> list[ledger_models.PayRule]:
    return await ledger_models.PayRule.filter(
        organization_id=org_id, schedule_id=schedule_id
    ).order_by("effective_from")


def to_rule(row: ledger_models.PayRule, zone: tzinfo) -> arithmetic.PayRule:
    return arithmetic.PayRule(
        effective_from=resolve(datetime.combine(row.effective_from, time()), zone),
        currency=row.currency,
        per_shift=row.basis == "PER_SHIFT",
        rate=Decimal(row.rate),
        multipliers={
            HourClass.NIGHT: Decimal(row.night_multiplier),
            HourClass.WEEKEND: Decimal(row.weekend_multiplier),
            HourClass.HOLIDAY: Decimal(row.holiday_multiplier),
        },
    )


@dataclass(frozen=True)
class PayLine:
    contact: contact_models.Contact
    schedule: schedule_models.Schedule
    pay: Pay
    figures: Figures


CENT = Decimal("0.01")


async def pay_report(
    *, org_id: int, start: datetime, end: datetime, schedule_ids: Sequence[int] | None
) -> list[PayLine]:
    """Pay per person, schedule and currency for [start, end), by name then schedule name;
    five statements. Amounts are rounded to cents once, at the end."""
    check_window(start, end)
    loaded = await load(org_id=org_id, start=start, end=end, schedule_ids=schedule_ids)
    rule_rows = await ledger_models.PayRule.filter(
        organization_id=org_id, schedule_id__in=list(loaded.schedules)
    ).order_by("effective_from")
    rules: dict[int, list[arithmetic.PayRule]] = {}
    for row in rule_rows:
        zone = _zone(loaded.schedules[row.schedule_id].timezone)
        rules.setdefault(row.schedule_id, []).append(to_rule(row, zone))
    amounts = arithmetic.pay(
        loaded.shifts,
        start=start,
        end=end,
        rules=rules,
        zones=loaded.zones,
        holidays=loaded.holidays,
    )
    figures = arithmetic.ledger(
        loaded.shifts,
        windows=[(start, end)],
        zones=loaded.zones,
        holidays=loaded.holidays,
        per_schedule=True,
    )
    lines = []
    for (contact_id, schedule_id, _), p in amounts.items():
        p.amount = p.amount.quantize(CENT)
        lines.append(
            PayLine(
                contact=loaded.contacts[contact_id],
                schedule=loaded.schedules[schedule_id],
                pay=p,
                figures=figures.get((contact_id, 0, schedule_id), Figures()),
            )
        )
    lines.sort(
        key=lambda x: (
            x.contact.name.casefold(),
            x.contact.id,
            x.schedule.name.casefold(),
            x.schedule.id,
            x.pay.currency,
        )
    )
    return lines
