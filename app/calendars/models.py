"""Calendar connections, their calendars, imported busy blocks, and calendar feeds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization
    from app.contacts.models import Contact
    from app.schedules.models import Schedule
    from app.tiers.models import Tier


class CalendarConnection(Model):
    """A contact's link to one calendar account.

    ``settings`` holds what reaching the source takes (an ICS URL, or a CalDAV URL, user name
    and password): it is secret, never returned by the API and never logged. ``account_key``
    is a SHA-256 of the account's identity (provider, URL, user name) so reconnecting the same
    account finds this row without storing the identity twice; ``label`` is what may be
    shown (the host, and the CalDAV user name).
    """

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="calendar_connections", on_delete=fields.CASCADE
    )
    organization_id: int
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="calendar_connections", on_delete=fields.CASCADE
    )
    contact_id: int
    provider = fields.CharField(max_length=12)
    account_key = fields.CharField(max_length=64)
    label = fields.CharField(max_length=300)
    settings: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_connection"
        unique_together = (("contact", "account_key"),)


class ConnectedCalendar(Model):
    """One calendar of a connection, with its import toggle, filter and import status.

    ``external_id`` names it at the source (the CalDAV collection URL; "ics" for an ICS
    feed). ``etag`` is the validator of the last good fetch (an HTTP ETag, or a CalDAV ctag)
    and ``parsed_with`` the contact zone and filter its blocks were computed with: a fetch is
    skipped as unchanged only when both still hold. ``lease_until`` guards an import in
    progress so two processes never import one calendar at once.
    """

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="connected_calendars", on_delete=fields.CASCADE
    )
    organization_id: int
    connection: fields.ForeignKeyRelation[CalendarConnection] = fields.ForeignKeyField(
        "models.CalendarConnection", related_name="calendars", on_delete=fields.CASCADE
    )
    connection_id: int
    external_id = fields.CharField(max_length=1000)
    name = fields.CharField(max_length=300)
    position = fields.IntField(default=0)
    import_enabled = fields.BooleanField(default=False)
    import_filter = fields.CharField(max_length=16, default="LONG_OR_ALL_DAY")
    status = fields.CharField(max_length=10, default="PENDING")
    last_imported_at = fields.DatetimeField(null=True)
    last_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    block_count = fields.IntField(default=0)
    etag = fields.CharField(max_length=300, null=True)
    parsed_with = fields.CharField(max_length=100, null=True)
    lease_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "connected_calendar"
        indexes = (("import_enabled", "last_attempt_at"),)


class AvailabilityBlock(Model):
    """Busy time imported for a contact from one calendar: an interval, nothing else (no
    titles). Blocks of one calendar are merged (they never overlap or touch)."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="availability_blocks", on_delete=fields.CASCADE
    )
    organization_id: int
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="availability_blocks", on_delete=fields.CASCADE
    )
    contact_id: int
    calendar: fields.ForeignKeyRelation[ConnectedCalendar] = fields.ForeignKeyField(
        "models.ConnectedCalendar", related_name="blocks", on_delete=fields.CASCADE
    )
    calendar_id: int
    start = fields.DatetimeField()
    end = fields.DatetimeField()

    class Meta:
        table = "availability_block"
        indexes = (("contact_id", "end"), ("calendar_id", "start"))


class CalendarFeed(Model):
    """A revocable secret iCalendar URL of a schedule's, a tier's or a contact's confirmed
    shifts. Only a SHA-256 of the secret is kept (like API tokens).

    ``served`` is what the last fetch answered (UID -> start, end, summary, sequence, last
    change) and ``removed`` the tombstones of UIDs served before and gone since: they are sent
    as cancelled for a while so subscribed clients drop them (see ``app.calendars.feeds``).
    """

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="calendar_feeds", on_delete=fields.CASCADE
    )
    organization_id: int
    schedule: fields.ForeignKeyNullableRelation[Schedule] = fields.ForeignKeyField(
        "models.Schedule", related_name="calendar_feeds", null=True, on_delete=fields.CASCADE
    )
    schedule_id: int | None
    tier: fields.ForeignKeyNullableRelation[Tier] = fields.ForeignKeyField(
        "models.Tier", related_name="calendar_feeds", null=True, on_delete=fields.CASCADE
    )
    tier_id: int | None
    contact: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="calendar_feeds", null=True, on_delete=fields.CASCADE
    )
    contact_id: int | None
    name = fields.CharField(max_length=200, default="")
    busy = fields.BooleanField(default=True)
    secret_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)
    served: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    removed: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    last_fetched_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "calendar_feed"
