// A contact's page: next shifts, hours on call this month, and calendar feed links to copy.
import { gql } from "./api.js";
import { personColor } from "./colors.js";
import { fill, h } from "./dom.js";
import { browserZone, format, hours, span, step, windowAround, zoneFor } from "./time.js";

const AHEAD_DAYS = 35;
const BEHIND_DAYS = 31; // Contact.shifts clips to its window: look back for a running shift's start
const QUERY = `query ContactPage($id: ID!, $since: DateTime!, $ahead: DateTime!,
                                 $monthFrom: DateTime!, $monthTo: DateTime!) {
  contact(id: $id) {
    id name email phone timezone
    next: shifts(from: $since, to: $ahead) {
      start end origin tier { id number name schedule { id name } }
    }
    month: shifts(from: $monthFrom, to: $monthTo) { start end }
  }
}`;
const FEEDS = `query Feeds { calendarFeeds(first: 100) {
  nodes { id scope name prefix createdAt lastFetchedAt contact { id } }
} }`;
const CREATE_FEED = `mutation CreateFeed($input: CreateCalendarFeedInput!) {
  createCalendarFeed(input: $input) { url feed { id prefix } }
}`;

const COVER = `query Cover($id: ID!) {
  asked: coverRequests(filter: {requester: [$id], status: [OPEN, OFFERED]}, first: 20) {
    nodes { id from to status note schedule { id name } offers { status contact { id name } } }
  }
  offered: coverRequests(filter: {offeredBy: [$id], status: [OPEN, OFFERED]}, first: 20) {
    nodes { id from to status schedule { id name } requester { id name } }
  }
}`;

