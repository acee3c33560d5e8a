"""The offline GraphiQL page (app/api/graphiql.py) in a real headless Chromium.

A tiny Starlette app serves the page, its static assets and a stand-in /graphql (HTTP POST
and a minimal graphql-transport-ws WebSocket) on a free 127.0.0.1 port. Chromium is driven
over the DevTools protocol (the `websockets` sync client) and the test proves that

* every request the page makes (HTTP and WebSocket) goes to our 127.0.0.1 server;
* GraphiQL renders, with the Authorization header visible in the headers editor;
* ``?query=...&autorun=1`` runs a query against POST /graphql, and refuses a mutation;
* a token typed into the headers editor is sent as the HTTP Authorization header and as the
  WebSocket ``connection_init`` payload, and is persisted in localStorage.

Chromium comes from Debian: ``apt-get install -y chromium``. Without it the browser test
skips, unless CI=true, where it fails. Set CHROMIUM=/path/to/binary to use another build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import uvicorn
from graphql import build_schema, get_operation_ast, graphql_sync, parse, validate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.sync.client import ClientConnection, connect

from app.api.graphiql import (
    EXAMPLES,
    SCRIPTS,
    STATIC_DIR,
    STYLESHEETS,
    graphiql_html,
    graphiql_static_app,
)

TOKEN = "Bearer s3cret-token-for-the-test"
SCHEMA = build_schema("type Query { hello: String }  type Subscription { tick: Int }")


# --------------------------------------------------------------------------- page, no browser


class _AssetRefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value is not None:
                self.refs.append(value)


def _refs(page: str) -> list[str]:
    parser = _AssetRefs()
    parser.feed(page)
    return parser.refs


def test_page_references_only_local_assets_that_exist() -> None:
    page = graphiql_html()
    refs = _refs(page)
    assets = [ref for ref in refs if ref != "data:,"]
    expected = [f"/static/graphiql/{name}" for name in (*STYLESHEETS, *SCRIPTS)]
    assert sorted(assets) == sorted(expected)
    for name in (*STYLESHEETS, *SCRIPTS):
        assert (STATIC_DIR / name).is_file(), name
    assert "http://" not in page and "https://" not in page and "//unpkg" not in page
    # no inline script: only the JSON settings block and <script src=...> tags
    assert page.count("<script") == len(SCRIPTS) + 1


def test_page_prefix_endpoint_and_escaping() -> None:
    page = graphiql_html(endpoint="/api/gql</script><b>", static_prefix="/assets/giql/")
    assert all(ref.startswith("/assets/giql/") for ref in _refs(page) if ref != "data:,")
    start = page.index('type="application/json">') + len('type="application/json">')
    block = page[start : page.index("</script>", start)]
    assert "<" not in block
    config = json.loads(block)
    assert config["endpoint"] == "/api/gql</script><b>"
    assert json.loads(config["defaultHeaders"]) == {"Authorization": "Bearer <paste token>"}


def test_versions_file_checksums_match_the_assets() -> None:
    rows = [
        line.split()
        for line in (STATIC_DIR / "VERSIONS.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {row[0] for row in rows} >= {
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    }
    for name, _package, _path, digest in rows:
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name


async def test_static_app_serves_the_assets() -> None:
    app = Starlette(routes=[Mount("/static/graphiql", app=graphiql_static_app())])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for name, kind in [("graphiql.min.css", "text/css"), ("graphiql.min.js", "javascript")]:
            response = await client.get(f"/static/graphiql/{name}")
            assert response.status_code == 200
            assert kind in response.headers["content-type"]
        assert (await client.get("/static/graphiql/missing.js")).status_code == 404


# --------------------------------------------------------------------------- test server


@dataclass
class Recorder:
    schema: Any = SCHEMA  # what introspection answers with
    posts: list[dict[str, Any]] = field(default_factory=list)
    ws_inits: list[dict[str, Any]] = field(default_factory=list)
    ws_subscribes: list[dict[str, Any]] = field(default_factory=list)

    def posts_named(self, operation: str) -> list[dict[str, Any]]:
        return [post for post in self.posts if post["body"].get("operationName") == operation]


def _build_app(recorder: Recorder) -> Starlette:
    async def page(request: Request) -> Response:
        return HTMLResponse(graphiql_html())

    async def post(request: Request) -> Response:
        body = await request.json()
        recorder.posts.append({"body": body, "authorization": request.headers.get("authorization")})
        if body.get("operationName") == "IntrospectionQuery":
            if not request.headers.get("authorization"):  # as Rotagraph answers it
                error = {
                    "message": "a token is required",
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
                return JSONResponse({"data": None, "errors": [error]}, status_code=401)
            # a real schema, so GraphiQL loads one (any other query gets the trivial answer)
            result = graphql_sync(
                recorder.schema, body["query"], variable_values=body.get("variables")
            )
            return JSONResponse(result.formatted)
        return JSONResponse({"data": {"__typename": "Query"}})

    async def websocket(ws: WebSocket) -> None:
        await ws.accept(subprotocol="graphql-transport-ws")
        try:
            init = await ws.receive_json()
            recorder.ws_inits.append(init)
            await ws.send_json({"type": "connection_ack"})
            while True:
                message = await ws.receive_json()
                if message.get("type") == "ping":
                    await ws.send_json({"type": "pong"})
                elif message.get("type") == "subscribe":
                    recorder.ws_subscribes.append(message)
                    event = {"data": {"tick": 1}}
                    await ws.send_json({"id": message["id"], "type": "next", "payload": event})
                    await ws.send_json({"id": message["id"], "type": "complete"})
        except WebSocketDisconnect:
            return

    return Starlette(
        routes=[
            Route("/graphql", page, methods=["GET"]),
            Route("/graphql", post, methods=["POST"]),
            WebSocketRoute("/graphql", websocket),
            Mount("/static/graphiql", app=graphiql_static_app()),
        ]
    )


@dataclass
class LiveServer:
    base_url: str
    port: int
    recorder: Recorder


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    recorder = Recorder()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        _build_app(recorder),
        lifespan="off",
        log_level="warning",
        ws="websockets-sansio",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield LiveServer(base_url=f"http://127.0.0.1:{port}", port=port, recorder=recorder)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# --------------------------------------------------------------------------- Chromium over CDP


def _chromium_binary() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    reason = "Chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true needs it for the GraphiQL browser test")
    pytest.skip(reason)


class Cdp:
    """A minimal synchronous Chrome DevTools Protocol client over one browser WebSocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + 10
        while True:
            reply = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.events.append(reply)


