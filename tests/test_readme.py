"""The README's cookbook stays true: every GraphQL document in it is valid against the
schema, and each JSON block of variables fits the document before it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema, get_operation_ast, parse, validate
from graphql.execution.values import get_variable_values

from tests.support import Api

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```(graphql|json)\n(.*?)```", re.S)


def _cookbook() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Cookbook")
    return text[start : text.index("\n## ", start + 1)]


def test_cookbook_documents_and_variables_fit_the_schema() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    blocks = BLOCK.findall(_cookbook())
    documents = [body for kind, body in blocks if kind == "graphql"]
    assert len(documents) >= 8
    operation = None
    checked_variables = 0
    for kind, body in blocks:
        if kind == "graphql":
            document = parse(body)
            assert validate(schema, document) == [], body
            operation = get_operation_ast(document)
            continue
        assert operation is not None, body
        variables = json.loads(body)
        coerced = get_variable_values(schema, operation.variable_definitions, variables)
        assert not isinstance(coerced, list), (body, coerced)
        checked_variables += 1
    assert checked_variables >= 4
    # every subscription client's auth shape is documented
    for shape in ['{"Authorization": "Bearer <token>"}', '{"authorization": "Bearer <token>"}',
                  '{"headers": {"Authorization": "Bearer <token>"}}', "upgrade request"]:  # fmt: skip
        assert shape in _cookbook(), shape


def _documents() -> dict[str, tuple[str, dict[str, object] | None]]:
    """Each cookbook operation by name, with the JSON variables that follow it (if any)."""
    out: dict[str, tuple[str, dict[str, object] | None]] = {}
    name = ""
    for kind, body in BLOCK.findall(_cookbook()):
        if kind == "graphql":
            operation = get_operation_ast(parse(body))
            assert operation is not None and operation.name is not None
            name = operation.name.value
            out[name] = (body, None)
        else:
            out[name] = (out[name][0], json.loads(body))
    return out


def _fill(value: object, ids: dict[str, str]) -> object:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_cookbook_runs_from_nothing(api: Api) -> None:
    docs = _documents()

    async def run(name: str, **extra: str) -> dict[str, Any]:
        query, variables = docs[name]
        return await api.ok(query, {**(_fill(variables or {}, ids)), **extra})  # type: ignore[dict-item]

    ids: dict[str, str] = {}
    people = await run("People")
    ids["<ada>"], ids["<bob>"] = people["ada"]["id"], people["bob"]["id"]
    ids["<contact id>"] = ids["<ada>"]
    created = (await run("NewSchedule"))["createSchedule"]
    ids["<schedule id>"], ids["<tier id>"] = created["id"], created["tiers"][0]["id"]
    layers = await run("Rotation", tierId=ids["<tier id>"], ada=ids["<ada>"], bob=ids["<bob>"])
    assert [layer["name"] for layer in layers["setTierLayers"]] == ["Weekly", "Weekends"]
    assert (await run("Cover"))["createOnDemandShift"]["contacts"] == [{"name": "Ada Lovelace"}]
    assert (await run("Away"))["createSubstitutions"][0]["status"] == "ACTIVE"
    assert (await run("Feed"))["createCalendarFeed"]["url"].endswith(".ics")
    hook = (await run("Hook"))["createDestination"]
    assert hook["status"] == "PENDING"
    health = await run("Health", id=hook["id"])
    assert health["node"]["status"] == "PENDING" and health["node"]["statusReason"] is None
