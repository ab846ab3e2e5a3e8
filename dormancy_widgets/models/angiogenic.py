"""Angiogenic dormancy: a tumour held small because it cannot recruit enough blood vessels.

A tumour larger than a millimetre or two needs new blood vessels (angiogenesis). In mice,
lung micrometastases whose angiogenesis is suppressed stay small for a long time: their
cells proliferate as fast as those of growing metastases, but die by apoptosis more than
three times as often, so the lesion holds a steady size; once the suppression is removed
they grow (Holmgren, O’Reilly & Folkman 1995, Nat Med 1:149). A primary Lewis lung
carcinoma suppresses its own lung metastases this way through the angiogenesis inhibitor
angiostatin, which it releases into the blood (O’Reilly et al. 1994, Cell 79:315, as
reviewed): *concomitant resistance*. Udagawa (2008, APMIS 116:615) reviews this form of
dormancy: balanced proliferation and apoptosis under blocked angiogenesis.

**The model** (Hahnfeldt, Panigrahy, Folkman & Hlatky 1999, Cancer Res 59:4770, as written
in public model code) follows the tumour volume ``V`` and the *carrying capacity* ``K``,
the volume that the tumour's current vasculature can support (both in mm³):

    dV/dt = −λ1 · V · ln(V / K)
    dK/dt = −λ2 · K + b · V − d · K · V^(2/3) − e · K · g(t)

* The tumour grows in a Gompertz way towards the size its vessels can feed: it grows while
  V < K and shrinks while V > K, at the rate ``lambda1``.
* ``lambda2`` is the spontaneous loss of vessels (0 in the Lewis lung fit).
* ``b · V``: the tumour's cells release stimulators of angiogenesis, so vessel support
  grows in proportion to the tumour's volume.
* ``d · K · V^(2/3)``: the tumour also releases inhibitors. They reach the vessels from the
  whole tumour, and Hahnfeldt et al. argue that the inhibition therefore scales with the
  tumour's volume to the power 2/3. Stimulation (∝ V) loses to inhibition (∝ V^(5/3) at
  V = K) as the tumour grows: this is why an untreated tumour stops at a finite size.
* ``e · K · g(t)``: an angiogenesis inhibitor given as a drug kills vessel support in
  proportion to its serum concentration ``g(t)``. Each dose (``dose`` mg/kg, given on day
  ``start`` and every ``interval`` days after, ``n_doses`` times) raises ``g`` by the dose
  and is then cleared at the rate ``clr``, so ``g(t)`` is a sum of decaying exponentials,
  an explicit function of time: ``g(t) = Σ dose · exp(−clr · (t − t_k))`` over doses given
  by ``t``. The potency ``e`` and clearance ``clr`` of each drug are Hahnfeldt's fits:
  angiostatin e = 0.15, clr = 0.38 /day; endostatin 0.66, 1.7 /day; TNP-470 1.3, 10.1 /day
  (``DRUGS``).

**Steady states.** Without a drug the tumour settles where V = K and stimulation equals
inhibition plus vessel loss: V* = K* = ((b − λ2) / d)^(3/2) (no tumour if b ≤ λ2). With the
Lewis lung fit this is (5.85 / 0.00873)^(3/2) ≈ 17,350 mm³, a number derived from the fit.
A drug given at a steady schedule has the mean serum level ḡ = dose / (clr · interval).
Given as a constant infusion at that level, it would hold the tumour at
V*_infusion = ((b − λ2 − e · ḡ) / d)^(3/2): a small steady size (angiogenic dormancy) when
e · ḡ is just below b − λ2, and regression when e · ḡ ≥ b − λ2. Injections hold the tumour
less well than the infusion of the same amount: between injections the vessels recover, and
because the tumour's stimulation grows exponentially with ln(V/K) the good hours do not
make up for the bad ones. The balance is also slow to reach: a tumour held small has weak
inhibitors of its own (d · V^(2/3) is small), so after the first doses it settles towards
the balance over months, not days. The simulation shows the exact course.

**Numerics.** The model is integrated in the logarithms of V and K, which keeps both
positive whatever the parameters, with the drug level g(t) taken from its closed form. By
default each run of a batch takes its own adaptive steps with the Dormand–Prince 5(4) pair
(Dormand & Prince 1980, J Comput Appl Math 6:19): every step's error estimate in ln V and
ln K stays below ``TOLERANCE`` (10⁻⁷), and a step never crosses a dose or an output time but
lands on it, so g is smooth inside every step. The batch is one array computation that
advances every run by one step of its own size, so a run's result does not depend on its
companions; against ``solve_ivp`` the relative error stays below 10⁻⁶ (checked on random
draws across the whole parameter box). What limits the speed is the model's fast mode: ln(V/K) relaxes at
the rate b·V/K, which after a dose climbs to the drug's kill rate e·g (tens per day for
TNP-470 and endostatin), and an explicit method must keep its step well below the inverse
of that rate to stay accurate, about 40 steps a day under daily doses. The explorer instead
uses the classical Runge–Kutta method at a fixed, coarser step (``VIEW_STEP``, on a grid
that hits every dose day), accurate to better than 1% — less than a line's width; ``h``
asks for the fixed-step method at a given step (``DEFAULT_STEP`` and ``DRUG_STEP`` are the
fixed steps that keep 10⁻⁶ near the published fit).

**Where the model is too simple.** V and K are volumes, not cells: the model has no single
cells, no randomness and no extinction, so a regressing tumour shrinks towards zero for ever
(below 10⁻⁶ mm³, one cell, the numbers no longer mean anything). The tumour is a single
well-mixed lesion; real dormant micrometastases are many, of different sizes. Drug
resistance, drug toxicity and the immune system are left out, and one potency ``e`` per
drug hides its dose-response. The fit is to one mouse tumour line (Lewis lung carcinoma)
over about three weeks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from . import solvers
from .base import Result
from .params import Param, Preset, validate, validate_seed, validate_time

__all__ = [
    "ACCURACY",
    "DEFAULT_STEP",
    "DEFAULT_T",
    "DETECTABLE",
    "DORMANT_RATE",
    "DORMANT_WINDOW",
    "DRUGS",
    "DRUG_STEP",
    "MAX_STEP",
    "MIN_STEP",
    "PARAMS",
    "PRESETS",
    "STOCHASTIC",
    "TOLERANCE",
    "VIEW_STABILITY",
    "VIEW_STEP",
    "AngiogenicResult",
    "Drug",
    "concentration",
    "dormant_dose",
    "simulate",
    "steady_state",
    "steady_state_infusion",
    "step",
    "system",
]

STOCHASTIC = False
#: sixty days every six hours: the untreated tumour is within 0.3% of its plateau by day 60
DEFAULT_T = np.linspace(0.0, 60.0, 241)

#: the default, adaptive integration: largest error estimate of one step in ln V and ln K
#: (a relative error of V and K). 1e-7 keeps the global error below 1e-6 against solve_ivp
#: over the whole parameter box (tests and the benchmark check it); steps never exceed
#: MAX_STEP days, and a step below _SMALLEST days is always taken (so the loop ends)
TOLERANCE = 1e-7
MAX_STEP = 5.0
_SMALLEST = 1e-9

#: fixed RK4 steps in days (``h``, ``step``). ``solvers.choose_step`` (rtol 1e-7) gives
#: 0.1 days for the untreated Lewis lung fit; parameters near the fit (rates within a
#: factor 1.5, V0 and K0 within 2) need half that for a relative error below 1e-6 against
#: solve_ivp (DOP853, rtol 1e-10), hence 0.05. A drug forces the fast balance between
#: vessel growth and vessel kill afresh at every dose: the drug presets and schedules near
#: them need 0.01 days (tests check both).
DEFAULT_STEP = 0.05
DRUG_STEP = 0.01
#: each run's step is halved until it is below ACCURACY / r, where r bounds the run's
#: fastest rate (``_fastest_rate``): faster tumours, stronger drugs and tumours far larger
#: than their vessels get smaller steps (RK4 itself is stable up to h * r = 2.78)
ACCURACY = 0.32
#: no step is smaller than this: the fastest rate anywhere in the parameter ranges is below
#: 200 /day (lambda1 = 1, b = 12, V0/K0 = 10, 60 mg/kg TNP-470), so h * r stays below 2,
#: inside RK4's stability limit (2.78); only such far corners lose accuracy
MIN_STEP = 0.01
#: the explorer's steps (untreated, under a drug) and stability margin: relative errors
#: below 1e-4 untreated and 1% under the drug presets (tested), less than a line's width
#: on the plots, for a slider that answers at once. Under a drug the stability margin
#: already halves the step where the drug is fast, so both start from a quarter day.
VIEW_STEP = (0.25, 0.25)
VIEW_STABILITY = 2.5

#: 1 cm³ = 1000 mm³ (about 1e9 cells), the usual size of clinical detection (Udagawa 2008)
DETECTABLE = 1000.0
#: a tumour is "held dormant" when, over the last ``DORMANT_WINDOW`` days, its volume
#: changes by less than ``DORMANT_RATE`` per day on average (1% a day: a doubling would take
#: more than two months) and it ends below ``DETECTABLE``. Both are teaching choices.
DORMANT_RATE = 0.01
DORMANT_WINDOW = 10.0
#: below this volume (one cell, at 1e6 cells per mm³) the continuous model means nothing
ONE_CELL = 1e-6


@dataclass(frozen=True)
class Drug:
    """An angiogenesis inhibitor: potency ``e`` (kg/mg/day) and clearance ``clr`` (/day)."""

    name: str
    e: float
    clr: float
    source: str


_HAHNFELDT = "Hahnfeldt et al. 1999, Cancer Res 59:4770 (fit, as in public model code)"

#: the drugs Hahnfeldt et al. fitted; "none" is the untreated control
DRUGS: dict[str, Drug] = {
    "none": Drug("none", 0.0, 1.0, "untreated control"),
    "angiostatin": Drug("angiostatin", 0.15, 0.38, _HAHNFELDT),
    "endostatin": Drug("endostatin", 0.66, 1.7, _HAHNFELDT),
    "TNP-470": Drug("TNP-470", 1.3, 10.1, _HAHNFELDT),
}

_FIT = "Hahnfeldt et al. 1999, Cancer Res 59:4770: Lewis lung carcinoma fit"
_SCHEDULE = "teaching choice (a dose schedule on whole days)"

PARAMS: dict[str, Param] = {
    p.name: p
    for p in (
        Param(
            "lambda1",
            0.192,
            0.02,
            1.0,
            unit="/day",
            label="lambda1, tumour growth rate",
            doc="how fast the tumour volume V moves towards the size K its vessels support",
            source=_FIT,
        ),
        Param(
            "lambda2",
            0.0,
            0.0,
            1.0,
            unit="/day",
            label="lambda2, vessel loss",
            doc="spontaneous loss of vessel support (0 in the fit)",
            source=_FIT,
        ),
        Param(
            "b",
            5.85,
            1.0,
            12.0,
            unit="/day",
            label="b, angiogenic stimulation",
            doc="growth of vessel support per unit of tumour volume",
            log=True,
            source=_FIT,
        ),
        Param(
            "d",
            0.00873,
            0.002,
            0.04,
            unit="/day/mm²",
            label="d, endogenous inhibition",
            doc="loss of vessel support from the tumour's own inhibitors (scales as V^(2/3))",
            log=True,
            source=_FIT,
        ),
        Param(
            "V0",
            180.0,
            10.0,
            2000.0,
            unit="mm³",
            label="V0, starting tumour volume",
            doc="tumour volume at time zero",
            log=True,
            source=_FIT,
        ),
        Param(
            "K0",
            625.0,
            200.0,
            20000.0,
            unit="mm³",
            label="K0, starting vessel support",
            doc="carrying capacity (the volume the vessels can feed) at time zero",
            log=True,
            source=_FIT,
        ),
        Param(
            "drug",
            "none",
            choices=tuple(DRUGS),
            label="drug",
            doc="angiogenesis inhibitor given (none: untreated control)",
            source="Hahnfeldt et al. 1999 (potency e and clearance clr of each drug)",
        ),
        Param(
            "dose",
            20.0,
            0.0,
            60.0,
            unit="mg/kg",
            label="dose, per injection",
            doc="amount of drug given at each injection (raises the serum level g by this much)",
            step=0.5,
            source=_SCHEDULE,
        ),
        Param(
            "start",
            0.0,
            0.0,
            200.0,
            unit="day",
            label="start, first dose",
            doc="day of the first dose",
            integer=True,
            source=_SCHEDULE,
        ),
        Param(
            "interval",
            1.0,
            1.0,
            14.0,
            unit="days",
            label="interval, between doses",
            doc="days from one dose to the next (1: daily, 2: every other day)",
            integer=True,
            source=_SCHEDULE,
        ),
        Param(
            "n_doses",
            200.0,
            0.0,
            200.0,
            unit="doses",
            label="n_doses, number of doses",
            doc="how many doses are given before treatment stops",
            integer=True,
            source=_SCHEDULE,
        ),
    )
}

#: no drug (the schedule values are the sliders' defaults and have no effect)
_UNTREATED = {"drug": "none", "dose": 20.0, "start": 0.0, "interval": 1.0, "n_doses": 200.0}
#: the published fit (Hahnfeldt et al. 1999), as in PARAMS
_LEWIS_LUNG = {"lambda1": 0.192, "lambda2": 0.0, "b": 5.85, "d": 0.00873, "V0": 180.0, "K0": 625.0}

PRESETS: dict[str, Preset] = {
    "hahnfeldt1999_control": Preset(
        {**_LEWIS_LUNG, **_UNTREATED},
        "Hahnfeldt et al. 1999, Cancer Res 59:4770: fit to untreated Lewis lung carcinoma "
        "in mice (V0 180 mm³, K0 625 mm³)",
        "The untreated tumour grows to the size its own inhibitors allow.",
    ),
    # Dose found with dormant_dose(180, drug="angiostatin", interval=1): the infusion
    # steady state ((b - lambda2 - e * dose / (clr * interval)) / d)^(3/2) equals the
    # starting volume V0 = 180 mm³ at dose = 14.1 mg/kg (rounded to 0.1 mg/kg). Injected
    # daily, that dose holds the tumour at a few hundred mm³ (about 260 mm³ on day 60).
    "holmgren1995_dormancy": Preset(
        {**_LEWIS_LUNG, "drug": "angiostatin", "dose": 14.1, "start": 0.0, "interval": 1.0, "n_doses": 200.0},
        "Holmgren, O’Reilly & Folkman 1995, Nat Med 1:149: metastases under angiogenesis "
        "suppression stay small, with balanced proliferation and apoptosis; model and drug "
        "fit from Hahnfeldt et al. 1999 (the daily dose is tuned to hold 180 mm³)",
        "Daily angiostatin holds the tumour at a few hundred mm³: dormancy.",
    ),
    "suppression_removed": Preset(
        {**_LEWIS_LUNG, "drug": "angiostatin", "dose": 14.1, "start": 0.0, "interval": 1.0, "n_doses": 30.0},
        "Holmgren et al. 1995, Nat Med 1:149: dormant metastases grow once angiogenesis "
        "suppression is removed (as after removing a primary tumour that releases angiostatin, "
        "O’Reilly et al. 1994, Cell 79:315); stopping after 30 days is a teaching choice",
        "Angiostatin holds the tumour for 30 days, then stops: the tumour escapes.",
    ),
    "endostatin_regression": Preset(
        {**_LEWIS_LUNG, "drug": "endostatin", "dose": 20.0, "start": 0.0, "interval": 1.0, "n_doses": 200.0},
        "Hahnfeldt et al. 1999, Cancer Res 59:4770: endostatin potency and clearance from the "
        "fit; 20 mg/kg daily is a teaching choice",
        "A daily dose strong enough to make the tumour shrink.",
    ),
    "tnp470_every_other_day": Preset(
        {**_LEWIS_LUNG, "drug": "TNP-470", "dose": 30.0, "start": 0.0, "interval": 2.0, "n_doses": 200.0},
        "Hahnfeldt et al. 1999, Cancer Res 59:4770: TNP-470 potency and clearance from the "
        "fit; 30 mg/kg every other day is a teaching choice",
        "A fast-cleared drug every other day slows growth but does not hold the tumour.",
    ),
}


@dataclass(frozen=True, eq=False)
class AngiogenicResult(Result):
    """``V`` (tumour volume) and ``K`` (carrying capacity), mm³, shape ``batch + (len(t),)``."""

    V: np.ndarray
    K: np.ndarray
    #: ln V and d ln V / dt at the output times (for interpolation between them)
    lnV: np.ndarray
    dlnV: np.ndarray
    STATES: ClassVar[tuple[str, ...]] = ("V", "K")

    def summary(self) -> dict[str, Any]:
        """Headline numbers (mm³ and days): steady states, final and largest size, time to
        1 cm³ (``inf`` if not reached within the run), growth rate at the end, dormancy."""
        p = self.params
        t = self.t
        rate = _end_rate(t, self.lnV)
        v_final = self.V[..., -1]
        dormant = (v_final < DETECTABLE) & (np.abs(rate) <= DORMANT_RATE)
        shape = self.batch_shape
        return {
            "V_star": _out(np.broadcast_to(_steady(p["b"], p["lambda2"], p["d"]), shape)),
            "V_star_infusion": _out(np.broadcast_to(_steady_on_treatment(p), shape)),
            "V_final": _out(v_final),
            "K_final": _out(self.K[..., -1]),
            "V_max": _out(np.max(self.V, axis=-1)),
            "t_1cm3": _out(_first_crossing(t, self.lnV, self.dlnV, math.log(DETECTABLE))),
            "growth_rate_end": _out(rate),
            "dormant": _bool(dormant),
            "below_one_cell": _bool(v_final < ONE_CELL),
        }


def _out(x: ArrayLike) -> Any:
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def _bool(x: ArrayLike) -> Any:
    arr = np.asarray(x, dtype=bool)
    return bool(arr) if arr.ndim == 0 else arr


# ----------------------------------------------------------------------------- drug level
def _drug_constants(drug: Any) -> tuple[np.ndarray, np.ndarray]:
    """Potency e and clearance clr for a drug name or an array of names."""
    names = np.asarray(drug)
    e = np.zeros(names.shape)
    clr = np.ones(names.shape)
    for name, d in DRUGS.items():  # a loop over the four drugs, not over trajectories
        hit = names == name
        e = np.where(hit, d.e, e)
        clr = np.where(hit, d.clr, clr)
    return e, clr


class _Schedule:
    """Dose schedule of a batch: the serum level g(t) and its integral G(t), in closed form.

    With ``n`` doses given by time ``t`` (on days start, start + interval, ...), the last
    ``tau`` days ago, and ``q = exp(-clr * interval)``, the geometric sums give
    ``g = dose * exp(-clr tau) (1 - q^n) / (1 - q)`` and
    ``G = (dose / clr) (n - exp(-clr tau) (1 - q^n) / (1 - q))``; no exponential grows.
    """

    def __init__(self, p: dict[str, Any]) -> None:
        e, clr = _drug_constants(p["drug"])
        self.e = e
        self.clr = clr
        self.dose = p["dose"]
        self.start = p["start"]
        self.interval = p["interval"]
        self.n_max = p["n_doses"]
        self.active = (e > 0) & (self.dose > 0) & (self.n_max > 0)
        self.any = bool(np.any(self.active))
        self.one_minus_q = -np.expm1(-clr * self.interval)

    def _n_tau(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = np.clip(np.floor((t - self.start) / self.interval) + 1.0, 0.0, self.n_max)
        tau = np.where(n > 0, t - (self.start + (n - 1.0) * self.interval), 0.0)
        return n, tau

    def level(self, t: ArrayLike) -> np.ndarray:
        """g(t), mg/kg; ``t`` broadcasts against the batch (add a trailing axis for a grid)."""
        n, tau = self._n_tau(np.asarray(t, dtype=float))
        sum_q = -np.expm1(-self.clr * self.interval * n) / self.one_minus_q
        return np.where(self.active & (n > 0), self.dose * np.exp(-self.clr * tau) * sum_q, 0.0)

    def exposure(self, t: ArrayLike) -> np.ndarray:
        """e * G(t) = e * integral of g from 0 to t (dimensionless): the drug's kill of K."""
        n, tau = self._n_tau(np.asarray(t, dtype=float))
        sum_q = -np.expm1(-self.clr * self.interval * n) / self.one_minus_q
        G = self.dose / self.clr * (n - np.exp(-self.clr * tau) * sum_q)
        return np.where(self.active & (n > 0), self.e * G, 0.0)

    def dose_days(self, t0: float, t1: float) -> np.ndarray:
        """Every whole day in [t0, t1] on which some member of the batch gets a dose."""
        days = np.arange(math.ceil(t0), math.floor(t1) + 1, dtype=float)
        if not self.any or days.size == 0:
            return np.zeros(0)
        shape = np.shape(self.active)
        d = days.reshape((-1,) + (1,) * len(shape))
        k = (d - self.start) / self.interval
        given = self.active & (d >= self.start) & (k == np.floor(k)) & (k < self.n_max)
        return days[np.any(given.reshape(days.size, -1), axis=1)]