class Page:
    def __init__(self, cdp: Cdp, session: str) -> None:
        self.cdp = cdp
        self.session = session

    def evaluate(self, expression: str) -> Any:
        result = self.cdp.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            self.session,
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what}; last value {value!r}\n{self.diagnostics()}"
                )
            time.sleep(0.05)

    def diagnostics(self) -> str:
        """What the page shows and what went wrong in it, for a failure message."""
        state = self.evaluate(
            "({url: location.href, text: (document.body ? document.body.innerText : '')"
            ".slice(0, 500)})"
        )
        interesting = {
            "Runtime.exceptionThrown",
            "Runtime.consoleAPICalled",
            "Network.loadingFailed",
            "Network.responseReceived",
        }
        lines = [json.dumps(state)]
        for event in self.cdp.events:
            params = event["params"]
            if event["method"] in interesting and not str(params.get("response")).startswith(
                "{'url': 'data:"
            ):
                if event["method"] == "Network.responseReceived":
                    params = {k: params["response"][k] for k in ("url", "status")}
                lines.append(f"{event['method']}: {json.dumps(params)[:400]}")
        return "\n".join(lines[-40:])

    def navigate(self, url: str) -> None:
        self.cdp.call("Page.navigate", {"url": url}, self.session)


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Page]:
    binary = _chromium_binary()
    profile = tmp_path / "profile"
    profile.mkdir()
    log = (tmp_path / "chromium.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            # belt and braces: no host name resolves, so nothing could leave the machine
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 15
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.flush()
                output = (tmp_path / "chromium.log").read_text(errors="replace")[-2000:]
                raise AssertionError(f"Chromium did not open its DevTools port:\n{output}")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        with connect(f"ws://127.0.0.1:{port}{path}", max_size=2**24, open_timeout=10) as ws:
            cdp = Cdp(ws)
            target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            attached = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})
            session = attached["sessionId"]
            for domain in ("Network", "Page", "Runtime"):
                cdp.call(f"{domain}.enable", None, session)
            try:
                yield Page(cdp, session)
            finally:
                with contextlib.suppress(Exception):
                    cdp.call("Browser.close")
    finally:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()  # only this test's own Chromium, by its handle
            process.wait(timeout=10)
        log.close()


