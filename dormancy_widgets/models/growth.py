"""Growth below the detection limit: exponential, logistic and Gompertz growth from few cells.

A tumour is found only once it holds about a billion cells (1 cm^3), after roughly 30 of
the 40 doublings that would kill its host: most of its life is spent undetectable
(Udagawa 2008, APMIS 116:615; Norton 1988, Cancer Res 48:7067, who fits human breast
cancer growth with an unadorned Gompertz curve).

All three laws start from ``N0`` cells with the same initial specific growth rate
``r = ln 2 / Td``, so switching the law changes only how growth slows down:

* exponential: ``dN/dt = r N``
* logistic:    ``dN/dt = r N (1 - N / Ninf)``
* Gompertz:    ``dN/dt = b N ln(Ninf / N)`` with ``b = r / ln(Ninf / N0)``, whose solution is
  ``N(t) = N0 exp[ln(Ninf/N0) (1 - exp(-b t))]``

An optional *dormant plateau* stops growth for ``pause`` days from day ``t_pause``: the
growth clock stands still and then resumes where it stopped. This is the simplest form of
the random growth retardation (plateaus) of Speer et al. 1984 (Cancer Res 44:4124), who
proposed that all tumours start with identical Gompertz parameters and only later become
kinetically heterogeneous through such random, time-dependent slowing; here it is
deterministic so a student can place it.

**Rival models, not one model with an add-on.** Norton 1988 (Cancer Res 48:7067) *rejects*
Speer's assumption of identical early growth ("not supported by theory or data") and
proposes instead an unadorned Gompertz curve, with kinetic heterogeneity an intrinsic
property of each tumour, which fits the same three historical data sets; the two models
differ in the estimated duration of silent growth before diagnosis and in the optimal
chemotherapy schedule after surgery [src, abstract]. The ``norton1988`` preset is the
unadorned curve (it takes only the plateau size ``Ninf`` from Norton; ``N0`` and ``Td`` are
teaching choices, and one run cannot show heterogeneity between tumours); the
``speer1984_plateau`` preset is the rival picture of an identical start interrupted by a
plateau. Both reach 1e9 cells; they disagree on how long that takes.

All solutions are exact (closed forms), so a batch of any size costs one array expression.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from . import units
from ._util import ratio
from ._util import scalar as _scalar
from .base import Output, Result
from .params import TEACHING, Param, Preset, declare, from_defaults, validate, validate_seed, validate_time

__all__ = [
    "CELLS_PER_MM3",
    "CLINICAL",
    "DEFAULT_T",
    "DETECTION_LIMITS",
    "LAWS",
    "LETHAL",
    "MICROSCOPIC",
    "N_CAP",
    "PARAMS",
    "PRESETS",
    "STOCHASTIC",
    "DetectionLimit",
    "GrowthResult",
    "cells_to_diameter",
    "cells_to_volume",
    "diameter_to_cells",
    "diameter_to_volume",
    "doublings",
    "rhs",
    "simulate",
    "time_to_size",
    "volume_to_cells",
    "volume_to_diameter",
]

LAWS = ("exponential", "logistic", "gompertz")

STOCHASTIC = False
#: twelve years at about nine-day resolution
DEFAULT_T = np.linspace(0.0, 12 * units.DAYS_PER_YEAR, 481)

#: 1e9 cells per cm^3, i.e. 1e6 per mm^3: the usual conversion (Udagawa 2008; Norton 1988).
CELLS_PER_MM3 = units.CELLS_PER_MM3

#: Exponential growth is unbounded; it is capped here so that arrays stay finite. No
#: tumour gets near it: a host dies near 1e12 cells (about a kilogram).
N_CAP = 1e15


@dataclass(frozen=True)
class DetectionLimit:
    """A size threshold, in cells, with what it means and where the convention comes from."""

    key: str
    cells: float
    label: str
    meaning: str
    source: str


MICROSCOPIC = DetectionLimit(
    "microscopic",
    units.CELLS_PER_MM3,  # 1 mm³
    "1 mm³ (10⁶ cells)",
    "smallest lesion a pathologist sees as a mass; far below any scan",
    "conventional 1e6 cells per mm^3 (Udagawa 2008)",
)
CLINICAL = DetectionLimit(
    "clinical",
    units.CLINICAL_CELLS,
    "1 cm³ (10⁹ cells)",
    "about the smallest tumour found by palpation or routine imaging",
    "clinical detection at about 1 cm / 1e9 cells (Udagawa 2008; Norton 1988)",
)
LETHAL = DetectionLimit(
    "lethal",
    1e12,
    "1 kg (10¹² cells)",
    "tumour burden around which a patient dies",
    "about 1e12 cells, 40 doublings from one cell (Norton 1988; Udagawa 2008)",
)
DETECTION_LIMITS = (MICROSCOPIC, CLINICAL, LETHAL)

PARAMS: dict[str, Param] = declare(
    Param(
        "law",
        "gompertz",
        choices=LAWS,
        label="growth law",
        doc="how growth slows as the tumour gets bigger",
        source="Norton 1988 (unadorned Gompertz, the rival of Speer et al. 1984); exponential "
        "and logistic for comparison",
    ),
    Param(
        "N0",
        1.0,
        1.0,
        1e4,
        unit="cells",
        label="N0, starting cells",
        doc="number of cells at time zero (one disseminated cell by default)",
        log=True,
        source=TEACHING,
    ),
    Param(
        "Td",
        30.0,
        2.0,
        1000.0,
        unit="days",
        label="Td, first doubling time",
        doc="doubling time while the tumour is small (r = ln 2 / Td)",
        log=True,
        source=TEACHING,
    ),
    Param(
        "Ninf",
        3e12,
        1e5,
        1e13,
        unit="cells",
        label="N∞, plateau size",
        doc="size at which growth stops (logistic and Gompertz only)",
        log=True,
        source="reported as about 3e12 cells for breast cancer (Norton 1988) [unverified]",
    ),
    Param(
        "t_pause",
        0.0,
        0.0,
        10000.0,
        unit="days",
        label="t_pause, plateau starts",
        doc="day on which a dormant plateau begins",
        step=5.0,
        source="Speer et al. 1984 (growth plateaus; rejected by Norton 1988); timing is a teaching choice",
    ),
    Param(
        "pause",
        0.0,
        0.0,
        10000.0,
        unit="days",
        label="pause, plateau length",
        doc="how long growth stands still (0: no plateau)",
        step=5.0,
        source="Speer et al. 1984 (growth plateaus); length is a teaching choice",
    ),
)

PRESETS: dict[str, Preset] = from_defaults(
    PARAMS,
    {
        "norton1988": Preset(
            {},
            "Norton 1988, Cancer Res 48:7067: an unadorned Gompertz curve fits human breast cancer "
            "data (proposed as the alternative to Speer et al. 1984, whose identical-early-growth "
            "assumption Norton rejects). Only the plateau size N∞ is taken from Norton (reported as "
            "about 3e12 cells [unverified]); N0 and Td are teaching choices",
            "Unadorned Gompertz growth from one cell, no plateau (only N∞ is from Norton 1988).",
        ),
        "exponential": Preset(
            {"law": "exponential"},
            "Udagawa 2008, APMIS 116:615: 1e9 cells is about 30 doublings from one cell",
            "Constant doubling time: the simplest picture of growth.",
        ),
        "speer1984_plateau": Preset(
            {"t_pause": 365.0, "pause": 1095.0},
            "Speer et al. 1984, Cancer Res 44:4124: an identical Gompertz start interrupted by "
            "random growth plateaus (here one 3-year plateau after the first year, a teaching "
            "choice); the rival of Norton 1988, who rejects the identical start",
            "Speer's picture: a tumour that stops growing for three years while still microscopic "
            "(Norton 1988 proposes an unadorned Gompertz instead).",
        ),
        "growth_arrest_below_detection": Preset(
            {"Ninf": 1e8},
            "Udagawa 2008, APMIS 116:615: growth can plateau below the detection limit "
            "(plateau size 1e8 cells is a teaching choice)",
            "A lesion whose growth levels off before it can ever be found.",
        ),
    },
)


@dataclass(frozen=True, eq=False)
class GrowthResult(Result):
    """``N``: cells over time, shape ``batch_shape + (len(t),)``."""

    N: np.ndarray
    STATES: ClassVar[tuple[str, ...]] = ("N",)
    SUMMARY: ClassVar[dict[str, Output]] = {
        **{
            f"days_to_{lim.key}": Output("days", f"time to reach {lim.label} (inf if never)")
            for lim in DETECTION_LIMITS
        },
        "doublings_to_clinical": Output("doublings", "doublings from N0 to clinical detection (10⁹ cells)"),
        "doublings_to_lethal": Output("doublings", "doublings from N0 to a lethal burden (10¹² cells)"),
        "share_below_microscopic": Output(
            "", "share of the time to clinical detection spent below the microscopic limit (nan if never)"
        ),
        "N_final": Output("cells", "cells at the last output time"),
    }

    def summary(self) -> dict[str, Any]:
        """Days to reach each detection limit (``inf`` if never), doublings, invisible share."""
        p = self.params
        out: dict[str, Any] = {}
        for lim in DETECTION_LIMITS:
            out[f"days_to_{lim.key}"] = _scalar(_time_to(lim.cells, dict(p)))
        t_micro = np.asarray(out["days_to_microscopic"], dtype=float)
        t_clin = np.asarray(out["days_to_clinical"], dtype=float)
        share = ratio(t_micro, t_clin, where=np.isfinite(t_clin) & (t_clin > 0))
        out["doublings_to_clinical"] = _scalar(doublings(CLINICAL.cells, p["N0"]))
        out["doublings_to_lethal"] = _scalar(doublings(LETHAL.cells, p["N0"]))
        #: share of the time to clinical detection spent below the microscopic limit
        #: (nan when the tumour is never detected clinically)
        out["share_below_microscopic"] = _scalar(np.minimum(share, 1.0))
        out["N_final"] = _scalar(self.N[..., -1])
        return out


def _rate(p: dict[str, Any]) -> np.ndarray:
    return math.log(2.0) / p["Td"]


def _law_masks(law: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    law = np.asarray(law)
    return law == "exponential", law == "logistic", law == "gompertz"


def _growth_clock(t: np.ndarray, t_pause: np.ndarray, pause: np.ndarray) -> np.ndarray:
    """Growth time elapsed by wall time t: the clock stops during [t_pause, t_pause + pause]."""
    tp = t_pause[..., None]
    stopped = np.clip(t - tp, 0.0, pause[..., None])
    return t - stopped


def _log_ratio(tau: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    """ln(N / N0) after growth time ``tau`` (broadcast: batch + time)."""
    r = _rate(p)[..., None]
    n0 = p["N0"][..., None]
    ninf = p["Ninf"][..., None]
    L = np.log(ninf / n0)
    expo, logi, gomp = _law_masks(p["law"])
    rt = r * tau
    ln_exp = rt
    # logistic: ln N/N0 = rt - ln(1 - N0/Ninf + (N0/Ninf) e^{rt}), as a logaddexp (no overflow)
    ln_log = rt - np.logaddexp(np.log1p(-n0 / ninf), rt - L)
    # Gompertz: ln N/N0 = L (1 - e^{-b tau}), b = r / L
    ln_gomp = -L * np.expm1(-rt / L)
    return np.select(
        [np.asarray(expo)[..., None], np.asarray(logi)[..., None], np.asarray(gomp)[..., None]],
        [ln_exp, ln_log, ln_gomp],
    )


def simulate(t: ArrayLike, *, seed: Any = None, **params: Any) -> GrowthResult:
    """Cells over time, ``N`` with shape ``batch_shape + (len(t),)``; ``t`` in days.

    Every parameter of ``PARAMS`` may be an array; the batch is computed in one expression.
    ``seed`` is accepted for the common model signature, checked (``ValueError`` naming it
    when bad) and otherwise ignored (the model is deterministic).
    """
    validate_seed(seed)
    times = validate_time(t)
    p = validate(PARAMS, params)
    tau = _growth_clock(times, p["t_pause"], p["pause"])
    ln_n = np.log(p["N0"])[..., None] + _log_ratio(tau, p)
    N = np.exp(np.minimum(ln_n, math.log(N_CAP)))
    return GrowthResult(t=times, params=p, N=N)


def rhs(N: ArrayLike, **params: Any) -> np.ndarray:
    """dN/dt of the chosen law (ignoring the plateau): the ODE the closed forms solve."""
    p = validate(PARAMS, params)
    n = np.asarray(N, dtype=float)
    r = _rate(p)
    expo, logi, _ = _law_masks(p["law"])
    gomp_b = r / np.log(p["Ninf"] / p["N0"])
    return np.where(
        expo, r * n, np.where(logi, r * n * (1 - n / p["Ninf"]), gomp_b * n * np.log(p["Ninf"] / n))
    )


def _time_to(cells: ArrayLike, p: dict[str, Any]) -> np.ndarray:
    """Wall-clock days until N first reaches ``cells`` (inf if never; 0 if already there)."""
    target = np.asarray(cells, dtype=float)
    r = _rate(p)
    n0, ninf = p["N0"], p["Ninf"]
    L = np.log(ninf / n0)
    x = np.log(target / n0)  # ln ratio to reach
    expo, logi, _ = _law_masks(p["law"])
    with np.errstate(divide="ignore", invalid="ignore"):
        tau_exp = x / r
        reachable = target < ninf
        # logistic inverse: e^{rt} = (N (Ninf - N0)) / (N0 (Ninf - N))
        tau_log = np.where(reachable, (x + np.log((ninf - n0) / (ninf - target))) / r, np.inf)
        # Gompertz inverse: 1 - e^{-b t} = x / L
        tau_gomp = np.where(reachable, -np.log1p(-x / L) * L / r, np.inf)
    tau = np.where(expo, tau_exp, np.where(logi, tau_log, tau_gomp))
    tau = np.where(x <= 0, 0.0, tau)
    # map growth-clock time back to wall time: add the plateau if growth resumes after it
    wall = np.where(tau > p["t_pause"], tau + p["pause"], tau)
    return wall


def time_to_size(cells: ArrayLike, **params: Any) -> Any:
    """Days until the tumour first holds ``cells`` cells (``inf`` if it never does)."""
    p = validate(PARAMS, params)
    c = np.asarray(cells, dtype=float)
    if np.any(~np.isfinite(c)) or np.any(c <= 0):
        raise ValueError(f"cells = {cells!r} is not allowed: cells must be finite and positive.")
    return _scalar(_time_to(c, p))


def doublings(cells: ArrayLike, n0: ArrayLike = 1.0) -> Any:
    """Number of doublings from ``n0`` to ``cells`` cells: log2(cells / n0)."""
    return _scalar(np.log2(np.asarray(cells, dtype=float) / np.asarray(n0, dtype=float)))


def cells_to_volume(cells: ArrayLike) -> Any:
    """Volume in mm^3 of ``cells`` tumour cells (1e6 cells per mm^3)."""
    return _scalar(np.asarray(cells, dtype=float) / CELLS_PER_MM3)


def volume_to_cells(volume_mm3: ArrayLike) -> Any:
    return _scalar(np.asarray(volume_mm3, dtype=float) * CELLS_PER_MM3)


def volume_to_diameter(volume_mm3: ArrayLike) -> Any:
    """Diameter in mm of a sphere of the given volume in mm^3."""
    return _scalar(np.cbrt(6.0 * np.asarray(volume_mm3, dtype=float) / math.pi))


def diameter_to_volume(diameter_mm: ArrayLike) -> Any:
    return _scalar(math.pi / 6.0 * np.asarray(diameter_mm, dtype=float) ** 3)


def cells_to_diameter(cells: ArrayLike) -> Any:
    """Diameter in mm of a spherical tumour of ``cells`` cells."""
    return volume_to_diameter(cells_to_volume(cells))


def diameter_to_cells(diameter_mm: ArrayLike) -> Any:
    return volume_to_cells(diameter_to_volume(diameter_mm))
