"""``NicheExplorer``: where shed cells go (flow), where they grow (soil), and what wakes them."""

from __future__ import annotations

import html
import math

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..models import niche
from . import palette
from .base import (
    Explorer,
    TimeSpan,
    band,
    dots,
    ghost_line,
    label,
    make_figure,
    set_xy,
    view_slider,
    window_xy,
)

__all__ = ["NicheExplorer", "flow_or_soil_words"]

#: the funnel stages drawn side by side for every organ: (label, colour)
STAGES = (
    ("delivered", palette.SKY_BLUE),
    ("arrested", palette.BLUE),
    ("dormant now", palette.ORANGE),
    ("growing now", palette.VERMILLION),
)
#: floor of the log count axis: a bar at this height means none
_FLOOR = 0.5
#: output points of a run (about every three days over the default 90): enough for the
#: timeline, few enough that a slider move stays quick
_POINTS = 31
#: organ colours and dashes on the timeline (colour is never the only cue)
_ORGAN_COLOURS = [
    palette.BLUE,
    palette.VERMILLION,
    palette.BLUISH_GREEN,
    palette.ORANGE,
    palette.REDDISH_PURPLE,
]
_ORGAN_DASHES = ["solid", "dashed", "dotted", "dash_dotted", "solid"]


def flow_or_soil_words(flow_share: float) -> str:
    """The readout's answer to "flow or soil?" for a flow share from 0 to 1 (nan: no difference)."""
    if not math.isfinite(flow_share):
        return "Neither: every organ gets the same number of lesions."
    pct = round(100 * flow_share)
    if flow_share >= 0.67:
        verdict = "Flow decides"
    elif flow_share <= 0.33:
        verdict = "Soil decides"
    else:
        verdict = "Flow and soil both matter"
    return (
        f"{verdict}: flow accounts for about {pct}% of the organ-to-organ differences in lesions "
        f"(log scale), the soil for about {100 - pct}%."
    )


