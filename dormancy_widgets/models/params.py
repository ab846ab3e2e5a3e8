"""One declaration per parameter: ``Param``, ``Preset`` and the validation every model uses.

A ``Param`` is data, not prose: the explorer builds its slider from it, ``validate``
checks every call against it, the property tests draw values from its range and the
parameter tables in ``docs/models.md`` are generated from it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = [
    "TEACHING",
    "Param",
    "Preset",
    "batch_shape",
    "declare",
    "defaults",
    "from_defaults",
    "param_table",
    "rng",
    "validate",
    "validate_seed",
    "validate_time",
]


@dataclass(frozen=True)
class Param:
    """A model parameter: its meaning, unit, default and the range the model is valid in.

    ``name`` is the symbol of the source paper (``lambda1``, ``Ninf``); ``label`` is what a
    student reads beside the slider and should contain that symbol; ``doc`` is a one-line
    meaning. ``log`` asks for a logarithmic slider. ``choices`` turns the parameter into a
    categorical one (a dropdown); then ``default`` is one of the choices and ``low``/``high``
    are ignored. ``integer`` restricts values to whole numbers (cell counts).
    """

    name: str
    default: Any
    low: float = -math.inf
    high: float = math.inf
    unit: str = ""
    label: str = ""
    doc: str = ""
    log: bool = False
    source: str = ""
    integer: bool = False
    choices: tuple[str, ...] = ()
    step: float | None = None

    def __post_init__(self) -> None:
        if self.choices:
            if self.default not in self.choices:
                raise ValueError(f"Param {self.name}: default {self.default!r} not in {self.choices}")
            return
        if not (self.low <= self.default <= self.high):
            raise ValueError(f"Param {self.name}: default {self.default} outside [{self.low}, {self.high}]")
        if self.log and self.low <= 0:
            raise ValueError(f"Param {self.name}: a log-scale parameter needs low > 0")

    @property
    def categorical(self) -> bool:
        return bool(self.choices)

    def describe_range(self) -> str:
        """The allowed values in words, for error messages and tables."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        unit = f" {self.unit}" if self.unit else ""
        kind = "a whole number" if self.integer else "a finite number"
        return f"{kind} from {_fmt(self.low)} to {_fmt(self.high)}{unit}"


@dataclass(frozen=True)
class Preset:
    """Named parameter values and the publication (or teaching choice) they come from."""

    values: Mapping[str, Any]
    citation: str
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


#: ``Param.source`` of a value chosen for teaching rather than taken from a publication
TEACHING = "teaching choice"


def declare(*params: Param) -> dict[str, Param]:
    """A model's ``PARAMS``: the declarations by name, in the order given.

    ``ValueError`` names a parameter declared twice (a dict written out by hand would keep
    the last declaration without a word).
    """
    out: dict[str, Param] = {}
    for p in params:
        if p.name in out:
            raise ValueError(f"parameter {p.name!r} is declared twice: give each parameter one Param.")
        out[p.name] = p
    return out


def from_defaults(params: Mapping[str, Param], presets: Mapping[str, Preset]) -> dict[str, Preset]:
    """A model's ``PRESETS`` from presets that give only what they change from the defaults.

    Each preset's ``values`` become every parameter's default updated by the preset's own
    values (``{}``: the defaults themselves), checked with ``validate``: a preset that names an
    undeclared parameter or an out-of-range value fails on import, naming it.
    """
    out: dict[str, Preset] = {}
    base = defaults(params)
    for name, preset in presets.items():
        values = {**base, **preset.values}
        try:
            validate(params, values)
        except ValueError as exc:
            raise ValueError(f"preset {name!r}: {exc}") from None
        out[name] = replace(preset, values=values)
    return out


def _fmt(x: float) -> str:
    """Compact number formatting for messages: 0.192, 5.85, 3e+12, 1e-09."""
    if isinstance(x, float) and math.isinf(x):
        return "infinity" if x > 0 else "-infinity"
    return f"{x:.4g}"


def _where(index: tuple[int, ...]) -> str:
    return f" at index {index}" if index else ""


def _label(p: Param) -> str:
    """How a message names a parameter: its label when that shows the symbol, else both."""
    if not p.label or p.label == p.name:
        return p.name
    return p.label if p.label.startswith(p.name) else f"{p.name} ({p.label})"


def _check_choice(p: Param, value: Any) -> Any:
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):  # a ragged list of names
        raise ValueError(
            f"{p.name} = {value!r} is not allowed: {p.name} must be {p.describe_range()}, "
            f"or a rectangular array of them."
        ) from None
    if arr.dtype.kind not in "US":
        raise ValueError(f"{p.name} = {value!r} is not allowed: {p.name} must be {p.describe_range()}.")
    bad = ~np.isin(arr, p.choices)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
        raise ValueError(
            f"{p.name} = {str(arr[idx])!r}{_where(idx)} is not allowed: "
            f"{p.name} must be {p.describe_range()}."
        )
    return str(arr) if arr.ndim == 0 else arr


