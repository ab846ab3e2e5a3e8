"""Shared numerics: a batched fixed-step RK4 integrator and stochastic samplers.

Everything here works on whole batches at once. A state is a tuple of arrays that
broadcast together (the batch shape); outputs put time on the last axis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import params

__all__ = ["BD_CAP", "birth_death", "choose_step", "extinction_probability", "rk4", "tau_leap"]

State = tuple[np.ndarray, ...]
RHS = Callable[[float, State], Sequence[np.ndarray]]


def rk4(rhs: RHS, y0: Sequence[ArrayLike], t: ArrayLike, *, h: float) -> State:
    """Integrate ``dy/dt = rhs(t, y)`` with the classical Runge-Kutta method.

    ``y0`` is a tuple of arrays (one per state variable) that broadcast with whatever
    parameter arrays ``rhs`` closes over. Each output interval ``[t[i], t[i+1]]`` is cut
    into ``ceil(dt / h)`` equal steps, so every step is at most ``h`` and the output times
    are hit exactly. Returns one array per state, shape ``batch_shape + (len(t),)``.

    The global error of RK4 falls as ``h**4``; ``choose_step`` finds an ``h`` that meets a
    tolerance, and each model's tests check its default step against ``solve_ivp``.
    """
    if not (h > 0 and math.isfinite(h)):
        raise ValueError(f"h = {h} is not allowed: the step must be a positive finite number")
    times = np.asarray(t, dtype=float)
    y = tuple(np.asarray(v, dtype=float) for v in y0)
    out: list[list[np.ndarray]] = [[v] for v in y]
    for i in range(len(times) - 1):
        span = times[i + 1] - times[i]
        n = max(1, math.ceil(span / h - 1e-9)) if span > 0 else 0
        dt = span / n if n else 0.0
        tc = float(times[i])
        for _ in range(n):
            k1 = rhs(tc, y)
            k2 = rhs(tc + dt / 2, tuple(v + dt / 2 * k for v, k in zip(y, k1)))
            k3 = rhs(tc + dt / 2, tuple(v + dt / 2 * k for v, k in zip(y, k2)))
            k4 = rhs(tc + dt, tuple(v + dt * k for v, k in zip(y, k3)))
            y = tuple(v + dt / 6 * (a + 2 * b + 2 * c + d) for v, a, b, c, d in zip(y, k1, k2, k3, k4))
            tc += dt
        for o, v in zip(out, y):
            o.append(v)
    shape = np.broadcast_shapes(*(np.shape(v) for o in out for v in o))
    return tuple(np.stack([np.broadcast_to(v, shape) for v in o[: len(times)]], axis=-1) for o in out)


def choose_step(
    rhs: RHS,
    y0: Sequence[ArrayLike],
    t: ArrayLike,
    *,
    rtol: float = 1e-8,
    h0: float | None = None,
    min_h: float = 1e-6,
) -> float:
    """Halve the RK4 step until two successive solutions agree to ``rtol`` (relative).

    Used by tests and benchmarks to justify each model's default step; the widgets use the
    fixed default so that a slider never pays for the search.
    """
    times = np.asarray(t, dtype=float)
    h = h0 if h0 is not None else max((times[-1] - times[0]) / 16, min_h)
    prev = rk4(rhs, y0, times, h=h)
    while h > min_h:
        h /= 2
        cur = rk4(rhs, y0, times, h=h)
        err = max(float(np.max(np.abs(c - p) / np.maximum(np.abs(c), 1e-300))) for c, p in zip(cur, prev))
        if err <= rtol:
            return h * 2
        prev = cur
    return h


#: Lesions are followed exactly up to this many cells; one that gets there is held at it.
#: 1e12 cells is a lethal tumour burden (about a kilogram), far beyond any question the
#: lessons ask, and it keeps every count well inside int64.
BD_CAP = 10**12


_rng = params.rng


def _bd_transition(b: np.ndarray, d: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, q) of the linear birth-death process over a time ``dt``.

    One cell leaves no descendants with probability ``alpha``; otherwise it leaves a
    geometric number ``k >= 1`` of them, ``P(k) = q (1 - q)**(k-1)`` (Kendall 1948).
    With ``r = b - d`` and ``phi = (exp(r dt) - 1) / r`` (``phi -> dt`` as ``r -> 0``):
    ``alpha = d phi / (1 + b phi)`` and ``q = 1 / (1 + b phi)``; the mean lineage size is
    ``1 / q``. When ``phi`` overflows, ``alpha`` takes its limit ``d / b`` and ``q`` is 0.
    """
    r = b - d
    rt = r * dt
    small = np.abs(rt) < 1e-8
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        phi = np.where(small, dt * (1.0 + rt / 2.0), np.expm1(rt) / np.where(small, 1.0, r))
        q = 1.0 / (1.0 + b * phi)
        alpha = np.where(np.isinf(phi), d / np.where(b > 0, b, 1.0), d * phi * q)
    return alpha, q


def _bd_step(
    rng: np.random.Generator, n: np.ndarray, b: np.ndarray, d: np.ndarray, dt: float, cap: int
) -> np.ndarray:
    """One exact step of ``dt`` days for lesions of ``n`` cells (all alive, below the cap)."""
    alpha, q = _bd_transition(b, d, dt)
    k = rng.binomial(n, 1.0 - alpha)
    m = np.minimum(k, cap)
    # lineages whose mean size already exceeds the cap are set to the cap outright
    grow = (k > 0) & (q * cap > 1.0)
    m[grow] += rng.negative_binomial(k[grow], q[grow])
    m[(k > 0) & (q * cap <= 1.0)] = cap
    return np.minimum(m, cap)


