"""Lesson 01, growth below the detection limit: its predictions and its challenge.

Every answer is computed from the explorer's current settings with the growth model, so a
student who changes the controls before comparing gets the model's answer for those settings.
"""

from __future__ import annotations

import math
from typing import Any

from dormancy_widgets.activities import Ask, Goal
from dormancy_widgets.models import growth

TITLE = "Growth below the detection limit"
EXPLORER = "GrowthExplorer"
OPENS_WITH = {"preset": "norton1988"}
#: answers of the predictions at the opening state (4.35 years; 73% of the silent time above
#: 0.2 mm): they must not be given away in the text before the first prediction
KEY_NUMBERS = ("4.35 years", "4.3 years", "4.4 years", "1,589 days", "1589", "73%")

DAYS_PER_YEAR = 365.25
#: clinical detection: 1 cm^3, about 1e9 cells (the usual convention)
DETECTED_CELLS = growth.CLINICAL.cells
#: the upper size of isolated tumour cells in AJCC breast staging: a cluster 0.2 mm across
PATHOLOGY_MM = 0.2

_SHARE_OPTIONS = (
    "less than a third of it",
    "between a third and two thirds of it",
    "more than two thirds of it",
)


def _params(ex: Any) -> dict[str, Any]:
    return dict(ex.params)


def years_to_detection(ex: Any) -> float:
    """Years from the first cell to 1 cm^3 at the explorer's settings (inf if never)."""
    return growth.time_to_size(DETECTED_CELLS, **_params(ex)) / DAYS_PER_YEAR


def share_visible_to_pathologist(params: dict[str, Any]) -> float:
    """Share of the silent time (first cell to 1 cm^3) the tumour spends larger than 0.2 mm."""
    t_path = growth.time_to_size(growth.diameter_to_cells(PATHOLOGY_MM), **params)
    t_clin = growth.time_to_size(DETECTED_CELLS, **params)
    if not math.isfinite(t_clin) or t_clin <= 0:
        return math.nan
    return 1.0 - t_path / t_clin


def _share_option(ex: Any) -> str:
    share = share_visible_to_pathologist(_params(ex))
    if math.isnan(share):
        return "(at these settings the tumour never reaches 1 cm³, so it is never found)"
    if share < 1 / 3:
        return _SHARE_OPTIONS[0]
    if share <= 2 / 3:
        return _SHARE_OPTIONS[1]
    return _SHARE_OPTIONS[2]


def doubling_time_at(cells: float, **params: Any) -> float:
    """Days the tumour takes to double from ``cells`` cells (from the model's own clock)."""
    return float(growth.time_to_size(2 * cells, **params) - growth.time_to_size(cells, **params))


def detection_delay(preset: str) -> float:
    """Days by which a preset's plateau delays detection, against the same tumour without it."""
    values = dict(growth.PRESETS[preset].values)
    with_plateau = growth.time_to_size(DETECTED_CELLS, **values)
    values["pause"] = 0.0
    return float(with_plateau - growth.time_to_size(DETECTED_CELLS, **values))


#: the one number fitted for the reproduction: a 1 cm^3 tumour doubles in 157 days, the median on
#: serial mammograms of women aged 50-70 (Peer et al. 1993)
FITTED_DOUBLING_DAYS = 157.0


def growth_time_10_to_20_mm(preset: str = "norton1988", doubling_days: float = FITTED_DOUBLING_DAYS) -> float:
    """Years the model takes to grow from 10 mm to 20 mm across, with Td fitted to Peer et al.

    Keeps the preset's N-infinity and scales Td so that a 1 cm^3 tumour's doubling time (at its
    growth rate there) is ``doubling_days``; nothing is fitted to the 10 -> 20 mm time it returns.
    """
    p = dict(growth.PRESETS[preset].values)
    # the doubling time at 1 cm^3 from the growth rate there; it is proportional to Td
    doubling_now = math.log(2.0) * DETECTED_CELLS / float(growth.rhs(DETECTED_CELLS, **p))
    p["Td"] *= doubling_days / doubling_now
    grow = growth.time_to_size(growth.diameter_to_cells(20.0), **p)
    return float(grow - growth.time_to_size(growth.diameter_to_cells(10.0), **p)) / DAYS_PER_YEAR


PREDICTIONS = {
    "silent": Ask(
        question=(
            "One breast cancer cell starts to divide. While the tumour is tiny it doubles every 30 days; "
            "then its growth slows down along Norton's Gompertz curve. How many years pass before it "
            "reaches 1 cm³ (about 10⁹ cells), the size a routine examination can find?"
        ),
        unit="years",
        units={"year": 1.0, "months": 1 / 12, "month": 1 / 12, "days": 1 / DAYS_PER_YEAR},
        actual=years_to_detection,
        rtol=0.2,
        note="The readout under the plot says when the tumour reaches 1 cm³ (10⁹ cells).",
    ),
    "visible": Ask(
        question=(
            "During those silent years nobody can feel or scan the tumour. For how much of that time is it "
            "at least 0.2 mm across, large enough for a pathologist to count it as more than isolated "
            "tumour cells if a piece of it were under the microscope?"
        ),
        options=_SHARE_OPTIONS,
        actual=_share_option,
        note=(
            "Compare where the curve crosses about 4,000 cells (0.2 mm) with where it crosses 10⁹ cells. "
            "Try the exponential law too: the answer depends on the law."
        ),
    ),
}


def _match_speer(ex: Any) -> tuple[bool, str]:
    p = ex.params
    if p["law"] != "gompertz":
        return False, "Switch the growth law back to gompertz: this race is between two Gompertz tumours."
    if p["pause"] > 0:
        return False, (
            "Set the plateau length to 0: Norton's tumour grows without a plateau. "
            "Change how fast it grows instead."
        )
    norton_ninf = growth.PRESETS["norton1988"].values["Ninf"]
    if not (math.isclose(p["N0"], 1.0, rel_tol=0.01) and math.isclose(p["Ninf"], norton_ninf, rel_tol=0.02)):
        return (
            False,
            "Keep one starting cell and Norton's plateau size N∞ (press Reset, then change only Td).",
        )
    t = years_to_detection(ex)
    if t < 7.0:
        return False, f"Found after {t:.1f} years: too early. Make the early growth slower (a longer Td)."
    if t > 7.7:
        return False, f"Found after {t:.1f} years: too late. Make the early growth faster (a shorter Td)."
    return True, f"Found after {t:.1f} years, at the same age as the tumour with Speer's plateau."


CHALLENGES = {
    "rivals": Goal(
        text=(
            "The speer1984_plateau tumour starts fast, rests for three years and is found about 7.3 years "
            "after its first cell. Give Norton's smooth Gompertz tumour (no plateau, one starting cell, "
            "Norton's N∞) an early doubling time Td so that it is found at the same age: between 7.0 and "
            "7.7 years."
        ),
        goal=_match_speer,
        hint=(
            "On a Gompertz curve every step of growth takes time in proportion to Td: "
            "if Td = 30 days gives 4.3 years, what Td gives about 7.3?"
        ),
        explanation=(
            "Near Td = 50 days the smooth tumour is found at the same age and the same size as Speer's. "
            "The size and age at diagnosis cannot tell a fast tumour that rested from a slow one that never "
            "did; that is why Norton's and Speer's models could both fit the same clinical data and still "
            "disagree about how long the silent phase lasts."
        ),
        solution={"law": "gompertz", "N0": 1.0, "Td": 50.0, "Ninf": 3e12, "t_pause": 0.0, "pause": 0.0},
    ),
}
