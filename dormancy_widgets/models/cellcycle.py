"""Cellular dormancy: tumour cells that leave the cell cycle (G0) and survive chemotherapy there.

A disseminated cancer cell can stop dividing for months or years and start again later:
*cellular dormancy*, one of the mechanisms named by Udagawa (2008, APMIS 116:615) and
Massagué & Obenauf (2016, Nature 529:298). Aguirre-Ghiso and colleagues (2003, Cancer Res
63:1684) found that the balance of two signalling kinases decides it: high ERK with low p38
lets cells grow, a high p38/ERK ratio sends them into G0/G1 arrest in vivo, and blocking p38
interrupts dormancy [sec]. Because cycle-specific drugs kill only dividing cells, dormant
cells survive chemotherapy: doxorubicin reduced growing liver metastases in mice but not the
solitary dormant cells (Naumov et al. 2003, Breast Cancer Res Treat 82:199).

**Compartments.** Living cells are either proliferating (``P``, in the cell cycle) or
quiescent (``Q``, in G0); ``D`` counts dead cells not yet cleared from the lesion. The
living compartments follow the quiescence model of Gyllenberg & Webb (1989, Growth Dev Aging
53:25) [unverified form], with a cycle-specific drug added:

    P' = (β − μ_p − k(t) − r₀) P + r_i Q
    Q' = r₀ P − (r_i + μ_q) Q
    D' = (μ_p + k(t)) P + μ_q Q − c D

``β`` is the division rate of cycling cells, ``μ_p`` and ``μ_q`` their natural death rates,
``r₀`` the rate of entering G0, ``r_i`` the rate of leaving it, ``c`` the rate at which dead
cells are cleared, and ``k(t)`` the kill rate of the drug: ``k`` per day from day
``t_drug`` for ``drug_days`` days, zero otherwise. The drug touches only ``P``.

**The ERK/p38 switch.** The signal is ``s = log₁₀(p38/ERK)``: positive when p38 dominates.
Entry into and exit from G0 depend on it through a Hill function of the ratio,

    H = (p38/ERK)ⁿ / (Kⁿ + (p38/ERK)ⁿ),   r₀ = r0_max H,   r_i = ri_max (1 − H).

No numeric p38/ERK threshold is published: the half-switch ratio ``K``, the steepness
``n`` and the Hill shape itself are teaching choices, not measurements. Only the direction
is from the experiments (more p38 relative to ERK, more arrest). A p38 inhibitor, switched on
by ``p38i`` = "on" and given from day ``t_block`` on, lowers p38 activity 100-fold (``s``
falls by ``P38_BLOCK`` = 2), the model's version of the observation that blocking p38
interrupts dormancy; the size of the fall is a teaching choice too.

**Starting state.** At day 0 the lesion holds ``N0`` living cells in the composition it
settles into under the day-0 signal (before any drug or inhibitor): with constant rates the
solution tends to ``e^{λt}`` times a fixed mix of ``P``, ``Q`` and ``D``, where ``λ`` is the
larger eigenvalue of the 2×2 matrix of the ``P``, ``Q`` equations. That mix gives the
model's *proliferating fraction* ``P/(P+Q)`` (what the Ki-67 stain counts: Ki-67 is
present in every phase of the cycle but not in G0) and its *apoptotic fraction*
``D/(P+Q+D)``.

**Calibration.** Luzzi et al. (1998, Am J Pathol 153:865) counted, in mouse liver, Ki-67 in
about 2% and apoptosis in about 3% of solitary dormant B16F1 cells, against 91% and 6% in
macroscopic tumours [sec: abstract as quoted]. The four numbers are ratios, so they fix the
model's rates relative to ``β`` but not the clock; ``β`` = 0.2 per day (cycling cells divide
about every five days) is a teaching choice that keeps growth on a scale of weeks. With the
signal at s = +1 (dormant, p38/ERK = 10) and s = −1 (growing, p38/ERK = 0.1), the rates
``μ_p, μ_q, c, r0_max, ri_max`` are solved so that the steady mixes match those four numbers
and the dormant lesion neither grows nor shrinks (births balance deaths); see ``PARAMS``.
The two calibrated states then differ only in the signal.

**Solution.** The rates are constant between the switching days (drug on, drug off,
inhibitor on), so the model is solved exactly: on each constant piece the state is the
matrix exponential of the 3×3 system times the state at the start of the piece, written
with divided differences of the exponential so that every term is non-negative and no
cancellation occurs. There is no time step: ``simulate`` is exact to rounding at any
output times, for a whole batch at once. (A fixed-step integrator would lose accuracy
wherever the drug switches on or off inside a step.) ``simulate_stochastic`` follows single
cells instead: each division, death and switch is an event of an exact stochastic
simulation (Gillespie's direct method), run for many lesions at once; each dead cell is
cleared after an exponential time of rate ``c``.

**Where the model is too simple.** The cell cycle is one compartment with exponential
waiting times, so a drug kills a cycling cell at the same rate whatever its phase. Entry
into G0 is decided by one signal that the student sets by hand; in the body it comes from
the tissue (fibronectin, urokinase receptor and integrin signalling in Aguirre-Ghiso's
work), the immune system and the blood supply. Quiescent cells are assumed to be untouched
by the drug, and no cell becomes resistant. Dead cells stay visible for about eight days at
the calibrated clearance rate, far longer than the hours usually quoted for apoptotic
bodies: Luzzi's dormant cells are a snapshot of few cells, not a population in balanced
turnover, and the model lumps slow and fast forms of death. The calibration uses numbers
from mouse melanoma in liver; the clock (``β``) is not from any measurement. Nothing limits
growth: the model has no carrying capacity, so a growing lesion grows exponentially for ever;
a real host dies long before (10¹² cells is about a kilogram of tumour). Counts above
``N_CAP`` (10¹⁵ cells) are shown as ``N_CAP``; the calculation behind them is not clipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from . import solvers
from ._util import first_reached, flatten
from ._util import scalar as _scalar
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
from .params import rng as make_rng

__all__ = [
    "DEFAULT_T",
    "LUZZI1998",
    "N_CAP",
    "P38_BLOCK",
    "PARAMS",
    "PRESETS",
    "STOCHASTIC",
    "CellCycleResult",
    "StochasticCellCycleResult",
    "block_day",
    "evolve",
    "extinction_probability",
    "rates",
    "rhs",
    "simulate",
    "simulate_stochastic",
    "steady_state",
    "switch",
    "switch_curves",
]

STOCHASTIC = False
#: five months at half-day resolution
DEFAULT_T = np.linspace(0.0, 150.0, 301)

#: fall in log10(p38/ERK) caused by a p38 inhibitor (100-fold less p38 activity): a teaching
#: choice standing for the p38 blockade that interrupted dormancy in Aguirre-Ghiso 2003
P38_BLOCK = 2.0

#: Reporting ceiling, not biology: counts above 1e15 cells (about a tonne of tumour, where a
#: host dies near 1e12 cells, about a kilogram) are *shown* as 1e15 so that arrays stay
#: finite. The state carried across drug and inhibitor days is never clipped (it is kept as a
#: mix and the logarithm of its size), so a lesion that grows past the ceiling and is then
#: killed back comes out exact. The model has no carrying capacity (see "too simple").
N_CAP = 1e15

#: exponents are clipped here before exp(); e^600 ~ 1e260 times any in-range factor is finite
_EXP_MAX = 600.0

#: Luzzi et al. 1998 (Am J Pathol 153:865), abstract as quoted [sec]: Ki-67 and apoptotic
#: (TUNEL) indices of solitary dormant cells and of macroscopic B16F1 tumours in mouse liver
LUZZI1998 = {
    "dormant": {"ki67": 0.02, "apoptotic": 0.03},
    "growing": {"ki67": 0.91, "apoptotic": 0.06},
}

_CAL = (
    "calibrated to Luzzi 1998 (Ki-67 2% vs 91%, apoptosis 3% vs 6%) [sec] with a dormant "
    "lesion in balance (solved from those five conditions, docs/models.md)"
)

# How the calibrated values were found. The four Luzzi fractions and "births balance deaths"
# in the dormant state are five equations. With β fixed (0.2/day, a teaching choice) and
# f = P/(P+Q), ρ = D/(P+Q) in balanced growth at rate λ:
#   dormant balance (λ = 0) needs f_d (β − μ_p) = (1 − f_d) μ_q;
#   then the dormant apoptotic ratio ρ_d = f_d β / c fixes c = 0.02·0.2/(0.03/0.97);
#   λ_g = f_g (β − μ_p) − (1 − f_g) μ_q and ρ_g = (f_g μ_p + (1 − f_g) μ_q)/(c + λ_g) give μ_p
#   (one root in 0 < μ_p < β, found by bisection);
#   with n = 1 and K = √10 (teaching choices) the eigenvector conditions
#   r₀ = (1 − f)/f (λ + r_i + μ_q) at s = +1 and s = −1 are linear in r0_max and ri_max.
# The values below are those solutions to four significant figures; the tests recompute
# the four fractions and the dormant growth rate from the model.
# Every default and preset value lies on its slider's grid (``step``; for log sliders in
# powers of ten), because a browser rounds a slider's value to its grid when it shows it.
PARAMS: dict[str, Param] = declare(
    Param(
        "s",
        0.0,
        -2.0,
        2.0,
        label="s = log₁₀(p38/ERK)",
        doc="stress/growth signal balance, dimensionless: positive when p38 dominates ERK",
        step=0.05,
        source="Aguirre-Ghiso 2003 (direction of the effect) [sec]; values are a teaching choice",
    ),
    Param(
        "N0",
        1000.0,
        1.0,
        1e6,
        unit="cells",
        label="N0, living cells at day 0",
        doc="living cells in the lesion at day 0, in the mix set by the day-0 signal",
        log=True,
        integer=True,
        step=0.01,
        source=TEACHING,
    ),
    Param(
        "beta",
        0.2,
        0.02,
        2.0,
        unit="/day",
        label="β, division rate",
        doc="divisions per cycling cell per day",
        log=True,
        step=0.005,
        source="teaching choice (sets the clock; Luzzi's fractions do not)",
    ),
    Param(
        "mu_p",
        0.02016,
        0.0,
        1.0,
        unit="/day",
        label="μ_p, death rate of cycling cells",
        doc="natural death rate of proliferating cells (without drug)",
        step=1e-5,
        source=_CAL,
    ),
    Param(
        "mu_q",
        0.003670,
        0.0,
        0.5,
        unit="/day",
        label="μ_q, death rate in G0",
        doc="death rate of quiescent (G0) cells",
        step=1e-5,
        source=_CAL,
    ),
    Param(
        "r0_max",
        0.6152,
        0.0,
        5.0,
        unit="/day",
        label="r0_max, fastest entry into G0",
        doc="rate of entering G0 when p38 dominates completely (r₀ = r0_max H)",
        step=1e-4,
        source=_CAL,
    ),
    Param(
        "ri_max",
        0.02442,
        0.0,
        2.0,
        unit="/day",
        label="ri_max, fastest exit from G0",
        doc="rate of leaving G0 when ERK dominates completely (r_i = ri_max (1 − H))",
        step=1e-5,
        source=_CAL,
    ),
    Param(
        "K",
        10**0.5,
        0.01,
        100.0,
        label="K, half-switch p38/ERK ratio",
        doc="p38/ERK ratio at which G0 entry is half its maximum, dimensionless",
        log=True,
        step=0.01,
        source="teaching choice: no threshold is published (Aguirre-Ghiso 2003)",
    ),
    Param(
        "n",
        1.0,
        0.5,
        8.0,
        label="n, switch steepness (Hill)",
        doc="Hill coefficient of the switch, dimensionless: larger is more switch-like",
        step=0.05,
        source="teaching choice: the shape of the switch is not measured",
    ),
    Param(
        "c",
        0.1293,
        0.001,
        5.0,
        unit="/day",
        label="c, clearance of dead cells",
        doc="rate at which dead cells are removed from the lesion",
        step=1e-4,
        source=_CAL,
    ),
    Param(
        "t_drug",
        30.0,
        0.0,
        365.0,
        unit="days",
        label="t_drug, chemotherapy starts",
        doc="day on which the cycle-specific drug is started",
        step=1.0,
        source=TEACHING,
    ),
    Param(
        "drug_days",
        14.0,
        0.0,
        180.0,
        unit="days",
        label="drug_days, treatment length",
        doc="how long the drug is given (0: no treatment)",
        step=1.0,
        source=TEACHING,
    ),
    Param(
        "k",
        1.0,
        0.0,
        10.0,
        unit="/day",
        label="k, drug kill rate",
        doc="extra death rate of cycling cells while the drug is given; G0 cells are spared",
        step=0.05,
        source="teaching choice; cycle-specific drugs spare non-dividing cells (Naumov 2003)",
    ),
    Param(
        "p38i",
        "off",
        choices=("off", "on"),
        label="p38i, p38 inhibitor",
        doc="whether a p38 inhibitor is given (from day t_block on)",
        source="Aguirre-Ghiso 2003: blocking p38 interrupts dormancy [sec]",
    ),
    Param(
        "t_block",
        30.0,
        0.0,
        365.0,
        unit="days",
        label="t_block, p38 inhibitor from",
        doc="day the p38 inhibitor is started (when p38i is on)",
        step=1.0,
        source="Aguirre-Ghiso 2003: blocking p38 interrupts dormancy [sec]; timing a teaching choice",
    ),
)

_DEFAULTS = defaults(PARAMS)
_NO_DRUG = {"drug_days": 0.0, "k": 0.0}
_LUZZI_CITE = (
    "Luzzi et al. 1998, Am J Pathol 153:865: solitary dormant cells reported as about 2% Ki-67 "
    "and 3% apoptotic, macroscopic tumours 91% and 6% [sec]; Aguirre-Ghiso 2003, Cancer Res "
    "63:1684: a high p38/ERK ratio means G0/G1 arrest [sec]"
)

PRESETS: dict[str, Preset] = {
    "luzzi1998_dormant": Preset(
        {**_DEFAULTS, **_NO_DRUG, "s": 1.0},
        _LUZZI_CITE,
        "Dormant lesion (p38/ERK = 10): about 2% of cells cycle and births balance deaths.",
    ),
    "luzzi1998_growing": Preset(
        {**_DEFAULTS, **_NO_DRUG, "s": -1.0},
        _LUZZI_CITE,
        "Growing lesion (p38/ERK = 0.1): about 91% of cells cycle.",
    ),
    "chemo_growing": Preset(
        {**_DEFAULTS, "s": -1.0},
        "Naumov et al. 2003, Breast Cancer Res Treat 82:199: chemotherapy spared non-dividing cells; "
        "growing state calibrated to Luzzi 1998 [sec]; drug schedule a teaching choice",
        "Two weeks of chemotherapy on a growing lesion: the few G0 cells survive and regrow it.",
    ),
    "chemo_dormant": Preset(
        {**_DEFAULTS, "s": 1.0},
        "Naumov et al. 2003, Breast Cancer Res Treat 82:199: chemotherapy spared non-dividing cells; "
        "dormant state calibrated to Luzzi 1998 [sec]; drug schedule a teaching choice",
        "The same treatment on a dormant lesion: almost every cell is in G0 and survives.",
    ),
    "aguirre2003_p38_blocked": Preset(
        {**_DEFAULTS, **_NO_DRUG, "s": 1.0, "p38i": "on", "t_block": 30.0},
        "Aguirre-Ghiso et al. 2003, Cancer Res 63:1684: blocking p38 interrupts dormancy in vivo "
        "[sec]; inhibitor strength and timing are teaching choices",
        "A dormant lesion wakes up when p38 is blocked from day 30.",
    ),
}


#: without the inhibitor its day is moved beyond any time ``simulate`` accepts
#: (``validate_time`` stops at 1e6 days)
_NEVER_DAY = 1e7


def block_day(p38i: ArrayLike, t_block: ArrayLike) -> np.ndarray:
    """The day the p38 inhibitor starts: ``t_block`` where ``p38i`` is "on", else never."""
    return np.where(np.asarray(p38i) == "on", np.asarray(t_block, dtype=float), _NEVER_DAY)


# --------------------------------------------------------------------------- switch and rates
def switch(s: ArrayLike, K: ArrayLike, n: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(H, 1 − H): the Hill function of the ratio 10**s and its complement, both stable."""
    z = np.asarray(n, dtype=float) * math.log(10.0) * (np.asarray(s, dtype=float) - np.log10(K))
    # |z| <= 8 * 2.303 * 8 < 150, so exp never overflows for in-range values
    return 1.0 / (1.0 + np.exp(-z)), 1.0 / (1.0 + np.exp(z))


