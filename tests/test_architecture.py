"""The shape of the code: small modules of one concept each, no import cycles, and the hooks
through which lower domains ask higher ones (docs/architecture.md)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp
import pytest

from app.errors import Conflict
from app.hooks import Hook

APP = Path(__file__).resolve().parent.parent / "app"
MAX_LINES = 450


def module_lengths(root: Path) -> dict[str, int]:
    """Lines of every Python module under ``root``, Tortoise's generated migrations left out."""
    return {
        str(path.relative_to(root.parent)): len(path.read_text().splitlines())
        for path in sorted(root.rglob("*.py"))
        if "migrations" not in path.relative_to(root).parts
    }


def test_no_module_is_longer_than_the_limit() -> None:
    lengths = module_lengths(APP)
    assert len(lengths) > 50  # the walk found the package
    too_long = {name: n for name, n in lengths.items() if n > MAX_LINES}
    assert not too_long, f"split these modules along their concepts (max {MAX_LINES}): {too_long}"


def test_the_walk_counts_lines_and_skips_migrations(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (root / "migrations" / "0001_initial.py").write_text("y = 2\n" * 1000)
    assert module_lengths(root) == {"app/big.py": MAX_LINES + 1}


# --------------------------------------------------------------------- dependency order


def layered_packages(pyproject: Path) -> set[str]:
    """Every package the ``layers`` import contract places, at whatever level."""
    config = tomllib.loads(pyproject.read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    return {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}


def test_every_package_of_the_app_has_its_level_in_the_layers_contract() -> None:
    """A new package or base module joins the dependency order when it is added (README and
    docs/architecture.md say where); unplaced, lint-imports would not check it."""
    children = {
        f"app.{path.stem}"
        for path in APP.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert children - {"app.migrations"} <= layered_packages(APP.parent / "pyproject.toml")
    assert {"app.engine", "app.contacts", "app.api", "app.main"} <= children


# ------------------------------------------------------------------------- import cycles


def import_cycles(package: str) -> list[list[str]]:
    """Groups of modules of ``package`` that import each other in a circle (strongly connected
    components of more than one module). Every import counts, function-local ones included;
    imports under ``if TYPE_CHECKING:`` never run and are left out."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)
    modules = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles_among_app_modules() -> None:
    assert import_cycles("app") == []


def test_a_function_local_import_closes_a_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cyclic"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "low.py").write_text("def ask():\n    from cyclic import high\n    return high\n")
    (root / "high.py").write_text("from cyclic import low\n")
    (root / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclic import high\n"
    )
    (root / "lazy.py").write_text("from cyclic import typed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic") == [["cyclic.high", "cyclic.low"]]


# ----------------------------------------------------------------------------- hooks


def test_the_domains_register_at_the_hooks_of_lower_ones() -> None:
    """Once the app is composed, every hook a lower domain runs has its handlers, in rank
    order (the order decides which refusal a client sees first)."""
    from app import main  # noqa: F401 - composes the app: imports every domain
    from app.contacts import service as contact_service
    from app.groups import service as group_service
    from app.tiers import service as tier_service
    from app.timelines import inputs as timeline_inputs

    assert contact_service.deleting.handlers() == [
        "app.layers.participants._refuse_named_contact",
        "app.on_demand_shifts.service._refuse_assigned_contact",
        "app.substitutions.service._contact_deleting",
        "app.layers.participants._keep_groups_staffed",
        "app.groups.service._contact_deleting",
    ]
    assert group_service.replacing_members.handlers() == [
        "app.layers.participants._refuse_understaffing"
    ]
    assert group_service.members_replaced.handlers() == [
        "app.layers.participants._members_replaced"
    ]
    assert group_service.deleting.handlers() == ["app.layers.participants._refuse_named_group"]
    assert tier_service.inputs_changed.handlers() == ["app.shifts.service.tiers_changed"]
    assert [f"{s.__module__}.{s.__qualname__}" for s in timeline_inputs.BUSY_SOURCES] == [
        "app.calendars.busy._source"
    ]


async def test_a_hook_runs_its_handlers_by_rank_and_stops_at_a_refusal() -> None:
    hook: Hook[[list[str]]] = Hook("test")
    seen: list[str] = []

    @hook.register(rank=20)
    async def second(log: list[str]) -> None:
        log.append("second")
        raise Conflict("refused")

    @hook.register(rank=10)
    async def first(log: list[str]) -> None:
        log.append("first")

    @hook.register(rank=10)
    async def also_first(log: list[str]) -> None:
        log.append("also first")

    @hook.register(rank=30)
    async def never(log: list[str]) -> None:
        log.append("never")

    with pytest.raises(Conflict):
        await hook.run(seen)
    assert seen == ["first", "also first", "second"]
    assert [name.rsplit(".", 1)[-1] for name in hook.handlers()] == [
        "first",
        "also_first",
        "second",
        "never",
    ]