/** Hours covered by `shifts` inside [from, to), overlaps (two tiers at once) counted once. */
export function coveredMs(shifts, from, to) {
  const pieces = shifts
    .map((s) => [Math.max(Date.parse(s.start), from), Math.min(Date.parse(s.end), to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of pieces) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

async function copy(input, note) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand("copy");
  }
  note.textContent = "Copied.";
}

function feedSection(contact, onAuthFailed, viewer) {
  const list = h("div", {}, h("p", {}, "Loading feeds…"));
  const created = h("div", { class: "created-feed" });
  const nameInput = h("input", { id: "feed-name", type: "text", autocomplete: "off",
                                 value: `${contact.name} on call` });
  const form = h("form", { class: "inline-form" },
    h("label", { for: "feed-name" }, "Feed name"), nameInput,
    h("button", { type: "submit" }, "Create a feed link"));
  viewer.then((v) => {  // personal tokens cannot create feeds: say so instead of a form
    if (v && v.role === "PERSON") {
      fill(form, h("p", { class: "muted" }, "An editor can create a feed link for you."));
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const data = await gql(CREATE_FEED, { input: { contactId: contact.id,
                                                      name: nameInput.value.trim() } });
      const url = h("input", { id: "feed-url", type: "text", readonly: true,
                               value: data.createCalendarFeed.url, class: "feed-url" });
      const note = h("span", { role: "status" });
      fill(created,
        h("label", { for: "feed-url" }, "New feed link (shown once: copy it now)"), url,
        h("button", { type: "button", onclick: () => copy(url, note) }, "Copy link"), note);
      url.focus();
      url.select();
      loadFeeds();
    } catch (error) {
      if (error.code === "UNAUTHENTICATED") onAuthFailed();
      fill(created, h("p", { class: "error", role: "alert" },
        error.code === "FORBIDDEN" ? "Creating a feed needs an EDITOR or ADMIN token."
          : error.message));
    }
  });

  async function loadFeeds() {
    try {
      const data = await gql(FEEDS);
      const mine = data.calendarFeeds.nodes.filter((f) => f.contact && f.contact.id === contact.id);
      fill(list, mine.length ? h("ul", { class: "feeds" }, mine.map((f) => h("li", {},
        h("strong", {}, f.name || "Unnamed feed"), ` · link starting ${f.prefix}…`,
        h("span", { class: "muted" }, f.lastFetchedAt ? ` · last read ${format(
          Date.parse(f.lastFetchedAt), browserZone(), "short")}` : " · not read yet"))))
        : h("p", {}, "No feed links yet."));
    } catch (error) {
      fill(list, h("p", { class: "error" }, error.message));
    }
  }
  loadFeeds();
  return h("section", { "aria-labelledby": "feeds-h" },
    h("h2", { id: "feeds-h" }, "Calendar feed links"),
    h("p", {}, "Subscribe to a link from any calendar app. A link is shown once, when it is " +
      "created; the list keeps only its first characters."),
    list, form, created);
}

/** Open cover requests the person made, and those they offered to cover (read only). */
function coverSection(contact, zone) {
  const body = h("div", {}, h("p", {}, "Loading cover requests…"));
  const when = (r) => span(Date.parse(r.from), Date.parse(r.to), zone);
  const where = (r) => h("a", { href: `#/schedule/${encodeURIComponent(r.schedule.id)}` },
    r.schedule.name);
  gql(COVER, { id: contact.id }).then(({ asked, offered }) => {
    const active = (r) => r.offers.filter((o) => o.status === "ACTIVE").map((o) => o.contact.name);
    fill(body,
      h("h3", {}, "Asked for"),
      asked.nodes.length ? h("ul", { class: "cover asked" }, asked.nodes.map((r) => h("li",
        { "data-cover-id": r.id }, when(r), " · ", where(r), ` · ${r.status.toLowerCase()}`,
        active(r).length ? ` · offers from ${active(r).join(", ")}` : "",
        r.note ? h("div", { class: "muted" }, r.note) : null)))
        : h("p", {}, "No open cover requests."),
      h("h3", {}, "Offered to cover"),
      offered.nodes.length ? h("ul", { class: "cover offered" }, offered.nodes.map((r) => h("li",
        { "data-cover-id": r.id }, when(r), " · ", where(r), ` · for ${r.requester.name}`,
        ` · ${r.status.toLowerCase()}`)))
        : h("p", {}, "No open offers."));
  }).catch((error) => fill(body, h("p", { class: "error" }, error.message)));
  return h("section", { class: "cover-section", "aria-labelledby": "cover-h" },
    h("h2", { id: "cover-h" }, "Cover requests"), body);
}

/** Mount the page of contact `id` into `main`. */
export function contactPage(main, id, params, { onAuthFailed, viewer }) {
  const title = h("h1", { tabindex: "-1" }, "Person");
  const body = h("div", {}, h("p", {}, "Loading…"));
  fill(main, title, body);
  title.focus();
  let choice = ["their", "browser", "utc"].includes(params.get("tz")) ? params.get("tz") : "their";

  async function load() {
    try {
      const first = await gql("query ContactZone($id: ID!) { contact(id: $id) { id timezone } }",
                              { id });
      const own = first.contact.timezone;
      const zone = zoneFor(choice === "their" ? "schedule" : choice, own);
      const now = Date.now();
      const month = windowAround(now, "month", zone);
      const data = await gql(QUERY, {
        id, since: new Date(now - BEHIND_DAYS * 864e5).toISOString(),
        ahead: new Date(step(now, "day", AHEAD_DAYS, zone)).toISOString(),
        monthFrom: new Date(month.from).toISOString(), monthTo: new Date(month.to).toISOString(),
      });
      show(data.contact, zone, month, now);
    } catch (error) {
      if (error.code === "UNAUTHENTICATED") onAuthFailed();
      else fill(body, h("p", { class: "error", role: "alert" }, error.message));
    }
  }

  function show(contact, zone, month, now) {
    document.title = `${contact.name} · Rotagraph`;
    const swatch = h("span", { class: "swatch big", "aria-hidden": "true" });
    swatch.style.background = personColor(contact.id);
    fill(title, swatch, contact.name);
    const select = h("select", { id: "contact-zone" },
      [["their", `Their zone (${contact.timezone})`], ["browser", `This browser's zone (${
        browserZone()})`], ["utc", "UTC"]].map(([value, text]) => h("option",
        { value, selected: value === choice }, text)));
    select.addEventListener("change", () => {
      choice = select.value;
      history.replaceState(null, "", `#/contact/${encodeURIComponent(id)}?tz=${choice}`);
      load();
    });
    const total = coveredMs(contact.month, month.from, month.to);
    const done = coveredMs(contact.month, month.from, Math.min(now, month.to));
    const next = contact.next.filter((s) => Date.parse(s.end) > now).slice(0, 10);
    fill(body,
      h("p", { class: "contact-meta" }, contact.timezone,
        contact.email ? [" · ", h("a", { href: `mailto:${contact.email}` }, contact.email)] : null,
        contact.phone ? ` · ${contact.phone}` : null),
      h("div", { class: "group" }, h("label", { for: "contact-zone" }, "Times in"), select),
      h("section", { "aria-labelledby": "hours-h" },
        h("h2", { id: "hours-h" }, `Hours on call in ${format(month.from, zone, "month")}`),
        h("p", { class: "hours", "data-total-ms": total, "data-done-ms": done },
          h("strong", {}, hours(total)), ` scheduled this month, ${hours(done)} of them so far`)),
      h("section", { "aria-labelledby": "next-h" },
        h("h2", { id: "next-h" }, `Next shifts (${AHEAD_DAYS} days)`),
        next.length ? h("ol", { class: "next-shifts" }, next.map((s) => h("li",
          { "data-start": s.start, "data-end": s.end },
          span(Date.parse(s.start), Date.parse(s.end), zone), " · ",
          h("a", { href: `#/schedule/${encodeURIComponent(s.tier.schedule.id)}` },
            s.tier.schedule.name), `, Tier ${s.tier.number}`,
          s.origin === "ON_DEMAND" ? " (on-demand)" : s.origin === "SUBSTITUTION"
            ? " (substitution)" : null,
          Date.parse(s.start) <= now ? h("strong", {}, " · on call now") : null)))
          : h("p", {}, "No shifts in the next weeks.")),
      coverSection(contact, zone),
      feedSection(contact, onAuthFailed, viewer || Promise.resolve(null)));
  }

  load();
  return () => {};
}
