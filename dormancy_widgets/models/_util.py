"""Small array helpers shared by the mechanism modules (numpy only).

Each does one thing every model needs and used to write for itself: hand a 0-d result back
as a Python number, flatten a parameter batch into one axis, find the output interval in
which a series first reaches a level, count events by output time, and divide where the
denominator allows it (``nan`` or another fill elsewhere, without a warning). Random numbers have one source
too: ``params.rng``; declarations have theirs in ``params`` (``declare``, ``from_defaults``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["counts_by_time", "first_reached", "flatten", "ratio", "scalar"]


def scalar(x: ArrayLike, dtype: Any = float) -> Any:
    """``x`` as an array of ``dtype`` (``None``: keep its own), or a Python number when 0-d.

    A single run's ``summary()`` gives plain floats (bools, ints, strings with ``dtype=None``
    or ``dtype=bool``); a batch gives arrays of the batch shape.
    """
    arr = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    return arr.item() if arr.ndim == 0 else arr


def ratio(a: ArrayLike, b: ArrayLike, where: ArrayLike | None = None, fill: float = math.nan) -> np.ndarray:
    """``a / b`` as a float array where ``where`` holds, ``fill`` elsewhere, with no warning.

    By default a ratio is defined where both are finite and ``b > 0`` (the denominators of
    the models are counts, sizes, rates and times). ``summary()`` reports ``nan`` for a share
    or ratio without a denominator (plots never receive it); a time to an event that never
    comes is ``fill=inf``, an empty share ``fill=0``. The usual ``np.where(b > 0, a /
    np.where(b > 0, b, 1), fill)``, with one division and no placeholder.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b) & (b > 0) if where is None else np.asarray(where, dtype=bool)
    out = np.full(np.broadcast_shapes(a.shape, b.shape, ok.shape), fill)
    return np.divide(a, b, out=out, where=ok)


def flatten(values: Mapping[str, Any], shape: tuple[int, ...], *, trailing: int = 0) -> dict[str, np.ndarray]:
    """Each value broadcast to ``shape`` and laid out on one axis (row-major, like ``reshape(-1)``).

    ``trailing`` adds that many length-1 axes to each value first, so that parameters of
    ``batch_shape`` broadcast against a ``shape`` with extra trailing axes (lesions, cells).
    """
    out = {}
    for k, v in values.items():
        arr = np.asarray(v)
        arr = arr.reshape(arr.shape + (1,) * trailing)
        out[k] = np.broadcast_to(arr, shape).reshape(-1)
    return out


def first_reached(reached: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a series first reaches a level, along the last (time) axis.

    ``reached`` is a boolean array (``y >= level``, with any extra condition). Returns
    ``(hit, before, at)``: whether it ever does, the index of the output time just before the
    first ``True`` (0 when that is the first time) and the index of the first ``True`` (0 when
    it never is). Callers interpolate between ``before`` and ``at`` in their own way.
    """
    hit = np.asarray(reached.any(axis=-1))
    at = np.argmax(reached, axis=-1)
    before = np.maximum(at - 1, 0)
    return hit, before, at


def counts_by_time(event: np.ndarray, group: np.ndarray, times: np.ndarray, n_groups: int) -> np.ndarray:
    """How many events of each group have happened by each output time: shape (groups, times).

    ``event`` holds the event times (``inf``: never), ``group`` the batch member of each.
    """
    n_t = times.size
    j = np.searchsorted(times, event, side="left")  # first output time at or after the event
    keep = j < n_t
    c = np.bincount(group[keep] * n_t + j[keep], minlength=n_groups * n_t).reshape(n_groups, n_t)
    return np.cumsum(c, axis=1)
