"""``CascadeExplorer``: the funnel from injected cells to metastases, and the lesions that survive."""

from __future__ import annotations

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..models import cascade
from . import palette
from .base import Explorer, TimeSpan, dots, label, line, make_figure, set_xy, view_slider
from .fmt import percent

__all__ = ["CascadeExplorer", "funnel_values", "percent"]

#: one cell in a million: the floor of the log axis (the largest run has a million cells)
_Y_MIN = 1e-6
#: top of the funnel axis: a decade and a half of room above 100% for labels and legend
_Y_TOP = 40.0
#: lesion-size axis: one cell to the lethal-burden cap of the birth-death sampler
_SIZE_MAX = float(cascade.solvers.BD_CAP)
#: how many surviving lesions are drawn, spread evenly over their size ranking
_TRACKS = 30
_EARLY = 3.0

#: funnel stages: (label under the bar, key in funnel_values, Luzzi 1998 value or None)
STAGES = (
    ("injected", "injected", None),
    ("extravasated", "extravasated", cascade.LUZZI1998["extravasated_day3"]),
    (
        "micromets (≥ 4 cells)",
        "present",
        cascade.LUZZI1998["extravasated_day3"] * cascade.LUZZI1998["micro_per_extravasated_day3"],
    ),
    ("solitary cells", "solitary", cascade.LUZZI1998["solitary_day13"]),
    ("micrometastases", "micro", None),
    ("macrometastases", "macro", cascade.LUZZI1998["macro_day13"]),
)


#: Luzzi's value at each stage (the axis floor where none was published)
_PUBLISHED = np.array([_Y_MIN if s[2] is None else s[2] for s in STAGES])


def funnel_values(result: cascade.CascadeResult) -> dict[str, float]:
    """Fractions of the injected cells at each funnel stage, as Luzzi et al. 1998 counted them:
    extravasated and micrometastases present (>= 4 cells) on day 3, the rest at the last time of
    the run. ``started`` (lesions ever founded by day 3) is kept for readouts, not drawn."""
    n = float(result.n_cells)
    i3 = result.index_of(_EARLY) if result.t[-1] >= _EARLY else len(result.t) - 1
    return {
        "injected": 1.0,
        "extravasated": float(result.extravasated[i3]) / n,
        "present": float(result.present[i3]) / n,
        "started": float(result.started[i3]) / n,
        "solitary": float(result.dormant[-1] + result.settling[-1]) / n,
        "dormant": float(result.dormant[-1]) / n,
        "micro": float(result.micro[-1]) / n,
        "macro": float(result.macro[-1]) / n,
    }


