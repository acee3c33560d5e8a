"""importSchedules over GraphQL (the whole app in its lifespan) against a fake Opsgenie
(tests/imports/fake_vendors.py; fixtures and the documents they follow in
tests/imports/fixtures/opsgenie/SOURCES.md)."""

from __future__ import annotations

import logging

import pytest

from tests.imports.fake_vendors import vendor_server
from tests.support import Api, table_counts

KEY = "og-key-that-must-never-show-up"
IMPORT = """
mutation Import($input: ImportSchedulesInput!) {
  importSchedules(input: $input) {
    source dryRun since until
    counts { action count }
    items { kind sourceId name action reason localId }
    equivalence {
      scheduleName tierNumber sourceScheduleId agreement start end
      disagreements { start end sourcePeople ourPeople reason }
    }
  }
}
"""


def _input(url: str, **extra: object) -> dict[str, object]:
    return {
        "input": {
            "source": "OPSGENIE",
            "apiKey": KEY,
            "baseUrl": url,
            "since": "2026-03-02T00:00:00Z",
            **extra,
        }
    }


async def test_admin_imports_after_a_dry_run(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with vendor_server("opsgenie", key=KEY) as fake:
        before = await table_counts()
        dry = (await api.ok(IMPORT, _input(fake.base_url, dryRun=True)))["importSchedules"]
        after = await table_counts()
        assert after.pop("audit_entry") == before.pop("audit_entry") + 1  # who ran the plan
        assert after == before
        assert dry["dryRun"] is True
        assert {c["action"]: c["count"] for c in dry["counts"]}["CREATE"] > 0
        done = (await api.ok(IMPORT, _input(fake.base_url)))["importSchedules"]
    rows = {e["sourceScheduleId"]: e for e in done["equivalence"]}
    assert rows["s-sun"]["agreement"] == 1.0
    assert rows["s-ops"]["disagreements"] and all(
        "rotations overlap" in d["reason"] for d in rows["s-ops"]["disagreements"]
    )
    created = [i for i in done["items"] if i["action"] == "CREATE"]
    assert created and all(i["localId"] for i in created)
    schedules = await api.ok(
        "{ schedules(first: 10) { edges { node { name tiers { number } } } } }"
    )
    names = {e["node"]["name"] for e in schedules["schedules"]["edges"]}
    assert names == {"Ops escalation", "Round the clock"}
    # the key is write-only: not in any answer, not in any log line
    assert KEY not in str(dry) + str(done)
    assert KEY not in caplog.text


async def test_only_admins_import(api: Api) -> None:
    error = await api.error(IMPORT, _input("http://127.0.0.1:9"), token=api.tokens["EDITOR"])
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_refused_key_names_the_field_and_writes_nothing(api: Api) -> None:
    async with vendor_server("opsgenie", key="another-key") as fake:
        before = await table_counts()
        error = await api.error(IMPORT, _input(fake.base_url))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["apiKey"]
    assert KEY not in error["message"]
    assert await table_counts() == before
