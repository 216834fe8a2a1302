"""README.md stays true: its rules catalogue is the generated one, its commands are the CI's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from engine.catalogue import render_catalogue
from engine.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]


def _script() -> object:
    spec = importlib.util.spec_from_file_location(
        "update_catalogue", ROOT / "scripts" / "update_catalogue.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalogue_matches_the_rules() -> None:
    script = _script()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = script.splice(readme, render_catalogue(load_rules(), "markdown"))  # type: ignore[attr-defined]
    assert readme == expected, "run: python scripts/update_catalogue.py"


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -e ".[dev]" && python -m pytest' in readme
    assert 'pip install -q -e ".[dev]"' in ci and "python -m pytest" in ci
    assert 'pip install ".[simulate]" && engine check --simulated' in readme
