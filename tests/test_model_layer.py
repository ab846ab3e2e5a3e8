"""The model layer runs headless: importing it loads no widget, plotting or IPython library."""

import subprocess
import sys

from dormancy_widgets.models import MECHANISMS

FORBIDDEN = ("ipywidgets", "bqplot", "IPython", "matplotlib", "traitlets")


def test_models_import_no_view_library():
    modules = ", ".join(f"dormancy_widgets.models.{m}" for m in MECHANISMS)
    code = (
        "import sys, importlib\n"
        f"for m in '{modules}'.split(', '): importlib.import_module(m)\n"
        "importlib.import_module('dormancy_widgets.models.solvers')\n"
        "importlib.import_module('dormancy_widgets.models.comparison')\n"
        "importlib.import_module('dormancy_widgets.registry')\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"model layer imported: {out.stdout.strip()}"


def test_the_check_itself_can_fail():
    """Guard against a vacuous check: importing the widgets does load ipywidgets."""
    code = "import sys, dormancy_widgets.widgets.base; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
