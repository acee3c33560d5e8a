"""Outbound failures: messages fit for users, naming the host and the HTTP status only."""

from __future__ import annotations


class OutboundError(Exception):
    """A request failed. The message is fit for users: host and status only."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient

    @property
    def auth(self) -> bool:
        """The server refused the credentials (HTTP 401 or 403)."""
        return self.status in (401, 403)


class BlockedAddress(OSError):
    """The address is not a public one and the policy refuses it."""
