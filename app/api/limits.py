"""Document limits checked during validation, in time linear in the document.

Strawberry's stock depth and alias limiters walk into a fragment at every spread, so a
document of 21 fragments each spreading the next twice costs 2^21 walks (seconds for 1 kB).
Here every fragment is measured once and its depth remembered: the walk is linear in the
document whatever the spreads. Semantics follow the stock limiters:

* depth: a field with a selection is one level deeper than its parent; leaves and
  introspection fields (``__schema``, ``__type``, ``__typename``) add nothing; a fragment's
  depth counts where it is spread;
* aliases: every aliased field written in the document, each fragment counted once (the
  cost model, ``app.api.cost``, multiplies what fragments select through their spreads).

A fragment cycle is reported by graphql-core's own rule; here it just ends the walk.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
    VariableNode,
    visit,
)
from graphql.language.visitor import BREAK, Visitor


def _depth_of(
    selections: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    memo: dict[str, int],
    open_: set[str],
) -> int:
    if selections is None:
        return 0
    deepest = 0
    for node in selections.selections:
        if isinstance(node, FieldNode):
            if node.name.value.startswith("__") or node.selection_set is None:
                continue
            deepest = max(deepest, 1 + _depth_of(node.selection_set, fragments, memo, open_))
        elif isinstance(node, InlineFragmentNode):
            deepest = max(deepest, _depth_of(node.selection_set, fragments, memo, open_))
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name not in memo:
                fragment = fragments.get(name)
                if fragment is None or name in open_:
                    continue  # unknown or cyclic: graphql-core's rules report these
                open_.add(name)
                memo[name] = _depth_of(fragment.selection_set, fragments, memo, open_)
                open_.discard(name)
            deepest = max(deepest, memo[name])
    return deepest


def _aliases_in(document: DocumentNode) -> int:
    count = 0
    stack: list[SelectionSetNode] = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, (OperationDefinitionNode, FragmentDefinitionNode))
    ]
    while stack:
        for node in stack.pop().selections:
            if isinstance(node, FieldNode) and node.alias is not None:
                count += 1
            selection_set = getattr(node, "selection_set", None)
            if selection_set is not None:
                stack.append(selection_set)
    return count


def document_limits(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """A validation rule refusing documents deeper than ``max_depth`` or with more than
    ``max_aliases`` aliases. Build it once: validation caches key on the rule class."""

    class DocumentLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> Any:
            fragments = {
                d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)
            }
            memo: dict[str, int] = {}
            for definition in node.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                depth = _depth_of(definition.selection_set, fragments, memo, set())
                if depth > max_depth:
                    name = definition.name.value if definition.name else "anonymous"
                    self.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            definition,
                        )
                    )
            aliases = _aliases_in(node)
            if aliases > max_aliases:
                self.report_error(
                    GraphQLError(
                        f"{aliases} aliases found. Allowed: {max_aliases}",
                    )
                )
            return BREAK

    return DocumentLimits


def nul_fields(document: DocumentNode, variables: dict[str, Any] | None) -> list[str]:
    """The fields (``input.name``, ``layers.0.name``) whose strings carry a NUL character
    (U+0000), in variables or literals. PostgreSQL cannot store one in text or JSON, so it is
    refused the same way on every backend."""
    source = document.loc.source.body if document.loc is not None else ""
    in_literals = "\\u0000" in source or "\x00" in source
    if not in_literals and "\\u0000" not in json.dumps(variables or {}):
        return []  # the common case: one scan, no walk
    used, literals = _argument_paths(document)
    found = [path for path, value in literals if "\x00" in value]
    stack: list[tuple[str, Any]] = [(used.get(k, k), v) for k, v in (variables or {}).items()]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                found.append(path)
        elif isinstance(value, dict):
            stack.extend((f"{path}.{k}", v) for k, v in value.items())
            found.extend(f"{path}.{k}" for k in value if isinstance(k, str) and "\x00" in k)
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}", v) for i, v in enumerate(value))
    return sorted(set(found))


def _argument_paths(document: DocumentNode) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Where each variable is used (``{"i": "input"}``) and every string literal with its
    path (``("input.name", "…")``), in one walk."""
    used: dict[str, str] = {}
    literals: list[tuple[str, str]] = []
    path: list[str] = []

    class Paths(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            path.append(node.name.value)

        def leave_argument(self, *_: Any) -> None:
            path.pop()

        def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
            path.append(node.name.value)

        def leave_object_field(self, *_: Any) -> None:
            path.pop()

        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            if path:
                used.setdefault(node.name.value, ".".join(path))

        def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
            literals.append((".".join(path) or "query", node.value))

    visit(document, Paths())
    return used, literals
