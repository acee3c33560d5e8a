"""Shared subscription executions: one execution and one serialized payload per event for every
subscriber of this process that asks the same thing.

Who shares: subscribers whose document, operation name, variables, organization, role and
contact (PERSON tokens) are equal, and whose token is equal too when the document selects a
field named ``me`` or ``viewer`` (an answer about the caller itself). The key holds everything
the resolvers' tenancy and role checks read, so every member gets exactly the answer its own
execution would have given: two organizations, or a VIEWER and an EDITOR, never share an
execution, even with the identical document and variables.

Per event the execution runs once, its payload (``{"data", "errors", "extensions"}``) is
serialized once, and each member sends that text behind its own prefix (the operation id and
message type differ per subscriber and protocol): the per-subscriber cost is a queue hand-off
and a WebSocket send. A member's queue is bounded: a subscriber that stops reading loses its
oldest messages and never slows the others.

Lifetime: the first subscriber of a key starts the execution; it stops when the last member
leaves. A stream that ends, or fails before its first event (an unknown schedule, a forbidden
field), ends the same way for every member, and the next subscriber starts afresh. Queries and
mutations sent over a WebSocket, and documents that do not parse, are not shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationType,
    get_operation_ast,
    parse,
    visit,
)
from graphql.language import Visitor
from strawberry.schema import BaseSchema
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from app import pubsub
from app.api.context import Context

log = logging.getLogger("rotagraph.subscriptions")

QUEUE_LIMIT = pubsub.QUEUE_LIMIT
"""Messages a member may fall behind by before it loses its oldest ones (as a broker
subscriber does; the texts are shared, so a backlog costs a reference per message)."""
_SHAPES_KEPT = 512
_PERSONAL_FIELDS = frozenset({"me", "viewer"})


@dataclass(frozen=True)
class Shape:
    """What sharing needs to know of a document: whether the operation is a subscription and
    whether it reads the caller itself."""

    subscription: bool
    personal: bool


class _FindsPersonal(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_args: Any) -> Any:
        if node.name.value in _PERSONAL_FIELDS:
            self.found = True
            return Visitor.BREAK
        return None


_shapes: dict[tuple[str, str | None], Shape | None] = {}


def shape_of(query: str | None, operation_name: str | None) -> Shape | None:
    """The document's shape; None when it does not parse or names no operation (the normal
    path reports those). Remembered for the last few hundred documents."""
    if not query or not isinstance(query, str) or not isinstance(operation_name, str | None):
        return None
    key = (query, operation_name)
    if key in _shapes:
        return _shapes[key]
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        shape = None
    else:
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            shape = None
        else:
            finder = _FindsPersonal()
            visit(document, finder)
            shape = Shape(operation.operation == OperationType.SUBSCRIPTION, finder.found)
    if len(_shapes) >= _SHAPES_KEPT:
        _shapes.clear()
    _shapes[key] = shape
    return shape


def share_key(
    context: Context, query: str, variables: Any, operation_name: str | None
) -> tuple[Any, ...] | None:
    """The key subscribers share an execution under; None when this one runs alone (not a
    subscription, not authenticated, variables that are not JSON)."""
    shape = shape_of(query, operation_name)
    auth = context.auth
    if shape is None or not shape.subscription or auth is None:
        return None
    try:
        values = json.dumps(variables, sort_keys=True)
    except (TypeError, ValueError):
        return None
    token = auth.token_id if shape.personal else None
    return (query, operation_name, values, auth.org_id, auth.role, auth.contact_id, token)


def serialize(result: ExecutionResult) -> str:
    """An event's payload as JSON text: serialized once, sent to every member."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return json.dumps(payload)


class Outcome:
    """What a member receives: ``next`` (the serialized payload), ``errors`` (the stream
    failed before its first event) or ``end``."""

    __slots__ = ("errors", "kind", "text")

    def __init__(self, kind: str, text: str = "", errors: list[GraphQLError] | None = None) -> None:
        self.kind = kind
        self.text = text
        self.errors = errors or []


_END = Outcome("end")


