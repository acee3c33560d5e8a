"""The cost of an operation, computed before it runs (``MAX_QUERY_COST``).

The unit is a **tier-day**: one tier's timeline computed (and its shifts returned) over one
day. Each field that computes timelines costs its window in days times the tiers it
computes; a field's cost is multiplied by every list around it and summed over aliases:

* ``Tier.shifts``, ``Tier.timeline``: the window's days (one tier);
* ``Contact.shifts``: the window's days x ``TIERS`` (it reads every tier);
* ``Schedule.onCallNow`` / ``nextHandoffs``: their look-around (125 / 120 days) x ``TIERS``;
* ``Schedule.stats``: the window's days (or ``timeframeDays``) x ``TIERS``;
* ``Query.previewTier``: the window's days x (the saved tier + every draft layer, an hourly
  layer counting 24), draft layers counted from the request's variables or literals;
* ``Query.suggestCover``: (the window's days + the ``COVER_CONTEXT_DAYS`` around it) x
  ``TIERS``; ``CoverRequest.candidates`` the same for the longest request
  (``max_window_days``), as its window is not in the document;
* ``Query.ledger``, ``Query.payReport``: the window's days x ``TIERS`` (confirmed rows read).

Lists multiply what they contain: a connection by its ``first`` (else the page default),
``Schedule.tiers`` by ``TIERS`` (the most a schedule has), ``Tier.layers`` by 50, any other
list by ``LIST``. Windows that cannot be read (the resolver refuses them later) count as
``max_window_days``. Each fragment is costed once per type and reused at every spread, so
the computation is linear in the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    value_from_ast_untyped,
)
from graphql.type import GraphQLInterfaceType, GraphQLOutputType

TIERS = 20
LAYERS = 50
LIST = 100
ON_CALL_DAYS = 125
HANDOFF_DAYS = 120
HOURLY_WEIGHT = 24
COVER_CONTEXT_DAYS = 14  # app.cover_requests.eligibility.CONTEXT on each side


@dataclass(frozen=True)
class Limits:
    max_window_days: int
    page_default: int


def _days(start: Any, end: Any, limits: Limits) -> float:
    try:
        a = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        b = datetime.fromisoformat(str(end).replace("Z", "+00:00"))
        days = (b - a).total_seconds() / 86400
    except (TypeError, ValueError):
        return limits.max_window_days
    if not 0 < days <= limits.max_window_days:
        return limits.max_window_days
    return max(days, 1.0)


def _draft_weight(draft: Any) -> float:
    if not isinstance(draft, dict):
        return 1.0
    layers = draft.get("layers")
    if not isinstance(layers, list):
        return 1.0
    weight = 0.0
    for layer in layers:
        rotation = layer.get("rotation") if isinstance(layer, dict) else None
        unit = rotation.get("unit") if isinstance(rotation, dict) else None
        weight += HOURLY_WEIGHT if unit == "HOUR" else 1
    return max(weight, 1.0)


def _own(type_name: str, field: str, args: dict[str, Any], limits: Limits) -> float:
    """The tier-days a field computes itself (0 for fields that compute nothing)."""
    key = (type_name, field)
    if key in (("Tier", "shifts"), ("Tier", "timeline")):
        return _days(args.get("from"), args.get("to"), limits)
    if key == ("Contact", "shifts"):
        return _days(args.get("from"), args.get("to"), limits) * TIERS
    if key == ("Schedule", "onCallNow"):
        return ON_CALL_DAYS * TIERS
    if key == ("Schedule", "nextHandoffs"):
        return HANDOFF_DAYS * TIERS
    if key == ("Schedule", "stats"):
        if args.get("from") is not None or args.get("to") is not None:
            return _days(args.get("from"), args.get("to"), limits) * TIERS
        frame = args.get("timeframeDays", 7)
        frame_days = frame if isinstance(frame, int) and 0 < frame <= 366 else 366
        return float(frame_days * TIERS)
    if key == ("Query", "suggestCover"):
        return (_days(args.get("from"), args.get("to"), limits) + COVER_CONTEXT_DAYS) * TIERS
    if key == ("CoverRequest", "candidates"):
        return float((limits.max_window_days + COVER_CONTEXT_DAYS) * TIERS)
    if key in (("Query", "ledger"), ("Query", "payReport")):
        return _days(args.get("from"), args.get("to"), limits) * TIERS
    if key == ("Query", "previewTier"):
        window = _days(args.get("from"), args.get("to"), limits)
        return window * (1 + _draft_weight(args.get("draft")))
    return 0.0


def _unwrap(t: GraphQLOutputType) -> tuple[GraphQLNamedType, bool]:
    is_list = False
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        is_list = is_list or isinstance(t, GraphQLList)
        t = t.of_type
    return t, is_list


class _Costing:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any],
        limits: Limits,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, str], float] = {}
        self.open: set[str] = set()

    def args(self, node: FieldNode) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for arg in node.arguments or ():
            value = arg.value
            if isinstance(value, VariableNode):
                out[arg.name.value] = self.variables.get(value.name.value)
            else:
                try:
                    out[arg.name.value] = value_from_ast_untyped(value, self.variables)
                except Exception:  # a malformed literal: validation has refused it already
                    out[arg.name.value] = None
        return out

    def selection(self, selections: SelectionSetNode | None, parent: GraphQLNamedType) -> float:
        if selections is None:
            return 0.0
        total = 0.0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(node.selection_set, target or parent)
            elif isinstance(node, FragmentSpreadNode):
                total += self.spread(node.name.value)
        return total

    def spread(self, name: str) -> float:
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return 0.0
        target = self.schema.get_type(fragment.type_condition.name.value)
        if target is None:
            return 0.0
        key = (name, target.name)
        if key not in self.memo:
            self.open.add(name)
            self.memo[key] = self.selection(fragment.selection_set, target)
            self.open.discard(name)
        return self.memo[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> float:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, (GraphQLObjectType, GraphQLInterfaceType)
        ):
            return 0.0
        definition = parent.fields.get(name)
        if definition is None:
            return 0.0
        args = self.args(node)
        own = _own(parent.name, name, args, self.limits)
        if node.selection_set is None:
            return own
        child, is_list = _unwrap(definition.type)
        if child.name.endswith("Connection"):
            first = args.get("first")
            times = float(first) if isinstance(first, int) and first >= 0 else None
            multiplier = times if times is not None else self.limits.page_default
        elif parent.name.endswith("Connection"):
            multiplier = 1.0  # edges / nodes: the connection's field counted the page
        elif is_list:
            multiplier = {("Schedule", "tiers"): TIERS, ("Tier", "layers"): LAYERS}.get(
                (parent.name, name), LIST
            )
        else:
            multiplier = 1.0
        return own + multiplier * self.selection(node.selection_set, child)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any] | None,
    limits: Limits,
) -> float:
    """The tier-days ``operation`` may compute, as described at the top of this module."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0.0
    return _Costing(schema, document, variables or {}, limits).selection(
        operation.selection_set, root
    )
