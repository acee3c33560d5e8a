"""The page and its assets over HTTP: served by the app itself, no token, no inline script."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from app.api.page import STATIC_DIR
from tests.support import prepare_database, running_app

ASSET = re.compile(r'(?:src|href)="(/[^"]+)"')


async def test_root_serves_the_page_and_every_asset_it_names(tmp_path: Path) -> None:
    url = await prepare_database("sqlite", tmp_path)
    async with running_app(url, "sqlite") as api:
        await _check(api.client)


async def _check(http: httpx.AsyncClient) -> None:
    page = await http.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert "<script>" not in html and " style=" not in html  # nothing inline: CSP holds
    assert re.search(r'<script type="module" src="/static/page/app\.js">', html)
    local = [url for url in ASSET.findall(html) if url.startswith("/static/")]
    assert local == ["/static/page/page.css", "/static/page/app.js"]
    for url in local:
        asset = await http.get(url)
        assert asset.status_code == 200 and asset.content
    # every module the page imports is served, and none comes from elsewhere
    modules = sorted(Path(STATIC_DIR).glob("*.js"))  # noqa: ASYNC240 (a test, tiny folder)
    for module in modules:
        source = module.read_text()
        for name in re.findall(r'from "\./([\w-]+\.js)"', source):
            assert (Path(STATIC_DIR) / name).is_file(), (module.name, name)
        assert "http://" not in source and "https://" not in source, module.name
        served = await http.get(f"/static/page/{module.name}")
        assert served.status_code == 200
        assert "javascript" in served.headers["content-type"]
    graphiql = await http.get("/graphql", headers={"Accept": "text/html"})
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
    assert (await http.get("/static/page/missing.js")).status_code == 404
