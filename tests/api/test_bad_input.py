"""Bad input never becomes a bare 500 or internal text (issue 12, finding 6): each answers
BAD_USER_INPUT or NOT_FOUND with the field named, the same on both backends."""

from __future__ import annotations

import json
from typing import Any

from app.api.relay import encode_id
from tests.support import Api, table_counts

TOKEN_HEADER = "Authorization"


async def raw(api: Api, body: bytes) -> tuple[int, dict[str, Any]]:
    response = await api.client.post(
        "/graphql",
        content=body,
        headers={TOKEN_HEADER: f"Bearer {api.tokens['ADMIN']}", "Content-Type": "application/json"},
    )
    return response.status_code, response.json()


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert "Traceback" not in json.dumps(body) and "invalid literal" not in json.dumps(body)
    return error


async def test_bodies_that_are_not_a_json_object(api: Api) -> None:
    for body in (b'"query"', b"42", b"null", b"[1, 2]", b"{nope", b"\xff\xfe"):
        status, answer = await raw(api, body)
        assert status == 400, body
        assert only_error(answer)["extensions"]["code"] == "BAD_USER_INPUT"
    status, answer = await raw(api, json.dumps({"query": 7}).encode())
    assert status == 400 and only_error(answer)["extensions"]["code"] == "BAD_USER_INPUT"


async def test_variables_nested_100000_deep(api: Api) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    body = '{"query": "query($v: JSON) { __typename }", "variables": {"v": ' + deep + "}}"
    status, answer = await raw(api, body.encode())
    assert status == 400
    error = only_error(answer)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "nested" in error["message"]


async def test_bad_and_oversized_cursors(api: Api) -> None:
    import base64

    def cursor(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    for after in (
        "zzz",
        "A" * 5000,
        cursor("o:-5"),
        cursor("o:99999999999999999999"),
        cursor("x:1"),
    ):
        error = await api.error(
            "query($a: String) { contacts(first: 2, after: $a) { totalCount } }", {"a": after}
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT", after[:20]
        assert error["extensions"]["fields"] == ["after"]


async def test_ids_beyond_the_integer_range(api: Api) -> None:
    for pk in (2**31, 2**63, 2**70, 0, -1):
        contact = encode_id("Contact", pk)
        error = await api.error("query($id: ID!) { contact(id: $id) { name } }", {"id": contact})
        assert error["extensions"]["code"] == "NOT_FOUND", pk
        error = await api.error("query($id: ID!) { node(id: $id) { id } }", {"id": contact})
        assert error["extensions"]["code"] == "NOT_FOUND", pk
        before = await table_counts()
        error = await api.error(
            "mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }",
            {"i": {"name": "g", "memberIds": [contact]}},
        )
        assert error["extensions"]["code"] == "NOT_FOUND", pk
        assert error["extensions"]["fields"] == ["input.memberIds.0"]
        assert await table_counts() == before
    error = await api.error("query($id: ID!) { contact(id: $id) { name } }", {"id": "x" * 5000})
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and len(error["message"]) < 200


async def test_long_names_and_nul_bytes(api: Api) -> None:
    before = await table_counts()
    create = "mutation($i: CreateContactInput!) { createContact(input: $i) { id } }"
    for name, reason in (("x" * 5000, "at most"), ("a\x00b", "NUL character")):
        error = await api.error(create, {"i": {"name": name, "timezone": "UTC"}})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == ["input.name"] and reason in error["message"]
    error = await api.error(
        "mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id } }",
        {"i": {"name": "s\x00", "timezone": "UTC"}},
    )
    assert error["extensions"]["fields"] == ["input.name"]
    # In a literal, in JSON config and secrets, in an email: PostgreSQL stores none of them.
    error = await api.error(
        'mutation { createContact(input: {name: "a\\u0000", timezone: "UTC"}) { id } }'
    )
    assert error["extensions"]["fields"] == ["input.name"]
    error = await api.error(
        "mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id } }",
        {
            "i": {
                "scheduleId": encode_id("Schedule", 1),
                "name": "d",
                "kind": "WEBHOOK",
                "config": {"url": "https://a.example.com/\x00"},
                "secrets": {"signingSecret": "0123456789abcdef\x00"},
            }
        },
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["input.config.url", "input.secrets.signingSecret"]
    error = await api.error(
        "mutation($i: CreateContactInput!) { createContact(input: $i) { id } }",
        {"i": {"name": "Ann", "timezone": "UTC", "email": "a\x00@example.com"}},
    )
    assert error["extensions"]["fields"] == ["input.email"]
    assert await table_counts() == before


async def test_scalar_parse_errors_say_what_was_expected(api: Api) -> None:
    cases = [
        ("query($f: Int) { contacts(first: $f) { totalCount } }", {"f": "12a"}, "Int"),
        ("query($f: Int) { contacts(first: $f) { totalCount } }", {"f": 2**40}, "32-bit"),
        (
            'query($t: DateTime!) { tier(number: 1, scheduleId: "x") { shifts(from: $t, to: $t) { start } } }',
            {"t": "yesterday"},
            "DateTime",
        ),
    ]
    for query, variables, expected in cases:
        error = await api.error(query, variables)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert expected in error["message"], error
        assert "invalid literal" not in error["message"]
