"""dormancy-widgets: interactive Jupyter lessons on tumour dormancy and metastasis.

The simulation core lives in ``dormancy_widgets.models`` (pure numpy); the explorers in
``dormancy_widgets.widgets`` (ipywidgets + bqplot). Importing this package imports the
widgets; import ``dormancy_widgets.models`` alone for headless use.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import registry

try:
    __version__ = version("dormancy-widgets")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"


def __getattr__(name: str) -> Any:
    # explorers are imported lazily so that `import dormancy_widgets.models` stays widget-free
    widgets = import_module(".widgets", __name__)
    if name in widgets.__all__:
        return getattr(widgets, name)
    raise AttributeError(f"module 'dormancy_widgets' has no attribute {name!r}")


#: the explorers (one per mechanism of ``registry.MECHANISMS``) and the version
__all__ = [*sorted(registry.explorers()), "__version__"]
