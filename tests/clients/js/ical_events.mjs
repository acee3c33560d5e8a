// Reads an iCalendar feed on stdin with ical.js and prints its events as JSON:
// [{uid, status, summary, start, end}] with start and end as UTC ISO instants.
// Time zones are resolved the way calendar apps do it: each VTIMEZONE of the feed is
// registered with ical.js's TimezoneService before the events are read.
import ICAL from "ical.js";

let text = "";
for await (const chunk of process.stdin) text += chunk;
const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    status: component.getFirstPropertyValue("status"),
    summary: event.summary,
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate.toJSDate().toISOString(),
  };
});
process.stdout.write(JSON.stringify(events));
