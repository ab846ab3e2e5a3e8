"""Seed, soil and niche: where disseminated cells settle, sleep and wake, organ by organ.

Paget (1889, *Lancet* 1:571) read the autopsy records of breast cancer and concluded that
metastases form where the organ suits the cells: the *seed and soil*. Ewing (1928) argued that
the anatomy of the circulation is enough: cells stop in the first capillary bed they meet
[sec]. Hart & Fidler (1980, *Cancer Res* 40:2281) tested the two [src, abstract]: B16 melanoma
cells injected into the veins of mice grew in grafts of lung and ovary but not in grafts of
kidney, although the labelled cells were arrested in lung and kidney grafts alike. Colonization,
not delivery, decided there. Massagué & Obenauf (2016, *Nature* 529:298) describe colonization
as the rate-limiting phase: a disseminated cell must survive, adapt to a supportive niche,
persist as a latent seed and eventually break out.

**The model.** ``n_cells`` cells leave a primary tumour at time 0 and travel in the blood.

1. *Flow* (``route``). The site of the primary decides which capillary beds a cell meets, in
   order. ``vena_cava`` (e.g. breast): systemic veins return to the heart, so the lungs come
   first. ``portal_vein`` (e.g. colorectal): the gut drains into the portal vein, so the liver
   comes first, then the lungs. ``arterial`` (e.g. a lung primary): the cells enter the arteries
   directly. After the serial beds, the cells that are still moving are shared among the organs
   in proportion to each organ's share of the cardiac output (``ARTERIAL_SHARE``); the share
   that goes elsewhere is not followed. ``equal`` is the design of Hart & Fidler: every organ
   receives the same number of cells and arrests them equally well.
2. *Arrest.* In each capillary bed a cell stops with probability ``arrest`` times the organ's
   factor ``ARREST_FACTOR`` (capillary and sinusoid size); the others move on. Chambers et al.
   (2002, *Nat Rev Cancer* 2:563) describe the efficient arrest of most circulating cells in
   the first capillary bed they meet [src, key points].
3. *Soil.* An arrested cell then follows the cascade of lesson 05 (``models.cascade``): it
   extravasates (``k_ex``) or dies in the vessel (``mu_v``); a settling single cell starts to
   divide (``k_m``), becomes dormant in a niche (``k_q``) or dies (``mu_s``); a dormant cell dies
   (``mu_q``) or wakes up (``k_w``); a lesion grows as an exact linear birth-death process (``b``,
   ``d``; the exact step of ``solvers.birth_death``, followed up to ``LESION_CAP`` = 1e9 cells)
   and counts as macroscopic from ``N_mac`` cells. The organ
   changes two of these rates: ``soil_<organ>`` multiplies the rates at which a single cell
   starts to divide and wakes up (``k_m``, ``k_w``).
4. *Immune pruning.* Single settling cells are also killed at rate ``k_nk`` (e.g. by NK cells).
   Dormant cells are spared: latency-competent cells enter quiescence and evade NK-cell
   clearance (Malladi et al. 2016, *Cell* 165:45) [src, abstract].
5. *Reactivation trigger.* From day ``t_trig`` for ``dur_trig`` days the wake-up rate of every
   dormant cell is multiplied by ``fold_trig`` (an inflammatory pulse; sprouting vessels that
   end the quiescence kept by a stable perivascular niche, Ghajar et al. 2013, *Nat Cell Biol*
   15:807 [src, abstract]). ``fold_trig = 1`` is no trigger.

**Why one soil factor per organ.** Ten rates per organ for five organs would be fifty sliders,
and most of them are not measured organ by organ. The organ-independent rates are the lesson-05
values fitted to Luzzi et al. 1998 (B16F1 cells in the mouse liver): the *reference soil*. What
the seed-and-soil experiments vary is whether a cell that arrived starts to grow there (Hart &
Fidler: lung graft yes, kidney graft no), so one factor per organ scales the two rates that
start growth, ``k_m`` (from settling) and ``k_w`` (from dormancy). Survival in the vessel,
dormancy entry, death rates and lesion growth stay shared, so that a difference between organs
is always a difference of flow or of this one soil factor, and the readout can split the two.
With ``route="portal_vein"``, ``arrest=1`` (every cell stops in the liver), ``soil_liver=1``,
``k_nk=0`` and ``fold_trig=1`` the model is the lesson-05 cascade (the tests check it).

**Flow or soil?** ``flow_soil`` splits the organ-to-organ spread of lesions into flow and soil
(on a log scale): with ``x`` = log share of the arrested cells an organ receives (flow) and
``y`` = log lesions started per arrested cell (soil), the log number of lesions is
``z = x + y``, and ``var(z) = cov(x, z) + cov(y, z)``. ``flow_share = cov(x, z) / var(z)``
(clipped to 0-1) is the part of the spread that flow accounts for: 1 when every organ is the same
soil, 0 when every organ receives the same cells (Hart & Fidler's design). It is a teaching
version of Weiss's metastatic efficiency index (Weiss 1992, *Clin Exp Metastasis* 10:191
[src, abstract]: organ involvement related to organ blood flow, to tell seed-and-soil effects
from delivery).

**Numbers and their status.** ``ARTERIAL_SHARE`` are resting cardiac-output fractions as
commonly quoted from Williams & Leggett 1989 (*Clin Phys Physiol Meas* 10:187) [unverified
figures]. ``ARREST_FACTOR`` and ``arrest`` are teaching choices. The ``breast_organotropism``
soils are tuned (``tune_soils``) so that the lesions started by day 90 fall on bone, lung, liver
and brain in the proportions of metastases present at diagnosis in SEER (Wu et al. 2017,
*Oncotarget* 8:27990 [src, abstract]: 8,848 bone, 4,167 lung, 3,434 liver and 1,000 brain among
243,896 patients). Trigger sizes and the kidney soils are teaching choices.

**Where the model is too simple.** Cells do not recirculate: a cell that passes every bed it
meets is lost (in reality it would return to the lungs). Metastases do not seed metastases
(Weiss 1992 stresses that this shapes human patterns). The soil is one number per organ and does
not change with time except through the trigger; a pre-metastatic niche (Kaplan et al. 2005,
*Nature* 438:820) would raise a soil before the cells arrive. Lesions grow at the same rates in
every organ, with no angiogenesis, crowding or therapy. Time is in days of a mouse experiment;
human latency lasts years.

**States** (counts, time last): for each organ of ``ORGANS`` and each compartment of
``COMPARTMENTS`` an attribute ``<compartment>_<organ>`` (``dormant_bone``, ``macro_liver``);
the same numbers with the organ axis second to last are the fields ``arrested``, ``settling``,
``dormant``, ``micro``, ``macro``, ``lost``, ``dead``, ``extravasated``, ``started`` (shape
``batch_shape + (organs, len(t))``); ``delivered`` and ``arrived`` (``batch_shape + (organs,)``)
count the cells that reached and stopped in each organ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from . import cascade
from ._util import flatten
from ._util import scalar as _scalar
from .base import Output, Result
from .params import TEACHING, Param, Preset, batch_shape, declare, defaults, validate, validate_time
from .params import rng as make_rng

__all__ = [
    "ARREST_FACTOR",
    "ARTERIAL_SHARE",
    "COMPARTMENTS",
    "DEFAULT_T",
    "LESION_CAP",
    "ORGANS",
    "PARAMS",
    "PRESETS",
    "ROUTES",
    "SEER_BREAST",
    "STOCHASTIC",
    "NicheResult",
    "expected_dissemination",
    "expected_fractions",
    "flow_soil",
    "simulate",
    "tune_soils",
]

STOCHASTIC = True
#: three months of a mouse experiment in two-day steps
DEFAULT_T = np.linspace(0.0, 90.0, 46)

ORGANS: tuple[str, ...] = ("lung", "liver", "bone", "brain", "kidney")
#: lesson 05's compartments (cells, lesions and running totals), counted per organ
COMPARTMENTS: tuple[str, ...] = cascade._COUNTED
ROUTES: tuple[str, ...] = ("vena_cava", "portal_vein", "arterial", "equal")

_O = len(ORGANS)
_LUNG, _LIVER = ORGANS.index("lung"), ORGANS.index("liver")

#: share of the resting cardiac output whose capillaries each organ holds, for cells in the
#: arteries [unverified figures, as commonly quoted from Williams & Leggett 1989]: liver 25%
#: (hepatic artery about 6.5% plus the gut and spleen, about 19%, that drain into the portal
#: vein), kidneys 19%, brain 12%, skeleton 5%; the lungs' own (bronchial) supply is left out;
#: the rest (muscle, skin, heart, ...) is "elsewhere" and not followed.
ARTERIAL_SHARE: dict[str, float] = {"lung": 0.0, "liver": 0.25, "bone": 0.05, "brain": 0.12, "kidney": 0.19}

#: relative chance that a cell reaching an organ's capillaries stops there (teaching choices:
#: lung and liver capillaries and sinusoids stop nearly every cell, Chambers et al. 2002; bone
#: marrow sinusoids are wide; brain and kidney in between)
ARREST_FACTOR: dict[str, float] = {"lung": 1.0, "liver": 1.0, "bone": 0.7, "brain": 0.9, "kidney": 0.9}

#: serial capillary beds a cell meets before the arteries share it out, per route
_SERIAL: dict[str, tuple[int, ...]] = {
    "vena_cava": (_LUNG,),
    "portal_vein": (_LIVER, _LUNG),
    "arterial": (),
    "equal": (),
}

#: metastases present at diagnosis of breast cancer, SEER (Wu et al. 2017, Oncotarget 8:27990)
SEER_BREAST: dict[str, int] = {"bone": 8848, "lung": 4167, "liver": 3434, "brain": 1000}
SEER_CITATION = "Wu et al. 2017, Oncotarget 8:27990 (SEER, 243,896 patients; metastases at diagnosis)"


#: lesions are followed exactly up to 1e9 cells (about 1 cm^3, a clinically detectable
#: tumour) and held there: every question here is answered below it, and it keeps one exact
#: step of the sampler, even over months, inside numpy's negative-binomial range
LESION_CAP = 10**9


def _soil_param(organ: str) -> Param:
    return Param(
        f"soil_{organ}",
        1.0,
        0.01,
        100.0,
        unit="",
        label=f"soil_{organ}, {organ} soil",
        doc=(
            f"dimensionless: how much the {organ} speeds up the start of growth of a single cell "
            "(multiplies k_m and k_w; 1 is the lesson-05 liver)"
        ),
        log=True,
        step=1e-3,
        source="1 = Luzzi 1998 liver (lesson 05); other values are presets or teaching choices",
    )


def _shared(name: str) -> Param:
    """Lesson 05's declaration of a rate, reused as it is (one declaration of each number)."""
    p = cascade.PARAMS[name]
    return replace(p, source=f"lesson 05 reference soil: {p.source}")


