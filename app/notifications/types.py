from __future__ import annotations

import enum
from datetime import datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from app.api.relay import Node, encode_id
from app.notifications import models


@strawberry.enum(description="How a channel is reached.")
class ChannelKind(enum.Enum):
    EMAIL = "EMAIL"
    WEBHOOK = "WEBHOOK"


@strawberry.enum(
    description="REMINDER: before a shift starts. CHANGE: confirmed future shifts were "
    "added, removed or moved. COVERAGE / COVERAGE_RESOLVED: a schedule's gaps or understaffed "
    "time inside its layers' covered time within the horizon appeared / were filled. "
    "DESTINATION: a destination's status became ERROR. COVER_REQUEST: a cover request event. "
    "VERIFY: an email channel's verification code."
)
class NoticeKind(enum.Enum):
    REMINDER = "REMINDER"
    CHANGE = "CHANGE"
    COVERAGE = "COVERAGE"
    COVERAGE_RESOLVED = "COVERAGE_RESOLVED"
    DESTINATION = "DESTINATION"
    COVER_REQUEST = "COVER_REQUEST"
    VERIFY = "VERIFY"


@strawberry.enum(
    description="PENDING: planned or being retried (see `error`). SENT: accepted by the SMTP "
    "server or answered 2xx. FAILED: given up (`error` says why). CANCELLED: not sent "
    "because its moment passed, its change was undone or its channel was paused (`error` "
    "says which)."
)
class NoticeStatus(enum.Enum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@strawberry.type(
    name="NotificationChannel",
    description="Where a contact (or a schedule, for its alerts) is notified. Only a "
    "verified, unpaused channel receives notices: an EMAIL channel once the mailed code is "
    "entered back (`verifyNotificationChannel`), a WEBHOOK channel at once (its signed ping "
    "was answered 2xx on creation). The signing secret is write-only.",
)
class NotificationChannelType(Node):
    pk: strawberry.Private[int]
    kind: ChannelKind
    address: str
    contact_id: strawberry.ID | None
    schedule_id: strawberry.ID | None
    verified: bool
    paused: bool
    created_at: datetime

    @classmethod
    def from_model(cls, m: models.NotificationChannel) -> Self:
        return cls(
            id=encode_id("NotificationChannel", m.id),
            pk=m.id,
            kind=ChannelKind(m.kind),
            address=m.address,
            contact_id=encode_id("Contact", m.contact_id) if m.contact_id else None,
            schedule_id=encode_id("Schedule", m.schedule_id) if m.schedule_id else None,
            verified=m.verified_at is not None,
            paused=m.paused,
            created_at=m.created_at,
        )


@strawberry.type(
    name="Notice",
    description="One message to one address. `uid` is stable across retries: it is the "
    "email's Message-ID (`<uid@rotagraph>`) and the webhook's `Idempotency-Key`, so a "
    "receiver drops repeats (delivery is at least once).",
)
class NoticeType(Node):
    pk: strawberry.Private[int]
    uid: str
    kind: NoticeKind
    status: NoticeStatus
    transport: ChannelKind
    address: str
    channel_id: strawberry.ID | None
    contact_id: strawberry.ID | None
    schedule_id: strawberry.ID | None
    due_at: datetime = strawberry.field(description="When it is (or was) to be sent.")
    sent_at: datetime | None
    attempts: int
    error: str | None = strawberry.field(
        description="The last delivery error, or why it was cancelled."
    )
    subject: str
    data: JSON = strawberry.field(description="What the notice is about (shape per kind).")

    @classmethod
    def from_model(cls, m: models.Notice) -> Self:
        return cls(
            id=encode_id("Notice", m.id),
            pk=m.id,
            uid=m.uid,
            kind=NoticeKind(m.kind),
            status=NoticeStatus(m.status),
            transport=ChannelKind(m.transport),
            address=m.address,
            channel_id=encode_id("NotificationChannel", m.channel_id) if m.channel_id else None,
            contact_id=encode_id("Contact", m.contact_id) if m.contact_id else None,
            schedule_id=encode_id("Schedule", m.schedule_id) if m.schedule_id else None,
            due_at=m.due_at,
            sent_at=m.sent_at,
            attempts=m.attempts,
            error=m.last_error,
            subject=m.subject,
            data=JSON({k: v for k, v in m.data.items() if k not in ("code", "before")}),
        )


@strawberry.type(
    name="NoticePreference",
    description="A contact's notice choices. Quiet hours (local HH:MM in the contact's zone; "
    "a start after the end spans midnight) hold back reminders and change notices until "
    "they end; coverage and destination alerts do not wait.",
)
class NoticePreferenceType:
    lead_minutes: int = strawberry.field(description="Reminders this long before a shift.")
    kinds: list[NoticeKind]
    quiet_start: str | None
    quiet_end: str | None

    @classmethod
    def from_model(cls, m: models.NoticePreference) -> Self:
        return cls(
            lead_minutes=m.lead_minutes,
            kinds=[NoticeKind(k) for k in m.kinds],
            quiet_start=m.quiet_start,
            quiet_end=m.quiet_end,
        )


@strawberry.input(description="A new channel, of a contact or (for alerts) of a schedule.")
class CreateNotificationChannelInput:
    kind: ChannelKind
    address: str = strawberry.field(description="An email address, or the webhook's URL.")
    contact_id: strawberry.ID | None = None
    schedule_id: strawberry.ID | None = None
    signing_secret: str | None = strawberry.field(
        default=None,
        description="WEBHOOK only, at least 16 characters: the body's HMAC-SHA256 is sent "
        "as `X-Rotagraph-Signature: sha256=<hex>`.",
    )


@strawberry.input(description="Changes to a contact's notice choices: omitted fields stay.")
class NoticePreferenceInput:
    lead_minutes: int | None = strawberry.UNSET
    kinds: list[NoticeKind] | None = strawberry.UNSET
    quiet_start: str | None = strawberry.UNSET
    quiet_end: str | None = strawberry.UNSET


@strawberry.input(description="Which notices to list; omitted fields do not filter.")
class NoticeFilter:
    status: list[NoticeStatus] | None = None
    kind: list[NoticeKind] | None = None
    contact_id: strawberry.ID | None = None
    schedule_id: strawberry.ID | None = None
    channel_id: strawberry.ID | None = None
