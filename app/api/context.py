"""The typed request context every resolver receives as ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from app import versions
from app.api.loaders import Loaders
from app.auth.roles import Actor, Role
from app.auth.service import Auth
from app.clock import Clock
from app.errors import Forbidden, Unauthenticated
from app.settings import Settings


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    clock: Clock
    auth: Auth | None = None
    connection_params: dict[str, Any] | None = None
    rejected: str | None = None  # why a WebSocket connection was refused
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def org_id(self) -> int:
        return self.require(Role.VIEWER).org_id

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.org_id)
        return self._loaders

    def require(self, role: Role) -> Auth:
        if self.auth is None:
            raise Unauthenticated("an Authorization: Bearer <token> is required")
        if not self.auth.role.allows(role):
            raise Forbidden(
                f"this needs the {role.value} role; the token has {self.auth.role.value}"
            )
        return self.auth

    def reset_loaders(self) -> None:
        """Forget cached rows: called before each subscription event on a long-lived
        connection so every event is resolved from fresh data."""
        self._loaders = None


Info = StrawberryInfo[Context, None]


def viewer(info: Info) -> int:
    """The organization id of a caller allowed to read."""
    return info.context.require(Role.VIEWER).org_id


def editor(info: Info) -> int:
    """The organization id of a caller allowed to write (its writes bump the org's version)."""
    org_id = info.context.require(Role.EDITOR).org_id
    versions.writing(org_id)
    return org_id


def admin(info: Info) -> int:
    """The organization id of a caller allowed to manage tokens and destinations."""
    org_id = info.context.require(Role.ADMIN).org_id
    versions.writing(org_id)
    return org_id


def writer(info: Info) -> Auth:
    """A caller allowed to write something: EDITOR, ADMIN or a PERSON token (which the
    service then holds to its own contact). VIEWER tokens are refused."""
    auth = info.context.require(Role.VIEWER)
    if auth.role == Role.VIEWER:
        raise Forbidden("this needs the EDITOR role or a personal token; the token has VIEWER")
    versions.writing(auth.org_id)
    return auth


def acting(info: Info) -> Actor:
    """A caller writing for a contact: EDITOR or ADMIN for anyone, a PERSON token only for its
    own contact (the service checks each contact it touches)."""
    return writer(info).actor()