PARAMS: dict[str, Param] = declare(
    # lesson 05's cell count (range, default, slider), counted where the cells start here
    replace(
        cascade.PARAMS["n_cells"],
        label="n_cells, shed cells",
        doc="number of tumour cells that leave the primary tumour into the blood at time 0",
    ),
    Param(
        "route",
        "vena_cava",
        label="route, where the primary drains",
        doc=(
            "the capillary beds a cell meets first: vena_cava (lungs first, e.g. breast), "
            "portal_vein (liver, then lungs, e.g. colorectal), arterial (e.g. lung primary), "
            "equal (every organ gets the same cells, Hart & Fidler 1980)"
        ),
        choices=ROUTES,
        source="Ewing 1928 [sec]; Hart & Fidler 1980 (equal delivery to grafts) [src, abstract]",
    ),
    Param(
        "arrest",
        0.9,
        0.05,
        1.0,
        unit="",
        label="arrest, chance to stop in a capillary bed",
        doc="dimensionless: chance that a cell reaching a capillary bed stops there (x organ factor)",
        step=1e-3,
        source="teaching choice: most cells stop in the first bed (Chambers et al. 2002)",
    ),
    *(_soil_param(o) for o in ORGANS),
    Param(
        "k_nk",
        0.0,
        0.0,
        5.0,
        unit="/day",
        label="k_nk, immune pruning of single cells",
        doc="rate at which immune cells (e.g. NK cells) kill settling single cells; dormant cells escape",
        step=1e-3,
        source="teaching choice; dormant cells evade NK cells (Malladi et al. 2016)",
    ),
    Param(
        "t_trig",
        45.0,
        0.0,
        365.0,
        unit="days",
        label="t_trig, trigger starts",
        doc="day on which the reactivation trigger (inflammation, niche disruption) begins",
        step=0.5,
        source=TEACHING,
    ),
    Param(
        "dur_trig",
        10.0,
        0.0,
        90.0,
        unit="days",
        label="dur_trig, trigger lasts",
        doc="how many days the trigger raises the wake-up rate",
        step=0.5,
        source=TEACHING,
    ),
    Param(
        "fold_trig",
        1.0,
        1.0,
        1000.0,
        unit="",
        label="fold_trig, wake-up × during trigger",
        doc="dimensionless: factor on the wake-up rate of dormant cells during the trigger (1: none)",
        log=True,
        step=1e-3,
        source="teaching choice (Ghajar et al. 2013: sprouting vessels end niche quiescence)",
    ),
    *(_shared(n) for n in ("k_ex", "mu_v", "k_m", "k_q", "mu_s", "mu_q", "k_w", "b", "d", "N_mac")),
)

