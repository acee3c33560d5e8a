// Hover and keyboard focus show an item's details (assignees, exact local times) in one
// shared tooltip; Escape hides it. The same text is the item's accessible name.
import { fill, h } from "./dom.js";

const details = new WeakMap();
let current = null;

/**
 * Attach `info` = {title, lines, label} to `el`. Its accessible name is its visible text
 * followed by `label` (the visible words come first, as WCAG 2.5.3 wants).
 */
export function describe(el, info) {
  details.set(el, info);
  el.setAttribute("aria-label", `${el.textContent}, ${info.label}`);
}

function tooltip() {
  return document.getElementById("tooltip");
}

export function hide() {
  const tip = tooltip();
  if (tip) tip.hidden = true;
  current = null;
}

function show(el) {
  const info = details.get(el);
  const tip = tooltip();
  if (!info || !tip) return;
  current = el;
  fill(tip, h("strong", {}, info.title), info.lines.map((line) => h("div", {}, line)));
  tip.hidden = false;
  const rect = el.getBoundingClientRect();
  const width = tip.offsetWidth;
  const height = tip.offsetHeight;
  const left = Math.max(4, Math.min(rect.left, window.innerWidth - width - 4));
  let top = rect.bottom + 6;
  if (top + height > window.innerHeight - 4) top = Math.max(4, rect.top - height - 6);
  tip.style.left = `${left}px`;
  tip.style.top = `${top}px`;
}

/** Show details for items inside `container` on hover and focus. */
export function attach(container) {
  const itemOf = (event) => event.target.closest && event.target.closest(".item");
  container.addEventListener("mouseover", (event) => {
    const item = itemOf(event);
    if (item && item !== current) show(item);
  });
  // The details stay while the pointer moves onto them (WCAG 1.4.13: hoverable).
  container.addEventListener("mouseleave", (event) => {
    if (!tooltip().contains(event.relatedTarget)) hide();
  });
  if (!tooltip().dataset.wired) {
    tooltip().dataset.wired = "true";
    tooltip().addEventListener("mouseleave", (event) => {
      const to = event.relatedTarget;
      if (!(to && to.closest && to.closest(".item"))) hide();
    });
  }
  container.addEventListener("focusin", (event) => {
    const item = itemOf(event);
    if (item) show(item);
  });
  container.addEventListener("focusout", hide);
  container.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hide();
  });
}
