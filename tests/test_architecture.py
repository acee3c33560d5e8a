"""The shape of the code: small modules of one concept each (STYLE.md habit 10)."""

from __future__ import annotations

from pathlib import Path

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