_DEFAULTS = defaults(PARAMS)


# ----------------------------------------------------------------------------- dissemination
def _routing(flat: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per batch member: arrest probabilities (G, O), arterial weights (G, O + 1; the last is
    'elsewhere') and the serial beds (G, 2; -1 where there is none)."""
    route = np.asarray(flat["route"]).astype(str)
    g = route.size
    equal = route == "equal"
    factor = np.array([ARREST_FACTOR[o] for o in ORGANS])
    arrest = flat["arrest"][:, None] * np.where(equal[:, None], 1.0, factor[None, :])
    share = np.array([ARTERIAL_SHARE[o] for o in ORGANS])
    w_art = np.append(share, max(0.0, 1.0 - share.sum()))
    w_eq = np.append(np.full(_O, 1.0 / _O), 0.0)
    weights = np.where(equal[:, None], w_eq[None, :], w_art[None, :])
    serial = np.full((g, 2), -1, dtype=np.int64)
    for name, beds in _SERIAL.items():
        rows = route == name
        for k, bed in enumerate(beds):
            serial[rows, k] = bed
    return arrest, weights, serial


def _disseminate(rng: np.random.Generator, flat: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sampled cells delivered to and arrested in each organ: two int arrays of shape (G, O)."""
    arrest, weights, serial = _routing(flat)
    moving = flat["n_cells"].astype(np.int64)
    g = moving.size
    delivered = np.zeros((g, _O), dtype=np.int64)
    arrived = np.zeros((g, _O), dtype=np.int64)
    for k in range(serial.shape[1]):  # at most two serial beds (liver, then lungs)
        rows = np.flatnonzero(serial[:, k] >= 0)
        if rows.size:
            bed = serial[rows, k]
            delivered[rows, bed] += moving[rows]
            stop = rng.binomial(moving[rows], arrest[rows, bed])
            arrived[rows, bed] += stop
            moving[rows] -= stop
    shared = rng.multinomial(moving, weights)[:, :_O]
    delivered += shared
    arrived += rng.binomial(shared, arrest)
    return delivered, arrived


def expected_dissemination(**params: Any) -> dict[str, np.ndarray]:
    """Expected fraction of the shed cells delivered to and arrested in each organ.

    Closed form: the cells still moving after each serial bed are ``prod(1 - arrest)`` of them;
    an organ receives the serial flow and its arterial share of what is left. Arrays have shape
    ``batch_shape + (organs,)``.
    """
    p = validate(PARAMS, params)
    shape = batch_shape(p)
    delivered, arrived = _expected_routing(flatten(p, shape))
    return {"delivered": delivered.reshape(shape + (_O,)), "arrived": arrived.reshape(shape + (_O,))}


def _expected_routing(flat: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(delivered, arrested) expected fractions per flat batch member and organ: (G, O) each."""
    arrest, weights, serial = _routing(flat)
    g = arrest.shape[0]
    moving = np.ones(g)
    delivered = np.zeros((g, _O))
    arrived = np.zeros((g, _O))
    rows_all = np.arange(g)
    for k in range(serial.shape[1]):
        bed = serial[:, k]
        has = bed >= 0
        rows, b = rows_all[has], bed[has]
        delivered[rows, b] += moving[rows]
        arrived[rows, b] += moving[rows] * arrest[rows, b]
        moving[rows] *= 1.0 - arrest[rows, b]
    delivered += moving[:, None] * weights[:, :_O]
    arrived += moving[:, None] * weights[:, :_O] * arrest
    return delivered, arrived


# ----------------------------------------------------------------------------- organ rates
def _organ_rates(flat: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per (batch member, organ) rates, flattened to length G * O (index g * O + o)."""
    soil = np.stack([flat[f"soil_{o}"] for o in ORGANS], axis=-1)  # (G, O)
    g = soil.shape[0]

    def per_organ(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x[:, None], (g, _O)).reshape(-1)

    out = {k: per_organ(flat[k]) for k in ("k_ex", "mu_v", "k_q", "mu_q", "b", "d", "N_mac")}
    out["k_m"] = (flat["k_m"][:, None] * soil).reshape(-1)
    out["k_w"] = (flat["k_w"][:, None] * soil).reshape(-1)
    out["mu_s"] = per_organ(flat["mu_s"] + flat["k_nk"])
    out["t_on"] = per_organ(flat["t_trig"])
    out["t_off"] = per_organ(flat["t_trig"] + flat["dur_trig"])
    out["fold"] = per_organ(flat["fold_trig"])
    return out


def _dormant_exit(
    rng: np.random.Generator,
    start: np.ndarray,
    rate: np.ndarray,
    burst: np.ndarray,
    on: np.ndarray,
    off: np.ndarray,
) -> np.ndarray:
    """Exit times of dormant cells whose total exit rate is ``rate`` outside ``[on, off)`` and
    ``burst`` inside it (exact inversion of the piecewise-linear cumulative hazard)."""
    e = rng.standard_exponential(start.size)
    before = np.maximum(on - start, 0.0)  # days at the normal rate before the window
    inside = np.maximum(off - np.maximum(start, on), 0.0)  # days in the window
    h0 = rate * before
    h1 = h0 + burst * inside
    return np.where(
        e < h0,
        start + e / rate,
        np.where(e < h1, np.maximum(start, on) + (e - h0) / burst, np.maximum(start, off) + (e - h1) / rate),
    )


# ----------------------------------------------------------------------------- the result
@dataclass(frozen=True, eq=False)
class NicheResult(cascade._CellCounts, Result):
    """Counts per organ and compartment (``batch_shape + (organs, len(t))``) and per organ
    (``delivered``, ``arrived``: ``batch_shape + (organs,)``). Attributes
    ``<compartment>_<organ>`` give one organ's counts over time (the export columns)."""

    delivered: np.ndarray
    arrived: np.ndarray

    STATES: ClassVar[tuple[str, ...]] = tuple(f"{c}_{o}" for o in ORGANS for c in COMPARTMENTS)
    SUMMARY: ClassVar[dict[str, Output]] = {
        "day": Output("days", "the last output time, which the other numbers describe"),
        **{
            key: value
            for o in ORGANS
            for key, value in (
                (f"delivered_{o}", Output("cells", f"cells the blood delivers to the {o}")),
                (f"arrived_{o}", Output("cells", f"cells arrested in the {o}'s capillaries")),
                (f"dormant_{o}", Output("cells", f"solitary dormant cells in the {o}")),
                (f"growing_{o}", Output("lesions", f"living lesions in the {o} (micro + macro)")),
                (f"macro_{o}", Output("lesions", f"macrometastases in the {o}")),
            )
        },
        "n_dormant": Output("cells", "solitary dormant cells, all organs"),
        "n_micro": Output("lesions", "micrometastases, all organs"),
        "n_macro": Output("lesions", "macrometastases, all organs"),
        "n_started": Output("lesions", "lesions founded so far, all organs"),
        "n_lost": Output("lesions", "lesions that died out, all organs"),
        "n_arrived": Output("cells", "cells arrested in any organ"),
        "flow_share": Output("", "share of the organ-to-organ spread in lesions due to flow, not soil"),
    }

    def __getattr__(self, name: str) -> np.ndarray:
        # only called for names that are not fields: "<compartment>_<organ>"
        comp, _, organ = name.rpartition("_")
        if comp in COMPARTMENTS and organ in ORGANS:
            return object.__getattribute__(self, comp)[..., ORGANS.index(organ), :]
        raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return np.shape(self.macro)[:-2]

    @property
    def growing(self) -> np.ndarray:
        """Living lesions (micro + macro) per organ over time."""
        return self.micro + self.macro

    def trigger_window(self) -> tuple[Any, Any]:
        """(first day, last day) of the reactivation trigger; equal days when there is none."""
        on = np.asarray(self.params["t_trig"], dtype=float)
        off = on + np.where(np.asarray(self.params["fold_trig"]) > 1.0, self.params["dur_trig"], 0.0)
        return _scalar(on), _scalar(off)

    def summary(self) -> dict[str, Any]:
        """Counts per organ at the last time, totals, and the flow/soil split (``flow_share``)."""
        out: dict[str, Any] = {"day": float(self.t[-1])}
        for i, o in enumerate(ORGANS):
            out[f"delivered_{o}"] = _scalar(self.delivered[..., i])
            out[f"arrived_{o}"] = _scalar(self.arrived[..., i])
            out[f"dormant_{o}"] = _scalar(self.dormant[..., i, -1])
            out[f"growing_{o}"] = _scalar(self.growing[..., i, -1])
            out[f"macro_{o}"] = _scalar(self.macro[..., i, -1])
        for key in ("dormant", "micro", "macro", "started", "lost"):
            out[f"n_{key}"] = _scalar(getattr(self, key)[..., -1].sum(axis=-1))
        out["n_arrived"] = _scalar(self.arrived.sum(axis=-1))
        split = flow_soil(float(self.t[-1]), **self.params)
        out["flow_share"] = _scalar(split["flow_share"])
        return out


# ----------------------------------------------------------------------------- sampling
def simulate(t: ArrayLike, *, seed: int | np.random.Generator | None = None, **params: Any) -> NicheResult:
    """Shed ``n_cells`` cells, route them to the organs and follow every arrested cell.

    ``t`` in days from shedding. Every parameter of ``PARAMS`` may be an array; the batch and
    the organs form one flat population of arrested cells, each tagged with its (batch member,
    organ), sampled by the lesson-05 sampler (``cascade._follow``: competing exponential clocks,
    exact birth-death lesions) in chunks of ``cascade.CHUNK`` cells, so that memory does not grow
    with the number of cells, organs or batch members. The same ``seed`` gives the same numbers.
    """
    times = validate_time(t)
    p = validate(PARAMS, params)
    shape = batch_shape(p)
    flat = flatten(p, shape)
    rng = make_rng(seed)
    n_t = times.size

    delivered, arrived = _disseminate(rng, flat)
    k = _organ_rates(flat)

    def exit3(rng: np.random.Generator, start: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # dormant in the niche: die (mu_q) or wake (k_w, soil; times fold_trig in the window)
        mu_q, k_w, fold, on, off = (k[name][g] for name in ("mu_q", "k_w", "fold", "t_on", "t_off"))
        t3 = _dormant_exit(rng, start, mu_q + k_w, mu_q + k_w * fold, on, off)
        return t3, np.where((t3 >= on) & (t3 < off), k_w * fold, k_w)

    # stages 1-3 and the lesions as in lesson 05, one (batch member, organ) group at a time, in
    # chunks of cells (``cascade._follow``); settling cells also die of immune pruning (k_nk)
    counts, _ = cascade._follow(rng, times, arrived.reshape(-1), k, cap=LESION_CAP, rows=0, exit3=exit3)

    def shaped(a: np.ndarray) -> np.ndarray:
        return a.reshape(shape + (_O, n_t))

    return NicheResult(
        t=times,
        params=p,
        **{name: shaped(counts[name]) for name in COMPARTMENTS},
        delivered=delivered.reshape(shape + (_O,)),
        arrived=arrived.reshape(shape + (_O,)),
    )


# ----------------------------------------------------------------------------- expected values
def _expm(a: np.ndarray) -> np.ndarray:
    """Matrix exponential of a stack of small matrices (scaling and squaring, Taylor order 18)."""
    norm = float(np.max(np.sum(np.abs(a), axis=-1), initial=0.0))
    squarings = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    x = a / 2.0**squarings
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    term = eye.copy()
    out = eye.copy()
    for j in range(1, 19):
        term = term @ x / j
        out = out + term
    for _ in range(squarings):
        out = out @ out
    return out


def _generator(k: dict[str, np.ndarray], k_w: np.ndarray) -> np.ndarray:
    """Forward-equation matrix M (y' = M y) of one arrested cell; y = (vessel, settling,
    dormant, extravasated, started, dead). Shape (..., 6, 6)."""
    shape = np.shape(k["k_ex"])
    m = np.zeros(shape + (6, 6))
    m[..., 0, 0] = -(k["k_ex"] + k["mu_v"])
    m[..., 1, 0] = k["k_ex"]
    m[..., 1, 1] = -(k["k_m"] + k["k_q"] + k["mu_s"])
    m[..., 2, 1] = k["k_q"]
    m[..., 2, 2] = -(k["mu_q"] + k_w)
    m[..., 3, 0] = k["k_ex"]
    m[..., 4, 1] = k["k_m"]
    m[..., 4, 2] = k_w
    m[..., 5, 0] = k["mu_v"]
    m[..., 5, 1] = k["mu_s"]
    m[..., 5, 2] = k["mu_q"]
    return m


def _chain(times: np.ndarray, flat: dict[str, np.ndarray]) -> np.ndarray:
    """Probabilities of the six single-cell states of one arrested cell, per (batch, organ):
    shape (G * O, 6, len(t)). Exact: a matrix exponential over each stretch of constant rates
    (before, inside and after the trigger window, in that order)."""
    k = _organ_rates(flat)
    out_m = _generator(k, k["k_w"])
    in_m = _generator(k, k["k_w"] * k["fold"])
    y = np.zeros(k["k_ex"].shape + (6,))
    y[:, 0] = 1.0
    res = np.zeros(y.shape + (times.size,))
    prev = 0.0
    for i, ti in enumerate(times):
        span = ti - prev
        if span > 0:
            pre = np.clip(k["t_on"] - prev, 0.0, span)
            inside = np.clip(np.minimum(k["t_off"], ti) - np.maximum(k["t_on"], prev), 0.0, span)
            post = span - pre - inside
            for m, dt in ((out_m, pre), (in_m, inside), (out_m, post)):
                if np.any(dt > 0):
                    y = np.einsum("...ij,...j->...i", _expm(m * dt[:, None, None]), y)
        res[..., i] = y
        prev = ti
    return res


def expected_fractions(t: ArrayLike, **params: Any) -> dict[str, np.ndarray]:
    """Expected fraction of the *shed* cells in each single-cell state, per organ, at times ``t``.

    Keys ``arrested`` (still in a vessel), ``settling``, ``dormant``, ``extravasated``,
    ``started`` (lesions founded) and ``dead``; shape ``batch_shape + (organs, len(t))``. The
    expected fraction of the shed cells that arrest in each organ (``expected_dissemination``)
    times the exact single-cell probabilities. ``n_cells`` does not enter.
    """
    times = validate_time(t)
    p = validate(PARAMS, params)
    shape = batch_shape(p)
    flat = flatten(p, shape)
    arrived = _expected_routing(flat)[1].reshape(-1)
    chain = _chain(times, flat) * arrived[:, None, None]
    names = ("arrested", "settling", "dormant", "extravasated", "started", "dead")
    return {name: chain[:, j, :].reshape(shape + (_O, times.size)) for j, name in enumerate(names)}


#: floor of an organ's share of the arrested cells in the flow/soil split: one cell in a million
_SHARE_FLOOR = 1e-6
#: floor of lesions per arrested cell in the split (a soil that lets nothing grow)
_EFFICIENCY_FLOOR = 1e-12


def flow_soil(day: float, **params: Any) -> dict[str, Any]:
    """Split the organ-to-organ spread of lesions started by ``day`` into flow and soil.

    Returns per organ (``batch_shape + (organs,)``) the share of arrested cells ``arrival``
    (flow), the lesions started per arrested cell ``efficiency`` (soil) and the share of all
    lesions ``lesions``; and ``flow_share`` (batch shape): ``cov(x, z) / var(z)`` with
    ``x = log arrival``, ``z = log lesions``, clipped to 0-1; nan if every organ gets the same
    number of lesions. Expected values, so a readout does not jump with the random sample.
    """
    p = validate(PARAMS, params)
    shape = batch_shape(p)
    flat = flatten(p, shape)
    times = validate_time([0.0, day])
    eff = _chain(times, flat)[:, 4, -1].reshape(-1, _O)
    arrived = _expected_routing(flat)[1]
    total = arrived.sum(axis=-1, keepdims=True)
    arrival = arrived / np.where(total > 0, total, 1.0)
    x = np.log(np.maximum(arrival, _SHARE_FLOOR))
    y = np.log(np.maximum(eff, _EFFICIENCY_FLOOR))
    z = x + y
    zc = z - z.mean(axis=-1, keepdims=True)
    xc = x - x.mean(axis=-1, keepdims=True)
    var = np.mean(zc * zc, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(
            var > 1e-12, np.clip(np.mean(xc * zc, axis=-1) / np.where(var > 0, var, 1.0), 0, 1), np.nan
        )
    lesions = arrived * eff
    lsum = lesions.sum(axis=-1, keepdims=True)
    return {
        "arrival": arrival.reshape(shape + (_O,)),
        "efficiency": eff.reshape(shape + (_O,)),
        "lesions": (lesions / np.where(lsum > 0, lsum, 1.0)).reshape(shape + (_O,)),
        "flow_share": _scalar(share.reshape(shape)),
    }


def tune_soils(
    targets: dict[str, float], *, day: float = 90.0, reference: str = "lung", **params: Any
) -> dict[str, float]:
    """Soil factors that make the expected lesions started by ``day`` fall on the organs of
    ``targets`` in the given proportions, with ``soil_<reference>`` kept at its value.

    An organ's lesions are (cells arrested there) x (lesions per arrested cell), and the second
    factor rises monotonically with the organ's own soil alone, so every organ's factor is
    found at once by bisection on its logarithm (48 halvings of the 0.01-100 range; a target
    out of reach gives the nearest bound). The ``breast_organotropism`` soils come from here.
    """
    arrived = expected_dissemination(**params)["arrived"]
    ref = ORGANS.index(reference)
    eff_ref = float(flow_soil(day, **params)["efficiency"][ref])
    organs = [o for o in targets if o != reference]
    idx = [ORGANS.index(o) for o in organs]
    want = np.array(
        [targets[o] / targets[reference] * arrived[ref] * eff_ref / arrived[i] for o, i in zip(organs, idx)]
    )
    lo, hi = np.full(len(organs), -2.0), np.full(len(organs), 2.0)
    for _ in range(48):
        mid = (lo + hi) / 2
        trial = {**params, **{f"soil_{o}": 10**m for o, m in zip(organs, mid)}}
        eff = np.asarray(flow_soil(day, **trial)["efficiency"], dtype=float)[idx]
        low = eff < want
        lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
    return {f"soil_{o}": float(10 ** ((a + z) / 2)) for o, a, z in zip(organs, lo, hi)}


#: breast soils, computed when the module loads: bone held at 10 and kidney at 0.05 (kidney
#: metastases are rare in breast cancer), half the cells stopping in a bed (arrest 0.5); all
#: three are teaching choices. ``tune_soils`` then finds the lung, liver and brain soils that
#: put the lesions on bone, lung, liver and brain in SEER's proportions (rounded to four
#: significant digits, the shares stay within 0.1% of SEER's).
_BREAST_FIXED = {**_DEFAULTS, "route": "vena_cava", "arrest": 0.5, "soil_bone": 10.0, "soil_kidney": 0.05}
_SEER_SHARES = {o: n / sum(SEER_BREAST.values()) for o, n in SEER_BREAST.items()}
_BREAST = {
    **_BREAST_FIXED,
    **{k: float(f"{v:.4g}") for k, v in tune_soils(_SEER_SHARES, reference="bone", **_BREAST_FIXED).items()},
}

PRESETS: dict[str, Preset] = {
    "hart_fidler1980": Preset(
        {**_DEFAULTS, "route": "equal", "soil_kidney": 0.01},
        "Hart & Fidler 1980, Cancer Res 40:2281: B16 cells reached lung and kidney grafts alike but "
        "grew only in lung (and ovary) tissue [src, abstract]; the soil values are teaching choices",
        "Equal delivery to every organ; the kidney soil lets almost nothing grow: soil decides.",
    ),
    "ewing_colorectal": Preset(
        {**_DEFAULTS, "route": "portal_vein"},
        "Ewing 1928 (the mechanical view) [sec]; colorectal cancer drains by the portal vein to the "
        "liver [sec, textbook]; every organ has the same (lesson-05) soil",
        "A colorectal primary: the liver is the first capillary bed and gets most lesions: flow decides.",
    ),
    "breast_organotropism": Preset(
        dict(_BREAST),
        f"{SEER_CITATION}: soils tuned so lesions fall on bone, lung, liver and brain in SEER's "
        "proportions; Paget 1889 (seed and soil) [src]; arrest 0.5 and the bone and kidney soils are "
        "teaching choices",
        "A breast primary: the lungs get most cells, yet bone gets most lesions: soil decides.",
    ),
    "niche_disruption": Preset(
        {**_BREAST, "t_trig": 45.0, "dur_trig": 10.0, "fold_trig": 100.0},
        "Ghajar et al. 2013, Nat Cell Biol 15:807: sprouting neovasculature ends the quiescence kept "
        "by a stable perivascular niche [src, abstract]; day, length and size of the trigger are "
        "teaching choices",
        "The breast pattern, and on day 45 a ten-day disruption of the niche wakes dormant cells.",
    ),
    "premetastatic_niche": Preset(
        {**_BREAST, "soil_lung": float(f"{10 * _BREAST['soil_lung']:.4g}")},
        "Kaplan et al. 2005, Nature 438:820: VEGFR1+ bone-marrow cells prepare distant sites before "
        "the tumour cells arrive [src, abstract]; a tenfold better lung soil is a teaching choice",
        "The breast pattern with a lung soil prepared in advance: the lungs catch up with bone.",
    ),
    "nk_pruning": Preset(
        {**_BREAST, "k_nk": 1.0},
        "Malladi et al. 2016, Cell 165:45: latency-competent cells enter quiescence and evade NK-cell "
        "clearance [src, abstract]; the pruning rate is a teaching choice",
        "The breast pattern under NK-cell attack on single cells: dormant cells are spared.",
    ),
}
