"""Calendar connections: connect (source reached first), calendars with import toggles and
filters, imported busy blocks, availability, and the tiers they affect.

Reaching a source is network I/O: ``reach`` runs before the mutation's transaction and
raises BAD_USER_INPUT when the source cannot be used, so a failed connect writes nothing.
Settings (ICS URLs, passwords) are stored on the connection and never leave this module
except towards the source. Every change of a contact's busy blocks bumps the tiers whose
layers involve the contact (directly or through a group), which recomputes their confirmed
future before the write commits.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import cast

from tortoise.expressions import Q

from app import outbound, validation
from app.calendars import busy as _busy  # noqa: F401 - registers the busy-time source
from app.calendars import models, parsing
from app.calendars import providers as provider_registry
from app.calendars.providers import SourceCalendar, SourceError, SourceSettings
from app.calendars.providers.ics_url import normalize as normalize_ics_url
from app.contacts import service as contact_service
from app.engine.intervals import Span, union
from app.errors import BadUserInput, Collector, FieldError, NotFound
from app.groups import models as group_models
from app.layers import models as layer_models
from app.settings import Settings
from app.tiers import service as tier_service

STATUSES = ("PENDING", "IMPORTING", "OK", "ERROR")
IMPORT_BACK = timedelta(days=1)
IMPORT_AHEAD = timedelta(days=366)
MAX_CONNECTIONS_PER_CONTACT = 20


@dataclass(frozen=True)
class ConnectSpec:
    """A connect request, ids decoded. An omitted CALDAV password is taken from the stored
    connection of the same account (same contact, server URL and user name)."""

    contact_id: int
    provider: str
    settings: SourceSettings


@dataclass(frozen=True)
class ImportChoice:
    """One calendar's import toggle; ``filter`` None keeps the current filter."""

    calendar_id: int
    enabled: bool
    filter: str | None = None


def import_window(now: datetime) -> tuple[datetime, datetime]:
    """[now - 1 day, now + 366 days): what an import reads and stores."""
    return now - IMPORT_BACK, now + IMPORT_AHEAD


def _account_key(provider: str, identity: str) -> str:
    return hashlib.sha256(f"{provider}|{identity}".encode()).hexdigest()


# ------------------------------------------------------------------------------ reads


async def get_connection(*, org_id: int, connection_id: int) -> models.CalendarConnection:
    row = await models.CalendarConnection.get_or_none(id=connection_id, organization_id=org_id)
    if row is None:
        raise NotFound("CalendarConnection", connection_id)
    return row


async def calendars_of(connection_ids: Sequence[int]) -> dict[int, list[models.ConnectedCalendar]]:
    out: dict[int, list[models.ConnectedCalendar]] = {pk: [] for pk in connection_ids}
    for row in await models.ConnectedCalendar.filter(
        connection_id__in=set(connection_ids)
    ).order_by("connection_id", "position", "id"):
        out.setdefault(row.connection_id, []).append(row)
    return out


# ------------------------------------------------------------------------------ connect


async def prepare_connect(*, org_id: int, spec: ConnectSpec) -> ConnectSpec:
    """Check a connect request and fill in what reconnecting the same account reuses.

    Errors name ``settings.<field>``; the contact must be of the organization.
    """
    await contact_service.get_contact(org_id=org_id, contact_id=spec.contact_id)
    if spec.provider not in provider_registry.PROVIDERS:
        raise BadUserInput(
            f"must be one of {', '.join(provider_registry.PROVIDERS)}", field="provider"
        )
    provider = provider_registry.get(spec.provider)
    settings = spec.settings
    url = settings.url.strip()
    settings = replace(
        settings,
        url=normalize_ics_url(url) if spec.provider == "ICS_URL" else url,
        username=(settings.username or "").strip() or None,
        password=settings.password or None,
    )
    if spec.provider == "CALDAV" and settings.password is None and settings.username:
        identity, _ = provider.account(settings)
        known = await models.CalendarConnection.get_or_none(
            organization_id=org_id,
            contact_id=spec.contact_id,
            account_key=_account_key(spec.provider, identity),
        )
        if known is not None:
            stored = SourceSettings.from_json(known.settings)
            settings = replace(settings, password=stored.password)
    errors = Collector("settings.")
    for field, message in provider.check(settings):
        errors.add(field, message)
    errors.raise_if_any()
    return replace(spec, settings=settings)


