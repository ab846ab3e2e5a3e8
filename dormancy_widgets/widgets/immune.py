"""``ImmuneExplorer``: the effector–tumour phase plane of Kuznetsov et al. (1994).

Left, the phase plane (effector cells E across, tumour cells T up, both logarithmic) with
the two nullclines, every equilibrium marked by its kind (marker shape and legend) and
named by its role, and the trajectory. A click on the plane starts a new trajectory there.
Right, E and T over time with the escape threshold and the immunosuppression period.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..models import immune
from . import fmt, palette
from .base import Explorer, band, ghost_line, line, make_figure, set_xy, window_xy

__all__ = ["ImmuneExplorer", "branches", "equilibria_table", "sci"]

#: phase-plane axes (cells); they match the ranges of the E0 and T0 sliders, so a click
#: anywhere on the plane is a valid start. Curves beyond them are cut at the frame.
E_MIN, E_MAX = 1e4, 1e7
T_MIN, T_MAX = 1.0, 1e10
#: tumour sizes at which the nullclines are drawn
_T_GRID = np.logspace(0.0, 10.0, 301)
#: the parameters the nullclines and the equilibria depend on (and supp, once it is on)
_PLANE_PARAMS = ("s", "p", "g", "m", "d", "a", "b", "n", "c")

#: marker shape and colour for each kind of equilibrium (shape carries the meaning)
KIND_STYLE = {
    "stable focus": ("circle", palette.BLUE),
    "stable node": ("square", palette.BLUE),
    "saddle": ("cross", palette.VERMILLION),
    "unstable focus": ("triangle-up", palette.REDDISH_PURPLE),
    "unstable node": ("triangle-down", palette.REDDISH_PURPLE),
}


def sci(x: float) -> str:
    """Cell counts as a student writes them: 8.2e6, 3.1e5, 450, 0.5."""
    if not math.isfinite(x):
        return "∞" if x > 0 else "undefined"
    if x == 0:
        return "0"
    if 1 <= abs(x) < 1e4:
        return f"{x:.0f}" if abs(x) >= 10 else f"{x:.2g}"
    if abs(x) < 1:
        return f"{x:.1g}" if abs(x) >= 1e-3 else "less than 0.001"
    mant, exp = f"{x:.1e}".split("e")
    return f"{mant}e{int(exp)}"


def branches(x: np.ndarray, y: np.ndarray, ok: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split a curve into its first contiguous run of valid points and everything after it.

    The effector nullcline has at most two branches inside the frame (its denominator is
    convex in T), so two marks draw it without joining across the gap.
    """
    idx = np.flatnonzero(ok)
    empty = (np.zeros(0), np.zeros(0))
    if idx.size == 0:
        return [empty, empty]
    cut = np.flatnonzero(np.diff(idx) > 1)
    first = idx[: cut[0] + 1] if cut.size else idx
    rest = idx[cut[0] + 1 :] if cut.size else np.zeros(0, dtype=int)
    return [(x[first], y[first]), (x[rest], y[rest]) if rest.size else empty]


def equilibria_table(**params: Any) -> widgets.HTML:
    """Every equilibrium for the given parameters as a table: role, kind, cells, eigenvalues.

    Eigenvalues are per day; a pair with an imaginary part means oscillations with period
    2π / |Im λ| days, shrinking e-fold every 1 / |Re λ| days when Re λ < 0.
    """
    rows = []
    for e in immune.steady_states(**params):
        lam = e.eigenvalues
        if lam[0].imag != 0:
            ev = f"{lam[0].real:.4f} ± {abs(lam[0].imag):.4f}i"
            period = f"{2 * math.pi / abs(lam[0].imag):.0f}"
        else:
            ev = f"{lam[0].real:.4f}, {lam[1].real:.4f}"
            period = "no oscillation"
        rows.append((e.role, e.kind, sci(e.T), sci(e.E), ev, period))
    head = ("role", "kind", "tumour cells T", "effector cells E", "eigenvalues (/day)", "period (days)")
    cell = "<td style='padding:2px 10px'>{}</td>"
    body = "".join("<tr>" + "".join(cell.format(html.escape(str(v))) for v in r) + "</tr>" for r in rows)
    top = "".join(f"<th style='text-align:left;padding:2px 10px'>{h}</th>" for h in head)
    return widgets.HTML(f"<table><thead><tr>{top}</tr></thead><tbody>{body}</tbody></table>")


