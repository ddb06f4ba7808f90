"""The README's configuration table is generated from Settings; it must not drift."""

from pathlib import Path

from dualtrack.config import settings_help

ROOT = Path(__file__).resolve().parents[3]


def test_readme_settings_table_matches_code() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("<!-- settings:start -->")[1].split("<!-- settings:end -->")[0]
    documented = [line for line in block.strip().splitlines()[2:]]
    expected = [f"| `{v}` | `{d}` | {h} |" for v, d, h in settings_help()]
    assert documented == expected


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "make demo" in readme and "make test" in readme
