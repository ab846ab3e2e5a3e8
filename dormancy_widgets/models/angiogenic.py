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
Lewis lung fit this is (5.85 / 0.00873)^(3/2) ≈ 17,350 mm³, a number derived from the fit
and an extrapolation: the control data stop near 10,400 mm³ on day 19, and 17,350 mm³ is
about 17 g of tumour in a mouse of 20–30 g, which would not live to see it.
A drug given at a steady schedule has the mean serum level ḡ = dose / (clr · interval).
Given as a constant infusion at that level, it would hold the tumour at
V*_infusion = ((b − λ2 − e · ḡ) / d)^(3/2): a small steady size (angiogenic dormancy) when
e · ḡ is just below b − λ2, and regression when e · ḡ ≥ b − λ2. Injections hold the tumour
less well than the infusion of the same amount: between injections the vessels recover, and
because the tumour's stimulation grows exponentially with ln(V/K) the good hours do not
make up for the bad ones. The balance is also slow to reach: a tumour held small has weak
inhibitors of its own (d · V^(2/3) is small), so after the first doses it settles towards
the balance over months, not days. The simulation shows the exact course.

**Numerics.** The model is integrated in the logarithms of V and K (as B = ln(d V^(2/3))
and A = ln(b V/K), see ``_system``), which keeps both positive whatever the parameters; the
drug level g(t) is taken from its closed form and each dose is an event. Angiogenic supplies
only this right-hand side and its dose schedule: the integration is ``solvers.solve``, the
package's one batched solver. By default each run of a batch takes its own adaptive steps
with the Dormand–Prince 5(4) pair (Dormand & Prince 1980, J Comput Appl Math 6:19): every
step's error estimate in ln V and ln K stays below ``TOLERANCE`` (10⁻⁷), and a step never
crosses a dose but lands on it, so g is smooth inside every step; outputs between steps come
from the method's continuous extension (order 4, ``DENSE``). A run's
result does not depend on its companions (bit for bit); against ``solve_ivp`` the relative error stays
below 10⁻⁶ (checked on random draws across the whole parameter box). What limits the speed
is the model's fast mode: ln(V/K) relaxes at the rate b·V/K, which after a dose climbs to
the drug's kill rate e·g (tens per day for TNP-470 and endostatin), and the 5th-order method
needs about 20 steps a day under daily doses for 10⁻⁶. The explorer (``view=True``) uses
the same method at ``VIEW_TOLERANCE`` under a drug, and for an untreated tumour the
L-stable Rosenbrock 2(3) pair (``solvers.ROS23``, with its continuous extension), whose
steps the fast mode does not limit (about 2 times fewer and cheaper): within 1% over the
whole parameter box either way (tested at its corners), less than a line's width. ``h``
asks for the classical Runge–Kutta method at a fixed step instead (``DEFAULT_STEP`` and
``DRUG_STEP`` keep 10⁻⁶ near the published fit).

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
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from . import solvers, units
from ._util import first_reached, flatten
from ._util import scalar as _out
from .base import Output, Result
from .params import Param, Preset, declare, defaults, validate, validate_seed, validate_time

