"""A GraphiQL page served entirely by the app: no CDN, so it works offline.

Strawberry's built-in page loads React and GraphiQL from public CDNs; this one loads the
copies kept in ``app/static/graphiql/`` (versions and checksums in ``VERSIONS.txt`` there).

Wiring (done by the app owner)::

    Mount("/static/graphiql", app=graphiql_static_app())
    # and answer GET /graphql with HTMLResponse(graphiql_html()) when Accept prefers text/html

The page carries no inline script: the start-up code is ``rotagraph-graphiql.js`` and reads
its settings from a JSON ``<script type="application/json">`` block, so a
``script-src 'self'`` Content-Security-Policy is enough for it. The headers editor starts as
``{"Authorization": "Bearer <paste token>"}``; what the user types there goes out as HTTP
headers and, for subscriptions, as the graphql-transport-ws ``connection_init`` payload.
``?query=...&autorun=1`` pre-fills and runs a single read-only query (see the script).
A first visit opens with the example operations in ``EXAMPLES``, one tab each. The schema
(Docs, completion) is fetched only once a token is in the headers editor, and again whenever
the token changes, with no reload; an untouched page sends nothing and shows no error.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Final

from starlette.staticfiles import StaticFiles

STATIC_DIR: Final[Path] = Path(__file__).resolve().parent.parent / "static" / "graphiql"

#: The headers editor's starting text; the page leaves the placeholder value out of requests.
DEFAULT_HEADERS: Final[str] = '{\n  "Authorization": "Bearer <paste token>"\n}'

#: The tabs a first visit opens with: a newcomer's first operations. In variables, "<now>",
#: "<in 2 hours>" and "<in 7 days>" become instants when the page loads; ids are to be
#: pasted from the first tab's answer.
EXAMPLES: Final[tuple[dict[str, str], ...]] = (
    {
        "query": """# Who is on call now, in every schedule. Paste your token into the Headers tab
# below first: {"Authorization": "Bearer rg_..."}; then press the run button.
query OnCallNow {
  schedules(first: 20) {
    nodes {
      id
      name
      status
      onCallNow {
        tier { id number }
        assignees { id name }
        until
      }
    }
  }
}
""",
        "variables": "",
    },
    {
        "query": """# One tier's shifts over the next week (ids come from the OnCallNow tab).
query TierNextWeek($scheduleId: ID!, $from: DateTime!, $to: DateTime!) {
  tier(scheduleId: $scheduleId, number: 1) {
    number
    shifts(from: $from, to: $to) {
      start
      end
      origin
      assignees { name }
    }
  }
}
""",
        "variables": '{\n  "scheduleId": "<a schedule id>",\n  "from": "<now>",\n'
        '  "to": "<in 7 days>"\n}',
    },
    {
        "query": """# Put someone on call for the next two hours (needs an EDITOR token).
mutation CreateOnDemandShift($input: CreateOnDemandShiftInput!) {
  createOnDemandShift(input: $input) {
    id
    start
    end
    contacts { name }
  }
}
""",
        "variables": '{\n  "input": {\n    "tierId": "<a tier id>",\n    "start": "<now>",\n'
        '    "end": "<in 2 hours>",\n    "contactIds": ["<a contact id>"],\n'
        '    "sure": false\n  }\n}',
    },
    {
        "query": """# Watch who is on call change, live (over a WebSocket; the token goes along).
subscription WatchOnCall($scheduleId: ID!) {
  onCallChanged(scheduleId: $scheduleId) {
    name
    onCallNow {
      tier { number }
      assignees { name }
      until
    }
  }
}
""",
        "variables": '{\n  "scheduleId": "<a schedule id>"\n}',
    },
)

#: Files the page loads, in order, relative to ``static_prefix``.
STYLESHEETS: Final[tuple[str, ...]] = ("graphiql.min.css",)
SCRIPTS: Final[tuple[str, ...]] = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "rotagraph-graphiql.js",
)

_PAGE: Final[str] = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <meta name="referrer" content="no-referrer">
    <title>Rotagraph GraphiQL</title>
    <link rel="icon" href="data:,">
{stylesheets}
    <style>
      html, body {{ height: 100%; margin: 0; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
      .rotagraph-graphiql-error {{ font-family: sans-serif; padding: 1rem; color: #b00020; }}
    </style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL&hellip;</div>
    <noscript><p>GraphiQL needs JavaScript.</p></noscript>
    <script id="rotagraph-graphiql-config" type="application/json">{config}</script>
{scripts}
  </body>
</html>
"""


def _json_for_script(value: object) -> str:
    """JSON that cannot end the ``<script>`` element it sits in."""
    text = json.dumps(value, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def graphiql_html(endpoint: str = "/graphql", static_prefix: str = "/static/graphiql") -> str:
    """The GraphiQL page for ``endpoint``, loading its assets from ``static_prefix`` only."""
    prefix = static_prefix.rstrip("/")
    stylesheets = "\n".join(
        f'    <link rel="stylesheet" href="{html.escape(f"{prefix}/{name}")}">'
        for name in STYLESHEETS
    )
    scripts = "\n".join(
        f'    <script src="{html.escape(f"{prefix}/{name}")}"></script>' for name in SCRIPTS
    )
    config = _json_for_script(
        {"endpoint": endpoint, "defaultHeaders": DEFAULT_HEADERS, "examples": list(EXAMPLES)}
    )
    return _PAGE.format(stylesheets=stylesheets, scripts=scripts, config=config)


def graphiql_static_app() -> StaticFiles:
    """Serves ``app/static/graphiql/`` (mount it at the ``static_prefix`` given to the page)."""
    return StaticFiles(directory=STATIC_DIR)
