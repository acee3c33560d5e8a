"""`rotagraph import` through the command's own entry point on a temporary SQLite file,
reading the Grafana OnCall fixtures saved as files (tests/imports/fixtures/grafana/SOURCES.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.cli import main
from tests.imports.fake_vendors import FIXTURES


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_dry_run_then_apply_then_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'db.sqlite3'}")
    monkeypatch.setenv("RUN_JOBS", "false")
    monkeypatch.delenv("IMPORT_API_KEY", raising=False)
    assert _run(capsys, "migrate")[0] == 0
    org = re.search(r"organization: (\d+)", _run(capsys, "create-org", "T")[1])
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
    code, dry, _ = _run(capsys, *args, "--dry-run")
    assert code == 0 and dry.startswith("Dry run: nothing written.")
    assert "CREATE     schedule Primary chain [policy:FCHAIN]" in dry
    assert "CANNOT_MAP schedule Legacy calendar [SICAL]" in dry
    assert "Grafana primary [SPRI]: 100.00 % agree, 0 disagreement(s)" in dry
    code, applied, _ = _run(capsys, *args)
    assert code == 0 and applied.startswith("Applied.") and "CREATE 13, CANNOT_MAP 3" in applied
    code, again, _ = _run(capsys, *args)
    assert "CREATE" not in again.split("Equivalence")[0].replace("CANNOT_MAP", "")
    assert "UNCHANGED 13" in again
    code, _, err = _run(capsys, "import", "opsgenie", "--org", org.group(1))
    assert code == 1 and "set IMPORT_API_KEY" in err
