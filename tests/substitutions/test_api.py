"""Substitution writes through the whole app: create, validation, update, delete, roles."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.api.relay import decode_id, encode_id
from app.auth import service as auth_service
from app.layers.service import RecurrenceSpec
from app.substitutions import models, service, specs
from app.tiers import models as tier_models
from tests.substitutions.factories import (
    CREATE,
    DELETE,
    GET,
    UPDATE,
    contact,
    create,
    create_one,
    item,
    listed,
    schedule,
)
from tests.support import Api, table_counts


async def expect_error(
    api: Api,
    query: str,
    variables: dict[str, Any],
    code: str,
    fields: list[str] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """The request fails with ``code`` (naming ``fields``) and writes nothing."""
    before = await table_counts()
    error = await api.error(query, variables, token=token)
    assert error["extensions"]["code"] == code, error
    if fields is not None:
        assert error["extensions"]["fields"] == fields, error
    assert await table_counts() == before
    return error


async def test_create_an_unavailability_and_a_replacement_with_every_field(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    bob = await contact(api.org_id, "Bob")
    primary = await schedule(api.org_id, timezone="America/New_York")
    off, covered = await create(
        api,
        item(ada),
        {
            "contactId": ada,
            "replacementId": bob,
            "scheduleId": primary,
            "recurrence": {"type": "OCCURRENCE", "from": "2026-03-10", "to": "2026-03-12"},
            "window": {"start": "22:00", "end": "06:00"},
        },
    )
    assert off["kind"] == "UNAVAILABLE"
    assert off["status"] == "ACTIVE"
    assert off["replacement"] is None and off["schedule"] is None and off["window"] is None
    assert off["timezone"] == "UTC" == off["effectiveTimezone"]
    assert off["recurrence"] == {
        "type": "REPEAT",
        "datesApplicable": {"from": "2026-03-02", "to": "2026-03-08"},
        "everyN": 1,
        "rule": None,
    }
    assert off["endsOn"] == "2026-03-08"
    assert off["createdAt"] and off["updatedAt"]

    assert covered["kind"] == "REPLACEMENT"
    assert covered["contact"]["name"] == "Ada" and covered["replacement"]["name"] == "Bob"
    assert covered["schedule"]["id"] == primary
    assert covered["timezone"] is None  # follows the schedule's zone
    assert covered["effectiveTimezone"] == "America/New_York"
    assert covered["window"] == {"start": "22:00", "end": "06:00", "crossesMidnight": True}

    again = await api.ok(GET, {"id": covered["id"]})
    assert again["substitution"] == covered
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { id ... on Substitution { kind } } }",
        {"id": covered["id"]},
    )
    assert node["node"] == {"id": covered["id"], "kind": "REPLACEMENT"}


REC = {"type": "REPEAT", "from": "2026-03-02", "to": "2026-03-08"}
CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("recurrence is required", {"recurrence": None}, ["inputs.0.recurrence"]),
    (
        "from is required",
        {"recurrence": {"type": "REPEAT", "to": "2026-03-08"}},
        ["inputs.0.recurrence.from"],
    ),
    (
        "to is required",
        {"recurrence": {"type": "REPEAT", "from": "2026-03-02"}},
        ["inputs.0.recurrence.to"],
    ),
    (
        "to is required for OCCURRENCE",
        {"recurrence": {"type": "OCCURRENCE", "from": "2026-03-02"}},
        ["inputs.0.recurrence.to"],
    ),
    (
        "an ICAL rule without its own end needs to",
        {"recurrence": {"type": "ICAL", "from": "2017-02-01", "rule": "FREQ=WEEKLY;BYDAY=MO"}},
        ["inputs.0.recurrence.to"],
    ),
    ("to before from", {"recurrence": {**REC, "to": "2026-03-01"}}, ["inputs.0.recurrence.to"]),
    (
        "everyN outside PERIODIC",
        {"recurrence": {**REC, "everyN": 2}},
        ["inputs.0.recurrence.everyN"],
    ),
    (
        "everyN below one",
        {"recurrence": {**REC, "type": "PERIODIC", "everyN": 0}},
        ["inputs.0.recurrence.everyN"],
    ),
    (
        "rule outside ICAL",
        {"recurrence": {**REC, "rule": "FREQ=DAILY"}},
        ["inputs.0.recurrence.rule"],
    ),
    ("ICAL needs a rule", {"recurrence": {**REC, "type": "ICAL"}}, ["inputs.0.recurrence.rule"]),
    (
        "ICAL time parts",
        {"recurrence": {**REC, "type": "ICAL", "rule": "FREQ=DAILY;BYHOUR=9"}},
        ["inputs.0.recurrence.rule"],
    ),
    (
        "ICAL nonsense",
        {"recurrence": {**REC, "type": "ICAL", "rule": "FREQ=SOMETIMES"}},
        ["inputs.0.recurrence.rule"],
    ),
    (
        "ICAL COUNT too large",
        {"recurrence": {"type": "ICAL", "from": "2026-03-02", "rule": "FREQ=DAILY;COUNT=20000"}},
        ["inputs.0.recurrence.rule"],
    ),
    ("unknown zone", {"timezone": "Mars/Olympus_Mons"}, ["inputs.0.timezone"]),
    ("abbreviation", {"timezone": "CEST"}, ["inputs.0.timezone"]),
    ("no zone and no schedule", {"timezone": None}, ["inputs.0.timezone"]),
    (
        "window start equals end",
        {"window": {"start": "09:00", "end": "09:00"}},
        ["inputs.0.window.end"],
    ),
    (
        "window not HH:MM",
        {"window": {"start": "9am", "end": "24:00"}},
        ["inputs.0.window.start", "inputs.0.window.end"],
    ),
    ("malformed contact id", {"contactId": "nope"}, ["inputs.0.contactId"]),
    ("a schedule id as contact", {"contactId": encode_id("Schedule", 1)}, ["inputs.0.contactId"]),
    ("unknown contact", {"contactId": encode_id("Contact", 999)}, ["inputs.0.contactId"]),
    (
        "unknown replacement",
        {"replacementId": encode_id("Contact", 999)},
        ["inputs.0.replacementId"],
    ),
    ("unknown schedule", {"scheduleId": encode_id("Schedule", 999)}, ["inputs.0.scheduleId"]),
]


MISSING_REFERENCES = {
    "a schedule id as contact",
    "unknown contact",
    "unknown replacement",
    "unknown schedule",
}


@pytest.mark.parametrize(("why", "fields", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_invalid_input_names_the_field_and_writes_nothing(
    api: Api, why: str, fields: dict[str, Any], expected: list[str]
) -> None:
    ada = await contact(api.org_id, "Ada")
    # Ids of nothing in the caller's organization are NOT_FOUND (SPEC §7), field named.
    code = "NOT_FOUND" if why in MISSING_REFERENCES else "BAD_USER_INPUT"
    await expect_error(api, CREATE, {"inputs": [item(ada, **fields)]}, code, expected)


async def test_replacement_equal_to_the_contact_is_refused(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    await expect_error(
        api,
        CREATE,
        {"inputs": [item(ada, replacementId=ada)]},
        "BAD_USER_INPUT",
        ["inputs.0.replacementId"],
    )


async def test_every_offending_field_is_named_at_once(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    bad = item(
        ada,
        replacementId=ada,
        timezone="Nowhere/Land",
        recurrence={"type": "REPEAT", "from": "2026-03-02"},
        window={"start": "10:00", "end": "10:00"},
    )
    await expect_error(
        api,
        CREATE,
        {"inputs": [bad]},
        "BAD_USER_INPUT",
        [
            "inputs.0.replacementId",
            "inputs.0.timezone",
            "inputs.0.recurrence.to",
            "inputs.0.window.end",
        ],
    )


async def test_contact_replacement_and_schedule_of_another_organization_are_refused(
    api: Api,
) -> None:
    ada = await contact(api.org_id, "Ada")
    other = await auth_service.create_organization(name="Other")
    theirs = await contact(other.id, "Eve")
    their_schedule = await schedule(other.id)
    await expect_error(
        api,
        CREATE,
        {"inputs": [item(theirs), item(ada, replacementId=theirs, scheduleId=their_schedule)]},
        "NOT_FOUND",
        ["inputs.0.contactId", "inputs.1.replacementId", "inputs.1.scheduleId"],
    )


async def test_create_is_all_or_nothing_and_names_the_item(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    bob = await contact(api.org_id, "Bob")
    items = [
        item(ada),
        item(bob),
        item(ada, recurrence={"type": "ICAL", "from": "2017-02-01", "rule": "FREQ=DAILY"}),
    ]
    await expect_error(api, CREATE, {"inputs": items}, "BAD_USER_INPUT", ["inputs.2.recurrence.to"])
    assert await models.Substitution.all().count() == 0

    items[2]["recurrence"]["to"] = "2017-02-15"
    created = await create(api, *items)
    assert [c["contact"]["name"] for c in created] == ["Ada", "Bob", "Ada"]
    assert await models.Substitution.all().count() == 3


async def test_errors_in_several_items_are_all_named(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    items = [
        item(ada, timezone="Bad/Zone"),
        item(ada),
        item(ada, window={"start": "1", "end": "2"}),
    ]
    await expect_error(
        api,
        CREATE,
        {"inputs": items},
        "BAD_USER_INPUT",
        ["inputs.0.timezone", "inputs.2.window.start", "inputs.2.window.end"],
    )


async def test_an_empty_or_oversized_batch_is_refused(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    await expect_error(api, CREATE, {"inputs": []}, "BAD_USER_INPUT", ["inputs"])
    await expect_error(api, CREATE, {"inputs": [item(ada)] * 101}, "BAD_USER_INPUT", ["inputs"])


async def test_schedule_zone_is_used_when_timezone_is_omitted(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    london = await schedule(api.org_id, timezone="Europe/London")
    sub = await create_one(api, ada, scheduleId=london, timezone=None)
    assert sub["timezone"] is None and sub["effectiveTimezone"] == "Europe/London"
    explicit = await create_one(api, ada, scheduleId=london, timezone="Asia/Tokyo")
    assert explicit["effectiveTimezone"] == "Asia/Tokyo"


# ----------------------------------------------------------------------------------- update


async def test_update_leaves_omitted_fields_and_clears_explicit_nulls(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    bob = await contact(api.org_id, "Bob")
    primary = await schedule(api.org_id, timezone="America/Chicago")
    sub = await create_one(
        api,
        ada,
        replacementId=bob,
        scheduleId=primary,
        timezone="Europe/Paris",
        window={"start": "12:00", "end": "14:00"},
    )

    # Omitted fields stay; an explicit null clears the window only.
    data = await api.ok(UPDATE, {"ids": [sub["id"]], "patch": {"window": None}})
    after = data["updateSubstitutions"][0]
    assert after["window"] is None
    assert after["replacement"]["name"] == "Bob"
    assert after["schedule"]["id"] == primary
    assert after["timezone"] == "Europe/Paris"
    assert after["recurrence"] == sub["recurrence"]

    # Clearing the replacement makes it an unavailability; clearing the zone uses the schedule's.
    data = await api.ok(
        UPDATE, {"ids": [sub["id"]], "patch": {"replacementId": None, "timezone": None}}
    )
    after = data["updateSubstitutions"][0]
    assert after["kind"] == "UNAVAILABLE" and after["replacement"] is None
    assert after["timezone"] is None and after["effectiveTimezone"] == "America/Chicago"

    # Org-wide needs a zone of its own: refused without one, accepted with one.
    await expect_error(
        api,
        UPDATE,
        {"ids": [sub["id"]], "patch": {"scheduleId": None}},
        "BAD_USER_INPUT",
        ["patch.timezone"],
    )
    data = await api.ok(
        UPDATE, {"ids": [sub["id"]], "patch": {"scheduleId": None, "timezone": "Europe/London"}}
    )
    after = data["updateSubstitutions"][0]
    assert after["schedule"] is None and after["effectiveTimezone"] == "Europe/London"

    # A new recurrence replaces the old one whole; a new window and replacement are set.
    data = await api.ok(
        UPDATE,
        {
            "ids": [sub["id"]],
            "patch": {
                "recurrence": {"type": "ICAL", "from": "2017-02-01", "rule": "FREQ=DAILY;COUNT=3"},
                "window": {"start": "08:00", "end": "09:30"},
                "replacementId": bob,
            },
        },
    )
    after = data["updateSubstitutions"][0]
    assert after["recurrence"]["type"] == "ICAL"
    assert after["recurrence"]["datesApplicable"] == {"from": "2017-02-01", "to": None}
    assert after["endsOn"] == "2017-02-03"
    assert after["window"] == {"start": "08:00", "end": "09:30", "crossesMidnight": False}
    assert after["kind"] == "REPLACEMENT"


async def test_update_refuses_clearing_required_fields(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    sub = await create_one(api, ada)
    await expect_error(
        api,
        UPDATE,
        {"ids": [sub["id"]], "patch": {"contactId": None, "recurrence": None, "status": None}},
        "BAD_USER_INPUT",
        ["patch.contactId", "patch.recurrence", "patch.status"],
    )


async def test_update_validates_the_merged_result_and_writes_nothing(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    bob = await contact(api.org_id, "Bob")
    other = await auth_service.create_organization(name="Other")
    eve = await contact(other.id, "Eve")
    sub = await create_one(api, ada, replacementId=bob)
    cases = [
        ({"contactId": bob}, ["patch.replacementId"]),  # bob would replace himself
        ({"replacementId": eve}, ["patch.replacementId"]),
        ({"recurrence": {"type": "REPEAT", "from": "2026-03-02"}}, ["patch.recurrence.to"]),
        ({"window": {"start": "07:00", "end": "07:00"}}, ["patch.window.end"]),
        ({"timezone": "Atlantis/Capital"}, ["patch.timezone"]),
        ({"scheduleId": "bogus"}, ["patch.scheduleId"]),
    ]
    for patch, fields in cases:
        missing = "replacementId" in patch and patch["replacementId"] == eve
        missing = missing or patch.get("scheduleId") not in (None, "bogus")
        code = "NOT_FOUND" if missing else "BAD_USER_INPUT"
        await expect_error(api, UPDATE, {"ids": [sub["id"]], "patch": patch}, code, fields)
    unchanged = await api.ok(GET, {"id": sub["id"]})
    assert unchanged["substitution"] == sub


async def test_one_patch_applies_to_many_and_one_invalid_result_refuses_all(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    primary = await schedule(api.org_id)
    on_schedule = await create_one(api, ada, scheduleId=primary, timezone=None)
    org_wide = await create_one(api, ada)
    ids = [on_schedule["id"], org_wide["id"]]
    # Making both org-wide leaves the first without a zone.
    await expect_error(
        api,
        UPDATE,
        {"ids": ids, "patch": {"scheduleId": None}},
        "BAD_USER_INPUT",
        ["patch.timezone"],
    )
    data = await api.ok(
        UPDATE, {"ids": ids, "patch": {"window": {"start": "12:00", "end": "14:00"}}}
    )
    assert [s["window"]["start"] for s in data["updateSubstitutions"]] == ["12:00", "12:00"]
    assert [s["id"] for s in data["updateSubstitutions"]] == ids


async def test_update_with_an_unknown_id_is_not_found_and_changes_nothing(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    sub = await create_one(api, ada)
    other = await auth_service.create_organization(name="Other")
    eve = await contact(other.id, "Eve")
    theirs = await service.create_substitutions(
        org_id=other.id,
        specs=[
            specs.SubstitutionSpec(
                contact_id=decode_id(eve, "Contact"),
                recurrence=RecurrenceSpec(
                    type="REPEAT", start=date(2026, 3, 2), end=date(2026, 3, 3)
                ),
                timezone="UTC",
            )
        ],
    )
    for unknown in (encode_id("Substitution", 999), encode_id("Substitution", theirs[0].id)):
        await expect_error(
            api,
            UPDATE,
            {"ids": [sub["id"], unknown], "patch": {"window": {"start": "12:00", "end": "13:00"}}},
            "NOT_FOUND",
        )
    assert (await api.ok(GET, {"id": sub["id"]}))["substitution"] == sub
    await expect_error(api, GET, {"id": encode_id("Substitution", theirs[0].id)}, "NOT_FOUND")


# ----------------------------------------------------------------------------------- delete


async def test_delete_marks_deleted_hides_by_default_and_can_be_restored(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    keep, gone = await create(api, item(ada), item(ada))
    data = await api.ok(DELETE, {"ids": [gone["id"]]})
    assert data["deleteSubstitutions"][0]["status"] == "DELETED"
    assert await models.Substitution.all().count() == 2  # soft delete

    page = await listed(api)
    assert [n["id"] for n in page["nodes"]] == [keep["id"]]
    page = await listed(api, filter={"status": ["DELETED"]})
    assert [n["id"] for n in page["nodes"]] == [gone["id"]]
    page = await listed(api, filter={"status": ["ACTIVE", "DELETED"]})
    assert page["totalCount"] == 2
    assert (await api.ok(GET, {"id": gone["id"]}))["substitution"]["status"] == "DELETED"

    again = await api.ok(DELETE, {"ids": [gone["id"]]})  # deleting twice is harmless
    assert again["deleteSubstitutions"][0]["status"] == "DELETED"

    await expect_error(
        api, DELETE, {"ids": [keep["id"], encode_id("Substitution", 999)]}, "NOT_FOUND"
    )
    assert (await api.ok(GET, {"id": keep["id"]}))["substitution"]["status"] == "ACTIVE"

    restored = await api.ok(UPDATE, {"ids": [gone["id"]], "patch": {"status": "ACTIVE"}})
    assert restored["updateSubstitutions"][0]["status"] == "ACTIVE"
    assert (await listed(api))["totalCount"] == 2


async def test_deleting_a_schedule_takes_its_substitutions_along(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    primary = await schedule(api.org_id)
    await create(api, item(ada, scheduleId=primary), item(ada))
    await api.ok("mutation($id: ID!) { deleteSchedule(id: $id) { deletedId } }", {"id": primary})
    rows = await models.Substitution.all()
    assert [r.schedule_id for r in rows] == [None]


# ----------------------------------------------------------------------------------- roles


async def test_viewer_reads_but_cannot_write(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    sub = await create_one(api, ada)
    viewer = api.tokens["VIEWER"]
    await expect_error(api, CREATE, {"inputs": [item(ada)]}, "FORBIDDEN", token=viewer)
    await expect_error(
        api, UPDATE, {"ids": [sub["id"]], "patch": {"window": None}}, "FORBIDDEN", token=viewer
    )
    await expect_error(api, DELETE, {"ids": [sub["id"]]}, "FORBIDDEN", token=viewer)
    data = await api.ok("{ substitutions { totalCount } }", token=viewer)
    assert data["substitutions"]["totalCount"] == 1
    editor = await api.ok(CREATE, {"inputs": [item(ada)]}, token=api.tokens["EDITOR"])
    assert editor["createSubstitutions"][0]["status"] == "ACTIVE"


# ----------------------------------------------------------------------------------- tiers


async def _versions() -> dict[int, int]:
    return {t.id: t.data_version for t in await tier_models.Tier.all()}


async def test_writes_bump_the_versions_of_the_tiers_they_reach(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    first = await schedule(api.org_id, name="A", tiers=2)
    second = await schedule(api.org_id, name="B", tiers=1)
    tiers_of = {
        sid: {t.id for t in await tier_models.Tier.filter(schedule__name=name)}
        for sid, name in ((first, "A"), (second, "B"))
    }

    def bumped(before: dict[int, int], after: dict[int, int]) -> set[int]:
        return {tier for tier, version in after.items() if version != before[tier]}

    before = await _versions()
    sub = await create_one(api, ada, scheduleId=first)
    assert bumped(before, await _versions()) == tiers_of[first]

    before = await _versions()
    await api.ok(UPDATE, {"ids": [sub["id"]], "patch": {"scheduleId": second}})
    assert bumped(before, await _versions()) == tiers_of[first] | tiers_of[second]

    before = await _versions()
    await api.ok(DELETE, {"ids": [sub["id"]]})
    assert bumped(before, await _versions()) == tiers_of[second]

    before = await _versions()
    await create_one(api, ada)  # org-wide
    assert bumped(before, await _versions()) == tiers_of[first] | tiers_of[second]
