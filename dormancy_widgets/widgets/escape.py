"""``EscapeExplorer``: relapse after surgery, when surgery wakes dormant lesions, and adjuvant therapy."""

from __future__ import annotations

import math
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..models import escape
from . import palette
from .base import Explorer, TimeSpan, band, ghost_line, label, line, make_figure, set_xy, window_xy
from .fmt import percent
from .table import comparison_table  # re-exported: its first home was this module

__all__ = ["EscapeExplorer", "comparison_table"]

_MONTHS_SHOWN = 120.0
_HAZARD_TOP = 0.05  # per year: the hazard axis never shrinks below this


def _curves(xs: bq.Scale, ys: bq.Scale) -> tuple[bq.Lines, ...]:
    """The four curves both plots show: kept run, no therapy, simulated cohort, exact."""
    return (
        ghost_line(xs, ys),
        line(xs, ys, color=palette.BLACK, dash="dotted", width=2, label="no therapy"),
        line(xs, ys, color=palette.VERMILLION, dash="dashed", width=2, label="simulated cohort"),
        line(xs, ys, color=palette.BLUE, width=4, label="exact"),
    )


def _months_figure(
    title: str, y_label: str, y_max: float, width: str, y_format: str = ""
) -> tuple[bq.Figure, bq.Scale, bq.Scale]:
    """One of the two plots over the months after surgery (both on the same time axis)."""
    return make_figure(
        title,
        "months after surgery",
        y_label,
        x_scale=bq.LinearScale(min=0.0, max=_MONTHS_SHOWN),
        y_scale=bq.LinearScale(min=0.0, max=y_max),
        width=width,
        height="420px",
        y_format=y_format,
    )


