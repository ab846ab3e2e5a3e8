"""Immune-mediated dormancy: effector cells holding a tumour at a small, steady size.

Kuznetsov, Makalkin, Taylor and Perelson (1994, Bull Math Biol 56:295) fitted two equations
to BCL1 lymphoma in the spleen of mice. ``E`` counts effector (cytotoxic) cells, ``T``
tumour cells; time is in days:

* dE/dt = s + p E T / (g + T) − m E T − d E
* dT/dt = a T (1 − b T) − n E T

Term by term:

* ``s``: effector cells arrive at a constant rate whether or not there is a tumour;
* ``p E T / (g + T)``: the tumour stimulates effector proliferation, saturating once the
  tumour is much larger than ``g`` cells (a Michaelis-Menten form);
* ``m E T``: effector cells are inactivated by the tumour cells they meet;
* ``d E``: effector cells die or leave at a constant per-cell rate;
* ``a T (1 − b T)``: without immunity the tumour grows logistically up to ``1/b`` cells;
* ``n E T``: tumour cells are killed at a rate proportional to both populations
  (mass action).

The default values are the published fit as listed in BioModels BIOMD0000000762:
s 1.3e4 cells/day, p 0.1245 /day, g 2.019e7 cells, m 3.422e-10 /cell/day, d 0.0412 /day,
a 0.18 /day, b 2.0e-9 /cell, n 1.101e-7 /cell/day, starting from E0 = 3.2e5 and T0 = 5e6
cells. Kuznetsov et al. worked in units of 1e6 cells and of 1/(n · 1e6) = 9.083 days; in
those units the parameters are σ = 0.1181, ρ = 1.131, η = 20.19, μ = 0.00311,
δ = 0.3743, α = 1.636, β = 0.002 (``nondimensional`` recomputes them).

**What the model shows.** Setting both rates to zero gives the equilibria. The tumour-free
state (T = 0, E = s/d) is one; the others lie where the tumour nullcline
E = a (1 − b T)/n meets the effector nullcline, a cubic in T that ``steady_states`` solves
exactly. At the published values there are four equilibria: a tumour-free *saddle* (a few
tumour cells always grow), a stable *focus* at about 8e6 tumour cells (the **dormant**
state: a small tumour held in check, approached in slowly damped oscillations), a second
saddle (a threshold: its stable manifold separates the two basins) and a stable *node*
near 4.5e8 cells (the tumour has **escaped**). Which one a tumour reaches depends on where
it starts: the model is bistable. Raising the effector supply ``s`` above a d / n makes
the tumour-free state stable (**elimination**). These are the three phases of immune
control, elimination, equilibrium and escape, that Koebel et al. (2007, Nature 450:903)
showed in mice: tumours held in an immune-maintained equilibrium grew out when T cells
or IFN-γ were removed. CD8+ T cells and IFN-γ maintain immune dormancy in a B-cell
lymphoma (Farrar et al. 1999, J Immunol 162:2842, cited by Udagawa 2008, APMIS 116:615).

**Immunosuppression.** From day ``t_supp`` on, the tumour-stimulated recruitment ``p`` is
cut by the fraction ``supp`` (p becomes p (1 − supp)), a stand-in for drugs or antibodies
that blunt the T-cell response. When the cut is large enough the dormant focus merges with
the saddle and disappears, or the state the tumour had reached lies outside the shrunken
basin of the dormant state, and the tumour escapes. How suppression acts is a teaching
choice, not part of the 1994 fit.

**Numerics.** The equations are integrated with the shared RK4 integrator in the
variables (E, ln T): the tumour spans ten orders of magnitude (from one cell to 5e8) and
ln T keeps it positive whatever the step. The default step ``H_DEFAULT`` = 0.5 day was
found with ``solvers.choose_step`` and agrees with scipy's ``solve_ivp`` on the untransformed
equations to better than 1e-6 (relative) at the published values.

**Where the model is too simple.** Effector cells are one population with no memory,
no exhaustion and no delay between stimulation and killing; the tumour is one clone that
cannot be edited by the immune pressure (Koebel found tumours unedited in equilibrium but
edited on escape); the immune system reaches the whole tumour at once (no space); cell
numbers are continuous, so a tumour of 1e-30 "cells" still regrows in principle (read
fewer than one cell as eliminated); and the fit comes from one mouse lymphoma.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .base import Result
from .params import Param, Preset, batch_shape, validate, validate_time
from .solvers import rk4

__all__ = [
    "DEFAULT_T",
    "DORMANT_FRACTION",
    "ESCAPE_CELLS",
    "H_DEFAULT",
    "KINDS",
    "PARAMS",
    "PRESETS",
    "PUBLISHED_NONDIM",
    "PUBLISHED_TAU_DAYS",
    "ROLES",
    "SCALE",
    "STOCHASTIC",
    "Equilibria",
    "Equilibrium",
    "ImmuneResult",
    "classify",
    "escape_threshold",
    "from_nondimensional",
    "jacobian",
    "nondimensional",
    "nullclines",
    "rhs",
    "simulate",
    "steady_states",
    "step",
]

STOCHASTIC = False
#: 1000 days at 4-day resolution (25 points per swing): about ten periods of the damped
#: oscillation (period about 99 days, amplitude shrinking e-fold every 180 days at the
#: published values)
DEFAULT_T = np.linspace(0.0, 1000.0, 251)

#: RK4 step in days. ``solvers.choose_step(..., rtol=1e-7, h0=4)`` on DEFAULT_T at the
#: published values returns 0.5 (it measures ln T relative to ln T, about 15, hence the
#: tighter tolerance); every preset then agrees with solve_ivp (DOP853, rtol 1e-12) to
#: 1.4e-7 relative or better in E and T (tests/test_immune.py checks both). A step of 1 day
#: would miss 1e-6 (2e-6 in T).
H_DEFAULT = 0.5

#: Kuznetsov et al. measure both populations in units of 1e6 cells.
SCALE = 1e6

#: A tumour above 1e8 cells (0.1 cm³, a fifth of the fitted capacity 1/b = 5e8) has left
#: the dormant state for good at the published values: the saddle lies at 2.7e8 cells and
#: every trajectory still above 1e8 at the end of a run is heading for the large-tumour
#: node. A teaching threshold for "escape", not a number from the paper.
ESCAPE_CELLS = 1e8

#: A stable equilibrium with fewer than this fraction of the capacity 1/b is called
#: dormant (the published dormant focus holds 1.6% of 1/b, the large-tumour node 89%).
#: A naming choice for the readouts, not a number from the paper.
DORMANT_FRACTION = 0.1

#: Below one cell a tumour counts as eliminated (the model's cell numbers are continuous).
ONE_CELL = 1.0

#: Kuznetsov et al. 1994's dimensionless parameters and the length of one unit of their
#: time in days (REFERENCES.md §4, read from BioModels BIOMD0000000762): published values
#: for comparison, never used by the model (``nondimensional`` computes its own).
PUBLISHED_NONDIM = {
    "sigma": 0.1181,
    "rho": 1.131,
    "eta": 20.19,
    "mu": 0.00311,
    "delta": 0.3743,
    "alpha": 1.636,
    "beta": 0.002,
}
PUBLISHED_TAU_DAYS = 9.083

KINDS = ("stable focus", "stable node", "saddle", "unstable focus", "unstable node", "centre", "degenerate")
ROLES = ("tumour-free", "dormant", "threshold", "large tumour", "unstable")

_BIOMODELS = "Kuznetsov et al. 1994 fit, BioModels BIOMD0000000762"
_TEACHING = "teaching choice"

PARAMS: dict[str, Param] = {
    p.name: p
    for p in (
        Param(
            "s",
            1.3e4,
            1e3,
            1e5,
            unit="cells/day",
            label="s, effector supply",
            doc="effector cells arriving per day regardless of the tumour",
            log=True,
            source=_BIOMODELS,
        ),
        Param(
            "p",
            0.1245,
            0.0,
            0.5,
            unit="/day",
            label="p, recruitment by tumour",
            doc="maximal rate at which the tumour stimulates effector proliferation",
            source=_BIOMODELS,
        ),
        Param(
            "g",
            2.019e7,
            1e6,
            1e9,
            unit="cells",
            label="g, half-saturation",
            doc="tumour size at which recruitment is half its maximum",
            log=True,
            source=_BIOMODELS,
        ),
        Param(
            "m",
            3.422e-10,
            3.4e-11,
            1.7e-9,
            unit="/cell/day",
            label="m, effector inactivation",
            doc="rate at which tumour cells inactivate the effector cells they meet",
            log=True,
            source=_BIOMODELS,
        ),
        Param(
            "d",
            0.0412,
            0.005,
            0.5,
            unit="/day",
            label="d, effector death",
            doc="per-cell rate at which effector cells die or leave",
            log=True,
            source=_BIOMODELS,
        ),
        Param(
            "a",
            0.18,
            0.05,
            0.5,
            unit="/day",
            label="a, tumour growth",
            doc="tumour growth rate while small, without immunity",
            log=True,
            source=_BIOMODELS,
        ),
        Param(
            "b",
            2.0e-9,
            5e-10,
            1e-8,
            unit="/cell",
            label="b, 1/capacity",
            doc="inverse of the largest tumour the host supports (capacity 1/b)",
            log=True,
            source=_BIOMODELS,
        ),
        Param(
            "n",
            1.101e-7,
            1e-8,
            1e-6,
            unit="/cell/day",
            label="n, killing rate",
            doc="rate at which one effector cell kills tumour cells (mass action)",
            log=True,
            source=_BIOMODELS,
        ),
        Param(
            "E0",
            3.2e5,
            1e4,
            1e7,
            unit="cells",
            label="E0, starting effectors",
            doc="effector cells on day 0",
            log=True,
            source=_BIOMODELS,
        ),
        Param(
            "T0",
            5e6,
            1.0,
            1e9,
            unit="cells",
            label="T0, starting tumour",
            doc="tumour cells on day 0 (the inoculum)",
            log=True,
            source=_BIOMODELS,
        ),
        Param(
            "t_supp",
            300.0,
            0.0,
            2000.0,
            unit="days",
            label="t_supp, suppression starts",
            doc="day from which immunosuppression cuts effector recruitment",
            source=_TEACHING,
            step=10.0,
        ),
        Param(
            "supp",
            0.0,
            0.0,
            1.0,
            unit="",
            label="supp, suppression strength",
            doc="dimensionless fraction by which suppression cuts the recruitment p (0: none)",
            source=_TEACHING + "; stands in for the T-cell and IFN-γ depletion of Koebel et al. 2007",
            step=0.01,
        ),
    )
}

_PUBLISHED = {k: PARAMS[k].default for k in ("s", "p", "g", "m", "d", "a", "b", "n", "E0", "T0")}

PRESETS: dict[str, Preset] = {
    "kuznetsov1994_dormancy": Preset(
        {**_PUBLISHED, "t_supp": 300.0, "supp": 0.0},
        "Kuznetsov, Makalkin, Taylor & Perelson 1994, Bull Math Biol 56:295 (BCL1 lymphoma in "
        "mice); parameter values from BioModels BIOMD0000000762",
        "The published fit: the tumour settles into dormancy in damped oscillations.",
    ),
    "large_inoculum_escape": Preset(
        {**_PUBLISHED, "T0": 2e8, "t_supp": 300.0, "supp": 0.0},
        "Kuznetsov et al. 1994, Bull Math Biol 56:295 (bistability); the inoculum of 2e8 cells "
        "is a teaching choice above the saddle's separatrix",
        "Same immune system, larger start: the tumour is beyond the threshold and grows.",
    ),
    "immunosuppression_escape": Preset(
        {**_PUBLISHED, "t_supp": 300.0, "supp": 0.6},
        "Koebel et al. 2007, Nature 450:903: equilibrium tumours grow out when T cells or IFN-γ "
        "are removed; here recruitment p is cut by 60% from day 300 (teaching choice) in the "
        "Kuznetsov et al. 1994 model",
        "A dormant tumour escapes once immunosuppression starts.",
    ),
    "strong_surveillance_elimination": Preset(
        {**_PUBLISHED, "s": 1e5, "t_supp": 300.0, "supp": 0.0},
        "Kuznetsov et al. 1994, Bull Math Biol 56:295 (tumour-free state stable when s > a d / n); "
        "s = 1e5 cells/day is a teaching choice",
        "A larger effector supply: the tumour is eliminated.",
    ),
}


# --------------------------------------------------------------------------- equations
def _fast(x: np.ndarray) -> Any:
    """0-d arrays become Python floats: RK4 on one trajectory runs about 4x faster."""
    return float(x) if isinstance(x, np.ndarray) and x.ndim == 0 else x


def rhs(t: float, E: ArrayLike, T: ArrayLike, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """(dE/dt, dT/dt) of the untransformed equations, suppression included.

    The reference the tests integrate with scipy; ``simulate`` integrates the same law in
    the variables (E, ln T).
    """
    q = validate(PARAMS, params)
    E = np.asarray(E, dtype=float)
    T = np.asarray(T, dtype=float)
    pe = q["p"] * (1.0 - q["supp"] * (q["t_supp"] <= t))
    dE = q["s"] + pe * E * T / (q["g"] + T) - q["m"] * E * T - q["d"] * E
    dT = q["a"] * T * (1.0 - q["b"] * T) - q["n"] * E * T
    return dE, dT


def _log_rhs(
    q: dict[str, Any], pe: Any, exp: Callable[[Any], Any] = np.exp
) -> Callable[[float, tuple[Any, ...]], tuple[Any, Any]]:
    """d(E, ln T)/dt; ``exp`` is ``math.exp`` for a single run (faster on scalars)."""
    s, g, m, d, a, n = (q[k] for k in ("s", "g", "m", "d", "a", "n"))
    ab = a * q["b"]

    def f(t: float, y: tuple[Any, ...]) -> tuple[Any, Any]:
        E, v = y
        T = exp(v)
        return s + E * (pe * T / (g + T) - m * T - d), a - ab * T - n * E

    return f


def step(p: dict[str, Any]) -> float:
    """The RK4 step for a validated batch: ``H_DEFAULT``, shorter where a rate is fast.

    RK4 is stable for decay rates up to about 2.8 / h and oscillation frequencies up to
    about 2.8 / h. The fastest rates of this system are bounded by the largest tumour it can
    hold, ``Tmax = max(T0, 1/b)``: effector loss ``m Tmax + d`` and logistic braking
    ``a b Tmax``; the E-ln T coupling oscillates at most at ``sqrt(n Emax (p/4 + m Tmax))``
    (Emax, the larger of E0 and s/d, estimates the effector count). The step is kept below
    0.5 / (fastest rate), which leaves the published values (fastest rate 0.21 /day) at
    ``H_DEFAULT``; the corners of the parameter box need about 0.1 day and are then
    accurate to about 1e-2 (relative) in their fastest transients. One step serves
    the whole batch.
    """
    t_max = np.maximum(p["T0"], 1.0 / p["b"])
    e_max = np.maximum(p["E0"], p["s"] / p["d"])
    rate = max(
        float(np.max(p["m"] * t_max + p["d"])),
        float(np.max(p["a"] * p["b"] * t_max)),
        float(np.max(np.sqrt(p["n"] * e_max * (p["p"] / 4.0 + p["m"] * t_max)))),
    )
    return min(H_DEFAULT, 0.5 / rate)


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class ImmuneResult(Result):
    """``E`` effector cells and ``T`` tumour cells, each ``batch_shape + (len(t),)``."""

    E: np.ndarray
    T: np.ndarray
    STATES: ClassVar[tuple[str, ...]] = ("E", "T")

    @property
    def suppressed(self) -> np.ndarray:
        """Whether immunosuppression started before the last output time."""
        p = self.params
        return np.broadcast_to((p["supp"] > 0) & (p["t_supp"] < self.t[-1]), self.batch_shape)

    def final_equilibria(self) -> Equilibria:
        """The equilibria of the system in force at the end of the run (after suppression)."""
        cached = self.__dict__.get("_equilibria")
        if cached is None:
            p = dict(self.params)
            p["p"] = np.where(self.suppressed, p["p"] * (1.0 - p["supp"]), p["p"])
            cached = steady_states(**p)
            # a frozen dataclass: cache by the back door, as functools.cached_property does
            self.__dict__["_equilibria"] = cached
        return cached

    def summary(self) -> dict[str, Any]:
        """Final sizes, the equilibrium approached, oscillation period and damping, escape day.

        * ``E_final``, ``T_final``: cells at the last output time;
        * ``approaches``: role of the nearest stable equilibrium of the final system
          (``"tumour-free"``, ``"dormant"``, ``"large tumour"``; ``"none"`` if none is stable),
          nearness measured in decades of E and of 1 + T;
        * ``E_eq``, ``T_eq``: that equilibrium; ``distance_decades``: how far the run ends
          from it;
        * ``dormant``: the run ends within 0.1 decade (26%) of a dormant equilibrium in E and T;
        * ``eliminated``: fewer than one tumour cell at the end;
        * ``period_days``: 2π / |Im λ| at that equilibrium (``inf``: approached without
          oscillating); ``damping_days``: 1 / |Re λ|, the time for the deviation to shrink
          e-fold;
        * ``E_dormant``, ``T_dormant``: the dormant equilibrium (``nan`` when there is none);
        * ``escape_day``: the day after which the tumour stays above ``ESCAPE_CELLS``
          (``inf`` if it ends below); ``T_max``, ``T_min``: extremes of the run.
        """
        cached = self.__dict__.get("_summary")
        if cached is not None:
            return dict(cached)
        eq = self.final_equilibria()
        E_end, T_end = self.E[..., -1], self.T[..., -1]
        stable = eq.present & np.isin(eq.kind, ("stable focus", "stable node"))
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.maximum(
                np.abs(np.log10(np.where(eq.present, eq.E, 1.0)) - np.log10(E_end)[..., None]),
                np.abs(np.log10(1.0 + np.where(eq.present, eq.T, 0.0)) - np.log10(1.0 + T_end)[..., None]),
            )
        dist = np.where(stable, dist, np.inf)
        k = np.argmin(dist, axis=-1)
        any_stable = stable.any(axis=-1)
        pick = np.take_along_axis
        kk = k[..., None]
        role = np.where(any_stable, pick(eq.role, kk, axis=-1)[..., 0], "none")
        lam = pick(eq.eigenvalues, kk[..., None], axis=-2)[..., 0, :]
        im = np.abs(lam.imag).max(axis=-1)
        re = np.abs(lam.real).min(axis=-1)
        with np.errstate(divide="ignore"):
            period = np.where(any_stable & (im > 0), 2.0 * np.pi / np.where(im > 0, im, 1.0), np.inf)
            damping = np.where(any_stable & (re > 0), 1.0 / np.where(re > 0, re, 1.0), np.inf)
        d_min = pick(dist, kk, axis=-1)[..., 0]
        E_dorm, T_dorm = eq.by_role("dormant")
        above = self.T >= ESCAPE_CELLS
        # last index where T was below the threshold; escape is the output time after it
        below_rev = np.argmax(~above[..., ::-1], axis=-1)
        never_below = above.all(axis=-1)
        last_below = self.t.size - 1 - below_rev
        esc_idx = np.minimum(last_below + 1, self.t.size - 1)
        escape = np.where(above[..., -1], np.where(never_below, self.t[0], self.t[esc_idx]), np.inf)
        out = {
            "E_final": E_end,
            "T_final": T_end,
            "approaches": role,
            "E_eq": np.where(any_stable, pick(eq.E, kk, axis=-1)[..., 0], np.nan),
            "T_eq": np.where(any_stable, pick(eq.T, kk, axis=-1)[..., 0], np.nan),
            "distance_decades": d_min,
            "dormant": (role == "dormant") & (d_min < 0.1),
            "eliminated": T_end < ONE_CELL,
            "period_days": period,
            "damping_days": damping,
            "E_dormant": E_dorm,
            "T_dormant": T_dorm,
            "escape_day": escape,
            "T_max": self.T.max(axis=-1),
            "T_min": self.T.min(axis=-1),
            "n_equilibria": eq.present.sum(axis=-1),
            "suppressed": self.suppressed,
        }
        result = {k: _scalar(v) for k, v in out.items()}
        self.__dict__["_summary"] = result
        return dict(result)


def _scalar(x: Any) -> Any:
    arr = np.asarray(x)
    if arr.ndim:
        return arr
    if arr.dtype.kind == "b":
        return bool(arr)
    if arr.dtype.kind in "iu":
        return int(arr)
    if arr.dtype.kind in "US":
        return str(arr)
    return float(arr)


def simulate(t: ArrayLike, *, seed: Any = None, **params: Any) -> ImmuneResult:
    """Effector and tumour cells over time; ``t`` in days, time on the last axis.

    Every parameter may be an array (batch shapes broadcast). RK4 with step ``H_DEFAULT``
    in the variables (E, ln T). Immunosuppression switches on at ``t_supp``: the run is
    integrated piecewise so that no RK4 step straddles a switch (a batch with many
    different ``t_supp`` values therefore takes a few more, shorter steps, and its members
    agree with single runs to the integrator's accuracy rather than to the last bit).
    ``seed`` is accepted and ignored (the model is deterministic).
    """
    times = validate_time(t)
    p = validate(PARAMS, params)
    shape = batch_shape(p)
    q = {k: _fast(v) for k, v in p.items()}
    on = np.broadcast_to(p["supp"] > 0, shape)
    switches = np.broadcast_to(p["t_supp"], shape)[on]
    inner = np.unique(switches[(switches > times[0]) & (switches < times[-1])])
    grid = np.union1d(times, inner)
    bounds = [float(times[0]), *inner.tolist(), float(times[-1])]
    h = step(p)
    exp = math.exp if shape == () else np.exp
    y: tuple[Any, ...] = (q["E0"], np.log(q["T0"]))
    parts_E: list[np.ndarray] = []
    parts_v: list[np.ndarray] = []
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        seg = grid[(grid >= lo) & (grid <= hi)]
        pe = q["p"] * (1.0 - q["supp"] * (q["t_supp"] <= lo))
        E, v = rk4(_log_rhs(q, _fast(np.asarray(pe)), exp), y, seg, h=h)
        y = (E[..., -1], v[..., -1])
        parts_E.append(E if i == 0 else E[..., 1:])
        parts_v.append(v if i == 0 else v[..., 1:])
    E_all = np.concatenate([np.broadcast_to(a, shape + a.shape[-1:]) for a in parts_E], axis=-1)
    v_all = np.concatenate([np.broadcast_to(a, shape + a.shape[-1:]) for a in parts_v], axis=-1)
    idx = np.searchsorted(grid, times)
    E_out = np.ascontiguousarray(E_all[..., idx])
    T_out = np.exp(v_all[..., idx])
    return ImmuneResult(t=times, params=p, E=E_out, T=T_out)


def escape_threshold(
    *, t: ArrayLike | None = None, T_low: float = 1e6, T_high: float = 1e9, points: int = 32, **params: Any
) -> float:
    """The smallest starting tumour T0 that escapes (approaches the large-tumour state).

    ``params`` fix everything else (E0 included). Two rounds of one batched ``simulate``
    each: ``points`` log-spaced starts between ``T_low`` and ``T_high``, then as many between
    the last start that did not escape and the first that did, so the answer is good to about
    ``(T_high / T_low) ** (1 / points**2)`` (0.7% with the defaults). Returns ``inf`` when no
    start in the range escapes and ``T_low`` when all do. Assumes one threshold in the range
    (true along E0 at the published values; a start near the saddle's stable manifold
    lingers, so ``t`` must be long enough to decide).
    """
    times = DEFAULT_T if t is None else t
    lo, hi = math.log10(T_low), math.log10(T_high)
    for _ in range(2):
        grid = np.logspace(lo, hi, points)
        esc = simulate(times, **{**params, "T0": grid}).summary()["approaches"] == "large tumour"
        if not esc.any():
            return math.inf
        k = int(np.argmax(esc))
        if k == 0:
            return float(grid[0])
        lo, hi = math.log10(grid[k - 1]), math.log10(grid[k])
    return float(10**hi)


# --------------------------------------------------------------------------- equilibria
class Equilibrium(NamedTuple):
    """One equilibrium: cells, its kind from the Jacobian and its role in the story."""

    E: float
    T: float
    kind: str
    role: str
    eigenvalues: tuple[complex, complex]


@dataclass(frozen=True, eq=False)
class Equilibria:
    """Every equilibrium of a batch of parameter sets, in four slots along the last axis.

    Slot 0 is the tumour-free state (T = 0, E = s/d); slots 1-3 hold the equilibria with a
    tumour, sorted by T, padded with ``nan`` (``kind`` and ``role`` ``""``) where a parameter
    set has fewer. ``eigenvalues`` has shape ``batch + (4, 2)``. For a single parameter set,
    iterating yields the present equilibria as ``Equilibrium`` tuples.
    """

    E: np.ndarray
    T: np.ndarray
    kind: np.ndarray
    role: np.ndarray
    eigenvalues: np.ndarray
    present: np.ndarray

    def __iter__(self) -> Iterator[Equilibrium]:
        if self.E.ndim != 1:
            raise ValueError("iterate over the equilibria of one parameter set; index a batch first")
        for i in np.flatnonzero(self.present):
            ev = self.eigenvalues[i]
            yield Equilibrium(
                float(self.E[i]),
                float(self.T[i]),
                str(self.kind[i]),
                str(self.role[i]),
                (complex(ev[0]), complex(ev[1])),
            )

    def __len__(self) -> int:
        return len(list(iter(self)))

    def by_role(self, role: str) -> tuple[Any, Any]:
        """(E, T) of the first equilibrium with this role (``nan`` where there is none)."""
        hit = self.role == role
        k = np.argmax(hit, axis=-1)[..., None]
        found = hit.any(axis=-1)
        E = np.where(found, np.take_along_axis(self.E, k, axis=-1)[..., 0], np.nan)
        T = np.where(found, np.take_along_axis(self.T, k, axis=-1)[..., 0], np.nan)
        return _scalar(E), _scalar(T)


def jacobian(E: ArrayLike, T: ArrayLike, **params: Any) -> np.ndarray:
    """The Jacobian of (dE/dt, dT/dt) with respect to (E, T), shape ``batch + (2, 2)``.

    Uses the recruitment ``p`` as given (pass a reduced ``p`` for the suppressed system).
    """
    q = validate(PARAMS, params)
    E = np.asarray(E, dtype=float)
    T = np.asarray(T, dtype=float)
    s_, p, g, m, d, a, b, n = (q[k] for k in ("s", "p", "g", "m", "d", "a", "b", "n"))
    del s_
    j11 = p * T / (g + T) - m * T - d
    j12 = E * (p * g / (g + T) ** 2 - m)
    j21 = -n * T
    j22 = a - 2.0 * a * b * T - n * E
    j11, j12, j21, j22 = np.broadcast_arrays(j11, j12, j21, j22)
    return np.stack([np.stack([j11, j12], axis=-1), np.stack([j21, j22], axis=-1)], axis=-2)


def classify(J: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Kind of a planar equilibrium from its Jacobian ``J`` (``... x 2 x 2``): (kind, eigenvalues).

    Determinant < 0: saddle. Otherwise complex eigenvalues make a focus and real ones a
    node, stable when the trace is negative. A zero trace with complex eigenvalues is a
    centre and a zero determinant degenerate (neither occurs except on a bifurcation).
    """
    J = np.asarray(J, dtype=float)
    tr = J[..., 0, 0] + J[..., 1, 1]
    det = J[..., 0, 0] * J[..., 1, 1] - J[..., 0, 1] * J[..., 1, 0]
    disc = tr * tr / 4.0 - det
    root = np.sqrt(disc.astype(complex))
    lam = np.stack([tr / 2.0 + root, tr / 2.0 - root], axis=-1)
    kind = np.select(
        [
            det < 0,
            det == 0,
            (disc < 0) & (tr < 0),
            (disc < 0) & (tr > 0),
            disc < 0,
            tr < 0,
        ],
        ["saddle", "degenerate", "stable focus", "unstable focus", "centre", "stable node"],
        default="unstable node",
    )
    return kind, lam


def steady_states(*, after_suppression: bool = False, **params: Any) -> Equilibria:
    """Every equilibrium, with its kind and role, for each parameter set of a batch.

    With a tumour, E = a (1 − b T) / n (the tumour nullcline); putting that into dE/dt = 0
    and multiplying by n (g + T) gives the cubic

        s n (g + T) + a (1 − b T) (p T − (m T + d)(g + T)) = 0,

    solved for z = b T (well scaled: the roots that matter lie in 0 < z < 1, where E > 0)
    as the eigenvalues of its companion matrix, one batched ``numpy.linalg.eigvals`` call,
    then polished by two Newton steps. ``after_suppression=True`` uses p (1 − supp).
    ``E0``, ``T0`` and ``t_supp`` do not matter here. Roles: ``"tumour-free"``;
    ``"dormant"`` (stable, below ``DORMANT_FRACTION`` of 1/b); ``"large tumour"`` (stable,
    above it); ``"threshold"`` (a saddle with a tumour); ``"unstable"``.
    """
    q = validate(PARAMS, params)
    shape = batch_shape(q)
    s, p, g, m, d, a, b, n = (np.broadcast_to(q[k], shape) for k in ("s", "p", "g", "m", "d", "a", "b", "n"))
    if after_suppression:
        p = p * (1.0 - np.broadcast_to(q["supp"], shape))
    # monic cubic in z = b T: z^3 + k2 z^2 + k1 z + k0 (derivation in the docstring)
    k2 = -1.0 - b * (p - m * g - d) / m
    k1 = (a * (p - m * g - d + b * d * g) + s * n) * b / (a * m)
    k0 = (s * n - a * d) * g * b * b / (a * m)
    comp = np.zeros(shape + (3, 3))
    comp[..., 0, 0], comp[..., 0, 1], comp[..., 0, 2] = -k2, -k1, -k0
    comp[..., 1, 0] = 1.0
    comp[..., 2, 1] = 1.0
    roots = np.linalg.eigvals(comp)
    real = np.abs(roots.imag) <= 1e-6 * (1.0 + np.abs(roots.real))
    z = np.where(real, roots.real, np.nan)
    for _ in range(2):
        kk2, kk1, kk0 = k2[..., None], k1[..., None], k0[..., None]
        val = ((z + kk2) * z + kk1) * z + kk0
        der = (3.0 * z + 2.0 * kk2) * z + kk1
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(der != 0, val / np.where(der != 0, der, 1.0), 0.0)
        z = z - np.where(np.isfinite(step), step, 0.0)
    z = np.where((z > 0) & (z < 1), z, np.nan)
    z = np.sort(z, axis=-1)  # nan sorts last
    bb, aa, nn = b[..., None], a[..., None], n[..., None]
    T_in = z / bb
    E_in = aa * (1.0 - z) / nn
    E_all = np.concatenate([(s / d)[..., None], E_in], axis=-1)
    T_all = np.concatenate([np.zeros(shape + (1,)), T_in], axis=-1)
    present = np.isfinite(T_all)
    Es = np.where(present, E_all, 0.0)
    Ts = np.where(present, T_all, 0.0)
    ex = lambda x: np.asarray(x)[..., None]  # noqa: E731 - broadcast a parameter over the slots
    J = jacobian(Es, Ts, **{k: ex(v) for k, v in zip("spgmdabn", (s, p, g, m, d, a, b, n))})
    kind, lam = classify(J)
    kind = np.where(present, kind, "")
    stable = np.isin(kind, ("stable focus", "stable node"))
    small = Ts < DORMANT_FRACTION / bb
    role = np.select(
        [~present, np.arange(4) == 0, stable & small, stable, kind == "saddle"],
        ["", "tumour-free", "dormant", "large tumour", "threshold"],
        default="unstable",
    )
    lam = np.where(present[..., None], lam, np.nan)
    return Equilibria(
        E=np.where(present, E_all, np.nan),
        T=np.where(present, T_all, np.nan),
        kind=kind,
        role=role,
        eigenvalues=lam,
        present=present,
    )


def nullclines(
    T: ArrayLike | None = None, *, after_suppression: bool = False, **params: Any
) -> dict[str, Any]:
    """The nullclines over a grid of tumour sizes, for the phase plane.

    Returns ``T`` (the grid; by default 400 points from 1 to 1e10 cells, log-spaced) and,
    with shape ``batch + (len(T),)``:

    * ``E_T``: the tumour nullcline with a tumour, E = a (1 − b T) / n (``nan`` for
      T ≥ 1/b, where it would need E ≤ 0); the other tumour nullcline is T = 0;
    * ``E_E``: the effector nullcline, E = s / (d + m T − p T / (g + T)) (``nan`` where the
      denominator is not positive: there the effectors grow whatever their number, so the
      curve has two branches when the recruitment is strong).
    """
    q = validate(PARAMS, params)
    grid = np.logspace(0.0, 10.0, 400) if T is None else np.asarray(T, dtype=float)
    ex = lambda k: np.asarray(q[k])[..., None]  # noqa: E731
    pe = ex("p") * (1.0 - ex("supp")) if after_suppression else ex("p")
    E_T = ex("a") * (1.0 - ex("b") * grid) / ex("n")
    den = ex("d") + ex("m") * grid - pe * grid / (ex("g") + grid)
    with np.errstate(divide="ignore", invalid="ignore"):
        E_E = np.where(den > 0, ex("s") / np.where(den > 0, den, 1.0), np.nan)
    return {"T": grid, "E_T": np.where(E_T > 0, E_T, np.nan), "E_E": E_E}


# --------------------------------------------------------------------------- units
def nondimensional(**params: Any) -> dict[str, Any]:
    """Kuznetsov et al.'s dimensionless parameters and time unit from the dimensional ones.

    With x = E / 1e6, y = T / 1e6 and τ = n · 1e6 · t: σ = s / (n · 1e12), ρ = p / (n · 1e6),
    η = g / 1e6, μ = m / n, δ = d / (n · 1e6), α = a / (n · 1e6), β = b · 1e6, and one unit
    of τ lasts ``tau_days`` = 1 / (n · 1e6) days.
    """
    q = validate(PARAMS, params)
    n1 = q["n"] * SCALE
    out = {
        "sigma": q["s"] / (n1 * SCALE),
        "rho": q["p"] / n1,
        "eta": q["g"] / SCALE,
        "mu": q["m"] / q["n"],
        "delta": q["d"] / n1,
        "alpha": q["a"] / n1,
        "beta": q["b"] * SCALE,
        "tau_days": 1.0 / n1,
    }
    return {k: _scalar(v) for k, v in out.items()}


def from_nondimensional(
    sigma: float,
    rho: float,
    eta: float,
    mu: float,
    delta: float,
    alpha: float,
    beta: float,
    *,
    n: float = 1.101e-7,
) -> dict[str, float]:
    """Dimensional parameters for Kuznetsov et al.'s dimensionless ones (``n`` sets the time unit)."""
    n1 = n * SCALE
    return {
        "s": sigma * n1 * SCALE,
        "p": rho * n1,
        "g": eta * SCALE,
        "m": mu * n,
        "d": delta * n1,
        "a": alpha * n1,
        "b": beta / SCALE,
        "n": n,
    }
