"""The schedule page in a real headless Chromium against a real server with the demo data.

Checks what a person sees against what the API answers: the bars' people and times against
``Tier.shifts`` and ``Tier.timeline``, the list's on-call-now against ``Schedule.onCallNow``,
the contact page against ``Contact.shifts``. Also: tab-only token storage, zoom, zone, a live
update after a mutation without a reload, keyboard use, axe-core (no serious violations),
layouts at 390 px and at 200 % zoom, and the render time of a 3-tier by 4-layer month
(printed, never asserted). Screenshots: ``test-artifacts/page/`` (see conftest).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.page.conftest import AXE, Site

pytestmark = pytest.mark.slow

MARKS = ("◆ ", "⇄ ")
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Tab:
    page: Any
    context: Any
    urls: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expected_errors: list[str] = field(default_factory=list)  # substrings that may appear

    def watch(self, page: Any) -> None:
        page.on("request", lambda r: self.urls.append(r.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on(
            "console",
            lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )


def _open(browser: Any, site: Site, **options: Any) -> Iterator[Tab]:
    context = browser.new_context(**{"viewport": DESKTOP, **options})
    page = context.new_page()
    tab = Tab(page=page, context=context)
    tab.watch(page)
    try:
        yield tab
        # nothing went anywhere but our loopback server, and no script failed
        port = site.server.port
        for url in tab.urls:
            parts = urlsplit(url)
            if parts.scheme in {"data", "about", "blob"}:
                continue
            assert (parts.hostname, parts.port) == ("127.0.0.1", port), url
            assert site.token not in url
        unexpected = [e for e in tab.errors if not any(x in e for x in tab.expected_errors)]
        assert not unexpected, unexpected
    finally:
        context.close()


@pytest.fixture
def tab(browser: Any, site: Site) -> Iterator[Tab]:
    yield from _open(browser, site)


def sign_in(tab: Tab, site: Site, path: str = "/") -> None:
    tab.page.goto(f"{site.base}{path}")
    tab.page.fill("#token", site.token)
    tab.page.click("form.sign-in button[type=submit]")
    tab.page.wait_for_selector("#nav:not([hidden])")


def wait_rendered(page: Any) -> None:
    page.wait_for_selector(".timelines[aria-busy=false] .timeline")


def schedule_id(site: Site, name: str) -> str:
    nodes = site.gql("{ schedules(first: 100) { nodes { id name } } }")["schedules"]["nodes"]
    return next(n["id"] for n in nodes if n["name"] == name)


def iso(ms_or_text: str) -> datetime:
    return datetime.fromisoformat(ms_or_text.replace("Z", "+00:00")).astimezone(UTC)


BARS_JS = """() => [...document.querySelectorAll('section.tier')].map(s => ({
  tier: s.dataset.tierId,
  bars: [...s.querySelectorAll('.row.final .bar')].map(b => {
    const track = b.parentElement.getBoundingClientRect(), r = b.getBoundingClientRect();
    return {start: b.dataset.start, end: b.dataset.end, id: b.dataset.contactId,
            origin: b.dataset.origin, name: b.textContent,
            left: (r.left - track.left) / track.width, width: r.width / track.width};
  })}))"""


def check_bars_against_tier_shifts(site: Site, page: Any) -> int:
    """Every final bar is one assignee of one Tier.shifts piece over the shown window, drawn
    at its time; and every assignee of every piece has a bar. Returns the number of bars."""
    timeline = page.locator(".timeline")
    start, end = iso(timeline.get_attribute("data-from")), iso(timeline.get_attribute("data-to"))
    width = (end - start).total_seconds()
    count = 0
    for tier in page.evaluate(BARS_JS):
        shifts = site.gql(
            "query($id: ID!, $f: DateTime!, $t: DateTime!) { tier(id: $id) {"
            " shifts(from: $f, to: $t) { start end origin assignees { id name } } } }",
            {"id": tier["tier"], "f": start.isoformat(), "t": end.isoformat()},
        )["tier"]["shifts"]
        expected = {
            (iso(s["start"]), iso(s["end"]), person["id"], person["name"], s["origin"])
            for s in shifts
            for person in s["assignees"]
        }
        shown = set()
        for bar in tier["bars"]:
            # on-demand shifts and substitutions are told apart by a mark, not by colour alone
            mark = {"ON_DEMAND": "◆ ", "SUBSTITUTION": "⇄ "}.get(bar["origin"], "")
            assert bar["name"].startswith(mark) and not (
                mark == "" and bar["name"].startswith(MARKS)
            ), bar
            name = bar["name"].removeprefix(mark)
            shown.add((iso(bar["start"]), iso(bar["end"]), bar["id"], name, bar["origin"]))
            left = (max(iso(bar["start"]), start) - start).total_seconds() / width
            right = (min(iso(bar["end"]), end) - start).total_seconds() / width
            assert bar["left"] == pytest.approx(left, abs=0.003), bar
            assert bar["width"] == pytest.approx(right - left, abs=0.004), bar
        assert shown == expected
        count += len(shown)
    return count


def test_sign_in_keeps_the_token_in_the_tab_and_lists_schedules(site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{site.base}/")
    page.wait_for_selector("form.sign-in")
    assert page.locator("#token").get_attribute("type") == "password"

    tab.expected_errors.append("status of 401")  # Chromium logs the refused token's answer
    page.fill("#token", "rg_not_a_real_token")
    page.click("form.sign-in button[type=submit]")
    page.wait_for_function("() => document.getElementById('sign-in-error').textContent.length > 0")
    assert "not accepted" in page.inner_text("#sign-in-error")
    assert page.evaluate("sessionStorage.length") == 0

    page.fill("#token", f"Bearer {site.token}")  # pasted with its scheme: accepted too
    page.click("form.sign-in button[type=submit]")
    page.wait_for_selector(".card")
    assert page.evaluate("sessionStorage.getItem('rotagraph.token')") == site.token
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("document.cookie") == ""
    assert site.token not in page.url

    expected = site.gql(
        "{ schedules(first: 25) { nodes { id name status"
        " onCallNow { tier { number } assignees { name } } } } }"
    )["schedules"]["nodes"]
    assert {n["name"] for n in expected} >= {"Platform", "Databases", "Payments API"}
    assert page.locator(".card").count() == len(expected)
    for schedule in expected:
        card = page.locator(f".card[data-schedule-id='{schedule['id']}']")
        assert card.locator("h2").inner_text() == schedule["name"]
        assert card.locator(".status").inner_text() == schedule["status"]
        lines = card.locator(".tier-now li").all_inner_texts()
        assert len(lines) == len(schedule["onCallNow"])
        for line, now in zip(lines, schedule["onCallNow"], strict=True):
            assert line.startswith(f"Tier {now['tier']['number']}")
            names = [a["name"] for a in now["assignees"]] or ["nobody"]
            assert all(name in line for name in names), (line, names)

    page.reload()  # the tab keeps its sign-in
    page.wait_for_selector(".card")
    other = tab.context.new_page()  # another tab does not share it
    tab.watch(other)
    other.goto(f"{site.base}/")
    other.wait_for_selector("form.sign-in")
    other.close()

    page.click("#sign-out")
    page.wait_for_selector("form.sign-in")
    assert page.evaluate("sessionStorage.length") == 0
    assert "Signed out" in page.inner_text("#sign-in-error")
    assert site.token not in site.server.log()  # nor in the server's log


@pytest.fixture
def tokyo_tab(browser: Any, site: Site) -> Iterator[Tab]:
    """A browser whose own zone is Asia/Tokyo (UTC+09:00, no daylight saving)."""
    yield from _open(browser, site, timezone_id="Asia/Tokyo")


def test_a_personal_link_signs_in_once_to_the_persons_page(site: Site, tab: Tab) -> None:
    page = tab.page
    person = site.gql("{ contacts(first: 1) { nodes { id name } } }")["contacts"]["nodes"][0]
    link = site.gql(
        "mutation($c: ID!) { createPersonalLink(contactId: $c) { url } }", {"c": person["id"]}
    )["createPersonalLink"]["url"]
    assert link.startswith(f"{site.base}/#signin=")
    code = link.split("#signin=", 1)[1]

    page.goto(link)
    page.wait_for_selector(".hours")
    assert person["name"] in page.locator("h1").inner_text()
    assert code not in page.url and page.url.endswith("#/me")  # gone from the address bar
    personal = page.evaluate("sessionStorage.getItem('rotagraph.token')")
    assert personal and personal != site.token and page.evaluate("localStorage.length") == 0
    role = httpx.post(
        f"{site.base}/graphql",
        json={"query": "{ viewer { role } me { contact { id } } }"},
        headers={"Authorization": f"Bearer {personal}"},
        timeout=10,
    ).json()["data"]
    assert role == {"viewer": {"role": "PERSON"}, "me": {"contact": {"id": person["id"]}}}
    assert page.locator("#nav-me").is_visible()
    assert (
        "An editor can create a feed link" in page.locator("section", has_text="feed").inner_text()
    )
    log = site.server.log()
    assert code not in log and personal not in log

    # the code works once: following the link again in another tab signs nobody in
    tab.expected_errors.append("status of 401")
    again = tab.context.new_page()
    tab.watch(again)
    again.goto(link)
    again.wait_for_selector("form.sign-in")
    again.wait_for_function("() => document.getElementById('sign-in-error').textContent")
    assert "already used" in again.inner_text("#sign-in-error")
    assert again.evaluate("sessionStorage.length") == 0 and code not in again.url
    again.close()

    # an organization token's "My page" says whose pages there are instead
    page.click("#sign-out")
    sign_in(tab, site, "/#/me")
    page.wait_for_selector("text=organization token")
    assert not page.locator("#nav-me").is_visible()


def test_schedule_bars_match_tier_shifts_through_zoom_zone_and_paging(
    site: Site, tokyo_tab: Tab
) -> None:
    tab = tokyo_tab
    page = tab.page
    sign_in(tab, site)
    page.click(".card a:text-is('Databases')")
    wait_rendered(page)
    assert page.locator("button[data-zoom=week]").get_attribute("aria-pressed") == "true"
    assert check_bars_against_tier_shifts(site, page) > 0
    timeline = page.locator(".timeline")
    assert timeline.get_attribute("data-zone") == "America/New_York"

    # day zoom: a 24-hour window from the schedule's local midnight
    page.click("button[data-zoom=day]")
    page.wait_for_selector(".timeline.zoom-day")
    wait_rendered(page)
    start, end = iso(timeline.get_attribute("data-from")), iso(timeline.get_attribute("data-to"))
    local = start.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (0, 0) and end - start in {
        timedelta(hours=h) for h in (23, 24, 25)
    }
    check_bars_against_tier_shifts(site, page)

    # UTC: the window and the axis move to UTC midnights; tooltips show UTC times
    page.select_option("#zone", "utc")
    page.wait_for_selector(".timeline[data-zone=UTC]")
    wait_rendered(page)
    start = iso(timeline.get_attribute("data-from"))
    assert (start.hour, start.minute) == (0, 0)
    assert page.locator(".axis .tick-label").first.inner_text() == "00:00"
    check_bars_against_tier_shifts(site, page)
    bar = page.locator(".row.final .bar").first
    bar.focus()
    tooltip = page.locator("#tooltip")
    assert tooltip.is_visible()
    bar_start = max(iso(bar.get_attribute("data-start")), start)
    text = tooltip.inner_text()
    assert "UTC" in text and iso(bar.get_attribute("data-start")).strftime("%H:%M") in text
    assert bar.inner_text().lstrip("◆⇄ ") in text
    assert bar_start >= start

    # the browser's own zone
    page.select_option("#zone", "browser")
    page.wait_for_selector(".timeline[data-zone='Asia/Tokyo']")
    wait_rendered(page)
    local = iso(timeline.get_attribute("data-from")).astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (0, 0)
    assert "Asia/Tokyo" in page.locator("#zone option[value=browser]").inner_text()
    check_bars_against_tier_shifts(site, page)

    # paging: next week in the schedule's zone, still matching the API; the URL has no token
    page.select_option("#zone", "schedule")
    page.click("button[data-zoom=week]")
    page.wait_for_selector(".timeline.zoom-week[data-zone='America/New_York']")
    before_text = timeline.get_attribute("data-from")
    before = iso(before_text)
    page.click("button[data-page=next]")
    page.wait_for_function(
        f"() => document.querySelector('.timeline').dataset.from !== '{before_text}'"
    )
    wait_rendered(page)
    assert iso(timeline.get_attribute("data-from")) - before in {
        timedelta(days=7) + timedelta(hours=h) for h in (-1, 0, 1)
    }
    check_bars_against_tier_shifts(site, page)
    assert "zoom=week" in page.url and site.token not in page.url


def test_layers_show_overrides_gaps_and_understaffing_like_the_timeline(
    site: Site, tab: Tab, artifacts: Path
) -> None:
    page = tab.page
    sign_in(tab, site, f"/#/schedule/{site.render_schedule_id}?zoom=week&tz=schedule")
    wait_rendered(page)
    page.screenshot(path=str(artifacts / "desktop-layers-week.png"), full_page=True)
    timeline = page.locator(".timeline")
    start, end = timeline.get_attribute("data-from"), timeline.get_attribute("data-to")
    tiers = site.gql(
        "query($id: ID!, $f: DateTime!, $t: DateTime!) { schedule(id: $id) { tiers { id"
        " timeline(from: $f, to: $t) { gaps { start } understaffed { start layer { id } }"
        " layers { layer { id name } shifts { start end overridden assignees { id }"
        " overriddenByLayer { name } overriddenByOnDemandShift { id } } } } } } }",
        {"id": site.render_schedule_id, "f": start, "t": end},
    )["schedule"]["tiers"]
    for tier in tiers:
        section = page.locator(f"section.tier[data-tier-id='{tier['id']}']")
        layer_rows = section.locator(".row.layer")
        assert layer_rows.count() == len(tier["timeline"]["layers"]) == 4
        bars = section.locator(".row.layer .bar")
        expected = [
            (s, p)
            for lt in tier["timeline"]["layers"]
            for s in lt["shifts"]
            for p in s["assignees"]
        ]
        assert bars.count() == len(expected)
        overridden = [s for s, _ in expected if s["overridden"]]
        assert overridden, "the business-hours layer overrides the daily one"
        marked = section.locator(".row.layer .bar.overridden")
        assert marked.count() == len(overridden)
        by = {s["overriddenByLayer"]["name"] for s in overridden if s["overriddenByLayer"]}
        shown = {
            b.removeprefix("layer ")
            for b in marked.evaluate_all("bars => bars.map(b => b.dataset.overriddenBy)")
        }
        assert shown == by
        assert section.locator(".row.final .gap").count() == len(tier["timeline"]["gaps"])
        assert section.locator(".understaffed").count() == len(tier["timeline"]["understaffed"])
        assert tier["timeline"]["understaffed"], "the pairs layer wants 3 and has 2"
    assert page.locator(".row.final .bar[data-origin=LAYER]").count() > 0


def test_live_update_after_a_mutation_without_reload(site: Site, tab: Tab) -> None:
    page = tab.page
    schedule = schedule_id(site, "Payments API")
    site.gql(f'mutation {{ confirmAssignments(scheduleId: "{schedule}") {{ confirmedUntil }} }}')
    sign_in(tab, site, f"/#/schedule/{schedule}?zoom=day&tz=utc")
    wait_rendered(page)
    page.wait_for_selector(".live-state[data-state=live]")
    page.evaluate("window.__sameDocument = true")

    data = site.gql(
        f'{{ schedule(id: "{schedule}") {{ tiers {{ id number }}'
        " onCallNow { tier { number } assignees { id } } } contacts(first: 100) { nodes { id name } } }"
    )
    tier = next(t for t in data["schedule"]["tiers"] if t["number"] == 1)
    on_now = {a["id"] for o in data["schedule"]["onCallNow"] for a in o["assignees"]}
    person = next(c for c in data["contacts"]["nodes"] if c["id"] not in on_now)
    tier_one = "section.tier[data-tier-number='1'] .row.final"
    page.locator(f"{tier_one} .item").first.focus()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    site.gql(
        "mutation($i: CreateOnDemandShiftInput!) { createOnDemandShift(input: $i) { id } }",
        {
            "i": {
                "tierId": tier["id"],
                "start": (now - timedelta(hours=1)).isoformat(),
                "end": (now + timedelta(hours=2)).isoformat(),
                "contactIds": [person["id"]],
            }
        },
    )
    bar = f".row.final .bar[data-origin=ON_DEMAND][data-contact-id='{person['id']}']"
    page.wait_for_selector(bar, timeout=15000)
    assert page.locator(bar).inner_text() == f"◆ {person['name']}"
    assert page.evaluate("window.__sameDocument") is True
    assert int(page.locator("main").get_attribute("data-live-updates")) >= 1
    # keyboard focus stayed in the redrawn row
    focused = page.evaluate("s => document.activeElement.matches(s)", f"{tier_one} .item")
    assert focused, page.evaluate("document.activeElement.outerHTML")
    assert person["name"] in page.locator(".on-call-now").inner_text()
    overridden = page.locator(".row.layer .bar.overridden[data-overridden-by^='on-demand']")
    assert overridden.count() >= 1


def _axe(page: Any, what: str) -> None:
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values:"
        " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.html)}))"
    )
    serious = [v for v in result if v["impact"] in {"serious", "critical"}]
    assert not serious, f"{what}: {serious}"


def _no_horizontal_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_keyboard_accessibility_axe_and_screenshots(
    browser: Any, site: Site, artifacts: Path
) -> None:
    schedule = schedule_id(site, "Platform")
    for tab in _open(browser, site):
        page = tab.page
        page.add_init_script(path=str(AXE))
        page.goto(f"{site.base}/")
        page.wait_for_selector("form.sign-in")
        _axe(page, "sign-in")
        # keyboard only: type the token, submit with Enter
        page.keyboard.press("Tab")
        page.focus("#token")
        page.keyboard.type(site.token)
        page.keyboard.press("Enter")
        page.wait_for_selector(".card")
        _axe(page, "schedule list")
        page.screenshot(path=str(artifacts / "desktop-schedules.png"), full_page=True)
        page.goto(f"{site.base}/#/schedule/{schedule}?zoom=week")
        wait_rendered(page)
        _axe(page, "schedule page")
        # Tab from the top reaches the controls and then a bar; focus is visible
        page.evaluate("document.activeElement.blur()")
        seen = []
        for _ in range(80):
            page.keyboard.press("Tab")
            seen.append(
                page.evaluate("document.activeElement.className || document.activeElement.tagName")
            )
            if page.evaluate("document.activeElement.classList.contains('item')"):
                break
        assert page.evaluate("document.activeElement.classList.contains('item')"), seen
        assert "BUTTON" in seen  # passed the toolbar's buttons
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
        first = page.evaluate("document.activeElement.getAttribute('aria-label')")
        assert page.locator("#tooltip").is_visible()
        page.screenshot(path=str(artifacts / "desktop-schedule-week.png"), full_page=True)
        page.keyboard.press("ArrowRight")
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") != first
        page.keyboard.press("Escape")
        assert not page.locator("#tooltip").is_visible()
        # hover shows the same details, and they stay while the pointer moves onto them
        hovered = page.locator(".row.final .bar").nth(1)
        hovered.hover()
        assert page.locator("#tooltip").is_visible()
        assert hovered.inner_text().lstrip("◆⇄ ") in page.locator("#tooltip").inner_text()
        page.hover("#tooltip")
        assert page.locator("#tooltip").is_visible()
        page.mouse.move(5, 5)
        assert not page.locator("#tooltip").is_visible()
        page.click("button[data-zoom=month]")
        page.wait_for_selector(".timeline.zoom-month")
        wait_rendered(page)
        _axe(page, "schedule page, month")
        page.screenshot(path=str(artifacts / "desktop-schedule-month.png"), full_page=True)
        contact = page.locator(".on-call-now a.person").first
        contact.click()
        page.wait_for_selector(".hours")
        _axe(page, "contact page")
        page.screenshot(path=str(artifacts / "desktop-contact.png"), full_page=True)

    # a 390-px phone and 200 % zoom (a 1280 by 900 window at twice the size)
    for label, options in (
        (
            "phone",
            {
                "viewport": {"width": 390, "height": 844},
                "device_scale_factor": 2,
                "is_mobile": True,
                "has_touch": True,
            },
        ),
        ("zoom200", {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}),
    ):
        for tab in _open(browser, site, **options):
            page = tab.page
            page.add_init_script(path=str(AXE))
            sign_in(tab, site, f"/#/schedule/{schedule}?zoom=day")
            wait_rendered(page)
            _no_horizontal_scroll(page)
            _axe(page, f"schedule page, {label}")
            assert page.locator("button[data-zoom=month]").is_visible()
            assert page.locator(".row.final .bar").first.is_visible()
            # where bars are narrow and nothing hovers, each tier reads as a table too
            tier = page.locator("section.tier").first
            tier.locator("details.shift-list summary").click()
            timeline = page.locator(".timeline")
            expected = site.gql(
                "query($id: ID!, $f: DateTime!, $t: DateTime!) { tier(id: $id) {"
                " timeline(from: $f, to: $t) { shifts { start } gaps { start } } } }",
                {
                    "id": tier.get_attribute("data-tier-id"),
                    "f": timeline.get_attribute("data-from"),
                    "t": timeline.get_attribute("data-to"),
                },
            )["tier"]["timeline"]
            starts = sorted(iso(x["start"]) for x in expected["shifts"] + expected["gaps"])
            listed = tier.locator("details.shift-list tbody tr")
            assert [iso(x) for x in listed.evaluate_all("rs => rs.map(r => r.dataset.start)")] == (
                starts
            )
            _no_horizontal_scroll(page)
            _axe(page, f"shift list, {label}")
            page.screenshot(path=str(artifacts / f"{label}-schedule-day.png"), full_page=True)
            page.click("button[data-zoom=week]")
            page.wait_for_selector(".timeline.zoom-week")
            _no_horizontal_scroll(page)
            page.screenshot(path=str(artifacts / f"{label}-schedule-week.png"), full_page=True)


def test_contact_page_next_shifts_hours_and_feed_link(site: Site, browser: Any) -> None:
    now = datetime.now(UTC)
    contacts = site.gql(
        "query($f: DateTime!, $t: DateTime!) { contacts(first: 100) { nodes { id name timezone"
        " shifts(from: $f, to: $t) { start end } } } }",
        {"f": now.isoformat(), "t": (now + timedelta(days=30)).isoformat()},
    )["contacts"]["nodes"]
    person = max(contacts, key=lambda c: len(c["shifts"]))
    zone = ZoneInfo(person["timezone"])
    local = now.astimezone(zone)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    for tab in _open(browser, site):
        tab.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = tab.page
        sign_in(tab, site, f"/#/contact/{person['id']}")
        page.wait_for_selector(".hours")
        assert person["name"] in page.locator("h1").inner_text()

        month = site.gql(
            "query($id: ID!, $f: DateTime!, $t: DateTime!) { contact(id: $id) {"
            " shifts(from: $f, to: $t) { start end } } }",
            {
                "id": person["id"],
                "f": month_start.astimezone(UTC).isoformat(),
                "t": month_end.astimezone(UTC).isoformat(),
            },
        )["contact"]["shifts"]
        pieces = sorted(
            (max(iso(s["start"]), month_start), min(iso(s["end"]), month_end)) for s in month
        )
        total, reach = timedelta(), month_start
        for a, b in pieces:
            if b > reach:
                total += b - max(a, reach)
                reach = b
        shown_ms = int(page.locator(".hours").get_attribute("data-total-ms"))
        assert shown_ms == int(total.total_seconds() * 1000)

        upcoming = page.locator(".next-shifts li")
        shown = [
            (iso(a), iso(b))
            for a, b in upcoming.evaluate_all("l => l.map(e => [e.dataset.start, e.dataset.end])")
        ]
        api = site.gql(
            "query($id: ID!, $f: DateTime!, $t: DateTime!) { contact(id: $id) {"
            " shifts(from: $f, to: $t) { start end } } }",
            {
                "id": person["id"],
                "f": (now - timedelta(days=31)).isoformat(),
                "t": (now + timedelta(days=35)).isoformat(),
            },
        )["contact"]["shifts"]
        ahead = [(iso(s["start"]), iso(s["end"])) for s in api if iso(s["end"]) > now]
        assert shown and shown == ahead[: len(shown)] and len(shown) == min(10, len(ahead))
        first_text = upcoming.first.inner_text()
        assert ahead[0][0].astimezone(zone).strftime("%H:%M") in first_text

        page.click("form.inline-form button[type=submit]")
        url = page.locator("#feed-url").input_value()
        assert re.fullmatch(rf"{re.escape(site.base)}/feeds/\S+\.ics", url), url
        page.click("text=Copy link")
        page.wait_for_selector("text=Copied.")
        assert page.evaluate("navigator.clipboard.readText()") == url
        feed = httpx.get(url, timeout=10)
        assert feed.status_code == 200 and "BEGIN:VCALENDAR" in feed.text
        page.wait_for_selector(".feeds li")
        assert url.rsplit("/", 1)[1].startswith(
            page.locator(".feeds li").first.inner_text().split("link starting ")[1][:6]
        )


def test_contact_pages_list_open_cover_requests_and_offers(site: Site, tab: Tab) -> None:
    """The demo's offered cover request shows on its requester's and its volunteer's pages."""
    [request] = site.gql(
        "{ coverRequests(filter: {status: [OPEN, OFFERED]}) { nodes { id note"
        " requester { id } offers { status contact { id name } } } } }"
    )["coverRequests"]["nodes"]
    [offer] = request["offers"]
    page = tab.page
    sign_in(tab, site, f"/#/contact/{request['requester']['id']}")
    asked = page.locator(f".cover.asked li[data-cover-id='{request['id']}']")
    asked.wait_for()
    assert request["note"] in asked.inner_text()
    assert f"offers from {offer['contact']['name']}" in asked.inner_text()
    page.goto(f"{site.base}/#/contact/{offer['contact']['id']}")
    page.locator(f".cover.offered li[data-cover-id='{request['id']}']").wait_for()


