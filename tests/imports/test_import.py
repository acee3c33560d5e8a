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
            # A local roster change, in force from the import's "now" on (SPEC §9).
            await layer_service.update_layer(
                org_id=org_id,
                layer_id=layer.id,
                spec=spec,
                now=since,
                effective=layer_service.EffectiveSpec("IMMEDIATELY"),
            )
        kept = await run(
            org_id=org_id, spec=_spec("pagerduty", fake.base_url), since=since, dry_run=False
        )
        item = next(i for i in kept.items if i.source_id == weekly.source_id)
        assert item.action == "KEEP" and "edited here" in item.reason
        assert (await Layer.get(id=layer.id)).name == "Weekly (ours)"
        web = next(e for e in kept.equivalence if e.source_schedule_id == "PSWEB")
        assert web.disagreements and all(
            d.reason.startswith("kept as edited here") for d in web.disagreements
        )

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


async def test_a_429_waits_for_retry_after_and_a_5xx_is_retried(db: str) -> None:
    org_id = await _org()
    async with vendor_server(
        "pagerduty", key=KEY, throttle={"/schedules"}, fail_once={"/escalation_policies": 502}
    ) as fake:
        report = await run(
            org_id=org_id,
            spec=_spec("pagerduty", fake.base_url),
            since=SINCE["pagerduty"],
            dry_run=True,
        )
    assert report.equivalence
    schedules = [t for p, t in fake.times if p == "/schedules"]
    assert schedules[1] - schedules[0] >= 0.95  # the 429 said Retry-After: 1
    assert sum(1 for p, _ in fake.times if p == "/escalation_policies") == 2


def test_overlapping_overrides_the_later_wins() -> None:
    from app.imports.desired import Shift
    from app.imports.rotations import without_overlaps

    t = [datetime(2026, 3, 2, h, tzinfo=UTC) for h in range(24)]
    early = Shift("o1", t[8], t[20], ("ann",))
    late = Shift("o2", t[10], t[12], ("bob",))
    last = Shift("o3", t[15], t[16], ("cat",))
    assert without_overlaps([early, late, last]) == [
        Shift("o1", t[8], t[10], ("ann",)),
        Shift("o2", t[10], t[12], ("bob",)),
        Shift("o1~1", t[12], t[15], ("ann",)),
        Shift("o3", t[15], t[16], ("cat",)),
        Shift("o1~1~1", t[16], t[20], ("ann",)),
    ]
    assert without_overlaps([late, early]) == [early]


async def test_overlapping_overrides_import_once_and_stay_unchanged(
    db: str, tmp_path: Path
) -> None:
    org_id = await _org()
    root = tmp_path / "pd"
    shutil.copytree(FIXTURES / "pagerduty", root)
    path = root / "schedules" / "PSWEB" / "overrides.json"
    body = json.loads(path.read_text())
    dan = body["overrides"][0]["user"]
    body["overrides"] = [
        {
            "id": "PO1",
            "start": "2026-03-11T08:00:00-04:00",
            "end": "2026-03-11T20:00:00-04:00",
            "user": dan,
        },
        {
            "id": "PO2",
            "start": "2026-03-11T10:00:00-04:00",
            "end": "2026-03-11T12:00:00-04:00",
            "user": {**dan, "id": "PEVE"},
        },
    ]
    path.write_text(json.dumps(body))
    spec = service.SourceSpec("pagerduty", directory=root)
    first = await run(org_id=org_id, spec=spec, since=SINCE["pagerduty"], dry_run=False)
    assert sorted(
        i.source_id.rsplit(":", 1)[-1]
        for i in first.items
        if i.kind == "shift" and i.action == "CREATE"
    ) == ["PO1", "PO1~1", "PO2"]
    again = await run(org_id=org_id, spec=spec, since=SINCE["pagerduty"], dry_run=False)
    assert {i.action for i in again.items if i.kind == "shift"} == {"UNCHANGED"}
    assert await OnDemandShift.all().count() == 3