# --------------------------------------------------------------------------- the browser test

RESPONSE_TEXT = (
    "(() => { const e = document.querySelector('.graphiql-response .CodeMirror');"
    " return e ? e.CodeMirror.getValue() : ''; })()"
)
HEADERS_EDITOR = (
    "[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]"
    ".find(e => e.CodeMirror.getValue().includes('Authorization'))"
)


QUERY_EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"


def _run_in_editor(page: Page, query: str, operation: str) -> None:
    """Type ``query`` and press Execute once GraphiQL has parsed it (it does so debounced)."""
    page.evaluate(f"{QUERY_EDITOR}.setValue({json.dumps(query)})")
    page.wait_for(f"{QUERY_EDITOR}.operationName === {json.dumps(operation)}", "the parse")
    page.evaluate("document.querySelector('.graphiql-execute-button').click()")


def test_graphiql_runs_offline_in_chromium(live_server: LiveServer, browser_page: Page) -> None:
    page, recorder = browser_page, live_server.recorder

    # 1. autorun of a read-only query given in the URL; no token typed yet
    query = "query Autorun { __typename }"
    page.navigate(f"{live_server.base_url}/graphql?" + urlencode({"query": query, "autorun": 1}))
    page.wait_for("!!document.querySelector('.graphiql-container')", "the GraphiQL UI")
    page.wait_for(f'{RESPONSE_TEXT}.includes(\'"__typename": "Query"\')', "the autorun result")
    assert page.evaluate("document.getElementById('graphiql').dataset.autorun") == "started"
    [autorun] = recorder.posts_named("Autorun")
    assert autorun["body"]["query"] == query
    assert autorun["authorization"] is None  # the "<paste token>" placeholder is not sent
    assert not recorder.posts_named("IntrospectionQuery"), "introspection without a token"

    # 2. the headers editor shows the Authorization default, open and visible
    default = page.wait_for(f"{HEADERS_EDITOR}?.CodeMirror.getValue()", "the headers editor")
    assert json.loads(default) == {"Authorization": "Bearer <paste token>"}
    assert page.evaluate(f"!{HEADERS_EDITOR}.closest('.graphiql-editor.hidden')")

    # 3. a typed token goes out on HTTP and as the WebSocket connection_init payload
    token_headers = json.dumps({"Authorization": TOKEN})
    page.evaluate(f"{HEADERS_EDITOR}.CodeMirror.setValue({json.dumps(token_headers)})")
    _run_in_editor(page, "query WithToken { __typename }", "WithToken")
    deadline = time.monotonic() + 10
    while not recorder.posts_named("WithToken"):
        if time.monotonic() > deadline:
            raise AssertionError(
                "the WithToken query never reached POST /graphql; response pane: "
                f"{page.evaluate(RESPONSE_TEXT)!r}\n{page.diagnostics()}"
            )
        time.sleep(0.05)
    assert recorder.posts_named("WithToken")[0]["authorization"] == TOKEN
    # the schema is fetched with the token once it is typed
    page.wait_for("document.getElementById('graphiql').dataset.schema === 'loaded'", "schema")
    introspections = recorder.posts_named("IntrospectionQuery")
    assert introspections and {p["authorization"] for p in introspections} == {TOKEN}

    _run_in_editor(page, "subscription Ticks { tick }", "Ticks")
    page.wait_for(f"{RESPONSE_TEXT}.includes('\"tick\": 1')", "the subscription event")
    assert recorder.ws_inits == [{"type": "connection_init", "payload": {"Authorization": TOKEN}}]
    assert recorder.ws_subscribes[0]["payload"]["operationName"] == "Ticks"
    persisted = page.wait_for(  # GraphiQL stores the headers editor debounced
        "localStorage.getItem('graphiql:headers')", "the persisted headers"
    )
    assert json.loads(persisted) == {"Authorization": TOKEN}

    # 4. a mutation in a link is filled in but never run automatically
    posts_before = len(recorder.posts)
    mutation = "mutation Dangerous { __typename }"
    page.navigate(f"{live_server.base_url}/graphql?" + urlencode({"query": mutation, "autorun": 1}))
    page.wait_for(
        "document.getElementById('graphiql')?.dataset.autorun === 'refused'", "autorun refusal"
    )
    page.wait_for(f"{QUERY_EDITOR}.getValue() === {json.dumps(mutation)}", "the prefilled mutation")
    time.sleep(0.5)
    assert not recorder.posts_named("Dangerous")
    assert all(
        p["body"].get("operationName") == "IntrospectionQuery"
        for p in recorder.posts[posts_before:]
    )
    assert all(p["authorization"] == TOKEN for p in recorder.posts_named("IntrospectionQuery"))

    # 5. nothing the page asked for went anywhere but our 127.0.0.1 server; no script errors
    page.evaluate("1")  # flush pending events
    events = page.cdp.events
    urls = [
        e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
    ]
    urls += [e["params"]["url"] for e in events if e["method"] == "Network.webSocketCreated"]
    assert any(url.startswith("ws://127.0.0.1") for url in urls), urls
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob", "about"}:
            continue
        assert parts.scheme in {"http", "ws"}, url
        assert (parts.hostname, parts.port) == ("127.0.0.1", live_server.port), url
    errors = [e["params"] for e in events if e["method"] == "Runtime.exceptionThrown"]
    assert not errors, errors


