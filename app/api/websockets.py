"""WebSocket authentication as real clients send it, for both subscription protocols.

Where the token may be (the first one found wins):

1. the ``connection_init`` payload: ``{"Authorization": "Bearer <token>"}`` (graphql-ws's
   ``connectionParams``, urql), ``{"authorization": ...}`` (Apollo's usual spelling) or
   ``{"headers": {"Authorization": ...}}`` (Apollo users copying their HTTP headers);
2. the upgrade request's own ``Authorization`` header (server-side clients can set it;
   browsers cannot).

A bare token without ``Bearer`` is accepted in the payload. A refused connection closes
with code 4403 and a reason saying what was missing or wrong (graphql-transport-ws), after
a ``connection_error`` message carrying the same text and ``extensions.code``
(graphql-ws).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from graphql import GraphQLSyntaxError, OperationType, get_operation_ast, parse
from starlette.websockets import WebSocketDisconnect
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.async_base_view import AsyncWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    CompleteMessage,
    ErrorMessage,
    StartMessage,
)

from app.api import subscriptions
from app.api.context import Context

REJECTED = 4403
_MAX_REASON_BYTES = 123  # the WebSocket protocol's limit for a close reason
NO_TOKEN = (
    'no token: send {"Authorization": "Bearer <token>"} in connection_init, '
    "or an Authorization header on the upgrade"
)


def token_of(params: Any, header: str | None) -> str | None:
    """The ``Authorization`` value a connection carries (see the module's docstring)."""
    value: Any = None
    if isinstance(params, dict):
        value = params.get("Authorization") or params.get("authorization")
        headers = params.get("headers")
        if value is None and isinstance(headers, dict):
            value = headers.get("Authorization") or headers.get("authorization")
    if isinstance(value, str) and value.strip():
        value = value.strip()
        return value if value.lower().startswith("bearer ") else f"Bearer {value}"
    return header or None


def rejection(reason: str) -> ConnectionRejectionError:
    """Refuses the connection: ``reason`` becomes the close reason and the message."""
    return ConnectionRejectionError({"message": reason, "extensions": {"code": "UNAUTHENTICATED"}})


class _ExplainedClose:
    """The handler's socket, except that a rejection closes with our reason: Strawberry's
    handlers close with "Forbidden" (graphql-transport-ws) or 1011 (graphql-ws)."""

    def __init__(self, websocket: AsyncWebSocketAdapter, context: Context) -> None:
        self._websocket = websocket
        self._context = context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._websocket, name)

    async def close(self, code: int, reason: str) -> None:
        refused = self._context.rejected
        if refused is not None and code in {REJECTED, 1011}:
            code = REJECTED
            reason = refused.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")
        await self._websocket.close(code, reason)

    async def send_text(self, text: str) -> None:
        """Sends a message already serialized (a shared subscription's event)."""
        try:
            await self._websocket.ws.send_text(text)  # type: ignore[attr-defined]
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws (graphql-ws library, Apollo, urql). Subscriptions join a shared
    execution (see ``app.api.subscriptions``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.websocket = _ExplainedClose(self.websocket, self.context)  # type: ignore[assignment]

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        key = subscriptions.share_key(
            self.context, operation.query, operation.variables, operation.operation_name
        )
        if key is None:
            unparsed = subscriptions.shape_of(operation.query, operation.operation_name) is None
            if unparsed and (reason := syntax_error(operation.query)) is not None:
                # The protocol closes on a document that does not parse (4400); Strawberry's
                # parser cache raises instead, logging a traceback.
                self.operations.pop(operation.id, None)
                cut = reason.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")
                await self.websocket.close(code=4400, reason=cut)
                return
            await super().run_operation(operation)
            return
        shared = subscriptions.registry_of(self.view, self.schema)
        prefix = f'{{"id": {json.dumps(operation.id)}, "type": "next", "payload": '
        try:
            async with shared.join(
                key, self.context, operation.query, operation.variables, operation.operation_name
            ) as member:
                ended = await member.relay(self.websocket.send_text, prefix)  # type: ignore[attr-defined]
            if ended.errors:
                await operation.send_initial_errors(ended.errors)
                return
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except Exception as error:  # as Strawberry's own operations: log, complete, forget
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """graphql-ws, the older subscriptions-transport-ws protocol. Queries and mutations are
    answered too (one ``data`` message, then ``complete``), as Apollo's old WebSocket link
    and gql send every operation over the socket."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.websocket = _ExplainedClose(self.websocket, self.context)  # type: ignore[assignment]

    async def handle_start(self, message: StartMessage) -> None:
        # Strawberry reads message["id"] and payload["query"] unchecked: a malformed start
        # would end the connection with a server traceback.
        operation_id = message.get("id")
        payload = message.get("payload")
        if (
            not isinstance(operation_id, str)
            or not isinstance(payload, dict)
            or not isinstance(payload.get("query"), str)
        ):
            await self.send_message(
                ErrorMessage(
                    type="error",
                    id=operation_id if isinstance(operation_id, str) else "",
                    payload={"message": "a start message needs an id and payload.query"},
                )
            )
            return
        await super().handle_start(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        # The client may leave before its answer (or its "complete") is sent: nothing to say.
        with contextlib.suppress(WebSocketDisconnected):
            await self._results(operation_id, query, operation_name, variables)

    async def _results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        if operation_type(query, operation_name) == OperationType.SUBSCRIPTION:
            key = subscriptions.share_key(self.context, query, variables, operation_name)
            if key is None:
                await super().handle_async_results(operation_id, query, operation_name, variables)
            else:
                await self._shared_results(key, operation_id, query, operation_name, variables)
            return
        # Queries, mutations and documents that do not parse: one answer (errors included).
        try:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=self.context,
                root_value=self.root_value,
                operation_name=operation_name,
            )
            await self.send_data_message(result, operation_id)  # type: ignore[arg-type]
            await self.send_message(CompleteMessage(type="complete", id=operation_id))
        finally:
            self.tasks.pop(operation_id, None)

    async def _shared_results(
        self,
        key: tuple[Any, ...],
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        """A subscription in a shared execution, told as Strawberry's handler tells one: an
        ``error`` before the first event, ``data`` per event, ``complete`` at the end or
        on ``stop``."""
        shared = subscriptions.registry_of(self.view, self.schema)
        prefix = f'{{"type": "data", "id": {json.dumps(operation_id)}, "payload": '
        try:
            async with shared.join(key, self.context, query, variables, operation_name) as member:
                ended = await member.relay(self.websocket.send_text, prefix)  # type: ignore[attr-defined]
            if ended.errors:
                first = ended.errors[0].formatted
                await self.send_message(ErrorMessage(type="error", id=operation_id, payload=first))
                return
            await self.send_message(CompleteMessage(type="complete", id=operation_id))
        except asyncio.CancelledError:
            await self.send_message(CompleteMessage(type="complete", id=operation_id))
        finally:
            self.tasks.pop(operation_id, None)


def syntax_error(query: object) -> str | None:
    """Why a document does not parse (None when it does, or is not a string)."""
    if not isinstance(query, str):
        return None
    try:
        parse(query)
    except GraphQLSyntaxError as error:
        return error.message
    return None


def operation_type(query: str | None, operation_name: str | None) -> OperationType | None:
    """The type of the operation a request runs; None when it does not parse or names no
    operation (the normal path reports those)."""
    if not query:
        return None
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return None
    operation = get_operation_ast(document, operation_name)
    return None if operation is None else operation.operation
