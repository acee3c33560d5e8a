from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import strawberry

from app.api.common import InstantRangeInput
from app.api.context import Info, acting, viewer
from app.api.inputs import changes_of
from app.api.relay import (
    Connection,
    collect_reference,
    decode_id,
    decode_ids,
    paginate,
    paginate_list,
)
from app.db import transaction
from app.errors import Collector
from app.layers.service import RecurrenceSpec
from app.layers.types import RecurrenceInput
from app.substitutions import query, service
from app.substitutions import specs as substitution_specs
from app.substitutions.types import (
    CreateSubstitutionInput,
    SubstitutionFilter,
    SubstitutionSort,
    SubstitutionType,
    TimeWindowInput,
    UpdateSubstitutionInput,
)

DEFAULT_PAGE_SIZE = 10


def _reference(errors: Collector, field: str, value: str, type_name: str) -> int:
    """The primary key of an input id; a malformed or another type's id names its field."""
    pk = collect_reference(errors, field, value, type_name)
    return 0 if pk is None else pk


def _optional(errors: Collector, field: str, value: str | None, type_name: str) -> int | None:
    return None if value is None else _reference(errors, field, value, type_name)


def _recurrence(data: RecurrenceInput | None) -> RecurrenceSpec | None:
    if data is None:
        return None
    return RecurrenceSpec(
        type=data.type.value, start=data.from_, end=data.to, every_n=data.every_n, rule=data.rule
    )


def _window(data: TimeWindowInput | None) -> substitution_specs.WindowSpec | None:
    return None if data is None else substitution_specs.WindowSpec(start=data.start, end=data.end)


def _between(data: InstantRangeInput | None) -> tuple[datetime, datetime] | None:
    return None if data is None else (data.from_, data.to)


def to_specs(inputs: list[CreateSubstitutionInput]) -> list[substitution_specs.SubstitutionSpec]:
    """Decode every item's ids; unknown ones are reported with the service's checks."""
    errors = Collector("inputs.")
    specs = []
    for i, data in enumerate(inputs):
        e = errors.child(str(i))
        specs.append(
            substitution_specs.SubstitutionSpec(
                contact_id=_reference(e, "contactId", data.contact_id, "Contact"),
                replacement_id=_optional(e, "replacementId", data.replacement_id, "Contact"),
                schedule_id=_optional(e, "scheduleId", data.schedule_id, "Schedule"),
                recurrence=_recurrence(data.recurrence),
                window=_window(data.window),
                timezone=data.timezone,
                between=_between(data.between),
            )
        )
    errors.raise_if_any()
    return specs


def to_changes(patch: UpdateSubstitutionInput) -> dict[str, Any]:
    errors = Collector("patch.")
    changes: dict[str, Any] = {}
    for key, value in changes_of(patch).items():
        if key == "contact_id":
            changes[key] = _optional(errors, "contactId", value, "Contact")
        elif key == "replacement_id":
            changes[key] = _optional(errors, "replacementId", value, "Contact")
        elif key == "schedule_id":
            changes[key] = _optional(errors, "scheduleId", value, "Schedule")
        elif key == "recurrence":
            changes[key] = _recurrence(value)
        elif key == "window":
            changes[key] = _window(value)
        elif key == "between":
            changes[key] = _between(value)
        elif key == "status":
            changes[key] = value.value if value is not None else None
        else:
            changes[key] = value
    errors.raise_if_any()
    return changes


def to_criteria(
    filter: SubstitutionFilter | None, sort: list[SubstitutionSort] | None
) -> query.Criteria:
    f = filter or SubstitutionFilter()
    order = (
        tuple((s.field.value, s.direction.value == "DESC") for s in sort)
        if sort
        else query.DEFAULT_SORT
    )

    def ids(values: list[strawberry.ID] | None, kind: str, name: str) -> tuple[int, ...] | None:
        return None if values is None else tuple(decode_ids(values, kind, field=name))

    return query.Criteria(
        ids=ids(f.id, "Substitution", "filter.id"),
        contact_ids=ids(f.contact, "Contact", "filter.contact"),
        replacement_ids=ids(f.replacement, "Contact", "filter.replacement"),
        schedule_ids=None
        if f.schedule is None
        else tuple(
            None if v is None else decode_id(v, "Schedule", field=f"filter.schedule.{i}")
            for i, v in enumerate(f.schedule)
        ),
        applies_to_schedule_ids=ids(f.applies_to_schedule, "Schedule", "filter.appliesToSchedule"),
        statuses=None if f.status is None else tuple(s.value for s in f.status),
        kinds=None if f.kind is None else tuple(k.value for k in f.kind),
        recurrence_types=None
        if f.recurrence_type is None
        else tuple(t.value for t in f.recurrence_type),
        active_between=(f.active_between.from_, f.active_between.to)
        if f.active_between is not None
        else None,
        sort=order,
    )


