"""Lesson 07, escape and therapy: predictions on the relapse hazard, the mechanism table, a challenge.

The model's answers come from the explorer's current settings (``EscapeExplorer``: the exact
hazard of ``escape``) or from the comparison of the three dormancy models; none is typed in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..models import escape
from ..widgets import fmt
from . import Ask, Goal

EXPLORER = "EscapeExplorer"
OPENS_WITH = {"preset": "demicheli2004"}
#: Demicheli et al. 2004 results the predictions and checks ask about
KEY_NUMBERS = ("8–10", "28–30", "8-10", "28-30", "18–20", "two peaks", "two-peaked", "bimodal")

#: relapses "of the first peak": those due by this month after surgery
FIRST_PEAK_MONTHS = 18.0
#: the study window of Demicheli et al. 2004: first recurrences within 4 years
WINDOW_MONTHS = 48.0

_WAVE_OPTIONS = (
    "about the same risk every month (flat)",
    "one broad peak, in the second year",
    "two peaks: a sharp one in the first year and a broad one in the third year",
    "a risk that rises slowly over the four years",
)
_IMMUNE_OPTIONS = (
    "chemotherapy",
    "anti-angiogenic therapy",
    "immunosuppression",
    "removing the primary tumour",
    "none of them",
)
_INTERVENTION_OPTION = {
    "chemotherapy": "chemotherapy",
    "anti-angiogenic": "anti-angiogenic therapy",
    "immunosuppression": "immunosuppression",
    "surgery": "removing the primary tumour",
}


def _waves(ex: Any) -> str:
    first, second = (float(x) for x in escape.hazard_peaks(**ex.params))
    if first < 12.0 and second <= WINDOW_MONTHS:
        return _WAVE_OPTIONS[2]
    if first <= WINDOW_MONTHS:
        return _WAVE_OPTIONS[1]
    return _WAVE_OPTIONS[3]


def _immune_release(_ex: Any) -> str:
    from ..models import comparison

    table = comparison.compare()
    row = table.mechanisms.index("immune equilibrium")
    best, best_fold = "none of them", 2.0  # a lesion that at least doubles in a year "grows"
    for j, name in enumerate(table.interventions):
        fold = float(table.fold[row, j])
        if name in _INTERVENTION_OPTION and math.isfinite(fold) and fold > best_fold:
            best, best_fold = _INTERVENTION_OPTION[name], fold
    return best


PREDICTIONS = {
    "waves": Ask(
        question=(
            "Node-positive premenopausal women are treated for breast cancer by mastectomy alone. "
            "How is their risk of a first recurrence (the hazard: recurrences per month among women "
            "still free of one) spread over the first four years after the operation?"
        ),
        options=_WAVE_OPTIONS,
        actual=_waves,
        note=(
            "Read the solid curve of the first plot (the hazard) over the first 48 months: where "
            "does it rise, where does it fall? The shaded bands are the published peak windows."
        ),
    ),
    "immune": Ask(
        question=(
            "A dormant lesion is held by an immune equilibrium: its cells divide, and T cells kill "
            "them as fast. Which intervention makes it grow?"
        ),
        options=_IMMUNE_OPTIONS,
        actual=_immune_release,
        note="Read the row 'immune equilibrium' of the table: above 1 the lesion grew in the year.",
    ),
}


def prevented_first_peak(params: dict[str, Any]) -> float:
    """Share of the relapses due by 18 months that the adjuvant course prevents (exact)."""
    t = np.array([FIRST_PEAK_MONTHS * escape.DAYS_PER_MONTH])
    treated = float(escape.cumulative_relapse(t, **params)[..., 0])
    untreated = float(escape.cumulative_relapse(t, **{**params, "therapy_length": 0.0})[..., 0])
    return 1.0 - treated / untreated if untreated > 0 else math.nan


#: the challenge's course: six months of a cycle-specific drug twice as strong as the presets'
_COURSE = {"therapy_length": 180.0, "specificity": 1.0}
_KILL = 2 * escape.PRESETS["adjuvant_cycle_specific"].values["kill"]
#: prevent at least half of the first-peak relapses, starting as late as possible (within 15 days)
_TARGET, _SLACK_DAYS = 0.50, 15.0


def _course_problem(p: dict[str, Any]) -> str:
    if p["surgery"] != "on":
        return "Switch 'surgery wakes lesions' back on: the challenge is about the surgery-woken wave."
    wrong = [k for k, v in _COURSE.items() if not math.isclose(float(p[k]), v)]
    if wrong or not math.isclose(float(p["kill"]), _KILL, rel_tol=1e-6):
        return (
            f"Set the course first: therapy_length {_COURSE['therapy_length']:.0f} days, kill {_KILL:g} "
            "per day, specificity 1 (a cycle-specific drug). Then move only therapy_start."
        )
    return ""


def _latest_start(ex: Any) -> tuple[bool, str]:
    p = dict(ex.params)
    problem = _course_problem(p)
    if problem:
        return False, problem
    share = prevented_first_peak(p)
    text = (
        f"Starting on day {p['therapy_start']:.0f}, the course prevents {fmt.percent(share)} of the "
        f"relapses due in the first {FIRST_PEAK_MONTHS:.0f} months."
    )
    if share < _TARGET:
        return False, text + " Less than half: too late, start earlier."
    later = min(float(p["therapy_start"]) + _SLACK_DAYS, escape.PARAMS["therapy_start"].high)
    if later > p["therapy_start"] and prevented_first_peak({**p, "therapy_start": later}) >= _TARGET:
        return False, text + " You could still start later and prevent half: move the start later."
    return True, text + " Done: this is about the latest start that still prevents half of the first peak."


def _latest_start_day() -> float:
    """The last whole day on which the course can start and still prevent half (exact hazard)."""
    base = {**escape.PRESETS["demicheli2004"].values, **_COURSE, "kill": _KILL}
    days = np.arange(0.0, escape.PARAMS["therapy_start"].high + 1.0)
    t = np.array([FIRST_PEAK_MONTHS * escape.DAYS_PER_MONTH])
    treated = escape.cumulative_relapse(t, **{**base, "therapy_start": days})[..., 0]
    untreated = float(escape.cumulative_relapse(t, **{**base, "therapy_length": 0.0})[..., 0])
    ok = np.nonzero(1.0 - treated / untreated >= _TARGET)[0]
    return float(days[ok[-1]])


CHALLENGES = {
    "latest_start": Goal(
        text=(
            "Give six months (180 days) of a cycle-specific drug with kill = "
            f"{_KILL:g} per day (twice the presets' dose). How long after surgery can the course "
            "start and still prevent at least half of the relapses due in the first 18 months (the "
            "first peak)? Find the latest such start day, to within two weeks."
        ),
        goal=_latest_start,
        hint=(
            "Set therapy_length, kill and specificity first, then move therapy_start in steps of a "
            "few weeks. The woken micrometastases grow for about nine months before they are found."
        ),
        explanation=(
            "A lesion woken by surgery can only be killed while it grows and before it is found. The "
            "micrometastases of the first peak need about ten doublings, some nine months: a course "
            "that starts in the first weeks meets them for its whole length, one that starts months "
            "later meets the fast-growing ones only briefly and misses those already found. The "
            "window for the first peak closes within months, not years."
        ),
        solution={"therapy_start": _latest_start_day(), **_COURSE, "kill": _KILL},
    ),
}


def peaks_by_doubling_time(Td: Any = (31.5, 50.0, 70.0, 90.0), printer: Any = print) -> np.ndarray:
    """Print the demicheli2004 hazard's two peaks (months) for slower growth; return their ratios.

    Shows that a slower doubling time stretches both peaks alike, so it cannot give Demicheli
    et al. 2008's peaks after conservative surgery.
    """
    td = np.asarray(Td, dtype=float)
    first, second = escape.hazard_peaks(**{**escape.PRESETS["demicheli2004"].values, "Td": td})
    for d, a, b in zip(td, first, second):
        printer(f"doubling time {d:5.1f} days: peaks at {a:5.1f} and {b:5.1f} months, ratio {b / a:.2f}")
    early, late = escape.DEMICHELI_2008_PEAKS
    printer(f"Demicheli et al. 2008: about {early:.0f} and {late:.0f} months, ratio {late / early:.2f}")
    return np.asarray(second) / np.asarray(first)
