"""``auditLog`` for ADMIN tokens, and ``AuditField``: the field extension the schema puts on
every Mutation field so each successful write is recorded."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension

from app import clock
from app.api.context import Info
from app.api.relay import Connection, decode_reference, paginate, split_id
from app.audit import service
from app.audit.types import AuditEntryType, AuditLogFilter
from app.auth.roles import Role
from app.db import transaction


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string inside an argument value (inputs, lists), a few levels deep."""
    if depth > 6:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value[:200]:
            yield from _strings(item, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name, None), depth + 1)


def _global_ids(values: Iterator[str]) -> list[str]:
    out = []
    for value in values:
        if len(value) > 200:
            continue
        try:
            type_name, _ = split_id(value)
        except Exception:  # not an id: any other string of the input
            continue
        if type_name and type_name[:1].isupper() and type_name.isalnum():
            out.append(value)
    return out


def _result_ids(result: Any) -> list[str]:
    items = result if isinstance(result, (list, tuple)) else [result]
    found: list[str] = []
    for item in items[:200]:
        for name in ("id", "deleted_id"):
            value = getattr(item, name, None)
            if isinstance(value, str):
                found.append(value)
        for value in vars(item).values() if hasattr(item, "__dict__") else ():
            inner = getattr(value, "id", None)
            if isinstance(inner, str):
                found.append(inner)
    return _global_ids(iter(found))


class AuditField(FieldExtension):
    """Records the write once the mutation field returned (an error records nothing)."""

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        result = await next_(source, info, **kwargs)
        auth = info.context.auth
        if auth is not None:
            ids = _global_ids(_strings(list(kwargs.values()))) + _result_ids(result)
            async with transaction():
                await service.record(
                    auth=auth, operation=info.field_name, object_ids=ids, at=clock.now()
                )
        return result


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Who changed what and when: every successful write, newest first (ADMIN)."
    )
    async def audit_log(
        self,
        info: Info,
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEntryType]:
        org_id = info.context.require(Role.ADMIN).org_id
        # Entries are written after each write's own transaction, outside its version bump,
        # so an answer is never kept in the response cache (reading the clock says so).
        clock.now()
        f = filter or AuditLogFilter()
        chosen = service.AuditFilter(
            operations=tuple(f.operations or ()),
            token_id=decode_reference(f.token_id, "ApiToken", field="filter.tokenId")
            if f.token_id
            else None,
            contact_id=decode_reference(f.contact_id, "Contact", field="filter.contactId")
            if f.contact_id
            else None,
            object_id=f.object_id,
            since=f.from_,
            until=f.to,
        )
        return await paginate(
            service.entries(org_id=org_id, filter=chosen),
            AuditEntryType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )
