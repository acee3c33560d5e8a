"""The vendored axe-core (tests/page/vendor/) is exactly what package-lock.json pins.

scripts/vendor-page-test-assets writes vendor/ from `npm ci`; this test fails when someone
edits a vendored file, bumps the lock without refreshing, or refreshes without the lock. When
node_modules is present (CI runs `npm ci` in tests/page), the files must also be byte-identical
to the installed package.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor"


def _versions() -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    header: dict[str, str] = {}
    files = []
    for line in (VENDOR / "VERSIONS.txt").read_text().splitlines():
        if line.startswith("# ") and ": " in line:
            key, _, value = line[2:].partition(": ")
            header[key] = value
        elif line and not line.startswith("#"):
            target, source, digest = line.split()
            files.append((target, source, digest))
    return header, files


def test_vendored_axe_core_matches_the_lock() -> None:
    lock = json.loads((HERE / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/axe-core"]
    wanted = json.loads((HERE / "package.json").read_text())["devDependencies"]["axe-core"]
    assert pinned["version"] == wanted
    header, files = _versions()
    assert header["package"] == f"axe-core@{pinned['version']}"
    assert header["integrity"] == pinned["integrity"]
    assert {target for target, _, _ in files} == {
        p.name for p in VENDOR.iterdir() if p.name != "VERSIONS.txt"
    }
    for target, _, digest in files:
        assert hashlib.sha256((VENDOR / target).read_bytes()).hexdigest() == digest, target
    banner = (VENDOR / "axe.min.js").read_text()[:200]
    assert f"axe v{pinned['version']}" in banner

    installed = HERE / "node_modules" / "axe-core"
    if not installed.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true: run `npm ci` in tests/page first (.ci/run does)")
        return  # locally the checksums above are the check
    assert json.loads((installed / "package.json").read_text())["version"] == pinned["version"]
    for target, source, _ in files:
        assert (VENDOR / target).read_bytes() == (installed / source).read_bytes(), target
