// One tier's timeline as rows of bars: the final shifts (a lane per assignee) with gaps, then
// each layer's own shifts (overridden parts marked, understaffed stretches marked).
// Items are links (a person) or buttons (a gap, an understaffed stretch); each row is one tab
// stop and the arrow keys move inside it (Left/Right along time, Up/Down between rows).
import { personColor } from "./colors.js";
import { h } from "./dom.js";
import { format, span, ticks } from "./time.js";

const ORIGIN_TEXT = {
  LAYER: "rotation",
  ON_DEMAND: "on-demand shift",
  SUBSTITUTION: "substitution",
};
const ORIGIN_MARK = { ON_DEMAND: "◆ ", SUBSTITUTION: "⇄ " };

const ms = (iso) => Date.parse(iso);

function place(el, start, end, view) {
  const width = view.to - view.from;
  const left = Math.max(0, (Math.max(start, view.from) - view.from) / width);
  const right = Math.min(1, (Math.min(end, view.to) - view.from) / width);
  el.style.left = `${(left * 100).toFixed(4)}%`;
  el.style.width = `${((right - left) * 100).toFixed(4)}%`;
}

function track(view, lanes) {
  const el = h("div", { class: "track" });
  el.style.setProperty("--lanes", String(Math.max(1, lanes)));
  for (const tick of view.ticks) {
    const line = h("div", { class: tick.weekend ? "tick weekend" : "tick", "aria-hidden": "true" });
    place(line, tick.at, tick.at, view);
    el.append(line);
  }
  if (view.now >= view.from && view.now < view.to) {
    const now = h("div", { class: "now-line", "aria-hidden": "true" });
    place(now, view.now, view.now, view);
    el.append(now);
  }
  return el;
}

function personBar(person, lane, item, view, extraClass) {
  const bar = h(
    "a",
    { class: `item bar ${extraClass}`, href: `#/contact/${encodeURIComponent(person.id)}`,
      tabindex: "-1", "data-contact-id": person.id, "data-start": item.start,
      "data-end": item.end },
    h("span", { class: "label" }, (ORIGIN_MARK[item.origin] || "") + person.name),
  );
  place(bar, ms(item.start), ms(item.end), view);
  bar.style.top = `calc(${lane} * var(--lane))`;
  if (!extraClass.includes("overridden")) bar.style.background = personColor(person.id);
  else bar.style.borderColor = personColor(person.id);
  return bar;
}

function row(label, kind, content, visible = label) {
  return h(
    "div",
    { class: `row ${kind}`, role: "group", "aria-label": label },
    h("div", { class: "row-label", "aria-hidden": "true" }, visible),
    content,
  );
}

function assigneesText(people) {
  if (!people.length) return "nobody";
  if (people.length === 1) return people[0].name;
  return people.map((p, i) => `${i + 1}. ${p.name}`).join(", ");
}

function finalRow(tier, view, describe) {
  const { shifts, gaps } = tier.timeline;
  const lanes = Math.max(1, ...shifts.map((s) => s.assignees.length));
  const el = track(view, lanes);
  const items = [];
  for (const shift of shifts) {
    const origin = ORIGIN_TEXT[shift.origin];
    const source = shift.origin === "ON_DEMAND" ? "on-demand shift"
      : `${origin} of layer ${shift.layer ? shift.layer.name : "?"}`;
    shift.assignees.forEach((person, lane) => {
      const bar = personBar(person, lane, shift, view, `origin-${shift.origin.toLowerCase()}`);
      bar.dataset.kind = "final";
      bar.dataset.origin = shift.origin;
      describe(bar, {
        title: `${tier.label}: ${assigneesText(shift.assignees)}`,
        lines: [span(ms(shift.start), ms(shift.end), view.zone), `From a ${source}`],
        label: `${shift.assignees.length > 1 ? `position ${lane + 1}, ` : ""}` +
          `on call ${span(ms(shift.start), ms(shift.end), view.zone)}, ${source}`,
      });
      items.push([ms(shift.start), lane, bar]);
    });
  }
  for (const gap of gaps) {
    const block = h("button", { class: "item gap", type: "button", tabindex: "-1",
                                "data-start": gap.start, "data-end": gap.end },
                    h("span", { class: "label" }, "Gap"));
    place(block, ms(gap.start), ms(gap.end), view);
    describe(block, {
      title: `${tier.label}: nobody on call`,
      lines: [span(ms(gap.start), ms(gap.end), view.zone)],
      label: `nobody on call ${span(ms(gap.start), ms(gap.end), view.zone)}`,
    });
    items.push([ms(gap.start), 0, block]);
  }
  items.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  el.append(...items.map((i) => i[2]));
  return row(`${tier.label}, final on call`, "final", el, "On call (final)");
}

