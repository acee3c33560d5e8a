"""Plain fields: fields that only read an attribute, resolved without per-field machinery.

A Strawberry field without a resolver, field extensions (permissions) or error handlers only
reads an attribute of its object, yet every read goes through Strawberry's wrappers and
graphql-core's per-field steps (resolve info, resolver, completion, type check). Long lists of
such objects (the shifts of a timeline: start, end, assignees, their names) spend most of a
request there.

``install(schema)`` runs once when the schema is built: every such field gets a one-step
resolver (``PlainResolver``), and its scalar and enum fields are recorded so that execution
reads and serializes them in place (``PlainLeaf``). ``Plans`` describes, per selection, an
object whose selected fields are all plain (leaves, and plain objects or lists of plain
objects, recursively); ``complete`` builds such an object's result in one pass.

The contract: a plain read is the same as the ordinary path or it is refused. Anything
unusual (a null where the schema says non-null, a value the scalar refuses, an awaitable, an
object of another class, a nested list long enough to need turns on the loop) raises
``Fallback``, and the caller completes that item the ordinary way, which reports errors with
their paths and masks them as before.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
)

from app import cooperative

# The resolver Strawberry 0.341 gives a field that only reads an attribute (the version is
# pinned; a test checks that the fields of the shifts query are found).
_STRAWBERRY_BASIC = "_get_basic_result"
_CAST = "__as_strawberry_type__"  # strawberry.cast marks an object with the type to use


class Fallback(Exception):
    """This value needs the ordinary path."""


class PlainResolver:
    """Reads one attribute, as Strawberry's default resolver does, in one call."""

    __slots__ = ("attribute",)
    _is_default = True  # Strawberry's marker of a resolver-less field (tracing skips them)

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute

    def __call__(self, source: Any, info: Any, **_: Any) -> Any:
        return getattr(source, self.attribute)


class PlainLeaf:
    """A plain field of scalar or enum type."""

    __slots__ = ("attribute", "non_null", "serialize")

    def __init__(self, attribute: str, serialize: Callable[[Any], Any], non_null: bool) -> None:
        self.attribute = attribute
        self.serialize = serialize
        self.non_null = non_null

    def read(self, source: Any) -> Any:
        """The serialized value; raises ``Fallback`` when the ordinary path must decide."""
        try:
            value = getattr(source, self.attribute)
            if value is None:
                if self.non_null:
                    raise Fallback
                return None
            if type(value) not in _PLAIN_VALUES and (
                isinstance(value, Exception) or hasattr(value, "__await__")
            ):
                raise Fallback
            out = self.serialize(value)
        except Exception:
            raise Fallback from None
        if out is None or out is Undefined:
            raise Fallback
        return out


_PLAIN_VALUES = frozenset({str, int, float, bool})


class PlainType:
    """What the ordinary path checks of an object before completing it as ``type_``."""

    __slots__ = ("checked", "name", "origin")

    def __init__(self, type_: GraphQLObjectType) -> None:
        definition = (type_.extensions or {}).get("strawberry-definition")
        self.name = type_.name
        self.checked = type_.is_type_of is not None
        self.origin = getattr(definition, "origin", None)

    def accepts(self, value: Any) -> bool:
        if not self.checked:
            return True
        # Strawberry's is_type_of is isinstance unless the object was cast: exact class only.
        return type(value) is self.origin and not hasattr(value, _CAST)


# Per graphql-core schema: type name -> field name -> the plain leaf; and the plain resolvers.
_LEAVES: weakref.WeakKeyDictionary[GraphQLSchema, dict[str, dict[str, PlainLeaf]]] = (
    weakref.WeakKeyDictionary()
)


def install(schema: GraphQLSchema) -> int:
    """Give every resolver-less Strawberry field of ``schema`` a one-step resolver and record
    its scalar and enum fields. Returns how many fields are plain."""
    leaves: dict[str, dict[str, PlainLeaf]] = {}
    count = 0
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            resolve = field.resolve
            if isinstance(resolve, PlainResolver):
                attribute = resolve.attribute
            elif getattr(resolve, "__name__", None) == _STRAWBERRY_BASIC:
                definition = (field.extensions or {}).get("strawberry-definition")
                python_name = getattr(definition, "python_name", None)
                if not isinstance(python_name, str):
                    continue
                attribute = python_name
                field.resolve = PlainResolver(attribute)
            else:
                continue
            count += 1
            inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if isinstance(inner, (GraphQLScalarType, GraphQLEnumType)) and not field.args:
                leaves.setdefault(type_.name, {})[name] = PlainLeaf(
                    attribute, inner.serialize, isinstance(field.type, GraphQLNonNull)
                )
    _LEAVES[schema] = leaves
    return count


