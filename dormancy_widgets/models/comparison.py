"""One flat course, three mechanisms: how dormant lesions held in different ways respond to treatment.

Lessons 2, 3 and 4 each produce a lesion that stays the same size, far below detection:
**cell-cycle arrest** (``cellcycle``: cells sit in G0 under a p38-dominated signal; Aguirre-Ghiso
2003, Luzzi 1998), **angiogenic balance** (``angiogenic``: the Hahnfeldt 1999 model held small by
daily angiostatin, as a primary tumour holds its metastases; Holmgren 1995, O'Reilly 1994) and
**immune equilibrium** (``immune``: the Kuznetsov 1994 model at its dormant focus; Koebel 2007).
Seen from outside they are the same flat line. Udagawa 2008 (APMIS 116:615) and Fidler 1988
(Isr J Med Sci 24:456) stress that they should respond differently to treatment; ``compare``
computes how, with each mechanism's own model.

Each model starts in its dormant state and each intervention starts on day 0; the table gives
the lesion's size one year later divided by its size on day 0 (``fold``; 1: unchanged), and the
smallest size reached during that year over the size on day 0 (``nadir``). Sizes are living
cells (P + Q) for cell-cycle arrest, the volume V for the angiogenic model and the tumour cells
T for the immune model: only ratios are compared.

The interventions, and how each model meets them:

* **chemotherapy**: a cycle-specific drug for ``CHEMO_DAYS`` = 14 days that adds a death rate
  of ``CHEMO_KILL`` = 1 per day to cycling cells (the cell-cycle lesson's chemotherapy preset).
  The cell-cycle model has this drug. The angiogenic and immune models have no drug that kills
  tumour cells: there the course is applied as an instant cut of the lesion by the fraction
  of a *growing* lesion's cells that survive it, computed with the cell-cycle model
  (dormant angiogenic lesions proliferate like growing ones, Holmgren 1995; the immune model's
  tumour cells divide at rate a). Effector cells are assumed spared.
* **anti-angiogenic therapy**: in the angiogenic model, more angiostatin (twice the dose, or
  the highest dose the model allows if that is less). The
  other two models have no blood supply; a lesion of arrested cells or a lesion the size of
  the immune model's dormant state is assumed not to depend on new vessels (no effect).
* **immunosuppression**: the immune model's own knob (recruitment cut by 60% from day 0, the
  lesson's ``immunosuppression_escape`` value). The other two models have no immune term (no
  effect).
* **surgery** (removal of the primary tumour): in the angiogenic model, the angiostatin the
  primary made stops on day 0 (concomitant resistance ends; O'Reilly 1994). In the cell-cycle
  model, surgery is taken to tip the p38/ERK balance to growth (the signal s goes from the
  dormant +1 to the growing -1): the surgery-triggered escape hypothesis of lesson 7 (Retsky
  2010), not a finding of the cell-cycle model. The immune model has no term for surgery (no
  effect; surgery-related immunosuppression is reported but not modelled here).

**What the other models would need** for a less approximate table: a cell-kill (drug) term in
the angiogenic and immune models; a vessel-dependent growth term in the immune model; and an
angiostatin schedule longer than 200 doses in the angiogenic model (its ``n_doses`` slider
stops at 200, so the held state is kept here with a double dose every other day for 400 days).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import angiogenic, cellcycle, immune

__all__ = [
    "CHEMO_DAYS",
    "CHEMO_KILL",
    "DORMANCY_KINDS",
    "FOLLOW_UP_DAYS",
    "INTERVENTIONS",
    "Comparison",
    "compare",
]

#: the three kinds of dormancy compared (one model each); not ``models.MECHANISMS``
DORMANCY_KINDS = ("cell-cycle arrest", "angiogenic balance", "immune equilibrium")
INTERVENTIONS = ("none", "chemotherapy", "anti-angiogenic", "immunosuppression", "surgery")

#: the chemotherapy course: days given and extra death rate of cycling cells (1/day), as in the
#: cell-cycle model's chemo presets
CHEMO_DAYS = 14.0
CHEMO_KILL = 1.0
#: follow-up after the intervention starts
FOLLOW_UP_DAYS = 365.0
#: immunosuppression: fraction by which effector recruitment is cut (immune lesson's preset)
IMMUNE_CUT = 0.6
#: angiostatin every other day at twice the daily dose of the Holmgren preset: the same drug
#: per day, and a schedule of 200 doses long enough for a burn-in plus a year of follow-up
_ANGIO_INTERVAL = 2.0
_ANGIO_BURN_IN = 28.0

_NO_TERM = "no term for this in the model: assumed no effect"


@dataclass(frozen=True)
class Comparison:
    """Fold change of lesion size one year after each intervention, per mechanism.

    ``fold`` and ``nadir`` have shape (mechanisms, interventions); ``notes`` maps
    (mechanism, intervention) to how the model met the intervention; ``size`` holds each
    mechanism's daily size over the follow-up (shape mechanisms, interventions, days + 1).
    """

    fold: np.ndarray
    nadir: np.ndarray
    days: np.ndarray
    size: np.ndarray
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    mechanisms: tuple[str, ...] = DORMANCY_KINDS
    interventions: tuple[str, ...] = INTERVENTIONS

    def get(self, mechanism: str, intervention: str, what: str = "fold") -> float:
        i, j = self.mechanisms.index(mechanism), self.interventions.index(intervention)
        return float(getattr(self, what)[i, j])

    def rows(self) -> list[dict[str, Any]]:
        """One row per mechanism: fold change per intervention, plus the notes."""
        out = []
        for i, mech in enumerate(self.mechanisms):
            row: dict[str, Any] = {"mechanism": mech}
            for j, what in enumerate(self.interventions):
                row[what] = float(self.fold[i, j])
            row["notes"] = {w: self.notes[(mech, w)] for w in self.interventions if (mech, w) in self.notes}
            out.append(row)
        return out


def _size_ratios(size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Size over the dormant size on day 0 (the untreated row's start): at the end, and lowest."""
    start = size[:, :1, :1]  # intervention 0 is "none"
    ratio = size / np.where(start > 0, start, 1.0)
    return ratio[..., -1], ratio.min(axis=-1)


