"""Per-request DataLoaders. Each filters by the caller's organization."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from app.calendars import models as calendar_models
from app.calendars import service as calendar_service
from app.contacts import models as contact_models
from app.cover_requests import models as cover_models
from app.destinations import models as destination_models
from app.groups import models as group_models
from app.layers import models as layer_models
from app.notifications import models as notice_models
from app.on_demand_shifts import models as on_demand_models
from app.schedules import models as schedule_models
from app.substitutions import models as substitution_models
from app.substitutions import query as substitution_query
from app.tiers import models as tier_models

M = TypeVar("M", bound=Model)


def by_id(model: type[M], org_id: int) -> DataLoader[int, M | None]:
    async def load(keys: list[int]) -> Sequence[M | None]:
        rows = await model.filter(id__in=set(keys), organization_id=org_id)
        found = {row.pk: row for row in rows}
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)


def children(
    model: type[M], parent_field: str, order_by: str, org_id: int | None = None
) -> DataLoader[int, list[M]]:
    async def load(keys: list[int]) -> Sequence[list[M]]:
        filters: dict[str, Any] = {f"{parent_field}__in": set(keys)}
        if org_id is not None:
            filters["organization_id"] = org_id
        grouped: dict[int, list[M]] = defaultdict(list)
        for row in await model.filter(**filters).order_by(parent_field, order_by):
            grouped[getattr(row, parent_field)].append(row)
        return [grouped.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


async def _on_demand_contacts(keys: list[int]) -> Sequence[list[int]]:
    from app.on_demand_shifts import service

    found = await service.contact_ids_of(keys)
    return [found[k] for k in keys]


class Loaders:
    """Fresh per request (and per subscription event), so nothing goes stale."""

    def __init__(self, org_id: int) -> None:
        self.org_id = org_id
        self.contact = by_id(contact_models.Contact, org_id)
        self.group = by_id(group_models.Group, org_id)
        self.schedule = by_id(schedule_models.Schedule, org_id)
        self.tier = by_id(tier_models.Tier, org_id)
        self.layer = by_id(layer_models.Layer, org_id)
        self.group_members = children(group_models.GroupMember, "group_id", "position")
        self.tiers_by_schedule = self._priming(
            children(tier_models.Tier, "schedule_id", "number", org_id), self.tier
        )
        self.layers_by_tier = children(layer_models.Layer, "tier_id", "index", org_id)
        self.participants_by_layer = children(layer_models.LayerParticipant, "layer_id", "position")
        self.on_demand_shift = by_id(on_demand_models.OnDemandShift, org_id)
        self.destination = by_id(destination_models.Destination, org_id)
        self.notification_channel = by_id(notice_models.NotificationChannel, org_id)
        self.notice = by_id(notice_models.Notice, org_id)
        self.destinations_by_schedule = children(
            destination_models.Destination, "schedule_id", "name", org_id
        )
        self.on_demand_contacts: DataLoader[int, list[int]] = DataLoader(
            load_fn=_on_demand_contacts
        )
        self.tier_shifts: DataLoader[tuple[int, datetime, datetime], list[Any]] = DataLoader(
            load_fn=self._tier_shifts
        )
        self.substitution = by_id(substitution_models.Substitution, org_id)
        # (owner kind, owner id, criteria) -> a contact's or schedule's substitutions
        self.substitutions_of: DataLoader[
            substitution_query.OwnerKey, list[substitution_models.Substitution]
        ] = DataLoader(load_fn=partial(substitution_query.load_owned, org_id=org_id))
        # Calendars: connections of a contact, calendars of a connection, busy time.
        self.calendar_connection = by_id(calendar_models.CalendarConnection, org_id)
        self.calendar_connections_by_contact = children(
            calendar_models.CalendarConnection, "contact_id", "id", org_id
        )
        self.connected_calendar = by_id(calendar_models.ConnectedCalendar, org_id)
        self.calendars_by_connection = children(
            calendar_models.ConnectedCalendar, "connection_id", "position", org_id
        )
        self.calendar_feed = by_id(calendar_models.CalendarFeed, org_id)
        self.cover_request = by_id(cover_models.CoverRequest, org_id)
        self.cover_offer = by_id(cover_models.CoverOffer, org_id)
        self.offers_by_request = children(cover_models.CoverOffer, "cover_request_id", "id", org_id)
        self.contact_availability: DataLoader[
            calendar_service.AvailabilityKey, list[calendar_service.BusySpan]
        ] = DataLoader(load_fn=partial(calendar_service.availability_many, org_id=org_id))

    @staticmethod
    def _priming(
        loader: DataLoader[int, list[M]], by_id_loader: DataLoader[int, M | None]
    ) -> DataLoader[int, list[M]]:
        """Wrap a children loader so the rows it loads also fill the by-id loader."""
        inner = loader.load_fn

        async def load(keys: list[int]) -> Sequence[list[M] | BaseException]:
            result = list(await inner(keys))
            for rows in result:
                if not isinstance(rows, BaseException):
                    for row in rows:
                        by_id_loader.prime(row.pk, row)
            return result

        return DataLoader(load_fn=load)

    async def _tier_shifts(self, keys: list[tuple[int, datetime, datetime]]) -> Sequence[list[Any]]:
        """Final shifts per (tier, window): tiers come from the by-id loader (usually already
        primed by tiers_by_schedule), then one computation per window for all of them."""
        from app import clock
        from app.shifts import final as final_shifts

        by_window: dict[tuple[datetime, datetime], set[int]] = defaultdict(set)
        for tier_id, start, end in keys:
            by_window[(start, end)].add(tier_id)
        rows = await self.tier.load_many(sorted({k[0] for k in keys}))
        tiers = {t.id: t for t in rows if t is not None}
        found: dict[tuple[int, datetime, datetime], list[Any]] = {}
        # The answer does not change as now moves: history rows and the computation agree
        # from the first confirmation on (confirmation runs inside every input change), so
        # reading the clock here does not make the response clock-dependent.
        now = clock.now_valid_until()
        for (start, end), ids in by_window.items():
            chosen = [tiers[i] for i in sorted(ids) if i in tiers]
            shifts = await final_shifts.tier_shifts(
                org_id=self.org_id, tiers=chosen, start=start, end=end, now=now
            )
            for tier_id, values in shifts.items():
                found[(tier_id, start, end)] = values
        return [found.get(k, []) for k in keys]