def leaves_of(schema: GraphQLSchema) -> dict[str, dict[str, PlainLeaf]] | None:
    return _LEAVES.get(schema)


# A plan: (response name, step) per selected field, in the document's order. Steps:
#   ("typename", name) | ("leaf", PlainLeaf)
#   ("object", attribute, non_null, PlainType, plan)
#   ("list", attribute, non_null, item_non_null, PlainType, plan)
Plan = list[tuple[str, tuple[Any, ...]]]
Collect = Callable[[GraphQLObjectType, Any], Any]


class Plans:
    """Plans of one execution, memoized per (object type, selection)."""

    def __init__(self, leaves: dict[str, dict[str, PlainLeaf]], collect: Collect) -> None:
        self.leaves = leaves
        self.collect = collect  # the execution's memoized collect_subfields
        self.memo: dict[tuple[str, int], tuple[Any, Plan | None]] = {}

    def plan(self, type_: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        key = (type_.name, id(field_details_list))
        found = self.memo.get(key)
        if found is not None:
            return found[1]
        plan = self._build(type_, field_details_list)
        # Keep the selection alive with its plan so that its id is not reused meanwhile.
        self.memo[key] = (field_details_list, plan)
        return plan

    def _build(self, type_: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        grouped, new_defer_usages, _ = self.collect(type_, field_details_list)
        if new_defer_usages:
            return None
        leaves = self.leaves.get(type_.name, {})
        plan: Plan = []
        for response_name, details in grouped.items():
            if any(d.defer_usage is not None for d in details):
                return None
            name = details[0].node.name.value
            if name == "__typename":
                plan.append((response_name, ("typename", type_.name)))
                continue
            leaf = leaves.get(name)
            if leaf is not None:
                plan.append((response_name, ("leaf", leaf)))
                continue
            step = self._nested(type_, name, details)
            if step is None:
                return None
            plan.append((response_name, step))
        return plan

    def _nested(self, type_: GraphQLObjectType, name: str, details: Any) -> tuple[Any, ...] | None:
        field = type_.fields.get(name)
        if field is None or field.args or not isinstance(field.resolve, PlainResolver):
            return None
        attribute = field.resolve.attribute
        non_null = isinstance(field.type, GraphQLNonNull)
        inner = field.type.of_type if non_null else field.type
        if isinstance(inner, GraphQLObjectType):
            sub = self.plan(inner, details)
            return None if sub is None else ("object", attribute, non_null, PlainType(inner), sub)
        if not isinstance(inner, GraphQLList):
            return None
        item_non_null = isinstance(inner.of_type, GraphQLNonNull)
        item = inner.of_type.of_type if item_non_null else inner.of_type
        if not isinstance(item, GraphQLObjectType):
            return None
        sub = self.plan(item, details)
        if sub is None:
            return None
        return ("list", attribute, non_null, item_non_null, PlainType(item), sub)


def complete(plan: Plan, kind: PlainType, source: Any) -> dict[str, Any]:
    """The result of ``source`` as an object of ``kind`` selected by ``plan``; raises
    ``Fallback`` when the ordinary path must complete it."""
    if not kind.accepts(source):
        raise Fallback
    out: dict[str, Any] = {}
    for response_name, step in plan:
        tag = step[0]
        if tag == "leaf":
            out[response_name] = step[1].read(source)
        elif tag == "typename":
            out[response_name] = step[1]
        else:
            out[response_name] = _nested(step, source)
    return out


def _nested(step: tuple[Any, ...], source: Any) -> Any:
    try:
        value = getattr(source, step[1])
    except Exception:
        raise Fallback from None
    if value is None:
        if step[2]:
            raise Fallback
        return None
    if step[0] == "object":
        return complete(step[4], step[3], value)
    _, _, _, item_non_null, kind, plan = step
    # Short lists only: a long one is completed in slices by the ordinary path.
    if type(value) not in (list, tuple) or len(value) > cooperative.SLICE:
        raise Fallback
    items: list[dict[str, Any] | None] = []
    for item in value:
        if item is None:
            if item_non_null:
                raise Fallback
            items.append(None)
        else:
            items.append(complete(plan, kind, item))
    return items