def _label(xs: bq.Scale, ys: bq.Scale, *, color: str, **style: Any) -> bq.Label:
    """A text mark in one colour at 15 px, empty until ``draw`` fills it."""
    return bq.Label(
        x=np.zeros(0),
        y=np.zeros(0),
        text=[],
        scales={"x": xs, "y": ys},
        colors=[color],
        default_size=15,
        **style,
    )


def _clip(E: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.clip(E, E_MIN, E_MAX), np.clip(T, T_MIN, T_MAX)


class ImmuneExplorer(Explorer):
    """Phase plane and time course of effector and tumour cells, with immunosuppression.

    Controls: the eight rates of Kuznetsov et al. (1994), the starting numbers E0 and T0
    (also set by clicking on the phase plane) and an immunosuppression step (day and
    strength). ``click_phase_plane(E, T)`` does what a click does.
    """

    model = immune
    title = "Immune-mediated dormancy: effector cells against a tumour"
    intro = (
        "Effector (killer) cells are recruited by the tumour and kill it. Click anywhere on the "
        "phase plane to start a tumour there: does it settle into dormancy, escape, or vanish? "
        "Then switch on immunosuppression."
    )
    slug = "immune"

    # ------------------------------------------------------------------ model
    def run(self, params: Mapping[str, Any]) -> immune.ImmuneResult:
        """The model at the explorer's step (``view=True``: a quarter of the work, far below
        a pixel of error); ``to_csv`` exports the run at the model's default accuracy."""
        return immune.simulate(self.times(params), seed=self.seed, view=True, **params)

    def to_csv(self) -> str:
        """The run on screen as CSV text, integrated again at the model's default step ('' when
        nothing has run)."""
        if self.result is None:
            return ""
        return immune.simulate(self.result.t, seed=self.seed, **self.result.params).to_csv()

    # ------------------------------------------------------------------ build
    def build(self) -> list[bq.Figure]:
        self._placing = False
        #: the settings the nullclines and equilibria on the plane were drawn for
        self._plane_key: tuple[Any, ...] | None = None
        phase, xs, ys = make_figure(
            "Phase plane (click to start a tumour there)",
            "effector cells E (log scale)",
            "tumour cells T (log scale)",
            x_scale=bq.LogScale(min=E_MIN, max=E_MAX),
            y_scale=bq.LogScale(min=T_MIN, max=T_MAX),
            width="620px",
            height="480px",
            x_format=".0e",
            y_format=".0e",
        )
        # bqplot sizes the legend box at one em per character of the longest label: short
        # labels keep it in the empty corner below the tumour-free state's effector level
        phase.legend_location = "bottom-left"
        self.t_nullcline = line(xs, ys, color=palette.VERMILLION, dash="dashed", width=2, label="dT/dt = 0")
        self.e_nullcline = line(xs, ys, color=palette.BLUISH_GREEN, dash="dotted", width=3, label="dE/dt = 0")
        self.e_nullcline_hi = line(xs, ys, color=palette.BLUISH_GREEN, dash="dotted", width=3)
        self.e_nullcline_before = line(
            xs,
            ys,
            color=palette.GREY,
            dash="dash_dotted",
            width=2,
            label="dE/dt = 0 before",
        )
        self.e_nullcline_before_hi = line(xs, ys, color=palette.GREY, dash="dash_dotted", width=2)
        self.ghost_traj = ghost_line(xs, ys)
        self.trajectory = line(xs, ys, color=palette.BLUE, width=3, label="trajectory")
        self.eq_marks: dict[str, bq.Scatter] = {}
        for kind, (marker, color) in KIND_STYLE.items():
            self.eq_marks[kind] = bq.Scatter(
                x=np.zeros(0),
                y=np.zeros(0),
                scales={"x": xs, "y": ys},
                marker=marker,
                colors=[color],
                stroke=palette.BLACK,
                default_size=180,
                labels=[kind],
                display_legend=True,
            )
        self.eq_labels = _label(xs, ys, color=palette.BLACK, font_weight="bold", x_offset=10, y_offset=-8)
        # the start of the trajectory; a click on the plane adds a point to it (bqplot's
        # "add" interaction), which ``_on_start_marker`` turns into a new E0, T0
        self.start = bq.Scatter(
            x=np.array([E_MIN]),
            y=np.array([T_MIN]),
            scales={"x": xs, "y": ys},
            marker="diamond",
            colors=[palette.ORANGE],
            stroke=palette.BLACK,
            default_size=200,
            labels=["start (click)"],
            display_legend=True,
            interactions={"click": "add"},
        )
        self.start.observe(self.safe(self._on_start_marker), names=["x", "y"])
        phase.marks = [
            self.e_nullcline_before,
            self.e_nullcline_before_hi,
            self.t_nullcline,
            self.e_nullcline,
            self.e_nullcline_hi,
            self.ghost_traj,
            self.trajectory,
            *self.eq_marks.values(),
            self.eq_labels,
            self.start,
        ]

        series, txs, tys = make_figure(
            "Cells over time",
            "time (days)",
            "cells (log scale)",
            x_scale=bq.LinearScale(min=0.0),
            y_scale=bq.LogScale(min=T_MIN, max=T_MAX),
            width="560px",
            height="480px",
            y_format=".0e",
        )
        series.legend_location = "bottom-right"
        self._txs = txs
        self.supp_band = band(txs, tys, color=palette.SKY_BLUE, opacity=0.25)
        self.supp_label = _label(txs, tys, color=palette.BLUE, x_offset=4)
        self.escape_line = line(
            txs,
            tys,
            color=palette.BLACK,
            dash="dotted",
            width=2,
            label=f"escape: {sci(immune.ESCAPE_CELLS)} cells",
        )
        self.dormant_line = line(
            txs, tys, color=palette.GREY, dash="dash_dotted", width=2, label="dormant state T*"
        )
        self.ghost_T = ghost_line(txs, tys)
        self.series_E = line(txs, tys, color=palette.BLUE, dash="dashed", width=3, label="effector cells E")
        self.series_T = line(txs, tys, color=palette.VERMILLION, width=3, label="tumour cells T")
        series.marks = [
            self.supp_band,
            self.supp_label,
            self.escape_line,
            self.dormant_line,
            self.ghost_T,
            self.series_E,
            self.series_T,
        ]
        return [phase, series]

    def ghost_pairs(self) -> list[tuple[bq.Mark, bq.Mark]]:
        return [(self.trajectory, self.ghost_traj), (self.series_T, self.ghost_T)]

    # ------------------------------------------------------------------ clicks
    def click_phase_plane(self, E: float, T: float) -> None:
        """Start a new trajectory at (E, T) cells: what a click on the phase plane does.

        The point is kept inside the ranges of E0 and T0 (the frame of the plot).
        """
        lo_E, hi_E = immune.PARAMS["E0"].low, immune.PARAMS["E0"].high
        lo_T, hi_T = immune.PARAMS["T0"].low, immune.PARAMS["T0"].high
        E = float(np.clip(E, lo_E, hi_E)) if math.isfinite(E) else self.params["E0"]
        T = float(np.clip(T, lo_T, hi_T)) if math.isfinite(T) else self.params["T0"]
        self.set(E0=E, T0=T)

    def _on_start_marker(self, change: Mapping[str, Any]) -> None:
        if self._placing:
            return
        x = np.asarray(self.start.x, dtype=float)
        y = np.asarray(self.start.y, dtype=float)
        if x.size != y.size or x.size < 2:
            return  # wait until both coordinates of the clicked point have arrived
        self.click_phase_plane(float(x[-1]), float(y[-1]))

    # ------------------------------------------------------------------ draw
    def draw(self, result: immune.ImmuneResult) -> None:
        p = result.params
        single = {k: float(v) for k, v in p.items()}
        suppressed = bool(result.suppressed)
        eq = result.final_equilibria()
        # nullclines, equilibria and the level lines depend on the rates, on whether
        # suppression is on at the end and on the time span, not on the start or the day of
        # suppression: a move of those leaves them (and their messages to the page) as they are
        t = result.t
        span = float(t[-1])
        key = (span, suppressed, single["supp"] if suppressed else 0.0, *(single[k] for k in _PLANE_PARAMS))
        if key != self._plane_key:
            # the system in force at the end of the run
            self._draw_nullclines(immune.nullclines(_T_GRID, after_suppression=suppressed, **single))
            before = immune.nullclines(_T_GRID, **single) if suppressed else None
            self._draw_nullcline_pair((self.e_nullcline_before, self.e_nullcline_before_hi), before)
            self._draw_equilibria(eq)
            ends = np.array([t[0], span])
            set_xy(self.escape_line, ends, np.full(2, immune.ESCAPE_CELLS))
            _, T_dorm = eq.by_role("dormant")
            shown = math.isfinite(T_dorm) and T_MIN <= T_dorm <= T_MAX
            set_xy(self.dormant_line, *((ends, np.full(2, T_dorm)) if shown else ()))
            self._plane_key = key

        E, T = _clip(result.E, result.T)
        set_xy(self.trajectory, E, T)
        self._placing = True
        try:
            set_xy(
                self.start,
                np.array([np.clip(single["E0"], E_MIN, E_MAX)]),
                np.array([np.clip(single["T0"], T_MIN, T_MAX)]),
            )
        finally:
            self._placing = False
        set_xy(self.series_T, t, T)
        set_xy(self.series_E, t, np.clip(result.E, T_MIN, T_MAX))
        ts = single["t_supp"]
        set_xy(self.supp_band, *(window_xy(ts, span, T_MIN, T_MAX) if suppressed else ()))
        with self.supp_label.hold_sync():
            if suppressed:
                self.supp_label.x = np.array([ts])
                self.supp_label.y = np.array([T_MAX / 4])
                self.supp_label.text = [f"immunosuppression (p × {1 - single['supp']:.2f})"]
            else:
                self.supp_label.x = np.zeros(0)
                self.supp_label.y = np.zeros(0)
                self.supp_label.text = []
        self._txs.max = span

    def _draw_nullcline_pair(self, marks: tuple[bq.Lines, bq.Lines], nc: dict[str, Any] | None) -> None:
        if nc is None:
            parts = [(np.zeros(0), np.zeros(0))] * 2
        else:
            E = nc["E_E"]
            ok = np.isfinite(E) & (E >= E_MIN) & (E <= E_MAX)
            parts = branches(np.where(ok, E, E_MIN), nc["T"], ok)
        for mark, (x, y) in zip(marks, parts):
            set_xy(mark, x, y)

    def _draw_nullclines(self, nc: dict[str, Any]) -> None:
        self._draw_nullcline_pair((self.e_nullcline, self.e_nullcline_hi), nc)
        E = nc["E_T"]
        ok = np.isfinite(E) & (E >= E_MIN) & (E <= E_MAX)
        set_xy(self.t_nullcline, E[ok], nc["T"][ok])

    def _draw_equilibria(self, eq: immune.Equilibria) -> None:
        xs, ys, texts = [], [], []
        by_kind: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in KIND_STYLE}
        for e in eq:
            x, y = _clip(np.array(e.E), np.array(max(e.T, T_MIN)))
            if e.kind in by_kind:
                by_kind[e.kind][0].append(float(x))
                by_kind[e.kind][1].append(float(y))
            xs.append(float(x))
            ys.append(float(y))
            texts.append("tumour-free (T = 0)" if e.role == "tumour-free" else e.role)
        for kind, mark in self.eq_marks.items():
            with mark.hold_sync():
                mark.x = np.array(by_kind[kind][0])
                mark.y = np.array(by_kind[kind][1])
                # the legend lists the kinds on the plane (a full key would hide the plane)
                mark.display_legend = bool(by_kind[kind][0])
        with self.eq_labels.hold_sync():
            self.eq_labels.x = np.array(xs)
            self.eq_labels.y = np.array(ys)
            self.eq_labels.text = texts

    # ------------------------------------------------------------------ words
    def describe(self, result: immune.ImmuneResult) -> str:
        s = result.summary()
        p = {k: float(v) for k, v in result.params.items()}
        eq = result.final_equilibria()
        end = f"day {result.t[-1]:.0f}"
        parts = []
        if s["suppressed"]:
            cut = (
                f"Immunosuppression from day {p['t_supp']:.0f} cuts effector recruitment p "
                f"by {fmt.percent(p['supp'])}"
            )
            if math.isnan(s["T_dormant"]):
                cut += ", and the dormant state no longer exists."
            else:
                cut += f"; a dormant state still exists at {sci(s['T_dormant'])} tumour cells."
            parts.append(cut)
        role = s["approaches"]
        if role == "dormant":
            text = (
                f"The tumour settles into dormancy at about {sci(s['T_eq'])} cells held by "
                f"{sci(s['E_eq'])} effector cells"
            )
            if math.isfinite(s["period_days"]):
                shrink = 1.0 - math.exp(-s["period_days"] / s["damping_days"])
                text += (
                    f", approached in damped oscillations with a period of about {s['period_days']:.0f} days "
                    f"(each swing about {fmt.percent(shrink)} smaller than the last)"
                )
            text += "."
            if not s["dormant"]:
                text += f" By {end} it is still on its way there ({sci(s['T_final'])} cells)."
            parts.append(text)
        elif role == "large tumour":
            text = "The tumour escapes immune control"
            if math.isfinite(s["escape_day"]) and s["escape_day"] > result.t[0]:
                text += f": it passes {sci(immune.ESCAPE_CELLS)} cells on day {s['escape_day']:.0f}"
            elif math.isfinite(s["escape_day"]):
                text += f": it starts above {sci(immune.ESCAPE_CELLS)} cells and never falls below"
            text += (
                f", heading for the large-tumour state of {sci(s['T_eq'])} cells, where only "
                f"{sci(s['E_eq'])} effector cells are left."
            )
            parts.append(text)
        elif role == "tumour-free":
            below = np.flatnonzero(result.T < immune.ONE_CELL)
            if s["eliminated"] and below.size:
                parts.append(
                    f"The immune system eliminates the tumour: fewer than one tumour cell is left from "
                    f"day {result.t[below[0]]:.0f}, and the effector cells return to {sci(s['E_eq'])}."
                )
            else:
                parts.append(
                    f"The tumour is being eliminated: {sci(s['T_final'])} cells remain on {end}, "
                    f"shrinking toward zero."
                )
        else:
            parts.append(
                f"No equilibrium is stable here: the tumour keeps changing "
                f"({sci(s['T_final'])} cells on {end})."
            )
        kinds = [f"{e.kind} ({e.role})" for e in eq]
        parts.append(
            f"The phase plane has {len(kinds)} equilibri{'um' if len(kinds) == 1 else 'a'}: "
            + ", ".join(kinds)
            + "."
        )
        return " ".join(parts)
