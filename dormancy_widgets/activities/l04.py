"""Lesson 04, immune dormancy: the prediction and the challenge on the Kuznetsov explorer.

Every answer is computed from ``models.immune`` at the explorer's settings or at the
published fit; nothing here is a typed-in result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..models import immune
from ..widgets import fmt
from . import Ask, Goal

EXPLORER = "ImmuneExplorer"
OPENS_WITH = {"preset": "kuznetsov1994_dormancy"}

KEY_NUMBERS = ("8.2", "99 days", "6.6", "44%", "45%", "stable focus")

FATE = (
    "It is eliminated",
    "It settles at a steady size of a few million cells",
    "It grows to the largest size the mouse supports",
)
_ROLE_TO_FATE = {"tumour-free": FATE[0], "dormant": FATE[1], "large tumour": FATE[2]}

#: the cut of recruitment is searched on the slider's grid
SUPP_STEP = 0.01


def fate(ex: Any) -> str:
    """Where the explorer's current run is heading, as one of ``FATE``."""
    role = str(ex.result.summary()["approaches"])
    return _ROLE_TO_FATE.get(role, FATE[2])


def _published() -> dict[str, Any]:
    return dict(immune.PRESETS["kuznetsov1994_dormancy"].values)


def has_dormant_state(**params: Any) -> bool:
    """Whether a dormant equilibrium exists once the suppression in ``params`` acts."""
    _, T = immune.steady_states(after_suppression=True, **params).by_role("dormant")
    return bool(np.isfinite(T))


def smallest_releasing_cut(**params: Any) -> float:
    """The smallest ``supp`` on the slider's grid at which the dormant state is gone."""
    p = {**_published(), **params}
    grid = np.round(np.arange(0.0, 1.0 + SUPP_STEP / 2, SUPP_STEP), 2)
    _, T = immune.steady_states(after_suppression=True, **{**p, "supp": grid}).by_role("dormant")
    gone = ~np.isfinite(np.asarray(T, dtype=float))
    return float(grid[int(np.argmax(gone))]) if gone.any() else math.inf


def dormant_cells() -> float:
    """Tumour cells at the dormant equilibrium of the published fit."""
    return float(immune.steady_states(**_published()).by_role("dormant")[1])


def dormant_log10() -> float:
    """log10 of the dormant tumour size of the published fit."""
    return math.log10(dormant_cells())


def period_days() -> float:
    """Period of the damped swings towards the dormant state of the published fit (days)."""
    return float(immune.simulate(immune.DEFAULT_T, **_published()).summary()["period_days"])


def elimination_supply() -> float:
    """Effector supply s above which the tumour-free state is stable: s > a d / n."""
    p = _published()
    return float(p["a"] * p["d"] / p["n"])


def threshold(E0: float = 3.2e5) -> float:
    """Smallest starting tumour that escapes at the published fit, for ``E0`` effector cells."""
    return float(immune.escape_threshold(**{**_published(), "E0": E0}))


def _release(ex: Any) -> tuple[bool, str]:
    p = ex.params
    cut = float(p["supp"])
    if has_dormant_state(**p):
        return False, (
            f"A cut of {fmt.percent(cut)} leaves a dormant state on the plane (read the readout): "
            "cut recruitment more."
        )
    smaller = round(cut - SUPP_STEP, 2)
    if smaller >= 0 and not has_dormant_state(**{**p, "supp": smaller}):
        return False, (
            f"The dormant state is gone at {fmt.percent(cut)}, but a smaller cut removes it too: lower supp."
        )
    return True, (
        f"{fmt.percent(cut)} is the smallest cut that removes the dormant state: the stable focus "
        "has met the saddle and both have vanished."
    )


PREDICTIONS = {
    "fate": Ask(
        question=(
            "A mouse receives 5 million lymphoma cells. It has the immune system of Kuznetsov's "
            "fit, about 320,000 effector cells. What happens to the tumour over the next three "
            "years?"
        ),
        options=FATE,
        actual=fate,
        note="Follow the trajectory on the phase plane to the marker where it ends.",
    ),
}

CHALLENGES = {
    "release": Goal(
        text=(
            "Immunosuppression from day 300 cuts the recruitment p by the fraction supp. Find "
            "the smallest cut (in steps of 0.01) at which the dormant state disappears from the "
            "phase plane."
        ),
        goal=_release,
        hint=(
            "Watch the blue circle (the dormant state) and the red cross above it (the saddle) "
            "as you raise supp: they move towards each other."
        ),
        explanation=(
            "Cutting recruitment lowers the effector nullcline. The dormant focus and the saddle "
            "slide together, merge and vanish (a saddle-node bifurcation); nothing is left to "
            "hold the tumour, and it escapes."
        ),
        solution={"supp": smallest_releasing_cut()},
    ),
}
