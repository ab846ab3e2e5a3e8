"""``CellularDormancyExplorer``: cells entering and leaving G0, and why G0 cells survive chemotherapy."""

from __future__ import annotations

import math

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..models import cellcycle
from . import fmt, palette
from .base import (
    Explorer,
    ScaleSwitch,
    TimeSpan,
    band,
    between_xy,
    dots,
    ghost_line,
    label,
    line,
    make_figure,
    set_xy,
    view_slider,
    window_xy,
)
from .fmt import percent

__all__ = ["CellularDormancyExplorer", "cells", "percent"]

#: floor of the log axis: less than one cell is not a lesion
_LOG_FLOOR = 1.0
#: output resolution of the explorer's runs (days)
_DT = 0.5

#: (state, legend label, colour, dash) of the three stacked bands, bottom to top
_BANDS = (
    ("P", "proliferating (in the cycle)", palette.BLUE, "solid"),
    ("Q", "quiescent (G0)", palette.ORANGE, "dashed"),
    ("D", "dead, not yet cleared", palette.GREY, "dotted"),
)


def cells(n: float) -> str:
    """A cell count for a sentence: 980, 13,437, 4.4×10¹³ (``fmt.number``, every whole digit)."""
    return fmt.number(n, 2, whole=True)


class CellularDormancyExplorer(Explorer):
    """Stacked proliferating / quiescent / dead cells over time, with a chemotherapy window.

    Figures: the lesion's cells (stacked bands, log or linear axis) with the drug window and
    the p38 inhibitor marked; the proliferating (Ki-67) and apoptotic fractions over time
    beside the values Luzzi et al. 1998 report; the rates of entering and leaving G0 as the
    ERK/p38 balance changes. View controls: the days shown and the type of cell axis.
    """

    model = cellcycle
    title = "Cellular dormancy: cells that sit out the cell cycle"
    intro = (
        "Cells in a lesion switch between dividing and resting in G0. More p38 relative to ERK "
        "sends them into G0. A cycle-specific drug kills only dividing cells: watch who survives it."
    )
    slug = "cellular_dormancy"
    span = TimeSpan("days", per_unit=1 / _DT)

    def build(self) -> list[bq.Figure]:
        self.view_controls["days"] = view_slider(
            "days shown (days)", 150, 30, 365, 5, "Length of the time axis"
        )
        self.cell_axis = ScaleSwitch(
            "cell axis",
            ("log cells", "linear cells"),
            "Log axis: see growth over many orders of magnitude; linear: see the stack in proportion",
            log=bq.LogScale(min=_LOG_FLOOR),
            linear=bq.LinearScale(min=0.0),
            tick_formats=(".1s", ".3s"),
        )
        self.view_controls["axis"] = self.cell_axis.toggle

        # --- figure 1: stacked cells
        fig, xs, ys = make_figure(
            "Cells in the lesion",
            "time (days)",
            "cells (stacked)",
            x_scale=bq.LinearScale(min=0.0),
            y_scale=self.cell_axis.scale(),
            width="700px",
            height="420px",
            y_format=".1s",
        )
        self._xs, self._fig_cells = xs, fig
        self.window = band(xs, ys, color=palette.VERMILLION, opacity=0.12, width=1, dash="dashed")
        self.block_line = line(xs, ys, color=palette.BLUISH_GREEN, dash="dash_dotted", width=2)
        self.bands = {
            key: band(xs, ys, color=color, opacity=0.55, width=2, dash=dash, label=label)
            for key, label, color, dash in _BANDS
        }
        # the lesion's total (top edge of the stack), held for "keep this run"; not drawn itself
        self._total = line(xs, ys, color=palette.BLACK)
        self.ghost_total = ghost_line(xs, ys, color=palette.BLACK, width=2)
        self.window_label = label(xs, ys, x=[0.0], y=[1.0], text=[""], color=palette.VERMILLION, size=15)
        self.block_label = label(xs, ys, x=[0.0], y=[1.0], text=[""], color=palette.BLUISH_GREEN, size=15)
        fig.marks = [
            *self.bands.values(),
            self.window,
            self.block_line,
            self.ghost_total,
            self.window_label,
            self.block_label,
        ]
        fig.legend_location = "top-left"
        self.cell_axis.attach(fig, self._total)

        # --- figure 2: fractions
        fig2, xs2, ys2 = make_figure(
            "Proliferating and apoptotic fractions",
            "time (days)",
            "per cent of cells",
            x_scale=bq.LinearScale(min=0.0),
            y_scale=bq.LinearScale(min=0.0, max=100.0),
            width="460px",
            height="420px",
        )
        self._xs2 = xs2
        lz = cellcycle.LUZZI1998
        self.luzzi_lines = {
            key: line(xs2, ys2, color=palette.GREY, dash="dotted", width=2) for key in ("dormant", "growing")
        }
        self.luzzi_label = label(
            xs2,
            ys2,
            x=[0.0, 0.0],
            y=[100 * lz["dormant"]["ki67"] + 3, 100 * lz["growing"]["ki67"] - 7],
            text=["Luzzi 1998: dormant cells, Ki-67 about 2%", "macroscopic tumours, about 91%"],
            color=palette.BLACK,
            size=13,
        )
        self.ki67 = line(xs2, ys2, color=palette.BLUE, width=4, label="Ki-67+ (cycling) %")
        self.apoptotic = line(
            xs2, ys2, color=palette.REDDISH_PURPLE, dash="dashed", width=3, label="apoptotic %"
        )
        self.ghost_ki67 = ghost_line(xs2, ys2)
        fig2.marks = [
            *self.luzzi_lines.values(),
            self.luzzi_label,
            self.ghost_ki67,
            self.ki67,
            self.apoptotic,
        ]
        fig2.legend_location = "right"

        # --- figure 3: the switch
        fig3, xs3, ys3 = make_figure(
            "The ERK/p38 switch (shape: a teaching choice)",
            "s = log₁₀(p38/ERK)",
            "rate (per day)",
            x_scale=bq.LinearScale(min=cellcycle.PARAMS["s"].low, max=cellcycle.PARAMS["s"].high),
            y_scale=bq.LinearScale(min=0.0),
            width="460px",
            height="320px",
        )
        self.r0_curve = line(xs3, ys3, color=palette.ORANGE, dash="solid", width=3, label="r₀: into G0")
        self.ri_curve = line(xs3, ys3, color=palette.BLUE, dash="dashed", width=3, label="r_i: out of G0")
        self.s_marker = dots(xs3, ys3, color=palette.BLACK, marker="diamond", size=120)
        self.s_line = line(xs3, ys3, color=palette.BLACK, dash="dotted", width=2)
        fig3.marks = [self.r0_curve, self.ri_curve, self.s_line, self.s_marker]
        fig3.legend_location = "top-left"
        return [fig, fig2, fig3]

    def extra_layout(self) -> list[widgets.Widget]:
        return [widgets.HBox(list(self.view_controls.values()), layout=widgets.Layout(flex_flow="row wrap"))]

    def ghost_pairs(self) -> list[tuple[bq.Mark, bq.Mark]]:
        return [(self._total, self.ghost_total), (self.ki67, self.ghost_ki67)]

    def draw(self, result: cellcycle.CellCycleResult) -> None:
        t = result.t
        self.cell_axis.apply()
        log = self.cell_axis.log
        floor = _LOG_FLOOR if log else 0.0
        P, Q, D = result.P, result.Q, result.D
        edges = [np.zeros_like(P), P, P + Q, P + Q + D]
        top = float(np.max(edges[-1]))
        y_max = max(top * (3.0 if log else 1.05), 10.0)
        for i, (key, *_rest) in enumerate(_BANDS):
            lo, hi = (np.clip(e, floor, y_max) for e in (edges[i], edges[i + 1]))
            set_xy(self.bands[key], *between_xy(t, lo, hi))
        set_xy(self._total, t, np.clip(edges[-1], floor, y_max))
        self.cell_axis.scale().max = y_max
        self._xs.max = float(t[-1])
        self._xs2.max = float(t[-1])

        p = result.params
        t0, t1 = float(p["t_drug"]), float(p["t_drug"] + p["drug_days"])
        treated = float(p["drug_days"]) > 0 and float(p["k"]) > 0 and t0 < t[-1]
        y_lo = floor if log else 0.0
        if treated:
            set_xy(self.window, *window_xy(t0, min(t1, float(t[-1])), y_lo, y_max))
        else:
            set_xy(self.window)
        label_y = y_max / 2.0 if log else 0.93 * y_max
        with self.window_label.hold_sync():
            self.window_label.x = [t0 + 0.5]
            self.window_label.y = [label_y]
            self.window_label.text = ["drug" if treated else ""]
        tb = float(p["t_block"])
        blocked = str(p["p38i"]) == "on" and tb < t[-1]
        if blocked:
            set_xy(self.block_line, np.array([tb, tb]), np.array([y_lo, y_max]))
        else:
            set_xy(self.block_line)
        with self.block_label.hold_sync():
            self.block_label.x = [tb + 0.5]
            self.block_label.y = [y_max / 8.0 if log else 0.8 * y_max]
            self.block_label.text = ["p38 inhibitor" if blocked else ""]

        set_xy(self.ki67, t, 100.0 * result.ki67)
        set_xy(self.apoptotic, t, 100.0 * result.apoptotic)
        lz = cellcycle.LUZZI1998
        for key, mark in self.luzzi_lines.items():
            set_xy(mark, np.array([0.0, float(t[-1])]), np.full(2, 100.0 * lz[key]["ki67"]))
        self.luzzi_label.x = [0.02 * float(t[-1])] * 2

        sw = cellcycle.switch_curves(**p)
        set_xy(self.r0_curve, sw["s"], sw["r0"])
        set_xy(self.ri_curve, sw["s"], sw["ri"])
        r_now = cellcycle.rates(**p)
        rmax = float(max(np.max(sw["r0"]), np.max(sw["ri"]), 1e-6))
        set_xy(
            self.s_marker,
            np.array([float(p["s"]), float(p["s"])]),
            np.array([float(r_now["r0"]), float(r_now["ri"])]),
        )
        set_xy(self.s_line, np.array([float(p["s"]), float(p["s"])]), np.array([0.0, rmax]))

    def describe(self, result: cellcycle.CellCycleResult) -> str:
        s = result.summary()
        p = result.params
        t_end = float(result.t[-1])
        sig = float(p["s"])
        text = [
            f"At s = {sig:+.2f} (p38/ERK = {10**sig:.3g}) the lesion settles with "
            f"{percent(s['ki67_steady'])} of living cells cycling (Ki-67) and "
            f"{percent(s['apoptotic_steady'])} of cells dead"
        ]
        lam = s["growth_rate"]
        if abs(lam) < math.log(2.0) / 3650.0:
            text[-1] += ": births balance deaths, the lesion holds its size (dormancy)."
        elif lam > 0:
            text[-1] += f"; it doubles every {s['doubling_time']:.3g} days."
        else:
            text[-1] += f"; it halves every {math.log(2.0) / -lam:.3g} days."

        t0, t1 = float(p["t_drug"]), float(p["t_drug"] + p["drug_days"])
        treated = float(p["drug_days"]) > 0 and float(p["k"]) > 0
        if treated and t0 < t_end:
            spared = s["Q_drop_drug"] < s["P_drop_drug"]
            text.append(
                f"At the end of treatment (day {t1:.0f}), {percent(s['quiescent_share_after_drug'])} of "
                f"living cells are quiescent; over the treatment the proliferating cells fell by "
                f"{percent(s['P_drop_drug'])} {'but' if spared else 'and'} the quiescent cells by "
                f"{'only ' if spared else ''}{percent(s['Q_drop_drug'])}."
            )
            day = s["regrow_day"]
            before = cells(s["living_before_drug"])
            if math.isfinite(day):
                text.append(
                    f"The lesion regrows to its size before treatment ({before} cells) by day {day:.0f}."
                )
            elif t1 < t_end:
                text.append(
                    f"It does not regrow to its size before treatment ({before} cells) within the "
                    f"{t_end:.0f} days shown."
                )
        elif treated:
            text.append(f"The drug starts on day {t0:.0f}, after the time shown.")
        else:
            text.append("No drug is given.")
        tb = float(p["t_block"])
        if str(p["p38i"]) == "on" and tb < t_end:
            text.append(f"From day {tb:.0f} a p38 inhibitor lowers p38/ERK 100-fold, and cells leave G0.")
        text.append(
            f"At day {t_end:.0f} the lesion holds {cells(s['living_final'])} living cells, "
            f"{percent(s['ki67_final'])} of them cycling."
        )
        return " ".join(text)
