from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator

import strawberry

from app import clock, outbound, pubsub
from app.api.common import DeletePayload
from app.api.context import Info, editor, viewer
from app.api.inputs import changes_of
from app.api.relay import Connection, decode_id, decode_reference, paginate
from app.db import transaction
from app.errors import BadUserInput
from app.notifications import channels, delivery, models, notices, transports
from app.notifications.render import Message
from app.notifications.types import (
    CreateNotificationChannelInput,
    NoticeFilter,
    NoticePreferenceInput,
    NoticePreferenceType,
    NoticeType,
    NotificationChannelType,
)


def _ref(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return None if value is None else decode_reference(value, type_name, field=field)


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="Notification channels, of one contact or schedule or all.")
    async def notification_channels(
        self,
        info: Info,
        contact_id: strawberry.ID | None = None,
        schedule_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[NotificationChannelType]:
        org_id = viewer(info)
        return await paginate(
            channels.list_channels(
                org_id=org_id,
                contact_id=_ref(contact_id, "Contact", "contactId"),
                schedule_id=_ref(schedule_id, "Schedule", "scheduleId"),
            ),
            NotificationChannelType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )

    @strawberry.field(description="Notices, latest due first, with their delivery status.")
    async def notices(
        self,
        info: Info,
        filter: NoticeFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[NoticeType]:
        org_id = viewer(info)
        f = filter or NoticeFilter()
        where = notices.NoticeFilter(
            statuses=[s.value for s in f.status] if f.status is not None else None,
            kinds=[k.value for k in f.kind] if f.kind is not None else None,
            contact_id=_ref(f.contact_id, "Contact", "filter.contactId"),
            schedule_id=_ref(f.schedule_id, "Schedule", "filter.scheduleId"),
            channel_id=_ref(f.channel_id, "NotificationChannel", "filter.channelId"),
        )
        return await paginate(
            notices.list_notices(org_id=org_id, where=where),
            NoticeType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )

    @strawberry.field(description="A contact's notice choices (defaults until changed).")
    async def notice_preference(
        self, info: Info, contact_id: strawberry.ID
    ) -> NoticePreferenceType:
        org_id = viewer(info)
        pref = await channels.get_preference(
            org_id=org_id, contact_id=decode_id(contact_id, "Contact", field="contactId")
        )
        return NoticePreferenceType.from_model(pref)


async def _ping(fields: channels.ChannelFields) -> None:
    uid = f"ping-{secrets.token_hex(8)}"
    message = Message(subject="Rotagraph channel check", text="", html="")
    body = transports.webhook_body(uid=uid, kind="PING", message=message, data={})
    try:
        await transports.send_webhook(
            url=fields.address,
            secret=fields.signing_secret or "",
            uid=uid,
            body=body,
            session=outbound.shared(),
        )
    except transports.SendError as exc:
        raise BadUserInput(
            f"the webhook did not answer the signed ping with 2xx: {exc}", field="input.address"
        ) from None


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(
        description="Add a channel. EMAIL: a code is mailed to the address; enter it with "
        "`verifyNotificationChannel`. WEBHOOK: a signed ping (kind PING) is POSTed first and "
        "must be answered 2xx, else BAD_USER_INPUT on `input.address` and nothing is stored."
    )
    async def create_notification_channel(
        self, info: Info, input: CreateNotificationChannelInput
    ) -> NotificationChannelType:
        org_id = editor(info)
        fields = await channels.check_channel(
            org_id=org_id,
            fields=channels.ChannelFields(
                kind=input.kind.value,
                address=input.address,
                contact_id=_ref(input.contact_id, "Contact", "input.contactId"),
                schedule_id=_ref(input.schedule_id, "Schedule", "input.scheduleId"),
                signing_secret=input.signing_secret,
            ),
        )
        webhook = fields.kind == "WEBHOOK"
        if webhook:
            await _ping(fields)  # network I/O stays outside the transaction
        async with transaction():
            channel = await channels.create_channel(
                org_id=org_id, fields=fields, verified=webhook, now=clock.now()
            )
            delivery.kick_after_commit()
        return NotificationChannelType.from_model(channel)

    @strawberry.mutation(
        description="Enter the code mailed to an EMAIL channel; wrong or expired codes are "
        "BAD_USER_INPUT on `code` (five wrong tries void the code)."
    )
    async def verify_notification_channel(
        self, info: Info, id: strawberry.ID, code: str
    ) -> NotificationChannelType:
        org_id = editor(info)
        pk = decode_id(id, "NotificationChannel")
        async with transaction():
            channel = await channels.verify_channel(
                org_id=org_id, channel_id=pk, code=code, now=clock.now()
            )
        return NotificationChannelType.from_model(channel)

    @strawberry.mutation(description="Mail a new code to an unverified EMAIL channel.")
    async def resend_notification_channel_code(
        self, info: Info, id: strawberry.ID
    ) -> NotificationChannelType:
        org_id = editor(info)
        pk = decode_id(id, "NotificationChannel")
        async with transaction():
            channel = await channels.resend_code(org_id=org_id, channel_id=pk, now=clock.now())
            delivery.kick_after_commit()
        return NotificationChannelType.from_model(channel)

    @strawberry.mutation(
        description="Pause or resume a channel: notices due while it is paused are cancelled."
    )
    async def set_notification_channel_paused(
        self, info: Info, id: strawberry.ID, paused: bool
    ) -> NotificationChannelType:
        org_id = editor(info)
        pk = decode_id(id, "NotificationChannel")
        async with transaction():
            channel = await channels.set_paused(org_id=org_id, channel_id=pk, paused=paused)
        return NotificationChannelType.from_model(channel)

    @strawberry.mutation(description="Delete a channel and its notices.")
    async def delete_notification_channel(self, info: Info, id: strawberry.ID) -> DeletePayload:
        org_id = editor(info)
        async with transaction():
            await channels.delete_channel(
                org_id=org_id, channel_id=decode_id(id, "NotificationChannel")
            )
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(description="Change a contact's notice choices.")
    async def update_notice_preference(
        self, info: Info, contact_id: strawberry.ID, input: NoticePreferenceInput
    ) -> NoticePreferenceType:
        org_id = editor(info)
        changes = changes_of(input)
        if "kinds" in changes and changes["kinds"] is not None:
            changes["kinds"] = [k.value for k in changes["kinds"]]
        async with transaction():
            pref = await channels.set_preference(
                org_id=org_id,
                contact_id=decode_id(contact_id, "Contact", field="contactId"),
                changes=changes,
            )
        return NoticePreferenceType.from_model(pref)


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(
        description="A notice of the organization was planned or changed status (SENT, "
        "FAILED, CANCELLED). Events lost while the broker was disconnected are not replayed: "
        "refetch `notices`."
    )
    async def notice_changed(self, info: Info) -> AsyncGenerator[NoticeType, None]:
        org_id = viewer(info)
        async for event in pubsub.broker().subscribe(notices.notice_channel(org_id)):
            if event.get("type") == pubsub.RESYNC:
                continue
            row = await models.Notice.get_or_none(id=event["noticeId"], organization_id=org_id)
            if row is not None:
                yield NoticeType.from_model(row)
