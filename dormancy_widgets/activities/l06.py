"""Lesson 06, heterogeneity and selection: predictions on the fluctuation test and a challenge.

Every answer is read from the explorer's current run (``HeterogeneityExplorer``); the
challenge's solution is computed from the model at import, never typed in.
"""

from __future__ import annotations

import math
from typing import Any

from ..models import heterogeneity
from ..widgets import fmt
from . import Ask, Goal

EXPLORER = "HeterogeneityExplorer"
OPENS_WITH = {"preset": "fidler_kripke1977"}
#: results the predictions and checks ask about (must not appear before the first prediction)
KEY_NUMBERS = ("varied greatly", "jackpot", "μ N log₂ N", "210")

_SPREAD_OPTIONS = ("the clones", "the subsamples of the parent line", "both about the same")
_ORIGIN_OPTIONS = (
    "about equally from all the founder clones",
    "mostly from a minority of the founder clones",
    "almost all from one founder clone",
)
#: the challenge's band for the share of the parent line's metastases made by variants
_LOW, _HIGH = 0.40, 0.60


def _summary(ex: Any) -> dict[str, Any]:
    return ex.result.summary()


def _spread(ex: Any) -> str:
    s = _summary(ex)
    vc, vp = s["vmr_clones"], s["vmr_parent"]
    if not (math.isfinite(vc) and math.isfinite(vp)) or vp <= 0:
        return _SPREAD_OPTIONS[2]
    if vc >= 2.0 * vp:
        return _SPREAD_OPTIONS[0]
    if vp >= 2.0 * vc:
        return _SPREAD_OPTIONS[1]
    return _SPREAD_OPTIONS[2]


def _origin(ex: Any) -> str:
    s = _summary(ex)
    if s["share_top_clone"] >= 0.5:
        return _ORIGIN_OPTIONS[2]
    if s["share_clones_for_half"] < 0.4:
        return _ORIGIN_OPTIONS[1]
    return _ORIGIN_OPTIONS[0]


PREDICTIONS = {
    "spread": Ask(
        question=(
            "Fifty clones of one melanoma line, and fifty subsamples of the parent line, are each "
            "injected into five mice, and the lung colonies are counted. Both groups give about the "
            "same mean number of colonies per mouse. Which group varies more from mouse to mouse?"
        ),
        options=_SPREAD_OPTIONS,
        actual=_spread,
        note=(
            "Compare the variance-to-mean ratios in the titles of the left (clones) and middle "
            "(subsamples) histograms; about 1 means chance alone."
        ),
    ),
    "origin": Ask(
        question=(
            "The parent line is a mixture of the progeny of many founder cells (clones). Where do "
            "its lung metastases come from?"
        ),
        options=_ORIGIN_OPTIONS,
        actual=_origin,
        note=(
            "Read the second plot (founder clones ranked by their share of the metastases, against "
            "the diagonal of equal shares) and the last sentence of the readout."
        ),
    ),
}


def _half_from_variants(ex: Any) -> tuple[bool, str]:
    s = _summary(ex)
    share = float(s["share_metastases_from_variants"])
    p = ex.params
    if not math.isfinite(share):
        return False, "No metastases formed in this run: raise q_v or q_0."
    text = (
        f"With q_v = {p['q_v']:.2g} and q_0 = {p['q_0']:.2g}, variants make {fmt.percent(share)} of the "
        "parent line's metastases."
    )
    if share > _HIGH:
        return False, text + " Still more than 60%: lower q_v (variants colonise too well)."
    if share < _LOW:
        return False, text + " Less than 40%: raise q_v a little."
    ratio = p["q_v"] / p["q_0"]
    return (
        True,
        text + f" Done: a variant is about {ratio:,.0f} times as likely to colonise as an ordinary cell.",
    )


def _solution() -> dict[str, float]:
    """q_v at which variants make half the metastases, for the explorer's opening run."""
    values = dict(heterogeneity.PRESETS[OPENS_WITH["preset"]].values)
    run = heterogeneity.simulate(heterogeneity.DEFAULT_T, seed=heterogeneity.REPRODUCTION_SEED, **values)
    f = float(run.summary()["variant_fraction"])
    q_v = values["q_0"] * (1.0 - f) / f
    return {"q_v": float(f"{q_v:.2g}")}


CHALLENGES = {
    "half": Goal(
        text=(
            "How much better at colonising must a variant be to matter? Keep μ and q_0 as they are and "
            "lower q_v until the variants make only about half of the parent line's metastases "
            "(between 40% and 60%, read in the readout)."
        ),
        goal=_half_from_variants,
        hint=(
            "The readout says what share of the parent line's metastases come from variants. q_v is a "
            "log slider: each step down divides it by a fixed factor."
        ),
        explanation=(
            "The readout gives the share of variants in the parent line, about 1 cell in 5,000 to "
            "10,000 here. Variants make half of the metastases when one variant is about as likely "
            "to found a colony as all those ordinary cells together: q_v / q_0 is about one over the "
            "variant share. Now look at the variance-to-mean ratios at your setting: does the "
            "fluctuation test still tell clones from subsamples?"
        ),
        solution=_solution(),
    ),
}


def contrast_shown(seed: int = heterogeneity.REPRODUCTION_SEED, printer: Any = print) -> float:
    """Run the fluctuation experiment, print its numbers; 1.0 if it shows Fidler & Kripke's contrast.

    The contrast: the clones' variance-to-mean ratio more than five times the subsamples', while
    the subsamples' stays near 1 (between 0.5 and 2). Nothing was fitted to its size.
    """
    ft = heterogeneity.fluctuation_test(seed=seed)
    printer(ft.report())
    return float(ft.ratio > 5 and 0.5 < ft.vmr_parent < 2)
