"""Lesson 01, growth below the detection limit: what the student predicts and the challenge."""

from __future__ import annotations

from typing import Any

from dormancy_widgets.activities import Ask, Goal

TITLE = "Growth below the detection limit"
EXPLORER = "GrowthExplorer"
OPENS_WITH = {"preset": "norton1988"}
#: the answers the predictions ask about; kept out of the text before the first prediction
KEY_NUMBERS = ("4.3 years", "4.35 years", "1,589", "1589")

DAYS_PER_YEAR = 365.25


def _years_to_clinical(ex: Any) -> float:
    return ex.result.summary()["days_to_clinical"] / DAYS_PER_YEAR


PREDICTIONS = {
    "silent": Ask(
        question=(
            "One breast cancer cell starts to divide. While the tumour is small it doubles every 30 days, "
            "and then its growth slows down as Norton's Gompertz curve describes. How many years pass "
            "before it reaches 1 cm³ (about 10⁹ cells), the size a routine examination can find?"
        ),
        unit="years",
        units={"year": 1.0, "months": 1 / 12, "month": 1 / 12, "days": 1 / DAYS_PER_YEAR},
        actual=_years_to_clinical,
        rtol=0.2,
        note="Read the detection time in the readout under the plot.",
    ),
}


def _match_speer(ex: Any) -> tuple[bool, str]:
    p = ex.params
    if p["law"] != "gompertz":
        return False, "Switch the growth law back to gompertz: the race is between two Gompertz tumours."
    if p["pause"] > 0:
        return (
            False,
            "Set the plateau length to 0: Norton's curve has no plateau; change the doubling time instead.",
        )
    t = ex.result.summary()["days_to_clinical"] / DAYS_PER_YEAR
    if t < 7.0:
        return False, f"Detected after {t:.1f} years: too early. Slow the early growth (a longer Td)."
    if t > 7.7:
        return False, f"Detected after {t:.1f} years: too late. Speed up the early growth (a shorter Td)."
    return True, f"Detected after {t:.1f} years, as the tumour with Speer's plateau."


CHALLENGES = {
    "rivals": Goal(
        text=(
            "The speer1984_plateau tumour is found about 7.3 years after its first cell. Without any "
            "plateau, find an early doubling time Td for which Norton's smooth Gompertz tumour is found at "
            "the same age (between 7.0 and 7.7 years)."
        ),
        goal=_match_speer,
        hint="Detection time grows in proportion to Td for a Gompertz curve with a fixed plateau size.",
        explanation=(
            "Around Td = 50 days the smooth curve is found at the same age: a size at detection cannot tell "
            "a fast tumour that paused from a slow one that never did."
        ),
        solution={"law": "gompertz", "Td": 50.0, "pause": 0.0, "t_pause": 0.0},
    ),
}
