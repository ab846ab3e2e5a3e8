"""``AngiogenicExplorer``: a tumour and its blood supply (Hahnfeldt et al. 1999), with drugs.

Left, tumour volume V and carrying capacity K over time (a view control switches between a
logarithmic and a linear axis), with the untreated tumour always drawn faded for comparison
and the dose days marked. Right, the V–K phase plane: the line V = K on which the tumour
neither grows nor shrinks, the untreated steady state and both trajectories. The untreated
run is kept from one move to the next and rerun only when a tumour parameter or the time
span changes, so moving a drug slider costs one model run; the runs of the last few dozen
settings are kept, so going back to one costs none. This run's curves are sent to the page
before the untreated reference is worked out.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import bqplot as bq
import numpy as np

from ..models import angiogenic
from ..models.params import validate
from . import palette
from .base import Explorer, ScaleSwitch, TimeSpan, dots, ghost_line, line, make_figure, set_xy, view_slider

__all__ = ["AngiogenicExplorer", "describe_run", "fmt_mm3"]

#: axis limits (mm³): from below the smallest slider value to above any plateau in range
_FLOOR = 1e-2


def fmt_mm3(v: float) -> str:
    """Volumes as a student reads them: 17,346 mm³, 267 mm³, 3.2 mm³, 0.004 mm³."""
    if not math.isfinite(v):
        return "∞"
    if v >= 100:
        return f"{v:,.0f} mm³"
    if v >= 1:
        return f"{v:.3g} mm³"
    if v >= angiogenic.ONE_CELL_MM3:
        return f"{v:.1g} mm³"
    return "less than one cell"


def _schedule_words(p: Mapping[str, Any]) -> str:
    drug = str(p["drug"])
    n = int(p["n_doses"])
    if drug == "none" or float(p["dose"]) == 0 or n == 0:
        return "Untreated"
    every = "every day" if int(p["interval"]) == 1 else f"every {int(p['interval'])} days"
    return f"With {drug} {float(p['dose']):g} mg/kg {every} from day {int(p['start'])} ({n} doses at most)"


def describe_run(result: angiogenic.AngiogenicResult) -> str:
    """The readout: steady states, what happens to the tumour, and whether it is held dormant."""
    s = result.summary()
    p = result.params
    days = float(result.t[-1])
    text = [
        f"Untreated, this tumour settles where its vessels can feed it: V* = K* = "
        f"{fmt_mm3(s['V_star'])} (the steady state ((b − λ2)/d)^(3/2))."
    ]
    head = _schedule_words(p)
    rate = 100 * s["growth_rate_final"]
    if s["below_one_cell"]:
        fate = f"the tumour regresses below one cell by day {days:g}: in this model, eradicated"
    elif s["dormant"]:
        fate = (
            f"the tumour is <b>held dormant</b> at {fmt_mm3(s['V_final'])} on day {days:g} "
            f"(changing {rate:+.1f}% a day over the last {angiogenic.DORMANT_WINDOW:g} days)"
        )
    elif s["growth_rate_final"] < -angiogenic.DORMANT_RATE:
        fate = f"the tumour regresses, to {fmt_mm3(s['V_final'])} on day {days:g} ({rate:+.1f}% a day)"
    elif s["V_final"] >= angiogenic.DETECTABLE:
        fate = f"the tumour is <b>not held dormant</b>: it reaches {fmt_mm3(s['V_final'])} by day {days:g}"
    else:
        fate = f"the tumour is still growing ({rate:+.1f}% a day), {fmt_mm3(s['V_final'])} on day {days:g}"
    text.append(f"{head}, {fate}.")
    t1 = s["days_to_clinical"]
    if t1 == 0:
        text.append("It starts above 1 cm³ (1000 mm³, clinically detectable).")
    elif math.isfinite(t1):
        text.append(f"It reaches 1 cm³ (clinically detectable) on day {t1:.1f}.")
    else:
        text.append(
            f"It stays below 1 cm³ (clinically detectable) up to day {days:g}; largest {fmt_mm3(s['V_max'])}."
        )
    if head != "Untreated":
        text.append(
            f"A constant infusion of the same average amount would hold it at "
            f"{fmt_mm3(s['V_star_infusion']) if s['V_star_infusion'] > 0 else 'nothing: regression'}."
        )
    return " ".join(text)


class AngiogenicExplorer(Explorer):
    """V and K over time beside the V–K phase plane; drug schedule controls; untreated reference."""

    model = angiogenic
    title = "Angiogenic dormancy: a tumour held small by its blood supply"
    intro = (
        "V is the tumour's volume, K the volume its blood vessels can feed. Give an "
        "angiogenesis inhibitor and watch the tumour stop where vessel growth and vessel "
        "kill balance. The faded curves show the same tumour untreated."
    )
    slug = "angiogenic"
    #: a drug makes every run several times heavier (smaller steps, see ``angiogenic.step``),
    #: so the schedule sliders report on release
    slow_params = frozenset({"dose", "start", "interval", "n_doses"})
    #: output times every six hours up to the "days shown" slider
    span = TimeSpan("days", per_unit=4)

    def build(self) -> list[bq.Figure]:
        #: recent runs (see ``_simulate``) and how many times the model was called
        self._runs: OrderedDict[tuple[Any, ...], angiogenic.AngiogenicResult] = OrderedDict()
        self.model_runs = 0
        #: the time plot's y and the phase plane's x and y, logarithmic or linear together
        self.axes = ScaleSwitch(
            "view",
            ("log axes", "linear axes"),
            "Logarithmic axes show small and large tumours alike; linear axes show sizes as they are",
            log=(bq.LogScale(), bq.LogScale(), bq.LogScale()),
            linear=(bq.LinearScale(min=0.0), bq.LinearScale(min=0.0), bq.LinearScale(min=0.0)),
        )
        self.view_controls["axes"] = self.axes.toggle
        self.view_controls["days"] = view_slider(
            "days shown (days)", 60, 20, 200, 10, "Length of the time axis"
        )
        ys, px, py = (self.axes.scale(i) for i in range(3))

        fig_t, xs, _ = make_figure(
            "Tumour V and vessel support K", "time (days)", "volume (mm³)", y_scale=ys, width="600px"
        )
        self._xs = xs
        self.detect = line(
            xs, ys, color=palette.BLUISH_GREEN, dash="dotted", width=2, label="1 cm³ (detectable)"
        )
        self.ref_V = line(
            xs, ys, color=palette.BLACK, dash="dash_dotted", width=2, label="V untreated", opacities=[0.45]
        )
        self.ghost_V = ghost_line(xs, ys)
        self.K_line = line(
            xs, ys, color=palette.VERMILLION, dash="dashed", width=3, label="K, vessel support"
        )
        self.V_line = line(xs, ys, color=palette.BLUE, width=4, label="V, tumour")
        self.doses = dots(
            xs, ys, color=palette.ORANGE, marker="triangle-up", size=40, labels=["dose"], display_legend=True
        )
        fig_t.marks = [self.detect, self.ref_V, self.ghost_V, self.K_line, self.V_line, self.doses]
        fig_t.legend_location = "top-left"

        fig_p, _, _ = make_figure(
            "Phase plane: V against K",
            "V, tumour (mm³)",
            "K, vessel support (mm³)",
            x_scale=px,
            y_scale=py,
            width="480px",
        )
        self.diagonal = line(px, py, color=palette.BLACK, dash="dotted", width=2, label="V = K (no growth)")
        self.ref_path = line(
            px, py, color=palette.BLACK, dash="dash_dotted", width=2, label="untreated", opacities=[0.45]
        )
        self.ghost_path = ghost_line(px, py)
        self.path = line(px, py, color=palette.BLUE, width=4, label="this run")
        self.points = bq.Scatter(
            x=np.zeros(3),
            y=np.ones(3),
            scales={"x": px, "y": py},
            marker="circle",
            colors=[palette.BLUE, palette.BLUE, palette.BLACK],
            default_size=90,
        )
        self.point_labels = bq.Label(
            x=np.zeros(3),
            y=np.ones(3),
            text=["start", "end", "untreated V* = K*"],
            scales={"x": px, "y": py},
            colors=[palette.BLUE, palette.BLUE, palette.BLACK],
            default_size=14,
            x_offset=8,
            y_offset=-8,
        )
        fig_p.marks = [
            self.diagonal,
            self.ref_path,
            self.ghost_path,
            self.path,
            self.points,
            self.point_labels,
        ]
        fig_p.legend_location = "top-left"
        self.axes.attach(fig_t, fig_p)
        return [fig_t, fig_p]

    def run(self, params: Mapping[str, Any]) -> angiogenic.AngiogenicResult:
        """The current settings; the same tumour untreated (the faded reference) follows in
        ``draw``, after this run's own curves have been sent to the page.

        The untreated run depends only on the tumour's parameters and the time span, so
        moving a drug slider costs one run, not two. Runs are kept for the last ``_KEEP``
        settings (see ``_simulate``): a slider nudged back and forth, a preset chosen again
        or a reset answer without running the model.
        """
        self.times(params)
        days = int(self.horizon())
        self._reference = (days, {**{k: params[k] for k in _TUMOUR}, "drug": "none"})
        # under a drug every run is several times heavier (tens of ms): then the tumour's
        # sliders, like the schedule's, report on release so a drag never queues runs
        for k in _TUMOUR:
            self.controls[k].continuous_update = params["drug"] == "none"
        if params["drug"] == "none":
            self.untreated = self._simulate(*self._reference)
            return dataclasses.replace(self.untreated, params=validate(angiogenic.PARAMS, params))
        return self._simulate(days, dict(params))

    def _simulate(self, days: int, params: dict[str, Any]) -> angiogenic.AngiogenicResult:
        """``angiogenic.simulate`` on the explorer's grid (``self.t``), for settings seen lately
        from memory: the same call gives the same arrays, so a kept run is the run itself."""
        key = (days, *sorted(params.items()))
        if key in self._runs:
            self._runs.move_to_end(key)
            return self._runs[key]
        result = angiogenic.simulate(self.times(), view=True, **params)
        self.model_runs += 1
        self._runs[key] = result
        while len(self._runs) > _KEEP:
            self._runs.popitem(last=False)
        return result

    def ghost_pairs(self) -> list[tuple[bq.Mark, bq.Mark]]:
        return [(self.V_line, self.ghost_V), (self.path, self.ghost_path)]

    def draw(self, result: angiogenic.AngiogenicResult) -> None:
        """This run's curves first (what the student is moving), then the untreated
        reference, the dose marks, the diagonal and the labelled points.

        Each mark is one message to the page, and a mark whose data did not change sends
        none (so a drug slider never resends the reference)."""
        self.axes.apply()
        floor = _FLOOR if self.axes.log else 0.0
        t = result.t
        V, K = np.maximum(result.V, floor), np.maximum(result.K, floor)
        set_xy(self.V_line, t, V)
        set_xy(self.K_line, t, K)
        set_xy(self.path, V, K)
        self._xs.min, self._xs.max = float(t[0]), float(t[-1])

        self.untreated = self._untreated()
        V0, K0 = np.maximum(self.untreated.V, floor), np.maximum(self.untreated.K, floor)
        set_xy(self.ref_V, t, V0)
        set_xy(self.ref_path, V0, K0)
        set_xy(self.detect, np.array([t[0], t[-1]]), np.full(2, angiogenic.DETECTABLE))
        days = result.dose_days()
        low = max(float(min(V.min(), K.min())), floor)
        set_xy(self.doses, days, np.full(days.size, low))

        star = max(float(result.summary()["V_star"]), floor)
        hi = max(float(V.max()), float(K.max()), float(V0.max()), float(K0.max()), star)
        lo = min(float(V.min()), float(K.min()), float(V0.min()), float(K0.min()))
        lo = max(lo, floor) if self.axes.log else 0.0
        set_xy(self.diagonal, np.array([lo, hi]), np.array([lo, hi]))
        px = np.array([V[0], V[-1], star])
        py = np.array([K[0], K[-1], star])
        set_xy(self.points, px, py)
        set_xy(self.point_labels, px, py)

    def _untreated(self) -> angiogenic.AngiogenicResult:
        """The untreated run for the current tumour and time span (see ``run``), held to the
        same rules as the run itself: a warning or a non-finite value is an error."""
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            untreated = self._simulate(*self._reference)
        if not (np.all(np.isfinite(untreated.V)) and np.all(np.isfinite(untreated.K))):
            raise ValueError("the model returned non-finite values for the untreated tumour")
        return untreated

    def describe(self, result: angiogenic.AngiogenicResult) -> str:
        return describe_run(result)


#: the parameters of the tumour itself (the untreated reference depends on these alone)
_TUMOUR = ("lambda1", "lambda2", "b", "d", "V0", "K0")
#: model runs kept per explorer (settings and time span -> result): about 26 kB each at 200 days
_KEEP = 32
