"""Demo data: one organization with contacts, groups and schedules that exercise every rule.

Everything goes through the domain services inside one transaction, so the demo obeys the
same validation as the API and either loads completely or not at all.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app import demo_rules as rules_demo
from app.auth import service as auth_service
from app.auth.roles import Actor, Role
from app.contacts import service as contact_service
from app.cover_requests import service as cover_service
from app.db import transaction
from app.groups import service as group_service
from app.layers import service as layer_service
from app.layers.service import LayerSpec, ParticipantSpec, RecurrenceSpec, RestrictionSpec
from app.ledger import service as ledger_service
from app.notifications import channels as notice_channels
from app.schedules import service as schedule_service
from app.tiers import service as tier_service

ORGANIZATION_NAME = "Demo Corp"
TOKEN_NAME = "demo admin"

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
WORKDAYS = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)


# (name, phone, zone, holiday region). Example data only: the .example domain and fictional
# numbers.
PEOPLE = (
    ("Amara Okafor", "+44 20 7946 0101", "Europe/London", "GB-ENG"),
    ("Lukas Becker", "+49 30 5550 1202", "Europe/Berlin", "DE-BE"),
    ("Chloé Dubois", "+33 1 5550 1303", "Europe/Paris", "FR"),
    ("Erik Lindqvist", "+46 8 5550 1404", "Europe/Stockholm", "SE"),
    ("Noah Williams", "+1 212 555 0105", "America/New_York", "US-NY"),
    ("Daniel Kim", "+1 415 555 0106", "America/Los_Angeles", "US-CA"),
    ("Sofía Márquez", "+52 55 5550 1707", "America/Mexico_City", "MX"),
    ("Mateus Oliveira", "+55 11 5550 1808", "America/Sao_Paulo", "BR"),
    ("Priya Raman", "+91 80 5550 1909", "Asia/Kolkata", None),
    ("Hiroshi Tanaka", "+81 3 5550 2010", "Asia/Tokyo", "JP"),
    ("Grace Liu", "+61 2 5550 2111", "Australia/Sydney", "AU-NSW"),
    ("Fatima Haddad", "+20 2 5550 2212", "Africa/Cairo", None),
)
SRE_MEMBERS = ("Amara Okafor", "Lukas Becker", "Noah Williams", "Daniel Kim", "Grace Liu")
DBA_MEMBERS = ("Priya Raman", "Hiroshi Tanaka", "Chloé Dubois", "Erik Lindqvist")


def _email(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_name.lower().replace(" ", ".") + "@democorp.example"


def _monday_before(now: datetime, zone: str) -> date:
    """The Monday of the week before ``now``'s week, in ``zone``: layers start in the past."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return today - timedelta(days=today.weekday() + 7)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock start (no offset): the layer's ``timezone`` says where the wall is."""
    return datetime.combine(day, time(hour, minute))


def _contacts(
    ids: dict[str, int], *names: str, weekdays: tuple[int, ...] | None = None
) -> tuple[ParticipantSpec, ...]:
    return tuple(ParticipantSpec(contact_id=ids[n], weekdays=weekdays) for n in names)


async def load_demo(*, now: datetime) -> tuple[int, str]:
    """Create the demo organization and its data; returns (organization id, ADMIN secret).

    Layer starts and recurrence dates are placed around ``now`` so the schedules have people
    on call today. Every call creates a new organization.
    """
    if now.tzinfo is None:
        raise ValueError("load_demo needs an aware datetime")
    async with transaction():
        org = await auth_service.create_organization(name=ORGANIZATION_NAME)
        _, secret = await auth_service.create_token(org_id=org.id, name=TOKEN_NAME, role=Role.ADMIN)
        ids: dict[str, int] = {}
        for name, phone, zone, region in PEOPLE:
            contact = await contact_service.create_contact(
                org_id=org.id,
                fields=contact_service.ContactFields(
                    name=name,
                    email=_email(name),
                    phone=phone,
                    timezone=zone,
                    holiday_region=region,
                ),
            )
            ids[name] = contact.id
        sres = await group_service.create_group(
            org_id=org.id,
            name="Platform SREs",
            member_ids=[ids[n] for n in SRE_MEMBERS],
        )
        dbas = await group_service.create_group(
            org_id=org.id,
            name="Database team",
            member_ids=[ids[n] for n in DBA_MEMBERS],
        )
        await _platform(org.id, ids, sres.id, now)
        await _database(org.id, ids, dbas.id, now)
        payments = await _payments(org.id, ids, now)
        await _pay_rule(org.id, payments, now)
        await _notice_channel(org.id, ids, now)
        await _cover_request(org.id, ids, payments, now)
        await rules_demo.customer_support(org.id, ids, now, _monday_before(now, "America/New_York"))
    return org.id, secret


async def _pay_rule(org_id: int, schedule_id: int, now: datetime) -> None:
    """Payments API pays on-call time hourly from today (Berlin): nights 1.5x, weekends 2x,
    holidays 3x (the highest applies)."""
    await ledger_service.set_pay_rule(
        org_id=org_id,
        schedule_id=schedule_id,
        spec=ledger_service.PayRuleSpec(
            effective_from=now.astimezone(ZoneInfo("Europe/Berlin")).date(),
            currency="EUR",
            basis="HOURLY",
            rate=Decimal("4.50"),
            night_multiplier=Decimal("1.5"),
            weekend_multiplier=Decimal("2"),
            holiday_multiplier=Decimal("3"),
        ),
        now=now,
    )


async def _schedule(
    org_id: int, *, name: str, customer: str, timezone: str, email: str, phone: str
) -> tuple[int, int, int]:
    """A schedule with tiers 1 (Primary) and 2 (Escalation); returns the two tier ids and the
    schedule's."""
    schedule = await schedule_service.create_schedule(
        org_id=org_id,
        fields=schedule_service.ScheduleFields(
            name=name,
            customer=customer,
            default_email=email,
            default_phone=phone,
            timezone=timezone,
        ),
        tier_count=2,
    )
    tier_ids = []
    for number, tier_name in ((1, "Primary"), (2, "Escalation")):
        tier = await tier_service.get_tier_by_number(
            org_id=org_id, schedule_id=schedule.id, number=number
        )
        await tier_service.update_tier(org_id=org_id, tier_id=tier.id, name=tier_name)
        tier_ids.append(tier.id)
    return tier_ids[0], tier_ids[1], schedule.id