def test_render_time_of_a_month_with_three_tiers_of_four_layers(
    site: Site, tab: Tab, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tab.page
    sign_in(tab, site, f"/#/schedule/{site.render_schedule_id}?zoom=month&tz=schedule")
    wait_rendered(page)
    assert page.locator("section.tier").count() == 3
    assert page.locator(".row.layer").count() == 12
    samples, frames = [], []
    for move in ("next", "previous", "previous", "next"):
        samples.append(float(page.locator(".timelines").get_attribute("data-render-ms")))
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        frames.append(float(page.locator(".timelines").get_attribute("data-frame-ms")))
        before = page.locator(".timeline").get_attribute("data-from")
        page.click(f"button[data-page={move}]")
        page.wait_for_function(
            f"() => document.querySelector('.timeline')?.dataset.from !== '{before}'"
            " && document.querySelector('.timelines').getAttribute('aria-busy') === 'false'"
        )
    items = page.locator(".timeline .item").count()
    with capsys.disabled():
        print(
            f"\nschedule page render, 3 tiers x 4 layers, one month ({items} bars and marks):"
            f" median {statistics.median(samples):.1f} ms from data to laid-out DOM"
            f" (samples {', '.join(f'{s:.1f}' for s in samples)}),"
            f" median {statistics.median(frames):.1f} ms to the next frame; goal < 300 ms"
        )


ZONE_CASES = [  # (zone, a local date, zoom): DST changes and a 30-minute shift
    ("Europe/London", "2026-03-29", "day"),
    ("Europe/London", "2026-10-25", "day"),
    ("America/New_York", "2026-03-08", "week"),
    ("Australia/Lord_Howe", "2026-04-05", "day"),
    ("Australia/Lord_Howe", "2026-10-04", "month"),
    ("Asia/Kolkata", "2026-02-15", "month"),
    ("UTC", "2026-12-31", "week"),
]


def _expected_window(zone: str, day: str, zoom: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    local = datetime.fromisoformat(day).replace(tzinfo=tz)
    if zoom == "day":
        start, end = local, local + timedelta(days=1)
    elif zoom == "week":
        start = local - timedelta(days=local.weekday())
        end = start + timedelta(days=7)
    else:
        start = local.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    # wall-clock arithmetic above; the instants come from the zone's rules
    return start.astimezone(UTC), end.astimezone(UTC)


def test_window_math_in_the_browser_follows_the_zone_rules(site: Site, tab: Tab) -> None:
    """The page's zone math (time.js, on Intl only) agrees with Python's zoneinfo on days with
    a daylight-saving change, Lord Howe's 30-minute shift, weeks and months."""
    tab.page.goto(f"{site.base}/")
    tab.page.wait_for_selector("form.sign-in")
    for zone, day, zoom in ZONE_CASES:
        got = tab.page.evaluate(
            """async ([zone, day, zoom]) => {
              const t = await import('/static/page/time.js');
              const w = t.windowAround(t.parseDate(day, zone), zoom, zone);
              const ticks = t.ticks(w.from, w.to, zoom, zone);
              return [new Date(w.from).toISOString(), new Date(w.to).toISOString(),
                      ticks.map(k => k.label), t.isoDate(w.from, zone)];
            }""",
            [zone, day, zoom],
        )
        start, end = _expected_window(zone, day, zoom)
        assert (iso(got[0]), iso(got[1])) == (start, end), (zone, day, zoom, got)
        assert got[3] == start.astimezone(ZoneInfo(zone)).date().isoformat()
        if zoom == "day":  # every three wall-clock hours that exist that day
            assert got[2][0] == "00:00" and got[2][-1] == "21:00", got[2]
        else:
            assert len(got[2]) == round((end - start).total_seconds() / 86400), got[2]

    # a wall-clock time that happens twice is its first occurrence, one that never happens is
    # read with the offset before the change: both as zoneinfo with fold=0
    for zone, wall in (
        ("Europe/London", "2026-10-25T01:30"),
        ("Europe/London", "2026-03-29T01:30"),
        ("Australia/Lord_Howe", "2026-04-05T01:45"),
        ("Australia/Lord_Howe", "2026-10-04T02:15"),
        ("America/New_York", "2026-11-01T01:00"),
    ):
        local = datetime.fromisoformat(wall)
        got = tab.page.evaluate(
            """async ([zone, parts]) => {
              const t = await import('/static/page/time.js');
              return new Date(t.instant(zone, ...parts)).toISOString();
            }""",
            [zone, [local.year, local.month, local.day, local.hour, local.minute]],
        )
        assert iso(got) == local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC), (zone, wall)
