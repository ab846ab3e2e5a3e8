"""The model layer runs headless: importing it loads no widget, plotting or IPython library."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dormancy_widgets.models import MECHANISMS

FORBIDDEN = ("ipywidgets", "bqplot", "IPython", "matplotlib", "traitlets")
MODELS_DIR = Path(__file__).resolve().parents[1] / "dormancy_widgets" / "models"


def model_modules() -> list[str]:
    """Every module file of the model layer, found on disk: a new file is covered at once."""
    names = sorted(p.stem for p in MODELS_DIR.glob("*.py") if p.stem != "__init__")
    return [f"dormancy_widgets.models.{name}" for name in names]


def imported_view_libraries(modules: list[str]) -> list[str]:
    """The forbidden libraries a fresh interpreter has loaded after importing ``modules``."""
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_models_import_no_view_library():
    modules = [*model_modules(), "dormancy_widgets.models", "dormancy_widgets.registry"]
    assert imported_view_libraries(modules) == []


def test_the_import_check_covers_every_model_file():
    """Every mechanism, the shared helpers and the comparison of mechanisms are imported."""
    modules = model_modules()
    for name in (*MECHANISMS, "comparison", "solvers", "params", "base", "units", "_util"):
        assert f"dormancy_widgets.models.{name}" in modules, name


def test_the_check_itself_can_fail():
    """Guard against a vacuous check: importing the widgets does load ipywidgets."""
    assert "ipywidgets" in imported_view_libraries(["dormancy_widgets.widgets.base"])


def test_make_lint_type_checks_the_model_layer():
    """``make lint`` (the first step of ``make test``) runs mypy, configured for ``models/`` and
    pinned in the ``dev`` extra that ``make`` installs."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later
    root = MODELS_DIR.parents[1]
    make = (root / "Makefile").read_text(encoding="utf-8")
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", make, flags=re.MULTILINE)
    assert lint and "$(VENV)/bin/mypy" in lint.group(1)
    test = re.search(r"^test:.*\n\t(.*)\n", make, flags=re.MULTILINE)
    assert test and test.group(1) == "$(MAKE) lint"
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["tool"]["mypy"]["files"] == ["dormancy_widgets/models"]
    assert project["tool"]["mypy"]["disallow_untyped_defs"] is True
    assert any(re.fullmatch(r"mypy==[\d.]+", d) for d in project["project"]["optional-dependencies"]["dev"])
