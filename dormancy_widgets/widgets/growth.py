"""``GrowthExplorer``: a tumour growing from one cell, and how long it stays invisible."""

from __future__ import annotations

import math

import bqplot as bq
import numpy as np

from ..models import growth
from . import fmt, palette
from .base import (
    Explorer,
    TimeSpan,
    band,
    ghost_line,
    label,
    line,
    make_figure,
    set_xy,
    view_slider,
    window_xy,
)

__all__ = ["GrowthExplorer"]

_DAYS_PER_YEAR = 365.25
_Y_MIN, _Y_MAX = 1.0, 1e13
_LIMIT_STYLE = {
    "microscopic": (palette.BLUISH_GREEN, "dotted"),
    "clinical": (palette.VERMILLION, "dashed"),
    "lethal": (palette.BLACK, "dash_dotted"),
}


def _years(days: float) -> str:
    if days < _DAYS_PER_YEAR:
        return f"{days / 30.44:.1f} months"
    return f"{days / _DAYS_PER_YEAR:.1f} years"


class GrowthExplorer(Explorer):
    """N(t) on a log axis with the microscopic, clinical and lethal sizes drawn.

    Controls: the growth law, starting cells, first doubling time, plateau size and a
    dormant plateau (start, length); a view control sets how many years are shown.
    """

    model = growth
    title = "Growth below the detection limit"
    intro = (
        "A tumour starts from one cell. Watch how long it stays too small to find, and what "
        "a dormant plateau does to that time."
    )
    slug = "growth"
    span = TimeSpan("years", unit=_DAYS_PER_YEAR, points=481)

    def build(self) -> list[bq.Figure]:
        self.view_controls["years"] = view_slider(
            "years shown (years)", 12.0, 1.0, 30.0, 0.5, "Length of the time axis", continuous=True
        )
        fig, xs, ys = make_figure(
            "Tumour size over time",
            "time since the first cell (years)",
            "cells (log scale)",
            y_scale=bq.LogScale(min=_Y_MIN, max=_Y_MAX),
            x_scale=bq.LinearScale(min=0.0),
            width="760px",
            height="440px",
            y_format=".0e",
        )
        self._xs = xs
        self.limit_lines = {}
        labels_x, labels_y, labels_text = [], [], []
        for lim in growth.DETECTION_LIMITS:
            color, dash = _LIMIT_STYLE[lim.key]
            self.limit_lines[lim.key] = line(xs, ys, color=color, dash=dash, width=2)
            labels_y.append(lim.cells)  # on the line, lifted clear of it by y_offset
            labels_text.append(f"{lim.label}: {lim.key}")
            labels_x.append(0.2)
        self.limit_labels = label(
            xs,
            ys,
            x=labels_x,
            y=labels_y,
            text=labels_text,
            color=[_LIMIT_STYLE[lim.key][0] for lim in growth.DETECTION_LIMITS],
            size=15,
            y_offset=-13,
        )
        self.plateau = band(xs, ys, color=palette.SKY_BLUE, opacity=0.25)
        self.detect_marker = line(xs, ys, color=palette.VERMILLION, dash="dotted", width=2)
        self.ghost = ghost_line(xs, ys)
        self.curve = line(xs, ys, color=palette.BLUE, width=4)
        fig.marks = [
            self.plateau,
            *self.limit_lines.values(),
            self.limit_labels,
            self.detect_marker,
            self.ghost,
            self.curve,
        ]
        return [fig]

    def ghost_pairs(self) -> list[tuple[bq.Mark, bq.Mark]]:
        return [(self.curve, self.ghost)]

    def draw(self, result: growth.GrowthResult) -> None:
        years = result.t / _DAYS_PER_YEAR
        span = float(years[-1])
        s = result.summary()
        p = result.params
        set_xy(self.curve, years, np.clip(result.N, _Y_MIN, _Y_MAX))
        for key, mark in self.limit_lines.items():
            cells = {lim.key: lim.cells for lim in growth.DETECTION_LIMITS}[key]
            set_xy(mark, np.array([0.0, span]), np.array([cells, cells]))
        self.limit_labels.x = [0.02 * span] * 3
        t_clin = s["days_to_clinical"]
        with self.detect_marker.hold_sync():
            if math.isfinite(t_clin) and t_clin <= result.t[-1]:
                x = t_clin / _DAYS_PER_YEAR
                self.detect_marker.x = np.array([x, x])
                self.detect_marker.y = np.array([_Y_MIN, _Y_MAX])
            else:
                self.detect_marker.x = np.zeros(0)
                self.detect_marker.y = np.zeros(0)
        a = float(p["t_pause"]) / _DAYS_PER_YEAR
        b = min(a + float(p["pause"]) / _DAYS_PER_YEAR, span)
        if float(p["pause"]) > 0 and a < span:
            set_xy(self.plateau, *window_xy(a, b, _Y_MIN, _Y_MAX))
        else:
            set_xy(self.plateau)
        self._xs.max = span

    def describe(self, result: growth.GrowthResult) -> str:
        s = result.summary()
        p = result.params
        law = str(p["law"])
        start = (
            f"{law.capitalize()} growth from {float(p['N0']):.3g} cell{'s' if float(p['N0']) != 1 else ''}"
        )
        t_clin = s["days_to_clinical"]
        if not math.isfinite(t_clin):
            return (
                f"{start} levels off at {float(p['Ninf']):.2g} cells and never reaches 1 cm³ "
                f"(10⁹ cells): it stays undetectable for life."
            )
        text = (
            f"{start} reaches 1 cm³ (10⁹ cells) after {_years(t_clin)}; that is "
            f"{s['doublings_to_clinical']:.1f} doublings. It spends "
            f"{fmt.percent(s['share_below_microscopic'])} of that time below 1 mm³, too small for any scan"
        )
        pause = float(p["pause"])
        if pause > 0 and float(p["t_pause"]) < t_clin:
            text += f", including a dormant plateau of {_years(pause)}"
        text += "."
        t_leth = s["days_to_lethal"]
        if math.isfinite(t_leth):
            text += f" It would reach 10¹² cells (lethal) after {_years(t_leth)}."
        if t_clin > result.t[-1]:
            text += " Detection lies beyond the time shown: lengthen the time axis to see it."
        return text
