from __future__ import annotations

import strawberry

from app.api.context import Info, viewer
from app.api.relay import Node, split_id
from app.calendars.types import (
    CalendarConnectionType,
    CalendarFeedType,
    ConnectedCalendarType,
)
from app.contacts.types import ContactType
from app.cover_requests.types import CoverOfferType, CoverRequestType
from app.destinations.types import DestinationType
from app.errors import NotFound
from app.groups.types import GroupType
from app.layers.types import LayerType
from app.notifications.types import NoticeType, NotificationChannelType
from app.on_demand_shifts.types import OnDemandShiftType
from app.schedules.types import ScheduleType
from app.substitutions.types import SubstitutionType
from app.tiers.types import TierType

_TYPES = {
    "Contact": ("contact", ContactType),
    "Group": ("group", GroupType),
    "Schedule": ("schedule", ScheduleType),
    "Tier": ("tier", TierType),
    "Layer": ("layer", LayerType),
    "Substitution": ("substitution", SubstitutionType),
    "OnDemandShift": ("on_demand_shift", OnDemandShiftType),
    "Destination": ("destination", DestinationType),
    "CalendarConnection": ("calendar_connection", CalendarConnectionType),
    "ConnectedCalendar": ("connected_calendar", ConnectedCalendarType),
    "CalendarFeed": ("calendar_feed", CalendarFeedType),
    "CoverRequest": ("cover_request", CoverRequestType),
    "CoverOffer": ("cover_offer", CoverOfferType),
    "NotificationChannel": ("notification_channel", NotificationChannelType),
    "Notice": ("notice", NoticeType),
}


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global id; another organization's is NOT_FOUND."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node:
        viewer(info)
        type_name, pk = split_id(id)
        if type_name not in _TYPES:
            raise NotFound("Node", id)
        loader_name, cls = _TYPES[type_name]
        row = await getattr(info.context.loaders, loader_name).load(pk)
        if row is None:
            raise NotFound(type_name, id)
        return cls.from_model(row)  # type: ignore[attr-defined, no-any-return]