def growing_survival() -> float:
    """Fraction of a growing lesion's living cells that survive the chemotherapy course."""
    g = dict(cellcycle.PRESETS["luzzi1998_growing"].values)
    g.update(t_drug=0.0, drug_days=CHEMO_DAYS, k=CHEMO_KILL)
    return float(cellcycle.simulate([0.0, CHEMO_DAYS], **g).summary()["survival_drug"])


def _cellcycle(days: np.ndarray) -> np.ndarray:
    """Living cells of a dormant lesion, one row per intervention (one batched exact solve)."""
    p = dict(cellcycle.PRESETS["luzzi1998_dormant"].values)
    growing_s = cellcycle.PRESETS["luzzi1998_growing"].values["s"]
    start = cellcycle.simulate([0.0], **p)  # the dormant mix the lesion settles in
    #                         none  chemo        anti-ang  immuno  surgery
    s = np.array([p["s"], p["s"], p["s"], p["s"], growing_s])
    drug_days = np.array([0.0, CHEMO_DAYS, 0.0, 0.0, 0.0])
    p.update(s=s, t_drug=0.0, drug_days=drug_days, k=CHEMO_KILL)
    r = cellcycle.evolve(days, start.P[..., 0], start.Q[..., 0], start.D[..., 0], **p)
    return r.P + r.Q


def _angiogenic(days: np.ndarray, survival: float) -> np.ndarray:
    """Volume of an angiostatin-held lesion, one row per intervention."""
    p = dict(angiogenic.PRESETS["angiostatin_dormancy"].values)
    p.update(interval=_ANGIO_INTERVAL, dose=_ANGIO_INTERVAL * p["dose"], n_doses=200.0)
    # burn-in: let the held lesion settle under the every-other-day schedule, then start there
    burn = angiogenic.simulate([0.0, _ANGIO_BURN_IN], view=True, **p)
    v_d, k_d = float(burn.V[-1]), float(burn.K[-1])
    k_d = min(max(k_d, angiogenic.PARAMS["K0"].low), angiogenic.PARAMS["K0"].high)
    n_left = 200.0 - _ANGIO_BURN_IN / _ANGIO_INTERVAL
    #                     none   chemo           anti-ang         immuno  surgery
    v0 = np.array([v_d, max(survival * v_d, angiogenic.PARAMS["V0"].low), v_d, v_d, v_d])
    dose = np.array([1.0, 1.0, 1.0, 1.0, 1.0]) * p["dose"]
    dose[2] = _anti_angiogenic_dose(p["dose"])
    n_doses = np.array([n_left, n_left, n_left, n_left, 0.0])
    p.update(V0=v0, K0=k_d, dose=dose, n_doses=n_doses)
    # the explorer's coarser RK4 steps (view=True): a year of daily doses at the accurate step
    # (0.01 day) takes seconds, and a fold change read to two digits does not need it
    return angiogenic.simulate(days, view=True, **p).V


