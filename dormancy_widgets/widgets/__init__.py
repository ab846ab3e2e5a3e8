"""Interactive explorers (ipywidgets + bqplot), one per mechanism, on a shared base.

Explorers are imported on first use, so that opening one lesson does not build the others.
"""

from importlib import import_module

from .. import registry
from .base import Explorer

#: explorer class name -> module under ``dormancy_widgets.widgets`` (lesson order), from
#: ``dormancy_widgets.registry``
EXPLORERS: dict[str, str] = registry.explorers()


def __getattr__(name: str):
    if name in EXPLORERS:
        return getattr(import_module(f".{EXPLORERS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["EXPLORERS", "Explorer", *EXPLORERS]