# ----------------------------------------------------------------------------- integration
def _stage_times(times: np.ndarray, h: float) -> np.ndarray:
    """Every time at which ``solvers.rk4`` evaluates the right-hand side (same arithmetic)."""
    out: list[float] = []
    for i in range(len(times) - 1):
        span = times[i + 1] - times[i]
        n = max(1, math.ceil(span / h - 1e-9)) if span > 0 else 0
        dt = span / n if n else 0.0
        tc = float(times[i])
        for _ in range(n):
            out += (tc, tc + dt / 2, tc + dt)
            tc += dt
    return np.unique(np.asarray(out, dtype=float))


#: largest (stage times x batch size) for which the drug exposure is tabulated in advance
_TABLE_LIMIT = 4_000_000


def _exposure_lookup(sched: _Schedule, times: np.ndarray, h: float) -> Callable[[float], Any]:
    """e * (G(t) - G(t0)) as a function of the stage time, tabulated when it is small enough.

    The table only saves work: a time missing from it is computed directly.
    """
    if not sched.any:
        return lambda t: 0.0
    base = sched.exposure(float(times[0]))
    cache: dict[float, np.ndarray] = {}
    stage = _stage_times(times, h)
    if stage.size * base.size <= _TABLE_LIMIT:
        table = sched.exposure(stage[:, None]) - base
        cache = dict(zip(stage.tolist(), table))

    def lookup(t: float) -> Any:
        v = cache.get(t)
        if v is None:
            v = cache[t] = sched.exposure(t) - base
        return v

    return lookup


