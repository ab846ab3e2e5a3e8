"""Lesson 09, the angiogenic switch on a lattice: predictions on the avascular lesion's fate and
where its cells die, and a challenge to hold it at the microscopic size of Holmgren's lesions.

Every answer is computed from the explorer's current run (``SwitchExplorer``, model
``spatial``): the lattice of its last frame and its summary.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models import spatial
from ..widgets import fmt
from . import Ask, Goal

TITLE = "The angiogenic switch"
EXPLORER = "SwitchExplorer"
OPENS_WITH = {"preset": "no_switch"}
#: results the predictions and checks ask about (must not appear before the first prediction)
KEY_NUMBERS = ("1–2 mm", "1-2 mm", "threefold", "119 days", "3.3")

_FATE = (
    "it keeps growing, past 2 mm across",
    "it grows, then stops at a few millimetres or less and holds its size",
    "it dies out",
)
_WHERE = (
    "mostly in the centre, far from the capillaries",
    "mostly at the edge, where it touches the tissue",
    "evenly, all through the lesion",
)
#: the challenge: below this diameter (mm) on the last day, without the switch, dormant
SMALL_MM = 0.6


def _fate(ex: Any) -> str:
    s = ex.result.summary()
    if s["extinct"]:
        return _FATE[2]
    if s["diameter_max_mm"] > 2.0 or s["growth_mm_per_day_final"] > 0.005:
        return _FATE[0]
    return _FATE[1]


def _where(ex: Any) -> str:
    """Where the dead (necrotic) sites of the last frame lie, against the living ones."""
    g = np.asarray(ex.result.grid[-1])
    dead = g == spatial.NECROTIC
    living = (g == spatial.PROLIFERATING) | (g == spatial.QUIESCENT)
    if dead.sum() < 0.05 * max(living.sum(), 1):
        return _WHERE[2]
    ii, jj = np.indices(g.shape)
    tumour = dead | living
    ci, cj = ii[tumour].mean(), jj[tumour].mean()
    r = np.hypot(ii - ci, jj - cj)
    return _WHERE[0] if r[dead].mean() < 0.8 * r[living].mean() else _WHERE[1]


PREDICTIONS = {
    "fate": Ask(
        question=(
            "A clump of about 30 tumour cells, 0.1 mm across, lodges in tissue between "
            "capillaries. Its cells divide about once a day when they have oxygen and room, and "
            "they cannot make new blood vessels. What happens to it over four months?"
        ),
        options=_FATE,
        actual=_fate,
        note=(
            "Look at the diameter plot on the right (the dotted green lines mark 1 and 2 mm) and "
            "at the last sentence of the readout."
        ),
    ),
    "where": Ask(
        question=(
            "Some of the lesion's cells die. Where in the lesion will most of the dead cells be on day 120?"
        ),
        options=_WHERE,
        actual=_where,
        note="Black sites on the lattice are dead (necrotic) cells; drag the day slider to day 120.",
    ),
}


def _small_goal(ex: Any) -> tuple[bool, str]:
    s = ex.result.summary()
    d = float(s["diameter_final_mm"])
    if s["switched"]:
        return False, (
            "This lesion switched, so new vessels feed it. Hold it without new vessels: set the "
            "switch rate to 0 (and do not force the switch)."
        )
    if s["extinct"]:
        return False, "The lesion died out. Dormant means alive: be gentler."
    if d >= SMALL_MM:
        return False, (
            f"On day 120 the lesion is {d:.2f} mm across: still too big. Which process removes "
            "the dead core faster, or lets oxygen reach less far into it?"
        )
    if not s["dormant"]:
        return False, (
            f"The lesion is {d:.2f} mm across but still changing by more than "
            f"{fmt.percent(spatial.DORMANT_CHANGE)} over the last {spatial.DORMANT_WINDOW:g} days: "
            "it has not settled yet. Find settings where it levels off earlier."
        )
    return True, (
        f"Held at {d:.2f} mm, alive and level: a microscopic dormant lesion, dividing and dying in balance."
    )


CHALLENGES = {
    "microscopic": Goal(
        text=(
            "Holmgren's dormant lesions in mice were micrometastases, seen only under a microscope. "
            f"Without the switch, make the lesion hold below {SMALL_MM} mm on day 120: alive, "
            "and dormant by the readout's test."
        ),
        goal=_small_goal,
        hint=(
            "Two sliders set how large a dormant lesion can be: how far oxygen reaches (d_O2), "
            "and how fast the dead core is cleared so the lesion contracts (lysis)."
        ),
        explanation=(
            "The plateau is a balance: births happen only in the oxygenated rim, losses in the "
            "whole lesion. Anything that thins the rim (a shorter oxygen reach) or speeds the "
            "loss of the core (faster clearance) lowers the size at which they balance."
        ),
        solution={"lysis": 0.2},
    ),
}


def turnover_ratios(
    seed: int = 9, force_day: float = 60.0, window: tuple[float, float] = (120.0, 160.0)
) -> dict[str, float]:
    """Deaths and births per living cell per day, dormant lesion : growing lesion, over ``window``.

    The same lesion is run twice with one seed: without the switch, and with the switch forced
    on ``force_day``. The model was tuned to the plateau's size, not to these ratios.
    """
    runs = spatial.simulate(
        np.arange(0.0, window[1] + 1.0), seed=seed, force_at=np.array([np.inf, force_day])
    )
    rates = runs.turnover(*window)
    return {k: float(rates[f"{k}_rate"][0] / rates[f"{k}_rate"][1]) for k in ("death", "birth")}
