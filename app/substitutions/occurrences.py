"""When substitutions apply: as the timeline engine's inputs and as UTC intervals."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time

from tortoise.expressions import Q

from app import validation
from app.engine import Interval, Recurrence, RecurrenceType, SubstitutionInput
from app.engine import substitution_occurrences as engine_occurrences
from app.errors import Collector
from app.schedules import models as schedule_models
from app.substitutions import models


def zone_of(row: models.Substitution, schedule_zone: str | None) -> str:
    """The zone a substitution's dates and window are read in: its own, else its schedule's."""
    zone = row.timezone or schedule_zone
    assert zone is not None, "a substitution without a zone always has a schedule"
    return zone


def engine_input(row: models.Substitution, zone: str) -> SubstitutionInput:
    return SubstitutionInput(
        id=row.id,
        contact_id=row.contact_id,
        replacement_id=row.replacement_id,
        recurrence=Recurrence(
            type=RecurrenceType(row.recurrence_type),
            start=row.recurrence_from,
            end=row.recurrence_to,
            every_n=row.recurrence_every_n,
            rule=row.recurrence_rule,
        ),
        zone=zone,
        window_start=time.fromisoformat(row.window_start) if row.window_start else None,
        window_end=time.fromisoformat(row.window_end) if row.window_end else None,
        between=(row.between_start, row.between_end)
        if row.between_start is not None and row.between_end is not None
        else None,
    )


def occurrences(
    row: models.Substitution,
    *,
    zone: str,
    start: datetime,
    end: datetime,
    max_days: int,
) -> tuple[Interval, ...]:
    """When the substitution applies within [start, end): aware UTC intervals, in order.

    Each active date contributes its window (or the whole local day) read in ``zone`` through
    the engine's wall-clock rule, so DST nights give 23 h / 25 h days and shifted windows;
    touching intervals are joined. The status is not considered: a DELETED substitution
    still shows when it would apply. Naive instants, an empty window and one longer than
    ``max_days`` are refused.
    """
    errors = Collector()
    validation.read_window(errors, start, end, max_days=max_days)
    errors.raise_if_any()
    return engine_occurrences(engine_input(row, zone), start, end)


# ------------------------------------------------------------------------------ the engine seam


async def engine_inputs(
    *, org_id: int, schedule_ids: set[int]
) -> dict[int, tuple[SubstitutionInput, ...]]:
    """The ACTIVE substitutions reaching each schedule (its own plus the org-wide ones), as
    engine inputs with their zone resolved, in creation order (the engine lets the first of
    several simultaneous replacements win). Schedules not in the organization are left out.
    Two queries whatever the number of schedules."""
    if not schedule_ids:
        return {}
    zones: dict[int, str] = dict(
        await schedule_models.Schedule.filter(
            organization_id=org_id, id__in=schedule_ids
        ).values_list("id", "timezone")
    )
    if not zones:
        return {}
    rows = await models.Substitution.filter(
        Q(schedule_id__in=list(zones)) | Q(schedule_id__isnull=True),
        organization_id=org_id,
        status="ACTIVE",
    ).order_by("id")
    out: defaultdict[int, list[SubstitutionInput]] = defaultdict(list)
    for row in rows:
        if row.schedule_id is None:
            sub = engine_input(row, zone_of(row, None))
            for schedule_id in zones:
                out[schedule_id].append(sub)
        else:
            out[row.schedule_id].append(engine_input(row, zone_of(row, zones[row.schedule_id])))
    return {schedule_id: tuple(out[schedule_id]) for schedule_id in zones}
