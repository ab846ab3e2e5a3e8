"""Shared numerics: a batched fixed-step RK4 integrator and stochastic samplers.

Everything here works on whole batches at once. A state is a tuple of arrays that
broadcast together (the batch shape); outputs put time on the last axis.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import params

__all__ = [
    "BD_CAP",
    "birth_death",
    "choose_step",
    "extinction_probability",
    "gillespie",
    "rk4",
    "solve",
    "tau_leap",
]

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
    # a single run steps with plain floats (numpy's 0-d arrays cost several times more per
    # operation; the arithmetic, and so every number, is the same)
    arrays = [np.asarray(v, dtype=float) for v in y0]
    y: tuple[Any, ...] = tuple(float(v) if v.ndim == 0 else v for v in arrays)
    out: list[list[Any]] = [[v] for v in y]
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
    return tuple(
        np.moveaxis(np.array([np.broadcast_to(v, shape) for v in o[: len(times)]], dtype=float), 0, -1)
        for o in out
    )


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


#: Lesions are followed exactly up to this many cells; one that gets there is held at it
#: (exactly: a lesion is at the cap with its exact probability of having grown that far).
#: 1e12 cells is a lethal tumour burden (about a kilogram), far beyond any question the
#: lessons ask, and it keeps every count well inside int64.
BD_CAP = 10**12


_rng = params.rng


def _bd_transition(b: np.ndarray, d: np.ndarray, dt: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, q) of the linear birth-death process over a time ``dt`` (a number, or an array
    such as the ages of lesions each founded by one cell: ``cascade._one_cell_lesion``).

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
    grow = (k > 0) & (q * cap > 1.0)
    m[grow] += rng.negative_binomial(k[grow], q[grow])
    # lineages whose mean size 1/q is at least the cap: q G -> Exp(1) for a geometric G as
    # q -> 0 (here q <= 1/cap = 1e-12, so the error is below 1e-12), hence the k lineages
    # hold Gamma(k, 1) / q cells; a lesion stays below the cap with its exact probability
    # (it was set to the cap outright before; share below the cap exp(-q cap) for k = 1)
    huge = (k > 0) & (q * cap <= 1.0)
    if huge.any():
        qh = q[huge]
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            extra = np.where(qh > 0, rng.gamma(k[huge].astype(float)) / np.where(qh > 0, qh, 1.0), np.inf)
        m[huge] = np.minimum(k[huge] + np.minimum(extra, float(cap)), cap).astype(np.int64)
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


#: propensities(rows, t, x): the rate (per day) of every reaction, shape (len(rows), reactions),
#: for the runs ``rows`` at their times ``t`` (len(rows),) in the states ``x`` (len(rows), species)
Propensities = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
#: on_fire(rows, t, kind, u): the runs ``rows`` fired reaction ``kind`` at times ``t``; ``u`` holds
#: the ``extra_draws`` uniforms drawn for each of them (for what the model does besides the table)
OnFire = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]


def gillespie(
    x0: ArrayLike,
    stoichiometry: ArrayLike,
    propensities: Propensities,
    t: ArrayLike,
    *,
    seed: int | np.random.Generator | None = None,
    start: float = 0.0,
    breaks: ArrayLike | None = None,
    stop: Callable[[np.ndarray], np.ndarray] | None = None,
    on_fire: OnFire | None = None,
    extra_draws: int = 0,
) -> np.ndarray:
    """Exact stochastic simulation (Gillespie's direct method) of a batch of independent runs.

    ``x0`` holds the starting counts, shape (runs, species); ``stoichiometry`` the change of
    every species when each reaction fires, shape (reactions, species); ``propensities``
    the reactions' rates in the current state. The rates may change with time only at the
    run's ``breaks`` (shape (runs, any); a drug starts, a switch flips): the clock never
    steps across one, it stops there and the rates are asked again, so the sampling stays
    exact. Every run starts at ``start`` and is reported at every time of ``t`` (sorted,
    from ``start`` on): an output time sees the state after every event up to it.

    All runs advance together, one event each per pass (a loop over events, not over runs),
    and a run leaves the arrays when it reaches the last output time, when nothing can
    happen any more (all rates zero and no break ahead) or when ``stop(x)`` (a mask over the
    runs given) says so; its counts are then held. Each pass draws
    ``rng.random((live runs, 2 + extra_draws))`` in that order: the waiting time, the
    reaction, then ``extra_draws`` uniforms handed to ``on_fire`` with the runs that fired.

    Returns int64 counts of shape (runs, species, len(t)).
    """
    times = np.asarray(t, dtype=float)
    if times.ndim != 1 or times.size == 0 or np.any(np.diff(times) < 0) or times[0] < start:
        raise ValueError(f"t must be a non-empty, non-decreasing 1-D array of times from start = {start} on")
    if isinstance(extra_draws, bool) or not isinstance(extra_draws, int) or extra_draws < 0:
        raise ValueError(f"extra_draws = {extra_draws!r} is not allowed: it must be a whole number from 0 up")
    x = np.array(x0, dtype=np.int64)
    nu = np.asarray(stoichiometry, dtype=np.int64)
    if x.ndim != 2 or nu.ndim != 2 or nu.shape[1] != x.shape[1]:
        raise ValueError(
            f"x0 (shape {x.shape}) and stoichiometry (shape {nu.shape}) must be (runs, species) "
            "and (reactions, species)"
        )
    if np.any(x < 0):
        raise ValueError("x0 must hold counts from 0 up")
    n, n_species = x.shape
    rng = _rng(seed)
    T = times.size
    out = np.full((n, n_species, T), -1, dtype=np.int64)
    bps = np.empty((n, 0)) if breaks is None else np.asarray(breaks, dtype=float).reshape(n, -1)
    tcur = np.full(n, float(start))
    ptr = np.zeros(n, dtype=np.intp)
    horizon = float(times[-1])
    live = np.arange(n) if stop is None else np.flatnonzero(~stop(x))
    while live.size:
        tc = tcur[live]
        xl = x[live]
        cum = np.cumsum(np.asarray(propensities(live, tc, xl), dtype=float), axis=-1)
        total = cum[:, -1]
        u = rng.random((live.size, 2 + extra_draws))
        alive = total > 0
        wait = np.where(alive, -np.log1p(-u[:, 0]) / np.where(alive, total, 1.0), np.inf)
        bl = bps[live]
        nxt = np.min(np.where(bl > tc[:, None], bl, np.inf), axis=-1, initial=np.inf)
        t_event = tc + wait
        t_stop = np.minimum(np.minimum(t_event, nxt), horizon)
        event = alive & (t_event <= nxt) & (t_event < horizon)
        # outputs in [tc, t_stop) see the current state: write the first, fill the rest later
        new_ptr = np.searchsorted(times, t_stop, side="left")
        old_ptr = ptr[live]
        write = new_ptr > old_ptr
        out[live[write], :, old_ptr[write]] = xl[write]
        ptr[live] = np.maximum(new_ptr, old_ptr)
        tcur[live] = t_stop
        kind = np.argmax(u[:, 1:2] * total[:, None] < cum, axis=-1)
        x[live] = xl + np.where(event[:, None], nu[kind], 0)
        if on_fire is not None and event.any():
            on_fire(live[event], t_event[event], kind[event], u[event, 2:])
        done = (t_stop >= horizon) | (~alive & ~np.isfinite(nxt))
        if stop is not None:
            done |= stop(x[live])
        live = live[~done]
    # every run's last state fills the outputs it has not reached, then fill forward
    rows = np.flatnonzero(ptr < T)
    out[rows, :, ptr[rows]] = x[rows]
    idx = np.where(out[:, 0, :] >= 0, np.arange(T), 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    filled: np.ndarray = np.take_along_axis(out, idx[:, None, :], axis=2)
    return filled


# ----------------------------------------------------------------------------- batched ODE solver
#
# Shaped like scipy.integrate._ivp: a method is a table of coefficients with a short
# docstring, and one generic loop (``solve``) does the rest for a whole batch of runs at once.
# Each run keeps its own time and step: the loop advances every unfinished run by one step
# of its own size per pass (or rejects it), so one run's result never depends on its
# companions. A step never crosses the run's next output time or event (it lands on it), and
# runs that have reached their last output time leave the arrays.


@dataclass(frozen=True)
class RungeKutta:
    """An explicit Runge-Kutta method, given by its Butcher table.

    Stage 1 is ``f(t, y)``; stage ``i + 2`` is ``f(t + c[i] h, y + h a[i] @ K[:i + 1])``; the
    new state is ``y + h b @ K``. When ``fsal`` ("first same as last") the last row of ``a``
    is ``b``, so the last stage is ``f`` at the new state and serves as the next step's first.
    ``e`` weighs every stage to give the local error estimate (``None``: no estimate, the
    method is for fixed steps only); steps scale as error^(-1 / (order + 1)).
    """

    name: str
    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    e: tuple[float, ...] | None
    order: int
    fsal: bool = False
    #: weights of the stages for the continuous extension (``None``: outputs are landed on)
    dense: tuple[float, ...] | None = None


#: Dormand & Prince (1980, J Comput Appl Math 6:19): the 5(4) pair of scipy's RK45
DOPRI5 = RungeKutta(
    "Dormand-Prince 5(4)",
    c=(1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0),
    a=(
        (1 / 5,),
        (3 / 40, 9 / 40),
        (44 / 45, -56 / 15, 32 / 9),
        (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
        (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
        (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
    ),
    b=(35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0),
    e=(-71 / 57600, 0.0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40),
    order=4,
    fsal=True,
    # Hairer, Norsett & Wanner's continuous extension of order 4 (Shampine 1986): with
    # r2 = y1 - y0, r3 = h k1 - r2, r4 = r2 - h k7 - r3, r5 = h (dense @ K),
    # y(t0 + s h) = y0 + s (r2 + (1 - s) (r3 + s (r4 + (1 - s) r5)))
    dense=(
        -12715105075 / 11282082432,
        0.0,
        87487479700 / 32700410799,
        -10690763975 / 1880347072,
        701980252875 / 199316789632,
        -1453857185 / 822651844,
        69997945 / 29380423,
    ),
)

#: the classical fourth-order Runge-Kutta method (fixed steps; no error estimate)
RK4 = RungeKutta(
    "classical Runge-Kutta 4",
    c=(1 / 2, 1 / 2, 1.0),
    a=((1 / 2,), (0.0, 1 / 2), (0.0, 0.0, 1.0)),
    b=(1 / 6, 1 / 3, 1 / 3, 1 / 6),
    e=None,
    order=4,
)


@dataclass(frozen=True)
class Rosenbrock:
    """A linearly implicit (Rosenbrock) 2(3) pair: stiff-capable, with the Jacobian per run.

    The method of Shampine & Reichelt (1997, SIAM J Sci Comput 18:1; MATLAB's ``ode23s``),
    with ``W = I - h gamma J`` and ``T = df/dt``:

        k1 = W⁻¹ (f(t, y) + h gamma T)
        k2 = W⁻¹ (f(t + h/2, y + h/2 k1) - k1) + k1          y_new = y + h k2
        k3 = W⁻¹ (f(t + h, y_new) - e32 (k2 - F1) - 2 (k1 - F0) + h gamma T)
        error = h/6 (k1 - 2 k2 + k3)

    It is L-stable: a fast mode (an eigenvalue of ``J`` far below zero) costs no small steps,
    only the accuracy of the slow ones. Second order, so for loose tolerances (a plot).
    """

    name: str
    gamma: float
    e32: float
    order: int = 2
    fsal: bool = True


ROS23 = Rosenbrock(
    "Rosenbrock 2(3), Shampine & Reichelt 1997", 1.0 / (2.0 + math.sqrt(2.0)), 6.0 + math.sqrt(2.0)
)

Method = RungeKutta | Rosenbrock
#: f(t, y, args): t has shape (n,) (each run's own time), y (m, n), args a dict of (n,) arrays
BatchRHS = Callable[[np.ndarray, np.ndarray, dict[str, np.ndarray]], np.ndarray]
#: jac(t, y, args) -> (J, T): J of shape (m, m, n) = df_i/dy_j, T of shape (m, n) = df/dt
BatchJac = Callable[[np.ndarray, np.ndarray, dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]
#: next_event(t, args): each run's next event time, strictly after t (inf: none)
NextEvent = Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray]
#: on_event(rows, t, y, args): changes y[:, rows] and args[...][rows]; may return largest next steps
OnEvent = Callable[[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]], Any]


@dataclass
class Solution:
    """``y`` at the output times, shape ``(m, n, len(t))``; ``steps`` taken per run;
    ``passes`` of the batched loop (the batch's cost is about passes x the cost of one step)."""

    y: np.ndarray
    steps: np.ndarray
    passes: int


def _solve_small(W: np.ndarray, r: np.ndarray) -> np.ndarray:
    """W⁻¹ r for a batch: W (m, m, n), r (m, n); 1x1 and 2x2 in closed form."""
    m = W.shape[0]
    if m == 1:
        return r / W[0, 0]
    if m == 2:
        det = W[0, 0] * W[1, 1] - W[0, 1] * W[1, 0]
        return np.stack([W[1, 1] * r[0] - W[0, 1] * r[1], W[0, 0] * r[1] - W[1, 0] * r[0]]) / det
    solved: np.ndarray = np.linalg.solve(np.moveaxis(W, -1, 0), np.moveaxis(r, -1, 0)[..., None])[..., 0].T
    return solved


@dataclass
class _Step:
    """One attempted step for every run of the batch: the new state, ``f`` there, the local
    error estimate (``None`` for a method without one) and the stages (for dense output)."""

    y: np.ndarray
    f: np.ndarray
    err: np.ndarray | None
    K: np.ndarray | None = None


@functools.cache
def _tables(method: RungeKutta) -> tuple[list[np.ndarray], np.ndarray, np.ndarray | None]:
    """The rows of ``a``, ``b`` and ``e`` of a method as arrays (made once per method)."""
    e = None if method.e is None else np.asarray(method.e)
    return [np.asarray(a) for a in method.a], np.asarray(method.b), e


def _combine(w: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``w @ rows`` summed row by row, so that every run's numbers are the same whatever the
    width of the batch (a BLAS product blocks and rounds differently for different widths)."""
    return (w[:, None] * rows).sum(axis=0)


def _rk_step(
    method: RungeKutta,
    fun: BatchRHS,
    t: np.ndarray,
    y: np.ndarray,
    f0: np.ndarray,
    hh: np.ndarray,
    args: dict[str, np.ndarray],
    K: np.ndarray,
    want_err: bool,
) -> _Step:
    """A Runge-Kutta step; the stages go into ``K`` (shape (stages, m, n), reused)."""
    n_stages, m, n = K.shape
    a_rows, b, e = _tables(method)
    flat = K.reshape(n_stages, m * n)
    K[0] = f0
    ys = y
    for i, a in enumerate(a_rows):
        ys = _combine(a, flat[: i + 1]).reshape(m, n)
        ys *= hh
        ys += y
        K[i + 1] = fun(t + method.c[i] * hh, ys, args)
    if method.fsal:
        y_new, f_new = ys, K[-1]  # a view: the caller copies it out before the next step
    else:
        y_new = _combine(b, flat).reshape(m, n)
        y_new *= hh
        y_new += y
        f_new = fun(t + hh, y_new, args)
    err = None
    if want_err and e is not None:
        err = _combine(e, flat).reshape(m, n)
        err *= hh
    return _Step(y_new, f_new, err, K)


def _rosenbrock_step(
    method: Rosenbrock,
    fun: BatchRHS,
    jac: BatchJac,
    t: np.ndarray,
    y: np.ndarray,
    f0: np.ndarray,
    hh: np.ndarray,
    args: dict[str, np.ndarray],
) -> _Step:
    """A step of the Rosenbrock 2(3) pair (see ``Rosenbrock``)."""
    J, dT = jac(t, y, args)
    gh = method.gamma * hh
    W = -gh * J
    for i in range(y.shape[0]):
        W[i, i] += 1.0
    k1 = _solve_small(W, f0 + gh * dT)
    f1 = fun(t + hh / 2, y + hh / 2 * k1, args)
    k2 = _solve_small(W, f1 - k1) + k1
    y_new = y + hh * k2
    f_new = fun(t + hh, y_new, args)
    k3 = _solve_small(W, f_new - method.e32 * (k2 - f1) - 2.0 * (k1 - f0) + gh * dT)
    return _Step(y_new, f_new, hh / 6.0 * (k1 - 2.0 * k2 + k3), np.stack([k1, k2]))


def _dense_values(
    d_w: np.ndarray,
    K: np.ndarray,
    y0: np.ndarray,
    y1: np.ndarray,
    hh: np.ndarray,
    pos: np.ndarray | None,
    th: np.ndarray,
) -> np.ndarray:
    """Dormand-Prince's continuous extension (weights ``d_w``) for the steps from ``y0`` to
    ``y1`` of sizes ``hh`` with the stages ``K`` (the chosen runs only), at the fractions
    ``th`` of the steps ``pos`` (one step may be asked for at several fractions; ``None``:
    each step once, in order)."""
    r2 = y1 - y0
    r3 = hh * K[0] - r2
    r4 = r2 - hh * K[-1] - r3
    r5 = hh * np.tensordot(d_w, K, axes=1)
    if pos is not None:
        y0, r2, r3, r4, r5 = (a[:, pos] for a in (y0, r2, r3, r4, r5))
    values: np.ndarray = y0 + th * (r2 + (1 - th) * (r3 + th * (r4 + (1 - th) * r5)))
    return values


def _rosenbrock_dense(
    gamma: float,
    K: np.ndarray,
    y0: np.ndarray,
    hh: np.ndarray,
    pos: np.ndarray | None,
    th: np.ndarray,
) -> np.ndarray:
    """The Rosenbrock 2(3) pair's continuous extension (Shampine & Reichelt 1997, second
    order): ``y0 + h (th (1 - th) k1 + th (th - 2 gamma) k2) / (1 - 2 gamma)``, which gives
    ``y0`` at ``th = 0`` and the step's ``y0 + h k2`` at ``th = 1``."""
    k1, k2 = hh * K[0], hh * K[1]
    if pos is not None:
        y0, k1, k2 = (a[:, pos] for a in (y0, k1, k2))
    values: np.ndarray = y0 + (th * (1.0 - th) * k1 + th * (th - 2.0 * gamma) * k2) / (1.0 - 2.0 * gamma)
    return values


def solve(
    fun: BatchRHS,
    y0: ArrayLike,
    t_eval: ArrayLike,
    *,
    args: dict[str, np.ndarray] | None = None,
    method: Method = DOPRI5,
    atol: float = 1e-8,
    rtol: float = 0.0,
    weights: ArrayLike | None = None,
    h: ArrayLike | None = None,
    first_step: ArrayLike | None = None,
    max_step: float = math.inf,
    min_step: float = 1e-9,
    jac: BatchJac | None = None,
    next_event: NextEvent | None = None,
    on_event: OnEvent | None = None,
    dense_output: bool = False,
) -> Solution:
    """Integrate ``dy/dt = fun(t, y, args)`` for a batch of ``n`` runs; ``y0`` has shape (m, n).

    Every run starts at ``t_eval[0]`` and is reported at every time of ``t_eval`` (sorted;
    repeats allowed). ``args`` holds per-run constants, arrays of shape (n,), which the loop
    shrinks with the batch as runs finish; ``fun`` only ever sees the unfinished runs.

    Step control (when ``h`` is None): a step is accepted when, for every component ``i``,
    ``weights[i] |err_i| <= atol + rtol |y_i|``; the next step is ``0.9 err^(-1/(order+1))``
    times this one (between 0.2 and 5 times), within ``[min_step, max_step]``; a step of
    ``min_step`` is always taken, so the loop ends. ``first_step`` (per run) defaults to
    ``min(max_step, span / 100)``. With ``h`` (a number or one per run) every step is ``h``
    except where it is cut short to land on an output or event time.

    Events: ``next_event(t, args)`` gives each run's next event time (``inf``: none), strictly
    after ``t``. A step lands on it; then ``on_event(rows, t, y, args)`` changes ``y[:, rows]``
    and ``args[...][rows]`` in place (a dose, a switch) and may return, per row, a largest
    next step (or None). Outputs at an event time show the state after the event.
    ``jac`` (for ``Rosenbrock``) returns the Jacobian and ``df/dt`` for the batch.
    ``dense_output`` (for a method with a continuous extension: ``DOPRI5``, order 4, and
    ``ROS23``, order 2): steps no longer land on every output time; outputs inside a step are
    interpolated, so that closely spaced outputs cost no steps. Events and the last output
    are still landed on.
    """
    times = np.asarray(t_eval, dtype=float)
    y = np.array(y0, dtype=float)
    m, n = y.shape
    T = times.size
    run_args = {k: np.array(np.broadcast_to(v, (n,))) for k, v in (args or {}).items()}
    out = np.empty((m, n, T))
    out[:, :, 0] = y
    steps_all = np.zeros(n, dtype=np.int64)
    fixed = h is not None
    if isinstance(method, RungeKutta) and method.e is None and not fixed:
        raise ValueError(f"{method.name} has no error estimate: give a fixed step h")
    if isinstance(method, Rosenbrock) and jac is None:
        raise ValueError(f"{method.name} needs the Jacobian: give jac")
    if (next_event is None) != (on_event is None):
        raise ValueError("next_event and on_event go together: give both or neither")
    d_w = method.dense if isinstance(method, RungeKutta) else None
    if dense_output and isinstance(method, RungeKutta) and d_w is None:
        raise ValueError(f"{method.name} has no continuous extension: dense_output is not available")
    dense = dense_output
    d_arr = np.asarray(d_w if d_w is not None else (), dtype=float)
    w = None if weights is None else np.asarray(weights, dtype=float).reshape(m, 1) / atol
    span = float(times[-1] - times[0])
    if fixed:
        h_run = np.array(np.broadcast_to(np.asarray(h, dtype=float), (n,)))
    elif first_step is None:
        h_run = np.full(n, min(max_step, max(span / 100.0, min_step)))
    else:
        h_run = np.array(np.broadcast_to(np.asarray(first_step, dtype=float), (n,)))
    t = np.full(n, float(times[0]))
    k_out = np.ones(n, dtype=np.intp)
    while k_out[0] < T and times[k_out[0]] == times[0]:  # outputs repeated at the start
        out[:, :, k_out[0]] = y
        k_out += 1
    rows = np.arange(n)
    steps = np.zeros(n, dtype=np.int64)
    ev = next_event(t, run_args) if next_event is not None else np.full(n, np.inf)
    t_pad = np.append(times, np.inf)
    power = -1.0 / (method.order + 1)
    f0 = fun(t, y, run_args)  # f at every run's current state
    passes = 0
    K: np.ndarray = np.empty((len(method.a) + 1 if isinstance(method, RungeKutta) else 0, m, n))

    def sub(idx: np.ndarray) -> dict[str, np.ndarray]:
        return {k: v[idx] for k, v in run_args.items()}

    with np.errstate(all="ignore"):
        while n and k_out.min(initial=T) < T:
            passes += 1
            t_out = t_pad[k_out]
            target = np.where(k_out < T, times[-1], np.inf) if dense else t_out
            if next_event is not None:
                target = np.minimum(target, ev)
            gap = target - t
            clipped = h_run * (1.0 + 1e-9) >= gap
            hh = np.where(clipped, gap, h_run)
            # ---- one step of the method for every run
            if isinstance(method, RungeKutta):
                if K.shape[2] != n:
                    K = np.empty((K.shape[0], m, n))
                st = _rk_step(method, fun, t, y, f0, hh, run_args, K, not fixed)
            else:
                assert jac is not None  # checked above
                st = _rosenbrock_step(method, fun, jac, t, y, f0, hh, run_args)
            # ---- accept or reject, next step
            err = None if fixed else st.err  # a fixed step is taken as given
            if err is None:
                ok = np.ones(n, dtype=bool)
                h_next = h_run
            else:
                np.abs(err, out=err)
                if rtol:
                    err /= atol + rtol * np.maximum(np.abs(y), np.abs(st.y))
                    if w is not None:
                        err *= w * atol
                elif w is not None:
                    err *= w
                else:
                    err *= 1.0 / atol
                e = err.max(axis=0)
                ok = (e <= 1.0) | (hh <= min_step)  # NaN fails and shrinks the step
                grown = np.fmax(0.9 * e**power, 0.2)
                np.fmin(grown, 5.0, out=grown)
                grown *= hh
                h_next = np.where(ok & clipped, np.maximum(grown, h_run), grown)
                np.clip(h_next, min_step, max_step, out=h_next)
            landed = ok & clipped
            if dense:  # outputs strictly inside the step, from the continuous extension
                t_end = np.where(clipped, target, t + hh)
                pend = np.flatnonzero(ok & (t_out < t_end))
                if pend.size:  # every output of every such step at once
                    k_hi = np.searchsorted(times, t_end[pend], side="left")
                    count = k_hi - k_out[pend]
                    if count.max() == 1:  # the usual case: one output in each such step
                        pos, k_all, run = None, k_out[pend], pend
                    else:
                        pos = np.repeat(np.arange(pend.size), count)
                        k_all = np.arange(pos.size) - np.repeat(np.cumsum(count) - count, count)
                        k_all += k_out[pend][pos]
                        run = pend[pos]
                    th = ((times[k_all] - t[run]) / hh[run])[None]
                    if isinstance(method, Rosenbrock):
                        assert st.K is not None
                        values = _rosenbrock_dense(
                            method.gamma, st.K[:, :, pend], y[:, pend], hh[pend], pos, th
                        )
                    else:
                        values = _dense_values(
                            d_arr, K[:, :, pend], y[:, pend], st.y[:, pend], hh[pend], pos, th
                        )
                    out[:, rows[run], k_all] = values
                    k_out[pend] = k_hi
                    t_out[pend] = t_pad[k_hi]
            np.copyto(t, target, where=landed)
            np.add(t, hh, out=t, where=ok & ~clipped)
            np.copyto(y, st.y, where=ok)
            np.copyto(f0, st.f, where=ok)
            h_run = h_next
            steps += ok
            # ---- events (a dose, a switch) where a run has landed on one
            if next_event is not None and on_event is not None:
                hit_ev = np.flatnonzero(landed & (target == ev))
                if hit_ev.size:
                    cap = on_event(hit_ev, t, y, run_args)
                    ev[hit_ev] = next_event(t[hit_ev], sub(hit_ev))
                    if np.any(ev[hit_ev] <= t[hit_ev]):  # the loop would land on it for ever
                        raise ValueError(
                            "next_event returned a time that is not after the event just handled: "
                            "it must give each run's next event strictly after t"
                        )
                    if cap is not None and not fixed:
                        h_run[hit_ev] = np.minimum(h_run[hit_ev], cap)
                    f0[:, hit_ev] = fun(t[hit_ev], y[:, hit_ev], sub(hit_ev))
            # ---- outputs (every repeat of the same time)
            hit = np.flatnonzero((ok & (t == t_out)) if dense else (landed & (target == t_out)))
            if hit.size:
                while hit.size:
                    out[:, rows[hit], k_out[hit]] = y[:, hit]
                    k_out[hit] += 1
                    hit = hit[t_pad[k_out[hit]] == t[hit]]
                # drop finished runs once they are an eighth of the arrays (until then they
                # step on harmlessly past the end: nothing more is recorded for them)
                live = k_out < T
                if 8 * (n - np.count_nonzero(live)) >= n:
                    steps_all[rows] = steps
                    n = int(np.count_nonzero(live))
                    rows, t, h_run, k_out, ev, steps = (a[live] for a in (rows, t, h_run, k_out, ev, steps))
                    y, f0 = y[:, live], f0[:, live]
                    run_args = sub(live)
    steps_all[rows] = steps
    return Solution(out, steps_all, passes)
