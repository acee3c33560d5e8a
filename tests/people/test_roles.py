"""Every operation of the schema against every role (SPEC §7, §11), walked from the schema
itself so a new operation cannot be left out.

Each mutation is sent with arguments generated from its signature (well-formed, naming ids of
real objects where the type allows). A VIEWER token is FORBIDDEN everywhere; a PERSON token
is FORBIDDEN everywhere except the operations it may use for its own contact, and nothing is
written. Each query field answers a PERSON exactly as it answers a VIEWER (data or error
code), except ``me`` and ``personalTokens`` which only a personal token has of its own.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLType,
    Undefined,
    get_named_type,
)

from app.api.schema import build_schema
from tests.cover_requests.factories import rota
from tests.support import Api, table_counts

# Mutations a PERSON token may call, each only for its own contact (tested one by one in
# test_api.py and tests/cover_requests); every other mutation is FORBIDDEN to it.
PERSON_MAY = {
    "createSubstitutions",
    "updateSubstitutions",
    "deleteSubstitutions",
    "requestCover",
    "offerCover",
    "withdrawOffer",
    "acceptOffer",
    "cancelCoverRequest",
    "connectCalendar",
    "setCalendarImports",
    "importCalendarsNow",
    "disconnectCalendar",
    "revokeApiToken",
}
PERSON_ONLY_READS = {"me", "personalTokens"}
SCALARS: dict[str, Any] = {
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "DateTime": "2026-03-03T12:00:00Z",
    "Date": "2026-03-03",
    "LocalDateTime": "2026-03-03T12:00",
    "JSON": {},
    "Decimal": "1.5",
}


def sample(kind: GraphQLType, ident: str) -> Any:
    """A well-formed value of an input type: required fields only, lists of one."""
    if isinstance(kind, GraphQLNonNull):
        return sample(kind.of_type, ident)
    if isinstance(kind, GraphQLList):
        return [sample(kind.of_type, ident)]
    if isinstance(kind, GraphQLInputObjectType):
        return {
            name: sample(f.type, ident)
            for name, f in kind.fields.items()
            if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
        }
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    assert isinstance(kind, GraphQLScalarType)
    return ident if kind.name == "ID" else SCALARS[kind.name]


def operation(
    keyword: str, name: str, field: GraphQLField, ident: str
) -> tuple[str, dict[str, Any]]:
    """A document calling ``name`` with every argument as a variable, and the variables."""
    required = {arg: a for arg, a in field.args.items() if isinstance(a.type, GraphQLNonNull)}
    declared = ", ".join(f"${arg}: {a.type}" for arg, a in required.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in required)
    selection = (
        " { __typename }" if isinstance(get_named_type(field.type), GraphQLObjectType) else ""
    )
    document = (
        f"{keyword}{f'({declared})' if declared else ''} "
        f"{{ {name}{f'({passed})' if passed else ''}{selection} }}"
    )
    return document, {arg: sample(a.type, ident) for arg, a in required.items()}


async def test_every_mutation_is_forbidden_to_viewers_and_all_but_own_ones_to_persons(
    api: Api,
) -> None:
    r = await rota(api)
    schema = build_schema()._schema
    assert schema.mutation_type is not None
    names = set(schema.mutation_type.fields)
    assert PERSON_MAY <= names
    checked = []
    for name, field in schema.mutation_type.fields.items():
        # Ids of an object the PERSON (Ann) does not own: Bob, so a check that came too late
        # would show as success, NOT_FOUND or BAD_USER_INPUT instead of FORBIDDEN.
        document, variables = operation("mutation", name, field, r.ids["Bob"])
        tokens = {"VIEWER": api.tokens["VIEWER"]}
        if name not in PERSON_MAY:
            tokens["PERSON"] = r.tokens["Ann"]
        for role, token in tokens.items():
            before = await table_counts()
            body = await api.post(document, variables, token=token)
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
            assert codes == ["FORBIDDEN"], (name, role, body)
            assert await table_counts() == before, (name, role)
            checked.append((name, role))
    assert len(checked) == 2 * len(names) - len(PERSON_MAY)


async def test_a_person_reads_every_query_field_as_a_viewer_does(api: Api) -> None:
    r = await rota(api)
    schema = build_schema()._schema
    for name, field in schema.query_type.fields.items():
        if name in PERSON_ONLY_READS:
            continue
        document, variables = operation("query", name, field, r.schedule)
        answers = []
        for token in (api.tokens["VIEWER"], r.tokens["Ann"]):
            body = await api.post(document, variables, token=token)
            answers.append(
                [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
                or body["data"]
            )
        assert answers[0] == answers[1], (name, answers)