class Member:
    __slots__ = ("queue",)

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Outcome] = asyncio.Queue(QUEUE_LIMIT)

    async def relay(self, send: Callable[[str], Awaitable[None]], prefix: str) -> Outcome:
        """Sends each event to this subscriber as ``prefix`` + payload + ``}``, until the
        stream ends; returns how it ended (``errors`` before the first event, or ``end``)."""
        while True:
            outcome = await self.queue.get()
            if outcome.kind != "next":
                return outcome
            await send(prefix + outcome.text + "}")

    def put(self, outcome: Outcome) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(outcome)


class SharedExecution:
    """One subscription execution whose results go to every member."""

    def __init__(self, registry: SharedSubscriptions, key: tuple[Any, ...]) -> None:
        self.registry = registry
        self.key = key
        self.members: set[Member] = set()
        self.task: asyncio.Task[None] | None = None

    def start(
        self, context: Context, query: str, variables: Any, operation_name: str | None
    ) -> None:
        # The execution's own context: the first member's authentication and settings,
        # fresh loaders; the first member leaving does not end it.
        own = replace(context, _loaders=None, connection_params=None)
        self.task = asyncio.create_task(self._run(own, query, variables, operation_name))

    def broadcast(self, outcome: Outcome) -> None:
        for member in list(self.members):
            member.put(outcome)

    async def _run(
        self, context: Context, query: str, variables: Any, operation_name: str | None
    ) -> None:
        try:
            stream = await self.registry.schema.subscribe(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
            )
            first = True
            async with aclosing(stream):
                async for result in stream:
                    if first and isinstance(result, PreExecutionError):
                        self.broadcast(Outcome("errors", errors=list(result.errors or [])))
                        return
                    first = False
                    self.broadcast(Outcome("next", text=serialize(result)))
        except Exception:  # every member is told the stream ended
            log.exception("a shared subscription failed")
        finally:
            self.registry.forget(self)
        self.broadcast(_END)


class SharedSubscriptions:
    """This process's shared executions (one registry per GraphQL view)."""

    def __init__(self, schema: BaseSchema) -> None:
        self.schema = schema
        self.running: dict[tuple[Any, ...], SharedExecution] = {}

    def forget(self, execution: SharedExecution) -> None:
        if self.running.get(execution.key) is execution:
            del self.running[execution.key]

    @contextlib.asynccontextmanager
    async def join(
        self,
        key: tuple[Any, ...],
        context: Context,
        query: str,
        variables: Any,
        operation_name: str | None,
    ) -> AsyncIterator[Member]:
        """Membership of the execution for ``key`` (started if none runs), for as long as the
        block lasts; the last member out stops it."""
        execution = self.running.get(key)
        if execution is None:
            execution = SharedExecution(self, key)
            self.running[key] = execution
            execution.start(context, query, variables, operation_name)
        member = Member()
        execution.members.add(member)
        try:
            yield member
        finally:
            execution.members.discard(member)
            if not execution.members and execution.task is not None:
                self.forget(execution)
                execution.task.cancel()


_registries: weakref.WeakKeyDictionary[object, SharedSubscriptions] = weakref.WeakKeyDictionary()


def registry_of(view: object, schema: BaseSchema) -> SharedSubscriptions:
    """The shared executions of one GraphQL view (so two apps in one process never mix)."""
    found = _registries.get(view)
    if found is None:
        found = _registries[view] = SharedSubscriptions(schema)
    return found


def running() -> list[SharedExecution]:
    """Every shared execution running in this process (for tests and diagnostics)."""
    return [e for registry in list(_registries.values()) for e in registry.running.values()]


def metric_lines() -> list[str]:
    """The shapes cache against its bound, and the shared executions and their subscribers."""
    executions = running()
    return [
        f"rotagraph_subscription_shape_cache_entries {len(_shapes)}",
        f"rotagraph_subscription_shape_cache_max_entries {_SHAPES_KEPT}",
        f"rotagraph_shared_subscriptions {len(executions)}",
        f"rotagraph_shared_subscription_members {sum(len(e.members) for e in executions)}",
    ]
