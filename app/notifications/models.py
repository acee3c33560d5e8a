"""Stored notification state: channels, per-contact preferences, notices and what the
planner last saw (a person's shifts per tier, alert states)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class NotificationChannel(Model):
    """Where a contact (or, for coverage and destination alerts, a schedule) is told things.

    Only a verified, unpaused channel receives notices (besides its own verification)."""

    id = fields.IntField(primary_key=True)
    organization_id = fields.IntField()
    contact: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "models.Contact", related_name="notification_channels", null=True, on_delete=fields.CASCADE
    )
    contact_id: int | None
    schedule: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "models.Schedule", related_name="notification_channels", null=True, on_delete=fields.CASCADE
    )
    schedule_id: int | None
    kind = fields.CharField(max_length=8)
    address = fields.CharField(max_length=2000)
    signing_secret = fields.CharField(max_length=200, null=True)
    verification_hash = fields.CharField(max_length=64, null=True)
    verification_expires_at = fields.DatetimeField(null=True)
    verification_attempts = fields.IntField(default=0)
    verified_at = fields.DatetimeField(null=True)
    paused = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification_channel"


class NoticePreference(Model):
    """A contact's choices: which notices, how long before a shift, and quiet hours
    (local wall-clock ``HH:MM`` in the contact's zone; start may be after end: overnight)."""

    id = fields.IntField(primary_key=True)
    contact: fields.OneToOneRelation[Any] = fields.OneToOneField(
        "models.Contact", related_name="notice_preference", on_delete=fields.CASCADE
    )
    contact_id: int
    lead_minutes = fields.IntField(default=60)
    kinds: fields.JSONField[list[str]] = fields.JSONField(default=list)
    quiet_start = fields.CharField(max_length=5, null=True)
    quiet_end = fields.CharField(max_length=5, null=True)

    class Meta:
        table = "notice_preference"


class Notice(Model):
    """One message to one address.

    The key makes planning idempotent; the uid is the stable id receivers see (email
    Message-ID, webhook Idempotency-Key)."""

    id = fields.IntField(primary_key=True)
    organization_id = fields.IntField(db_index=True)
    channel: fields.ForeignKeyNullableRelation[NotificationChannel] = fields.ForeignKeyField(
        "models.NotificationChannel", related_name="notices", null=True, on_delete=fields.CASCADE
    )
    channel_id: int | None
    contact_id = fields.IntField(null=True)
    schedule_id = fields.IntField(null=True)
    kind = fields.CharField(max_length=20)
    key = fields.CharField(max_length=200, unique=True)
    uid = fields.CharField(max_length=64)
    transport = fields.CharField(max_length=8)
    address = fields.CharField(max_length=2000)
    due_at = fields.DatetimeField()
    status = fields.CharField(max_length=10, default="PENDING")
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    sent_at = fields.DatetimeField(null=True)
    subject = fields.CharField(max_length=300, default="")
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notice"
        indexes = (("status", "due_at"),)


class ShiftSnapshot(Model):
    """A person's shifts on one tier as the planner last saw them, up to the tier's
    confirmed horizon then (kept in AlertState ``horizon:<tier>``): what a change notice is
    measured against."""

    id = fields.IntField(primary_key=True)
    contact_id = fields.IntField()
    tier_id = fields.IntField(db_index=True)
    runs: fields.JSONField[list[list[str]]] = fields.JSONField(default=list)

    class Meta:
        table = "notice_shift_snapshot"
        unique_together = (("contact_id", "tier_id"),)


class AlertState(Model):
    """What an alert last reported (a tier's gaps, a destination's ERROR), by key."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=100, unique=True)
    state: fields.JSONField[Any] = fields.JSONField(default=dict)

    class Meta:
        table = "notice_alert_state"