async def reach(*, spec: ConnectSpec, config: Settings) -> list[SourceCalendar]:
    """Reach the source and list its calendars (network I/O: call outside a transaction).

    An unusable source is BAD_USER_INPUT naming ``settings.url`` (unreachable, not found,
    not a calendar) or the credential (``settings.password``; for an ICS URL, whose secret
    is the URL, ``settings.url``), with a message that shows the host only.
    """
    provider = provider_registry.get(spec.provider)
    try:
        async with outbound.session(
            config, total_seconds=config.calendar_timeout_seconds
        ) as session:
            return await provider.discover(session, spec.settings, config)
    except SourceError as exc:
        field = (
            "settings.password"
            if exc.kind == "AUTH" and spec.provider == "CALDAV"
            else "settings.url"
        )
        raise BadUserInput([FieldError(field, exc.describe())]) from None


async def save_connection(
    *, org_id: int, spec: ConnectSpec, calendars: Sequence[SourceCalendar]
) -> models.CalendarConnection:
    """Create the connection, or update the one of the same account: its settings are
    replaced, its calendars follow the source (new ones added with import off, vanished
    ones removed with their blocks), and the toggles and filters of the rest stay."""
    provider = provider_registry.get(spec.provider)
    identity, label = provider.account(spec.settings)
    key = _account_key(spec.provider, identity)
    row = await models.CalendarConnection.get_or_none(
        organization_id=org_id, contact_id=spec.contact_id, account_key=key
    )
    if row is None:
        count = await models.CalendarConnection.filter(contact_id=spec.contact_id).count()
        if count >= MAX_CONNECTIONS_PER_CONTACT:
            raise BadUserInput(
                f"a contact has at most {MAX_CONNECTIONS_PER_CONTACT} calendar connections",
                field="contactId",
            )
        row = await models.CalendarConnection.create(
            organization_id=org_id,
            contact_id=spec.contact_id,
            provider=spec.provider,
            account_key=key,
            label=label[:300],
            settings=spec.settings.as_json(),
        )
    else:
        row.settings = spec.settings.as_json()
        row.label = label[:300]
        await row.save(update_fields=["settings", "label", "updated_at"])
    existing = {c.external_id: c for c in (await calendars_of([row.id]))[row.id]}
    seen: set[str] = set()
    for position, source in enumerate(calendars):
        if source.external_id in seen:
            continue
        seen.add(source.external_id)
        current = existing.get(source.external_id)
        if current is None:
            await models.ConnectedCalendar.create(
                organization_id=org_id,
                connection_id=row.id,
                external_id=source.external_id,
                name=source.name,
                position=position,
            )
        elif current.name != source.name or current.position != position:
            current.name, current.position = source.name, position
            await current.save(update_fields=["name", "position", "updated_at"])
    gone = [c for external_id, c in existing.items() if external_id not in seen]
    if gone:
        had_blocks = any(c.block_count for c in gone)
        await models.ConnectedCalendar.filter(id__in=[c.id for c in gone]).delete()
        if had_blocks:
            await bump_contacts(org_id=org_id, contact_ids={spec.contact_id})
    return row


# ------------------------------------------------------------------------------ imports


