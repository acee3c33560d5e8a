"""Demo data of the rotation rules (SPEC §9): one schedule that uses each of them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from app.layers import service as layer_service
from app.layers.service import EffectiveSpec, LayerSpec, ParticipantSpec, RestrictionSpec
from app.schedules import service as schedule_service
from app.tiers import service as tier_service

WORKDAYS = (0, 1, 2, 3, 4)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour))


def _contacts(ids: dict[str, int], *names: str) -> tuple[ParticipantSpec, ...]:
    return tuple(ParticipantSpec(contact_id=ids[n]) for n in names)


async def customer_support(org_id: int, ids: dict[str, int], now: datetime, monday: date) -> None:
    """The rotation rules of SPEC §9: a US holiday calendar with a company day and a worked
    holiday; a weekday rotation advancing on active turns only, skipping holidays, with a pause
    and a roster change at a later handoff; a holiday rotation on top; follow-the-sun from
    working hours with each person's own public holidays."""
    zone = "America/New_York"
    year = monday.year
    schedule = await schedule_service.create_schedule(
        org_id=org_id,
        fields=schedule_service.ScheduleFields(
            name="Customer support",
            customer="Demo Corp Support",
            default_email="support-oncall@democorp.example",
            default_phone="+1 212 555 0300",
            timezone=zone,
        ),
        tier_count=2,
        calendar=schedule_service.CalendarSpec(
            region="US",
            extra=((date(year, 12, 24), "Company day off"),),
            excluded=(date(year, 10, 12),),  # Columbus Day is worked
        ),
    )
    primary = await tier_service.get_tier_by_number(
        org_id=org_id, schedule_id=schedule.id, number=1
    )
    escalation = await tier_service.get_tier_by_number(
        org_id=org_id, schedule_id=schedule.id, number=2
    )
    weekdays = LayerSpec(
        name="Weekday desk",
        start=_at(monday, 9),
        timezone=zone,
        unit="DAY",
        participants=_contacts(
            ids, "Noah Williams", "Daniel Kim", "Sofía Márquez", "Mateus Oliveira", "Amara Okafor"
        ),
        restrictions=tuple(RestrictionSpec("WEEKLY", "09:00", 8 * 60, weekday=d) for d in WORKDAYS),
        on_holidays="SKIP",
        advance="ACTIVE_TURNS",
        pauses=((monday + timedelta(days=42), monday + timedelta(days=46)),),
    )
    [desk, _] = await layer_service.set_tier_layers(
        org_id=org_id,
        tier_id=primary.id,
        now=now,
        specs=[
            weekdays,
            LayerSpec(
                name="Holiday cover",
                start=_at(monday, 9),
                timezone=zone,
                unit="DAY",
                participants=_contacts(ids, "Fatima Haddad", "Priya Raman"),
                on_holidays="ONLY",
            ),
        ],
    )
    # Erik joins the desk in two weeks; Amara leaves then: a roster change at that handoff.
    await layer_service.update_layer(
        org_id=org_id,
        layer_id=desk.id,
        now=now,
        spec=replace(
            weekdays,
            participants=_contacts(
                ids,
                "Noah Williams",
                "Daniel Kim",
                "Sofía Márquez",
                "Mateus Oliveira",
                "Erik Lindqvist",
            ),
        ),
        effective=EffectiveSpec("AT", now + timedelta(days=14)),
    )
    hours = ("09:00", "17:00")
    await layer_service.set_tier_layers(
        org_id=org_id,
        tier_id=escalation.id,
        now=now,
        specs=[
            LayerSpec(
                name="Follow the sun (working hours)",
                start=_at(monday, 0),
                timezone="UTC",
                unit="HOUR",
                length=8,
                participants=tuple(
                    ParticipantSpec(contact_id=ids[name], working_hours=hours)
                    for name in ("Grace Liu", "Lukas Becker", "Noah Williams")
                ),
                participant_holidays=True,
            )
        ],
    )