#: the signal grid of ``switch_curves``: the whole range of ``s``
_SIGNAL = np.linspace(PARAMS["s"].low, PARAMS["s"].high, 161)


def switch_curves(**params: Any) -> dict[str, np.ndarray]:
    """Rates of entering (``r0``) and leaving (``ri``) G0, per day, over the whole range of the
    signal ``s`` (161 points); the other parameters as given. Each array is a fresh copy."""
    p = validate(PARAMS, params)
    r = _rates({**p, "s": _SIGNAL})
    return {
        "s": _SIGNAL.copy(),
        "r0": np.array(np.broadcast_to(r["r0"], _SIGNAL.shape)),
        "ri": np.array(np.broadcast_to(r["ri"], _SIGNAL.shape)),
    }


def rates(*, drug: ArrayLike = False, blocked: ArrayLike = False, **params: Any) -> dict[str, np.ndarray]:
    """Per-cell rates (per day) for the parameters given (defaults for the rest), with the drug
    (``drug=True``) or the p38 inhibitor (``blocked=True``) on."""
    return _rates(validate(PARAMS, params), drug=drug, blocked=blocked)


def _rates(p: dict[str, Any], *, drug: ArrayLike = False, blocked: ArrayLike = False) -> dict[str, Any]:
    """``rates`` for validated parameters ``p``."""
    s = p["s"] - P38_BLOCK * np.asarray(blocked, dtype=float)
    H, notH = switch(s, p["K"], p["n"])
    return {
        "beta": p["beta"],
        "g_p": p["mu_p"] + p["k"] * np.asarray(drug, dtype=float),
        "mu_q": p["mu_q"],
        "r0": p["r0_max"] * H,
        "ri": p["ri_max"] * notH,
        "c": p["c"],
    }