class EscapeExplorer(Explorer):
    """Relapse hazard and cumulative relapse over the months after surgery.

    The exact curves of the model (solid), the same without adjuvant therapy (dotted), and a
    simulated cohort of ``n_patients`` (dashed), with the Demicheli et al. 2004 peak windows
    (8-10 and 28-30 months) shaded and the therapy period marked.
    """

    model = escape
    title = "Escape from dormancy after surgery"
    intro = (
        "A cohort of patients with hidden lesions after removal of the primary tumour. Does the "
        "operation wake them? When do relapses come, and what does adjuvant therapy change?"
    )
    slug = "escape"
    slow_params = frozenset({"therapy_start", "therapy_length", "kill", "specificity", "n_patients"})
    span = TimeSpan(_MONTHS_SHOWN, unit=escape.DAYS_PER_MONTH, points=241)

    def build(self) -> list[bq.Figure]:
        self.view_controls["cohort"] = widgets.Checkbox(
            value=True,
            description="show the simulated cohort (dashed)",
            tooltip="The noisy curves a study of n_patients would publish",
            indent=False,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto"),
        )
        fig_h, xs, ys = _months_figure(
            "Relapse hazard after surgery",
            "relapses per year among patients still free",
            0.25,
            "620px",
            ".2f",
        )
        self._ys_h = ys
        self.windows = [band(xs, ys, color=palette.ORANGE, opacity=0.22) for _ in escape.DEMICHELI_WINDOWS]
        self.therapy_band = band(xs, ys, color=palette.SKY_BLUE, opacity=0.2)
        self.window_label = label(
            xs, ys, x=[0.0], y=[0.0], text=["Demicheli 2004 peak windows"], color=palette.BLACK, size=14
        )
        self.therapy_label = label(xs, ys, x=[0.0], y=[0.0], text=[""], color=palette.BLUE, size=14)
        self.ghost_h, self.untreated_h, self.cohort_h, self.exact_h = _curves(xs, ys)
        fig_h.marks = [
            *self.windows,
            self.therapy_band,
            self.window_label,
            self.therapy_label,
            self.ghost_h,
            self.untreated_h,
            self.cohort_h,
            self.exact_h,
        ]

        fig_r, xs2, ys2 = _months_figure("Patients relapsed", "relapsed (%)", 100.0, "520px")
        self.five_years = line(xs2, ys2, color=palette.GREY, dash="dash_dotted", width=2)
        self.five_label = label(xs2, ys2, x=[61.0], y=[94.0], text=["5 years"], color=palette.BLACK, size=14)
        self.ghost_r, self.untreated_r, self.cohort_r, self.exact_r = _curves(xs2, ys2)
        fig_r.marks = [
            self.five_years,
            self.five_label,
            self.ghost_r,
            self.untreated_r,
            self.cohort_r,
            self.exact_r,
        ]
        fig_h.legend_location = "top-right"
        fig_r.legend_location = "top-left"
        return [fig_h, fig_r]

    def run(self, params: dict[str, Any]) -> escape.EscapeResult:
        """The model for ``params``; the lesion sliders report on release while a therapy is given.

        Without therapy a run costs about 5 ms and every lesion slider redraws as it is
        dragged. A therapy window makes each run several times heavier (the exposure is
        integrated piece by piece over the window: 35-60 ms of processor time, over the
        30 ms a drag can wait), so then those sliders, like the therapy's own, redraw when
        let go; their "on release" tag says so on screen.
        """
        treated = float(params["therapy_length"]) > 0 and float(params["kill"]) > 0
        for name, p in self.model.PARAMS.items():
            if name not in self.slow_params and not p.categorical:
                self.controls[name].continuous_update = not treated
        return super().run(params)

    def ghost_pairs(self) -> list[tuple[bq.Mark, bq.Mark]]:
        return [(self.exact_h, self.ghost_h), (self.exact_r, self.ghost_r)]

    def draw(self, result: escape.EscapeResult) -> None:
        months = result.months
        p = result.params
        treated = float(p["therapy_length"]) > 0 and float(p["kill"]) > 0
        show_cohort = bool(self.view_controls["cohort"].value)
        top = max(_HAZARD_TOP, 1.15 * float(np.max(result.h0)))
        if show_cohort:
            top = max(top, 1.05 * float(np.max(result.h_cohort)))
        self._ys_h.max = top
        empty = np.zeros(0)
        set_xy(self.exact_h, months, result.h)
        set_xy(self.exact_r, months, 100 * result.R)
        for mark, x, y in (
            (self.untreated_h, months, result.h0),
            (self.untreated_r, months, 100 * result.R0),
        ):
            set_xy(mark, *((x, y) if treated else (empty, empty)))
        for mark, x, y in (
            (self.cohort_h, months, np.minimum(result.h_cohort, top)),
            (self.cohort_r, months, 100 * result.R_cohort),
        ):
            set_xy(mark, *((x, y) if show_cohort else (empty, empty)))
        for mark, (lo, hi) in zip(self.windows, escape.DEMICHELI_WINDOWS):
            set_xy(mark, *window_xy(lo, hi, 0.0, top))
        set_xy(self.window_label, [escape.DEMICHELI_WINDOWS[1][1] + 1.5], [0.78 * top])
        a = float(p["therapy_start"]) / escape.DAYS_PER_MONTH
        b = min(a + float(p["therapy_length"]) / escape.DAYS_PER_MONTH, _MONTHS_SHOWN)
        if treated and a < _MONTHS_SHOWN:
            set_xy(self.therapy_band, *window_xy(a, b, 0.0, top))
        else:
            set_xy(self.therapy_band)
        with self.therapy_label.hold_sync():
            self.therapy_label.x = [a]
            self.therapy_label.y = [0.94 * top]
            self.therapy_label.text = ["therapy"] if treated and a < _MONTHS_SHOWN else [""]
        set_xy(self.five_years, np.array([60.0, 60.0]), np.array([0.0, 100.0]))

    def describe(self, result: escape.EscapeResult) -> str:
        s = result.summary()
        p = result.params
        first, second = s["peak1_months"], s["peak2_months"]
        if math.isfinite(second):
            text = f"Relapse hazard peaks at {first:.1f} and {second:.1f} months"
        elif math.isfinite(first):
            text = f"Relapse hazard has one peak, at {first:.1f} months"
        else:
            text = "Relapse hazard has no peak in 15 years"
        text += " (Demicheli 2004 after mastectomy: 8–10 and 28–30 months). "
        n = int(p["n_patients"])
        five = int(np.searchsorted(result.t, 5 * escape.DAYS_PER_YEAR))
        cohort = ""
        if five < result.t.size:
            cohort = f" (simulated cohort of {n:,} patients: {percent(float(result.R_cohort[five]))})"
        text += f"{percent(s['relapse_5y'])} of patients relapse within 5 years{cohort}."
        if float(p["therapy_length"]) > 0 and float(p["kill"]) > 0:
            a = float(p["therapy_start"]) / escape.DAYS_PER_MONTH
            b = a + float(p["therapy_length"]) / escape.DAYS_PER_MONTH
            share = s["averted_share_early"]
            where = ""
            if math.isfinite(share):
                if share >= 0.6:
                    lead = "mostly in the early peak ("
                elif share <= 0.4:
                    lead = "mostly after the early peak (only "
                else:
                    lead = "in the early peak and later alike ("
                where = (
                    f", {lead}{percent(share)} of the relapses it prevents were due in the first 18 months)"
                )
            text += (
                f" Adjuvant therapy from month {a:.0f} to {b:.0f} cut 5-year relapse from "
                f"{percent(s['relapse_5y_untreated'])} to {percent(s['relapse_5y'])}{where}."
            )
        if str(p["surgery"]) == "off":
            text += " Surgery wakes no lesion here: every relapse comes from spontaneous escape."
        return text
