"""Imports against fake vendor servers (tests/imports/fake_vendors.py) serving the fixtures in
tests/imports/fixtures/ (each vendor folder's SOURCES.md says which public document every
file follows and how its rendered final schedule was worked out by hand)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from app.contacts import service as contact_service
from app.contacts.models import Contact
from app.imports import service
from app.imports.models import ImportLink
from app.imports.source import SourceError
from app.layers import service as layer_service
from app.layers.models import Layer
from app.on_demand_shifts.models import OnDemandShift
from app.schedules.models import Schedule
from app.settings import Settings
from tests.imports.fake_vendors import FIXTURES, vendor_server

KEY = "secret-read-only-key-42"
# The fake vendors listen on 127.0.0.1: the operator setting that allows private addresses.
SETTINGS = Settings(allow_private_addresses=True)
run = partial(service.run_import, settings=SETTINGS)
SINCE = {
    "pagerduty": datetime(2026, 3, 2, 5, tzinfo=UTC),
    "opsgenie": datetime(2026, 3, 2, tzinfo=UTC),
    "grafana": datetime(2026, 3, 2, 5, tzinfo=UTC),
}
THROTTLED = {
    "pagerduty": "/schedules",
    "opsgenie": "/v2/schedules",
    "grafana": "/api/v1/schedules/",
}
USERS_PATH = {"pagerduty": "/users", "opsgenie": "/v2/users", "grafana": "/api/v1/users/"}
# (source schedule id) -> expected agreement; below 1, every disagreement names this reason.
EXPECTED = {
    "pagerduty": {
        "PSWEB": (1.0, None),
        "PSSUP": (1.0, None),
        "PSLUN": (0.9576, "not a whole number of hours"),
    },
    "opsgenie": {"s-ops": (0.9881, "rotations overlap"), "s-sun": (1.0, None)},
    "grafana": {"SPRI": (1.0, None)},
}


async def _counts() -> dict[str, int]:
    return {
        "contacts": await Contact.all().count(),
        "schedules": await Schedule.all().count(),
        "layers": await Layer.all().count(),
        "shifts": await OnDemandShift.all().count(),
        "links": await ImportLink.all().count(),
    }


def _spec(vendor: str, url: str, key: str = KEY) -> service.SourceSpec:
    return service.SourceSpec(vendor, api_key=key, base_url=url)


async def _org() -> int:
    from app.auth import service as auth_service

    return (await auth_service.create_organization(name="Import test")).id


@pytest.mark.parametrize("vendor", ["pagerduty", "opsgenie", "grafana"])
async def test_every_fixture_agrees_or_explains_its_disagreements(db: str, vendor: str) -> None:
    org_id = await _org()
    async with vendor_server(vendor, key=KEY, throttle={THROTTLED[vendor]}) as fake:
        report = await run(
            org_id=org_id, spec=_spec(vendor, fake.base_url), since=SINCE[vendor], dry_run=False
        )
    # pagination: the users came in pages of two; the 429 was waited out and retried
    assert sum(1 for _, p, _ in fake.requests if p == USERS_PATH[vendor]) >= 3
    assert fake.throttled == [THROTTLED[vendor]]
    assert {m for m, _, _ in fake.requests} == {"GET"}
    found = {e.source_schedule_id: e for e in report.equivalence}
    assert set(found) == set(EXPECTED[vendor])
    for schedule_id, (share, reason) in EXPECTED[vendor].items():
        row = found[schedule_id]
        assert row.agreement == pytest.approx(share, abs=1e-4), (schedule_id, row.disagreements)
        if reason is None:
            assert row.disagreements == ()
        else:
            assert row.disagreements and all(reason in d.reason for d in row.disagreements)
    assert not any(i.action == "CANNOT_MAP" and not i.reason for i in report.items)


async def test_dry_run_prints_the_plan_and_writes_nothing(db: str) -> None:
    org_id = await _org()
    before = await _counts()
    async with vendor_server("pagerduty", key=KEY) as fake:
        report = await run(
            org_id=org_id,
            spec=_spec("pagerduty", fake.base_url),
            since=SINCE["pagerduty"],
            dry_run=True,
        )
    assert await _counts() == before
    counts = report.counts()
    # 5 people, 2 schedules, 4 tiers, 5 layers, 1 on-demand shift
    assert counts["CREATE"] == 5 + 2 + 4 + 5 + 1
    assert {i.name for i in report.items if i.action == "CANNOT_MAP" and i.kind == "rule"} == {
        "Mixed targets rule 1"
    }
    # the dry run's equivalence report is the same as the applied one
    async with vendor_server("pagerduty", key=KEY) as fake:
        applied = await run(
            org_id=org_id,
            spec=_spec("pagerduty", fake.base_url),
            since=SINCE["pagerduty"],
            dry_run=False,
        )
    assert [
        (e.source_schedule_id, e.agreement, len(e.disagreements)) for e in report.equivalence
    ] == [(e.source_schedule_id, e.agreement, len(e.disagreements)) for e in applied.equivalence]


async def test_rerun_updates_in_place_and_keeps_local_edits(db: str) -> None:
    org_id = await _org()
    since = SINCE["pagerduty"]
    existing = await contact_service.create_contact(
        org_id=org_id, fields=contact_service.ContactFields(name="Ann", email="ann@EXAMPLE.com")
    )
    async with vendor_server("pagerduty", key=KEY) as fake:
        first = await run(
            org_id=org_id, spec=_spec("pagerduty", fake.base_url), since=since, dry_run=False
        )
        after_first = await _counts()
        assert after_first["contacts"] == 5  # Ann matched by email (any case), four created
        ann = next(i for i in first.items if i.kind == "contact" and i.source_id == "PANN")
        assert (ann.action, ann.local_id) == ("MATCH", existing.id)

        again = await run(
            org_id=org_id, spec=_spec("pagerduty", fake.base_url), since=since, dry_run=False
        )
        assert await _counts() == after_first
        assert {i.action for i in again.items} <= {"UNCHANGED", "CANNOT_MAP"}

        weekly = next(i for i in first.items if i.source_id.endswith("/layer:PLWEEK"))
        layer = await Layer.get(id=weekly.local_id)
        spec = layer_service.LayerSpec(
            name="Weekly (ours)",
            start=datetime.fromisoformat(layer.start_local),
            timezone=layer.timezone,
            unit=layer.rotation_unit,
            index=layer.index,
            participants=(layer_service.ParticipantSpec(contact_id=existing.id),),
        )
        from app.db import transaction

        async with transaction():
            await layer_service.update_layer(org_id=org_id, layer_id=layer.id, spec=spec)
        kept = await run(
            org_id=org_id, spec=_spec("pagerduty", fake.base_url), since=since, dry_run=False
        )
        item = next(i for i in kept.items if i.source_id == weekly.source_id)
        assert item.action == "KEEP" and "edited here" in item.reason
        assert (await Layer.get(id=layer.id)).name == "Weekly (ours)"

        replaced = await run(
            org_id=org_id,
            spec=_spec("pagerduty", fake.base_url),
            since=since,
            dry_run=False,
            overwrite=True,
        )
        item = next(i for i in replaced.items if i.source_id == weekly.source_id)
        assert item.action == "UPDATE" and item.local_id == layer.id
        assert (await Layer.get(id=layer.id)).name == "Weekly"
    assert await _counts() == after_first


async def test_a_change_at_the_source_updates_in_place(db: str, tmp_path: Path) -> None:
    org_id = await _org()
    root = tmp_path / "pd"
    shutil.copytree(FIXTURES / "pagerduty", root)
    first = await run(
        org_id=org_id,
        spec=service.SourceSpec("pagerduty", directory=root),
        since=SINCE["pagerduty"],
        dry_run=False,
    )
    path = root / "schedules" / "PSWEB.json"
    body = json.loads(path.read_text())
    weekly = body["schedule"]["schedule_layers"][1]
    weekly["users"] = list(reversed(weekly["users"]))
    path.write_text(json.dumps(body))
    (root / "schedules" / "PSWEB" / "overrides.json").write_text('{"overrides": []}')
    second = await run(
        org_id=org_id,
        spec=service.SourceSpec("pagerduty", directory=root),
        since=SINCE["pagerduty"],
        dry_run=False,
    )
    before = next(i for i in first.items if i.source_id.endswith("/layer:PLWEEK"))
    after = next(i for i in second.items if i.source_id.endswith("/layer:PLWEEK"))
    assert (after.action, after.local_id) == ("UPDATE", before.local_id)
    gone = next(i for i in second.items if i.source_id.endswith("/override:PO1"))
    assert gone.action == "DELETE"
    assert await OnDemandShift.all().count() == 0
    web = next(e for e in second.equivalence if e.source_schedule_id == "PSWEB")
    assert web.agreement < 1  # the hand-written final schedule no longer matches: reported
    assert all(d.reason for d in web.disagreements)


@pytest.mark.parametrize("vendor", ["pagerduty", "opsgenie", "grafana"])
async def test_files_import_the_same_as_the_api(db: str, vendor: str) -> None:
    org_id = await _org()
    report = await run(
        org_id=org_id,
        spec=service.SourceSpec(vendor, directory=FIXTURES / vendor),
        since=SINCE[vendor],
        dry_run=True,
    )
    assert {e.source_schedule_id: round(e.agreement, 4) for e in report.equivalence} == {
        k: round(v[0], 4) for k, v in EXPECTED[vendor].items()
    }


async def test_a_refused_key_is_one_clear_error_and_writes_nothing(db: str) -> None:
    org_id = await _org()
    before = await _counts()
    async with vendor_server("opsgenie", key=KEY) as fake:
        with pytest.raises(SourceError) as caught:
            await run(
                org_id=org_id,
                spec=_spec("opsgenie", fake.base_url, "wrong"),
                since=SINCE["opsgenie"],
                dry_run=False,
            )
    assert caught.value.extensions["fields"] == ["apiKey"]
    assert "refused the API key" in caught.value.message and "wrong" not in caught.value.message
    assert await _counts() == before


async def test_an_unreachable_vendor_is_one_clear_error(db: str) -> None:
    org_id = await _org()
    async with vendor_server("grafana", key=KEY) as fake:
        url = fake.base_url  # the server is gone once the block ends
    with pytest.raises(SourceError) as caught:
        await run(org_id=org_id, spec=_spec("grafana", url), since=SINCE["grafana"], dry_run=False)
    assert caught.value.extensions["fields"] == ["baseUrl"]
    assert "cannot reach grafana" in caught.value.message
    assert (await _counts())["links"] == 0


async def test_malformed_json_is_one_clear_error_and_writes_nothing(db: str) -> None:
    org_id = await _org()
    before = await _counts()
    async with vendor_server("pagerduty", key=KEY, malformed={"/escalation_policies"}) as fake:
        with pytest.raises(SourceError) as caught:
            await run(
                org_id=org_id,
                spec=_spec("pagerduty", fake.base_url),
                since=SINCE["pagerduty"],
                dry_run=False,
            )
    assert "malformed JSON" in caught.value.message
    assert await _counts() == before


async def test_private_vendor_addresses_are_refused_unless_the_operator_allows_them(
    db: str,
) -> None:
    org_id = await _org()
    async with vendor_server("pagerduty", key=KEY) as fake:
        with pytest.raises(SourceError) as caught:
            await service.run_import(
                org_id=org_id,
                spec=_spec("pagerduty", fake.base_url),
                since=SINCE["pagerduty"],
                dry_run=True,
                settings=Settings(),
            )
    assert caught.value.extensions["fields"] == ["baseUrl"]
    assert "not a public address" in caught.value.message
    assert fake.requests == []
