// The page's entry: sign-in (a pasted token, or a personal link's #signin=<code>), the router
// (#/, #/schedule/<id>, #/people, #/contact/<id>, #/me) and the two lists. Everything it
// shows comes from the public API.
import { exchangeSignInCode, gql } from "./api.js";
import { signIn, signOut, token } from "./auth.js";
import { personColor } from "./colors.js";
import { contactPage } from "./contact.js";
import { fill, h } from "./dom.js";
import { schedulePage, statusBadge } from "./schedule.js";
import { browserZone, format } from "./time.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let unmount = () => {};
let notice = "";

const VIEWER = "query Viewer { viewer { role organization { name } } }";
let viewer = null; // the signed-in token's {role, organization}, asked once per page load

const checkToken = async (value) => (await gql(VIEWER, {}, value)).viewer;

/** The viewer, asked once; "My page" is shown to personal (PERSON) tokens. */
async function knowViewer() {
  if (!viewer) viewer = await gql(VIEWER).then((d) => d.viewer).catch(() => null);
  document.getElementById("nav-me").hidden = !(viewer && viewer.role === "PERSON");
  return viewer;
}

async function allPages(query, field) {
  const nodes = [];
  let after = null;
  for (;;) {
    const data = await gql(query, { after });
    nodes.push(...data[field].nodes);
    if (!data[field].pageInfo.hasNextPage) return nodes;
    after = data[field].pageInfo.endCursor;
  }
}

function authFailed() {
  signOut();
  viewer = null;
  notice = "Your token was refused (revoked or unknown). Paste a token to sign in again.";
  route();
}

function signInView() {
  nav.hidden = true;
  document.title = "Sign in · Rotagraph";
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "off",
                             spellcheck: "false", required: true, "aria-describedby": "token-help" });
  const error = h("p", { class: "error", role: "alert", id: "sign-in-error" }, notice);
  notice = "";
  const form = h("form", { class: "sign-in", novalidate: true },
    h("label", { for: "token" }, "API token"),
    input,
    h("p", { id: "token-help", class: "muted" }, "Paste a token (rg_…). It is kept for this tab " +
      "only and forgotten when you sign out or close the tab."),
    h("button", { type: "submit" }, "Sign in"),
    error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      viewer = await signIn({ token: input.value }, { check: checkToken });
      input.value = "";
      route();
    } catch (failure) {
      error.textContent = failure.code === "UNAUTHENTICATED"
        ? "That token was not accepted." : failure.message;
      input.focus();
    }
  });
  fill(main, h("h1", { tabindex: "-1" }, "Sign in to Rotagraph"), form);
  input.focus();
  return () => {};
}

/** A titled page with a body that says "Loading…" until filled; focus moves to its title. */
function shell(name) {
  const title = h("h1", { tabindex: "-1" }, name);
  const body = h("div", {}, h("p", {}, "Loading…"));
  fill(main, title, body);
  title.focus();
  document.title = `${name} · Rotagraph`;
  return body;
}

function schedulesView() {
  const body = shell("Schedules");
  const zone = browserZone();
  // 25 a page: each schedule's onCallNow counts against the server's query cost limit
  allPages(`query Schedules($after: String) { schedules(first: 25, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id name customer timezone status
        onCallNow { until tier { number name } assignees { id name } } } } }`, "schedules")
    .then((schedules) => {
      if (!schedules.length) {
        fill(body, h("p", {}, "No schedules yet. Create one through the API (see /graphql)."));
        return;
      }
      fill(body, h("p", { class: "muted" }, `Times in this browser's zone (${zone}).`),
        h("ul", { class: "cards" }, schedules.map((s) => h("li",
        { class: "card", "data-schedule-id": s.id },
        h("h2", {}, h("a", { href: `#/schedule/${encodeURIComponent(s.id)}` }, s.name)),
        h("p", { class: "muted" }, [s.customer, s.timezone].filter(Boolean).join(" · "), " ",
          statusBadge(s.status)),
        h("ul", { class: "tier-now" }, s.onCallNow.map((o) => h("li", {},
          h("strong", {}, `Tier ${o.tier.number}${o.tier.name ? ` ${o.tier.name}` : ""}: `),
          o.assignees.length ? o.assignees.map((p, i) => [i ? ", " : "", personName(p)])
            : h("em", {}, "nobody"),
          o.until ? h("span", { class: "muted" },
            ` until ${format(Date.parse(o.until), zone, "short")}`) : null)))))));
    })
    .catch(failedIn(body));
  return () => {};
}

function personName(person) {
  const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
  swatch.style.background = personColor(person.id);
  return h("a", { href: `#/contact/${encodeURIComponent(person.id)}`, class: "person" },
           swatch, person.name);
}

function peopleView() {
  const body = shell("People");
  allPages(`query People($after: String) { contacts(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor } nodes { id name timezone } } }`, "contacts")
    .then((contacts) => fill(body, h("ul", { class: "people" }, contacts.map((c) => h("li", {},
      personName(c), h("span", { class: "muted" }, ` · ${c.timezone}`))))))
    .catch(failedIn(body));
  return () => {};
}

function failedIn(el) {
  return (error) => {
    if (error.code === "UNAUTHENTICATED") authFailed();
    else fill(el, h("p", { class: "error", role: "alert" }, error.message));
  };
}

/** A person's own page: `me` names their contact (organization tokens have none). */
function myPage(params, options) {
  let inner = () => {};
  let gone = false;
  fill(main, h("p", {}, "Loading…"));
  gql("query Me { me { contact { id } } }").then((data) => {
    if (gone) return;
    if (data.me) inner = contactPage(main, data.me.contact.id, params, options);
    else fill(main, h("h1", { tabindex: "-1" }, "My page"), h("p", {}, "This is an " +
      "organization token, not a person's: pick someone under ", h("a", { href: "#/people" },
      "People"), "."));
  }).catch(failedIn(main));
  return () => { gone = true; inner(); };
}

/** Follow a personal link: forget the code's address at once, then exchange the code. */
async function followPersonalLink(code) {
  history.replaceState(null, "", `${location.pathname}#/me`);
  signOut();
  viewer = null;
  unmount();
  fill(main, h("p", {}, "Signing in…"));
  try {
    viewer = await signIn({ code }, { check: checkToken, exchange: exchangeSignInCode });
  } catch (failure) {
    notice = failure.code === "UNAUTHENTICATED"
      ? "This sign-in link was already used, has expired or is unknown. Ask for a new one, " +
        "or paste a token."
      : failure.message;
  }
  route();
}

function route() {
  const link = /^#signin=([^&]+)/.exec(location.hash);
  if (link) {
    followPersonalLink(decodeURIComponent(link[1]));
    return;
  }
  unmount();
  if (!token()) {
    unmount = signInView();
    return;
  }
  nav.hidden = false;
  const [path, query] = (location.hash.slice(1) || "/").split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const options = { onAuthFailed: authFailed, viewer: knowViewer() };
  if (parts[0] === "schedule" && parts[1]) unmount = schedulePage(main, parts[1], params, options);
  else if (parts[0] === "me") unmount = myPage(params, options);
  else if (parts[0] === "contact" && parts[1]) unmount = contactPage(main, parts[1], params, options);
  else if (parts[0] === "people") unmount = peopleView();
  else unmount = schedulesView();
}

document.getElementById("sign-out").addEventListener("click", () => {
  signOut();
  viewer = null;
  document.getElementById("nav-me").hidden = true;
  notice = "Signed out. The token is forgotten.";
  route();
});
window.addEventListener("hashchange", route);
route();
