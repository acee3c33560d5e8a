"""Writing and reading audit entries; entries are only ever inserted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.queryset import QuerySet

from app.audit import models
from app.auth import models as auth_models
from app.auth.service import Auth

MAX_OBJECT_IDS = 50


@dataclass(frozen=True)
class AuditFilter:
    operations: Sequence[str] = ()
    token_id: int | None = None
    contact_id: int | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def record(
    *, auth: Auth, operation: str, object_ids: Sequence[str], at: datetime
) -> models.AuditEntry:
    """Store one entry for a write ``auth`` made; the caller owns the transaction."""
    token = await auth_models.ApiToken.get_or_none(id=auth.token_id)
    unique = [i for i in dict.fromkeys(object_ids) if i and " " not in i][:MAX_OBJECT_IDS]
    return await models.AuditEntry.create(
        organization_id=auth.org_id,
        at=at,
        token_id=auth.token_id,
        token_name=token.name if token is not None else "",
        role=auth.role.value,
        contact_id=auth.contact_id,
        operation=operation[:100],
        object_ids=" " + " ".join(unique) + " ",
    )


def entries(*, org_id: int, filter: AuditFilter) -> QuerySet[models.AuditEntry]:
    """The organization's entries matching ``filter``, newest first."""
    query = models.AuditEntry.filter(organization_id=org_id)
    if filter.operations:
        query = query.filter(operation__in=list(filter.operations))
    if filter.token_id is not None:
        query = query.filter(token_id=filter.token_id)
    if filter.contact_id is not None:
        query = query.filter(contact_id=filter.contact_id)
    if filter.since is not None:
        query = query.filter(at__gte=filter.since)
    if filter.until is not None:
        query = query.filter(at__lt=filter.until)
    if filter.object_id is not None:
        query = query.filter(object_ids__contains=f" {filter.object_id.strip()} ")
    return query.order_by("-at", "-id")
