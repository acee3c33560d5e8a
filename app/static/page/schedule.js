// A schedule's page: who is on call now, the next handoffs and every tier's timeline over a
// day, week or month, in the schedule's zone, the browser's or UTC; live from onCallChanged.
import { gql, subscribe } from "./api.js";
import { announce, fill, h } from "./dom.js";
import { personColor } from "./colors.js";
import {
  ZOOMS, browserZone, format, isoDate, parseDate, step, windowAround, windowTitle, zoneFor,
} from "./time.js";
import { renderTiers } from "./timeline.js";
import { attach, describe, hide } from "./tooltip.js";

const PERSON = "id name";
const QUERY = `query SchedulePage($id: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(id: $id) {
    id name timezone status
    onCallNow { since until tier { id number name } assignees { ${PERSON} } }
    nextHandoffs(count: 5) { at tier { id number name } from { ${PERSON} } to { ${PERSON} } }
    tiers {
      id number name
      timeline(from: $from, to: $to) {
        shifts { start end origin assignees { ${PERSON} } layer { id name } }
        layers {
          layer { id name index }
          shifts {
            start end origin overridden assignees { ${PERSON} }
            overriddenByLayer { id name }
            overriddenByOnDemandShift { id contacts { ${PERSON} } }
          }
        }
        gaps { start end }
        understaffed { start end filled required layer { id } }
      }
    }
  }
}`;
const LIVE = `subscription ScheduleLive($id: ID!) {
  onCallChanged(scheduleId: $id) { id }
}`;

export function statusBadge(status) {
  return h("span", { class: `status status-${status.toLowerCase()}` }, status);
}

function personLink(person) {
  const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
  swatch.style.background = personColor(person.id);
  return h("a", { href: `#/contact/${encodeURIComponent(person.id)}`, class: "person" },
           swatch, person.name);
}

function people(list) {
  if (!list.length) return h("em", {}, "nobody");
  return list.flatMap((p, i) => (i ? [", ", personLink(p)] : [personLink(p)]));
}

function legend() {
  const item = (cls, text, sample) => h("li", {}, h("span", { class: `key ${cls}`,
    "aria-hidden": "true" }, sample), text);
  return h("details", { class: "legend" }, h("summary", {}, "How to read the timeline"),
    h("ul", {},
      item("key-bar", "A person's shift (each person keeps one colour)", "Name"),
      item("key-bar", "◆ an on-demand shift (wins over every layer)", "◆"),
      item("key-bar", "⇄ a substitution (someone replaces the rotation's person)", "⇄"),
      item("key-overridden", "A layer's shift that a higher layer or an on-demand shift overrides",
           "Name"),
      item("key-gap", "A gap: nobody is on call", "Gap"),
      item("key-understaffed", "Understaffed: fewer people than the layer's minimum", "1/2"),
      item("key-now", "The current time", "│")),
    h("p", {}, "Hover or focus a bar for exact times. In a row, the arrow keys move between " +
      "bars (Up and Down change rows); Enter opens the person's page."));
}

