"""Names the input field a request-level error is about, as ``extensions.fields`` does for
the service's own checks (``input.start``, ``inputs.0.recurrence``).

graphql-core reports a value that fails to coerce (a custom scalar refusing it, a required
input field left out) before any resolver runs, with a message and the document's nodes but
no field path. The path is recovered from the document: every argument and input object
field leading to the offending literal, or to the place where the offending variable is
used, followed by the position inside the variable's value that the message states.
"""

from __future__ import annotations

import re

from graphql import GraphQLError, parse
from graphql.error import GraphQLSyntaxError
from graphql.language import (
    ArgumentNode,
    ListValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    Visitor,
    visit,
)
from graphql.language.ast import Node, ValueNode, VariableNode

_VARIABLE = re.compile(r"^Variable '\$(\w+)' has invalid value(?: at ([^:]*))?:")
_REQUIRED = re.compile(r"to include required field '(\w+)'")
_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")


class _Paths(Visitor):
    """Each value node's path of argument / field names and list indexes."""

    def __init__(self) -> None:
        super().__init__()
        self.by_start: dict[int, list[str]] = {}
        self.variables: dict[str, list[str]] = {}

    def _record(self, value: ValueNode, path: list[str]) -> None:
        if value.loc is not None:
            self.by_start.setdefault(value.loc.start, path)
        if isinstance(value, VariableNode):
            self.variables.setdefault(value.name.value, path)
        elif isinstance(value, ObjectValueNode):
            for field in value.fields:
                self._record(field.value, [*path, field.name.value])
        elif isinstance(value, ListValueNode):
            for i, item in enumerate(value.values):
                self._record(item, [*path, str(i)])

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        self._record(node.value, [node.name.value])

    def enter_object_field(self, node: ObjectFieldNode, *_: object) -> None:
        return None  # recorded from the argument down


def _paths(error: GraphQLError) -> _Paths | None:
    if error.source is None:
        return None
    try:
        document = parse(error.source)
    except GraphQLSyntaxError:
        return None
    paths = _Paths()
    visit(document, paths)
    return paths


def _start(node: Node) -> int | None:
    return None if node.loc is None else node.loc.start


def field_of(error: GraphQLError) -> str | None:
    """The dotted input path ``error`` is about, or None when it names no input value."""
    paths = _paths(error)
    if paths is None:
        return None
    match = _VARIABLE.match(error.message)
    if match is not None:
        base = paths.variables.get(match.group(1))
        if base is None:
            return None
        inner = [a or b for a, b in _STEP.findall(match.group(2) or "")]
        required = _REQUIRED.search(error.message)
        if required is not None:
            inner.append(required.group(1))
        return ".".join([*base, *inner])
    for node in error.nodes or ():
        start = _start(node)
        if start is not None and start in paths.by_start:
            path = list(paths.by_start[start])
            required = _REQUIRED.search(error.message)
            if required is not None:
                path.append(required.group(1))
            return ".".join(path)
    return None
