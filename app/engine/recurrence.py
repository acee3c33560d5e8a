"""Recurrences: which local dates something applies on.

- REPEAT: every date from ``start`` to ``end`` (no end = forever);
- PERIODIC: dates D in [start, end] with floor((D - start) / 7 days) mod every_n == 0, i.e. one
  week in every ``every_n`` weeks counted from ``start``;
- ICAL: the dates of an RRULE expanded by dateutil with DTSTART = ``start`` at 00:00 (``start``
  itself counts only when it matches the rule); the rule's UNTIL / COUNT end it and ``end``
  constrains it further, never extends it. Rules with time parts (BYHOUR, BYMINUTE, BYSECOND,
  FREQ=HOURLY / MINUTELY / SECONDLY) are refused. UNTIL counts by its date part;
- OCCURRENCE: the dates ``start``..``end`` (no end = ``start`` alone).
All ends are inclusive. ICAL expansions are the only thing the engine caches (per rule and
start, bounded): dateutil always iterates from DTSTART.
"""

from __future__ import annotations

import functools
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrule, rrulestr

from app.engine.model import Recurrence, RecurrenceType

__all__ = ["DateRun", "active_runs", "is_active", "validate_recurrence", "validate_rule"]

DateRun = tuple[date, date]  # inclusive
_ONE_DAY = timedelta(days=1)
_REFUSED_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_REFUSED_FREQS = ("HOURLY", "MINUTELY", "SECONDLY")
_EXPANSION_CHUNK = 64


def _normalise_rule(rule: str) -> str:
    """The rule as ``KEY=VALUE;...`` with UNTIL reduced to its date; ValueError if refused."""
    text = rule.strip()
    if "\n" in text or "\r" in text:
        raise ValueError("the rule must be a single RRULE line")
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text:
        raise ValueError("the rule is empty")
    parts: list[str] = []
    keys: set[str] = set()
    for chunk in text.split(";"):
        if not chunk:
            continue
        key, sep, value = chunk.partition("=")
        key = key.strip().upper()
        value = value.strip()
        if not sep or not key or not value:
            raise ValueError(f"malformed rule part {chunk!r}")
        if key in keys:
            raise ValueError(f"{key} appears twice in the rule")
        keys.add(key)
        if key in _REFUSED_PARTS:
            raise ValueError(f"{key} is refused: a recurrence selects dates, not times")
        if key == "FREQ" and value.upper() in _REFUSED_FREQS:
            raise ValueError(f"FREQ={value.upper()} is refused: a recurrence selects dates")
        if key == "DTSTART":
            raise ValueError("DTSTART is refused in the rule: the recurrence's start is DTSTART")
        if key == "UNTIL":
            value = value[:8]
            if len(value) != 8 or not value.isdigit():
                raise ValueError(f"UNTIL={value} is not a date")
        parts.append(f"{key}={value}")
    if "FREQ" not in keys:
        raise ValueError("the rule needs a FREQ")
    return ";".join(parts)


def _parse(normalised: str, start: date) -> rrule:
    try:
        parsed = rrulestr(normalised, dtstart=datetime.combine(start, time(0)))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"invalid RRULE: {exc}") from exc
    if not isinstance(parsed, rrule):
        raise ValueError("the rule must be a single RRULE")
    return parsed


def validate_rule(rule: str) -> None:
    """Raise ValueError with a clear message when ``rule`` is not an acceptable date RRULE."""
    _parse(_normalise_rule(rule), date(2000, 1, 3))


class _Expansion:
    """The dates of one rule, generated lazily as far as ever asked and kept sorted."""

    def __init__(self, parsed: rrule) -> None:
        self._source: Iterator[datetime] = iter(parsed)
        self._dates: list[date] = []
        self._done = False
        self._lock = threading.Lock()

    def between(self, first: date, last: date) -> list[date]:
        dates = self._dates
        if not self._done and (not dates or dates[-1] < last):
            with self._lock:
                while not self._done and (not dates or dates[-1] < last):
                    for _ in range(_EXPANSION_CHUNK):
                        nxt = next(self._source, None)
                        if nxt is None:
                            self._done = True
                            break
                        dates.append(nxt.date())
        return dates[bisect_left(dates, first) : bisect_right(dates, last)]


@functools.lru_cache(maxsize=512)
def _expansion(rule: str, start: date) -> _Expansion:
    return _Expansion(_parse(_normalise_rule(rule), start))


def _ical_dates(rec: Recurrence, first: date, last: date) -> list[date]:
    if rec.rule is None:
        raise ValueError("an ICAL recurrence needs a rule")
    return _expansion(rec.rule, rec.start).between(first, last)


def _runs_of(dates: list[date]) -> list[DateRun]:
    runs: list[DateRun] = []
    for day in dates:
        if runs and runs[-1][1] + _ONE_DAY == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def active_runs(rec: Recurrence | None, first: date, last: date) -> list[DateRun]:
    """The maximal runs of consecutive active dates within [first, last], in order."""
    if rec is None:
        return [(first, last)] if first <= last else []
    lo = max(first, rec.start)
    kind = rec.type
    if kind is RecurrenceType.OCCURRENCE:
        hi = min(last, rec.end if rec.end is not None else rec.start)
    else:
        hi = last if rec.end is None else min(last, rec.end)
    if lo > hi:
        return []
    if kind is RecurrenceType.REPEAT or kind is RecurrenceType.OCCURRENCE:
        return [(lo, hi)]
    if kind is RecurrenceType.ICAL:
        return _runs_of(_ical_dates(rec, lo, hi))
    every = max(rec.every_n, 1)
    if every == 1:
        return [(lo, hi)]
    week = (lo - rec.start).days // 7
    week -= week % every  # the latest active week starting at or before lo
    runs: list[DateRun] = []
    while True:
        block_start = rec.start + timedelta(days=7 * week)
        if block_start > hi:
            return runs
        run = (max(block_start, lo), min(block_start + timedelta(days=6), hi))
        if run[0] <= run[1]:
            runs.append(run)
        week += every


def is_active(rec: Recurrence | None, day: date) -> bool:
    """Whether ``day`` is an active date of ``rec`` (``None`` = every date)."""
    return bool(active_runs(rec, day, day))


def validate_recurrence(rec: Recurrence, field: str = "recurrence") -> list[tuple[str, str]]:
    """Problems with ``rec`` as (field path, message) pairs; empty when it is valid."""
    problems: list[tuple[str, str]] = []
    if rec.end is not None and rec.end < rec.start:
        problems.append((f"{field}.end", "must not be before the start"))
    if rec.every_n < 1:
        problems.append((f"{field}.every_n", "must be at least 1"))
    if rec.type is RecurrenceType.ICAL:
        if not rec.rule:
            problems.append((f"{field}.rule", "an ICAL recurrence needs a rule"))
        else:
            try:
                validate_rule(rec.rule)
            except ValueError as exc:
                problems.append((f"{field}.rule", str(exc)))
    elif rec.rule is not None:
        problems.append((f"{field}.rule", "only ICAL recurrences take a rule"))
    return problems
