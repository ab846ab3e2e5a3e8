"""Lesson 03, angiogenic dormancy: the prediction and the challenge on the Hahnfeldt explorer.

Every answer is computed from ``models.angiogenic`` at the explorer's settings or at a named
preset; nothing here is a typed-in result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..models import angiogenic
from . import Ask, Goal

EXPLORER = "AngiogenicExplorer"
#: the daily-angiostatin scenario (post-vascular dormancy of a vascularised tumour)
PRESET = next(
    name
    for name, preset in angiogenic.PRESETS.items()
    if preset.values["drug"] == "angiostatin"
    and preset.values["interval"] == 1
    and preset.values["n_doses"] >= 200
)
OPENS_WITH = {"preset": PRESET}

KEY_NUMBERS = ("17,346", "17,350", "12,300", "12,323", "eight days", "held dormant")

FATE = (
    "It grows to the same size as an untreated tumour, only later",
    "It grows past 1 cm³, more slowly than an untreated tumour",
    "It stops at a few hundred mm³ and stays there",
    "It shrinks and disappears",
)

#: the challenge: an injection every CHALLENGE_INTERVAL days, V on day CHALLENGE_DAY in the band
CHALLENGE_INTERVAL = 3
CHALLENGE_DAY = 200.0
CHALLENGE_BAND = (150.0, 400.0)


def fate(params: dict[str, Any], days: float = 60.0) -> str:
    """Which of ``FATE`` describes the tumour over ``days`` days at these settings."""
    s = angiogenic.simulate(np.linspace(0.0, days, int(4 * days) + 1), **params).summary()
    if s["dormant"]:
        return FATE[2]
    if s["growth_rate_final"] < -angiogenic.DORMANT_RATE or s["below_one_cell"]:
        return FATE[3]
    if s["V_final"] >= 0.9 * s["V_star"]:
        return FATE[0]
    return FATE[1]


def _days_of(ex: Any) -> float:
    days = getattr(ex, "view_controls", {}).get("days")
    return float(days.value) if days is not None else 60.0


def days_to_detect_after_last_dose(preset: str = "suppression_removed") -> float:
    """Days from the last dose to 1 cm³ when the inhibitor stops (``inf``: not within 400 days)."""
    p = angiogenic.PRESETS[preset].values
    t = np.linspace(0.0, 400.0, 1601)
    t1 = float(angiogenic.simulate(t, **p).summary()["days_to_clinical"])
    last = float(p["start"]) + float(p["interval"]) * (float(p["n_doses"]) - 1.0)
    return t1 - last


def half_life(drug: str = "angiostatin") -> float:
    """Serum half-life of a drug in the fit, days: ln 2 / clr."""
    return math.log(2.0) / angiogenic.DRUGS[drug].clr


def volume_on_day(day: float, preset: str, **changes: Any) -> float:
    """Tumour volume (mm³) on ``day`` for a preset, optionally changed."""
    p = {**angiogenic.PRESETS[preset].values, **changes}
    return float(angiogenic.simulate(np.linspace(0.0, day, int(4 * day) + 1), **p).V[-1])


def schedule_ratio(day: float = 200.0) -> float:
    """V on ``day`` with the same average angiostatin as 4-day injections over daily ones."""
    daily = angiogenic.PRESETS[PRESET].values
    dose4 = float(daily["dose"]) * 4
    return volume_on_day(day, PRESET, interval=4, dose=dose4) / volume_on_day(day, PRESET)


def _hold(ex: Any) -> tuple[bool, str]:
    p = ex.params
    if str(p["drug"]) != "angiostatin":
        return False, "Choose angiostatin as the drug first."
    if int(p["interval"]) != CHALLENGE_INTERVAL:
        return False, f"Set the interval between doses to {CHALLENGE_INTERVAL} days first."
    if float(p["n_doses"]) * CHALLENGE_INTERVAL < CHALLENGE_DAY:
        return False, "The treatment stops before day 200: give more doses."
    t = np.linspace(0.0, CHALLENGE_DAY, int(4 * CHALLENGE_DAY) + 1)
    s = angiogenic.simulate(t, **p).summary()
    v = float(s["V_final"])
    lo, hi = CHALLENGE_BAND
    if v > hi:
        return False, f"Too large: V is {v:,.0f} mm³ on day 200. Raise the dose."
    if v < lo:
        return False, f"Too small: V is {v:,.0f} mm³ on day 200: the drug is winning. Lower the dose."
    if not s["dormant"]:
        return False, f"V is {v:,.0f} mm³ on day 200 but still changing by more than 1% a day."
    return True, f"Held: V is {v:,.0f} mm³ on day 200 and barely changing. Compare with the daily dose."


PREDICTIONS = {
    "fate": Ask(
        question=(
            "A vascularised mouse tumour of 180 mm³ gets angiostatin every day, 14.1 mg/kg. "
            "Untreated, this tumour would grow for weeks. What happens to the treated tumour "
            "over the next 60 days?"
        ),
        options=FATE,
        actual=lambda ex: fate(ex.params, _days_of(ex)),
        note=(
            "Look at where the solid line V ends on the first plot (V and K over time), and at "
            "the faded untreated line."
        ),
    ),
}

CHALLENGES = {
    "hold": Goal(
        text=(
            "Give angiostatin every 3 days instead of every day. Find a dose that holds the "
            "tumour between 150 and 400 mm³ on day 200, barely changing. Set 'days shown' to "
            "200 to watch it."
        ),
        goal=_hold,
        hint=(
            "Start from three times the daily dose and move in steps of 0.5 mg/kg: the band of "
            "doses that works is narrow."
        ),
        explanation=(
            "The held size is a balance between vessel growth and vessel kill, and it moves a "
            "lot for a small change of dose. With angiostatin (half-life under two days) a dose "
            "every three days works almost as well as a daily one; with longer gaps the vessels "
            "recover between doses."
        ),
        solution={"interval": CHALLENGE_INTERVAL, "dose": 43.0},
    ),
}
