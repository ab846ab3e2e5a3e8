"""The ``Explorer`` base: everything the mechanism explorers share, written once.

A mechanism's explorer subclasses ``Explorer``, names its model module, builds its figures
and marks once (``build``), moves data into those marks (``draw``) and says in one sentence
what the plot shows (``describe``). The base does the rest:

* one control per entry of the model's ``PARAMS`` (label with unit, range, log slider where
  the ``Param`` asks, tooltip with the meaning), and one observer for all of them;
* run the model on change, show a readable message (never a traceback) when the model
  rejects a combination, and keep the plot unchanged then;
* a preset picker that shows the citation, reset, "keep this run" ghost traces, a text
  readout for screen readers and handouts;
* exports: CSV of the current run, PNG/SVG of the figures, the settings as a ``set(...)``
  line a teacher can paste into a notebook or slide.
"""

from __future__ import annotations

import base64
import html
import math
import time
import warnings
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any, ClassVar

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..models.base import Result
from ..models.params import Param, validate
from . import palette

__all__ = ["Explorer", "ghost_line", "line", "make_control", "make_figure", "scale_toggle", "view_slider"]

_CSS = f"""
<style>
.dw-explorer {{ --jp-widgets-font-size: {palette.FONT_TEXT}; font-size: {palette.FONT_TEXT}; }}
.dw-explorer .bqplot .axislabel, .dw-explorer .bqplot text.axislabel {{ font-size: {palette.FONT_LABEL}; }}
.dw-explorer .bqplot .mainheading {{ font-size: {palette.FONT_TITLE}; }}
.dw-explorer .dw-readout {{ font-size: {palette.FONT_TEXT}; line-height: 1.4; margin: 0.3em 0; }}
.dw-explorer .dw-message {{ color: #7a2e00; font-weight: 600; }}
.dw-explorer .dw-citation {{ font-size: 14px; color: #333; }}
</style>
"""


#: slider positions across a parameter's range when its ``Param`` sets no step: fine enough
#: that a browser's snapping of a value to the grid shows it within 0.1% of the range
#: (the model itself always runs the exact value, see ``Explorer._is_echo``)
SLIDER_POSITIONS = 1000


def _nice_step(span: float) -> float:
    """The largest 1, 2 or 5 times a power of ten that cuts ``span`` in at least 1000 steps."""
    raw = span / SLIDER_POSITIONS
    exp = math.floor(math.log10(raw))
    for m in (5, 2, 1):
        if m * 10**exp <= raw:
            return m * 10**exp
    return 10**exp


def _slider_step(p: Param) -> float:
    if p.step is not None:
        return p.step
    if p.log:
        return (math.log10(p.high) - math.log10(p.low)) / SLIDER_POSITIONS
    return _nice_step(p.high - p.low)


def control_label(p: Param) -> str:
    """What the student reads beside the control: label and unit."""
    label = p.label or p.name
    return f"{label} ({p.unit})" if p.unit else label


def make_control(p: Param, *, continuous: bool = True) -> widgets.ValueWidget:
    """The widget for one ``Param``: a dropdown, an integer, linear or logarithmic slider."""
    common: dict[str, Any] = {
        "description": control_label(p),
        "tooltip": f"{p.doc} (source: {p.source})" if p.source else p.doc,
        "style": {"description_width": "310px"},
        "layout": widgets.Layout(width="610px"),
    }
    if p.categorical:
        return widgets.Dropdown(options=list(p.choices), value=p.default, **common)
    common["continuous_update"] = continuous
    if p.log:
        w = widgets.FloatLogSlider(
            value=float(p.default),
            base=10,
            min=math.log10(p.low),
            max=math.log10(p.high),
            step=_slider_step(p),
            readout_format=".3g",
            **common,
        )
    elif p.integer:
        w = widgets.IntSlider(
            value=int(p.default), min=int(p.low), max=int(p.high), step=int(p.step or 1), **common
        )
    else:
        w = widgets.FloatSlider(
            value=float(p.default),
            min=p.low,
            max=p.high,
            step=_slider_step(p),
            readout_format=".3g",
            **common,
        )
    return w