__all__ = [
    "DEFAULT_STEP",
    "DEFAULT_T",
    "DETECTABLE",
    "DORMANT_RATE",
    "DORMANT_WINDOW",
    "DRUGS",
    "DRUG_STEP",
    "HAHNFELDT1999_OUTCOMES",
    "MAX_STEP",
    "PARAMS",
    "PRESETS",
    "PRESET_ALIASES",
    "STOCHASTIC",
    "TOLERANCE",
    "VIEW_TOLERANCE",
    "AngiogenicResult",
    "Drug",
    "concentration",
    "dormant_dose",
    "simulate",
    "steady_state",
    "steady_state_infusion",
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
#: steps do not land on every output time: outputs inside a step come from the method's
#: continuous extension (order 4), so the 241 output times of a plot cost no extra steps
DENSE = True
_SMALLEST = 1e-9

#: fixed RK4 steps in days (``h``, ``step``), for a relative error below 1e-6 against
#: solve_ivp (DOP853, rtol 1e-10): 0.05 days for the untreated Lewis lung fit and
#: parameters near it (rates within a factor 1.5, V0 and K0 within 2). A drug forces the
#: fast balance between vessel growth and vessel kill afresh at every dose: the drug presets
#: need 0.005 days (0.01 gives 1.04e-6 on endostatin; tests check both).
DEFAULT_STEP = 0.05
DRUG_STEP = 0.005
#: the explorer's adaptive integration (``view=True``): Dormand–Prince with a looser
#: tolerance. Over the whole parameter box (all 64 corners of the six tumour rates and sizes,
#: every drug at 5, 20 and 60 mg/kg, daily and every third day) V and K stay within 0.4% of
#: the default integration (tested: below 1%), less than a line's width on the plots. Outputs
#: between steps come from the continuous extension here too, so an untreated run takes
#: about half the steps it would if it stopped at each of the plot's output times.
VIEW_METHOD = solvers.DOPRI5
VIEW_TOLERANCE = 1e-4
#: untreated runs in the explorer: no dose ever restarts the fast balance, and what bounds an
#: explicit method is stability (b V/K of several per day), not accuracy; the L-stable
#: Rosenbrock pair with its continuous extension takes 2-3 times fewer, cheaper steps
VIEW_UNTREATED_METHOD = solvers.ROS23
VIEW_UNTREATED_TOLERANCE = 1e-4

#: 1 cm³ = 1000 mm³ (about 1e9 cells), the usual size of clinical detection (Udagawa 2008)
DETECTABLE = units.CLINICAL_MM3
#: a tumour is "held dormant" when, over the last ``DORMANT_WINDOW`` days, its volume
#: changes by less than ``DORMANT_RATE`` per day on average (1% a day: a doubling would take
#: more than two months) and it ends below ``DETECTABLE``. Both are teaching choices.
DORMANT_RATE = 0.01
DORMANT_WINDOW = 10.0
#: below this volume (one cell, at 1e6 cells per mm³) the continuous model means nothing
ONE_CELL_MM3 = units.ONE_CELL_MM3


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

#: Published outcomes the model was *not* fitted to, for a lesson's reproduction. Reported
#: in Hahnfeldt et al. 1999 as read by an independent review of this package [unverified
#: here: not checked against the paper's text]: TNP-470 at 30 mg/kg every other day holds
#: the tumour at a set point of about 12,300 mm³; on day 13 of that treatment the tumour is
#: about 1,840 mm³ under injections and about 1,300 mm³ under a continuous infusion of the
#: same amount. The fit used the drug's control and treated growth curves, not these.
HAHNFELDT1999_OUTCOMES = {
    "tnp470_set_point": {
        "value": 12300.0,
        "unit": "mm³",
        "params": {"drug": "TNP-470", "dose": 30.0, "interval": 2.0},
    },
    "day13_injections": {
        "value": 1840.0,
        "unit": "mm³",
        "params": {"drug": "TNP-470", "dose": 30.0, "interval": 2.0},
    },
    "day13_infusion": {
        "value": 1300.0,
        "unit": "mm³",
        "params": {"drug": "TNP-470", "dose": 30.0, "interval": 2.0},
        "infusion": True,
    },
}

_FIT = "Hahnfeldt et al. 1999, Cancer Res 59:4770: Lewis lung carcinoma fit"
_SCHEDULE = "teaching choice (a dose schedule on whole days)"

PARAMS: dict[str, Param] = declare(
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
        source="public reimplementations of Hahnfeldt et al. 1999 (180 mm³ is not a number "
        "of the paper, whose control data start near 200 mm³)",
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
        unit="days",
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

#: the published fit (Hahnfeldt et al. 1999) and no drug (the schedule values are the
#: sliders' defaults and have no effect): every default
_LEWIS_LUNG = defaults(PARAMS)

PRESETS: dict[str, Preset] = {
    "hahnfeldt1999_control": Preset(
        dict(_LEWIS_LUNG),
        "Hahnfeldt et al. 1999, Cancer Res 59:4770: fit to untreated Lewis lung carcinoma "
        "in mice (V0 180 mm³ and K0 625 mm³ as in public reimplementations of the model)",
        "The untreated tumour grows to the size its own inhibitors allow.",
    ),
    # Dose found with dormant_dose(180, drug="angiostatin", interval=1): the infusion
    # steady state ((b - lambda2 - e * dose / (clr * interval)) / d)^(3/2) equals the
    # starting volume V0 = 180 mm³ at dose = 14.1 mg/kg (rounded to 0.1 mg/kg). Injected
    # daily, that dose lets the tumour overshoot to about 300 mm³ (day 10), and it then
    # settles slowly towards about 200 mm³ (221 mm³ on day 200; tests check both).
    "angiostatin_dormancy": Preset(
        {**_LEWIS_LUNG, "drug": "angiostatin", "dose": 14.1},
        "Hahnfeldt et al. 1999, Cancer Res 59:4770: model and angiostatin fit (post-vascular "
        "dormancy of a subcutaneous Lewis lung carcinoma, a vascularised tumour of hundreds of "
        "mm³). The daily dose is a teaching choice: its constant-infusion steady state is the "
        "starting 180 mm³. It illustrates the balance Holmgren, O’Reilly & Folkman 1995 (Nat "
        "Med 1:149) saw in microscopic lung micrometastases, whose sizes it does not model",
        "Daily angiostatin holds a vascularised tumour at a few hundred mm³ (post-vascular "
        "dormancy): it overshoots to about 300 mm³, then settles slowly towards 200 mm³.",
    ),
    "suppression_removed": Preset(
        {**_LEWIS_LUNG, "drug": "angiostatin", "dose": 14.1, "n_doses": 30.0},
        "Holmgren et al. 1995, Nat Med 1:149: dormant metastases grow once angiogenesis "
        "suppression is removed (as after removing a primary tumour that releases angiostatin, "
        "O’Reilly et al. 1994, Cell 79:315); stopping after 30 days is a teaching choice",
        "Angiostatin holds the tumour for 30 days, then stops: the tumour escapes.",
    ),
    "endostatin_regression": Preset(
        {**_LEWIS_LUNG, "drug": "endostatin", "dose": 20.0},
        "Hahnfeldt et al. 1999, Cancer Res 59:4770: endostatin potency and clearance from the "
        "fit; 20 mg/kg daily is a teaching choice",
        "A daily dose strong enough to make the tumour shrink.",
    ),
    "tnp470_every_other_day": Preset(
        {**_LEWIS_LUNG, "drug": "TNP-470", "dose": 30.0, "interval": 2.0},
        "Hahnfeldt et al. 1999, Cancer Res 59:4770: TNP-470 potency and clearance from the "
        "fit; 30 mg/kg every other day is a teaching choice",
        "A fast-cleared drug every other day slows growth but does not hold the tumour.",
    ),
}


#: earlier preset names that lessons, links and saved settings may still use
PRESET_ALIASES = {"holmgren1995_dormancy": "angiostatin_dormancy"}


class _Presets(dict):
    """``PRESETS``: lists each preset once, and also answers to the names in ``PRESET_ALIASES``."""

    def __missing__(self, key: str) -> Preset:
        if key in PRESET_ALIASES:
            return self[PRESET_ALIASES[key]]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in PRESET_ALIASES

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default


PRESETS = _Presets(PRESETS)


@dataclass(frozen=True, eq=False)
class AngiogenicResult(Result):
    """``V`` (tumour volume) and ``K`` (carrying capacity), mm³, shape ``batch + (len(t),)``."""

    V: np.ndarray
    K: np.ndarray
    #: ln V and d ln V / dt at the output times (for interpolation between them)
    lnV: np.ndarray
    dlnV: np.ndarray
    STATES: ClassVar[tuple[str, ...]] = ("V", "K")
    SUMMARY: ClassVar[dict[str, Output]] = {
        "V_star": Output("mm³", "untreated steady state ((b - lambda2) / d)^(3/2)"),
        "V_star_infusion": Output("mm³", "steady state under a constant infusion of the same mean dose"),
        "V_final": Output("mm³", "tumour volume at the last output time"),
        "K_final": Output("mm³", "carrying capacity at the last output time"),
        "V_max": Output("mm³", "largest tumour volume over the run"),
        "days_to_clinical": Output("days", "first time V reaches 1 cm³, clinical detection (inf if never)"),
        "growth_rate_final": Output("/day", "mean growth rate of ln V over the last DORMANT_WINDOW days"),
        "dormant": Output("", "held dormant: below 1 cm³ and changing by less than DORMANT_RATE a day"),
        "below_one_cell": Output("", "the final volume is below one cell (1e-6 mm³)"),
    }

    def dose_days(self) -> np.ndarray:
        """Days within the run on which a dose is given (empty when untreated); one run only."""
        p = self.params
        if str(p["drug"]) == "none" or float(p["dose"]) == 0:
            return np.zeros(0)
        days = float(p["start"]) + float(p["interval"]) * np.arange(int(p["n_doses"]))
        return days[(days >= self.t[0]) & (days <= self.t[-1])]

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
            "V_star_infusion": _out(np.broadcast_to(_steady_on_treatment(dict(p)), shape)),
            "V_final": _out(v_final),
            "K_final": _out(self.K[..., -1]),
            "V_max": _out(np.max(self.V, axis=-1)),
            "days_to_clinical": _out(_first_crossing(t, self.lnV, self.dlnV, math.log(DETECTABLE))),
            "growth_rate_final": _out(rate),
            "dormant": _out(dormant, bool),
            "below_one_cell": _out(v_final < ONE_CELL_MM3, bool),
        }


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


# ----------------------------------------------------------------------------- right-hand side
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


def _log0(x: np.ndarray) -> np.ndarray:
    """ln x, with ln 0 = -inf without a warning."""
    with np.errstate(divide="ignore"):
        return np.log(x)


def _system(flat: dict[str, Any], t0: float, infusion: bool = False) -> tuple[Any, ...]:
    """What ``simulate`` hands to ``solvers.solve`` for a flat batch starting at ``t0``:
    ``(fun, jac, y0, args, next_dose, give_dose)``.

    The state is B = ln(d V^(2/3)) and A = ln(b V / K), whose exponentials are the two
    rates the equations need, so that the right-hand side is a few array operations:

        dB/dt = -(2/3) λ1 (A - ln b),   dA/dt = (3/2) dB/dt + e^B - e^A + λ2 + e g(t).

    The drug's kill rate e g(t) decays as exp(-clr (t - t_dose)) from the level just after
    the run's last dose; each dose is an event that raises it by e * dose. With ``infusion``
    the same mean level ḡ = dose / (clr interval) is given at a constant rate instead, from
    ``start`` for ``n_doses * interval`` days (two events: on, off). Every run's constants
    travel in ``args`` (the solver shrinks them with the batch).
    """
    sched = _Schedule(flat)
    ln_v0 = np.log(flat["V0"])
    y0 = np.stack([2.0 / 3.0 * ln_v0 + np.log(flat["d"]), ln_v0 - np.log(flat["K0"]) + np.log(flat["b"])])
    given, _ = sched._n_tau(np.asarray(t0, dtype=float))
    given = np.where(sched.active, given, 0.0)
    n_max = np.where(sched.active, sched.n_max, 0.0)
    args = {
        "slope": -2.0 / 3.0 * flat["lambda1"],
        "lam2": np.asarray(flat["lambda2"], dtype=float),
        "ln_b": np.log(flat["b"]),
        "neg_clr": -sched.clr,
        "kill_dose": np.where(sched.active, sched.e * sched.dose, 0.0),
        # the kill rate is exp(ref - clr t) until the next dose: ref = ln(kill after the last
        # dose) + clr * (its day); -inf when there is no drug yet
        "ref": _log0(sched.e * sched.level(t0)) + sched.clr * t0,
        "start": sched.start,
        "interval": sched.interval,
        "n_max": n_max,
        "given": given,
    }
    if infusion:
        end = sched.start + sched.n_max * sched.interval
        on = sched.active & (sched.start <= t0) & (t0 < end)
        mean = np.where(sched.active, sched.e * sched.dose / (sched.clr * sched.interval), 0.0)
        args["neg_clr"] = np.zeros_like(mean)
        args["mean_ref"] = _log0(mean)
        args["end"] = end
        args["ref"] = np.where(on, args["mean_ref"], -np.inf)
        args["given"] = np.where(~sched.active | (t0 >= end), 2.0, np.where(on, 1.0, 0.0))
    drug = sched.any

    def kill(t: np.ndarray, a: dict[str, np.ndarray]) -> np.ndarray:
        k = np.multiply(a["neg_clr"], t)
        k += a["ref"]
        return np.exp(k, out=k)

    def fun(t: np.ndarray, y: np.ndarray, a: dict[str, np.ndarray]) -> np.ndarray:
        ex = np.exp(y)
        dy = np.subtract(y[1], a["ln_b"])
        dy *= a["slope"]
        ex[0] -= ex[1]
        ex[0] += a["lam2"]
        ex[1] = 1.5 * dy
        ex[1] += ex[0]
        if drug:
            ex[1] += kill(t, a)
        ex[0] = dy
        return ex

    def jac(t: np.ndarray, y: np.ndarray, a: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        ex = np.exp(y)
        J = np.empty((2, 2, y.shape[1]))
        J[0, 0] = 0.0
        J[0, 1] = a["slope"]
        J[1, 0] = ex[0]
        J[1, 1] = 1.5 * a["slope"] - ex[1]
        dT = np.zeros_like(y)
        if drug:
            dT[1] = a["neg_clr"] * kill(t, a)
        return J, dT

    def next_dose(t: np.ndarray, a: dict[str, np.ndarray]) -> np.ndarray:
        if infusion:
            return np.select([a["given"] == 0, a["given"] == 1], [a["start"], a["end"]], np.inf)
        nd = a["start"] + a["given"] * a["interval"]
        return np.where(a["given"] < a["n_max"], nd, np.inf)

    def give_dose(rows: np.ndarray, t: np.ndarray, y: np.ndarray, a: dict[str, np.ndarray]) -> Any:
        if infusion:  # the infusion starts (the mean level) or stops
            a["ref"][rows] = np.where(a["given"][rows] == 0, a["mean_ref"][rows], -np.inf)
            a["given"][rows] += 1.0
            return None
        tr = t[rows]
        k = kill(tr, {"neg_clr": a["neg_clr"][rows], "ref": a["ref"][rows]}) + a["kill_dose"][rows]
        a["ref"][rows] = np.log(k) - a["neg_clr"][rows] * tr
        a["given"][rows] += 1.0
        # right after a dose the drug's kill is the fastest rate: start small
        return 0.3 / k

    return fun, jac, y0, args, next_dose, give_dose


def _integrate(
    p: dict[str, Any], times: np.ndarray, h: float | None, view: bool = False, infusion: bool = False
) -> tuple[np.ndarray, ...]:
    """ln V, ln K and d ln V/dt at ``times``, shape ``batch + (len(t),)``."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in p.values()))
    flat = flatten(p, shape)
    fun, jac, y0, args, next_dose, give_dose = _system(flat, float(times[0]), infusion)
    sched = _Schedule(flat)
    events = {"next_event": next_dose, "on_event": give_dose} if sched.any else {}
    if h is None:
        method: solvers.Method
        if view and not sched.any:
            method, tol, jac_kw = VIEW_UNTREATED_METHOD, VIEW_UNTREATED_TOLERANCE, {"jac": jac}
        elif view:
            method, tol, jac_kw = VIEW_METHOD, VIEW_TOLERANCE, {}
        else:
            method, tol, jac_kw = solvers.DOPRI5, TOLERANCE, {}
        sol = solvers.solve(
            fun,
            y0,
            times,
            args=args,
            method=method,
            atol=tol,
            weights=(1.5, 1.0),  # an error in B is 1.5 times that error in ln V
            first_step=np.minimum(0.3 / _fastest_rate(flat, sched), 0.1),
            max_step=MAX_STEP,
            min_step=_SMALLEST,
            dense_output=DENSE,
            **jac_kw,
            **events,
        )
    else:
        sol = solvers.solve(
            fun, y0, times, args=args, method=solvers.RK4, h=np.full(flat["V0"].shape, h), **events
        )
    B, A = sol.y
    ln_v = 1.5 * (B - np.log(flat["d"])[:, None])
    ln_k = ln_v + np.log(flat["b"])[:, None] - A
    dlnv = -flat["lambda1"][:, None] * (ln_v - ln_k)
    return tuple(x.reshape(shape + (len(times),)) for x in (ln_v, ln_k, dlnv))


def simulate(
    t: ArrayLike,
    *,
    seed: Any = None,
    h: float | None = None,
    view: bool = False,
    infusion: bool = False,
    **params: Any,
) -> AngiogenicResult:
    """Tumour volume ``V`` and carrying capacity ``K`` (mm³) at the times ``t`` (days).

    Every parameter of ``PARAMS`` may be an array (the drug a string array); the batch is
    one array computation. ``V0`` and ``K0`` hold at ``t[0]``; doses are counted from day 0.
    By default every run takes its own adaptive Dormand–Prince steps (``TOLERANCE``);
    ``view=True`` asks for the explorer's looser tolerance (within 1%, ``VIEW_TOLERANCE``);
    ``h`` for the classical Runge–Kutta method at that fixed step in days. ``seed`` is
    checked and ignored (the model is deterministic). ``infusion=True`` gives the schedule's
    mean level ``dose / (clr * interval)`` as a constant infusion from ``start`` for
    ``n_doses * interval`` days instead of injections (Hahnfeldt et al. compared the two).
    """
    times = validate_time(t)
    validate_seed(seed)
    p = validate(PARAMS, params)
    if h is not None and not (isinstance(h, (int, float)) and 0 < h <= 1):
        raise ValueError(f"h = {h!r} is not allowed: the step must be a number of days in (0, 1].")
    lnV, lnK, dlnV = _integrate(p, times, None if h is None else float(h), bool(view), bool(infusion))
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
    hit, i, j = first_reached(y >= level)
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
    return np.where(hit, np.where(j == 0, t[0], tc), np.inf)


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
