"""The one error vocabulary of the service.

Domain code raises these; the GraphQL layer turns them into errors whose
``extensions.code`` is the class's ``code``. Anything else is masked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class AppError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, extensions: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra: dict[str, Any] = dict(extensions or {})

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, **self.extra}


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"


class Forbidden(AppError):
    code = "FORBIDDEN"


class NotFound(AppError):
    code = "NOT_FOUND"

    def __init__(self, what: str, ident: object | None = None) -> None:
        text = f"{what} not found" if ident is None else f"{what} {ident} not found"
        super().__init__(text)


def _field_report(errors: list[FieldError]) -> tuple[str, dict[str, Any]]:
    """The message and ``extensions`` (``fields``, ``errors``) naming each offending field."""
    message = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid input"
    return message, {
        "fields": [e.field for e in errors],
        "errors": [e.as_dict() for e in errors],
    }


class MissingReferences(NotFound):
    """Ids inside an input that name nothing in the caller's organization (SPEC §7: an id
    from another organization answers NOT_FOUND), each field named as for BAD_USER_INPUT."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = list(errors)
        message, extensions = _field_report(self.errors)
        AppError.__init__(self, message, extensions=extensions)


class Conflict(AppError):
    code = "CONFLICT"


class FieldError:
    """One offending input field: a dotted path (``layers.0.participants``) and why;
    ``missing``: the field holds an id of nothing the caller can see."""

    __slots__ = ("field", "message", "missing")

    def __init__(self, field: str, message: str, *, missing: bool = False) -> None:
        self.field = field
        self.message = message
        self.missing = missing

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class BadUserInput(AppError):
    code = "BAD_USER_INPUT"

    def __init__(self, errors: Iterable[FieldError] | str, *, field: str | None = None) -> None:
        if isinstance(errors, str):
            errors = [FieldError(field or "input", errors)]
        self.errors = list(errors)
        message, extensions = _field_report(self.errors)
        super().__init__(message, extensions=extensions)


class Collector:
    """Gathers field errors so one response can name every offending field."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(f"{self.prefix}{field}", message))

    def missing(self, field: str, type_name: str) -> None:
        """``field`` holds an id of no ``type_name`` in the caller's organization."""
        self.errors.append(
            FieldError(
                f"{self.prefix}{field}",
                f"no such {type_name.lower()} in this organization",
                missing=True,
            )
        )

    def extend(self, errors: Iterable[FieldError]) -> None:
        self.errors.extend(errors)

    def child(self, prefix: str) -> Collector:
        sub = Collector(f"{self.prefix}{prefix}.")
        sub.errors = self.errors
        return sub

    def raise_if_any(self) -> None:
        """NOT_FOUND when every error is a missing reference, else BAD_USER_INPUT (both
        naming every field)."""
        if self.errors and all(e.missing for e in self.errors):
            raise MissingReferences(self.errors)
        if self.errors:
            raise BadUserInput(self.errors)
