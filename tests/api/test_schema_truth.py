"""The schema tells the truth: what the server requires is non-null, what it applies when a
field is omitted is the field's default or stated in its description, and a value that fails
to parse names its field in ``extensions.fields`` like every other bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, table_counts
from tests.timelines.factories import contacts, schedule

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

INPUT = """query($name: String!) { __type(name: $name) { inputFields {
  name description defaultValue type { kind name ofType { name } } } } }"""
CREATE_LAYER = "mutation($t: ID!, $l: LayerInput!) { createLayer(tierId: $t, input: $l) { id } }"
CREATE_SUBS = "mutation($i: [CreateSubstitutionInput!]!) { createSubstitutions(inputs: $i) { id } }"


async def _fields(api: Api, name: str) -> dict[str, dict[str, Any]]:
    data = await api.ok(INPUT, {"name": name})
    return {f["name"]: f for f in data["__type"]["inputFields"]}


async def test_required_inputs_are_non_null_and_defaults_are_told(api: Api) -> None:
    substitution = await _fields(api, "CreateSubstitutionInput")
    # recurrence or between: neither alone is required, and the descriptions say which
    assert "unless `between`" in substitution["recurrence"]["description"]
    assert "instead of a recurrence" in substitution["between"]["description"]
    assert "schedule's zone" in substitution["timezone"]["description"]
    recurrence = await _fields(api, "RecurrenceInput")
    assert recurrence["from"]["type"]["kind"] == "NON_NULL"
    layer = await _fields(api, "LayerInput")
    assert "1 WEEK" in layer["rotation"]["description"]
    assert "FORWARD" in layer["staffRotation"]["description"]
    for name in ("recurrence", "end", "index", "restrictions"):
        assert "Omitted" in (layer[name]["description"] or ""), name
    assert layer["skipUnavailable"]["defaultValue"] == "true"


async def test_values_that_fail_to_parse_name_their_field(api: Api) -> None:
    s = await schedule(api, "Ops")
    tier = s["tiers"][0]["id"]
    (ada,) = await contacts(api, "Ada")
    before = await table_counts()
    layer = {"name": "L", "start": "2026-01-05T09:00+01:00", "timezone": "UTC"}
    cases: list[tuple[str, dict[str, Any], list[str]]] = [
        # a custom scalar refusing a variable's value, and a literal
        (CREATE_LAYER, {"t": tier, "l": layer}, ["input.start"]),
        (
            'mutation($t: ID!) { createLayer(tierId: $t, input: {name: "L", timezone: "UTC", '
            'start: "2026-01-05T09:00+01:00"}) { id } }',
            {"t": tier},
            ["input.start"],
        ),
        # a required field left out, of a variable and of a literal
        (CREATE_LAYER, {"t": tier, "l": {"name": "L", "timezone": "UTC"}}, ["input.start"]),
        (CREATE_SUBS, {"i": [{"contactId": ada, "timezone": "UTC"}]}, ["inputs.0.recurrence"]),
        (
            CREATE_SUBS,
            {"i": [{"contactId": ada, "timezone": "UTC", "recurrence": {"type": "REPEAT"}}]},
            ["inputs.0.recurrence.from"],
        ),
        # a bad enum value deep inside a list
        (
            CREATE_LAYER,
            {
                "t": tier,
                "l": {
                    **layer,
                    "start": "2026-01-05T09:00",
                    "participants": [{"contactId": ada, "weekdays": ["FUNDAY"]}],
                },
            },
            ["input.participants.0.weekdays.0"],
        ),
    ]
    for query, variables, fields in cases:
        error = await api.error(query, variables)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["fields"] == fields, error
        assert error["extensions"]["errors"][0]["field"] == fields[0]
    assert await table_counts() == before
