"""The simulation core: one pure-numpy module per dormancy mechanism.

Read ``base`` for the contract every mechanism follows. Nothing in this package imports a
widget, plotting or IPython library, so the models run headless (tests, scripts, Pyodide).
"""

from . import base, growth, params, solvers
from .params import Param, Preset, validate

__all__ = ["base", "growth", "params", "solvers", "Param", "Preset", "validate"]
