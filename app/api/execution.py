"""Execution: plain fields read in place, and long lists completed in slices, taking turns.

Plain fields (``app.api.plain``): a scalar or enum field that only reads an attribute is
read and serialized without resolve info or resolver call; an object in a list whose selected
fields are all plain is completed in one pass. Anything unusual goes the ordinary way, so
results, errors and their paths are graphql-core's. A schema extension with a ``resolve``
hook (middleware) turns plain reads off for the operation.

Sharing the loop: graphql-core completes a list in one synchronous loop; a year of hourly
shifts on twenty tiers is hundreds of thousands of objects, which would hold the event loop
(``/healthz``, every other request) for seconds. Lists longer than ``cooperative.SLICE``
items are completed a slice at a time; between slices, once the task has held the loop for
its stretch (``app.cooperative.Stretch``), it takes a turn. The result is the same list,
in the same order, with the same error paths.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType
from graphql.pyutils import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app import cooperative
from app.api import plain


class SharingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        leaves = plain.leaves_of(self.schema)
        if leaves is None or (middleware is not None and middleware.middlewares):
            self._leaves = None
            self._plans = None
        else:
            self._leaves = leaves
            self._plans = plain.Plans(leaves, self.collect_subfields)

    def execute_field(  # type: ignore[no-untyped-def]
        self, parent_type, source, field_details_list, path, position_context
    ):
        leaves = self._leaves
        if leaves is not None:
            by_name = leaves.get(parent_type.name)
            if by_name is not None:
                leaf = by_name.get(field_details_list[0].node.name.value)
                if leaf is not None:
                    try:
                        return leaf.read(source)
                    except plain.Fallback:
                        pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def complete_list_value(  # type: ignore[no-untyped-def]
        self, return_type, field_details_list, info, path, result, position_context
    ):
        if not isinstance(result, (list, tuple)):
            return super().complete_list_value(
                return_type, field_details_list, info, path, result, position_context
            )
        item_type = return_type.of_type
        kind = None
        plan = None
        named = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if self._plans is not None and isinstance(named, GraphQLObjectType):
            plan = self._plans.plan(named, field_details_list)
            kind = plain.PlainType(named) if plan is not None else None
        if len(result) <= cooperative.SLICE:
            if plan is None:
                return super().complete_list_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            completed: list[Any] = []
            pending: list[int] = []
            args = (return_type, field_details_list, info, path, position_context)
            self._complete_items(result, 0, len(result), plan, kind, completed, pending, *args)
            if not pending:
                return completed
            return self._settle(completed, pending)
        return self._complete_in_slices(
            result, plan, kind, return_type, field_details_list, info, path, position_context
        )

    def _complete_items(
        self,
        items: Sequence[Any],
        start: int,
        stop: int,
        plan: plain.Plan | None,
        kind: plain.PlainType | None,
        completed: list[Any],
        pending: list[int],
        return_type: GraphQLList[Any],
        field_details_list: Any,
        info: Any,
        path: Any,
        position_context: Any,
    ) -> None:
        """graphql-core's ``complete_iterable_value`` (no @stream here) for ``items[start:
        stop]``, completing plain objects in one pass."""
        item_type = return_type.of_type
        is_awaitable = self.is_awaitable
        complete_item = self.complete_list_item_value
        try:
            for index in range(start, stop):
                item = items[index]
                if plan is not None and kind is not None and item is not None:
                    try:
                        completed.append(plain.complete(plan, kind, item))
                        continue
                    except plain.Fallback:
                        pass
                item_path = path.add_key(index, None)
                if is_awaitable(item):
                    completed.append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, field_details_list, info, item_path, position_context
                        )
                    )
                    pending.append(index)
                elif complete_item(
                    item,
                    completed,
                    item_type,
                    field_details_list,
                    info,
                    item_path,
                    position_context,
                ):
                    pending.append(index)
        except BaseException:
            awaitables: list[Awaitable[Any]] = [completed[i] for i in pending]
            if awaitables:
                self.settle_in_background(awaitables)
            raise

    async def _settle(self, completed: list[Any], pending: list[int]) -> list[Any]:
        done = await gather_with_cancel(*(completed[i] for i in pending))
        for index, value in zip(pending, done, strict=True):
            completed[index] = value
        return completed

    async def _complete_in_slices(
        self,
        items: Sequence[Any],
        plan: plain.Plan | None,
        kind: plain.PlainType | None,
        return_type: GraphQLList[Any],
        field_details_list: Any,
        info: Any,
        path: Any,
        position_context: Any,
    ) -> list[Any]:
        completed: list[Any] = []
        pending: list[int] = []
        args = (return_type, field_details_list, info, path, position_context)
        stretch = cooperative.Stretch()
        for start in range(0, len(items), cooperative.SLICE):
            if stretch.due():
                try:
                    await stretch.turn()
                except BaseException:
                    if pending:
                        self.settle_in_background([completed[i] for i in pending])
                    raise
            stop = min(len(items), start + cooperative.SLICE)
            self._complete_items(items, start, stop, plan, kind, completed, pending, *args)
        if pending:
            return await self._settle(completed, pending)
        return completed