function overrideText(shift) {
  if (shift.overriddenByOnDemandShift) {
    const od = shift.overriddenByOnDemandShift;
    return `on-demand shift (${assigneesText(od.contacts)})`;
  }
  if (shift.overriddenByLayer) return `layer ${shift.overriddenByLayer.name}`;
  return "a higher layer";
}

function layerRow(tier, layerTimeline, view, describe) {
  const layer = layerTimeline.layer;
  const lanes = Math.max(1, ...layerTimeline.shifts.map((s) => s.assignees.length));
  const el = track(view, lanes);
  const items = [];
  const label = `Layer ${layer.name}`;
  for (const shift of layerTimeline.shifts) {
    const over = shift.overridden ? overrideText(shift) : null;
    shift.assignees.forEach((person, lane) => {
      const classes = `origin-${shift.origin.toLowerCase()}${over ? " overridden" : ""}`;
      const bar = personBar(person, lane, shift, view, classes);
      bar.dataset.kind = "layer";
      bar.dataset.origin = shift.origin;
      if (over) {
        bar.dataset.overriddenBy = over;
        bar.querySelector(".label").textContent += ` · overridden by ${over}`;
      }
      const lines = [span(ms(shift.start), ms(shift.end), view.zone)];
      if (shift.origin === "SUBSTITUTION") lines.push("Substitution: replaces the rotation's person");
      lines.push(over ? `Overridden by ${over}` : "In the final timeline");
      describe(bar, {
        title: `${tier.label}, ${label}: ${assigneesText(shift.assignees)}`,
        lines,
        label: `${label}, ${span(ms(shift.start), ms(shift.end), view.zone)}` +
          (shift.origin === "SUBSTITUTION" ? ", substitution" : ""),
      });
      items.push([ms(shift.start), lane, bar]);
    });
  }
  for (const piece of tier.timeline.understaffed) {
    if (!piece.layer || piece.layer.id !== layer.id) continue;
    const mark = h("button", { class: "item understaffed", type: "button", tabindex: "-1",
                               "data-start": piece.start, "data-end": piece.end },
                   h("span", { class: "label" }, `Understaffed ${piece.filled}/${piece.required}`));
    place(mark, ms(piece.start), ms(piece.end), view);
    describe(mark, {
      title: `${label}: understaffed`,
      lines: [span(ms(piece.start), ms(piece.end), view.zone),
              `${piece.filled} of ${piece.required} people`],
      label: `${piece.filled} of ${piece.required} people, ` +
        span(ms(piece.start), ms(piece.end), view.zone),
    });
    items.push([ms(piece.start), lanes, mark]);
  }
  items.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  el.append(...items.map((i) => i[2]));
  if (items.some((i) => i[2].classList.contains("understaffed"))) el.classList.add("has-marks");
  return row(label, "layer", el);
}

/**
 * The tier's final shifts and gaps as a table, built when opened: readable on a phone, where
 * bars are narrow and there is no hover, and by screen readers row by row.
 */