class NicheExplorer(Explorer):
    """Per-organ funnels (delivered, arrested, dormant, growing) and lesions over time.

    Controls: where the primary drains (route), the arrest chance, one soil factor per organ,
    immune pruning, the reactivation trigger, the shared cell-fate rates of lesson 05. The
    readout says whether flow or soil explains the organ pattern of the current settings.
    """

    model = niche
    title = "Seed, soil and niche: which organs get the cells, and which let them grow"
    intro = (
        "Cells leave a primary tumour and meet capillary beds in an order set by the blood flow. "
        "Each organ's soil decides whether an arrested cell grows, sleeps or dies. Is the pattern "
        "of lesions set by the flow or by the soil?"
    )
    slug = "niche"
    slow_params = frozenset({"n_cells"})
    span = TimeSpan("days", points=_POINTS)

    def build(self) -> list[bq.Figure]:
        self.view_controls["days"] = view_slider(
            "days followed (days)",
            90,
            20,
            365,
            5,
            "How long the shed cells are followed (a trigger after this day is not reached)",
        )
        organs = list(niche.ORGANS)
        slots = np.arange(len(organs), dtype=float)
        xs = bq.OrdinalScale(domain=list(range(len(organs))))
        self._count_scale = bq.LogScale(min=_FLOOR, max=1e5)
        fig, _, _ = make_figure(
            "Cells and lesions in each organ",
            "organ",
            "cells or lesions (log scale)",
            x_scale=xs,
            y_scale=self._count_scale,
            width="600px",
            height="430px",
            y_format="~s",
        )
        self._count_axis = fig.axes[1]
        fig.axes[0].tick_values = list(range(len(organs)))
        fig.axes[0].tick_labels = dict(enumerate(organs))
        self.bars = bq.Bars(
            x=slots,
            y=np.full((len(STAGES), len(organs)), _FLOOR),
            base=_FLOOR,
            type="grouped",
            scales={"x": xs, "y": self._count_scale},
            colors=[c for _, c in STAGES],
            labels=[s for s, _ in STAGES],
            display_legend=True,
            padding=0.15,
        )
        self.kept = dots(xs, self._count_scale, color=palette.GREY, size=60)
        fig.marks = [self.bars, self.kept]
        fig.legend_location = "top-right"

        fig2, self._days, self._lesion_scale = make_figure(
            "Living lesions in each organ over time",
            "days after shedding",
            "living lesions",
            x_scale=bq.LinearScale(min=0.0, max=90.0),
            y_scale=bq.LinearScale(min=0.0, max=10.0),
            width="600px",
            height="430px",
        )
        self.band = band(self._days, self._lesion_scale, color=palette.YELLOW, opacity=0.45)
        self.lines = bq.Lines(
            x=np.zeros(0),
            y=np.zeros((len(organs), 0)),
            scales={"x": self._days, "y": self._lesion_scale},
            colors=_ORGAN_COLOURS,
            line_style="solid",
            stroke_width=3,
        )
        self.ghost = ghost_line(self._days, self._lesion_scale)
        unit = {"x": bq.LinearScale(min=0.0, max=1.0), "y": bq.LinearScale(min=0.0, max=1.0)}
        self.band_label = label(
            unit["x"], unit["y"], x=[0.02], y=[0.95], text=[""], color=palette.BLACK, size=14
        )
        self.end_labels = label(
            self._days,
            self._lesion_scale,
            x=np.zeros(len(organs)),
            y=np.zeros(len(organs)),
            text=organs,
            color=_ORGAN_COLOURS,
            size=14,
            align="end",
            y_offset=-6,
        )
        # no legend: every line is named at its end, and the band is named in words
        fig2.marks = [self.band, self.ghost, self.lines, self.end_labels, self.band_label]
        return [fig, fig2]

    def extra_layout(self) -> list[widgets.Widget]:
        return [widgets.HBox([self.view_controls["days"], self.buttons["rerun"]])]

    def ghost_pairs(self) -> list[tuple[bq.Mark, bq.Mark]]:
        return [(self.lines, self.ghost)]

    def keep_run(self) -> None:
        super().keep_run()
        # the kept funnel: one grey dot on top of each organ's growing-lesion bar
        set_xy(
            self.kept,
            np.arange(len(niche.ORGANS), dtype=float),
            np.maximum(np.asarray(self.bars.y, dtype=float)[-1], _FLOOR),
        )

    def clear_kept(self) -> None:
        super().clear_kept()
        set_xy(self.kept)

    def draw(self, result: niche.NicheResult) -> None:
        values = np.stack(
            [result.delivered, result.arrived, result.dormant[:, -1], result.growing[:, -1]]
        ).astype(float)
        top = max(float(result.params["n_cells"]), 10.0)
        # two decades of room above the shed cells for the legend
        decades = math.ceil(math.log10(top) + 1.7)
        self._count_scale.max = 10.0**decades
        self._count_axis.tick_values = 10.0 ** np.arange(0, decades + 1)
        with self.bars.hold_sync():
            self.bars.y = np.maximum(values, _FLOOR)

        day = float(result.t[-1])
        growing = result.growing.astype(float)
        self._days.max = day
        self._lesion_scale.max = max(5.0, float(growing.max()) * 1.3)  # room for the band label
        set_xy(self.lines, result.t, growing)
        set_xy(self.end_labels, np.full(growing.shape[0], day), growing[:, -1])
        on, off = result.trigger_window()
        shown = off > on and on < day
        if shown:
            set_xy(self.band, *window_xy(float(on), float(min(off, day)), 0.0, float(self._lesion_scale.max)))
        else:
            set_xy(self.band, np.zeros(2), np.zeros(2))  # hidden: a degenerate polygon at the origin
        fold = float(result.params["fold_trig"])
        self.band_label.text = [
            f"yellow band: trigger, wake-up ×{fold:g} from day {float(on):g} to {float(off):g}"
            if shown
            else ("no trigger (fold_trig = 1)" if fold <= 1 else f"trigger on day {float(on):g}: not reached")
        ]

    def describe(self, result: niche.NicheResult) -> str:
        s = result.summary()
        organs = niche.ORGANS
        n = int(s["n_arrived"])
        day = f"{s['day']:g}"
        arrived = ", ".join(f"{o} {int(s[f'arrived_{o}']):,}" for o in organs)
        growing = ", ".join(f"{o} {int(s[f'growing_{o}']):,}" for o in organs)
        dormant = ", ".join(f"{o} {int(s[f'dormant_{o}']):,}" for o in organs)
        return (
            f"<b>Flow or soil?</b> {html.escape(flow_or_soil_words(s['flow_share']))}<br>"
            f"Of {int(result.params['n_cells']):,} shed cells, {n:,} stopped in an organ ({arrived}). "
            f"Living lesions on day {day}: {growing}. Dormant single cells: {dormant}."
        )
