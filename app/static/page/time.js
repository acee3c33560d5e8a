// Time zones without a library: wall clock <-> instant through Intl, windows and ticks.
// Instants are milliseconds since the epoch (UTC); a "zone" is an IANA name.

const HOUR = 3600e3;
const DAY = 24 * HOUR;
const partsFormats = new Map();
const formats = new Map();

export const ZOOMS = { day: "Day", week: "Week", month: "Month" };

export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** The zone a choice ("schedule", "browser", "utc") means for a schedule in `ownZone`. */
export function zoneFor(choice, ownZone) {
  if (choice === "utc") return "UTC";
  if (choice === "browser") return browserZone();
  return ownZone || "UTC";
}

/** Wall-clock fields of instant `ms` in `zone`. */
export function wall(ms, zone) {
  let format = partsFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric", weekday: "short",
    });
    partsFormats.set(zone, format);
  }
  const out = {};
  for (const part of format.formatToParts(ms)) out[part.type] = part.value;
  const weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(out.weekday);
  return {
    year: +out.year, month: +out.month, day: +out.day, hour: +out.hour % 24,
    minute: +out.minute, second: +out.second, weekday, // weekday: 0 = Monday
  };
}

function offset(ms, zone) {
  const w = wall(ms, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of a wall-clock time in `zone`. A time that happens twice (clocks going back)
 * is its first occurrence; a time that never happens (clocks going forward) is read with the
 * offset before the change, so it lands as far past the gap as it was into it (as Python's
 * zoneinfo does with fold=0).
 */
export function instant(zone, year, month, day, hour = 0, minute = 0) {
  const wallMs = Date.UTC(year, month - 1, day, hour, minute);
  const before = offset(wallMs - DAY, zone);
  const after = offset(wallMs + DAY, zone);
  const exact = [wallMs - before, wallMs - after].filter((t) => t + offset(t, zone) === wallMs);
  return exact.length ? Math.min(...exact) : wallMs - before;
}

/** Start of the day / week (Monday) / month containing `ms`, in `zone`. */
export function windowStart(ms, zoom, zone) {
  const w = wall(ms, zone);
  if (zoom === "month") return instant(zone, w.year, w.month, 1);
  if (zoom === "week") {
    const monday = new Date(Date.UTC(w.year, w.month - 1, w.day - w.weekday));
    return instant(zone, monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate());
  }
  return instant(zone, w.year, w.month, w.day);
}

/** `start` moved by `steps` days / weeks / months of wall clock in `zone`. */
export function step(start, zoom, steps, zone) {
  const w = wall(start, zone);
  if (zoom === "month") {
    const d = new Date(Date.UTC(w.year, w.month - 1 + steps, 1));
    return instant(zone, d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  const days = zoom === "week" ? 7 * steps : steps;
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + days));
  return instant(zone, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** [from, to) of the window of `zoom` that contains `ms`. */
export function windowAround(ms, zoom, zone) {
  const from = windowStart(ms, zoom, zone);
  return { from, to: step(from, zoom, 1, zone) };
}

/** Axis ticks: every 3 hours for a day, local midnights otherwise. */
export function ticks(from, to, zoom, zone) {
  const out = [];
  if (zoom === "day") {
    const w = wall(from, zone);
    for (let h = 0; h <= 24; h += 3) {
      const at = instant(zone, w.year, w.month, w.day, h);
      if (at >= from && at < to) out.push({ at, label: format(at, zone, "hm") });
    }
    return out;
  }
  for (let at = from, n = 0; at < to && n < 40; at = step(at, "day", 1, zone), n++) {
    out.push({ at, label: format(at, zone, zoom === "week" ? "weekday" : "daynum"),
               weekend: wall(at, zone).weekday >= 5 });
  }
  return out;
}

const STYLES = {
  hm: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  weekday: { weekday: "short", day: "numeric" },
  daynum: { day: "numeric" },
  day: { weekday: "short", day: "numeric", month: "short" },
  title: { day: "numeric", month: "long", year: "numeric" },
  month: { month: "long", year: "numeric" },
  exact: {
    weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
  },
  short: {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23",
  },
};

// Bars share their boundaries (lanes, layers, the final row): remember formatted instants.
const formatted = new Map();

/** `ms` formatted in `zone` with one of the STYLES above. */
export function format(ms, zone, style) {
  const key = `${zone}|${style}`;
  const memo = `${key}|${ms}`;
  const known = formatted.get(memo);
  if (known !== undefined) return known;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone: zone, ...STYLES[style] });
    formats.set(key, f);
  }
  if (formatted.size > 20000) formatted.clear();
  const text = f.format(ms);
  formatted.set(memo, text);
  return text;
}

/** "Mon 2 Mar 09:00 – Tue 3 Mar 09:00 CET", exact, in `zone`. */
export function span(start, end, zone) {
  return `${format(start, zone, "exact")} – ${format(end, zone, "exact")}`;
}

export function hours(ms) {
  const h = ms / HOUR;
  return Number.isInteger(h) ? `${h} h` : `${h.toFixed(1)} h`;
}

/** A window's title: "2 March 2026", "2 – 8 March 2026" or "March 2026". */
export function windowTitle(from, to, zoom, zone) {
  if (zoom === "month") return format(from, zone, "month");
  if (zoom === "day") return format(from, zone, "title");
  return `${format(from, zone, "day")} – ${format(to - 1, zone, "day")} ${wall(from, zone).year}`;
}

/** "2026-03-02" of `ms` in `zone` (a window's anchor in the address bar). */
export function isoDate(ms, zone) {
  const w = wall(ms, zone);
  return `${w.year}-${String(w.month).padStart(2, "0")}-${String(w.day).padStart(2, "0")}`;
}

/** The instant of local noon of an "YYYY-MM-DD" in `zone`, or null. */
export function parseDate(text, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
  return m ? instant(zone, +m[1], +m[2], +m[3], 12) : null;
}

export { DAY, HOUR };
