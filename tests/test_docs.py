"""Documentation that is generated, or promised, stays true."""

import importlib
import re
from pathlib import Path

from dormancy_widgets import docgen
from dormancy_widgets.models import MECHANISMS, mechanism

ROOT = Path(__file__).resolve().parents[1]


def test_models_md_is_generated_from_the_code():
    current = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    assert current == docgen.render(), "docs/models.md is stale: run `make docs`"


def test_models_md_has_every_parameter_and_preset():
    text = docgen.render()
    for name in MECHANISMS:
        mod = mechanism(name)
        for p in mod.PARAMS:
            assert f"| {p} |" in text, (name, p)
        for preset in mod.PRESETS:
            assert f"**{preset}**" in text, (name, preset)


def test_teacher_notes_cover_every_lesson():
    text = (ROOT / "docs" / "teachers.md").read_text(encoding="utf-8")
    for nb in sorted((ROOT / "lessons").glob("0[1-9]_*.ipynb")):
        assert nb.stem in text, f"docs/teachers.md has no section for {nb.stem}"
    for heading in ("misconception", "Discussion", "preset"):
        assert heading.lower() in text.lower()


def test_readme_quick_start_is_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.strip().splitlines() if line.strip()]
    assert [c.split("#")[0].strip() for c in commands] == ["make lessons", "make test"]


def _architecture() -> str:
    return (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_architecture_names_only_files_that_exist():
    text = _architecture()
    paths = set(
        re.findall(r"(?<![\w/.])((?:dormancy_widgets|tests|benchmarks|models|widgets)/[\w/]+\.py)", text)
    )
    assert paths, "the check found no paths to check"
    missing = [
        p for p in sorted(paths) if not ((ROOT / p).exists() or (ROOT / "dormancy_widgets" / p).exists())
    ]
    assert missing == [], f"docs/architecture.md names files that do not exist: {missing}"


def test_architecture_names_only_helpers_that_exist():
    """``params.declare``, ``solvers.solve``, ``registry.MECHANISMS`` ...: each is in its module."""
    modules = {
        "params": "dormancy_widgets.models.params",
        "units": "dormancy_widgets.models.units",
        "solvers": "dormancy_widgets.models.solvers",
        "registry": "dormancy_widgets.registry",
        "lesson": "dormancy_widgets.lesson",
        "models": "dormancy_widgets.models",
        "widgets": "dormancy_widgets.widgets",
        **{name: f"dormancy_widgets.models.{name}" for name in MECHANISMS},
    }
    named = set(re.findall(r"`(\w+)\.(\w+)", _architecture()))
    checked = [(m, a) for m, a in sorted(named) if m in modules]
    assert len(checked) >= 10, checked
    missing = [f"{m}.{a}" for m, a in checked if not hasattr(importlib.import_module(modules[m]), a)]
    assert missing == [], f"docs/architecture.md names what its module does not have: {missing}"


def test_no_doc_claims_debouncing_the_code_does_not_do():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    claims = [d.name for d in docs if "debounc" in d.read_text(encoding="utf-8").lower()]
    code = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "dormancy_widgets").rglob("*.py"))
    assert not claims or "debounc" in code.lower(), f"{claims} speak of debouncing; no code debounces"
