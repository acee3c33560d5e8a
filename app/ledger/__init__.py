"""Fairness ledger and pay (SPEC §14). A workflow above schedules, tiers, shifts and contacts.

Contract
- History only: every figure comes from confirmed ``shift`` rows (``app.shifts.models``),
  never from a recomputed timeline, so a rule change never rewrites the past. Classification
  uses the person's zone and the schedule's holiday calendar as they are today.
- A person's shift is a maximal run of touching confirmed rows of one tier that include them
  (confirmation splits rows at now; the split is invisible here).
- Hour classes: NIGHT 22:00-06:00 and WEEKEND Saturday/Sunday in the person's zone, HOLIDAY
  on the person's local dates in the schedule's holiday dates
  (``service.schedule_holiday_dates``, the one place those come from). All local boundaries go
  through ``app.engine.resolve``: DST-exact.
- Periods (WEEK, MONTH, QUARTER, RANGE) start at local midnights of a zone the caller names;
  hours crossing a period edge are split exactly; a shift counts in the period holding its
  start (one begun before the window in its first period).
- Pay rules per schedule from a date (today or later: periods already begun keep their rules).
  Hourly pay: each instant at the rule in force then times the highest applying multiplier.
  Per-shift pay: once, in the window holding the shift's start, times the highest multiplier
  among all of the shift's time. Amounts are Decimal, rounded to cents once per line.
- Reads use a constant number of statements whatever the window or number of schedules.

Public API
- ``arithmetic``: pure functions (``person_shifts``, ``classified``, ``periods``, ``ledger``,
  ``pay``, ``holiday_time``).
- ``service.ledger(...)``, ``service.pay_report(...)``, ``service.set_pay_rule`` /
  ``delete_pay_rule`` / ``pay_rules``; ``ranking.rank(org_id, contact_ids, before)`` (least
  loaded first over the trailing 90 days; used by cover requests and ``suggestCover``).
- ``report_csv.serve``: ``GET /reports/pay.csv`` (EDITOR or above), streamed.
"""
