from __future__ import annotations

import enum
from dataclasses import dataclass

from app.errors import Forbidden


class Role(enum.Enum):
    """VIEWER reads, EDITOR writes, ADMIN also manages tokens and destinations. PERSON is a
    personal token bound to one contact: it reads like a VIEWER and writes only what is its
    own (SPEC §11), so it ranks with VIEWER and every EDITOR check refuses it."""

    VIEWER = "VIEWER"
    EDITOR = "EDITOR"
    ADMIN = "ADMIN"
    PERSON = "PERSON"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANK = {Role.VIEWER: 0, Role.PERSON: 0, Role.EDITOR: 1, Role.ADMIN: 2}

ORGANIZATION_ROLES = (Role.VIEWER, Role.EDITOR, Role.ADMIN)


@dataclass(frozen=True)
class Actor:
    """Who a write is made by, as services see it: an EDITOR or ADMIN token acting for anyone
    (``contact_id`` None), or a PERSON token that acts only for ``contact_id``."""

    org_id: int
    token_id: int
    contact_id: int | None = None

    @property
    def is_person(self) -> bool:
        return self.contact_id is not None

    def may_act_for(self, contact_id: int) -> bool:
        return self.contact_id is None or self.contact_id == contact_id

    def require_self(self, contact_id: int, what: str) -> None:
        """FORBIDDEN unless the actor may act for ``contact_id``."""
        if not self.may_act_for(contact_id):
            raise Forbidden(f"a personal token acts only for its own contact: {what}")
