"""Maps the one error vocabulary onto GraphQL errors and masks everything else."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension

from app.api.fields import field_of
from app.errors import AppError

log = logging.getLogger("rotagraph.errors")

MASKED_MESSAGE = "Unexpected error."


def _fields(error: GraphQLError) -> dict[str, Any]:
    """``fields`` and ``errors`` naming the input value a request-level error is about."""
    field = field_of(error)
    if field is None:
        return {}
    return {"fields": [field], "errors": [{"field": field, "message": error.message}]}


def shape_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, AppError):
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=original.extensions,
        )
    if original is None or (
        # A variable's value that does not fit its type: the outer error names the variable.
        isinstance(original, GraphQLError)
        and original.original_error is None
        and error.path is None
        and error.message.startswith("Variable '$")
    ):
        # Parse and validation errors, and argument coercion: the request itself is wrong.
        extensions = {**_fields(error), **dict(error.extensions or {})}
        extensions.setdefault("code", "BAD_USER_INPUT")
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )
    if isinstance(original, GraphQLError) and original.original_error is None:
        return shape_error(original)
    if error.path is None:
        # No path: the request's own values failed to parse (a custom scalar refused a
        # variable or literal). The message is the scalar's, written for clients.
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            extensions={"code": "BAD_USER_INPUT", **_fields(error)},
        )
    log.error("unexpected error in %s", error.path, exc_info=original)
    return GraphQLError(
        MASKED_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR"},
    )


class ErrorShaping(SchemaExtension):
    """Every error gets ``extensions.code``; unexpected exceptions are masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        # Pre-execution (parse, validation) results are their own class: match on `errors`.
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [shape_error(e) for e in errors]