# --------------------------------------------------------------------------- a first visit

ROTAGRAPH_SCHEMA = build_schema(
    (Path(__file__).resolve().parents[2] / "schema.graphql").read_text(encoding="utf-8")
)
EXAMPLE_NAMES = ["OnCallNow", "TierNextWeek", "CreateOnDemandShift", "WatchOnCall"]


def test_examples_are_valid_operations_of_the_schema() -> None:
    names = []
    for example in EXAMPLES:
        document = parse(example["query"])
        assert validate(ROTAGRAPH_SCHEMA, document) == [], example["query"]
        names.append(get_operation_ast(document).name.value)  # type: ignore[union-attr]
        assert isinstance(json.loads(example["variables"] or "{}"), dict)
    assert names == EXAMPLE_NAMES
    kinds = [get_operation_ast(parse(e["query"])).operation.value for e in EXAMPLES]  # type: ignore[union-attr]
    assert kinds == ["query", "query", "mutation", "subscription"]


def test_a_first_visit_opens_examples_and_loads_the_schema_once_a_token_is_typed(
    live_server: LiveServer, browser_page: Page
) -> None:
    page, recorder = browser_page, live_server.recorder
    recorder.schema = ROTAGRAPH_SCHEMA
    page.navigate(f"{live_server.base_url}/graphql")
    page.wait_for("!!document.querySelector('.graphiql-container')", "the GraphiQL UI")
    tabs = page.wait_for(
        "(() => { const t = [...document.querySelectorAll('.graphiql-tab')]"
        ".map(e => e.innerText.trim()); return t.length === 4 ? t : null; })()",
        "the example tabs",
    )
    assert tabs == EXAMPLE_NAMES
    # the examples' instants were filled in
    state = json.loads(page.wait_for("localStorage.getItem('graphiql:tabState')", "the tabs"))
    variables = " ".join(tab.get("variables") or "" for tab in state["tabs"])
    assert "<now>" not in variables and "<in 7 days>" not in variables
    assert re.search(r'"from": "\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"', variables), variables

    # no token yet: nothing sent, no error shown
    time.sleep(1.0)
    assert recorder.posts == []
    assert page.evaluate("document.getElementById('graphiql').dataset.schema") == (
        "waiting-for-token"
    )
    shown = page.evaluate("document.body.innerText")
    assert "error" not in shown.lower() and "401" not in shown, shown

    # a token typed into the headers: the schema arrives, with no reload
    page.evaluate("window.rotagraphMarker = 'same page'")
    token_headers = json.dumps({"Authorization": TOKEN})
    page.evaluate(f"{HEADERS_EDITOR}.CodeMirror.setValue({json.dumps(token_headers)})")
    page.wait_for("document.getElementById('graphiql').dataset.schema === 'loaded'", "the schema")
    assert page.evaluate("window.rotagraphMarker") == "same page"
    [introspection] = recorder.posts_named("IntrospectionQuery")
    assert introspection["authorization"] == TOKEN
    # Docs: the explorer lists the schema's root types
    page.evaluate(
        "document.querySelector('.graphiql-sidebar button[aria-label*=\"Documentation\"]').click()"
    )
    docs = page.wait_for(
        "document.querySelector('.graphiql-doc-explorer')?.innerText", "the Docs explorer"
    )
    assert "Query" in docs and "Subscription" in docs, docs
    errors = [e["params"] for e in page.cdp.events if e["method"] == "Runtime.exceptionThrown"]
    assert not errors, errors
