"""Document limits that cost time linear in the document (issue 12, finding 2)."""

from __future__ import annotations

import time
from pathlib import Path

from graphql import parse, validate

from app.api.limits import document_limits
from app.api.schema import build_schema
from tests.support import Api, prepare_database, running_app


def doubling_fragments(count: int, leaf: str = "__typename") -> str:
    """``count`` fragments, each spreading the next one twice: 2^count paths."""
    parts = ["query Attack { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(count - 1)]
    parts.append(f"fragment F{count - 1} on Query {{ {leaf} }}")
    return "\n".join(parts)


def rule_work(document: str) -> float:
    """Seconds graphql-core's validation takes with only the limits rule."""
    schema = build_schema()._schema
    ast = parse(document)
    rule = document_limits(12, 30)
    started = time.process_time()
    for _ in range(5):
        validate(schema, ast, [rule])
    return time.process_time() - started


def test_validation_is_linear_in_the_document() -> None:
    # Doubling the spreads' fan-out from 2^10 to 2^21 paths must not change the work much:
    # each fragment is measured once. (Exponential work would be 2,000 times slower.)
    small, large = rule_work(doubling_fragments(10)), rule_work(doubling_fragments(21))
    assert large < 10 * max(small, 0.002), (small, large)


async def test_the_fragment_attack_answers_at_once_with_a_result(api: Api) -> None:
    body = await api.post(doubling_fragments(21), token=api.tokens["VIEWER"])
    assert body == {"data": {"__typename": "Query"}}


async def test_depth_through_fragments_is_still_limited(backend: str, tmp_path: Path) -> None:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, max_query_depth=3, max_aliases=2) as api:
        # The depth hides in a fragment spread from several places.
        deep = """
        query Deep { schedules { ...S } a: schedules { ...S } }
        fragment S on ScheduleConnection { edges { node { tiers { ...T } } } }
        fragment T on Tier { layers { name } }
        """
        error = await api.error(deep)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "'Deep' exceeds maximum operation depth of 3" in error["message"]
        shallow = "query { viewer { ...V } } fragment V on Viewer { role }"
        assert (await api.ok(shallow))["viewer"]["role"] == "ADMIN"
        # Aliases count where they are written, each fragment once.
        aliases = "query { ...A ...A } fragment A on Query { a: viewer { role } b: viewer { role } c: viewer { role } }"
        error = await api.error(aliases)
        assert "3 aliases found. Allowed: 2" in error["message"]
        # A cycle is graphql-core's error, not a hang or a crash.
        cycle = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
        error = await api.error(cycle)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "within itself" in error["message"]