async def _platform(org_id: int, ids: dict[str, int], sres: int, now: datetime) -> None:
    """Weekly primary from a group, a weekend window, a pair of secondaries (k=2)."""
    zone = "Europe/London"
    monday = _monday_before(now, zone)
    primary, escalation, _ = await _schedule(
        org_id,
        name="Platform",
        customer="Demo Corp Platform",
        timezone=zone,
        email="platform-oncall@democorp.example",
        phone="+44 20 7946 0000",
    )
    await layer_service.set_tier_layers(
        org_id=org_id,
        tier_id=primary,
        specs=[
            LayerSpec(
                name="Weekly primary",
                start=_at(monday, 9),
                timezone=zone,
                unit="WEEK",
                participants=(ParticipantSpec(group_id=sres),),
            ),
            LayerSpec(
                name="Weekend cover",
                start=_at(monday, 9),
                timezone=zone,
                unit="WEEK",
                participants=_contacts(ids, "Mateus Oliveira", "Fatima Haddad"),
                # Friday 18:00 until Monday 09:00.
                restrictions=(RestrictionSpec("WEEKLY", "18:00", 63 * 60, weekday=FRIDAY),),
            ),
        ],
    )
    await layer_service.set_tier_layers(
        org_id=org_id,
        tier_id=escalation,
        specs=[
            LayerSpec(
                name="Secondary pair",
                start=_at(monday, 9),
                timezone=zone,
                unit="WEEK",
                on_call=2,
                to_rotate=1,
                min_staff=1,
                participants=_contacts(
                    ids, "Lukas Becker", "Noah Williams", "Daniel Kim", "Amara Okafor"
                ),
            )
        ],
    )


async def _database(org_id: int, ids: dict[str, int], dbas: int, now: datetime) -> None:
    """Daily business-hours turns with a weekday-only participant, a monthly manager rota."""
    zone = "America/New_York"
    monday = _monday_before(now, zone)
    primary, escalation, _ = await _schedule(
        org_id,
        name="Databases",
        customer="Demo Corp Data",
        timezone=zone,
        email="dba-oncall@democorp.example",
        phone="+1 212 555 0100",
    )
    await layer_service.set_tier_layers(
        org_id=org_id,
        tier_id=primary,
        specs=[
            LayerSpec(
                name="Business hours",
                start=_at(monday, 9),
                timezone=zone,
                unit="DAY",
                participants=(
                    ParticipantSpec(group_id=dbas),
                    *_contacts(ids, "Sofía Márquez", weekdays=WORKDAYS),
                ),
                restrictions=(RestrictionSpec("DAILY", "09:00", 8 * 60),),
            ),
            LayerSpec(
                name="Release weeks",
                start=_at(monday, 9),
                timezone=zone,
                unit="DAY",
                participants=_contacts(ids, "Erik Lindqvist", "Priya Raman"),
                # Every second week, counted from the recurrence's first day.
                recurrence=RecurrenceSpec("PERIODIC", start=monday, every_n=2),
            ),
        ],
    )
    await layer_service.set_tier_layers(
        org_id=org_id,
        tier_id=escalation,
        specs=[
            LayerSpec(
                name="Engineering manager",
                start=_at(monday.replace(day=1), 9),
                timezone=zone,
                unit="MONTH",
                direction="BACKWARD",
                participants=_contacts(ids, "Noah Williams", "Chloé Dubois", "Hiroshi Tanaka"),
            )
        ],
    )


