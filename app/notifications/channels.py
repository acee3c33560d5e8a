"""Channels and preferences: create (with verification), verify, pause, delete."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tortoise.queryset import QuerySet

from app import validation
from app.contacts import models as contact_models
from app.errors import BadUserInput, Collector, NotFound
from app.notifications import models, notices
from app.schedules import models as schedule_models

KINDS = ("EMAIL", "WEBHOOK")
CODE_VALID = timedelta(hours=1)
MAX_CODE_ATTEMPTS = 5
_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class ChannelFields:
    kind: str
    address: str
    contact_id: int | None = None
    schedule_id: int | None = None
    signing_secret: str | None = None


async def check_channel(*, org_id: int, fields: ChannelFields) -> ChannelFields:
    """The fields, checked (every problem named); an owner of another organization is
    NOT_FOUND."""
    errors = Collector("input.")
    if (fields.contact_id is None) == (fields.schedule_id is None):
        errors.add("contactId", "give exactly one of contactId and scheduleId")
    elif fields.contact_id is not None and not await contact_models.Contact.exists(
        id=fields.contact_id, organization_id=org_id
    ):
        errors.missing("contactId", "Contact")
    elif fields.schedule_id is not None and not await schedule_models.Schedule.exists(
        id=fields.schedule_id, organization_id=org_id
    ):
        errors.missing("scheduleId", "Schedule")
    address = fields.address.strip()
    if fields.kind == "EMAIL":
        if not address:
            errors.add("address", "an email address is required")
        else:
            validation.email(errors, "address", address)
    elif fields.kind == "WEBHOOK":
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(address) > 2000:
            errors.add("address", "an http or https URL is required")
        if not fields.signing_secret or len(fields.signing_secret) < 16:
            errors.add("signingSecret", "a signing secret of at least 16 characters is required")
    errors.raise_if_any()
    return ChannelFields(
        kind=fields.kind,
        address=address,
        contact_id=fields.contact_id,
        schedule_id=fields.schedule_id,
        signing_secret=fields.signing_secret if fields.kind == "WEBHOOK" else None,
    )


async def create_channel(
    *, org_id: int, fields: ChannelFields, verified: bool, now: datetime
) -> models.NotificationChannel:
    """Store a checked channel. A webhook arrives verified (its signed ping was answered by
    the caller before); an email channel gets a code mailed to it (a VERIFY notice due now)
    and receives nothing else until the code is entered back."""
    channel = await models.NotificationChannel.create(
        organization_id=org_id,
        contact_id=fields.contact_id,
        schedule_id=fields.schedule_id,
        kind=fields.kind,
        address=fields.address,
        signing_secret=fields.signing_secret,
        verified_at=now if verified else None,
    )
    if not verified:
        await _send_code(channel, now=now)
    return channel


async def _send_code(channel: models.NotificationChannel, *, now: datetime) -> None:
    code = f"{secrets.randbelow(1_000_000):06d}"
    channel.verification_hash = _hash(code)
    channel.verification_expires_at = now + CODE_VALID
    channel.verification_attempts = 0
    await channel.save(
        update_fields=["verification_hash", "verification_expires_at", "verification_attempts"]
    )
    await notices.create(
        org_id=channel.organization_id,
        kind="VERIFY",
        key=f"verify:{channel.id}:{secrets.token_hex(8)}",
        transport=channel.kind,
        address=channel.address,
        due_at=now,
        channel_id=channel.id,
        contact_id=channel.contact_id,
        schedule_id=channel.schedule_id,
        data={"code": code},
    )


async def get_channel(*, org_id: int, channel_id: int) -> models.NotificationChannel:
    channel = await models.NotificationChannel.get_or_none(id=channel_id, organization_id=org_id)
    if channel is None:
        raise NotFound("NotificationChannel", channel_id)
    return channel


async def verify_channel(
    *, org_id: int, channel_id: int, code: str, now: datetime
) -> models.NotificationChannel:
    """Enter the mailed code back. Wrong, expired or too many tries: BAD_USER_INPUT on
    ``code`` (ask for a new code with ``resend``)."""
    channel = await get_channel(org_id=org_id, channel_id=channel_id)
    if channel.verified_at is not None:
        return channel
    expired = channel.verification_expires_at is None or channel.verification_expires_at <= now
    if expired or channel.verification_attempts >= MAX_CODE_ATTEMPTS:
        raise BadUserInput(
            "the code expired or was tried too often: ask for a new one", field="code"
        )
    if not hmac.compare_digest(_hash(code.strip()), channel.verification_hash or ""):
        await models.NotificationChannel.filter(id=channel.id).update(
            verification_attempts=channel.verification_attempts + 1
        )
        raise BadUserInput("the code is not the one mailed to this address", field="code")
    channel.verified_at = now
    channel.verification_hash = None
    await channel.save(update_fields=["verified_at", "verification_hash"])
    return channel


async def resend_code(*, org_id: int, channel_id: int, now: datetime) -> models.NotificationChannel:
    channel = await get_channel(org_id=org_id, channel_id=channel_id)
    if channel.verified_at is None and channel.kind == "EMAIL":
        await _send_code(channel, now=now)
    return channel


async def set_paused(*, org_id: int, channel_id: int, paused: bool) -> models.NotificationChannel:
    """A paused channel keeps its verification; notices planned meanwhile are not sent to it."""
    channel = await get_channel(org_id=org_id, channel_id=channel_id)
    channel.paused = paused
    await channel.save(update_fields=["paused"])
    return channel


async def delete_channel(*, org_id: int, channel_id: int) -> None:
    channel = await get_channel(org_id=org_id, channel_id=channel_id)
    await channel.delete()


def list_channels(
    *, org_id: int, contact_id: int | None = None, schedule_id: int | None = None
) -> QuerySet[models.NotificationChannel]:
    query = models.NotificationChannel.filter(organization_id=org_id)
    if contact_id is not None:
        query = query.filter(contact_id=contact_id)
    if schedule_id is not None:
        query = query.filter(schedule_id=schedule_id)
    return query.order_by("id")


# ----------------------------------------------------------------------- preferences


async def get_preference(*, org_id: int, contact_id: int) -> models.NoticePreference:
    """The contact's preferences (defaults when never set: every personal notice, a lead of
    60 minutes, no quiet hours)."""
    if not await contact_models.Contact.exists(id=contact_id, organization_id=org_id):
        raise NotFound("Contact", contact_id)
    found = await models.NoticePreference.get_or_none(contact_id=contact_id)
    return found or models.NoticePreference(
        contact_id=contact_id,
        lead_minutes=notices.DEFAULT_LEAD_MINUTES,
        kinds=list(notices.PERSONAL),
    )


async def set_preference(
    *, org_id: int, contact_id: int, changes: dict[str, Any]
) -> models.NoticePreference:
    """Change some of ``lead_minutes``, ``kinds``, ``quiet_start``, ``quiet_end``."""
    pref = await get_preference(org_id=org_id, contact_id=contact_id)
    errors = Collector("input.")
    if "lead_minutes" in changes:
        lead = changes["lead_minutes"]
        if lead is None or not 0 <= lead <= 7 * 24 * 60:
            errors.add("leadMinutes", "must be between 0 and 10080 (7 days)")
        else:
            pref.lead_minutes = lead
    if "kinds" in changes:
        kinds = changes["kinds"] or []
        for i, kind in enumerate(kinds):
            if kind not in notices.PERSONAL:
                errors.add(
                    f"kinds.{i}", f"a contact can choose among {', '.join(notices.PERSONAL)}"
                )
        pref.kinds = list(dict.fromkeys(kinds))
    for name, label in (("quiet_start", "quietStart"), ("quiet_end", "quietEnd")):
        if name in changes:
            value = changes[name]
            if value is not None and not _HHMM.fullmatch(value):
                errors.add(label, "a local time HH:MM (00:00 to 23:59) is required")
            setattr(pref, name, value)
    if (pref.quiet_start is None) != (pref.quiet_end is None):
        errors.add("quietEnd", "quiet hours need both quietStart and quietEnd")
    errors.raise_if_any()
    await pref.save()
    return pref