async def test_an_on_demand_shift_added_here_is_not_trimmed_unless_overwrite(db: str) -> None:
    from app.db import transaction
    from app.on_demand_shifts import service as shift_service

    org_id = await _org()
    spec = service.SourceSpec("pagerduty", directory=FIXTURES / "pagerduty")
    first = await run(org_id=org_id, spec=spec, since=SINCE["pagerduty"], dry_run=False)
    override = next(i for i in first.items if i.kind == "shift")
    tier = next(i for i in first.items if i.source_id == override.parent)
    ann = next(i.local_id for i in first.items if i.source_id == "PANN")
    async with transaction():
        await shift_service.delete_shift(org_id=org_id, shift_id=override.local_id or 0)
        ours = await shift_service.create_shift(
            org_id=org_id,
            tier_id=tier.local_id or 0,
            sure=False,
            spec=shift_service.ShiftSpec(
                datetime(2026, 3, 11, 16, tzinfo=UTC),
                datetime(2026, 3, 11, 18, tzinfo=UTC),
                (ann or 0,),
            ),
        )
    kept = await run(org_id=org_id, spec=spec, since=SINCE["pagerduty"], dry_run=False)
    item = next(i for i in kept.items if i.kind == "shift")
    assert item.action == "KEEP" and "added here" in item.reason
    assert [s.id for s in await OnDemandShift.all()] == [ours.id]
    replaced = await run(
        org_id=org_id, spec=spec, since=SINCE["pagerduty"], dry_run=False, overwrite=True
    )
    item = next(i for i in replaced.items if i.kind == "shift")
    assert item.action == "CREATE"
    rows = sorted((s.start, s.end) for s in await OnDemandShift.all())
    assert rows == [
        (datetime(2026, 3, 11, 16, tzinfo=UTC), datetime(2026, 3, 11, 17, tzinfo=UTC)),
        (datetime(2026, 3, 11, 17, tzinfo=UTC), datetime(2026, 3, 11, 21, tzinfo=UTC)),
    ]


async def test_saved_files_that_are_missing_or_not_json_are_one_clear_error(
    db: str, tmp_path: Path
) -> None:
    org_id = await _org()
    before = await _counts()
    root = tmp_path / "og"
    shutil.copytree(FIXTURES / "opsgenie", root)
    (root / "v2" / "escalations.json").write_text("{not json")
    with pytest.raises(SourceError) as broken:
        await run(
            org_id=org_id,
            spec=service.SourceSpec("opsgenie", directory=root),
            since=SINCE["opsgenie"],
            dry_run=False,
        )
    assert broken.value.extensions["fields"] == ["path"]
    assert "v2/escalations.json is not valid JSON" in broken.value.message
    (root / "v2" / "escalations.json").unlink()
    with pytest.raises(SourceError) as missing:
        await run(
            org_id=org_id,
            spec=service.SourceSpec("opsgenie", directory=root),
            since=SINCE["opsgenie"],
            dry_run=False,
        )
    assert "missing file v2/escalations.json" in missing.value.message
    with pytest.raises(SourceError) as nowhere:
        await run(
            org_id=org_id,
            spec=service.SourceSpec("opsgenie", directory=root / "nope"),
            since=SINCE["opsgenie"],
            dry_run=False,
        )
    assert "is not a directory" in nowhere.value.message
    assert await _counts() == before


async def test_json_of_an_unexpected_shape_is_one_clear_error(db: str, tmp_path: Path) -> None:
    org_id = await _org()
    root = tmp_path / "pd"
    shutil.copytree(FIXTURES / "pagerduty", root)
    path = root / "schedules" / "PSWEB.json"
    body = json.loads(path.read_text())
    del body["schedule"]["schedule_layers"][0]["rotation_virtual_start"]
    path.write_text(json.dumps(body))
    with pytest.raises(SourceError) as caught:
        await run(
            org_id=org_id,
            spec=service.SourceSpec("pagerduty", directory=root),
            since=SINCE["pagerduty"],
            dry_run=True,
        )
    assert caught.value.extensions["fields"] == ["source"]
    assert "expected a date-time" in caught.value.message