function shiftList(tier, view) {
  const details = h("details", { class: "shift-list" },
    h("summary", {}, `${tier.label}: shifts as a list`));
  details.addEventListener("toggle", () => {
    if (!details.open || details.querySelector("table")) return;
    const rows = [
      ...tier.timeline.shifts.map((s) => ({ s, who: assigneesText(s.assignees),
        what: s.origin === "ON_DEMAND" ? "on-demand shift"
          : `${ORIGIN_TEXT[s.origin]}, layer ${s.layer ? s.layer.name : "?"}` })),
      ...tier.timeline.gaps.map((s) => ({ s, who: "nobody", what: "gap" })),
    ].sort((a, b) => ms(a.s.start) - ms(b.s.start));
    const cell = (at) => h("td", {}, h("time", { datetime: at }, format(ms(at), view.zone, "short")));
    details.append(h("table", {},
      h("caption", { class: "visually-hidden" }, `${tier.label}, times in ${view.zone}`),
      h("thead", {}, h("tr", {}, ["From", "To", "On call", "From where"].map((t) =>
        h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map(({ s, who, what }) => h("tr", { "data-start": s.start },
        cell(s.start), cell(s.end), h("td", {}, who), h("td", {}, what))))));
  });
  return details;
}

function axis(view) {
  const el = h("div", { class: "track axis-track" });
  view.ticks.forEach((tick, index) => {
    const classes = `tick-label${tick.weekend ? " weekend" : ""}${index % 2 ? " odd" : ""}`;
    const label = h("span", { class: classes }, tick.label);
    place(label, tick.at, tick.at, view);
    el.append(label);
  });
  if (view.now >= view.from && view.now < view.to) {
    const now = h("span", { class: "now-label" }, "now");
    place(now, view.now, view.now, view);
    el.append(now);
  }
  return h("div", { class: "row axis", "aria-hidden": "true" },
           h("div", { class: "row-label" }, view.zoneLabel), el);
}

/**
 * The tiers' timelines for `view` = {from, to, zoom, zone, zoneLabel, now}, as one element.
 * `describe(el, info)` attaches the hover/focus details to an item.
 */
export function renderTiers(tiers, view, describe) {
  const full = { ...view, ticks: ticks(view.from, view.to, view.zoom, view.zone) };
  const sections = tiers.map((tier) => {
    tier.label = `Tier ${tier.number}${tier.name ? ` ${tier.name}` : ""}`;
    const layers = [...tier.timeline.layers].sort((a, b) => b.layer.index - a.layer.index);
    const gaps = tier.timeline.gaps.length;
    const under = tier.timeline.understaffed.length;
    const summary = [
      `${tier.timeline.shifts.length} shifts`,
      gaps ? `${gaps} gap${gaps > 1 ? "s" : ""}` : "no gaps",
      under ? `${under} understaffed` : null,
    ].filter(Boolean).join(" · ");
    return h(
      "section",
      { class: "tier", "aria-labelledby": `tier-${tier.id}`, "data-tier-id": tier.id,
        "data-tier-number": tier.number },
      h("h3", { id: `tier-${tier.id}` }, tier.label, h("span", { class: "summary" }, summary)),
      h("div", { class: "rows" },
        axis(full),
        finalRow(tier, full, describe),
        layers.length ? h("p", { class: "layers-heading" }, "Layers, highest first") : null,
        layers.map((l) => layerRow(tier, l, full, describe))),
      shiftList(tier, full),
    );
  });
  const root = h("div", { class: `timeline zoom-${view.zoom}`, "data-from": new Date(view.from).toISOString(),
                          "data-to": new Date(view.to).toISOString(), "data-zone": view.zone },
                 sections);
  for (const track of root.querySelectorAll(".row:not(.axis) .track")) {
    const first = track.querySelector(".item");
    if (first) first.tabIndex = 0;
  }
  root.addEventListener("keydown", onKey);
  root.addEventListener("click", (event) => {
    if (event.target.closest("button.item")) event.target.closest("button.item").focus();
  });
  return root;
}

function onKey(event) {
  const item = event.target.closest(".item");
  if (!item) return;
  const trackEl = item.parentElement;
  const items = [...trackEl.querySelectorAll(".item")];
  let next = null;
  const index = items.indexOf(item);
  if (event.key === "ArrowRight") next = items[index + 1];
  else if (event.key === "ArrowLeft") next = items[index - 1];
  else if (event.key === "Home") next = items[0];
  else if (event.key === "End") next = items[items.length - 1];
  else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const tracks = [...event.currentTarget.querySelectorAll(".row:not(.axis) .track")]
      .filter((t) => t.querySelector(".item"));
    const other = tracks[tracks.indexOf(trackEl) + (event.key === "ArrowDown" ? 1 : -1)];
    if (other) {
      const at = Date.parse(item.dataset.start);
      const candidates = [...other.querySelectorAll(".item")];
      next = candidates.find((c) => Date.parse(c.dataset.end) > at) || candidates.at(-1);
    }
  } else return;
  event.preventDefault();
  if (!next) return;
  for (const el of next.parentElement.querySelectorAll(".item[tabindex='0']")) el.tabIndex = -1;
  next.tabIndex = 0;
  next.focus();
}