def rhs(t: float, y: tuple[ArrayLike, ArrayLike, ArrayLike], **params: Any) -> tuple[np.ndarray, ...]:
    """(P', Q', D') at time ``t``: the equations that ``simulate`` solves exactly."""
    p = validate(PARAMS, params)
    drug = (p["t_drug"] <= t) & (t < p["t_drug"] + p["drug_days"])
    r = _rates(p, drug=drug, blocked=t >= block_day(p["p38i"], p["t_block"]))
    P, Q, D = (np.asarray(v, dtype=float) for v in y)
    dP = (r["beta"] - r["g_p"] - r["r0"]) * P + r["ri"] * Q
    dQ = r["r0"] * P - (r["ri"] + r["mu_q"]) * Q
    dD = r["g_p"] * P + r["mu_q"] * Q - r["c"] * D
    return dP, dQ, dD


# --------------------------------------------------------------------------- exact solution
def _exp(x: np.ndarray) -> np.ndarray:
    return np.exp(np.minimum(x, _EXP_MAX))


def _psi(z: np.ndarray) -> np.ndarray:
    """(1 − e^(−z)) / z for z >= 0, equal to 1 at z = 0."""
    pos = z > 0
    zs = np.where(pos, z, 1.0)
    return np.where(pos, -np.expm1(-zs) / zs, 1.0)


