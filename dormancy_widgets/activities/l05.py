"""Lesson 05, metastatic inefficiency: what the student predicts and the challenge on the funnel.

The answers are computed from the explorer (``CascadeExplorer``) or from the cascade model's
expected fractions; nothing here writes a model result in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..models import cascade
from . import Ask, Goal

EXPLORER = "CascadeExplorer"
OPENS_WITH = {"preset": "luzzi1998"}
#: Luzzi et al. 1998 numbers the predictions and checks ask about
KEY_NUMBERS = ("0.02%", "1 in 40", "1 in 100", "36%", "80%", "d/b", "0.58")

#: the cells the prediction is about (the explorer's default number of injected cells)
_CELLS = 10_000
_MACRO_OPTIONS = ("about 5,000", "about 500", "about 20", "about 2")
_BOTTLENECK_OPTIONS = (
    "in the blood vessels: most cells die before they can get out",
    "after they leave the vessels: few start to divide, and most of their lesions die out",
    "evenly: each step loses about the same share of the cells",
)
#: the challenge: ten times as many macrometastases as the luzzi1998 rates give, within a factor
_FOLD, _LOW, _HIGH = 10.0, 7.0, 14.0


def _day13_fraction(ex: Any, key: str) -> float:
    """A funnel fraction of the explorer's current run (day 3 for the early stages, else the last day)."""
    from ..widgets.cascade import funnel_values

    return float(funnel_values(ex.result)[key])


def _macro_option(ex: Any) -> str:
    count = _day13_fraction(ex, "macro") * _CELLS
    targets = np.array([5000.0, 500.0, 20.0, 2.0])
    # nearest on a log scale; no metastasis at all is closest to "about 2"
    dist = np.abs(np.log10(max(count, 0.5)) - np.log10(targets))
    return _MACRO_OPTIONS[int(np.argmin(dist))]


def _bottleneck_option(ex: Any) -> str:
    ext = _day13_fraction(ex, "extravasated")
    if ext < 0.5:
        return _BOTTLENECK_OPTIONS[0]
    micro = _day13_fraction(ex, "present")  # micrometastases of >= 4 cells on day 3, as counted
    if micro / ext < 0.5:
        return _BOTTLENECK_OPTIONS[1]
    return _BOTTLENECK_OPTIONS[2]


def micrometastasis_median_size(n_cells: float = 1e6, seed: int = 1998) -> float:
    """Median size (cells) of the luzzi1998 micrometastases (>= 4 cells) present on day 3.

    Nothing in the luzzi1998 rates was fitted to the size of the micrometastases.
    """
    day3 = cascade.simulate(
        np.linspace(0.0, 3.0, 7), seed=seed, **{**cascade.PRESETS["luzzi1998"].values, "n_cells": n_cells}
    )
    sizes = day3.lesion_size[:, -1]
    return float(np.median(sizes[sizes >= cascade.MICRO_MIN]))


PREDICTIONS = {
    "macro": Ask(
        question=(
            "10,000 melanoma cells are injected into a vein that drains into the liver of a mouse. "
            "How many of them will have grown into a visible (macroscopic) tumour 13 days later?"
        ),
        options=_MACRO_OPTIONS,
        actual=_macro_option,
        note=(
            "Read the last bar of the funnel (macrometastases) and the count in the readout; "
            "press Run again a few times: the count jumps, the order of magnitude does not."
        ),
    ),
    "bottleneck": Ask(
        question="Where along the way are most of the cells lost?",
        options=_BOTTLENECK_OPTIONS,
        actual=_bottleneck_option,
        note=(
            "Compare the first three bars: injected, extravasated (left the vessels), and micromets "
            "(lesions of 4 or more cells on day 3). Each grid line is a factor of ten."
        ),
    ),
}


def _expected_macro(params: dict[str, Any]) -> float:
    """Expected share of the injected cells that are macroscopic on day 13 (exact quadrature)."""
    return float(cascade.luzzi_fractions(**params)["macro_day13"])


def _others_as_luzzi(params: dict[str, Any]) -> list[str]:
    base = cascade.PRESETS["luzzi1998"].values
    return [
        k
        for k, v in base.items()
        if k not in ("d", "n_cells") and not math.isclose(float(params[k]), float(v), rel_tol=1e-6)
    ]


def _tenfold(ex: Any) -> tuple[bool, str]:
    p = dict(ex.params)
    moved = _others_as_luzzi(p)
    if moved:
        return False, (
            "Only the death rate d should differ from the luzzi1998 rates; "
            f"{', '.join(moved)} moved too. Choose the preset luzzi1998 again, then move d only."
        )
    fold = _expected_macro(p) / _baseline()
    text = (
        f"At d = {p['d']:.3g} per day the expected macroscopic share is {fold:.3g} times the luzzi1998 value."
    )
    if fold < _LOW:
        return False, text + " Not enough yet: lower d (cells in lesions must die less often)."
    if fold > _HIGH:
        return False, text + " Too many: raise d a little."
    return True, text + f" That is about {_FOLD:.0f} times: done."


def _calibrate() -> tuple[float, float]:
    """The luzzi1998 expected macroscopic share, and the d that gives ten times it (log interpolation)."""
    base = dict(cascade.PRESETS["luzzi1998"].values)
    grid = np.linspace(0.8 * base["d"], base["d"], 11)
    macro = np.asarray(cascade.luzzi_fractions(**{**base, "d": grid})["macro_day13"], dtype=float)
    ratio = np.log(macro / macro[-1])
    d = float(np.interp(math.log(_FOLD), ratio[::-1], grid[::-1]))
    return float(macro[-1]), round(d, 3)


#: computed from the model when the lesson starts (never typed in)
_BASELINE, _TENFOLD_D = _calibrate()


def _baseline() -> float:
    return _BASELINE


CHALLENGES = {
    "tenfold": Goal(
        text=(
            "Colonization is the narrow step. Keep every other rate as in luzzi1998 and find the "
            "death rate d in lesions at which about ten times as many cells become macroscopic "
            "metastases by day 13 (between 7 and 14 times the luzzi1998 value)."
        ),
        goal=_tenfold,
        hint=(
            "Move the slider 'd, death rate in lesions' down in small steps. The goal is judged on "
            "the expected share, so Run again does not change it."
        ),
        explanation=(
            "A drop of d by only about an eighth multiplies the macrometastases by ten: both the "
            "chance that a lesion survives its first divisions (1 − d/b) and the size it reaches by "
            "day 13 grow with b − d, and only the fast tail of lesions crosses the macroscopic size. "
            "The dormant bar does not move: single dormant cells never divide."
        ),
        solution={"d": _TENFOLD_D},
    ),
}
