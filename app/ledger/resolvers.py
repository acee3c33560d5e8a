"""Ledger, pay report, pay rules and cover suggestions: thin resolvers over the services."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app import clock
from app.api.common import DeletePayload
from app.api.context import Info, editor, viewer
from app.api.relay import Connection, decode_id, decode_ids, paginate_list
from app.cover_requests import eligibility
from app.db import transaction
from app.ledger import service
from app.ledger.types import (
    CoverSuggestion,
    LedgerEntry,
    LedgerFilter,
    LedgerOrder,
    LedgerPeriod,
    PayLine,
    PayRuleType,
    SetPayRuleInput,
)
from app.schedules import service as schedule_service
from app.timelines import service as timeline_service

From = Annotated[datetime, strawberry.argument(name="from")]


@strawberry.type
class LedgerQuery:
    @strawberry.field(
        description="Confirmed on-call load per contact and period over [from, to) (at most "
        "400 days), from confirmed rows only: history is never recomputed from today's rules. "
        "Periods start at local midnights of `timezone`; hours crossing a period edge are "
        "split exactly. Across the schedules in `filter.scheduleIds` (all when absent), or "
        "one entry per schedule with `perSchedule`. Default order: period, then most hours."
    )
    async def ledger(
        self,
        info: Info,
        from_: From,
        to: datetime,
        period: LedgerPeriod = LedgerPeriod.RANGE,
        timezone: str = "UTC",
        per_schedule: bool = False,
        filter: LedgerFilter | None = None,
        order_by: list[LedgerOrder] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LedgerEntry]:
        org_id = viewer(info)
        f = filter or LedgerFilter()
        entries = await service.ledger(
            org_id=org_id,
            start=from_,
            end=to,
            period=period.to_period(),
            zone=timezone,
            schedule_ids=decode_ids(f.schedule_ids, "Schedule", field="filter.scheduleIds")
            if f.schedule_ids is not None
            else None,
            per_schedule=per_schedule,
            contact_ids=decode_ids(f.contact_ids, "Contact", field="filter.contactIds")
            if f.contact_ids is not None
            else None,
            by=[o.to_key() for o in order_by] if order_by else service.DEFAULT_ORDER,
        )
        return paginate_list(
            [LedgerEntry.of(e) for e in entries],
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )

    @strawberry.field(
        description="Pay per contact, schedule and currency over [from, to) from confirmed "
        "rows and each schedule's pay rules (all schedules when `scheduleIds` is absent). "
        "Also as CSV at `GET /reports/pay.csv?from=...&to=...&scheduleId=...` (EDITOR)."
    )
    async def pay_report(
        self, info: Info, from_: From, to: datetime, schedule_ids: list[strawberry.ID] | None = None
    ) -> list[PayLine]:
        org_id = editor(info)
        lines = await service.pay_report(
            org_id=org_id,
            start=from_,
            end=to,
            schedule_ids=decode_ids(schedule_ids, "Schedule", field="scheduleIds")
            if schedule_ids is not None
            else None,
        )
        return [PayLine.of(x) for x in lines]

    @strawberry.field(description="A schedule's pay rules, by `effectiveFrom`.")
    async def pay_rules(self, info: Info, schedule_id: strawberry.ID) -> list[PayRuleType]:
        rows = await service.pay_rules(
            org_id=viewer(info), schedule_id=decode_id(schedule_id, "Schedule", field="scheduleId")
        )
        return [PayRuleType.from_model(r) for r in rows]

    @strawberry.field(
        description="Who could cover [from, to) on the schedule: participants of its layers, "
        "available for the whole window and on call in none of its tiers then; least loaded "
        "first over the 90 days before `from` (hours, then night hours, then weekend plus "
        "holiday hours, then shifts, then name), with those figures."
    )
    async def suggest_cover(
        self, info: Info, schedule_id: strawberry.ID, from_: From, to: datetime
    ) -> list[CoverSuggestion]:
        org_id = viewer(info)
        pk = decode_id(schedule_id, "Schedule", field="scheduleId")
        timeline_service.check_window(from_, to, max_days=info.context.settings.max_window_days)
        await schedule_service.get_schedule(org_id=org_id, schedule_id=pk)
        found = await eligibility.suggest_cover(org_id=org_id, schedule_id=pk, start=from_, end=to)
        return [CoverSuggestion.of(x) for x in found]


@strawberry.type
class LedgerMutation:
    @strawberry.mutation(
        description="Add a schedule's pay rule from a date (today or later in the schedule's "
        "zone), replacing one on the same date; periods already begun keep their rules."
    )
    async def set_pay_rule(self, info: Info, input: SetPayRuleInput) -> PayRuleType:
        org_id = editor(info)
        async with transaction():
            row = await service.set_pay_rule(
                org_id=org_id,
                schedule_id=decode_id(input.schedule_id, "Schedule", field="input.scheduleId"),
                spec=input.to_spec(),
                now=clock.now(),
            )
        return PayRuleType.from_model(row)

    @strawberry.mutation(description="Delete a pay rule that has not taken effect yet.")
    async def delete_pay_rule(self, info: Info, id: strawberry.ID) -> DeletePayload:
        org_id = editor(info)
        async with transaction():
            await service.delete_pay_rule(
                org_id=org_id, rule_id=decode_id(id, "PayRule"), now=clock.now()
            )
        return DeletePayload(deleted_id=id)