def _fastest_rate(p: dict[str, Any], sched: _Schedule) -> np.ndarray:
    """An upper estimate (per day) of the fastest relaxation rate of each run (flat batch).

    In logarithms the fast mode is ln(V/K) relaxing at the rate b V/K + lambda1; b V/K starts
    at b V0/K0 and settles where stimulation balances vessel loss, endogenous inhibition and
    the drug: lambda2 + d V^(2/3) + e g, with g at most its peak level dose / (1 - q).
    """
    v_star = _steady(p["b"], p["lambda2"], p["d"])
    own = np.maximum(
        p["b"] * np.maximum(1.0, p["V0"] / p["K0"]),
        p["lambda2"] + p["d"] * np.maximum(p["V0"], v_star) ** (2.0 / 3.0),
    )
    peak = np.where(sched.active, sched.e * sched.dose / sched.one_minus_q, 0.0)
    return p["lambda1"] + own + peak


def _steps(flat: dict[str, Any], sched: _Schedule, view: bool = False) -> np.ndarray:
    """Each run's step: its base step halved until step * rate <= the margin.

    Steps are powers of two below the base, so a batch falls into a few step classes that
    are integrated one class at a time, and a run's result never depends on its batch.
    """
    (untreated, treated), margin = (
        (VIEW_STEP, VIEW_STABILITY) if view else ((DEFAULT_STEP, DRUG_STEP), ACCURACY)
    )
    base = np.where(sched.active, treated, untreated)
    halvings = np.ceil(np.log2(np.maximum(base * _fastest_rate(flat, sched) / margin, 1.0)))
    most = np.floor(np.log2(base / MIN_STEP))
    return base / 2.0 ** np.minimum(halvings, most)