async def set_imports(
    *, org_id: int, connection_id: int, choices: Sequence[ImportChoice]
) -> tuple[models.CalendarConnection, list[int]]:
    """Save import toggles and filters; returns the connection and the calendars to import.

    Turning a calendar off removes its blocks (the contact is available again); turning it
    on, or changing its filter, makes it PENDING until the next import. Unknown calendar ids
    name ``imports.<i>.calendarId``; a calendar named twice is refused.
    """
    connection = await get_connection(org_id=org_id, connection_id=connection_id)
    calendars = {c.id: c for c in (await calendars_of([connection.id]))[connection.id]}
    errors = Collector("imports.")
    seen: set[int] = set()
    for i, choice in enumerate(choices):
        e = errors.child(str(i))
        if choice.calendar_id not in calendars:
            e.add("calendarId", "is not a calendar of this connection")
        elif choice.calendar_id in seen:
            e.add("calendarId", "is named twice")
        seen.add(choice.calendar_id)
        if choice.filter is not None and choice.filter not in parsing.FILTERS:
            e.add("filter", f"must be one of {', '.join(parsing.FILTERS)}")
    errors.raise_if_any()
    removed_blocks = False
    for choice in choices:
        row = calendars[choice.calendar_id]
        new_filter = choice.filter or row.import_filter
        if not choice.enabled:
            if row.import_enabled or row.block_count:
                removed_blocks = removed_blocks or row.block_count > 0
                await models.AvailabilityBlock.filter(calendar_id=row.id).delete()
                await models.ConnectedCalendar.filter(id=row.id).update(
                    import_enabled=False,
                    import_filter=new_filter,
                    status="PENDING",
                    block_count=0,
                    last_error=None,
                    etag=None,
                    parsed_with=None,
                    lease_until=None,
                )
            elif new_filter != row.import_filter:
                await models.ConnectedCalendar.filter(id=row.id).update(import_filter=new_filter)
        elif not row.import_enabled or new_filter != row.import_filter:
            await models.ConnectedCalendar.filter(id=row.id).update(
                import_enabled=True, import_filter=new_filter, status="PENDING", last_error=None
            )
    if removed_blocks:
        await bump_contacts(org_id=org_id, contact_ids={connection.contact_id})
    enabled = [
        c.id
        for c in calendars.values()
        if next((ch.enabled for ch in choices if ch.calendar_id == c.id), c.import_enabled)
    ]
    return connection, enabled


async def enabled_calendar_ids(*, org_id: int, connection_id: int) -> list[int]:
    await get_connection(org_id=org_id, connection_id=connection_id)
    ids = await models.ConnectedCalendar.filter(
        connection_id=connection_id, import_enabled=True
    ).values_list("id", flat=True)
    return sorted(cast(list[int], ids))


async def disconnect(*, org_id: int, connection_id: int) -> int:
    """Remove a connection, its calendars and their blocks; returns the contact's id."""
    connection = await get_connection(org_id=org_id, connection_id=connection_id)
    had_blocks = await models.AvailabilityBlock.filter(
        calendar__connection_id=connection.id
    ).exists()
    await connection.delete()  # calendars and blocks cascade
    if had_blocks:
        await bump_contacts(org_id=org_id, contact_ids={connection.contact_id})
    return connection.contact_id


async def replace_blocks(
    *, calendar: models.ConnectedCalendar, contact_id: int, spans: Sequence[Span]
) -> bool:
    """Make the calendar's stored blocks equal ``spans`` (merged, aware); True when they
    changed, in which case the contact's tiers were bumped. Run inside a transaction."""
    current = [
        (s.astimezone(UTC), e.astimezone(UTC))
        for s, e in await models.AvailabilityBlock.filter(calendar_id=calendar.id)
        .order_by("start")
        .values_list("start", "end")
    ]
    wanted = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in union(spans)]
    if current == wanted:
        return False
    await models.AvailabilityBlock.filter(calendar_id=calendar.id).delete()
    await models.AvailabilityBlock.bulk_create(
        [
            models.AvailabilityBlock(
                organization_id=calendar.organization_id,
                contact_id=contact_id,
                calendar_id=calendar.id,
                start=s,
                end=e,
            )
            for s, e in wanted
        ],
        batch_size=500,
    )
    await bump_contacts(org_id=calendar.organization_id, contact_ids={contact_id})
    return True


