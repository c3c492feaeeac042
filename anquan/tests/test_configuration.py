"""The README's configuration table names every environment variable the code reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _variables_in_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "anquan").rglob("*.py"):
        if "tests" in path.parts:
            continue
        found |= set(re.findall(r"""["'](ANQUAN_[A-Z0-9_]+)["']""", path.read_text()))
    return found


def _variables_in_readme() -> set[str]:
    table = (ROOT / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    # "ANQUAN_UPLOAD_MAX_IMAGE_MB, _AUDIO_MB" — expand the short forms on the same row
    expanded: set[str] = set()
    for row in table.splitlines():
        full = re.findall(r"`(ANQUAN_[A-Z0-9_]+)`", row)
        short = re.findall(r"`(_[A-Z0-9_]+)`", row)
        expanded |= set(full)
        if full and short:
            stem = full[0].rsplit("_", 2)[0]
            expanded |= {stem + s for s in short}
    return expanded


def test_every_environment_variable_is_documented_in_the_readme() -> None:
    missing = _variables_in_code() - _variables_in_readme()
    assert missing == set()


def test_the_readme_documents_no_variable_the_code_does_not_read() -> None:
    stale = _variables_in_readme() - _variables_in_code()
    assert stale == set()


def test_the_readme_opens_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text().splitlines()[:8]
    assert "make run" in "\n".join(head)
    assert "make test" in "\n".join(head)
