"""The engine stays pure: stdlib, dateutil and itself only; no clock, no awaiting, no I/O."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "app" / "engine"
ALLOWED_THIRD_PARTY = {"dateutil"}
FORBIDDEN_STDLIB = {"asyncio", "socket", "ssl", "http", "urllib", "sqlite3", "subprocess", "random"}
# Zero-argument calls of these names read a clock (datetime.now(), time.time()...).
CLOCK_READS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}


def engine_files() -> list[Path]:
    files = sorted(ENGINE.glob("*.py"))
    assert files, ENGINE
    return files


def imported_modules(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append("app.engine")  # relative imports stay inside the package
            elif node.module:
                found.append(node.module)
    return found


def test_engine_imports_only_stdlib_dateutil_and_itself() -> None:
    offenders = []
    for path in engine_files():
        for module in imported_modules(ast.parse(path.read_text(), str(path))):
            top = module.split(".")[0]
            if module == "app.engine" or module.startswith("app.engine."):
                continue
            if top in ALLOWED_THIRD_PARTY:
                continue
            if top in sys.stdlib_module_names and top not in FORBIDDEN_STDLIB and top != "app":
                continue
            offenders.append(f"{path.name}: {module}")
    assert offenders == []


def test_engine_never_awaits_nor_reads_the_clock() -> None:
    offenders = []
    for path in engine_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.AsyncFunctionDef | ast.Await | ast.AsyncFor | ast.AsyncWith):
                offenders.append(f"{path.name}:{node.lineno} async")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CLOCK_READS
                and not node.args
                and not node.keywords
            ):
                offenders.append(f"{path.name}:{node.lineno} {node.func.attr}()")
    assert offenders == []


def test_the_purity_check_catches_offenders() -> None:
    tree = ast.parse("import tortoise\nfrom strawberry import type\nfrom . import model\n")
    assert imported_modules(tree) == ["tortoise", "strawberry", "app.engine"]
