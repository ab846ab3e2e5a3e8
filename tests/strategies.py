"""Test helpers shared by the model and explorer tests: strategies drawn from ``Param``."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from dormancy_widgets.models.params import Param


def param_strategy(p: Param) -> st.SearchStrategy:
    """Values anywhere in a parameter's declared range (log-uniform for log parameters)."""
    if p.categorical:
        return st.sampled_from(p.choices)
    if p.integer:
        if p.log:
            return st.floats(math.log10(p.low), math.log10(p.high)).map(
                lambda e: float(min(max(round(10**e), p.low), p.high))
            )
        return st.integers(int(p.low), int(p.high)).map(float)
    if p.log:
        return st.floats(math.log10(p.low), math.log10(p.high)).map(
            lambda e: float(min(max(10**e, p.low), p.high))
        )
    return st.floats(p.low, p.high, allow_nan=False, allow_infinity=False)


def params_strategy(params: dict[str, Param]) -> st.SearchStrategy:
    return st.fixed_dictionaries({name: param_strategy(p) for name, p in params.items()})


def assert_finite_nonnegative(result) -> None:
    for name, arr in result.states().items():
        arr = np.asarray(arr, dtype=float)
        assert np.all(np.isfinite(arr)), f"{name} has non-finite values"
        assert np.all(arr >= 0), f"{name} has negative values (min {arr.min()})"