def _dd1(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """First divided difference of exp: (e^x − e^y)/(x − y) (e^x when x = y), no cancellation."""
    return _exp(np.maximum(x, y)) * _psi(np.abs(x - y))


def _dd2(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Second divided difference of exp at x, y, z (positive; e^m/2 when the points meet)."""
    hi = np.maximum(np.maximum(x, y), z)
    lo = np.minimum(np.minimum(x, y), z)
    mid = x + y + z - hi - lo
    spread = hi - lo
    wide = spread > 1e-5
    num = _dd1(hi, mid) - _dd1(mid, lo)
    out = np.where(wide, num / np.where(wide, spread, 1.0), 0.5 * _exp((x + y + z) / 3.0))
    return np.maximum(out, 0.0)


@dataclass(frozen=True)
class _Eig:
    """Eigen-structure of the 2×2 (P, Q) matrix, computed without cancellation."""

    lam1: np.ndarray  # larger eigenvalue (the long-run growth rate)
    lam2: np.ndarray
    w1: np.ndarray  # (a − λ2)/(λ1 − λ2), in [0, 1]
    w2: np.ndarray  # (λ1 − a)/(λ1 − λ2) = 1 − w1, computed on its own (no cancellation)
    frac: np.ndarray  # P/(P+Q) along the dominant eigenvector
    qfrac: np.ndarray  # Q/(P+Q) = 1 − frac, computed on its own


def _eig(r: dict[str, np.ndarray]) -> _Eig:
    a = r["beta"] - r["g_p"] - r["r0"]
    e = r["ri"] + r["mu_q"]
    prod = r["ri"] * r["r0"]
    h = (a + e) / 2.0
    delta = np.hypot(h, np.sqrt(prod))
    # p = δ + h and q = δ − h, the one that would cancel taken as prod / (the other)
    big = delta + np.abs(h)
    small = np.where(big > 0, prod / np.where(big > 0, big, 1.0), 0.0)
    p = np.where(h >= 0, big, small)
    q = np.where(h >= 0, small, big)
    two_d = p + q
    ok = two_d > 0
    w1 = np.where(ok, p / np.where(ok, two_d, 1.0), 0.5)
    w2 = np.where(ok, q / np.where(ok, two_d, 1.0), 0.5)
    m = (a - e) / 2.0
    den = p + r["r0"] + r["ri"] + q
    # P/Q = p / r0 = ri / q along the eigenvector; the mediant of the two forms is safe
    safe = np.where(den > 0, den, 1.0)
    frac = np.where(den > 0, (p + r["ri"]) / safe, 0.5)
    qfrac = np.where(den > 0, (r["r0"] + q) / safe, 0.5)
    return _Eig(m + delta, m - delta, w1, w2, frac, qfrac)


def _propagate(
    r: dict[str, np.ndarray],
    tau: np.ndarray,
    y: tuple[np.ndarray, ...],
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """State after ``tau`` days of constant rates ``r``, from ``y`` = (P, Q, D); exact.

    Returned as ``(y * e^(-m), m)`` with ``m = max(λ1 τ, 0)``: every exponential is taken of
    an exponent shifted down by ``m`` (divided differences of exp shift the same way), so no
    term overflows however long the piece; the caller keeps ``m`` as a log scale.
    """
    g = _eig(r)
    P0, Q0, D0 = y
    m = np.maximum(g.lam1 * tau, 0.0)
    x1, x2, xc = g.lam1 * tau - m, g.lam2 * tau - m, -r["c"] * tau - m
    e1, e2 = _exp(x1), _exp(x2)
    f12 = tau * _dd1(x1, x2)
    P = (g.w1 * e1 + g.w2 * e2) * P0 + r["ri"] * f12 * Q0
    Q = r["r0"] * f12 * P0 + (g.w2 * e1 + g.w1 * e2) * Q0
    j1c, j2c = tau * _dd1(x1, xc), tau * _dd1(x2, xc)
    j12 = tau * tau * _dd2(x1, x2, xc)
    from_p = (g.w1 * j1c + g.w2 * j2c) * P0 + r["ri"] * j12 * Q0  # ∫ e^{-c(τ-s)} P(s) ds
    from_q = r["r0"] * j12 * P0 + (g.w2 * j1c + g.w1 * j2c) * Q0  # ∫ e^{-c(τ-s)} Q(s) ds
    D = _exp(xc) * D0 + r["g_p"] * from_p + r["mu_q"] * from_q
    return (P, Q, D), m


def _breakpoints(p: dict[str, Any]) -> np.ndarray:
    """Days on which the rates change, sorted, shape ``batch_shape + (3,)``."""
    shape = batch_shape({k: v for k, v in p.items() if not isinstance(v, str)})
    days = (p["t_drug"], p["t_drug"] + p["drug_days"], block_day(p["p38i"], p["t_block"]))
    b = np.stack([np.broadcast_to(x, shape) for x in days], axis=-1)
    return np.sort(b, axis=-1)


def _piece_rates(p: dict[str, Any], at: np.ndarray) -> dict[str, np.ndarray]:
    drug = (p["t_drug"] <= at) & (at < p["t_drug"] + p["drug_days"])
    return _rates(p, drug=drug, blocked=at >= block_day(p["p38i"], p["t_block"]))


def _shown(y: tuple[np.ndarray, ...], log_scale: np.ndarray) -> tuple[np.ndarray, ...]:
    """Counts ``y * e^log_scale`` as reported, held at ``N_CAP`` above it (reporting only)."""
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.exp(np.minimum(log_scale, 700.0))
        return tuple(np.minimum(np.where(v > 0, v * scale, 0.0), N_CAP) for v in y)


def _renormalise(
    y: tuple[np.ndarray, ...], log_scale: np.ndarray
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Carry the state as (mix summing to 1, log of the total): never clipped, never overflowing."""
    total = y[0] + y[1] + y[2]
    pos = total > 0
    safe = np.where(pos, total, 1.0)
    return tuple(v / safe for v in y), log_scale + np.log(safe)


def _evolve(p: dict[str, Any], y0: tuple[np.ndarray, ...], times: np.ndarray) -> tuple[np.ndarray, ...]:
    """Exact (P, Q, D) at ``times`` (broadcasting with ``batch_shape + (T,)``) from ``y0`` at day 0.

    The state carried from one piece of constant rates to the next is exact (a mix and the
    logarithm of its total, see ``_renormalise``); only the counts reported at the output
    times are held at ``N_CAP``.
    """
    bp = _breakpoints(p)
    starts = np.concatenate([np.zeros(bp.shape[:-1] + (1,)), bp], axis=-1)
    ends = np.concatenate([bp, np.full(bp.shape[:-1] + (1,), np.inf)], axis=-1)
    ps = {k: (v[..., None] if not isinstance(v, str) else v) for k, v in p.items()}
    times = np.asarray(times, dtype=float)
    t_max = float(np.max(times))
    y = tuple(np.asarray(v, dtype=float)[..., None] for v in y0)
    y, log_scale = _renormalise(y, np.zeros(np.broadcast_shapes(*(v.shape for v in y))))
    shape = np.broadcast_shapes(bp.shape[:-1] + (1,), times.shape)
    out = [np.zeros(shape) for _ in range(3)]
    for j in range(4):
        s0, s1 = starts[..., j : j + 1], ends[..., j : j + 1]
        length = s1 - s0
        mid = np.where(np.isfinite(s1), s0 + length / 2.0, s0 + 1.0)
        r = _piece_rates(ps, mid)
        inside = (times >= s0) & ((times < s1) if j < 3 else True)
        sel = np.broadcast_to(inside, shape)
        if sel.any():
            # only the output times inside this piece are computed (compressed to 1-D)
            tau = np.broadcast_to(times - s0, shape)[sel]
            rs = {k: np.broadcast_to(v, shape)[sel] for k, v in r.items()}
            yt, m = _propagate(rs, tau, tuple(np.broadcast_to(v, shape)[sel] for v in y))
            for o, v in zip(out, _shown(yt, np.broadcast_to(log_scale, shape)[sel] + m)):
                o[sel] = v
        if j < 3:
            if np.all(s1 > t_max):
                break
            y, m = _propagate(r, length, y)
            y, log_scale = _renormalise(y, log_scale + m)
    return tuple(out)


def _steady(p: dict[str, Any]) -> dict[str, np.ndarray]:
    """Long-run growth rate and mix under the day-0 signal (no drug, no inhibitor)."""
    r = _rates(p)
    g = _eig(r)
    f = g.frac
    flux = p["mu_p"] * f + p["mu_q"] * g.qfrac
    denom = p["c"] + g.lam1
    pos = denom > 0
    rho = np.where(pos, flux / np.where(pos, denom, 1.0), np.inf)
    apo = np.where(pos, rho / (1.0 + np.where(pos, rho, 0.0)), 1.0)
    # dead cells at day 0: the balanced ratio, or what a lesion of constant size would hold
    # when the lesion shrinks (there the balanced ratio may not exist)
    rho0 = flux / (p["c"] + np.maximum(g.lam1, 0.0))
    return {"ki67": f, "g0": g.qfrac, "apoptotic": apo, "growth_rate": g.lam1, "rho0": rho0}


def _start(p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    st = _steady(p)
    n0 = p["N0"]
    return n0 * st["ki67"], n0 * st["g0"], n0 * st["rho0"]


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class CellCycleResult(Result):
    """``P`` proliferating, ``Q`` quiescent (G0) and ``D`` dead cells, each ``batch_shape + (len(t),)``."""

    P: np.ndarray
    Q: np.ndarray
    D: np.ndarray
    STATES: ClassVar[tuple[str, ...]] = ("P", "Q", "D")
    SUMMARY: ClassVar[dict[str, Output]] = {
        "ki67_steady": Output("", "P/(P+Q) in the mix the lesion settles into under the day-0 signal"),
        "apoptotic_steady": Output("", "D/(P+Q+D) in that mix"),
        "growth_rate": Output("/day", "growth rate of that mix (negative: shrinking)"),
        "doubling_time": Output("days", "doubling time of that mix (inf if it does not grow)"),
        "ki67_final": Output("", "proliferating share of the living cells at the last output time"),
        "living_final": Output("cells", "living cells (P+Q) at the last output time"),
        "P_drop_drug": Output("", "share by which the proliferating cells fell over the treatment window"),
        "Q_drop_drug": Output("", "share by which the quiescent cells fell over the treatment window"),
        "survival_drug": Output("", "living cells at the end of treatment over those at its start"),
        "quiescent_share_after_drug": Output("", "Q/(P+Q) when the treatment ends"),
        "living_before_drug": Output("cells", "living cells when the treatment starts"),
        "regrow_day": Output("days", "first day after treatment the lesion regains its pre-treatment size"),
    }

    @property
    def living(self) -> np.ndarray:
        return self.P + self.Q

    @property
    def ki67(self) -> np.ndarray:
        """Proliferating (Ki-67 positive) share of the living cells over time, P/(P+Q); 0 when none."""
        living = self.living
        return np.where(living > 0, self.P / np.where(living > 0, living, 1.0), 0.0)

    @property
    def apoptotic(self) -> np.ndarray:
        """Dead share of all cells over time, D/(P+Q+D), the apoptotic index; 0 when none."""
        total = self.living + self.D
        return np.where(total > 0, self.D / np.where(total > 0, total, 1.0), 0.0)

    def at(self, day: ArrayLike) -> dict[str, np.ndarray]:
        """Exact P, Q, D on ``day`` (a number, or an array broadcasting with the batch)."""
        d = np.asarray(day, dtype=float)
        P, Q, D = _evolve(dict(self.params), _start(dict(self.params)), d[..., None])
        return {"P": P[..., 0], "Q": Q[..., 0], "D": D[..., 0]}

    def summary(self) -> dict[str, Any]:
        """Headline numbers; drug numbers refer to the treatment window whether or not it is shown.

        * ``ki67_steady``, ``apoptotic_steady``: P/(P+Q) and D/(P+Q+D) in the mix the lesion
          settles into under the day-0 signal; ``growth_rate`` (1/day) and ``doubling_time``
          (days; ``inf`` if not growing) of that state.
        * ``ki67_final``, ``living_final``: proliferating fraction and living cells at the last time.
        * ``P_drop_drug``, ``Q_drop_drug``: fraction by which the proliferating and the quiescent
          compartments fell from the start to the end of the treatment window;
          ``survival_drug``: living cells at its end over living cells at its start;
          ``quiescent_share_after_drug``: Q/(P+Q) when treatment ends.
        * ``regrow_day``: first day after treatment on which the lesion is back to its size at
          the start of treatment (``inf`` if not within the times computed, or no treatment).
        """
        p = dict(self.params)
        st = _steady(p)
        living = self.P + self.Q
        out: dict[str, Any] = {
            "ki67_steady": _scalar(st["ki67"]),
            "apoptotic_steady": _scalar(st["apoptotic"]),
            "growth_rate": _scalar(st["growth_rate"]),
        }
        lam = st["growth_rate"]
        with np.errstate(divide="ignore"):
            out["doubling_time"] = _scalar(
                np.where(lam > 0, math.log(2.0) / np.where(lam > 0, lam, 1.0), np.inf)
            )
        last = living[..., -1]
        out["ki67_final"] = _scalar(np.where(last > 0, self.P[..., -1] / np.where(last > 0, last, 1.0), 0.0))
        out["living_final"] = _scalar(last)

        t0 = p["t_drug"]
        t1 = p["t_drug"] + p["drug_days"]
        ends = _evolve(p, _start(p), np.stack(np.broadcast_arrays(t0, t1), axis=-1))
        P0, P1 = ends[0][..., 0], ends[0][..., 1]
        Q0, Q1 = ends[1][..., 0], ends[1][..., 1]
        n_pre, n_post = P0 + Q0, P1 + Q1

        def frac(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.where(b > 0, a / np.where(b > 0, b, 1.0), 0.0)

        out["P_drop_drug"] = _scalar(np.clip(1.0 - frac(P1, P0), 0.0, 1.0))
        out["Q_drop_drug"] = _scalar(np.clip(1.0 - frac(Q1, Q0), 0.0, 1.0))
        out["survival_drug"] = _scalar(frac(n_post, n_pre))
        out["quiescent_share_after_drug"] = _scalar(frac(Q1, n_post))
        out["living_before_drug"] = _scalar(n_pre)

        treated = (p["drug_days"] > 0) & (p["k"] > 0)
        out["regrow_day"] = _scalar(np.where(treated, _first_crossing(self.t, living, t1, n_pre), np.inf))
        return out


def _first_crossing(t: np.ndarray, y: np.ndarray, after: ArrayLike, level: ArrayLike) -> np.ndarray:
    """First time > ``after`` at which ``y`` climbs back to ``level`` (log-linear interpolation)."""
    after = np.asarray(after, dtype=float)[..., None]
    level = np.asarray(level, dtype=float)[..., None]
    hit, jp, j = first_reached((y >= level) & (t > after))
    ta, tb = np.take(t, jp), np.take(t, j)
    ya = np.take_along_axis(y, jp[..., None], axis=-1)[..., 0]
    yb = np.take_along_axis(y, j[..., None], axis=-1)[..., 0]
    lv = level[..., 0]
    tiny = 1e-300
    with np.errstate(divide="ignore", invalid="ignore"):
        la, lb, ll = np.log(np.maximum(ya, tiny)), np.log(np.maximum(yb, tiny)), np.log(np.maximum(lv, tiny))
        w = np.where((lb > la) & (j > 0), (ll - la) / np.where(lb > la, lb - la, 1.0), 1.0)
    tc = ta + np.clip(w, 0.0, 1.0) * (tb - ta)
    tc = np.maximum(tc, after[..., 0])
    return np.where(hit, tc, np.inf)


@dataclass(frozen=True, eq=False)
class StochasticCellCycleResult(CellCycleResult):
    """Counts of single lesions: ``P``, ``Q``, ``D`` have shape ``batch_shape + (lesions, len(t))``."""

    cap: int = 1000
    SUMMARY: ClassVar[dict[str, Output]] = {
        "extinct_share": Output("", "share of the lesions with no living cell at the last output time"),
        "escaped_share": Output("", "share of the lesions that reached the cap of living cells"),
        "mean_living_final": Output("cells", "mean living cells per lesion at the last output time"),
        "median_living_final": Output("cells", "median living cells per lesion at the last output time"),
    }

    def summary(self) -> dict[str, Any]:
        """Shares of lesions extinct or escaped (reached ``cap`` living cells) at the last time,
        and the mean and median living cells then; one value per parameter set."""
        living = self.P[..., -1] + self.Q[..., -1]
        return {
            "extinct_share": _scalar(np.mean(living == 0, axis=-1)),
            "escaped_share": _scalar(np.mean(living >= self.cap, axis=-1)),
            "mean_living_final": _scalar(np.mean(living, axis=-1)),
            "median_living_final": _scalar(np.median(living, axis=-1)),
        }


# --------------------------------------------------------------------------- public API
def simulate(t: ArrayLike, *, seed: Any = None, **params: Any) -> CellCycleResult:
    """Proliferating, quiescent and dead cells at the times ``t`` (days); exact solution.

    Every parameter of ``PARAMS`` may be an array; the batch is computed in one pass over
    the (at most four) pieces of constant rates. ``seed`` is accepted for the common model
    signature and ignored: the model is deterministic (see ``simulate_stochastic``).
    """
    times = validate_time(t)
    validate_seed(seed)
    p = validate(PARAMS, params)
    P, Q, D = _evolve(p, _start(p), times)
    return CellCycleResult(t=times, params=p, P=P, Q=Q, D=D)


def evolve(t: ArrayLike, P0: ArrayLike, Q0: ArrayLike, D0: ArrayLike = 0.0, **params: Any) -> CellCycleResult:
    """Like ``simulate`` but from any starting state (P0, Q0, D0) at day 0 (``N0`` ignored)."""
    times = validate_time(t)
    p = validate(PARAMS, params)
    y0 = tuple(np.asarray(v, dtype=float) for v in (P0, Q0, D0))
    for name, v in zip(("P0", "Q0", "D0"), y0):
        if not np.all(np.isfinite(v)) or np.any(v < 0) or np.any(v > N_CAP):
            raise ValueError(
                f"{name} = {v!r} is not allowed: {name} must hold cell counts from 0 to {N_CAP:g}."
            )
    P, Q, D = _evolve(p, y0, times)
    return CellCycleResult(t=times, params=p, P=P, Q=Q, D=D)


def steady_state(**params: Any) -> dict[str, Any]:
    """The mix and growth rate a lesion settles into under the day-0 signal (no drug).

    Returns ``ki67`` (P/(P+Q)), ``apoptotic`` (D/(P+Q+D)), ``growth_rate`` (1/day), each a
    float or an array of the batch shape.
    """
    p = validate(PARAMS, params)
    st = _steady(p)
    return {k: _scalar(st[k]) for k in ("ki67", "apoptotic", "growth_rate")}


def extinction_probability(**params: Any) -> dict[str, Any]:
    """Exact probability that the line of one cell dies out, with constant day-0 rates.

    For the two-type branching process (a P cell divides at β, dies at μ_p, enters G0 at r₀;
    a Q cell wakes at r_i, dies at μ_q) the extinction probabilities ``x_P`` and ``x_Q`` are
    the smallest root in [0, 1] of
    ``(β + μ_p + r₀) x_P = β x_P² + μ_p + r₀ x_Q`` and ``(r_i + μ_q) x_Q = r_i x_P + μ_q``.
    Returns ``{"P": x_P, "Q": x_Q}``.
    """
    p = validate(PARAMS, params)
    r = _rates(p)
    b, mp, mq, r0, ri = r["beta"], r["g_p"], r["mu_q"], r["r0"], r["ri"]
    e = ri + mq
    # substitute x_Q: β x² − (β + μ_p + r₀ − r₀ r_i/e) x + μ_p + r₀ μ_q/e = 0
    safe_e = np.where(e > 0, e, 1.0)
    lin = b + mp + r0 - np.where(e > 0, r0 * ri / safe_e, 0.0)
    const = mp + np.where(e > 0, r0 * mq / safe_e, 0.0)
    disc = np.maximum(lin * lin - 4.0 * b * const, 0.0)
    # smaller root, written as 2C / (B + sqrt(B² − 4AC)) to avoid cancellation
    denom = lin + np.sqrt(disc)
    xp = np.where(denom > 0, 2.0 * const / np.where(denom > 0, denom, 1.0), 1.0)
    xp = np.clip(xp, 0.0, 1.0)
    # a G0 cell that can neither wake nor die (r_i = μ_q = 0) lives for ever: its line
    # never dies out, x_Q = 0 (and the P equation above already counts it as a survivor)
    xq = np.where(e > 0, (ri * xp + mq) / safe_e, 0.0)
    return {"P": _scalar(xp), "Q": _scalar(np.clip(xq, 0.0, 1.0))}


#: the reactions of one lesion, as changes of (P, Q): a P cell divides, dies in cycle or
#: enters G0; a Q cell leaves G0 or dies in G0
_REACTIONS = np.array([[1, 0], [-1, 0], [-1, 1], [1, -1], [0, -1]])
#: which reactions leave a dead cell (cleared after its own exponential time)
_DIES = np.array([False, True, False, False, True])


def simulate_stochastic(
    t: ArrayLike,
    *,
    seed: int | np.random.Generator | None = None,
    lesions: int = 1,
    cap: int = 1000,
    **params: Any,
) -> StochasticCellCycleResult:
    """Single-cell events in ``lesions`` independent lesions per parameter set (exact SSA).

    Each lesion starts with ``N0`` cells split into P and Q by a binomial draw with the
    steady proliferating fraction, and a Poisson number of dead cells with the steady mean,
    so that its expected course is ``simulate``'s. Every division, death and switch into or
    out of G0 is one event (Gillespie's direct method); the rates change on the drug and
    inhibitor days, which the clock never steps across. Each dead cell is cleared after its
    own exponential time (rate ``c``), drawn when it dies. The sampler is the package's
    ``solvers.gillespie``: this function declares the five reactions, their rates and the
    clearance of dead cells. All lesions advance together, one event each per pass (a loop
    over events, not over lesions), so the cost grows with the number of events in the
    busiest lesion: keep ``cap`` small (the default 1000 is plenty to tell a lesion that dies
    out from one that escapes).
    A lesion that reaches ``cap`` living cells has escaped and is no longer followed: its
    counts are held from then on. Counts have shape ``batch_shape + (lesions, len(t))``.
    """
    times = validate_time(t)
    p = validate(PARAMS, params)
    if isinstance(lesions, bool) or not isinstance(lesions, (int, np.integer)) or not 1 <= lesions <= 100_000:
        raise ValueError(
            f"lesions = {lesions!r} is not allowed: lesions must be a whole number from 1 to 100000."
        )
    if isinstance(cap, bool) or not isinstance(cap, (int, np.integer)) or not 1 <= cap <= 10**7:
        raise ValueError(f"cap = {cap!r} is not allowed: cap must be a whole number from 1 to 10000000.")
    rng = make_rng(seed)
    shape = batch_shape(p) + (int(lesions),)
    size = int(np.prod(shape, dtype=int))
    flat = flatten(p, shape, trailing=1)
    st = _steady(p)
    f, rho0 = flatten({"f": st["ki67"], "rho0": st["rho0"]}, shape, trailing=1).values()
    n0 = flat["N0"].astype(np.int64)
    P = rng.binomial(n0, f).astype(np.int64)
    Q = n0 - P
    D = rng.poisson(np.minimum(rho0 * n0, 1e9)).astype(np.int64)

    T = times.size
    # dead cells: +1 from the first output at or after a death, -1 from the first output at
    # or after its clearance (each dead cell is cleared after an exponential time of rate c)
    dead = np.zeros((size, T + 1), dtype=np.int64)
    c_flat = flat["c"]
    flat["t_block"] = block_day(flat["p38i"], flat["t_block"])
    bps = np.stack([flat["t_drug"], flat["t_drug"] + flat["drug_days"], flat["t_block"]], axis=-1)

    def propensities(rows: np.ndarray, tc: np.ndarray, x: np.ndarray) -> np.ndarray:
        pl = {k: v[rows] for k, v in flat.items()}
        drug = (pl["t_drug"] <= tc) & (tc < pl["t_drug"] + pl["drug_days"])
        r = _rates(pl, drug=drug, blocked=tc >= pl["t_block"])
        Pl, Ql = x[:, 0], x[:, 1]
        return np.stack([Pl * r["beta"], Pl * r["g_p"], Pl * r["r0"], Ql * r["ri"], Ql * r["mu_q"]], axis=-1)

    def on_fire(rows: np.ndarray, te: np.ndarray, kind: np.ndarray, u: np.ndarray) -> None:
        died = _DIES[kind]
        if died.any():
            rows, te = rows[died], te[died]
            gone = te - np.log1p(-u[died, 0]) / c_flat[rows]
            np.add.at(dead, (rows, np.searchsorted(times, te, side="left")), 1)
            np.add.at(dead, (rows, np.searchsorted(times, gone, side="left")), -1)

    counts = solvers.gillespie(
        np.stack([P, Q], axis=-1),
        _REACTIONS,
        propensities,
        times,
        seed=rng,
        breaks=bps,
        stop=lambda x: x.sum(axis=-1) >= cap,
        on_fire=on_fire,
        extra_draws=1,
    )
    Ps, Qs = (counts[:, i].reshape(shape + (T,)).astype(float) for i in range(2))
    # dead cells present at day 0 are cleared independently: thin them from output to output
    d0 = np.zeros((size, T), dtype=np.int64)
    d0[:, 0] = rng.binomial(D, np.exp(-c_flat * times[0]))
    for j in range(1, T):
        d0[:, j] = rng.binomial(d0[:, j - 1], np.exp(-c_flat * (times[j] - times[j - 1])))
    Ds = (np.cumsum(dead[:, :T], axis=1) + d0).reshape(shape + (T,)).astype(float)
    return StochasticCellCycleResult(t=times, params=p, P=Ps, Q=Qs, D=Ds, cap=int(cap))