def _anti_angiogenic_dose(dose: float) -> float:
    """Anti-angiogenic therapy on top of the held state: twice the dose, or the model's maximum."""
    return min(2.0 * dose, angiogenic.PARAMS["dose"].high)


def _immune(days: np.ndarray, survival: float) -> np.ndarray:
    """Tumour cells of a lesion at the immune model's dormant focus, one row per intervention."""
    p = dict(immune.PRESETS["kuznetsov1994_dormancy"].values)
    eq = immune.steady_states(**p)
    dormant = int(np.flatnonzero(eq.role == "dormant")[0])
    e_d, t_d = float(eq.E[dormant]), float(eq.T[dormant])
    #                     none  chemo          anti-ang  immuno      surgery
    t0 = np.array([t_d, survival * t_d, t_d, t_d, t_d])
    supp = np.array([0.0, 0.0, 0.0, IMMUNE_CUT, 0.0])
    p.update(E0=e_d, T0=t0, supp=supp, t_supp=0.0)
    return immune.simulate(days, **p).T


def _angio_note() -> str:
    p = angiogenic.PRESETS["angiostatin_dormancy"].values
    held = _ANGIO_INTERVAL * p["dose"]
    more = _anti_angiogenic_dose(held)
    return f"more angiostatin: {more:g} instead of {held:g} mg/kg every other day" + (
        " (the model's highest dose)" if more < 2.0 * held else " (twice the dose)"
    )


def compare(follow_up: float = FOLLOW_UP_DAYS) -> Comparison:
    """Run the three dormant lesions through the four interventions (and none) for ``follow_up`` days."""
    if not (30.0 <= follow_up <= FOLLOW_UP_DAYS):
        raise ValueError(
            f"follow_up = {follow_up!r} is not allowed: follow_up must be from 30 to {FOLLOW_UP_DAYS:g} days."
        )
    days = np.arange(0.0, follow_up + 0.5, 1.0)
    survival = growing_survival()
    size = np.stack([_cellcycle(days), _angiogenic(days, survival), _immune(days, survival)])
    fold, nadir = _size_ratios(size)
    cut = f"instant cut to {survival:.3f} (a growing lesion's survival of the course, cell-cycle model)"
    notes = {
        ("cell-cycle arrest", "chemotherapy"): "the model's own cycle-specific drug (G0 cells spared)",
        ("cell-cycle arrest", "anti-angiogenic"): "no vessel term: a lesion of arrested cells assumed not to "
        "need new vessels (no effect)",
        ("cell-cycle arrest", "immunosuppression"): _NO_TERM,
        ("cell-cycle arrest", "surgery"): "assumed to tip p38/ERK to growth (s from +1 to -1): the "
        "surgery-triggered escape hypothesis (Retsky 2010), not part of the cell-cycle model",
        ("angiogenic balance", "chemotherapy"): "no cell-kill term: " + cut,
        ("angiogenic balance", "anti-angiogenic"): _angio_note(),
        ("angiogenic balance", "immunosuppression"): _NO_TERM,
        ("angiogenic balance", "surgery"): "the primary's angiostatin stops (O'Reilly 1994)",
        ("immune equilibrium", "chemotherapy"): "no drug term: " + cut + "; effector cells assumed spared",
        ("immune equilibrium", "anti-angiogenic"): "no vessel term: assumed no effect",
        ("immune equilibrium", "immunosuppression"): f"recruitment p cut by {IMMUNE_CUT:.0%} from day 0",
        ("immune equilibrium", "surgery"): _NO_TERM,
    }
    return Comparison(fold=fold, nadir=nadir, days=days, size=size, notes=notes)
