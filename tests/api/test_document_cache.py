"""Parsed and validated documents are cached by text (Strawberry's ParserCache and
ValidationCache, bounded): a repeated document is parsed and validated once, and a cache hit
still goes through the cost model, the document limits and the role checks."""

from __future__ import annotations

import uuid

from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from tests.api.test_budget import YEAR, aliases_of_shifts
from tests.support import Api
from tests.timelines.factories import schedule

MAXSIZE = 128  # Strawberry's default: the caches the schema builds are bounded


def caches() -> tuple[object, object]:
    return _get_parse_cache(MAXSIZE), _get_validate_cache(MAXSIZE)


async def test_a_repeated_document_is_parsed_and_validated_once(api: Api) -> None:
    parse, validate = caches()
    document = f"query Repeated{uuid.uuid4().hex} {{ viewer {{ role }} }}"
    parsed, validated = parse.cache_info(), validate.cache_info()  # type: ignore[attr-defined]
    for _ in range(3):
        await api.ok(document)
    parsed_after = parse.cache_info()  # type: ignore[attr-defined]
    validated_after = validate.cache_info()  # type: ignore[attr-defined]
    assert parsed_after.misses - parsed.misses == 1 and parsed_after.hits - parsed.hits >= 2
    assert validated_after.misses - validated.misses == 1
    assert validated_after.hits - validated.hits >= 2
    assert parsed_after.maxsize == validated_after.maxsize == MAXSIZE


async def test_a_cache_hit_still_applies_the_cost_model_and_the_limits(api: Api) -> None:
    s = await schedule(api, "Twenty", tiers=20)
    attack = aliases_of_shifts(s["id"], 29, YEAR["from"], YEAR["to"])
    for _ in range(2):
        error = await api.error(attack, token=api.tokens["VIEWER"])
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["cost"] == 29 * 20 * 366
    deep = "{ viewer { role } " + "".join(f"a{i}: viewer {{ role }} " for i in range(200)) + "}"
    for _ in range(2):
        error = await api.error(deep)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "aliases" in error["message"]


async def test_a_cache_hit_still_checks_the_callers_role(api: Api) -> None:
    document = 'mutation { createContact(input: {name: "Cached"}) { name } }'
    assert (await api.ok(document))["createContact"]["name"] == "Cached"
    error = await api.error(document, token=api.tokens["VIEWER"])
    assert error["extensions"]["code"] == "FORBIDDEN"
