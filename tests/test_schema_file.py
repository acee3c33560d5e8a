"""The committed schema.graphql is what the code serves."""

from __future__ import annotations

import difflib
from pathlib import Path

from app.api.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    expected = str(build_schema()) + "\n"
    assert SCHEMA_FILE.exists(), "schema.graphql is missing: run `rotagraph export-schema`"
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    if committed != expected:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                "schema.graphql (committed)",
                "build_schema() (code)",
                n=1,
            )
        )
        raise AssertionError(
            "schema.graphql differs from the code: run `rotagraph export-schema` "
            "(or scripts/export-schema) and commit the result.\n" + diff[:6000]
        )
