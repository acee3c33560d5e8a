"""The import workflow: read the source, map it, plan, apply (unless a dry run), report.

Reading finishes before anything is written, so a refused key, an unreachable vendor or
malformed JSON raise one ``SourceError`` and write nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from app import outbound
from app.imports import apply, desired, equivalence, grafana, opsgenie, pagerduty
from app.imports import source as src
from app.imports.mapping import map_bundle
from app.imports.plan import Item, make_plan
from app.imports.state import load_state
from app.imports.transport import FileTransport, HttpTransport, Transport
from app.settings import Settings
from app.tiers import models as tier_models
from app.timelines import service as timeline_service

REPORT_DAYS = 28
Reader = Callable[..., Awaitable[src.Bundle]]
READERS: dict[str, tuple[Reader, Callable[[str], dict[str, str]], str | None]] = {
    "pagerduty": (pagerduty.read, pagerduty.headers, "https://api.pagerduty.com"),
    "opsgenie": (opsgenie.read, opsgenie.headers, "https://api.opsgenie.com"),
    "grafana": (grafana.read, grafana.headers, None),
}


@dataclass(frozen=True)
class SourceSpec:
    """Where to read: the vendor's API (``api_key``, optional ``base_url``) or a directory
    of saved JSON (``directory``)."""

    vendor: str
    api_key: str | None = None
    base_url: str | None = None
    directory: Path | None = None

    def __repr__(self) -> str:  # the key never appears in logs or tracebacks
        return f"SourceSpec(vendor={self.vendor!r}, base_url={self.base_url!r})"


@dataclass
class Report:
    vendor: str
    dry_run: bool
    since: datetime
    until: datetime
    items: list[Item] = field(default_factory=list)
    equivalence: list[equivalence.Equivalence] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.items:
            out[item.action] = out.get(item.action, 0) + 1
        return out


async def read_source(
    spec: SourceSpec, *, since: datetime, until: datetime, settings: Settings
) -> src.Bundle:
    if spec.vendor not in READERS:
        raise src.SourceError(f"unknown source {spec.vendor!r}", field="source")
    read, headers, default_url = READERS[spec.vendor]
    if spec.directory is not None:
        if not spec.directory.is_dir():
            raise src.SourceError(f"{spec.directory} is not a directory", field="path")
        return await _read(read, FileTransport(spec.directory), spec.vendor, since, until)
    if not spec.api_key:
        raise src.SourceError("an API key is required", field="apiKey")
    base_url = spec.base_url or default_url
    if not base_url or not base_url.startswith(("http://", "https://")):
        raise src.SourceError("an http(s) base URL is required", field="baseUrl")
    problem = outbound.check_url(base_url) or outbound.address_problem(base_url, settings)
    if problem is not None:
        raise src.SourceError(f"base URL: {problem}", field="baseUrl")
    async with outbound.session(settings) as session:
        transport = HttpTransport(spec.vendor, base_url, headers(spec.api_key), session)
        return await _read(read, transport, spec.vendor, since, until)


async def _read(
    read: Reader, transport: Transport, vendor: str, since: datetime, until: datetime
) -> src.Bundle:
    try:
        return await read(transport, since=since, until=until)
    except src.SourceError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise src.SourceError(
            f"{vendor} sent data in an unexpected shape ({type(exc).__name__}: {exc})",
            field="source",
        ) from None


def _tier_notes(mapped: desired.Mapped, schedule: src.Schedule) -> list[desired.Note]:
    layer_ids = {layer.id for layer in schedule.layers}
    override_ids = {o.id for o in schedule.overrides}
    return [
        n
        for n in mapped.notes
        if (n.kind == "schedule" and n.source_id == schedule.id)
        or (n.kind == "layer" and n.source_id in layer_ids)
        or (n.kind == "override" and n.source_id in override_ids)
    ]


def _fallback(report: Report, tier: desired.Tier) -> str:
    """What explains a difference no note accounts for: edits kept here, else nothing known."""
    kept = [
        i.name
        for i in report.items
        if i.action == "KEEP"
        and (i.source_id == tier.source_id or i.source_id.startswith(tier.source_id + "/"))
    ]
    if kept:
        return "kept as edited here after the last import (" + ", ".join(kept[:3]) + ")"
    return "unexplained"


async def _report_equivalence(
    *,
    org_id: int,
    bundle: src.Bundle,
    mapped: desired.Mapped,
    report: Report,
    stored: dict[str, int] | None,
    contact_ids: dict[str, int],
    layer_ids: dict[str, int],
) -> None:
    sources = {s.id: s for s in bundle.schedules}
    names = {u.id: (u.email or u.name) for u in bundle.users.values()}
    person_of = {pk: uid for uid, pk in sorted(contact_ids.items(), reverse=True)}
    layer_of = {pk: sid for sid, pk in layer_ids.items()}
    tiers_by_source = {}
    if stored:
        rows = await tier_models.Tier.filter(organization_id=org_id, id__in=list(stored.values()))
        tiers_by_source = {
            sid: next(r for r in rows if r.id == pk)
            for sid, pk in stored.items()
            if any(r.id == pk for r in rows)
        }
        computed = await timeline_service.compute(
            org_id=org_id,
            tiers=list(tiers_by_source.values()),
            start=report.since,
            end=report.until,
        )
    for schedule in mapped.schedules:
        for tier in schedule.tiers:
            source = sources.get(tier.source_schedule or "")
            if source is None:
                continue
            if tier.source_id in tiers_by_source:
                timeline = computed[tiers_by_source[tier.source_id].id]
                people, layers = person_of, layer_of
            else:
                timeline, people, layers = equivalence.planned_timeline(
                    tier, report.since, report.until
                )
            result = equivalence.compare(
                schedule=source,
                tier=tier,
                tier_name=schedule.name,
                since=report.since,
                until=report.until,
                timeline=timeline,
                people=people,
                layers=layers,
                notes=_tier_notes(mapped, source),
                names=names,
                fallback=_fallback(report, tier),
            )
            if result is not None:
                report.equivalence.append(result)


async def run_import(
    *,
    org_id: int,
    spec: SourceSpec,
    since: datetime,
    dry_run: bool,
    settings: Settings,
    overwrite: bool = False,
    days: int = REPORT_DAYS,
) -> Report:
    """Read, map, plan; unless ``dry_run``, apply (contacts, then one transaction per
    schedule); then compare our final shifts with the source's over [since, since + days)."""
    until = since + timedelta(days=days)
    bundle = await read_source(spec, since=since, until=until, settings=settings)
    mapped = map_bundle(bundle, since=since)
    emails = {c.email for c in mapped.contacts}
    state = await load_state(org_id=org_id, vendor=spec.vendor, emails=emails)
    plan = make_plan(vendor=spec.vendor, mapped=mapped, state=state, overwrite=overwrite)
    report = Report(spec.vendor, dry_run, since, until)
    if dry_run:
        report.items = plan.items
        await _report_equivalence(
            org_id=org_id,
            bundle=bundle,
            mapped=mapped,
            report=report,
            stored=None,
            contact_ids={},
            layer_ids={},
        )
        return report
    await apply.apply_contacts(org_id=org_id, plan=plan, state=state)
    contact_items = plan.of("contact")
    state = await load_state(org_id=org_id, vendor=spec.vendor, emails=emails)
    plan = make_plan(vendor=spec.vendor, mapped=mapped, state=state, overwrite=overwrite)
    for item in plan.of("schedule"):
        if item.payload is not None:
            await apply.apply_schedule(org_id=org_id, plan=plan, state=state, item=item)
    report.items = contact_items + [i for i in plan.items if i.kind != "contact"]
    stored = {
        i.source_id: i.local_id for i in plan.items if i.kind == "tier" and i.local_id is not None
    }
    layers = {
        i.source_id: i.local_id for i in plan.items if i.kind == "layer" and i.local_id is not None
    }
    await _report_equivalence(
        org_id=org_id,
        bundle=bundle,
        mapped=mapped,
        report=report,
        stored=stored,
        contact_ids=plan.contact_ids,
        layer_ids=layers,
    )
    return report
