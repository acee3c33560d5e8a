"""Hooks: how a lower domain lets higher ones take part in its operations without importing them.

Dependencies point one way (docs/architecture.md): a core domain never imports the domains
that reference it. When one of its operations must still ask them (deleting a contact that
layers name, replacing a group's members that layers staff from, a tier's inputs changing
under confirmed shifts), the lower domain owns a :class:`Hook`, runs it at a fixed point of
the operation, and the higher domains register handlers when their modules are imported.

Handlers are async, keyword-only, and run inside the caller's transaction in ``rank`` order
(registration order among equal ranks), so which refusal a client sees first never depends on
the order modules were imported in. A handler refuses by raising an ``app.errors`` error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, ParamSpec

P = ParamSpec("P")


class Hook(Generic[P]):
    """A named point of a lower domain's operation that higher domains register handlers at."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[tuple[int, int, Callable[P, Awaitable[None]]]] = []

    def register(
        self, *, rank: int
    ) -> Callable[[Callable[P, Awaitable[None]]], Callable[P, Awaitable[None]]]:
        """Decorator: run the handler at this hook, after the handlers of lower ``rank``."""

        def add(handler: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
            self._handlers.append((rank, len(self._handlers), handler))
            self._handlers.sort(key=lambda entry: (entry[0], entry[1]))
            return handler

        return add

    async def run(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for _, _, handler in list(self._handlers):
            await handler(*args, **kwargs)

    def handlers(self) -> list[str]:
        """The registered handlers' qualified names, in the order they run."""
        return [_name(handler) for _, _, handler in self._handlers]


def _name(handler: Any) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"
