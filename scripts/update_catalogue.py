"""Regenerate the rules catalogue in README.md from the rule files.

The catalogue is never written by hand: this script puts the output of
``engine rules list --format markdown`` between the catalogue markers, and
``tests/test_readme.py`` fails when README.md and the rules disagree.

    python scripts/update_catalogue.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.catalogue import render_catalogue
from engine.rules import load_rules

START, END = "<!-- catalogue:start -->", "<!-- catalogue:end -->"
README = Path(__file__).resolve().parents[1] / "README.md"


def splice(text: str, table: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def main() -> int:
    table = render_catalogue(load_rules(), "markdown")
    README.write_text(splice(README.read_text(encoding="utf-8"), table), encoding="utf-8")
    print(f"catalogue updated: {table.count(chr(10)) - 2} rules")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
