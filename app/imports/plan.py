"""The plan: for every object the source wants, what an import would do with it, and why.

Actions: CREATE (new), UPDATE (changed at the source, or --overwrite), UNCHANGED, MATCH (an
existing contact with the same email, case-insensitive), KEEP (edited or deleted here after
the last import: left as it is unless --overwrite; or gone from the source where deleting
would lose more than it saves), DELETE (a layer or on-demand shift gone from the source and
untouched here), CANNOT_MAP (a note: what cannot be expressed, and why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.imports import desired
from app.imports.state import (
    State,
    fingerprint,
    layer_form,
    schedule_form,
    shift_form,
    tier_form,
)

EDITED = "edited here after the last import: kept (--overwrite replaces it)"
DELETED = "deleted here after the last import: not recreated (--overwrite recreates it)"
CROWDED = (
    "overlaps an on-demand shift added here: not imported (--overwrite imports it and trims "
    "that one)"
)


@dataclass
class Item:
    kind: str
    source_id: str
    name: str
    action: str
    reason: str = ""
    local_id: int | None = None
    fingerprint: str = ""
    payload: Any = None
    parent: str | None = None


@dataclass
class Plan:
    vendor: str
    overwrite: bool = False
    items: list[Item] = field(default_factory=list)
    contact_ids: dict[str, int] = field(default_factory=dict)

    def of(self, kind: str) -> list[Item]:
        return [i for i in self.items if i.kind == kind]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.items:
            out[item.action] = out.get(item.action, 0) + 1
        return out


def _decide(
    state: State,
    kind: str,
    source_id: str,
    wanted: str,
    overwrite: bool,
) -> tuple[str, str, int | None]:
    link = state.links.get((kind, source_id))
    if link is None:
        return "CREATE", "", None
    current = state.current.get((kind, link.local_id))
    if current is None:
        return (
            ("CREATE", "deleted here; recreated (--overwrite)", None)
            if overwrite
            else ("KEEP", DELETED, link.local_id)
        )
    if current == wanted:
        return "UNCHANGED", "", link.local_id
    if current == link.fingerprint:
        return "UPDATE", "changed at the source", link.local_id
    if overwrite:
        return "UPDATE", "edited here; replaced by the source (--overwrite)", link.local_id
    source_changed = wanted != link.fingerprint
    return "KEEP", EDITED + ("; the source changed too" if source_changed else ""), link.local_id


def _contacts(plan: Plan, state: State, contacts: tuple[desired.Contact, ...]) -> None:
    for n, c in enumerate(contacts, start=1):
        link = state.links.get(("contact", c.source_id))
        if link is not None and link.local_id in state.contacts:
            plan.items.append(
                Item("contact", c.source_id, c.name, "UNCHANGED", local_id=link.local_id, payload=c)
            )
            plan.contact_ids[c.source_id] = link.local_id
        elif (pk := state.by_email.get(c.email.lower())) is not None:
            plan.items.append(
                Item(
                    "contact",
                    c.source_id,
                    c.name,
                    "MATCH",
                    f"matched by email {c.email}",
                    pk,
                    payload=c,
                )
            )
            plan.contact_ids[c.source_id] = pk
        else:
            plan.items.append(Item("contact", c.source_id, c.name, "CREATE", payload=c))
            plan.contact_ids[c.source_id] = -n  # a stand-in until the contact exists


def _add(
    plan: Plan,
    state: State,
    kind: str,
    source_id: str,
    name: str,
    form: dict[str, Any],
    payload: Any,
    parent: str | None,
    overwrite: bool,
) -> Item:
    wanted = fingerprint(form)
    action, reason, local_id = _decide(state, kind, source_id, wanted, overwrite)
    item = Item(kind, source_id, name, action, reason, local_id, wanted, payload, parent)
    plan.items.append(item)
    return item


def _gone(
    plan: Plan, state: State, kinds: tuple[str, ...], wanted: set[str], prefixes: set[str]
) -> None:
    for (kind, source_id), link in state.links.items():
        if kind not in kinds or source_id in wanted:
            continue
        parent = next((p for p in prefixes if source_id.startswith(p + "/")), None)
        if prefixes and parent is None:
            continue
        current = state.current.get((kind, link.local_id))
        if current is None:
            action, reason, local_id = "DELETE", "gone from the source and deleted here", None
        elif kind in ("layer", "shift") and current == link.fingerprint:
            action, reason, local_id = "DELETE", "gone from the source", link.local_id
        else:
            action, local_id = "KEEP", link.local_id
            reason = (
                "gone from the source; edited here: kept"
                if current != link.fingerprint
                else "gone from the source: left as it is"
            )
        plan.items.append(Item(kind, source_id, source_id, action, reason, local_id, parent=parent))


def make_plan(*, vendor: str, mapped: desired.Mapped, state: State, overwrite: bool) -> Plan:
    """Compare what the source wants with what earlier imports left and what is here now."""
    plan = Plan(vendor, overwrite)
    _contacts(plan, state, mapped.contacts)
    ids = plan.contact_ids
    wanted: set[str] = set()
    tiers: set[str] = set()
    for s in mapped.schedules:
        _add(
            plan,
            state,
            "schedule",
            s.source_id,
            s.name,
            schedule_form(s.name, s.zone, s.customer),
            s,
            None,
            overwrite,
        )
        wanted.add(s.source_id)
        for t in s.tiers:
            _add(
                plan,
                state,
                "tier",
                t.source_id,
                f"{s.name} / tier {t.number}",
                tier_form(t.name),
                t,
                s.source_id,
                overwrite,
            )
            wanted.add(t.source_id)
            tiers.add(t.source_id)
            for layer in t.layers:
                _add(
                    plan,
                    state,
                    "layer",
                    layer.source_id,
                    layer.name,
                    layer_form(layer, [ids[u] for u in layer.users]),
                    layer,
                    t.source_id,
                    overwrite,
                )
                wanted.add(layer.source_id)
            tier_link = state.links.get(("tier", t.source_id))
            local = state.local_shifts.get(tier_link.local_id, []) if tier_link else []
            for shift in t.shifts:
                if not overwrite and any(a < shift.end and shift.start < b for a, b in local):
                    plan.items.append(
                        Item(
                            "shift",
                            shift.source_id,
                            _when(shift),
                            "KEEP",
                            CROWDED,
                            None,
                            "",
                            shift,
                            t.source_id,
                        )
                    )
                    wanted.add(shift.source_id)
                    continue
                _add(
                    plan,
                    state,
                    "shift",
                    shift.source_id,
                    _when(shift),
                    shift_form(shift.start, shift.end, [ids[u] for u in shift.users]),
                    shift,
                    t.source_id,
                    overwrite,
                )
                wanted.add(shift.source_id)
    _gone(plan, state, ("schedule",), wanted, set())
    _gone(plan, state, ("tier",), wanted, {s.source_id for s in mapped.schedules})
    _gone(plan, state, ("layer", "shift"), wanted, tiers)
    for note in mapped.notes:
        plan.items.append(Item(note.kind, note.source_id, note.name, "CANNOT_MAP", note.reason))
    return plan


def _when(shift: desired.Shift) -> str:
    return f"{shift.start.isoformat()} - {shift.end.isoformat()}"


def emails(mapped: desired.Mapped) -> set[str]:
    return {c.email for c in mapped.contacts}