# ------------------------------------------------------------------------------ effects


async def tiers_of_contacts(*, org_id: int, contact_ids: set[int]) -> set[int]:
    """Tiers with a layer naming one of the contacts, directly or through a group."""
    if not contact_ids:
        return set()
    group_ids = set(
        await group_models.GroupMember.filter(contact_id__in=contact_ids).values_list(
            "group_id", flat=True
        )
    )
    condition = Q(participants__contact_id__in=contact_ids)
    if group_ids:
        condition |= Q(participants__group_id__in=group_ids)
    found = (
        await layer_models.Layer.filter(condition, organization_id=org_id)
        .distinct()
        .values_list("tier_id", flat=True)
    )
    return set(cast(list[int], found))


async def bump_contacts(*, org_id: int, contact_ids: set[int]) -> None:
    """The contacts' busy time changed: their tiers' timelines and confirmed future follow."""
    await tier_service.bump_version(
        tier_ids=await tiers_of_contacts(org_id=org_id, contact_ids=contact_ids)
    )


# ------------------------------------------------------------------------------ availability


def check_window(start: datetime, end: datetime, *, max_days: int) -> None:
    errors = Collector()
    validation.read_window(errors, start, end, max_days=max_days)
    errors.raise_if_any()


@dataclass(frozen=True)
class BusySpan:
    start: datetime
    end: datetime
    sources: tuple[str, ...]  # CALENDAR and / or SUBSTITUTION


AvailabilityKey = tuple[int, datetime, datetime]


async def availability_many(
    keys: Sequence[AvailabilityKey], *, org_id: int
) -> list[list[BusySpan]]:
    """Busy time of each (contact, from, to): imported blocks and the contact's ACTIVE
    organization-wide unavailability substitutions (schedule-specific ones apply to one
    schedule only and are left out), merged, each merged span naming its sources. Two
    queries for any number of keys."""
    from app.engine import substitution_occurrences
    from app.substitutions import models as substitution_models
    from app.substitutions import occurrences as substitution_seam

    if not keys:
        return []
    contact_ids = {k[0] for k in keys}
    lo, hi = min(k[1] for k in keys), max(k[2] for k in keys)
    blocks: dict[int, list[Span]] = defaultdict(list)
    for contact_id, start, end in await models.AvailabilityBlock.filter(
        organization_id=org_id, contact_id__in=contact_ids, start__lt=hi, end__gt=lo
    ).values_list("contact_id", "start", "end"):
        blocks[contact_id].append((start.astimezone(UTC), end.astimezone(UTC)))
    subs = await substitution_models.Substitution.filter(
        organization_id=org_id,
        contact_id__in=contact_ids,
        replacement_id=None,
        schedule_id=None,
        status="ACTIVE",
    )
    out = []
    for contact_id, start, end in keys:
        tagged: list[tuple[datetime, datetime, str]] = [
            (max(s, start), min(e, end), "CALENDAR")
            for s, e in blocks.get(contact_id, [])
            if s < end and e > start
        ]
        for sub in subs:
            if sub.contact_id != contact_id:
                continue
            zone = substitution_seam.zone_of(sub, None)
            for interval in substitution_occurrences(
                substitution_seam.engine_input(sub, zone), start, end
            ):
                tagged.append((interval.start, interval.end, "SUBSTITUTION"))
        out.append(_merge_tagged(tagged))
    return out


def _merge_tagged(tagged: list[tuple[datetime, datetime, str]]) -> list[BusySpan]:
    merged: list[tuple[datetime, datetime, set[str]]] = []
    for start, end, source in sorted(tagged):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            s, e, sources = merged[-1]
            merged[-1] = (s, max(e, end), sources | {source})
        else:
            merged.append((start, end, {source}))
    return [BusySpan(s, e, tuple(sorted(src))) for s, e, src in merged]
