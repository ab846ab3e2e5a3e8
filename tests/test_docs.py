"""Documentation that is generated, or promised, stays true."""

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
