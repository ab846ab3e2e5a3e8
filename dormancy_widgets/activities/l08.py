"""Lesson 08, seed, soil and niche: predictions on organotropism and reactivation, a challenge.

Every answer is computed from the explorer's current settings (``NicheExplorer``) with the
model's expected values (``niche.flow_soil``, ``niche.expected_fractions``), so that pressing
Run again does not change it; the challenge's solution is found by the model at import.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models import niche
from ..widgets import fmt
from . import Ask, Goal

TITLE = "Seed, soil and niche"
EXPLORER = "NicheExplorer"
OPENS_WITH = {"preset": "breast_organotropism"}
#: results the predictions and checks ask about (must not appear before the first prediction)
KEY_NUMBERS = ("8,848", "4,167", "36.6%", "17.4%", "kidney grafts", "no significant differences")

_ORGAN_WORDS = {"lung": "the lungs", "liver": "the liver", "bone": "the bones", "brain": "the brain"}
_WHERE_OPTIONS = (*_ORGAN_WORDS.values(), "about equally in every organ")
_TRIGGER_OPTIONS = (
    "it stays about the same: dormant cells do not respond",
    "it rises: dormant cells wake up and found new lesions",
    "it falls: the disruption kills the dormant cells",
)
_BONE = niche.ORGANS.index("bone")


def _day(ex: Any) -> float:
    return float(ex.result.t[-1])


def _where(ex: Any) -> str:
    """The organ with the most lesions started by the last day (expected values)."""
    share = np.asarray(niche.flow_soil(_day(ex), **ex.params)["lesions"], dtype=float)
    if share.max() - share.min() < 0.05:
        return _WHERE_OPTIONS[-1]
    organ = niche.ORGANS[int(np.argmax(share))]
    return _ORGAN_WORDS.get(organ, _WHERE_OPTIONS[-1])


def _bone_lesions_after_trigger(params: dict[str, Any], day: float) -> float:
    """Expected lesions founded in bone between the trigger's start and ``day``."""
    t = sorted({float(params["t_trig"]), max(day, float(params["t_trig"]))})
    started = niche.expected_fractions([0.0, *t], **params)["started"][_BONE]
    return float(started[-1] - started[1])


def _trigger(ex: Any) -> str:
    p = dict(ex.params)
    day = _day(ex)
    if p["fold_trig"] <= 1.0 or p["t_trig"] >= day:
        return _TRIGGER_OPTIONS[0]
    with_trigger = _bone_lesions_after_trigger(p, day)
    without = _bone_lesions_after_trigger({**p, "fold_trig": 1.0}, day)
    return _TRIGGER_OPTIONS[1] if with_trigger > 1.1 * without else _TRIGGER_OPTIONS[0]


PREDICTIONS = {
    "where": Ask(
        question=(
            "Cells leave a breast tumour through its veins. Veins return blood to the heart, which "
            "pumps it through the lungs first; whatever passes the lungs goes out in the arteries. "
            "In which organ will the most lesions grow?"
        ),
        options=_WHERE_OPTIONS,
        actual=_where,
        note=(
            "Compare the dark-blue bars (cells arrested) with the red bars (growing lesions) organ "
            "by organ, and read the first line of the readout."
        ),
    ),
    "trigger": Ask(
        question=(
            "Some cells in bone sit dormant beside stable small vessels. On day 45 new vessels "
            "sprout there for ten days. What happens to the number of lesions in bone in the "
            "weeks after?"
        ),
        options=_TRIGGER_OPTIONS,
        actual=_trigger,
        note=(
            "Choose the preset niche_disruption: the yellow band on the right marks the trigger. "
            "Watch the bone line (green) and the orange 'dormant now' bar of bone."
        ),
    ),
}


# ----------------------------------------------------------------------------- the challenge
#: the pattern to reproduce: lesions of a colorectal primary, where flow alone decides
_PATTERN = niche.flow_soil(90.0, **niche.PRESETS["ewing_colorectal"].values)["lesions"]
_LIVER, _LUNG = niche.ORGANS.index("liver"), niche.ORGANS.index("lung")
_LIVER_LOW = 0.8
_LUNG_BAND = (0.05, 0.15)


def _solve() -> dict[str, Any]:
    """Soils that give the colorectal pattern with equal delivery (found by the model)."""
    targets = {o: float(_PATTERN[i]) for i, o in enumerate(niche.ORGANS)}
    soils = niche.tune_soils(targets, reference="liver", route="equal", soil_liver=10.0)
    return {"route": "equal", "soil_liver": 10.0, **{k: round(v, 4) for k, v in soils.items()}}


_SOLUTION = _solve()


def _pattern_goal(ex: Any) -> tuple[bool, str]:
    p = dict(ex.params)
    if p["route"] != "equal":
        return False, (
            f"The route is {p['route']}. Set route to 'equal' first: every organ then receives the "
            "same cells, as the grafts did in Hart & Fidler's experiment."
        )
    share = np.asarray(niche.flow_soil(_day(ex), **p)["lesions"], dtype=float)
    liver, lung = share[_LIVER], share[_LUNG]
    text = (
        f"With equal delivery the liver has {fmt.percent(liver)} of the lesions "
        f"and the lungs {fmt.percent(lung)}."
    )
    if liver < _LIVER_LOW:
        return False, text + " The liver needs at least 80%: raise soil_liver or lower the other soils."
    if lung < _LUNG_BAND[0]:
        return False, text + " The lungs need 5-15%: raise soil_lung a little."
    if lung > _LUNG_BAND[1]:
        return False, text + " The lungs need 5-15%: lower soil_lung."
    return True, text + " That is the colorectal pattern, made by soil alone."


CHALLENGES = {
    "flow_or_soil": Goal(
        text=(
            "In colorectal cancer most metastases are in the liver and some in the lungs. The "
            "preset ewing_colorectal makes that pattern by flow (the portal vein). Can soil make it "
            "too? Set route to 'equal' (every organ receives the same cells) and choose soils so "
            "that the liver gets at least 80% of the lesions and the lungs 5-15%."
        ),
        goal=_pattern_goal,
        hint=(
            "Start from route 'equal'. The liver needs a soil far better than the others; the "
            "lungs a little better than bone, brain and kidney. Soil sliders are logarithmic."
        ),
        explanation=(
            "Both explanations reproduce the same organ pattern. A pattern alone cannot tell flow "
            "from soil; an experiment that fixes one of them can. Hart & Fidler fixed delivery "
            "(grafts receiving the same cells) and saw the soil decide; the readout's flow share "
            "does the same bookkeeping for the model."
        ),
        solution=_SOLUTION,
    ),
}


def lesion_ratios(preset: str = "breast_organotropism", day: float = 90.0) -> dict[str, float]:
    """The model's bone : lung and liver : lung lesion ratios on ``day`` for a breast primary."""
    share = dict(zip(niche.ORGANS, niche.flow_soil(day, **niche.PRESETS[preset].values)["lesions"]))
    return {"bone": float(share["bone"] / share["lung"]), "liver": float(share["liver"] / share["lung"])}
