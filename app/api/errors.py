"""Maps the one error vocabulary onto GraphQL errors and masks everything else."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension

from app.errors import AppError

log = logging.getLogger("rotagraph.errors")

MASKED_MESSAGE = "Unexpected error."


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
    if original is None:
        # Parse and validation errors, and argument coercion: the request itself is wrong.
        extensions = dict(error.extensions or {})
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
            extensions={"code": "BAD_USER_INPUT"},
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