def step(*, view: bool = False, **params: Any) -> Any:
    """The fixed RK4 step (days) for each run (an array for a batch).

    ``view=True`` gives the explorer's steps (``VIEW_STEP``, ``VIEW_STABILITY``), which
    ``simulate(..., view=True)`` uses; otherwise the steps that keep RK4 within 1e-6 of
    ``solve_ivp`` near the published fit (``DEFAULT_STEP``, ``DRUG_STEP``, halved for fast
    runs). By default ``simulate`` takes adaptive steps instead.
    """
    p = validate(PARAMS, params)
    shape = np.broadcast_shapes(*(np.shape(v) for v in p.values()))
    flat = {k: np.broadcast_to(v, shape).reshape(-1) for k, v in p.items()}
    return _out(_steps(flat, _Schedule(flat), view).reshape(shape))


def _system(p: dict[str, Any], times: np.ndarray) -> tuple[Any, ...]:
    """Flat batch parameters, schedule, packed right-hand side factory pieces."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in p.values()))
    # work on a flat batch (1-D arrays), reshaped at the end
    flat = {k: np.broadcast_to(v, shape).reshape(-1) for k, v in p.items()}
    sched = _Schedule(flat)
    # integrate on the output times plus every dose day, so that no step straddles a dose
    grid = np.union1d(times, sched.dose_days(times[0], times[-1]))
    y0 = np.stack([np.log(flat["V0"]), np.log(flat["K0"])])
    return shape, flat, sched, grid, y0


def _rhs(flat: dict[str, Any], sched: _Schedule, exposure: Callable[[float], Any]) -> solvers.RHS:
    neg_lam1, lam2, b, d = -flat["lambda1"], flat["lambda2"], flat["b"], flat["d"]
    two_thirds = 2.0 / 3.0

    # one packed state y = (u, z): u = ln V, z = ln K + e (G(t) - G(t0)); then
    # x = u - z + E(t) = ln(V/K). Packing halves the array operations per RK4 step.
    def rhs(t: float, state: tuple[np.ndarray, ...]) -> tuple[np.ndarray]:
        (y,) = state
        x = y[0] - y[1]
        if sched.any:
            x += exposure(t)
        out = np.empty(y.shape)
        np.multiply(neg_lam1, x, out=out[0])
        np.exp(x, out=x)
        x *= b
        v = np.multiply(two_thirds, y[0])
        np.exp(v, out=v)
        v *= d
        np.subtract(x, v, out=out[1])
        out[1] -= lam2
        return (out,)

    return rhs


def system(t: ArrayLike, **params: Any) -> tuple[solvers.RHS, tuple[np.ndarray], np.ndarray]:
    """``(rhs, y0, grid)``: what ``simulate`` hands to ``solvers.rk4`` at a fixed step (``h``,
    ``view``), for ``choose_step``.

    The state is one packed array ``(ln V, ln K + e ∫g)`` over a flat batch; ``grid`` is the
    output times plus every dose day.
    """
    times = validate_time(t)
    _, flat, sched, grid, y0 = _system(validate(PARAMS, params), times)
    base = sched.exposure(float(grid[0]))
    return _rhs(flat, sched, lambda s: sched.exposure(s) - base), (y0,), grid


def _integrate_flat(flat: dict[str, Any], times: np.ndarray, h: float) -> tuple[np.ndarray, ...]:
    """ln V, ln K and d ln V/dt at ``times`` for a flat batch integrated at one step ``h``."""
    _, flat, sched, grid, y0 = _system(flat, times)
    exposure = _exposure_lookup(sched, grid, h)
    (y,) = solvers.rk4(_rhs(flat, sched, exposure), (y0,), grid, h=h)
    idx = np.searchsorted(grid, times)
    u, z = y[0][:, idx], y[1][:, idx]
    E = np.stack([np.broadcast_to(exposure(float(tj)), u.shape[:1]) for tj in grid[idx]], axis=-1)
    w = z - E
    return u, w, -flat["lambda1"][:, None] * (u - w)


# ----------------------------------------------------------------------------- adaptive steps
@dataclass(frozen=True)
class _Pair:
    """An embedded explicit Runge-Kutta pair whose last stage (at t + h) is the next first one.

    ``a[i]`` weighs the stages so far to give stage i + 2 at ``t + c[i] h``; the last row
    gives the new state. ``e`` weighs all stages to give the local error estimate; the step
    scales as error^(-1/(order + 1)).
    """

    c: np.ndarray
    a: tuple[np.ndarray, ...]
    e: np.ndarray
    order: int


#: Dormand & Prince (1980, J Comput Appl Math 6:19), the 5(4) pair
_DP5 = _Pair(
    c=np.array([1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0]),
    a=(
        np.array([1 / 5]),
        np.array([3 / 40, 9 / 40]),
        np.array([44 / 45, -56 / 15, 32 / 9]),
        np.array([19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729]),
        np.array([9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]),
        np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]),
    ),
    e=np.array([-71 / 57600, 0.0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40]),
    order=4,
)


def _adaptive(
    flat: dict[str, Any], times: np.ndarray, tol: float, pair: _Pair = _DP5
) -> tuple[np.ndarray, np.ndarray]:
    """ln V, ln K at ``times`` for a flat batch, each run with its own adaptive step.

    Every run carries its own time and step; one pass of the loop advances every run by one
    step of the embedded Runge-Kutta ``pair`` (or rejects it), so the loop runs as often as
    the run that needs the most steps. Finished runs are dropped from the arrays as they go.
    A step never crosses the run's next dose or output time (it lands on it), so the drug
    level is smooth inside every step: g(s) = g(t) exp(-clr (s - t)), exact.

    The state is chosen so that one right-hand side costs seven array operations: B = ln(d
    V^(2/3)) and A = ln(b V / K), both of whose exponentials the equations need, so that

        dB/dt = -(2/3) λ1 (A - ln b),   dA/dt = (3/2) dB/dt + e^B - e^A + λ2 + e g(t).
    """
    n = flat["V0"].size
    m = times.size
    sched = _Schedule(flat)
    drug = sched.any
    ln_v0 = np.log(flat["V0"])
    y = np.stack([2.0 / 3.0 * ln_v0 + np.log(flat["d"]), ln_v0 - np.log(flat["K0"]) + np.log(flat["b"])])
    out = np.empty((2, n, m))
    out[:, :, 0] = y
    # per-run constants and state, all of the current (shrinking) length
    c: dict[str, np.ndarray] = {
        "slope": -2.0 / 3.0 * flat["lambda1"],
        "lam2": flat["lambda2"],
        "ln_b": np.log(flat["b"]),
        "row": np.arange(n),
    }
    v: dict[str, np.ndarray] = {
        "t": np.full(n, float(times[0])),
        "h": np.minimum(0.3 / _fastest_rate(flat, sched), 0.1),
        "k_out": np.ones(n, dtype=np.intp),
    }
    if drug:
        # the drug's kill rate e * g now, doses given so far, the next dose day
        given, _ = sched._n_tau(times[0])
        given = np.where(sched.active, given, 0.0)
        c.update(
            neg_clr=-sched.clr,
            kill_dose=np.where(sched.active, sched.e * sched.dose, 0.0),
            start=sched.start,
            interval=sched.interval,
            n_max=np.where(sched.active, sched.n_max, 0.0),
        )
        v.update(
            kill=sched.e * sched.level(times[0]),
            given=given,
            next_dose=np.where(given < c["n_max"], sched.start + given * sched.interval, np.inf),
        )
    t_pad = np.append(times, np.inf)
    nodes = np.unique(pair.c)  # the drug decays to each distinct node once per step
    node_row = np.searchsorted(nodes, pair.c)
    c_col = nodes[:, None]
    n_stages = len(pair.a) + 1
    power = -1.0 / (pair.order + 1)

    def rhs(ys: np.ndarray, loss: Any, out_k: np.ndarray) -> None:
        np.subtract(ys[1], c["ln_b"], out=out_k[0])
        out_k[0] *= c["slope"]
        ex = np.exp(ys)
        np.subtract(ex[0], ex[1], out=out_k[1])
        out_k[1] += loss
        ex[0] = 1.5 * out_k[0]
        out_k[1] += ex[0]

    stages = np.empty((n_stages, 2 * n))
    k = stages.reshape(n_stages, 2, n)
    work, y_new = np.empty(2 * n), np.empty(2 * n)
    out_flat = out.reshape(2, -1)
    rhs(y, c["lam2"] + v["kill"] if drug else c["lam2"], k[0])
    with np.errstate(all="ignore"):
        while n and m > 1:  # a run leaves the arrays once it has reached its last output time
            t, h_try, k_out = v["t"], v["h"], v["k_out"]
            t_out = t_pad[k_out]
            event = np.minimum(t_out, v["next_dose"]) if drug else t_out
            clipped = h_try >= event - t
            h = np.where(clipped, event - t, h_try)
            if drug:
                decay = np.exp(c["neg_clr"] * (c_col * h))
                loss = v["kill"] * decay
                loss += c["lam2"]
            else:
                loss = np.broadcast_to(c["lam2"], (len(nodes), n))
            for i, a in enumerate(pair.a):
                buf = y_new if i == len(pair.a) - 1 else work
                np.dot(a, stages[: i + 1], out=buf)
                ys = buf.reshape(2, n)
                ys *= h
                ys += y
                rhs(ys, loss[node_row[i]], k[i + 1])
            # error estimate in ln V = 1.5 (B - ln d), and in A = ln(V/K) + ln b
            err = np.abs((pair.e @ stages).reshape(2, n))
            err[0] *= 1.5
            err = np.max(err, axis=0) * h
            err *= 1.0 / tol
            # a step that small is always taken (it cannot fail but by overflow, never seen)
            ok = (err <= 1.0) | (h < _SMALLEST)
            grown = h * np.fmin(np.fmax(0.9 * err**power, 0.2), 5.0)
            landed = ok & clipped
            v["h"] = np.clip(np.where(landed, np.maximum(grown, h_try), grown), _SMALLEST, MAX_STEP)
            t_new = t + h
            np.copyto(t_new, event, where=clipped)
            np.copyto(t, t_new, where=ok)
            np.copyto(y, ys, where=ok)
            np.copyto(k[0], k[-1], where=ok)
            if drug:
                np.copyto(v["kill"], v["kill"] * decay[-1], where=ok)
                dosed = np.flatnonzero(landed & (event == v["next_dose"]))
                if dosed.size:
                    kd = c["kill_dose"][dosed]
                    v["kill"][dosed] += kd
                    k[0, 1, dosed] += kd
                    v["given"][dosed] += 1.0
                    g = v["given"][dosed]
                    nd = c["start"][dosed] + g * c["interval"][dosed]
                    v["next_dose"][dosed] = np.where(g < c["n_max"][dosed], nd, np.inf)
                    # the drug's kill is the fastest rate right after a dose
                    v["h"][dosed] = np.minimum(v["h"][dosed], 0.3 / v["kill"][dosed])
            hit = np.flatnonzero(landed & (event == t_out))
            if hit.size:
                out_flat[:, c["row"][hit] * m + k_out[hit]] = y[:, hit]
                k_out[hit] += 1
                live = k_out < m
                # drop finished runs once they are an eighth of the arrays (until then they
                # step on harmlessly past the end: nothing more is recorded for them)
                if 8 * (n - np.count_nonzero(live)) >= n:
                    n = int(np.count_nonzero(live))
                    c = {key: a[live] for key, a in c.items()}
                    v = {key: a[live] for key, a in v.items()}
                    y = y[:, live]
                    first = k[0][:, live]
                    stages = np.empty((n_stages, 2 * n))
                    k = stages.reshape(n_stages, 2, n)
                    k[0] = first
                    work, y_new = np.empty(2 * n), np.empty(2 * n)
    ln_v = 1.5 * (out[0] - np.log(flat["d"])[:, None])
    return ln_v, ln_v + np.log(flat["b"])[:, None] - out[1]


def _integrate(
    p: dict[str, Any], times: np.ndarray, h: float | None, view: bool = False
) -> tuple[np.ndarray, ...]:
    """ln V, ln K and d ln V/dt at ``times``, shape ``batch + (len(t),)``."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in p.values()))
    flat = {k: np.broadcast_to(v, shape).reshape(-1) for k, v in p.items()}
    if h is None and not view:
        u, w = _adaptive(flat, times, TOLERANCE)
        dlnv = -flat["lambda1"][:, None] * (u - w)
        return tuple(a.reshape(shape + (len(times),)) for a in (u, w, dlnv))
    steps = _steps(flat, _Schedule(flat), view)
    if h is not None:
        steps = np.full(steps.shape, h)
    out = tuple(np.empty((steps.size, len(times))) for _ in range(3))
    for hk in np.unique(steps):  # a few step classes (powers of two), not a loop over runs
        members = np.flatnonzero(steps == hk)
        part = _integrate_flat({k: v[members] for k, v in flat.items()}, times, float(hk))
        for o, a in zip(out, part):
            o[members] = a
    return tuple(o.reshape(shape + (len(times),)) for o in out)


