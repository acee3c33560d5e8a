"""Execution that shares the event loop: long lists are completed in slices, taking turns.

graphql-core completes a list of plain values in one synchronous loop; a year of hourly
shifts on twenty tiers is hundreds of thousands of objects, which would hold the event loop
(``/healthz``, every other request) for seconds. Lists longer than ``cooperative.SLICE``
items are fed to graphql-core as an async iterator that takes a turn between slices (see
``app.cooperative``). The result is the same list, in the same order, with the same error
paths.
"""

from __future__ import annotations

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app import cooperative


class SharingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def complete_list_value(  # type: ignore[no-untyped-def]
        self, return_type, field_details_list, info, path, result, position_context
    ):
        if isinstance(result, (list, tuple)) and len(result) > cooperative.SLICE:
            result = cooperative.sliced(result)
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )
