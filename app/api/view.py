"""The ASGI GraphQL view: auth before execution, body cap, the offline GraphiQL page."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError, OperationType
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from app import clock as clock_module
from app import versions
from app.api import encoding, response_cache, websockets
from app.api.context import Context
from app.api.errors import shape_error
from app.auth import service as auth_service
from app.auth.service import Auth
from app.clock import Clock
from app.errors import AppError, Unauthenticated
from app.settings import Settings

MAX_JSON_DEPTH = 64


def _too_deep() -> str:
    return f"the request's JSON is nested more than {MAX_JSON_DEPTH} levels deep"


def _depth(value: Any) -> int:
    """How deeply ``value`` (parsed JSON) nests, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def error_response(error: AppError, status: int) -> JSONResponse:
    return JSONResponse(
        {"data": None, "errors": [{"message": error.message, "extensions": error.extensions}]},
        status_code=status,
    )


class BodyTooLarge(Exception):
    pass


def _capped_receive(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
        return message

    return wrapped


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _wants_html(scope: Scope) -> bool:
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept", b"").decode("latin-1")
    query = scope.get("query_string", b"")
    return scope.get("method") == "GET" and "text/html" in accept and b"query=" not in query


SUBSCRIPTION_OVER_HTTP = (
    "subscriptions need a WebSocket: connect to this URL with ws:// or wss:// "
    "(graphql-transport-ws, or graphql-ws for older clients)"
)


class RotagraphGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = websockets.TransportWSHandler
    graphql_ws_handler_class = websockets.LegacyWSHandler

    def __init__(self, schema: BaseSchema, *, settings: Settings, clock: Clock) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            allowed_origins=settings.allowed_origins or ("*",),
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.settings = settings
        self.clock = clock
        self.cache = response_cache.ResponseCache(
            max_entries=settings.response_cache_entries, max_bytes=settings.response_cache_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if _wants_html(scope):
            response: Response = await self.graphiql_page()
            await response(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.settings.max_body_bytes:
            await self._too_large()(scope, receive, send)
            return
        try:
            auth = await auth_service.authenticate(
                authorization=headers.get(b"authorization", b"").decode("latin-1") or None,
                now=self.clock.now(),
            )
        except Unauthenticated as exc:
            await error_response(exc, 401)(scope, receive, send)
            return
        scope.setdefault("state", {})["auth"] = auth
        try:
            await self._serve(scope, receive, send, auth)
        except BodyTooLarge:
            await self._too_large()(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, auth: Auth) -> None:
        """Answer from the response cache when the request is a query whose answer is stored
        for the organization's current data version; otherwise execute and maybe store."""
        capped = _capped_receive(receive, self.settings.max_body_bytes)
        if scope.get("method") != "POST" or not self.cache.enabled:
            await super().__call__(scope, capped, send)
            return
        body = await _read_body(capped)
        request = response_cache.cacheable_request(body)
        key = None
        if request is not None:
            version = await versions.current(auth.org_id)
            key = response_cache.key_of(
                request,
                org_id=auth.org_id,
                role=auth.role.value,
                token_id=auth.token_id,
                version=version,
            )
            hit = self.cache.get(key, self.clock.now())
            if hit is not None:
                await Response(hit, media_type="application/json")(scope, receive, send)
                return
        reads = clock_module.track()
        status = 0
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and key is not None:
                chunks.append(message.get("body", b""))
            await send(message)

        await super().__call__(scope, _replay(body), capture)
        if key is None or status != 200:
            return
        if reads.uncacheable and reads.expires is None:
            self.cache.counters.uncacheable += 1
            return
        answer = b"".join(chunks)
        if b'"errors"' in answer and json.loads(answer).get("errors"):
            return
        self.cache.put(key, answer, reads.expires)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry answers a malformed HTTP request (no JSON, a JSON scalar, batching,
        a wrong method or content type) with plain text: answer a GraphQL error instead."""
        try:
            return await super().run(request, context, root_value)
        except HTTPException as exc:
            if isinstance(request, WebSocket):
                raise
            return JSONResponse(
                {
                    "data": None,
                    "errors": [{"message": exc.reason, "extensions": {"code": "BAD_USER_INPUT"}}],
                },
                status_code=exc.status_code,
            )

    def parse_json(self, data: str | bytes) -> Any:
        """A request body (or GET ``variables``) is a JSON object nested at most
        ``MAX_JSON_DEPTH`` deep: anything else is refused before it reaches GraphQL."""
        try:
            value = super().parse_json(data)
        except RecursionError:
            raise HTTPException(400, _too_deep()) from None
        if not isinstance(value, dict):
            raise HTTPException(400, 'the request must be a JSON object like {"query": "..."}')
        if _depth(value) > MAX_JSON_DEPTH:
            raise HTTPException(400, _too_deep())
        return value

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """The answer, unless it is over ``max_response_bytes``: then an error saying so."""
        response = super().create_response(response_data, sub_response)
        cap = self.settings.max_response_bytes
        if len(response.body) > cap:
            too_big = json.dumps(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": f"the answer is over {cap} bytes (MAX_RESPONSE_BYTES): "
                            "ask for fewer fields, aliases, items or days",
                            "extensions": {"code": "BAD_USER_INPUT", "limit": cap},
                        }
                    ],
                },
                separators=(",", ":"),
            )
            response = Response(too_big, media_type="application/json")
            response.headers.raw.extend(sub_response.headers.raw)
        return response

    def _too_large(self) -> JSONResponse:
        return JSONResponse(
            {
                "data": None,
                "errors": [
                    {
                        "message": f"request body over {self.settings.max_body_bytes} bytes",
                        "extensions": {"code": "BAD_USER_INPUT"},
                    }
                ],
            },
            status_code=413,
        )

    async def graphiql_page(self) -> Response:
        if not self.settings.graphiql:
            return error_response(Unauthenticated("GraphiQL is turned off"), 404)
        from app.api.graphiql import graphiql_html

        return HTMLResponse(graphiql_html())

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # Parse errors leave the schema before extensions see them: shape here as well.
        if result.errors:
            result.errors = [shape_error(e) for e in result.errors]
        answer = await super().process_result(request, result)
        # Encoded here, taking turns on the loop; create_response sends this text.
        return await encoding.encode_answer(answer)  # type: ignore[return-value]

    def encode_json(self, data: object) -> str | bytes:
        if isinstance(data, encoding.Encoded):
            return data.text
        return super().encode_json(data)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        auth: Auth | None = request.scope.get("state", {}).get("auth")
        clock_module.use(self.clock)
        return Context(
            request=request, response=response, settings=self.settings, clock=self.clock, auth=auth
        )

    async def on_ws_connect(self, context: Context) -> dict[str, Any] | None:
        header = context.request.headers.get("authorization")
        value = websockets.token_of(context.connection_params, header)
        try:
            if value is None:
                raise Unauthenticated(websockets.NO_TOKEN)
            context.auth = await auth_service.authenticate(
                authorization=value, now=self.clock.now()
            )
        except Unauthenticated as exc:
            context.rejected = exc.message
            raise websockets.rejection(exc.message) from None
        return None

    async def execute_operation(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: Any,
        request_data: Any,
        context: Context,
        root_value: None,
        sub_response: Any,
    ) -> Any:
        if (
            not isinstance(request_data, list)
            and "subscription" in (request_data.query or "")
            and websockets.operation_type(request_data.query, request_data.operation_name)
            == OperationType.SUBSCRIPTION
        ):
            return ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(SUBSCRIPTION_OVER_HTTP, extensions={"code": "BAD_USER_INPUT"})
                ],
            )
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )
