"""The schedule page at ``/``: a small browser app served entirely by this process.

Contract:

* ``GET /`` answers one HTML document (:func:`page_html`) that loads a stylesheet and one ES
  module from ``/static/page/`` (:func:`page_static_app`, files in ``app/static/page/``). No
  CDN, no build step, no third-party script: the page works offline.
* The page carries no inline script or style, so a ``script-src 'self'; style-src 'self'``
  Content-Security-Policy is enough for it; ``Referrer-Policy: no-referrer`` keeps its
  address out of other requests.
* It talks to the service only through the public API: GraphQL over ``POST /graphql`` with
  ``Authorization: Bearer <token>``, and subscriptions over graphql-transport-ws at
  ``/graphql`` with the token in the ``connection_init`` payload. The token is pasted by the
  user, or exchanged from a personal link's one-time code (``/#signin=rgc_…``, removed from
  the address bar at once) at ``POST /sign-in``, and kept in the tab's ``sessionStorage``
  only (never in a URL, a cookie or a log).
* No data is in the document itself: the HTML is the same for everyone and needs no token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC_DIR: Final[Path] = Path(__file__).resolve().parent.parent / "static" / "page"
STATIC_PREFIX: Final[str] = "/static/page"

_PAGE: Final[str] = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <title>Rotagraph</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{prefix}/page.css">
    <script type="module" src="{prefix}/app.js"></script>
  </head>
  <body>
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href="#/">Rotagraph</a>
      <nav aria-label="Main" id="nav" hidden>
        <a href="#/">Schedules</a>
        <a href="#/people">People</a>
        <a href="#/me" id="nav-me" hidden>My page</a>
        <a href="/graphql">GraphiQL</a>
        <button type="button" id="sign-out">Sign out</button>
      </nav>
    </header>
    <main id="main" tabindex="-1">
      <p>Loading&hellip;</p>
      <noscript>
        <p>This page needs JavaScript. The API is at <a href="/graphql">/graphql</a>.</p>
      </noscript>
    </main>
    <div id="live" class="visually-hidden" role="status" aria-live="polite"></div>
    <div id="tooltip" class="tooltip" role="tooltip" hidden></div>
  </body>
</html>
"""

HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def page_html(static_prefix: str = STATIC_PREFIX) -> str:
    """The page's HTML, loading its assets from ``static_prefix`` only."""
    return _PAGE.format(prefix=static_prefix.rstrip("/"))


async def page(request: Request) -> HTMLResponse:
    """``GET /``: the schedule page (the same document for everyone; data comes by API)."""
    return HTMLResponse(page_html(), headers=HEADERS)


def page_static_app() -> StaticFiles:
    """Serves ``app/static/page/`` (mount it at :data:`STATIC_PREFIX`)."""
    return StaticFiles(directory=STATIC_DIR)