async def _payments(org_id: int, ids: dict[str, int], now: datetime) -> int:
    """Follow-the-sun hours, office-day and one-off freeze layers (REPEAT, ICAL, OCCURRENCE)."""
    zone = "UTC"
    monday = _monday_before(now, zone)
    primary, escalation, schedule_id = await _schedule(
        org_id,
        name="Payments API",
        customer="Demo Corp Payments",
        timezone="Europe/Berlin",
        email="payments-oncall@democorp.example",
        phone="+49 30 5550 1000",
    )
    await layer_service.set_tier_layers(
        org_id=org_id,
        tier_id=primary,
        specs=[
            LayerSpec(
                name="Follow the sun",
                start=_at(monday, 0),
                timezone=zone,
                unit="HOUR",
                length=8,
                participants=_contacts(ids, "Hiroshi Tanaka", "Lukas Becker", "Daniel Kim"),
                recurrence=RecurrenceSpec("REPEAT", start=monday),
            ),
            LayerSpec(
                name="Change freeze",
                start=_at(monday, 0),
                timezone=zone,
                unit="DAY",
                participants=_contacts(ids, "Grace Liu", "Amara Okafor"),
                recurrence=RecurrenceSpec(
                    "OCCURRENCE", start=monday + timedelta(days=21), end=monday + timedelta(days=27)
                ),
            ),
        ],
    )
    await layer_service.set_tier_layers(
        org_id=org_id,
        tier_id=escalation,
        specs=[
            LayerSpec(
                name="Office days",
                start=_at(monday, 8),
                timezone="Europe/Berlin",
                unit="WEEK",
                participants=_contacts(ids, "Chloé Dubois", "Fatima Haddad", "Mateus Oliveira"),
                recurrence=RecurrenceSpec("ICAL", start=monday, rule="FREQ=WEEKLY;BYDAY=MO,TU,TH"),
            )
        ],
    )
    return schedule_id


FOLLOW_THE_SUN = ("Hiroshi Tanaka", "Lukas Becker", "Daniel Kim")


async def _notice_channel(org_id: int, ids: dict[str, int], now: datetime) -> None:
    """The first follow-the-sun person gets reminders and change notices by email (marked
    verified: demo addresses receive no code), 30 minutes ahead, quiet from 22:00 to 07:00."""
    name = FOLLOW_THE_SUN[0]
    await notice_channels.create_channel(
        org_id=org_id,
        fields=notice_channels.ChannelFields(
            kind="EMAIL", address=_email(name), contact_id=ids[name]
        ),
        verified=True,
        now=now,
    )
    await notice_channels.set_preference(
        org_id=org_id,
        contact_id=ids[name],
        changes={"lead_minutes": 30, "quiet_start": "22:00", "quiet_end": "07:00"},
    )


async def _cover_request(org_id: int, ids: dict[str, int], schedule_id: int, now: datetime) -> None:
    """Personal tokens for the follow-the-sun people, and a cover request with one offer:
    whoever holds the next 8-hour turn of Payments API asks for its second and third hours,
    and the next person in the rotation offers to cover them."""
    for name in FOLLOW_THE_SUN:
        await auth_service.create_token(
            org_id=org_id, name="demo personal token", role=Role.PERSON, contact_id=ids[name]
        )
    monday = datetime.combine(_monday_before(now, "UTC"), time(0), tzinfo=ZoneInfo("UTC"))
    turn = (now - monday) // timedelta(hours=8) + 1
    start = monday + turn * timedelta(hours=8)
    requester = FOLLOW_THE_SUN[turn % 3]
    editor = Actor(org_id=org_id, token_id=0)
    request = await cover_service.request_cover(
        actor=editor,
        schedule_id=schedule_id,
        requester_id=ids[requester],
        start=start + timedelta(hours=1),
        end=start + timedelta(hours=3),
        note="School run; back by the third hour",
        now=now,
        max_days=366,
    )
    await cover_service.offer_cover(
        actor=editor,
        request_id=request.id,
        contact_id=ids[FOLLOW_THE_SUN[(turn + 1) % 3]],
        now=now,
    )
