"""One registry of mechanisms (``dormancy_widgets.registry``); every other list derives from it."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

import dormancy_widgets
from dormancy_widgets import models, registry, widgets

ROOT = Path(__file__).resolve().parents[1]
LESSON_DIR = ROOT / "lessons"


def test_models_and_explorers_derive_from_the_registry():
    assert models.MECHANISMS == tuple(m.name for m in registry.MECHANISMS)
    assert widgets.EXPLORERS == registry.explorers()
    for m in registry.MECHANISMS:
        assert m.explorer in dormancy_widgets.__all__
        assert m.explorer in widgets.__all__
        assert models.mechanism(m.name).__name__ == f"dormancy_widgets.models.{m.name}"
        cls = getattr(importlib.import_module(f"dormancy_widgets.widgets.{m.name}"), m.explorer)
        assert cls.model is models.mechanism(m.name), m.explorer


def test_names_are_unique_and_bad_names_are_refused():
    for field in ("name", "explorer", "lesson"):
        values = [getattr(m, field) for m in registry.MECHANISMS]
        assert len(set(values)) == len(values), field
    with pytest.raises(ValueError, match="choose one of growth"):
        registry.by_name("no-such-mechanism")
    with pytest.raises(ValueError, match="GrowthExplorer"):
        registry.lesson_of("NoSuchExplorer")
    assert registry.lesson_of("SwitchExplorer") == "09_angiogenic_switch.ipynb"


def test_every_lesson_notebook_is_registered_and_exists():
    on_disk = sorted(p.name for p in LESSON_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert on_disk == sorted(registry.LESSONS)
    assert list(registry.LESSONS) == sorted(registry.LESSONS), "lessons are listed in order"


def _code(lesson: str) -> str:
    nb = json.loads((LESSON_DIR / lesson).read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("m", registry.MECHANISMS, ids=lambda m: m.name)
def test_each_lesson_opens_its_explorer(m):
    assert m.explorer in _code(m.lesson)
    activities = importlib.import_module(f"dormancy_widgets.activities.l{m.number}")
    assert activities.EXPLORER == m.explorer


def test_the_readme_lesson_table_lists_every_lesson():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| (\d\d) \|", text, flags=re.MULTILINE)
    assert listed == [name[:2] for name in registry.LESSONS]