def _check_number(p: Param, value: Any) -> np.ndarray:
    label = _label(p)
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, bytes)):
        raise ValueError(f"{p.name} = {value!r} is not allowed: {label} must be {p.describe_range()}.")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged lists and the like
        raise ValueError(
            f"{p.name} = {value!r} is not allowed: {label} must be a number or a "
            f"rectangular array of numbers ({exc})."
        ) from None
    if arr.dtype.kind not in "iuf":
        raise ValueError(
            f"{p.name} = {value!r} is not allowed: {label} must be {p.describe_range()} "
            f"(got an array of dtype {arr.dtype})."
        )
    arr = arr.astype(float)
    if arr.size == 0:
        raise ValueError(f"{p.name} is an empty array: give at least one value.")
    bad = ~np.isfinite(arr) | (arr < p.low) | (arr > p.high)
    if p.integer:
        with np.errstate(invalid="ignore"):
            bad |= arr != np.round(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
        v = arr[idx]
        shown = "nan" if np.isnan(v) else _fmt(float(v))
        raise ValueError(
            f"{p.name} = {shown}{_where(idx)} is not allowed: {label} must be {p.describe_range()}."
        )
    return arr


def validate(params: Mapping[str, Param], values: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``values`` against the declaration and fill in defaults.

    Returns a dict with every declared parameter: numeric ones as float arrays (0-d for a
    scalar), categorical ones as ``str`` or an array of ``str``. Raises ``ValueError``
    naming the parameter, the offending value and the allowed range for an unknown name,
    a NaN or infinity, a value out of range, a wrong type, or arrays whose shapes do not
    broadcast together.
    """
    unknown = [k for k in values if k not in params]
    if unknown:
        raise ValueError(
            f"unknown parameter {unknown[0]!r}; this model's parameters are: {', '.join(params)}."
        )
    out: dict[str, Any] = {}
    for name, p in params.items():
        value = values.get(name, p.default)
        out[name] = _check_choice(p, value) if p.categorical else _check_number(p, value)
    batch_shape(out)
    return out


def batch_shape(values: Mapping[str, Any]) -> tuple[int, ...]:
    """The broadcast shape of all parameter arrays; ``ValueError`` names one that does not fit."""
    shape: tuple[int, ...] = ()
    for name, v in values.items():
        s = np.shape(v)
        try:
            shape = np.broadcast_shapes(shape, s)
        except ValueError:
            raise ValueError(
                f"{name} has shape {s}, which does not broadcast with the other parameters' "
                f"shape {shape}: give arrays of matching (or broadcastable) shapes."
            ) from None
    return shape


def validate_time(t: Any, *, name: str = "t", unit: str = "days", high: float = 1e6) -> np.ndarray:
    """Check an output time grid like a ``Param``: numbers (not strings, booleans or complex
    numbers), 1-D, non-empty, finite, from 0 to ``high``, non-decreasing. Repeated times are
    allowed (a run may be asked for the same time twice)."""
    what = f"{name} must be a non-empty 1-D array of real times in {unit}, sorted, from 0 to {_fmt(high)}"
    if t is None or isinstance(t, (str, bytes, bool, np.bool_)):
        raise ValueError(f"{name} = {t!r} is not allowed: {what}.")
    try:
        arr = np.asarray(t)
    except (ValueError, TypeError):  # ragged lists
        raise ValueError(f"{name} = {t!r} is not allowed: {what}.") from None
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} = {t!r} is not allowed: {what} (got an array of dtype {arr.dtype}).")
    arr = arr.astype(float)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} has shape {arr.shape}, which is not allowed: {what}.")
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > high:
        raise ValueError(
            f"{name} must hold finite times from 0 to {_fmt(high)} {unit}; "
            f"got values from {arr.min()} to {arr.max()}."
        )
    if np.any(np.diff(arr) < 0):
        i = int(np.argmax(np.diff(arr) < 0))
        raise ValueError(
            f"{name} must be non-decreasing (sorted times in {unit}); "
            f"{name}[{i + 1}] = {arr[i + 1]:g} comes after {name}[{i}] = {arr[i]:g}."
        )
    return arr


#: what a seed may be: nothing (fresh entropy), a whole number, or numpy's own seed objects
SEED_KINDS = "None, a whole number from 0 up, a numpy Generator or a numpy SeedSequence"


def validate_seed(seed: Any, *, name: str = "seed") -> Any:
    """Check a random seed like a ``Param``; return it unchanged.

    Accepted: ``None``, a non-negative whole number (Python or numpy integer), a
    ``numpy.random.Generator`` (used as is) or a ``numpy.random.SeedSequence``. Anything
    else (strings, negative or fractional numbers, NaN, booleans) raises ``ValueError``
    naming ``seed``: numpy's own messages would not say which argument was wrong.
    """
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)) and seed >= 0:
        return seed
    raise ValueError(f"{name} = {seed!r} is not allowed: {name} must be {SEED_KINDS}.")


def rng(seed: Any = None) -> np.random.Generator:
    """The one source of random numbers of every model: ``numpy.random.default_rng(seed)``
    after ``validate_seed``; a ``Generator`` is passed through, so that one stream can be
    shared by the steps of a model."""
    seed = validate_seed(seed)
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def defaults(params: Mapping[str, Param]) -> dict[str, Any]:
    """Every parameter's default, by name: the base a preset changes a few values of."""
    return {name: p.default for name, p in params.items()}


def param_table(params: Mapping[str, Param]) -> list[dict[str, str]]:
    """Rows (symbol, meaning, unit, default, range, source) for docs and lessons."""
    rows = []
    for p in params.values():
        rng = " / ".join(p.choices) if p.categorical else f"{_fmt(p.low)} – {_fmt(p.high)}"
        default = str(p.default) if p.categorical else _fmt(float(p.default))
        rows.append(
            {
                "symbol": p.name,
                "meaning": p.doc or p.label,
                "unit": p.unit,
                "default": default,
                "range": rng + (" (log)" if p.log else ""),
                "source": p.source,
            }
        )
    return rows
