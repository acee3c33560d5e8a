from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry.scalars import JSON

from app.api.context import Info
from app.api.lazy import from_lazy
from app.api.relay import Node, encode_id
from app.auth.roles import Role
from app.destinations import models
from app.destinations.adapters import adapter_for
from app.destinations.adapters.base import redacted

if TYPE_CHECKING:
    from app.schedules.types import ScheduleType

_SCHEDULES = strawberry.lazy("app.schedules.types")


@strawberry.enum(description="Where a destination sends its shifts.")
class DestinationKind(enum.Enum):
    WEBHOOK = "WEBHOOK"
    PAGERDUTY = "PAGERDUTY"
    CALDAV = "CALDAV"


@strawberry.enum(
    description="PENDING: nothing confirmed yet or the first export has not finished. "
    "ERROR: a running or imminent (within 72 h) shift is not exported. WARNING: only shifts "
    "further ahead are not exported. OK: everything confirmed is exported."
)
class ExportStatus(enum.Enum):
    PENDING = "PENDING"
    OK = "OK"
    WARNING = "WARNING"
    ERROR = "ERROR"


@strawberry.type(
    name="Destination",
    description="An export target of a schedule, fed by one assignee position of one tier. "
    "Secrets are write-only: `secretKeys` names the ones that are set.",
)
class DestinationType(Node):
    pk: strawberry.Private[int]
    schedule_pk: strawberry.Private[int]
    name: str
    kind: DestinationKind
    tier_number: int
    position: int = strawberry.field(description="Assignee position: 1 = primary, 2 = secondary…")
    auto_export: bool
    config_value: strawberry.Private[dict[str, Any]]
    secret_keys: list[str]
    exported_until: datetime | None = strawberry.field(
        description="The end of the last shift the destination has received."
    )
    status: ExportStatus
    status_reason: str | None = strawberry.field(
        description="Why the status is WARNING or ERROR, for people (null otherwise)."
    )
    last_error: str | None = strawberry.field(
        description="The last failed export's error; null once an export succeeds."
    )
    last_attempt_at: datetime | None
    last_success_at: datetime | None

    @strawberry.field(
        description="The destination's settings. Values that are credentials (a webhook's "
        "`url`, a CalDAV `url` and `username`) are shown to EDITOR and above; a VIEWER reads "
        "them redacted (a URL keeps its scheme and host: `https://hooks.example.com/***`)."
    )
    def config(self, info: Info) -> JSON:
        auth = info.context.auth
        if auth is not None and auth.role.allows(Role.EDITOR):
            return JSON(self.config_value)
        return JSON(redacted(adapter_for(self.kind.value), self.config_value))

    @strawberry.field
    async def schedule(
        self, info: Info
    ) -> Annotated[ScheduleType, strawberry.lazy("app.schedules.types")]:
        ScheduleType = from_lazy(_SCHEDULES, "ScheduleType")
        row = await info.context.loaders.schedule.load(self.schedule_pk)
        assert row is not None
        return ScheduleType.from_model(row)

    @classmethod
    def from_model(cls, m: models.Destination) -> Self:
        return cls(
            id=encode_id("Destination", m.id),
            pk=m.id,
            schedule_pk=m.schedule_id,
            name=m.name,
            kind=DestinationKind(m.kind),
            tier_number=m.tier_number,
            position=m.position,
            auto_export=m.auto_export,
            config_value=dict(m.config),
            secret_keys=sorted(m.secrets),
            exported_until=m.exported_until,
            status=ExportStatus(m.status),
            status_reason=m.status_reason,
            last_error=m.last_error,
            last_attempt_at=m.last_attempt_at,
            last_success_at=m.last_success_at,
        )


@strawberry.input
class CreateDestinationInput:
    schedule_id: strawberry.ID
    name: str
    kind: DestinationKind
    tier_number: int = 1
    position: int = 1
    auto_export: bool = True
    # No object default: introspection (graphql-core and graphql-js alike) cannot write a
    # JSON object as a default value, so "omitted" is null here and means {}.
    config: JSON | None = strawberry.field(
        default=None, description="The kind's settings (a JSON object); omitted or null: {}."
    )
    secrets: JSON | None = strawberry.field(
        default=None,
        description="Write-only: never returned, never logged. A JSON object; omitted or null: {}.",
    )


@strawberry.input(
    description="Omitted fields stay. `secrets` merge key by key; a key set to null is removed."
)
class UpdateDestinationInput:
    name: str | None = strawberry.UNSET
    tier_number: int | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    auto_export: bool | None = strawberry.UNSET
    config: JSON | None = strawberry.UNSET
    secrets: JSON | None = strawberry.UNSET


def json_object(value: Any, field: str) -> dict[str, Any]:
    from app.errors import BadUserInput

    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadUserInput("must be a JSON object", field=field)
    return value
