"""What a notice says: subject, plain text, HTML and (for new shifts) an iCalendar file,
from the notice's kind and data. Times are shown in the recipient's zone."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    ics: bytes | None = None


def when(start: str, end: str, zone: str) -> str:
    """``Mon 2 Mar 14:00 to Tue 3 Mar 08:00 (Europe/London)``, the end's day only if it differs."""
    tz = ZoneInfo(zone)
    a = datetime.fromisoformat(start).astimezone(tz)
    b = datetime.fromisoformat(end).astimezone(tz)
    left = f"{a:%a} {a.day} {a:%b %H:%M}"
    right = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a} {b.day} {b:%b %H:%M}"
    return f"{left} to {right} ({zone})"


def _lines_of_change(item: dict[str, Any], zone: str) -> list[str]:
    where = f"{item['schedule']}, tier {item['tier']}"
    lines = [f"+ added: {when(s, e, zone)} on {where}" for s, e in item.get("added", [])]
    lines += [f"- removed: {when(s, e, zone)} on {where}" for s, e in item.get("removed", [])]
    lines += [
        f"~ moved: {when(a[0], a[1], zone)} -> {when(b[0], b[1], zone)} on {where}"
        for a, b in item.get("moved", [])
    ]
    return lines


def _ics(uid: str, shifts: list[tuple[str, str, str]]) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Rotagraph//notices//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    for i, (start, end, title) in enumerate(shifts):
        event = icalendar.Event()
        event.add("uid", f"{uid}-{i}@rotagraph")
        event.add("dtstamp", datetime.fromisoformat(start))
        event.add("dtstart", datetime.fromisoformat(start))
        event.add("dtend", datetime.fromisoformat(end))
        event.add("summary", title)
        cal.add_component(event)
    return bytes(cal.to_ical())


def render(kind: str, data: dict[str, Any], *, uid: str, zone: str) -> Message:
    """The message of a notice; ``data`` as the planner stored it (change notices: as
    recomputed when due)."""
    ics: bytes | None = None
    if kind == "VERIFY":
        subject = "Rotagraph: confirm this address"
        lines = [
            f"Your verification code is {data.get('code', '(already used)')}.",
            "Enter it in Rotagraph to start receiving notices here.",
        ]
    elif kind == "REMINDER":
        subject = f"On call soon: {data['schedule']}, tier {data['tier']}"
        lines = [f"Your shift on {data['schedule']}, tier {data['tier']}, starts soon:"]
        lines.append(when(data["start"], data["end"], zone))
    elif kind == "CHANGE":
        subject = "Your on-call shifts changed"
        lines = ["Your confirmed shifts changed:"]
        new: list[tuple[str, str, str]] = []
        for item in data["changes"]:
            lines += _lines_of_change(item, zone)
            title = f"On call: {item['schedule']}, tier {item['tier']}"
            new += [(s, e, title) for s, e in item.get("added", [])]
            new += [(b[0], b[1], title) for _, b in item.get("moved", [])]
        ics = _ics(uid, new) if new else None
    elif kind == "COVERAGE":
        subject = f"Coverage gap: {data['schedule']}"
        lines = [f"{data['schedule']} has time nobody (or too few people) will cover:"]
        for tier in data["tiers"]:
            lines += [f"gap: {when(s, e, zone)} on tier {tier['tier']}" for s, e in tier["gaps"]]
            lines += [
                f"understaffed: {when(s, e, zone)} on tier {tier['tier']}"
                for s, e in tier["understaffed"]
            ]
    elif kind == "COVERAGE_RESOLVED":
        subject = f"Coverage restored: {data['schedule']}"
        tiers = ", ".join(str(t) for t in data["tiers"])
        lines = [f"Every gap of {data['schedule']} (tier {tiers}) within its horizon is covered."]
    elif kind == "DESTINATION":
        subject = f"Export failing: {data['schedule']} -> {data['destination']}"
        lines = [
            f"Destination {data['destination']} of {data['schedule']} is in ERROR: "
            "the wrong person may be paged.",
            str(data.get("reason") or ""),
        ]
    else:  # cover-request events and any later kind carry their own text
        subject = str(data.get("subject") or kind)
        lines = [str(line) for line in data.get("lines", [])]
    text = "\n".join(line for line in lines if line) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    return Message(subject=subject, text=text, html=f"<html><body>{body}</body></html>", ics=ics)