def view_slider(
    description: str,
    value: float,
    low: float,
    high: float,
    step: float,
    tooltip: str,
    *,
    continuous: bool = False,
) -> widgets.ValueWidget:
    """A display control (time span and the like) styled like the parameter sliders.

    Whole-number ranges give an ``IntSlider``. It reports on release by default: changing
    the time span reruns the model, and a dragged span slider should not queue runs.
    """
    common: dict[str, Any] = {
        "description": description,
        "tooltip": tooltip,
        "continuous_update": continuous,
        "style": {"description_width": "310px"},
        "layout": widgets.Layout(width="610px"),
    }
    if all(float(v).is_integer() for v in (value, low, high, step)):
        return widgets.IntSlider(value=int(value), min=int(low), max=int(high), step=int(step), **common)
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, readout_format=".3g", **common)


def scale_toggle(description: str, labels: tuple[str, str], tooltip: str) -> widgets.ToggleButtons:
    """Log/linear switch for an axis: values ``"log"`` and ``"linear"``, log first."""
    return widgets.ToggleButtons(
        options=[(labels[0], "log"), (labels[1], "linear")],
        value="log",
        description=description,
        tooltip=tooltip,
        style={"description_width": "auto", "button_width": "120px"},
    )


def make_figure(
    title: str,
    x_label: str,
    y_label: str,
    *,
    x_scale: bq.Scale | None = None,
    y_scale: bq.Scale | None = None,
    width: str = "560px",
    height: str = "380px",
    x_format: str | None = None,
    y_format: str | None = None,
) -> tuple[bq.Figure, bq.Scale, bq.Scale]:
    """A figure with projector-sized fonts; returns the figure and its x and y scales."""
    xs = x_scale or bq.LinearScale()
    ys = y_scale or bq.LinearScale()
    tick = {"font-size": palette.FONT_TICKS}
    ax_x = bq.Axis(scale=xs, label=x_label, tick_style=tick, grid_lines="dashed")
    ax_y = bq.Axis(
        scale=ys, label=y_label, side="left", tick_style=tick, grid_lines="dashed", label_offset="4em"
    )
    if x_format:
        ax_x.tick_format = x_format
    if y_format:
        ax_y.tick_format = y_format
    fig = bq.Figure(
        title=title,
        axes=[ax_x, ax_y],
        marks=[],
        fig_margin={"top": 50, "bottom": 60, "left": 90, "right": 30},
        title_style={"font-size": palette.FONT_TITLE},
        legend_style={"font-size": "14px"},
        layout=widgets.Layout(width=width, height=height),
        animation_duration=0,
    )
    return fig, xs, ys


def line(
    xs: bq.Scale,
    ys: bq.Scale,
    *,
    color: str,
    dash: str = "solid",
    label: str = "",
    width: float = 3,
    **kw: Any,
) -> bq.Lines:
    """A Lines mark in the palette's style, empty until ``draw`` fills it."""
    return bq.Lines(
        x=np.zeros(0),
        y=np.zeros(0),
        scales={"x": xs, "y": ys},
        colors=[color],
        line_style=dash,
        stroke_width=width,
        labels=[label] if label else [],
        display_legend=bool(label),
        **kw,
    )


def ghost_line(
    xs: bq.Scale, ys: bq.Scale, *, color: str = palette.GREY, dash: str = "dashed", width: float = 3
) -> bq.Lines:
    """The faded copy of a curve that "keep this run" fills (see ``Explorer.ghost_pairs``)."""
    return line(xs, ys, color=color, dash=dash, width=width, opacities=[palette.GHOST_OPACITY])


