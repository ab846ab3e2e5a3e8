"""The contract every mechanism module in ``dormancy_widgets.models`` follows.

Adding a mechanism means reading this docstring, writing one module, and adding its
explorer. The rules, numbered so that reviews can point at them:

1. The module imports numpy and the standard library only: no widget, plotting or
   IPython import (``tests/test_model_layer.py`` enforces it). It must run headless.
2. ``PARAMS`` is an ordered mapping ``name -> Param`` (``params.declare(Param(...), ...)``
   builds it and refuses a name declared twice). Names are the symbols of the source paper;
   defaults are the published fit (or a teaching choice, said so in ``Param.source``);
   ``low``/``high`` bound the range where the model is meaningful and numerically safe.
   Sliders, validation, property tests and the docs tables come from it.
3. ``PRESETS`` maps a name to a ``Preset``: a value for every parameter plus the citation
   they come from (``params.from_defaults`` fills in the defaults a preset does not change,
   so that choosing a preset never keeps a value left over from the sliders).
4. ``simulate(t, *, seed=None, **params) -> Result`` validates every parameter with
   ``params.validate`` (a bad value raises ``ValueError`` naming the parameter, the value
   and the allowed range) and ``t`` with ``params.validate_time``.
5. Any parameter may be an array. Parameter arrays broadcast together to a *batch shape*;
   every state array in the result has shape ``batch_shape + (len(t),)``: time is the last
   axis. A batch is one array computation, never a Python loop over trajectories.
6. Stochastic models draw only from ``numpy.random.default_rng(seed)``; the same seed gives
   the same numbers to the bit. Deterministic models accept and ignore ``seed``.
7. ``Result`` is a frozen dataclass (subclass of ``base.Result``) holding ``t``, the validated
   ``params`` and the states named with the paper's symbols. ``STATES`` lists those names
   for export. ``summary()`` returns the headline numbers as a dict (scalars for a single
   run, arrays of the batch shape otherwise) that readouts, lessons and tests all use;
   ``SUMMARY`` declares its keys once, each an ``Output(unit, meaning)`` (the contract test
   checks that ``summary()`` returns exactly these keys; ``docs/models.md`` lists them).
   Key names: ``<state>_final`` for a value at the last output time, ``days_to_<size>`` for
   the time a size is first reached.
8. Module constants: ``STOCHASTIC`` (bool: does ``simulate`` draw random numbers?) and
   ``DEFAULT_T`` (the output times in days that the explorer opens with and the generic
   tests use).
9. Every state array is finite and non-negative: where a law would overflow, the module caps it at a
   documented bound rather than hand ``inf`` or ``nan`` to a plot. Times that are never
   reached are reported as ``math.inf`` in ``summary()`` only, never in state arrays.

The ``Mechanism`` protocol below states rules 2-4 and 8 in code; ``Output`` and
``Result.SUMMARY`` rule 7's declared outputs. Shared helpers: ``params`` (declarations:
``declare``, ``from_defaults``, ``defaults``, ``TEACHING``; validation; ``rng``), ``units``
(unit constants), ``_util`` (0-d results, flattening a batch, first threshold crossing,
events by output time, ratios without a denominator as ``nan``), ``solvers`` (numerics).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

__all__ = ["Mechanism", "Output", "Result"]


@dataclass(frozen=True)
class Output:
    """One headline number of ``summary()``: its unit (``""`` for a share, a count of
    nothing in particular, a yes/no or a name) and what it means, in one line. Declared once
    per result class in ``SUMMARY``; the docs table and the contract test read it."""

    unit: str
    meaning: str


@dataclass(frozen=True, eq=False)
class Result:
    """Base of every model's result: times, the validated parameters, named state arrays."""

    t: np.ndarray
    params: Mapping[str, Any]

    #: names of the state attributes, in export order (set by each subclass)
    STATES: ClassVar[tuple[str, ...]] = ()
    #: unit of ``t`` (every model in this package uses days)
    TIME_UNIT: ClassVar[str] = "days"
    #: the keys ``summary()`` returns, each with its unit and meaning, in order (rule 7)
    SUMMARY: ClassVar[Mapping[str, Output]] = {}

    @property
    def batch_shape(self) -> tuple[int, ...]:
        if not self.STATES:
            return ()
        return np.shape(getattr(self, self.STATES[0]))[:-1]

    def states(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.STATES}

    def summary(self) -> dict[str, Any]:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def to_csv(self) -> str:
        """The run as CSV text: one row per output time (and per batch member, if any)."""
        buf = io.StringIO()
        states = self.states()
        shape = self.batch_shape
        index_cols = [f"i{k}" for k in range(len(shape))]
        buf.write(",".join([*index_cols, f"t_{self.TIME_UNIT}", *states]) + "\n")
        for idx in np.ndindex(*shape):
            cols = [np.broadcast_to(states[s], shape + (len(self.t),))[idx] for s in states]
            for j, tj in enumerate(self.t):
                row = [str(i) for i in idx] + [f"{tj:.6g}"] + [f"{c[j]:.8g}" for c in cols]
                buf.write(",".join(row) + "\n")
        return buf.getvalue()


@runtime_checkable
class Mechanism(Protocol):
    """The contract above in code: what a mechanism module provides (rules 2-4, 8).

    A module is checked against it with ``isinstance(module, Mechanism)`` (names present)
    and by the contract tests (what they hold); mypy checks a module passed where a
    ``Mechanism`` is expected.
    """

    PARAMS: Mapping[str, Any]
    PRESETS: Mapping[str, Any]
    STOCHASTIC: bool
    DEFAULT_T: np.ndarray

    def simulate(self, t: Any, *, seed: Any = None, **params: Any) -> Result: ...