def simulate(
    t: ArrayLike, *, seed: Any = None, h: float | None = None, view: bool = False, **params: Any
) -> AngiogenicResult:
    """Tumour volume ``V`` and carrying capacity ``K`` (mm³) at the times ``t`` (days).

    Every parameter of ``PARAMS`` may be an array (the drug a string array); the batch is
    one array computation. ``V0`` and ``K0`` hold at ``t[0]``; doses are counted from day 0.
    By default every run takes its own adaptive Dormand–Prince steps (``TOLERANCE``).
    ``h`` asks for the classical Runge–Kutta method at that fixed step in days instead;
    ``view=True`` for the explorer's coarser fixed steps (errors below 1%, see ``VIEW_STEP``
    and ``step``). ``seed`` is accepted for the common model signature and ignored (the
    model is deterministic).
    """
    times = validate_time(t)
    validate_seed(seed)
    p = validate(PARAMS, params)
    if h is not None and not (isinstance(h, (int, float)) and 0 < h <= 1):
        raise ValueError(f"h = {h!r} is not allowed: the step must be a number of days in (0, 1].")
    lnV, lnK, dlnV = _integrate(p, times, None if h is None else float(h), bool(view))
    # exp underflows to 0 only far below one cell, which is finite and non-negative
    return AngiogenicResult(t=times, params=p, V=np.exp(lnV), K=np.exp(lnK), lnV=lnV, dlnV=dlnV)


