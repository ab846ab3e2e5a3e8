"""The simulation core: one pure-numpy module per dormancy mechanism.

Read ``base`` for the contract every mechanism follows. Nothing in this package imports a
widget, plotting or IPython library, so the models run headless (tests, scripts, Pyodide).
"""

from importlib import import_module
from types import ModuleType

from .. import registry
from . import base, growth, params, solvers
from .params import Param, Preset, validate

#: every mechanism module, in lesson order (declared in ``dormancy_widgets.registry``)
MECHANISMS: tuple[str, ...] = tuple(m.name for m in registry.MECHANISMS)


def mechanism(name: str) -> ModuleType:
    """The model module of a mechanism, by name (see ``MECHANISMS``)."""
    if name not in MECHANISMS:
        raise ValueError(f"mechanism = {name!r} is not allowed: choose one of {', '.join(MECHANISMS)}.")
    return import_module(f".{name}", __name__)


__all__ = ["MECHANISMS", "Param", "Preset", "base", "growth", "mechanism", "params", "solvers", "validate"]
