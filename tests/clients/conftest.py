"""The client suite: real clients (Python and Node) against the service.

Every test records what it proved in the client matrix (client x operation -> result), which
is printed at the end of the run. Node clients are pinned by ``package-lock.json`` here and
installed with ``npm ci`` (``.ci/run`` does it; locally it is done on first use). Without
``node`` the Node tests skip with one line; with CI=true they fail instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
NODE_TIMEOUT = 60.0

_ROWS: list[tuple[str, str, str]] = []
_INSTALLED: dict[str, str | None] = {}


@pytest.fixture
def backend() -> str:
    """The client suite proves client behaviour, not storage: SQLite is enough."""
    return "sqlite"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _node_unavailable() -> str | None:
    """None when node and the pinned packages are ready, else why not (installing them
    locally on first use)."""
    if "reason" in _INSTALLED:
        return _INSTALLED["reason"]
    reason = None
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        reason = "node is not installed (the Node client tests need Node 20 and npm)"
    elif not (HERE / "node_modules").is_dir():
        if _in_ci():
            pytest.fail("tests/clients/node_modules is missing: .ci/run must run `npm ci` there")
        if npm is None:
            pytest.fail("npm is missing: install it, or run `npm ci` in tests/clients")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, timeout=300
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in tests/clients failed:\n{done.stderr.decode()[-2000:]}")
    _INSTALLED["reason"] = reason
    return reason


def require_node() -> str:
    """The node binary; skips (or, with CI=true, fails) when there is none."""
    reason = _node_unavailable()
    if reason is not None:
        if _in_ci():
            pytest.fail(reason + " (CI=true: the Node clients are required)")
        pytest.skip(reason)
    return str(shutil.which("node"))


async def run_node(script: str, *args: str, stdin: bytes = b"") -> Any:
    """Runs ``js/<script>`` under node and returns the JSON it prints on stdout."""
    node = require_node()
    process = await asyncio.create_subprocess_exec(
        node,
        str(HERE / "js" / script),
        *args,
        cwd=HERE,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin), NODE_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"node {script} ran over {NODE_TIMEOUT}s") from None
    if process.returncode != 0:
        raise AssertionError(f"node {script} exited {process.returncode}:\n{err.decode()}")
    return json.loads(out)


@dataclass
class Matrix:
    rows: list[tuple[str, str, str]] = field(default_factory=lambda: _ROWS)

    @contextmanager
    def case(self, client: str, operation: str) -> Iterator[None]:
        """Records ``ok`` when the block passes, ``FAILED`` or ``skipped`` otherwise."""
        try:
            yield
        except pytest.skip.Exception as exc:
            self.rows.append((client, operation, f"skipped: {exc.msg}"))
            raise
        except BaseException:
            self.rows.append((client, operation, "FAILED"))
            raise
        self.rows.append((client, operation, "ok"))


@pytest.fixture
def matrix() -> Matrix:
    return Matrix()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _ROWS:
        return
    results: dict[tuple[str, str], list[str]] = {}
    for client, operation, result in _ROWS:
        results.setdefault((client, operation), []).append(result)
    lines = []
    for (client, operation), seen in sorted(
        results.items(), key=lambda r: (r[0][0].lower(), r[0][1])
    ):
        failed = [r for r in seen if r == "FAILED"] or [r for r in seen if r != "ok"]
        result = (failed[0] if failed else "ok") + (f" ({len(seen)} runs)" if len(seen) > 1 else "")
        lines.append((client, operation, result))
    width = max(len(c) for c, _, _ in lines)
    op_width = max(len(o) for _, o, _ in lines)
    terminalreporter.section("client matrix (client x operation -> result)")
    for client, operation, result in lines:
        terminalreporter.write_line(f"{client:<{width}}  {operation:<{op_width}}  {result}")