# ----------------------------------------------------------------------------- summaries
def _steady(b: ArrayLike, lambda2: ArrayLike, d: ArrayLike) -> np.ndarray:
    """((b - lambda2) / d)^(3/2), or 0 when vessel loss beats stimulation."""
    net = np.maximum(np.asarray(b, dtype=float) - lambda2, 0.0)
    return (net / d) ** 1.5


def _steady_on_treatment(p: dict[str, Any]) -> np.ndarray:
    """Steady state under a constant infusion at the schedule's mean level dose / (clr interval)."""
    e, clr = _drug_constants(p["drug"])
    on = (p["n_doses"] > 0) & (p["dose"] > 0)
    kill = np.where(on, e * p["dose"] / (clr * p["interval"]), 0.0)
    return _steady(p["b"] - kill, p["lambda2"], p["d"])


def _end_rate(t: np.ndarray, lnV: np.ndarray) -> np.ndarray:
    """Mean d ln V / dt over the last ``DORMANT_WINDOW`` days (or the whole run if shorter)."""
    span = t[-1] - t[0]
    if span <= 0:
        return np.zeros(lnV.shape[:-1])
    window = min(DORMANT_WINDOW, span)
    ta = t[-1] - window
    j = int(np.clip(np.searchsorted(t, ta, side="right") - 1, 0, len(t) - 2))
    frac = (ta - t[j]) / (t[j + 1] - t[j]) if t[j + 1] > t[j] else 0.0
    start = lnV[..., j] + frac * (lnV[..., j + 1] - lnV[..., j])
    return (lnV[..., -1] - start) / window


