"""Lesson 02, cellular dormancy: what the student predicts and the challenge on the explorer.

Every answer is computed from the model (``cellcycle``) at the explorer's current settings or
at a named preset; nothing here is a typed-in result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..models import cellcycle
from ..widgets import fmt
from . import Ask, Goal

EXPLORER = "CellularDormancyExplorer"
OPENS_WITH = {"preset": "chemo_growing"}

#: how far after the end of treatment the prediction looks (days)
LOOK_AFTER = 60.0
#: a lesion "holds its size" when it doubles or halves more slowly than once in ten years
#: (the explorer's readout uses the same line)
BALANCE_RATE = math.log(2.0) / 3650.0

#: results the prediction, challenge and checks ask about; none may appear in the lesson's
#: text before its first prediction
KEY_NUMBERS = ("4 cells", "day 71", "day 73", "9%", "grows back")

REGROWTH = (
    "It is gone: the drug killed nearly every cell",
    "It is smaller than before treatment and stays that way",
    "It is back to its size before treatment, or larger, but smaller than if it had never been treated",
    "It is the same size as if it had never been treated",
)


def regrowth_outcome(params: dict[str, Any]) -> str:
    """Which of ``REGROWTH`` describes the lesion ``LOOK_AFTER`` days after treatment ends."""
    p = dict(params)
    t0 = float(p["t_drug"])
    after = t0 + float(p["drug_days"]) + LOOK_AFTER
    treated = cellcycle.simulate([0.0, t0, after], **p)
    untreated = cellcycle.simulate([0.0, t0, after], **{**p, "k": 0.0})
    before = float(treated.living[1])
    now = float(treated.living[2])
    never = float(untreated.living[2])
    if now < 1.0:
        return REGROWTH[0]
    if now < 0.99 * before:
        return REGROWTH[1]
    if now < 0.9 * never:
        return REGROWTH[2]
    return REGROWTH[3]


def deaths_per_day(living: float = 1000.0) -> float:
    """Cells dying per day in a dormant lesion of ``living`` cells (births balance deaths)."""
    p = cellcycle.PRESETS["luzzi1998_dormant"].values
    share = cellcycle.steady_state(**p)["ki67"]
    return float(p["beta"] * share * living)


def regrow_day(preset: str = "chemo_growing", **changes: Any) -> float:
    """Day on which a treated lesion is back to its size before treatment (``inf``: never)."""
    p = {**cellcycle.PRESETS[preset].values, **changes}
    t = np.linspace(0.0, 365.0, 731)
    return float(cellcycle.simulate(t, **p).summary()["regrow_day"])


def quiescent_fall_percent(preset: str = "chemo_dormant", **changes: Any) -> float:
    """Per cent by which the G0 cells fall from the start to the end of treatment."""
    p = {**cellcycle.PRESETS[preset].values, **changes}
    return 100.0 * float(cellcycle.simulate([0.0, 1.0], **p).summary()["Q_drop_drug"])


def dormant_survival(**changes: Any) -> float:
    """Share of the G0 cells of the dormant lesion still alive when treatment ends."""
    p = {**cellcycle.PRESETS["chemo_dormant"].values, **changes}
    return 1.0 - float(cellcycle.simulate([0.0, 1.0], **p).summary()["Q_drop_drug"])


def _balanced(ex: Any) -> tuple[bool, str]:
    rate = float(cellcycle.steady_state(**ex.params)["growth_rate"])
    if abs(rate) < BALANCE_RATE:
        return True, (
            "Births balance deaths: the lesion holds its size. Look at the Ki-67 line and the "
            "diamond on the switch: which rate changed most?"
        )
    if rate > 0:
        return False, (
            f"Still growing: the lesion doubles every {math.log(2.0) / rate:,.0f} days. Too few "
            "cells rest in G0: move the signal towards more p38."
        )
    return False, (
        f"Now it shrinks: it halves every {math.log(2.0) / -rate:,.0f} days. Too many cells rest "
        "in G0: move the signal back a little."
    )


PREDICTIONS = {
    "regrowth": Ask(
        question=(
            "A growing lesion, with about 91% of its cells dividing, gets two weeks of a drug "
            "that kills dividing cells (days 30 to 44). What will the lesion look like two "
            "months after the treatment ends?"
        ),
        options=REGROWTH,
        actual=lambda ex: regrowth_outcome(ex.params),
        note=(
            "Read the left panel after the shaded treatment band, and the readout's sentence "
            "that starts 'The lesion regrows'."
        ),
    ),
}

CHALLENGES = {
    "balance": Goal(
        text=(
            "Make the growing lesion dormant by moving only the signal s = log₁₀(p38/ERK): find "
            "the setting at which births balance deaths, so that the lesion neither doubles nor "
            "halves in ten years."
        ),
        goal=_balanced,
        hint=(
            "Watch the first sentence of the readout: it says whether the lesion doubles, "
            "halves or holds. Move s in steps of 0.05."
        ),
        explanation=(
            "The rates were calibrated so that the lesion balances at one signal, p38/ERK = 10. "
            "Anywhere else it grows or shrinks: in this model dormancy is a knife-edge, which is "
            "one of the places where the model is simpler than the body."
        ),
        solution={"s": 1.0},
    ),
}


def few_cells(seed: int = 2, lesions: int = 2000, cells: int = 10, days: float = 730.0) -> str:
    """Lesions of a few dormant cells followed event by event: one readable paragraph."""
    p = {**cellcycle.PRESETS["luzzi1998_dormant"].values, "N0": float(cells)}
    s = cellcycle.simulate_stochastic([0.0, days], seed=seed, lesions=lesions, **p).summary()
    return (
        f"{lesions:,} dormant lesions of {cells} cells, followed for {days / 365:.0f} years: on average "
        f"they hold {s['mean_living_final']:.1f} cells (they started with {cells}), but the median lesion "
        f"holds {s['median_living_final']:.0f}, {fmt.percent(s['extinct_share'])} have died out and "
        f"{_share(s['escaped_share'])} grown past 1,000 cells. On average the lesions hold their size; "
        "one by one, chance decides."
    )


def _share(x: float) -> str:
    if x == 0:
        return "none has"
    return f"{fmt.percent(x)} have"