async def owned_substitutions(
    info: Info,
    owner: Literal["contact", "schedule"],
    owner_pk: int,
    filter: SubstitutionFilter | None,
    sort: list[SubstitutionSort] | None,
    first: int | None,
    after: str | None,
) -> Connection[SubstitutionType]:
    """A contact's or a schedule's substitutions as a page, batched across parents."""
    criteria = to_criteria(filter, sort)
    query.check_criteria(criteria)
    rows = await info.context.loaders.substitutions_of.load((owner, owner_pk, criteria))
    return paginate_list(
        [SubstitutionType.from_model(r) for r in rows],
        first=first,
        after=after,
        cap=info.context.settings.page_size_cap,
        default=DEFAULT_PAGE_SIZE,
    )


@strawberry.type
class SubstitutionQuery:
    @strawberry.field(
        description=(
            "The organization's substitutions, filtered (OR inside a field, AND across "
            "fields) and sorted (by `from` then id unless told); 10 a page unless `first` "
            "says otherwise. DELETED ones only when the status filter names DELETED."
        )
    )
    async def substitutions(
        self,
        info: Info,
        filter: SubstitutionFilter | None = None,
        sort: list[SubstitutionSort] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SubstitutionType]:
        org_id = viewer(info)
        return await paginate(
            query.list_substitutions(org_id=org_id, criteria=to_criteria(filter, sort)),
            SubstitutionType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            default=DEFAULT_PAGE_SIZE,
        )

    @strawberry.field(description="A substitution by id, DELETED ones included.")
    async def substitution(self, info: Info, id: strawberry.ID) -> SubstitutionType:
        row = await service.get_substitution(
            org_id=viewer(info), substitution_id=decode_id(id, "Substitution")
        )
        return SubstitutionType.from_model(row)


@strawberry.type
class SubstitutionMutation:
    @strawberry.mutation(
        description=(
            "Create one or many substitutions, all or nothing (EDITOR; a personal token "
            "only its own contact's unavailability): errors name the item and "
            "field (`inputs.2.recurrence.to`)."
        )
    )
    async def create_substitutions(
        self, info: Info, inputs: list[CreateSubstitutionInput]
    ) -> list[SubstitutionType]:
        actor = acting(info)
        specs = to_specs(inputs)
        async with transaction():
            rows = await service.create_substitutions(org_id=actor.org_id, specs=specs, actor=actor)
        return [SubstitutionType.from_model(r) for r in rows]

    @strawberry.mutation(
        description=(
            "Apply one patch to every named substitution (EDITOR; a personal token only to "
            "its own unavailability) (omitted = unchanged, null = "
            "cleared); any unknown id is NOT_FOUND and nothing changes."
        )
    )
    async def update_substitutions(
        self, info: Info, ids: list[strawberry.ID], patch: UpdateSubstitutionInput
    ) -> list[SubstitutionType]:
        actor = acting(info)
        pks = decode_ids(ids, "Substitution", field="ids")
        changes = to_changes(patch)
        async with transaction():
            rows = await service.update_substitutions(
                org_id=actor.org_id, ids=pks, changes=changes, actor=actor
            )
        return [SubstitutionType.from_model(r) for r in rows]

    @strawberry.mutation(
        description=(
            "Mark substitutions DELETED (EDITOR; a personal token only its own "
            "unavailability), still readable by id (`updateSubstitutions` with "
            "`status: ACTIVE` restores one); any unknown id is NOT_FOUND and nothing changes."
        )
    )
    async def delete_substitutions(
        self, info: Info, ids: list[strawberry.ID]
    ) -> list[SubstitutionType]:
        actor = acting(info)
        pks = decode_ids(ids, "Substitution", field="ids")
        async with transaction():
            rows = await service.delete_substitutions(org_id=actor.org_id, ids=pks, actor=actor)
        return [SubstitutionType.from_model(r) for r in rows]