/** Mount the schedule page for `id` into `main`; `params` come from the address bar. */
export function schedulePage(main, id, params, { onAuthFailed }) {
  const state = {
    zoom: ZOOMS[params.get("zoom")] ? params.get("zoom") : "week",
    tz: ["schedule", "browser", "utc"].includes(params.get("tz")) ? params.get("tz") : "schedule",
    atText: params.get("at"),
    at: null,
    data: null,
    seq: 0,
    updates: 0,
  };
  const title = h("h1", { tabindex: "-1" }, "Schedule");
  const status = h("span", {});
  const liveState = h("span", { class: "live-state" }, "");
  const windowHeading = h("h2", { class: "window-title" }, "");
  const zoneSelect = h("select", { id: "zone" });
  const zoomButtons = Object.entries(ZOOMS).map(([zoom, label]) => h("button", {
    type: "button", "data-zoom": zoom, "aria-pressed": String(zoom === state.zoom),
    onclick: () => { state.zoom = zoom; setPressed(); load(); },
  }, label));
  const setPressed = () => zoomButtons.forEach((b) => b.setAttribute(
    "aria-pressed", String(b.dataset.zoom === state.zoom)));
  const page = (steps) => () => {
    const { from } = currentWindow();
    state.at = steps === 0 ? Date.now() : step(from, state.zoom, steps, zone()) + 1;
    load();
  };
  const onCall = h("div", { class: "on-call-now" });
  const handoffs = h("div", { class: "handoffs" });
  const timelines = h("div", { class: "timelines", "aria-busy": "true" });
  attach(timelines);

  zoneSelect.addEventListener("change", () => {
    state.tz = zoneSelect.value;
    load();
  });

  fill(main,
    h("div", { class: "page-head" }, title, status, liveState),
    h("div", { class: "toolbar", role: "group", "aria-label": "Timeline view",
               "aria-controls": "timelines" },
      h("div", { class: "group", role: "group", "aria-label": "Zoom" }, zoomButtons),
      h("div", { class: "group", role: "group", "aria-label": "Move in time" },
        h("button", { type: "button", "data-page": "previous", onclick: page(-1) },
          "‹ Previous"),
        h("button", { type: "button", "data-page": "today", onclick: page(0) }, "Today"),
        h("button", { type: "button", "data-page": "next", onclick: page(1) }, "Next ›")),
      h("div", { class: "group" }, h("label", { for: "zone" }, "Times in"), zoneSelect)),
    h("div", { class: "overview" },
      h("section", { "aria-labelledby": "now-h" }, h("h2", { id: "now-h" }, "On call now"),
        onCall),
      h("section", { "aria-labelledby": "handoffs-h" },
        h("h2", { id: "handoffs-h" }, "Next handoffs"), handoffs)),
    windowHeading,
    legend(),
    timelines);
  timelines.id = "timelines";

  function zone() {
    return zoneFor(state.tz, state.data && state.data.timezone);
  }

  function currentWindow() {
    if (state.at === null) {
      state.at = (state.data && parseDate(state.atText, zone())) || Date.now();
    }
    return windowAround(state.at, state.zoom, zone());
  }

  function zoneOptions(scheduleZone) {
    const choices = [["schedule", `Schedule's zone (${scheduleZone})`],
                     ["browser", `This browser's zone (${browserZone()})`], ["utc", "UTC"]];
    fill(zoneSelect, choices.map(([value, text]) => h("option",
      { value, selected: value === state.tz }, text)));
  }

  function remember(from) {
    const query = new URLSearchParams({ zoom: state.zoom, at: isoDate(from, zone()),
                                        tz: state.tz });
    history.replaceState(null, "", `#/schedule/${encodeURIComponent(id)}?${query}`);
  }

  function render(schedule, window, dataAt) {
    const z = zone();
    document.title = `${schedule.name} · Rotagraph`;
    title.textContent = schedule.name;
    fill(status, statusBadge(schedule.status));
    fill(onCall, schedule.onCallNow.length ? h("ul", {}, schedule.onCallNow.map((o) => h("li",
      { "data-tier-number": o.tier.number },
      h("strong", {}, `Tier ${o.tier.number}${o.tier.name ? ` ${o.tier.name}` : ""}: `),
      people(o.assignees),
      o.until ? h("span", { class: "muted" }, ` until ${format(Date.parse(o.until), z, "short")}`)
        : null))) : h("p", {}, "No tiers."));
    fill(handoffs, schedule.nextHandoffs.length ? h("ol", {}, schedule.nextHandoffs.map((x) =>
      h("li", {}, h("time", { datetime: x.at }, format(Date.parse(x.at), z, "short")),
        ` · Tier ${x.tier.number}: `, people(x.from), " → ", people(x.to)))) :
      h("p", {}, "No handoffs ahead."));
    windowHeading.textContent = `${windowTitle(window.from, window.to, state.zoom, z)} ` +
      `(${z})`;
    hide();
    const view = { ...window, zoom: state.zoom, zone: z, zoneLabel: z, now: Date.now() };
    const kept = focusedItem();
    const tree = renderTiers(schedule.tiers, view, describe);
    fill(timelines, tree);
    if (kept) refocus(kept);
    void timelines.offsetHeight; // layout included in the measured time
    const renderMs = performance.now() - dataAt;
    timelines.dataset.renderMs = renderMs.toFixed(1);
    timelines.setAttribute("aria-busy", "false");
    requestAnimationFrame(() => {
      timelines.dataset.frameMs = (performance.now() - dataAt).toFixed(1);
    });
  }

  // A live update redraws the timeline: keep keyboard focus on the same row and time.
  function focusedItem() {
    const item = document.activeElement;
    if (!item || !item.classList.contains("item") || !timelines.contains(item)) return null;
    const tracks = [...timelines.querySelectorAll(".row:not(.axis) .track")];
    return { track: tracks.indexOf(item.parentElement), at: Date.parse(item.dataset.start) };
  }

  function refocus({ track, at }) {
    const target = timelines.querySelectorAll(".row:not(.axis) .track")[track];
    const items = target ? [...target.querySelectorAll(".item")] : [];
    const item = items.find((i) => Date.parse(i.dataset.end) > at) || items.at(-1);
    if (!item) return;
    for (const other of items) other.tabIndex = -1;
    item.tabIndex = 0;
    item.focus();
  }

  async function load() {
    const seq = ++state.seq;
    timelines.setAttribute("aria-busy", "true");
    if (!state.data) {
      const first = await gql("query Zone($id: ID!) { schedule(id: $id) { id name timezone } }",
        { id }).catch((error) => failed(error));
      if (!first) return;
      state.data = first.schedule;
      zoneOptions(first.schedule.timezone);
    }
    const window = currentWindow();
    remember(window.from);
    let data;
    try {
      data = await gql(QUERY, { id, from: new Date(window.from).toISOString(),
                                to: new Date(window.to).toISOString() });
    } catch (error) {
      failed(error);
      return;
    }
    const dataAt = performance.now();
    if (seq !== state.seq) return;
    state.data = data.schedule;
    render(data.schedule, window, dataAt);
  }

  function failed(error) {
    if (error.code === "UNAUTHENTICATED") onAuthFailed();
    else fill(timelines, h("p", { class: "error", role: "alert" }, error.message));
    return null;
  }

  const stop = subscribe(LIVE, { id }, {
    onEvent: () => {
      state.updates += 1;
      main.dataset.liveUpdates = String(state.updates);
      load().then(() => announce(`Who is on call changed: ${state.data.name} updated.`));
    },
    onResync: () => load(),
    onAuthFailed,
    onState: (value) => {
      liveState.textContent = { live: "● Live", connecting: "Connecting…",
                                reconnecting: "Reconnecting…", refused: "Not live",
                                error: "Not live" }[value] || "";
      liveState.dataset.state = value;
    },
  });
  const clock = setInterval(() => {
    if (state.data && state.data.tiers && !timelines.contains(document.activeElement)) {
      const window = currentWindow();
      render(state.data, window, performance.now());
    }
  }, 60000);

  load();
  title.focus();
  return () => {
    stop();
    clearInterval(clock);
    hide();
  };
}
