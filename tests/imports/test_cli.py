"""`rotagraph import` as a real subprocess on a temporary SQLite file, reading the Grafana
OnCall fixtures saved as files (tests/imports/fixtures/grafana/SOURCES.md)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.imports.fake_vendors import FIXTURES
from tests.test_cli import ok, rotagraph


async def test_import_dry_run_then_apply_then_rerun(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'db.sqlite3'}"
    await ok("migrate", url=url, cwd=tmp_path)
    org = re.search(
        r"organization: (\d+)", (await ok("create-org", "T", url=url, cwd=tmp_path)).out
    )
    assert org
    args = (
        "import",
        "grafana",
        "--org",
        org.group(1),
        "--dir",
        str(FIXTURES / "grafana"),
        "--since",
        "2026-03-02T05:00:00Z",
    )
    dry = await ok(*args, "--dry-run", url=url, cwd=tmp_path)
    assert dry.out.startswith("Dry run: nothing written.")
    assert "CREATE     schedule Primary chain [policy:FCHAIN]" in dry.out
    assert "CANNOT_MAP schedule Legacy calendar [SICAL]" in dry.out
    assert "Grafana primary [SPRI]: 76.49 % agree, 21 disagreement(s)" in dry.out
    assert "the ACTIVE_TURNS advance of SPEC §9" in dry.out
    applied = await ok(*args, url=url, cwd=tmp_path)
    assert applied.out.startswith("Applied.") and "CREATE 13, CANNOT_MAP 4" in applied.out
    again = await ok(*args, url=url, cwd=tmp_path)
    assert "CREATE" not in again.out.split("Equivalence")[0].replace("CANNOT_MAP", "")
    assert "UNCHANGED 13" in again.out
    missing = await rotagraph("import", "opsgenie", "--org", org.group(1), url=url, cwd=tmp_path)
    assert missing.code == 1 and "set IMPORT_API_KEY" in missing.err
