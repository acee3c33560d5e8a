"""GraphQL types of the import: its input (the key is write-only) and its report."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Self

import strawberry

from app.api.relay import encode_id
from app.imports import equivalence
from app.imports.plan import Item
from app.imports.service import Report

NODE_TYPES = {
    "contact": "Contact",
    "schedule": "Schedule",
    "tier": "Tier",
    "layer": "Layer",
    "shift": "OnDemandShift",
}


@strawberry.enum(description="The vendor an import reads from.")
class ImportSource(enum.Enum):
    PAGERDUTY = "pagerduty"
    OPSGENIE = "opsgenie"
    GRAFANA = "grafana"


@strawberry.enum(
    description="CREATE: new here. UPDATE: changed at the source (or overwritten). UNCHANGED. "
    "MATCH: an existing contact with the same email (any case). KEEP: edited or deleted here "
    "after the last import and left as it is (overwrite replaces it), or gone from the source "
    "and kept. DELETE: a layer or on-demand shift gone from the source and untouched here. "
    "CANNOT_MAP: something the source has that cannot be expressed here; `reason` says why."
)
class ImportAction(enum.Enum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    UNCHANGED = "UNCHANGED"
    MATCH = "MATCH"
    KEEP = "KEEP"
    DELETE = "DELETE"
    CANNOT_MAP = "CANNOT_MAP"


@strawberry.input(
    description="Where to import from. The API key is write-only: it is used "
    "for this request's GET calls to the vendor and never stored, logged or "
    "returned. A read-only key is enough."
)
class ImportSchedulesInput:
    source: ImportSource
    api_key: str = strawberry.field(description="The vendor's API key (write-only).")
    base_url: str | None = strawberry.field(
        default=None,
        description="The vendor's API root; default https://api.pagerduty.com or "
        "https://api.opsgenie.com; required for Grafana OnCall.",
    )
    dry_run: bool = strawberry.field(
        default=False, description="Plan and compare only: nothing is written."
    )
    overwrite: bool = strawberry.field(
        default=False, description="Replace objects edited here since the last import."
    )
    since: datetime | None = strawberry.field(
        default=None,
        description="Start of the 28-day equivalence window and of the overrides imported "
        "(default: now).",
    )


@strawberry.type(description="One object of the plan and what the import does with it.")
class ImportItem:
    kind: str = strawberry.field(
        description="contact, schedule, tier, layer, shift (on-demand), or for CANNOT_MAP the "
        "source object's kind (layer, override, rule, policy, schedule)."
    )
    source_id: str
    name: str
    action: ImportAction
    reason: str
    local_id: strawberry.ID | None = strawberry.field(
        description="The global id of the object here, once it exists."
    )

    @classmethod
    def from_item(cls, item: Item) -> Self:
        local = None
        if item.local_id is not None and item.local_id > 0 and item.kind in NODE_TYPES:
            local = strawberry.ID(encode_id(NODE_TYPES[item.kind], item.local_id))
        return cls(
            kind=item.kind,
            source_id=item.source_id,
            name=item.name,
            action=ImportAction(item.action),
            reason=item.reason,
            local_id=local,
        )


@strawberry.type(description="A stretch where the source and Rotagraph name different people.")
class ImportDisagreement:
    start: datetime
    end: datetime
    source_people: list[str] = strawberry.field(description="Emails the source names.")
    our_people: list[str] = strawberry.field(description="Emails our final shifts name.")
    reason: str


@strawberry.type(
    description="Our final shifts of one tier against the source schedule it was built from, "
    "over the window both cover."
)
class ImportEquivalence:
    schedule_name: str
    tier_number: int
    source_schedule_id: str
    source_schedule_name: str
    start: datetime
    end: datetime
    agreement: float = strawberry.field(
        description="The share of the window (0..1) on which both name the same people."
    )
    disagreements: list[ImportDisagreement]

    @classmethod
    def from_result(cls, row: equivalence.Equivalence) -> Self:
        return cls(
            schedule_name=row.schedule,
            tier_number=row.tier_number,
            source_schedule_id=row.source_schedule_id,
            source_schedule_name=row.source_schedule_name,
            start=row.start,
            end=row.end,
            agreement=row.agreement,
            disagreements=[
                ImportDisagreement(
                    start=d.start,
                    end=d.end,
                    source_people=list(d.source),
                    our_people=list(d.ours),
                    reason=d.reason,
                )
                for d in row.disagreements
            ],
        )


@strawberry.type(description="How many plan items have one action.")
class ImportCount:
    action: ImportAction
    count: int


@strawberry.type(description="The plan (applied unless dryRun) and the equivalence report.")
class ImportReport:
    source: ImportSource
    dry_run: bool
    since: datetime
    until: datetime
    counts: list[ImportCount]
    items: list[ImportItem]
    equivalence: list[ImportEquivalence]

    @classmethod
    def from_report(cls, report: Report) -> Self:
        return cls(
            source=ImportSource(report.vendor),
            dry_run=report.dry_run,
            since=report.since,
            until=report.until,
            counts=[
                ImportCount(action=ImportAction(a), count=n)
                for a, n in sorted(report.counts().items())
            ],
            items=[ImportItem.from_item(i) for i in report.items],
            equivalence=[ImportEquivalence.from_result(e) for e in report.equivalence],
        )