class Explorer(widgets.VBox):
    """Base of every mechanism explorer (an ``ipywidgets.VBox``).

    Subclasses set ``model`` (the module in ``dormancy_widgets.models``), ``title`` and
    ``intro``, and implement ``build`` (create figures and marks once; return the figures),
    ``draw(result)`` (move data into the marks) and ``describe(result)`` (the readout
    sentence). Optional hooks: ``run(params)`` to call the model differently,
    ``ghost_pairs()`` for "keep this run", ``view_controls`` for display-only widgets.

    Public attributes: ``controls`` (parameter name -> widget), ``figures``, ``result`` (the
    model's last ``Result``), ``readout`` (HTML widget whose text says what the plot shows),
    ``model``, ``error`` (the last rejection message or ``None``), ``set(**params)``,
    ``preset(name)``, ``reset()``, ``keep_run()``, ``to_csv()``, ``settings_code()``, and for
    stochastic models ``seed`` and ``run_again()`` (a button in the toolbar).
    """

    model: ClassVar[ModuleType]
    title: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    #: parameters whose sliders only report on release (models too heavy to run per pixel)
    slow_params: ClassVar[frozenset[str]] = frozenset()
    #: short name used for export file names
    slug: ClassVar[str] = "run"
    #: label of the "new random sample" button that stochastic models get
    rerun_label: ClassVar[str] = "Run again"
    #: output times in days (None: the model's ``DEFAULT_T``)
    t: np.ndarray | None = None

    def __init__(self, preset: str | None = None, *, seed: int = 2024, **params: Any) -> None:
        super().__init__()
        self.add_class("dw-explorer")
        self.seed = seed
        self.first_seed = seed
        self.result: Result | None = None
        self.error: str | None = None
        self.last_update_ms = math.nan
        if self.t is None:
            self.t = np.asarray(self.model.DEFAULT_T, dtype=float)
        self._quiet = False
        #: the values the model runs with; a control may show them rounded to its step
        self._applied: dict[str, Any] = {name: p.default for name, p in self.model.PARAMS.items()}
        self.controls: dict[str, widgets.ValueWidget] = {
            name: make_control(p, continuous=name not in self.slow_params)
            for name, p in self.model.PARAMS.items()
        }
        self.view_controls: dict[str, widgets.ValueWidget] = {}
        self.figures: list[bq.Figure] = list(self.build())

        self.readout = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.readout.add_class("dw-readout")
        self.message = widgets.HTML()
        self.message.add_class("dw-message")
        #: problems with the settings a link asked for; unlike ``message`` it stays put
        self.notice = widgets.HTML()
        self.notice.add_class("dw-message")
        self.citation = widgets.HTML()
        self.citation.add_class("dw-citation")
        self.export_area = widgets.HTML()

        presets = self.model.PRESETS
        self.preset_picker = widgets.Dropdown(
            options=[("custom settings", "")] + [(name, name) for name in presets],
            value="",
            description="Preset",
            tooltip="Load published or teaching parameter values; the citation appears below",
            layout=widgets.Layout(width="420px"),
        )
        self.buttons = {
            "keep": widgets.Button(
                description="Keep this run",
                icon="thumb-tack",
                tooltip="Leave a faded copy of the current curves for comparison",
            ),
            "clear": widgets.Button(
                description="Clear kept", icon="eraser", tooltip="Remove the faded comparison curves"
            ),
            "reset": widgets.Button(
                description="Reset", icon="undo", tooltip="Back to the settings the explorer opened with"
            ),
            "csv": widgets.Button(
                description="CSV", icon="download", tooltip="Download the current run as a CSV table"
            ),
            "png": widgets.Button(description="PNG", icon="image", tooltip="Save the figures as PNG"),
            "svg": widgets.Button(description="SVG", icon="image", tooltip="Save the figures as SVG"),
            "code": widgets.Button(
                description="Settings as code",
                icon="code",
                tooltip="Show a one-line set(...) call that recreates these settings",
            ),
        }
        if self.model.STOCHASTIC:
            self.buttons["rerun"] = widgets.Button(
                description=self.rerun_label,
                icon="refresh",
                tooltip="Same settings, new random sample: the random seed moves on by one",
            )
            self.buttons["rerun"].on_click(lambda _: self.run_again())
        for b in self.buttons.values():
            b.layout = widgets.Layout(width="auto")
        self.buttons["keep"].on_click(lambda _: self.keep_run())
        self.buttons["clear"].on_click(lambda _: self.clear_kept())
        self.buttons["reset"].on_click(lambda _: self.reset())
        self.buttons["csv"].on_click(lambda _: self._show_csv_link())
        self.buttons["png"].on_click(lambda _: self.save_figures("png"))
        self.buttons["svg"].on_click(lambda _: self.save_figures("svg"))
        self.buttons["code"].on_click(lambda _: self._show_code())
        self.preset_picker.observe(self._on_preset, "value")
        for w in self.controls.values():
            w.observe(self._on_change, "value")
        for w in self.view_controls.values():
            w.observe(self._on_view_change, "value")

        self.children = self._layout()

        self._start_values = self._values()
        self._start_preset = ""
        if preset is not None:
            self.preset(preset)
            self._start_preset = preset
        if params:
            self.set(**params)
        if preset is None and not params:
            self.update()
        self._start_values = self._values()

    # ----------------------------------------------------------------- subclass hooks
    def build(self) -> Iterable[bq.Figure]:  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self, result: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self, result: Any) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, params: Mapping[str, Any]) -> Any:
        """Run the model for the current settings (override to pass extra arguments)."""
        return self.model.simulate(self.t, seed=self.seed, **params)

    def ghost_pairs(self) -> list[tuple[bq.Mark, bq.Mark]]:
        """(live mark, ghost mark) pairs that "keep this run" copies; none by default."""
        return []

    def extra_layout(self) -> list[widgets.Widget]:
        """Widgets placed between the figures and the readout (e.g. view toggles)."""
        return [widgets.HBox(list(self.view_controls.values()))] if self.view_controls else []

    # ----------------------------------------------------------------- public API
    @property
    def params(self) -> dict[str, Any]:
        """The current parameter values, as the model receives them."""
        return self._values()

    def set(self, **params: Any) -> None:
        """Set several parameters at once, then run the model once.

        Values are validated against the model's ``PARAMS`` first: an unknown name or an
        out-of-range value raises ``ValueError`` and leaves the explorer unchanged.
        """
        merged = {**self._values(), **params}
        validate(self.model.PARAMS, merged)
        self._quiet = True
        try:
            for name, value in params.items():
                value = self._typed(name, value)
                self._applied[name] = value
                self.controls[name].value = value
        finally:
            self._quiet = False
        self._mark_custom()
        self.update()

    def preset(self, name: str) -> None:
        """Load a named preset of the model and show its citation."""
        if name not in self.model.PRESETS:
            raise ValueError(
                f"preset = {name!r} is not allowed: choose one of {', '.join(self.model.PRESETS)}."
            )
        p = self.model.PRESETS[name]
        self.set(**p.values)
        self._quiet = True
        try:
            self.preset_picker.value = name
        finally:
            self._quiet = False
        desc = f"{html.escape(p.description)} " if p.description else ""
        self.citation.value = f"<b>{html.escape(name)}</b>: {desc}<i>Source:</i> {html.escape(p.citation)}"

    def reset(self) -> None:
        """Back to the settings the explorer opened with."""
        if self._start_preset:
            self.preset(self._start_preset)
        self.set(**self._start_values)
        if not self._start_preset:
            self._mark_custom()

    def keep_run(self) -> None:
        """Copy the current curves into their faded ghosts."""
        for live, ghost in self.ghost_pairs():
            with ghost.hold_sync():
                ghost.x = np.array(live.x, copy=True)
                ghost.y = np.array(live.y, copy=True)

    def clear_kept(self) -> None:
        for _, ghost in self.ghost_pairs():
            with ghost.hold_sync():
                ghost.x = np.zeros(0)
                ghost.y = np.zeros(0)

    def run_again(self) -> None:
        """Same settings, a new random sample: the seed moves on by one (stochastic models)."""
        self.seed += 1
        self.update()

    def to_csv(self) -> str:
        """The current run as CSV text ('' when the last settings were rejected)."""
        return self.result.to_csv() if self.result is not None else ""

    def settings_code(self, name: str = "explorer") -> str:
        """A one-line ``set(...)`` call that recreates the current settings."""
        parts = []
        for k, v in self._values().items():
            parts.append(f"{k}={v!r}" if isinstance(v, str) else f"{k}={_num(v)}")
        return f"{name}.set({', '.join(parts)})"

    def save_figures(self, fmt: str = "png") -> list[str]:
        """Ask the browser to save every figure as ``fmt`` (png or svg); returns file names."""
        names = []
        for i, fig in enumerate(self.figures):
            fname = f"{self.slug}{'_' + str(i + 1) if len(self.figures) > 1 else ''}.{fmt}"
            (fig.save_png if fmt == "png" else fig.save_svg)(fname)
            names.append(fname)
        self.export_area.value = "Saving " + ", ".join(names) + " through the browser."
        return names

    def update(self) -> None:
        """Run the model for the current controls and redraw in place."""
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                result = self.run(self._values())
                self._check_finite(result)
        except (ValueError, FloatingPointError, RuntimeWarning) as exc:
            self.error = str(exc)
            self.message.value = "⚠ These settings cannot be run: " + html.escape(str(exc))
            return
        self.error = None
        if self.message.value:
            self.message.value = ""
        self.result = result
        self.draw(result)
        self.readout.value = f'<p role="status" aria-live="polite">{self.describe(result)}</p>'
        self.last_update_ms = (time.perf_counter() - start) * 1e3

    # ----------------------------------------------------------------- internals
    def _values(self) -> dict[str, Any]:
        return dict(self._applied)

    def _typed(self, name: str, value: Any) -> Any:
        p = self.model.PARAMS[name]
        if p.categorical:
            return str(value)
        return int(round(float(value))) if p.integer else float(value)

    def _is_echo(self, name: str, new: Any) -> bool:
        """True when ``new`` is only the control's rounding of the value the model runs with.

        A browser snaps a slider's value to the slider's step grid and sends it back; a
        preset value such as 0.192 or 30 between two grid points must not be replaced by
        its rounded neighbour (that would change the model and mark the preset modified).
        """
        w = self.controls[name]
        old = self._applied[name]
        step = getattr(w, "step", None)
        if isinstance(w, widgets.Dropdown) or not step or isinstance(w, widgets.IntSlider):
            return new == old
        if isinstance(w, widgets.FloatLogSlider):
            if new <= 0 or old <= 0:
                return False
            return abs(math.log10(new) - math.log10(old)) <= step / 2 * (1 + 1e-9)
        return abs(new - old) <= step / 2 * (1 + 1e-9)

    def _check_finite(self, result: Any) -> None:
        states = result.states() if hasattr(result, "states") else {}
        for key, arr in states.items():
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"the model returned non-finite values for {key}")

    def _on_change(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        name = next(n for n, w in self.controls.items() if w is change["owner"])
        if self._is_echo(name, change["new"]):
            return
        self._applied[name] = self._typed(name, change["new"])
        self._mark_custom()
        self.update()

    def _on_view_change(self, change: Mapping[str, Any]) -> None:
        # view controls (time span, axis type) may change what the model is asked for
        if not self._quiet:
            self.update()

    def _on_preset(self, change: Mapping[str, Any]) -> None:
        if self._quiet or not change["new"]:
            return
        self.preset(change["new"])

    def _mark_custom(self) -> None:
        name = self.preset_picker.value
        if name and any(
            not _same(self._values().get(k), v) for k, v in self.model.PRESETS[name].values.items()
        ):
            self._quiet = True
            try:
                self.preset_picker.value = ""
            finally:
                self._quiet = False
            self.citation.value = f"Modified from preset <b>{html.escape(name)}</b>."

    def _show_csv_link(self) -> None:
        text = self.to_csv()
        if not text:
            self.export_area.value = "Nothing to export: the current settings were rejected."
            return
        payload = base64.b64encode(text.encode()).decode()
        fname = f"{self.slug}.csv"
        self.export_area.value = (
            f'<a download="{fname}" href="data:text/csv;base64,{payload}">'
            f"Download {fname}</a> ({len(text.splitlines()) - 1} rows)"
        )

    def _show_code(self) -> None:
        self.export_area.value = (
            "Paste this into a notebook cell to recreate these settings:<br>"
            f"<code>{html.escape(self.settings_code())}</code>"
        )

    def _layout(self) -> tuple[widgets.Widget, ...]:
        head = widgets.HTML(
            _CSS
            + f"<h3 style='margin:0.2em 0'>{html.escape(self.title)}</h3>"
            + (f"<p style='margin:0.2em 0'>{self.intro}</p>" if self.intro else "")
        )
        controls = list(self.controls.values())
        half = (len(controls) + 1) // 2
        grid = widgets.HBox(
            [widgets.VBox(controls[:half]), widgets.VBox(controls[half:])],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        extra = self.extra_layout()
        placed = {id(w) for w in _descendants(extra)}  # buttons a subclass put beside its plot
        toolbar = widgets.HBox(
            [b for b in self.buttons.values() if id(b) not in placed],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        return (
            head,
            widgets.HBox(self.figures, layout=widgets.Layout(flex_flow="row wrap")),
            *extra,
            self.readout,
            self.message,
            self.notice,
            grid,
            widgets.HBox([self.preset_picker, self.citation]),
            toolbar,
            self.export_area,
        )


def _descendants(items: Iterable[widgets.Widget]) -> list[widgets.Widget]:
    out: list[widgets.Widget] = []
    for w in items:
        out.append(w)
        out.extend(_descendants(getattr(w, "children", ())))
    return out


def _num(v: Any) -> str:
    """Shortest faithful literal for a float: 30, 0.192, 3e+12."""
    v = float(v)
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.6g}"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return bool(np.isclose(float(a), float(b), rtol=1e-6, atol=0))