class CascadeExplorer(Explorer):
    """The metastatic funnel (log scale, Luzzi 1998 markers) and the surviving lesions' growth.

    Controls: every rate of the cascade, the number of injected cells and the macroscopic
    size; view controls set how many days are followed, and "Run again" draws a new sample
    with the same settings (a new seed).
    """

    model = cascade
    title = "Metastatic inefficiency: from thousands of cells to a few metastases"
    intro = (
        "Tumour cells arrive in the liver. Each one may die, sit alone as a dormant cell, or "
        "start a micrometastasis, and most micrometastases die out. Move a rate and watch the funnel."
    )
    slug = "cascade"
    slow_params = frozenset({"n_cells"})
    #: half days, or whole days for runs over a month (day 3 is an output time either way)
    span = TimeSpan("days", per_unit=lambda days: 2 if days <= 30 else 1)

    def build(self) -> list[bq.Figure]:
        self.view_controls["days"] = view_slider(
            "days followed (days)",
            13,
            4,
            120,
            1,
            "How long the cells are followed after injection (Luzzi et al. 1998: 13 days)",
        )

        n = len(STAGES)
        xs = bq.OrdinalScale(domain=list(range(n)))
        ys = bq.LogScale(min=_Y_MIN, max=_Y_TOP)
        fig, _, _ = make_figure(
            "The funnel: share of the injected cells",
            "stage",
            "% of injected cells (log scale)",
            x_scale=xs,
            y_scale=ys,
            width="620px",
            height="470px",
            y_format="~%",
        )
        fig.fig_margin = {"top": 50, "bottom": 105, "left": 90, "right": 30}
        self._funnel_axis = fig.axes[0]
        self._funnel_axis.tick_values = list(range(n))
        self._funnel_axis.tick_labels = {i: s[0] for i, s in enumerate(STAGES)}
        self._funnel_axis.tick_rotate = -25
        self._funnel_axis.label_offset = "4.6em"
        fig.axes[1].tick_values = 10.0 ** np.arange(-6, 1)
        self.bars = bq.Bars(
            x=np.arange(n, dtype=float),
            y=np.full(n, _Y_MIN),
            base=_Y_MIN,
            scales={"x": xs, "y": ys},
            colors=[palette.SKY_BLUE],
            stroke=palette.BLUE,
            padding=0.25,
        )
        pub = [(i, s[2]) for i, s in enumerate(STAGES) if s[2] is not None]
        self.published = dots(
            xs,
            ys,
            x=np.array([i for i, _ in pub], dtype=float),
            y=np.array([v for _, v in pub]),
            color=palette.BLACK,
            marker="diamond",
            size=140,
            stroke=palette.YELLOW,
        )
        self.kept = dots(xs, ys, color=palette.GREY, size=90)
        self.bar_labels = label(
            xs,
            ys,
            x=np.arange(n, dtype=float),
            y=np.full(n, _Y_MIN),
            text=[""] * n,
            color=palette.BLACK,
            size=14,
            align="middle",
            y_offset=-8,
        )
        unit = {"x": bq.LinearScale(min=0.0, max=1.0), "y": bq.LinearScale(min=0.0, max=1.0)}
        self.funnel_key = label(
            unit["x"],
            unit["y"],
            x=[0.5, 0.5, 0.5],
            y=[0.97, 0.92, 0.87],
            text=["▮ bars: this run of the model", "◆ Luzzi et al. 1998", "● kept run"],
            color=[palette.BLUE, palette.BLACK, palette.GREY],
            size=14,
        )
        fig.marks = [self.bars, self.bar_labels, self.kept, self.published, self.funnel_key]

        fig2, self._days_scale, self._size_scale = make_figure(
            "Surviving lesions: cells over time",
            "days after injection",
            "cells in the lesion (log)",
            x_scale=bq.LinearScale(min=0.0, max=13.0),
            y_scale=bq.LogScale(min=1.0, max=1e5),
            width="620px",
            height="470px",
            y_format=".0e",
        )
        fig2.fig_margin = {"top": 50, "bottom": 105, "left": 90, "right": 30}
        self.micro_lines = line(self._days_scale, self._size_scale, color=palette.BLUE, width=1.5)
        self.macro_lines = line(
            self._days_scale, self._size_scale, color=palette.VERMILLION, dash="dashed", width=2.5
        )
        self.threshold = line(self._days_scale, self._size_scale, color=palette.BLACK, dash="dotted", width=2)
        # a key in figure coordinates (0-1), because the bqplot legend lists every line of a
        # multi-line mark separately
        self.key = label(
            unit["x"],
            unit["y"],
            x=[0.02, 0.02, 0.02],
            y=[0.95, 0.89, 0.83],
            text=[
                "── micrometastasis (below N_mac)",
                "‒ ‒ macroscopic lesion",
                "····· N_mac, macroscopic size",
            ],
            color=[palette.BLUE, palette.VERMILLION, palette.BLACK],
            size=14,
        )
        fig2.marks = [self.threshold, self.micro_lines, self.macro_lines, self.key]
        self._size_axis = fig2.axes[1]
        return [fig, fig2]

    def extra_layout(self) -> list[widgets.Widget]:
        return [widgets.HBox([self.view_controls["days"], self.buttons["rerun"]])]

    def ghost_pairs(self) -> list[tuple[bq.Mark, bq.Mark]]:
        return [(self.bars, self.kept)]

    def draw(self, result: cascade.CascadeResult) -> None:
        f = funnel_values(result)
        #: the fractions the bars show (the bars themselves stop at the axis floor, 1e-6)
        self.funnel = f
        values = np.array([f[s[1]] for s in STAGES])
        shown = np.clip(values, _Y_MIN, 1.0)
        n = float(result.n_cells)
        texts = [f"{percent(v)} ({v * n:,.0f})" if k else f"{n:,.0f}" for k, v in enumerate(values)]
        with self.bars.hold_sync():
            self.bars.y = shown
        with self.bar_labels.hold_sync():
            # above the bar and above Luzzi's marker, whichever is higher
            self.bar_labels.y = np.maximum(shown, _PUBLISHED) * 2.2
            self.bar_labels.text = texts
        day = float(result.t[-1])
        self._funnel_axis.label = f"stage (extravasated and micromets: day {_EARLY:g}; the rest: day {day:g})"

        sizes = result.lesion_size
        order = np.argsort(sizes[:, -1], kind="stable")
        pick = order[np.unique(np.linspace(0, order.size - 1, min(_TRACKS, order.size)).round().astype(int))]
        pick = pick if order.size else order
        x = np.maximum(result.t[None, :], result.lesion_start[pick, None])
        y = np.maximum(sizes[pick], 1).astype(float)
        n_mac = float(result.params["N_mac"])
        big = sizes[pick, -1] >= n_mac
        for mark, rows in ((self.micro_lines, ~big), (self.macro_lines, big)):
            with mark.hold_sync():
                if rows.any():
                    mark.x, mark.y = x[rows], y[rows]
                else:
                    mark.x, mark.y = np.zeros(0), np.zeros(0)
        set_xy(self.threshold, np.array([0.0, day]), np.array([n_mac, n_mac]))
        top = max(float(result.largest[-1]), n_mac, 10.0)
        decades = int(min(np.ceil(np.log10(top) + 0.6), np.log10(_SIZE_MAX)))
        self._size_scale.max = 10.0**decades
        self._size_axis.tick_values = 10.0 ** np.arange(0, decades + 1, 1 if decades <= 8 else 2)
        self._days_scale.max = day

    def describe(self, result: cascade.CascadeResult) -> str:
        s = result.summary()
        n = int(s["n_cells"])
        day = f"{s['day']:g}"
        macro = int(s["n_macro"])
        text = (
            f"Of {n:,} injected cells, {percent(s['extravasated'])} extravasated, "
            f"{percent(s['dormant'])} remain as dormant single cells, {percent(s['macrometastases'])} "
            f"({macro:,} cell{'s' if macro != 1 else ''}) formed macroscopic metastases by day {day}."
        )
        started, micro = int(s["n_started"]), int(s["n_micro"])
        if started:
            text += (
                f" {started:,} cell{'s' if started != 1 else ''} founded a lesion (any size); "
                f"{percent(s['share_lesions_lost'])} of those lesions have died out and "
                f"{micro:,} {'is' if micro == 1 else 'are'} still microscopic."
            )
        else:
            text += " No cell founded a lesion."
        text += (
            " Luzzi et al. 1998 (mouse liver) found 80% extravasated, 1 in 40 of those with a "
            "micrometastasis of 4 or more cells on day 3, and on day 13 36% solitary cells (most "
            "dormant); 0.8 × 1/40 × 1/100 gives 0.02% macroscopic."
        )
        return text
