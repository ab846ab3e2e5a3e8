"""Immune-mediated dormancy: effector cells holding a tumour at a small, steady size.

Kuznetsov, Makalkin, Taylor and Perelson (1994, Bull Math Biol 56:295) fitted two equations
to BCL1 lymphoma in the spleen of mice. ``E`` counts effector (cytotoxic) cells, ``T``
tumour cells; time is in days:

* dE/dt = s + p E T / (g + T) − m E T − d E
* dT/dt = a T (1 − b T) / (1 + c E / 10⁶) − n E T

Term by term:

* ``s``: effector cells arrive at a constant rate whether or not there is a tumour;
* ``p E T / (g + T)``: the tumour stimulates effector proliferation, saturating once the
  tumour is much larger than ``g`` cells (a Michaelis-Menten form);
* ``m E T``: effector cells are inactivated by the tumour cells they meet;
* ``d E``: effector cells die or leave at a constant per-cell rate;
* ``a T (1 − b T)``: without immunity the tumour grows logistically up to ``1/b`` cells;
* ``n E T``: tumour cells are killed at a rate proportional to both populations
  (mass action);
* ``1 / (1 + c E / 10⁶)``: the share of tumour cells still cycling when the immune response
  also arrests their cell cycle (cytostasis, ``c`` per million effector cells). ``c = 0``
  (the default) is Kuznetsov et al.'s model, and every BioModels number reproduces.

The default values are the published fit as listed in BioModels BIOMD0000000762:
s 1.3e4 cells/day, p 0.1245 /day, g 2.019e7 cells, m 3.422e-10 /cell/day, d 0.0412 /day,
a 0.18 /day, b 2.0e-9 /cell, n 1.101e-7 /cell/day, starting from E0 = 3.2e5 and T0 = 5e6
cells. Kuznetsov et al. worked in units of 1e6 cells and of 1/(n · 1e6) = 9.083 days; in
those units the parameters are σ = 0.1181, ρ = 1.131, η = 20.19, μ = 0.00311,
δ = 0.3743, α = 1.636, β = 0.002 (``nondimensional`` recomputes them).

**What the model shows.** Setting both rates to zero gives the equilibria. The tumour-free
state (T = 0, E = s/d) is one; the others lie where the tumour nullcline
E = a (1 − b T)/n meets the effector nullcline, a cubic in T that ``steady_states`` solves
exactly (a quintic when ``c > 0``). At the published values there are four equilibria: a
tumour-free *saddle* (a few tumour cells always grow), a stable *focus* at about 8e6 tumour
cells (the **dormant** state: a small tumour held in check, approached in slowly damped
oscillations), a second
saddle (a threshold: its stable manifold separates the two basins) and a stable *node*
near 4.5e8 cells (the tumour has **escaped**). Which one a tumour reaches depends on where
it starts: the model is bistable. Raising the effector supply ``s`` above a d / n makes
the tumour-free state stable (**elimination**). These are the three phases of cancer
immunoediting, elimination, equilibrium and escape (the framework of Dunn, Old & Schreiber
2002, Nat Immunol 3:991); Koebel et al. (2007, Nature 450:903) gave the experimental
evidence for the equilibrium phase in mice: tumours held in an immune-maintained
equilibrium grew out when T cells or IFN-γ were removed. CD8+ T cells and IFN-γ maintain
immune dormancy in a B-cell lymphoma (Farrar et al. 1999, J Immunol 162:2842, cited by
Udagawa 2008, APMIS 116:615).

**Cytostasis: dormancy by arrest, not only by killing.** In the BCL1 lymphoma itself, the
system Kuznetsov et al. fitted, most dormant tumour cells are not dividing: the majority of
dormant cells isolated from the spleen were noncycling (Uhr, Tucker, May, Siu & Vitetta
1991, Cancer Res 51:5045s) and "the vast majority of dormant lymphoma cells are in cell
cycle arrest, but there are also residual replicating cells", the arrest being induced by
anti-idiotype antibodies; escape came mostly from variants that no longer responded
(Vitetta et al. 1997, Blood 89:4425) [src, abstracts]. A balance of killing and division is
therefore one route to immune dormancy, not the only one. The parameter ``c`` adds the other
route: at ``c > 0`` a fraction ``κE / (1 + κE)`` (``κ = c / 10⁶``) of the tumour cells is
arrested and does not divide (``summary()["arrested_fraction"]``); arrested cells are still
killed. The preset ``uhr1991_cytostatic`` holds the tumour mostly by arrest (a teaching
choice of ``c`` with a tenfold weaker killing rate). Here the arrest signal is carried by the
effector population ``E``; in BCL1 it came from antibodies, a separate arm that the model
does not have.

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

**Which way a run is heading.** ``summary()`` names the stable equilibrium a run is
heading to by following it: from the last state, the system in force at the end is
integrated on (at most ``HEADING_DAYS``) until the state is within ``CAPTURE_DECADES`` of a
stable equilibrium, whose basin it then is in. A tumour that is large in transit but in the
basin of the dormant state is *not* called escaped, however far above ``ESCAPE_CELLS`` it is
when the run ends.

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

from . import units
from ._util import ratio, scalar
from .base import Output, Result
from .params import (
    TEACHING,
    Param,
    Preset,
    batch_shape,
    declare,
    defaults,
    validate,
    validate_seed,
    validate_time,
)
from .solvers import rk4

__all__ = [
    "CAPTURE_DECADES",
    "DEFAULT_T",
    "DORMANT_FRACTION",
    "ESCAPE_CELLS",
    "HEADING_DAYS",
    "H_DEFAULT",
    "KINDS",
    "PARAMS",
    "PRESETS",
    "PUBLISHED_NONDIM",
    "PUBLISHED_TAU_DAYS",
    "ROLES",
    "SCALE",
    "STOCHASTIC",
    "VIEW_STEP",
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

#: the explorer's RK4 step in days (``simulate(..., view=True)``): a quarter of the steps,
#: and every preset still within 2e-5 decades of solve_ivp (one pixel of the phase plane
#: is about 0.02 decades); the same bound for fast rates as ``H_DEFAULT`` (``step``)
VIEW_STEP = 2.0

#: Kuznetsov et al. measure both populations in units of 1e6 cells.
SCALE = 1e6

#: The line drawn and reported as "escape" size: 1e8 cells (0.1 cm³, a fifth of the fitted
#: capacity 1/b = 5e8). Passing it does NOT mean escape: at the published values the saddle
#: lies at 2.7e8 cells and a tumour started between them (e.g. T0 = 5.9e7) overshoots 1e8 in
#: transit and falls back to dormancy. Escape is decided by the attractor a run is heading
#: to (``summary()["escaped"]``); ``escape_day`` is then the day it passes this line for good.
#: A teaching threshold for the plots, not a number from the paper.
ESCAPE_CELLS = 1e8

#: ``summary()`` follows a run beyond its last time for at most this many days to see which
#: stable equilibrium it is heading to (ten e-folds of the slowest published damping, 180 days)
HEADING_DAYS = 20000.0
#: a state within this many decades (of E and of 1 + T) of a stable equilibrium counts as in
#: its basin (5%: well inside the linear neighbourhood of every stable state at the published
#: values, whose nearest saddle is more than a decade away)
CAPTURE_DECADES = 0.02
#: the continuation runs in chunks of this many days and stops once every run is captured
_HEADING_CHUNK = 250.0

#: A stable equilibrium with fewer than this fraction of the capacity 1/b is called
#: dormant (the published dormant focus holds 1.6% of 1/b, the large-tumour node 89%).
#: A naming choice for the readouts, not a number from the paper.
DORMANT_FRACTION = 0.1

#: Below one cell a tumour counts as eliminated (the model's cell numbers are continuous).
ONE_CELL = units.ONE_CELL

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

PARAMS: dict[str, Param] = declare(
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
        "c",
        0.0,
        0.0,
        10.0,
        unit="per 10⁶ effectors",
        label="c, cytostatic arrest",
        doc="cell-cycle arrest of tumour cells by the immune response: a share cE/(10⁶ + cE) "
        "of them does not divide (0: none, Kuznetsov et al.'s model)",
        source="BCL1 dormant cells mostly in cell-cycle arrest (Uhr et al. 1991, Cancer Res "
        "51:5045s; Vitetta et al. 1997, Blood 89:4425); its size is a teaching choice",
        step=0.01,
    ),
    Param(
        "t_supp",
        300.0,
        0.0,
        2000.0,
        unit="days",
        label="t_supp, suppression starts",
        doc="day from which immunosuppression cuts effector recruitment",
        source=TEACHING,
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
        source=TEACHING + "; stands in for the T-cell and IFN-γ depletion of Koebel et al. 2007",
        step=0.01,
    ),
)

#: the published fit and no suppression: every default
_PUBLISHED = defaults(PARAMS)

PRESETS: dict[str, Preset] = {
    "kuznetsov1994_dormancy": Preset(
        dict(_PUBLISHED),
        "Kuznetsov, Makalkin, Taylor & Perelson 1994, Bull Math Biol 56:295 (BCL1 lymphoma in "
        "mice); parameter values from BioModels BIOMD0000000762",
        "The published fit: the tumour settles into dormancy in damped oscillations.",
    ),
    "large_inoculum_escape": Preset(
        {**_PUBLISHED, "T0": 2e8},
        "Kuznetsov et al. 1994, Bull Math Biol 56:295 (bistability); the inoculum of 2e8 cells "
        "is a teaching choice above the saddle's separatrix",
        "Same immune system, larger start: the tumour is beyond the threshold and grows.",
    ),
    "immunosuppression_escape": Preset(
        {**_PUBLISHED, "supp": 0.6},
        "Koebel et al. 2007, Nature 450:903: equilibrium tumours grow out when T cells or IFN-γ "
        "are removed; here recruitment p is cut by 60% from day 300 (teaching choice) in the "
        "Kuznetsov et al. 1994 model",
        "A dormant tumour escapes once immunosuppression starts.",
    ),
    "uhr1991_cytostatic": Preset(
        {**_PUBLISHED, "n": 1.101e-8, "c": 3.0},
        "Uhr, Tucker, May, Siu & Vitetta 1991, Cancer Res 51:5045s and Vitetta et al. 1997, Blood "
        "89:4425: in BCL1 lymphoma most dormant cells are in cell-cycle arrest; killing n cut "
        "tenfold and arrest c = 3 per 10⁶ effectors are teaching choices on the Kuznetsov et al. "
        "1994 fit",
        "Dormancy held mostly by arrest: with a tenth of the killing, the immune response stops "
        "most tumour cells from dividing.",
    ),
    "strong_surveillance_elimination": Preset(
        {**_PUBLISHED, "s": 1e5},
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
    dT = q["a"] * T * (1.0 - q["b"] * T) / (1.0 + q["c"] / SCALE * E) - q["n"] * E * T
    return dE, dT


def _log_rhs(
    q: dict[str, Any], pe: Any, exp: Callable[[Any], Any] = np.exp
) -> Callable[[float, tuple[Any, ...]], tuple[Any, Any]]:
    """d(E, ln T)/dt; ``exp`` is ``math.exp`` for a single run (faster on scalars)."""
    s, g, m, d, a, n = (q[k] for k in ("s", "g", "m", "d", "a", "n"))
    ab = a * q["b"]
    kappa = q["c"] / SCALE
    if not np.any(kappa):  # Kuznetsov et al.'s model exactly (no division by 1 + 0)

        def f(t: float, y: tuple[Any, ...]) -> tuple[Any, Any]:
            E, v = y
            T = exp(v)
            return s + E * (pe * T / (g + T) - m * T - d), a - ab * T - n * E

        return f

    def f_arrest(t: float, y: tuple[Any, ...]) -> tuple[Any, Any]:
        E, v = y
        T = exp(v)
        return s + E * (pe * T / (g + T) - m * T - d), (a - ab * T) / (1.0 + kappa * E) - n * E

    return f_arrest


def step(*, view: bool = False, **params: Any) -> float:
    """The RK4 step (days) ``simulate`` takes for these parameters (a batch: one step for all)."""
    return _step(validate(PARAMS, params), VIEW_STEP if view else H_DEFAULT)


def _step(p: dict[str, Any], longest: float = H_DEFAULT) -> float:
    """The RK4 step for a validated batch: ``longest`` (``H_DEFAULT``), shorter where a rate is fast.

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
    return min(longest, 0.5 / rate)


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class ImmuneResult(Result):
    """``E`` effector cells and ``T`` tumour cells, each ``batch_shape + (len(t),)``."""

    E: np.ndarray
    T: np.ndarray
    STATES: ClassVar[tuple[str, ...]] = ("E", "T")
    SUMMARY: ClassVar[dict[str, Output]] = {
        "E_final": Output("cells", "effector cells at the last output time"),
        "T_final": Output("cells", "tumour cells at the last output time"),
        "approaches": Output("", "stable state the run heads to: tumour-free, dormant, large tumour or none"),
        "E_eq": Output("cells", "effector cells at that state"),
        "T_eq": Output("cells", "tumour cells at that state"),
        "distance_decades": Output("decades", "how far the run ends from that state (log10 distance)"),
        "dormant": Output("", "the run ends within 0.1 decade of a dormant state"),
        "eliminated": Output("", "fewer than one tumour cell at the end"),
        "period_days": Output("days", "period of the oscillation around that state (inf: none)"),
        "damping_days": Output("days", "time for the deviation from that state to shrink e-fold"),
        "E_dormant": Output("cells", "effector cells at the dormant state (nan: none)"),
        "T_dormant": Output("cells", "tumour cells at the dormant state (nan: none)"),
        "escaped": Output("", "the run heads to the large-tumour state"),
        "heading_days": Output("days", "days beyond the last time the run needed to reach its state"),
        "escape_day": Output("days", "day after which it stays above ESCAPE_CELLS (inf: not yet)"),
        "arrested_fraction": Output("", "share of tumour cells in cytostatic arrest at the last time"),
        "arrested_fraction_eq": Output("", "the same share at the state the run heads to"),
        "T_max": Output("cells", "most tumour cells over the run"),
        "T_min": Output("cells", "fewest tumour cells over the run"),
        "n_equilibria": Output("", "how many equilibria the final system has"),
        "suppressed": Output("", "immunosuppression is on at the last output time"),
    }

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

    def _distances(self, E: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Decades (max over E and 1 + T) from states (batch shape) to each stable equilibrium
        of the final system, ``batch + (4,)``; ``inf`` for slots that are not stable."""
        eq = self.final_equilibria()
        stable = eq.present & np.isin(eq.kind, ("stable focus", "stable node"))
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.maximum(
                np.abs(np.log10(np.where(eq.present, eq.E, 1.0)) - np.log10(E)[..., None]),
                np.abs(np.log10(1.0 + np.where(eq.present, eq.T, 0.0)) - np.log10(1.0 + T)[..., None]),
            )
        return np.where(stable & np.isfinite(dist), dist, np.inf)

    def heading(self) -> tuple[np.ndarray, np.ndarray]:
        """(slot, days) per run: the stable equilibrium (slot of ``final_equilibria``) the run
        is heading to, and how many days after its last time it got within
        ``CAPTURE_DECADES`` of it (0: already there; ``inf``: not within ``HEADING_DAYS``, and
        the slot is then simply the nearest stable equilibrium, or -1 if none is stable).

        The system in force at the end (suppression included) is integrated on from the last
        state, all runs together in chunks of ``_HEADING_CHUNK`` days, until every run is
        captured.
        """
        cached = self.__dict__.get("_heading")
        if cached is not None:
            return cached
        shape = self.batch_shape
        E, T = self.E[..., -1], self.T[..., -1]
        dist = self._distances(E, T)
        slot = np.where(np.isfinite(dist.min(axis=-1)), np.argmin(dist, axis=-1), -1)
        days = np.where(dist.min(axis=-1) < CAPTURE_DECADES, 0.0, np.inf)
        p = dict(self.params)
        pe = np.where(self.suppressed, p["p"] * (1.0 - p["supp"]), p["p"])
        q = {k: _fast(np.asarray(v)) for k, v in p.items()}
        f = _log_rhs(q, _fast(np.asarray(pe)), math.exp if shape == () else np.exp)
        h = min(2.0, 4.0 * _step(p))  # only the basin matters here, not the last digits
        y: tuple[Any, ...] = (E, np.log(np.maximum(T, 1e-300)))
        elapsed = 0.0
        while np.any(np.isinf(days) & (slot >= 0)) and elapsed < HEADING_DAYS:
            Ey, vy = rk4(f, y, [0.0, _HEADING_CHUNK], h=h)
            y = (Ey[..., -1], vy[..., -1])
            elapsed += _HEADING_CHUNK
            d_now = self._distances(np.broadcast_to(y[0], shape), np.exp(np.broadcast_to(y[1], shape)))
            hit = np.isinf(days) & (d_now.min(axis=-1) < CAPTURE_DECADES)
            slot = np.where(hit, np.argmin(d_now, axis=-1), slot)
            days = np.where(hit, elapsed, days)
        out = (np.asarray(slot), np.asarray(days))
        self.__dict__["_heading"] = out
        return out

    def summary(self) -> dict[str, Any]:
        """Final sizes, the attractor the run heads to, oscillation period and damping, escape.

        * ``E_final``, ``T_final``: cells at the last output time;
        * ``approaches``: role of the stable equilibrium of the final system that the run is
          heading to (``"tumour-free"``, ``"dormant"``, ``"large tumour"``; ``"none"`` if none
          is stable), found by following the run on (``heading``), not by where it happens to
          be at the last time;
        * ``escaped``: the run is heading to the large-tumour state (``approaches`` is
          ``"large tumour"``); ``heading_days``: days beyond the last time the run needed to
          get within ``CAPTURE_DECADES`` of its attractor (0: already there);
        * ``E_eq``, ``T_eq``: that equilibrium; ``distance_decades``: how far the run ends
          from it;
        * ``dormant``: the run ends within 0.1 decade (26%) of a dormant equilibrium in E and T;
        * ``eliminated``: fewer than one tumour cell at the end;
        * ``period_days``: 2π / |Im λ| at that equilibrium (``inf``: approached without
          oscillating); ``damping_days``: 1 / |Re λ|, the time for the deviation to shrink
          e-fold;
        * ``E_dormant``, ``T_dormant``: the dormant equilibrium (``nan`` when there is none);
        * ``escape_day``: for an escaping run, the day after which the tumour stays above
          ``ESCAPE_CELLS`` (``inf`` if it has not passed the line yet, and for every run that is
          not escaping, however large it is in transit); ``T_max``, ``T_min``: extremes;
        * ``arrested_fraction``: share of tumour cells in cytostatic arrest at the last time,
          c E / (10⁶ + c E) (0 without cytostasis); ``arrested_fraction_eq``: the same at the
          attractor.
        """
        cached = self.__dict__.get("_summary")
        if cached is not None:
            return dict(cached)
        eq = self.final_equilibria()
        E_end, T_end = self.E[..., -1], self.T[..., -1]
        dist = self._distances(E_end, T_end)
        slot, heading_days = self.heading()
        any_stable = slot >= 0
        k = np.where(any_stable, slot, 0)
        pick = np.take_along_axis
        kk = k[..., None]
        role = np.where(any_stable, pick(eq.role, kk, axis=-1)[..., 0], "none")
        lam = pick(eq.eigenvalues, kk[..., None], axis=-2)[..., 0, :]
        im = np.abs(lam.imag).max(axis=-1)
        re = np.abs(lam.real).min(axis=-1)
        period = ratio(2.0 * np.pi, im, where=any_stable & (im > 0), fill=np.inf)
        damping = ratio(1.0, re, where=any_stable & (re > 0), fill=np.inf)
        d_min = pick(dist, kk, axis=-1)[..., 0]
        E_dorm, T_dorm = eq.by_role("dormant")
        escaped = role == "large tumour"
        above = self.T >= ESCAPE_CELLS
        # last index where T was below the threshold; escape is the output time after it
        below_rev = np.argmax(~above[..., ::-1], axis=-1)
        never_below = above.all(axis=-1)
        last_below = self.t.size - 1 - below_rev
        esc_idx = np.minimum(last_below + 1, self.t.size - 1)
        passed = np.where(never_below, self.t[0], self.t[esc_idx])
        escape = np.where(escaped & above[..., -1], passed, np.inf)
        kappa = np.broadcast_to(self.params["c"], self.batch_shape) / SCALE
        E_att = np.where(any_stable, pick(eq.E, kk, axis=-1)[..., 0], np.nan)
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
            "escaped": escaped,
            "heading_days": heading_days,
            "escape_day": escape,
            "arrested_fraction": kappa * E_end / (1.0 + kappa * E_end),
            "arrested_fraction_eq": kappa * E_att / (1.0 + kappa * E_att),
            "T_max": self.T.max(axis=-1),
            "T_min": self.T.min(axis=-1),
            "n_equilibria": eq.present.sum(axis=-1),
            "suppressed": self.suppressed,
        }
        result = {k: _scalar(v) for k, v in out.items()}
        self.__dict__["_summary"] = result
        return dict(result)


def _scalar(x: Any) -> Any:
    return scalar(x, None)


def simulate(t: ArrayLike, *, seed: Any = None, view: bool = False, **params: Any) -> ImmuneResult:
    """Effector and tumour cells over time; ``t`` in days, time on the last axis.

    Every parameter may be an array (batch shapes broadcast). RK4 with step ``H_DEFAULT``
    in the variables (E, ln T). Immunosuppression switches on at ``t_supp``: the run is
    integrated piecewise so that no RK4 step straddles a switch (a batch with many
    different ``t_supp`` values therefore takes a few more, shorter steps, and its members
    agree with single runs to the integrator's accuracy rather than to the last bit).
    ``view=True`` takes the explorer's longer step ``VIEW_STEP`` (a quarter of the work,
    far below a pixel of error). ``seed`` is checked (``ValueError`` naming it when bad) and
    otherwise ignored (the model is deterministic).
    """
    validate_seed(seed)
    times = validate_time(t)
    p = validate(PARAMS, params)
    shape = batch_shape(p)
    q = {k: _fast(v) for k, v in p.items()}
    on = np.broadcast_to(p["supp"] > 0, shape)
    switches = np.broadcast_to(p["t_supp"], shape)[on]
    inner = np.unique(switches[(switches > times[0]) & (switches < times[-1])])
    grid = np.union1d(times, inner)
    bounds = [float(times[0]), *inner.tolist(), float(times[-1])]
    h = _step(p, VIEW_STEP if view else H_DEFAULT)
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
    kappa = q["c"] / SCALE
    cyc = 1.0 / (1.0 + kappa * E)  # share of tumour cells still cycling
    j11 = p * T / (g + T) - m * T - d
    j12 = E * (p * g / (g + T) ** 2 - m)
    j21 = -a * T * (1.0 - b * T) * kappa * cyc * cyc - n * T
    j22 = a * (1.0 - 2.0 * b * T) * cyc - n * E
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


def _pmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Product of polynomials given by coefficients (increasing powers) on the last axis."""
    out = np.zeros(np.broadcast_shapes(x.shape[:-1], y.shape[:-1]) + (x.shape[-1] + y.shape[-1] - 1,))
    for i in range(x.shape[-1]):
        for j in range(y.shape[-1]):
            out[..., i + j] += x[..., i] * y[..., j]
    return out


def _arrest_roots(*args: np.ndarray) -> np.ndarray:
    """The (at most three) roots z = b T in (0, 1) of the cytostatic quintic, nan-padded."""
    s, p, g, m, d, a, b, n, kappa = (np.asarray(v, dtype=float) for v in args)
    N = np.stack([d * g * b * b, (d + m * g - p) * b, m], axis=-1)
    G = np.stack([g * b, np.ones_like(g)], axis=-1)
    one_minus_z = np.stack([np.ones_like(a), -np.ones_like(a)], axis=-1)
    poly = _pmul(a[..., None] * one_minus_z, _pmul(N, N))
    poly[..., :4] -= (n * s * b)[..., None] * _pmul(G, N)
    poly[..., :3] -= (n * kappa * s * s * b * b)[..., None] * _pmul(G, G)
    lead = poly[..., -1:]
    mono = poly[..., :-1] / lead  # monic: z^5 + c4 z^4 + ... + c0
    comp = np.zeros(poly.shape[:-1] + (5, 5))
    comp[..., 0, :] = -mono[..., ::-1]
    comp[..., np.arange(1, 5), np.arange(4)] = 1.0
    roots = np.linalg.eigvals(comp)
    real = np.abs(roots.imag) <= 1e-6 * (1.0 + np.abs(roots.real))
    z = np.where(real, roots.real, np.nan)
    coef = poly[..., None, :]
    for _ in range(3):  # Newton polish on the quintic itself
        val = np.zeros_like(z)
        der = np.zeros_like(z)
        for k in range(5, -1, -1):
            der = der * z + val
            val = val * z + coef[..., k]
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(der != 0, val / np.where(der != 0, der, 1.0), 0.0)
        z = z - np.where(np.isfinite(step), step, 0.0)
    n_at = (N[..., None, 0] + N[..., None, 1] * z) + N[..., None, 2] * z * z
    z = np.where((z > 0) & (z < 1) & (n_at > 0), z, np.nan)
    return np.sort(z, axis=-1)[..., :3]


def steady_states(*, after_suppression: bool = False, **params: Any) -> Equilibria:
    """Every equilibrium, with its kind and role, for each parameter set of a batch.

    With a tumour, E = a (1 − b T) / n (the tumour nullcline); putting that into dE/dt = 0
    and multiplying by n (g + T) gives the cubic

        s n (g + T) + a (1 − b T) (p T − (m T + d)(g + T)) = 0,

    solved for z = b T (well scaled: the roots that matter lie in 0 < z < 1, where E > 0)
    as the eigenvalues of its companion matrix, one batched ``numpy.linalg.eigvals`` call,
    then polished by two Newton steps. With cytostasis (``c > 0``) the tumour nullcline is
    n E (1 + κ E) = a (1 − z) (κ = c / 10⁶); with the effector nullcline E = s b G / N,
    N = m z² + (d + m g − p) b z + d g b², G = g b + z, it becomes the quintic
    a (1 − z) N² − n s b G N − n κ s² b² G² = 0, solved the same way; its roots with N ≤ 0
    (no positive effector count) are dropped, and the at most three left fill the slots.
    ``after_suppression=True`` uses p (1 − supp).
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
    kappa = np.broadcast_to(q["c"], shape) / SCALE
    if np.any(kappa > 0):
        z5 = _arrest_roots(s, p, g, m, d, a, b, n, kappa)
        z = np.where((kappa > 0)[..., None], z5, z)
    z = np.sort(z, axis=-1)  # nan sorts last
    bb, aa, nn, kk = b[..., None], a[..., None], n[..., None], kappa[..., None]
    T_in = z / bb
    # the tumour nullcline n E (1 + κ E) = a (1 - z), in a form exact at κ = 0
    rhs_t = aa * (1.0 - z) / nn
    E_in = 2.0 * rhs_t / (1.0 + np.sqrt(1.0 + 4.0 * kk * rhs_t))
    E_all = np.concatenate([(s / d)[..., None], E_in], axis=-1)
    T_all = np.concatenate([np.zeros(shape + (1,)), T_in], axis=-1)
    present = np.isfinite(T_all)
    Es = np.where(present, E_all, 0.0)
    Ts = np.where(present, T_all, 0.0)
    ex = lambda x: np.asarray(x)[..., None]  # noqa: E731 - broadcast a parameter over the slots
    J = jacobian(
        Es, Ts, c=ex(kappa * SCALE), **{k: ex(v) for k, v in zip("spgmdabn", (s, p, g, m, d, a, b, n))}
    )
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

    * ``E_T``: the tumour nullcline with a tumour, E = a (1 − b T) / n, or with cytostasis the
      positive root of n E (1 + c E / 10⁶) = a (1 − b T) (``nan`` for T ≥ 1/b, where it
      would need E ≤ 0); the other tumour nullcline is T = 0;
    * ``E_E``: the effector nullcline, E = s / (d + m T − p T / (g + T)) (``nan`` where the
      denominator is not positive: there the effectors grow whatever their number, so the
      curve has two branches when the recruitment is strong).
    """
    q = validate(PARAMS, params)
    grid = np.logspace(0.0, 10.0, 400) if T is None else np.asarray(T, dtype=float)
    ex = lambda k: np.asarray(q[k])[..., None]  # noqa: E731
    pe = ex("p") * (1.0 - ex("supp")) if after_suppression else ex("p")
    rhs_t = ex("a") * (1.0 - ex("b") * grid) / ex("n")
    with np.errstate(invalid="ignore"):
        E_T = 2.0 * rhs_t / (1.0 + np.sqrt(1.0 + 4.0 * ex("c") / SCALE * np.maximum(rhs_t, 0.0)))
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