def _first_crossing(t: np.ndarray, y: np.ndarray, dy: np.ndarray, level: float) -> np.ndarray:
    """First time ``y`` reaches ``level`` (``inf`` if it does not within ``t``; ``t[0]`` if it
    starts there), by cubic Hermite interpolation of ``y`` between the output times."""
    above = y >= level
    first = np.argmax(above, axis=-1)
    never = ~np.any(above, axis=-1)
    i = np.clip(first - 1, 0, len(t) - 1)
    j = np.clip(first, 0, len(t) - 1)
    take = lambda a, k: np.take_along_axis(a, k[..., None], axis=-1)[..., 0]  # noqa: E731
    h = t[j] - t[i]
    y0, y1, m0, m1 = take(y, i), take(y, j), take(dy, i) * h, take(dy, j) * h
    lo, hi = np.zeros(np.shape(h)), np.ones(np.shape(h))
    for _ in range(40):  # bisection on [t_i, t_j], where y0 < level <= y1
        s = (lo + hi) / 2
        s2, s3 = s * s, s * s * s
        ys = (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * m1
        lo, hi = np.where(ys < level, s, lo), np.where(ys < level, hi, s)
    tc = t[i] + hi * h
    return np.where(never, np.inf, np.where(first == 0, t[0], tc))


# ----------------------------------------------------------------------------- helpers
def steady_state(**params: Any) -> Any:
    """Untreated steady state V* = K* = ((b - lambda2) / d)^(3/2) in mm³ (0 if b <= lambda2)."""
    p = validate(PARAMS, params)
    return _out(_steady(p["b"], p["lambda2"], p["d"]))


def steady_state_infusion(**params: Any) -> Any:
    """Steady state under a constant infusion of the drug: ((b - lambda2 - e ḡ) / d)^(3/2), mm³.

    ḡ = dose / (clr * interval) is the mean serum level of the schedule; an infusion keeps
    g at ḡ. 0 means regression. The injected schedule itself holds the tumour higher (its
    periodic orbit lies above this level).
    """
    p = validate(PARAMS, params)
    return _out(_steady_on_treatment(p))


def dormant_dose(V_target: ArrayLike, **params: Any) -> Any:
    """Dose (mg/kg) whose infusion-equivalent holds the tumour at ``V_target`` mm³.

    Solves b - lambda2 - e * dose / (clr * interval) = d * V_target^(2/3) for the dose, for
    the drug and interval in ``params``; negative results (the untreated tumour is already
    smaller than the target) are returned as 0.
    """
    p = validate(PARAMS, params)
    v = np.asarray(V_target, dtype=float)
    if np.any(~np.isfinite(v)) or np.any(v <= 0):
        raise ValueError(f"V_target = {V_target!r} is not allowed: give a positive volume in mm³.")
    e, clr = _drug_constants(p["drug"])
    if np.any(e == 0):
        raise ValueError("drug = 'none' is not allowed here: choose a drug to compute its dose.")
    kill = p["b"] - p["lambda2"] - p["d"] * v ** (2.0 / 3.0)
    return _out(np.maximum(kill, 0.0) * clr * p["interval"] / e)


def concentration(t: ArrayLike, **params: Any) -> np.ndarray:
    """Serum drug level g(t) (mg/kg) at the times ``t``, shape ``batch + (len(t),)``."""
    times = validate_time(t)
    p = validate(PARAMS, params)
    sched = _Schedule(p)
    shape = np.broadcast_shapes(*(np.shape(v) for v in p.values()))
    level = sched.level(times.reshape((-1,) + (1,) * len(shape)))
    return np.moveaxis(np.broadcast_to(level, (times.size, *shape)), 0, -1).copy()
