"""One domain's GraphQL module using another's without importing it.

Types of different domains reference each other (a schedule's tiers, a tier's schedule; a
contact's shifts, computed by the timelines), so importing each other would make import
cycles. They name each other with ``strawberry.lazy`` in annotations, and get a class (to build
a value) or a field's resolver function through the same reference when a resolver runs::

    _TIERS = strawberry.lazy("app.tiers.types")

    async def tiers(self, info: Info) -> list[Annotated[TierType, _TIERS]]:
        TierType = from_lazy(_TIERS, "TierType")
        return [TierType.from_model(t) for t in ...]

The module is imported on first use, when the schema has long been built.
"""

from __future__ import annotations

from typing import Any, ForwardRef

from strawberry.types.lazy_type import StrawberryLazyReference


def from_lazy(reference: StrawberryLazyReference, name: str) -> Any:
    """The attribute ``name`` (a class, a function) of the module ``reference`` (a
    ``strawberry.lazy(...)``) points to."""
    return reference.resolve_forward_ref(ForwardRef(name)).resolve_type()
