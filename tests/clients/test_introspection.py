"""Introspection as GraphiQL, gql and codegen tools send it, answered without error and read
back into the same schema as ``schema.graphql`` by graphql-core and by graphql-js."""

from __future__ import annotations

import json
from pathlib import Path

from graphql import (
    build_client_schema,
    build_schema,
    get_introspection_query,
    lexicographic_sort_schema,
    print_schema,
)

from tests.clients.conftest import Matrix, run_node
from tests.support import Api

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"
# Everything graphql-core can ask: descriptions, deprecations (also of input values and
# arguments), repeatable directives, specifiedByURL and the schema description.
FULL = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)


def _sdl(schema: object) -> str:
    return print_schema(lexicographic_sort_schema(schema))  # type: ignore[arg-type]


async def test_full_introspection_answers_and_rebuilds_the_schema_file(
    api: Api, matrix: Matrix
) -> None:
    with matrix.case("graphql-core", "full introspection over HTTP"):
        answer = await api.post(FULL, token=api.tokens["VIEWER"])
        assert "errors" not in answer, answer.get("errors")
        types = {t["name"]: t for t in answer["data"]["__schema"]["types"]}
        fields = {f["name"]: f for f in types["CreateDestinationInput"]["inputFields"]}
        assert fields["config"]["defaultValue"] == "null"
    with matrix.case("graphql-core", "build_client_schema = schema.graphql"):
        client = build_client_schema(answer["data"])
        assert _sdl(client) == _sdl(build_schema(SCHEMA_FILE.read_text()))
    with matrix.case("graphql-js", "buildClientSchema = schema.graphql"):
        printed = await run_node(
            "build_client_schema.mjs", str(SCHEMA_FILE), stdin=json.dumps(answer).encode()
        )
        assert printed["client"] == printed["file"]