def extinction_probability(birth: ArrayLike, death: ArrayLike, n0: ArrayLike = 1) -> np.ndarray:
    """Probability that a lesion of ``n0`` cells eventually dies out: ``min(1, d/b) ** n0``."""
    b = np.asarray(birth, dtype=float)
    d = np.asarray(death, dtype=float)
    with np.errstate(divide="ignore"):
        q = np.where(b > d, d / np.where(b > 0, b, 1.0), 1.0)
    return q ** np.asarray(n0, dtype=float)


def birth_death(
    n0: ArrayLike,
    birth: ArrayLike,
    death: ArrayLike,
    t: ArrayLike,
    *,
    seed: int | np.random.Generator | None = None,
    cap: int = BD_CAP,
) -> np.ndarray:
    """Cell counts of many independent linear birth-death lesions at the times ``t``.

    Each cell divides at rate ``birth`` and dies at rate ``death`` (per day); ``n0``,
    ``birth`` and ``death`` broadcast to the batch shape. The sampling is exact in
    distribution: over each output interval a lesion of ``n`` cells keeps
    ``K ~ Binomial(n, 1 - alpha)`` surviving lineages, and those hold
    ``K + NegativeBinomial(K, q)`` cells (a sum of ``K`` geometric lineages).
    Extinct and capped lesions leave the working arrays, so work shrinks as lesions die.

    Returns int64 counts of shape ``batch_shape + (len(t),)``; ``t[0]`` holds ``n0``.
    """
    times = np.asarray(t, dtype=float)
    if times.ndim != 1 or times.size == 0 or np.any(np.diff(times) < 0):
        raise ValueError("t must be a non-empty, non-decreasing 1-D array of times")
    n0a, ba, da = np.broadcast_arrays(
        np.asarray(n0), np.asarray(birth, dtype=float), np.asarray(death, dtype=float)
    )
    for name, arr in (("n0", n0a), ("birth", ba), ("death", da)):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError(f"{name} must be finite and non-negative")
    shape = n0a.shape
    rng = _rng(seed)
    out = np.zeros((int(np.prod(shape, dtype=int)), times.size), dtype=np.int64)
    n = np.minimum(n0a.reshape(-1).astype(np.int64), cap)
    out[:, 0] = n
    live = np.flatnonzero((n > 0) & (n < cap))
    b_all, d_all = ba.reshape(-1), da.reshape(-1)
    capped = np.flatnonzero(n >= cap)
    for j in range(1, times.size):
        out[capped, j] = cap
        dt = times[j] - times[j - 1]
        if live.size and dt > 0:
            n[live] = _bd_step(rng, n[live], b_all[live], d_all[live], dt, cap)
        if live.size:
            out[live, j] = n[live]
            hit = n[live] >= cap
            if hit.any():
                capped = np.concatenate([capped, live[hit]])
            live = live[(n[live] > 0) & ~hit]
    return out.reshape(shape + (times.size,))


def tau_leap(
    n0: ArrayLike,
    rates: Callable[[float, np.ndarray], tuple[np.ndarray, np.ndarray]],
    t: ArrayLike,
    *,
    dt: float,
    seed: int | np.random.Generator | None = None,
    cap: int = BD_CAP,
) -> np.ndarray:
    """Binomial leaping for birth-death lesions whose per-cell rates change with time or size.

    ``rates(time, n)`` returns per-cell ``(birth, death)`` rates (per day) for the counts
    ``n`` (any shape broadcasting with ``n0``). The rates are frozen over each step of at most
    ``dt`` days and the step is then taken exactly, as in ``birth_death``: binomial surviving
    lineages, negative-binomial growth. With constant rates this is exact for any ``dt``;
    otherwise the only error is from freezing the rates, first order in ``dt`` times their
    rate of change. Counts never go negative.
    """
    if not (dt > 0 and math.isfinite(dt)):
        raise ValueError(f"dt = {dt} is not allowed: the tau-leap step must be positive and finite")
    times = np.asarray(t, dtype=float)
    if times.ndim != 1 or times.size == 0 or np.any(np.diff(times) < 0):
        raise ValueError("t must be a non-empty, non-decreasing 1-D array of times")
    rng = _rng(seed)
    n = np.minimum(np.asarray(n0).astype(np.int64), cap)
    out = [n.copy()]
    tc = float(times[0])
    for j in range(1, times.size):
        span = times[j] - times[j - 1]
        steps = max(1, math.ceil(span / dt - 1e-9)) if span > 0 else 0
        h = span / steps if steps else 0.0
        for _ in range(steps):
            b, d = rates(tc, n)
            b, d = np.broadcast_arrays(np.asarray(b, dtype=float), np.asarray(d, dtype=float))
            n, b, d = (np.array(a) for a in np.broadcast_arrays(n, b, d))
            alive = (n > 0) & (n < cap)
            if alive.any():
                n[alive] = _bd_step(rng, n[alive], b[alive], d[alive], h, cap)
            tc += h
        out.append(np.array(n, copy=True))
    shape = np.broadcast_shapes(*(o.shape for o in out))
    return np.stack([np.broadcast_to(o, shape) for o in out], axis=-1)
