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
import functools
import html
import math
import re
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..models.base import Result
from ..models.params import Param, validate
from . import fmt, palette

__all__ = [
    "Explorer",
    "ScaleSwitch",
    "TimeSpan",
    "band",
    "between_xy",
    "control_label",
    "dots",
    "ghost_line",
    "label",
    "line",
    "make_control",
    "make_figure",
    "scale_toggle",
    "set_xy",
    "snap_to_range",
    "view_slider",
    "window_xy",
]

#: the explorer's layout, written once for every explorer (see ``Explorer._layout``).
#: Wide (the explorer at least 874 px wide: a 1024 projector, JupyterLab at 1366 with its
#: file browser open): plots on the left, the controls in a column beside them, the plots
#: staying in view while the column scrolls; narrower (a phone, a narrow window): the
#: controls wrap below the plots. Controls show their label above the slider and the exact value
#: beside the label, so a row never needs more than the column's width.
_CSS = f"""
<style>
.dw-explorer {{
  --jp-widgets-font-size: {palette.FONT_TEXT}; font-size: {palette.FONT_TEXT}; color: {palette.INK};
  container-type: inline-size; container-name: dw; box-sizing: border-box; max-width: 100%;
}}
.dw-explorer .dw-title {{ margin: 0.1em 0; font-size: 20px; }}
.dw-explorer .dw-intro {{ margin: 0.1em 0 0.3em; line-height: 1.35; }}
.dw-explorer .dw-body {{ display: flex; flex-flow: row wrap; gap: 6px 24px; align-items: flex-start; }}
/* no scroll boxes inside an explorer (ipywidgets boxes scroll by default): the layout fits */
.dw-explorer .dw-body, .dw-explorer .dw-plots, .dw-explorer .dw-side, .dw-explorer .dw-figures,
.dw-explorer .dw-figure, .dw-explorer .dw-controls, .dw-explorer .dw-control {{ overflow: visible; }}
.dw-explorer .dw-plots {{ flex: 1 1 480px; min-width: 0; max-width: 100%; }}
@container dw (max-width: 873px) {{
  .dw-explorer .dw-side {{ flex: 1 1 100%; }}
}}
.dw-explorer .dw-figures {{ display: flex; flex-flow: row wrap; gap: 4px 12px; }}
.dw-explorer .dw-figure {{ flex: 1 1 460px; min-width: 260px; max-width: 100%; }}
.dw-explorer .dw-figure .bqplot {{ width: 100%; }}
.dw-explorer .dw-side {{ flex: 0 1 370px; min-width: 0; }}
@container dw (min-width: 874px) {{
  .dw-explorer .dw-plots {{ position: sticky; top: 0; }}
}}
@container dw (min-width: 620px) and (max-width: 873px) {{
  .dw-explorer .dw-controls {{ grid-template-columns: 1fr 1fr; }}
}}
.dw-explorer .dw-legend {{ display: none; }}
@container dw (max-width: 520px) {{
  /* a phone: the plot's own legend would cover its data; the same keys go below it as text */
  .dw-explorer .bqplot g.g_legend {{ display: none; }}
  .dw-explorer .dw-legend {{ display: block; margin: 0 0 4px 8px; }}
  .dw-explorer .bqplot .mainheading {{ font-size: 15px !important; }}
  .dw-explorer .bqplot .tick text, .dw-explorer .bqplot text.legendtext {{ font-size: 13px !important; }}
  .dw-explorer .dw-title {{ font-size: 18px; }}
}}
.dw-explorer .dw-controls {{ display: grid; grid-template-columns: 1fr; gap: 0 20px; }}
.dw-explorer .dw-control {{
  display: grid !important; grid-template-columns: minmax(0, 1fr) auto;
  grid-template-areas: "label value" "input input"; align-items: end; margin: 0 0 4px; min-width: 0;
}}
.dw-explorer .dw-control > .widget-inline-hbox {{ display: contents !important; }}
.dw-explorer .dw-control .widget-label {{
  grid-area: label; width: auto !important; max-width: none !important; text-align: left !important;
  white-space: normal !important; overflow: visible; line-height: 1.25; margin: 0; padding: 0;
  height: auto !important;
}}
.dw-explorer .dw-control .slider-container {{ grid-area: input; min-width: 0; margin: 0 10px; }}
.dw-explorer .dw-control select {{ grid-area: input; width: 100%; min-width: 0; }}
.dw-explorer .dw-control .dw-value {{ grid-area: value; margin: 0 0 0 8px; }}
.dw-explorer .dw-value {{ font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.dw-explorer .dw-onrelease {{ font-weight: 400; font-size: 13px; color: #444; }}
.dw-explorer .dw-note {{ font-size: 14px; color: #444; margin: 0.2em 0; }}
.dw-explorer .widget-hbox, .dw-explorer .widget-toggle-buttons {{ flex-wrap: wrap; }}
.dw-explorer .dw-view {{ max-width: 100%; }}
.dw-explorer .dw-view .widget-label {{
  max-width: 60% !important; white-space: normal !important; height: auto;
}}
.dw-explorer .widget-dropdown {{ max-width: 100%; }}
.dw-explorer .widget-dropdown select {{ min-width: 0; }}
.dw-explorer .bqplot .axislabel, .dw-explorer .bqplot text.axislabel {{
  font-size: {palette.FONT_LABEL}; fill: {palette.INK};
}}
.dw-explorer .bqplot .tick text {{ fill: {palette.INK}; }}
.dw-explorer .bqplot text.legendtext {{ fill: {palette.INK} !important; }}
.dw-explorer .bqplot .mainheading {{ font-size: {palette.FONT_TITLE}; fill: {palette.INK}; }}
.dw-explorer .dw-readout {{ font-size: {palette.FONT_TEXT}; line-height: 1.4; margin: 0.3em 0; }}
.dw-explorer .dw-message {{ color: #7a2e00; font-weight: 600; overflow-wrap: anywhere; }}
.dw-explorer .dw-citation {{ font-size: 14px; color: #333; overflow-wrap: anywhere; }}
.dw-explorer .dw-sr, .dw-explorer .dw-sr .widget-html-content {{
  position: absolute !important; width: 1px !important; height: 1px !important; overflow: hidden !important;
  clip-path: inset(50%); white-space: normal !important; margin: 0; padding: 0; border: 0;
}}
.dw-explorer .dw-figure {{ position: relative; }}
.dw-explorer .dw-keys {{
  display: flex; flex-flow: row wrap; gap: 2px 14px; font-size: 14px; line-height: 1.3;
}}
.dw-explorer .dw-key {{ display: inline-flex; align-items: center; gap: 6px; }}
.dw-explorer .dw-swatch {{ display: inline-block; width: 20px; height: 12px; flex: none; }}
.dw-explorer .dw-swatch.dw-line {{ height: 0; border-top-width: 3px; }}
.jupyter-widgets.widget-button:not([style*="width"]) {{ width: auto; }}
.dw-explorer .widget-button, .dw-explorer .widget-toggle-button {{
  text-overflow: clip; overflow: visible; flex-shrink: 0; max-width: none;
}}
.dw-explorer :focus-visible, .dw-explorer .noUi-handle:focus, .jupyter-widgets.widget-button:focus-visible {{
  outline: 3px solid {palette.FOCUS} !important; outline-offset: 2px;
}}
</style>
"""

#: names and values for assistive technology, set in the page (ipywidgets cannot set ARIA
#: attributes): every slider handle gets the row's label as its name and the row's formatted
#: value (``13,000 cells/day``, never the log slider's exponent) as ``aria-valuetext``; run
#: messages and link notices become alerts; the one-sentence summary a polite live region that
#: stays in place; each plot an image named by its text alternative. Runs once per page and then
#: follows the explorers with a MutationObserver that ignores the plots' own redraws.
_A11Y_JS = """
(function () {
  if (window.__dwA11y) { window.__dwA11y(); return; }
  function put(el, key, value) { if (value && el.getAttribute(key) !== value) el.setAttribute(key, value); }
  function text(el) { return el ? el.textContent.replace(/\\s+/g, ' ').trim() : ''; }
  function fix() {
    document.querySelectorAll('.dw-explorer').forEach(function (ex) {
      put(ex, 'role', 'region');
      put(ex, 'aria-label', text(ex.querySelector('.dw-title')) || 'explorer');
      ex.querySelectorAll('.dw-control').forEach(function (row) {
        var name = text(row.querySelector('.widget-label'));
        var value = text(row.querySelector('.dw-value .dw-v'));
        row.querySelectorAll('.noUi-handle').forEach(function (h) {
          put(h, 'aria-label', name); put(h, 'aria-valuetext', value);
        });
        row.querySelectorAll('select').forEach(function (sel) { put(sel, 'aria-label', name); });
      });
      ex.querySelectorAll('.widget-slider').forEach(function (sl) {
        if (sl.closest('.dw-control')) return;
        var name = text(sl.querySelector('.widget-label'));
        var value = text(sl.querySelector('.widget-readout'));
        sl.querySelectorAll('.noUi-handle').forEach(function (h) {
          put(h, 'aria-label', name); put(h, 'aria-valuetext', value);
        });
      });
      ex.querySelectorAll('.widget-dropdown, .widget-checkbox, .widget-toggle-buttons').forEach(function (w) {
        if (w.closest('.dw-control')) return;
        var name = text(w.querySelector('.widget-label'));
        w.querySelectorAll('select, input, .widget-toggle-button').forEach(function (c) {
          if (!c.getAttribute('aria-label') && name && c.tagName === 'SELECT') put(c, 'aria-label', name);
        });
      });
      ex.querySelectorAll('.dw-message').forEach(function (m) { put(m, 'role', 'alert'); });
      ex.querySelectorAll('.dw-live').forEach(function (m) {
        put(m, 'role', 'status'); put(m, 'aria-live', 'polite'); put(m, 'aria-atomic', 'true');
      });
      ex.querySelectorAll('.dw-figure').forEach(function (f) {
        var fig = f.querySelector('.bqplot');
        var alt = text(f.querySelector('.dw-alt'));
        if (fig && alt) { put(fig, 'role', 'img'); put(fig, 'aria-label', alt); }
      });
    });
  }
  var queued = false;
  function later() { if (!queued) { queued = true; setTimeout(function () { queued = false; fix(); }, 0); } }
  new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      var t = records[i].target;
      var el = t.nodeType === 1 ? t : t.parentElement;
      if (el && !el.closest('svg')) { later(); return; }
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true, attributeFilter: ['aria-valuetext']});
  window.__dwA11y = fix;
  fix();
})();
"""

#: shown above the controls when some sliders redraw only when let go
RELEASE_NOTE = "Sliders marked “on release” redraw the plot when you let go of them."

#: a value within this relative distance of a range end is that end: a log slider's ends are
#: ``10**log10(x)``, which differs from ``x`` in the last bits (12.000000000000002 for 12)
SNAP_RTOL = 1e-9


def snap_to_range(p: Param, value: Any) -> Any:
    """``value`` with a float within ``SNAP_RTOL`` of ``p.low`` or ``p.high`` replaced by that end."""
    if p.categorical or isinstance(value, str):
        return value
    v = float(value)
    for end in (p.low, p.high):
        if math.isfinite(end) and abs(v - end) <= SNAP_RTOL * max(abs(end), 1e-300):
            return float(end)
    return v


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
    """The widget for one ``Param``: a dropdown, an integer, linear or logarithmic slider.

    Sliders carry no readout of their own: the explorer writes the exact value the model
    runs with beside the label (``fmt.with_unit``), which a slider's grid cannot show.
    """
    common: dict[str, Any] = {
        "description": control_label(p),
        "tooltip": f"{p.doc} (source: {p.source})" if p.source else p.doc,
        "style": {"description_width": "initial"},
        "layout": widgets.Layout(width="auto", min_width="0"),
    }
    if p.categorical:
        return widgets.Dropdown(options=list(p.choices), value=p.default, **common)
    common["continuous_update"] = continuous
    common["readout"] = False
    if p.log:
        w = widgets.FloatLogSlider(
            value=float(p.default),
            base=10,
            min=math.log10(p.low),
            max=math.log10(p.high),
            step=_slider_step(p),
            **common,
        )
    elif p.integer:
        w = widgets.IntSlider(
            value=int(p.default), min=int(p.low), max=int(p.high), step=int(p.step or 1), **common
        )
    else:
        w = widgets.FloatSlider(value=float(p.default), min=p.low, max=p.high, step=_slider_step(p), **common)
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
        "style": {"description_width": "initial"},
        "layout": widgets.Layout(width="100%", max_width="520px", min_width="0"),
    }
    if all(float(v).is_integer() for v in (value, low, high, step)):
        w = widgets.IntSlider(value=int(value), min=int(low), max=int(high), step=int(step), **common)
    else:
        w = widgets.FloatSlider(value=value, min=low, max=high, step=step, readout_format=".3g", **common)
    w.add_class("dw-view")
    return w


def scale_toggle(description: str, labels: tuple[str, str], tooltip: str) -> widgets.ToggleButtons:
    """Log/linear switch for an axis: values ``"log"`` and ``"linear"``, log first."""
    return widgets.ToggleButtons(
        options=[(labels[0], "log"), (labels[1], "linear")],
        value="log",
        description=description,
        tooltip=tooltip,
        style={"description_width": "auto", "button_width": "120px"},
    )


class ScaleSwitch:
    """One log/linear switch: its toggle buttons and the scales it swaps in and out.

    ``log`` and ``linear`` are matching scales (one or several, e.g. a time plot's y and a
    phase plane's x and y); the figures are built on the log ones. ``attach`` names the
    figures (and any mark drawn outside them) that use them; ``apply()``, called at the top
    of ``draw``, puts the chosen set into every axis and mark that holds the other set and
    refreshes the ticks::

        self.axis = ScaleSwitch("cell axis", ("log cells", "linear cells"), "...",
                                log=bq.LogScale(min=1.0), linear=bq.LinearScale(min=0.0))
        self.view_controls["axis"] = self.axis.toggle
        fig, xs, ys = make_figure(..., y_scale=self.axis.scale())
        self.axis.attach(fig)
        ...
        def draw(self, result):
            self.axis.apply()          # then self.axis.log, self.axis.scale()

    ``tick_formats`` (log, linear) sets the swapped axes' number format as well.
    """

    def __init__(
        self,
        description: str,
        labels: tuple[str, str],
        tooltip: str,
        *,
        log: bq.Scale | Iterable[bq.Scale],
        linear: bq.Scale | Iterable[bq.Scale],
        tick_formats: tuple[str | None, str | None] | None = None,
    ) -> None:
        self.toggle = scale_toggle(description, labels, tooltip)
        logs = (log,) if isinstance(log, bq.Scale) else tuple(log)
        lins = (linear,) if isinstance(linear, bq.Scale) else tuple(linear)
        if len(logs) != len(lins):
            raise ValueError(
                f"log and linear = {len(logs)} and {len(lins)} scales: give one linear scale per log scale."
            )
        self.scales: dict[str, tuple[bq.Scale, ...]] = {"log": logs, "linear": lins}
        self.tick_formats = dict(zip(("log", "linear"), tick_formats)) if tick_formats else None
        self.figures: list[bq.Figure] = []
        self.marks: list[bq.Mark] = []
        self._mode = "log"

    @property
    def log(self) -> bool:
        """True when the toggle asks for logarithmic axes."""
        return self.toggle.value == "log"

    def scale(self, index: int = 0) -> bq.Scale:
        """The scale in use at position ``index`` (of the ``log``/``linear`` sets)."""
        return self.scales[self._mode][index]

    def attach(self, *items: bq.Figure | bq.Mark) -> None:
        """Figures whose axes and marks follow the switch, and marks drawn outside any figure."""
        for item in items:
            (self.figures if isinstance(item, bq.Figure) else self.marks).append(item)

    def apply(self) -> bool:
        """Swap to the toggle's choice if it changed since the last call; True when it did."""
        mode = self.toggle.value
        if mode == self._mode:
            return False
        swap = {id(old): new for old, new in zip(self.scales[self._mode], self.scales[mode])}
        marks = [m for fig in self.figures for m in fig.marks] + self.marks
        for mark in marks:
            scales = dict(mark.scales or {})
            if any(id(sc) in swap for sc in scales.values()):
                mark.scales = {k: swap.get(id(sc), sc) for k, sc in scales.items()}
        for fig in self.figures:
            for ax in fig.axes:
                if id(ax.scale) in swap:
                    ax.scale = swap[id(ax.scale)]
                    if self.tick_formats is not None:
                        ax.tick_format = self.tick_formats[mode]
                    _set_ticks(ax)
        self._mode = mode
        return True


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
    tick = {"font-size": palette.FONT_TICKS, "fill": palette.INK}
    common: dict[str, Any] = {"tick_style": tick, "grid_lines": "solid", "grid_color": palette.GRID}
    ax_x = bq.Axis(scale=xs, label=x_label, label_color=palette.INK, **common)
    ax_y = bq.Axis(
        scale=ys,
        label=y_label,
        side="left",
        label_offset="4em",
        label_color=palette.INK,
        **common,
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
        title_style={"font-size": palette.FONT_TITLE, "fill": palette.INK},
        legend_style={"font-size": "14px", "fill": "white", "fill-opacity": "0.85", "stroke": "#999"},
        legend_text={"fill": palette.INK, "font-size": "14px"},
        # fluid: as wide as its column allows, up to the width it was designed at
        layout=widgets.Layout(width="100%", max_width=width, min_width="260px", height=height),
        animation_duration=0,
    )
    for ax in fig.axes:
        _set_ticks(ax)
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


def band(
    xs: bq.Scale,
    ys: bq.Scale,
    *,
    color: str,
    opacity: float = 0.25,
    fill: str = "inside",
    width: float = 0,
    dash: str = "solid",
    label: str = "",
    **kw: Any,
) -> bq.Lines:
    """A shaded area in one colour, empty until ``draw`` fills it.

    ``fill="inside"`` shades the closed polygon the points trace: a time window
    (``window_xy``) or the region between two curves (``between_xy``); ``fill="bottom"``
    shades from the curve down to the axis (a histogram). ``width`` > 0 also draws the
    outline in ``dash``; ``label`` gives it a legend entry.
    """
    return line(
        xs,
        ys,
        color=color,
        dash=dash,
        label=label,
        width=width,
        fill=fill,
        fill_colors=[color],
        fill_opacities=[opacity],
        **kw,
    )


def label(
    xs: bq.Scale,
    ys: bq.Scale,
    *,
    x: Any = None,
    y: Any = None,
    text: Iterable[str] = (),
    color: str | Iterable[str] = palette.BLACK,
    size: float = 14,
    **kw: Any,
) -> bq.Label:
    """Text in data coordinates, one entry of ``text`` at each (``x``, ``y``); empty by default.

    ``color`` is one colour for every entry or one per entry; text in a series colour is
    darkened for reading when the explorer is built (``palette.text_color``). bqplot writes
    labels bold.
    """
    return bq.Label(
        x=np.zeros(0) if x is None else x,
        y=np.zeros(0) if y is None else y,
        text=list(text),
        scales={"x": xs, "y": ys},
        colors=[color] if isinstance(color, str) else list(color),
        default_size=size,
        **kw,
    )


def dots(
    xs: bq.Scale, ys: bq.Scale, *, color: str, marker: str = "circle", size: float = 64, **kw: Any
) -> bq.Scatter:
    """Markers in one colour (a kept run's values, published data, the current setting), empty
    until ``draw`` fills them unless ``x`` and ``y`` are given."""
    kw.setdefault("x", np.zeros(0))
    kw.setdefault("y", np.zeros(0))
    return bq.Scatter(scales={"x": xs, "y": ys}, marker=marker, colors=[color], default_size=size, **kw)


def window_xy(start: float, stop: float, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """The polygon of a ``band`` that spans ``start``-``stop`` on x and ``low``-``high`` on y."""
    return np.array([start, start, stop, stop], dtype=float), np.array([low, high, high, low], dtype=float)


def between_xy(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The polygon of a ``band`` between two curves over ``x``: along ``upper``, back along ``lower``."""
    x = np.asarray(x, dtype=float)
    return np.concatenate([x, x[::-1]]), np.concatenate([upper, np.asarray(lower)[::-1]])


def set_xy(mark: bq.Mark, x: Any = None, y: Any = None) -> None:
    """Move data into a mark in one message; ``None`` (the default) empties it."""
    with mark.hold_sync():
        if x is None:
            mark.x, mark.y = np.zeros(0), np.zeros(0)
        else:
            mark.x, mark.y = x, y


def _set_ticks(ax: bq.Axis, extent: tuple[float, float] | None = None) -> None:
    """Few round ticks: log axes at powers of ten written ``10ⁿ`` (every k-th decade over many
    decades, so labels never collide), linear axes at 1-2-5 steps (``1,000``, not ``1000``).

    A scale without fixed ``min``/``max`` takes the range of the data (``extent``). An axis
    with its own number format keeps it (``%`` axes get percentages). Other scales (dates)
    keep bqplot's ticks.
    """
    scale = ax.scale
    log = isinstance(scale, bq.LogScale)
    if not (log or isinstance(scale, bq.LinearScale)):
        if getattr(ax, "_dw_ticks", False):
            with ax.hold_sync():
                ax.tick_values = None
                ax.tick_labels = {}
            ax._dw_ticks = False
        return
    lo, hi = scale.min, scale.max
    if lo is None or hi is None:
        if extent is None:
            return
        lo = extent[0] if lo is None else lo
        hi = extent[1] if hi is None else hi
    ticks = fmt.axis_ticks(lo, hi, log=log, max_ticks=6 if log else 5)
    if len(ticks) < 2:
        return
    form = ax.tick_format or ""
    if "%" in form:
        labels = {fmt.js_key(v): fmt.percent(v) for v in ticks}
    elif log or not form:
        labels = {fmt.js_key(v): (fmt.tick(v) if log else fmt.number(v)) for v in ticks}
    else:
        labels = {}
    old = ax.tick_values
    if old is None or len(old) != len(ticks) or not np.allclose(old, ticks, rtol=1e-12, atol=0):
        with ax.hold_sync():
            ax.tick_values = np.array(ticks)
            ax.tick_labels = labels
    elif dict(ax.tick_labels or {}) != labels:
        ax.tick_labels = labels
    ax._dw_ticks = True


#: legend corners the base chooses from, and the rough size of a legend entry in pixels
_CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
_LEGEND_ROW_PX, _LEGEND_CHAR_PX, _LEGEND_PAD_PX = 17.0, 8.0, 44.0


def _px(text: Any, default: float) -> float:
    m = re.match(r"\s*([0-9.]+)px", str(text or ""))
    return float(m.group(1)) if m else default


def _normalized(values: np.ndarray, scale: bq.Scale, extent: tuple[float, float] | None) -> np.ndarray | None:
    """``values`` as fractions (0-1) of the scale's visible range; ``None`` if it is unknown."""
    log = isinstance(scale, bq.LogScale)
    lo = scale.min if getattr(scale, "min", None) is not None else (extent[0] if extent else None)
    hi = scale.max if getattr(scale, "max", None) is not None else (extent[1] if extent else None)
    if lo is None or hi is None or not hi > lo or (log and lo <= 0):
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        if log:
            return (np.log10(values) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        return (values - lo) / (hi - lo)


_DASH = {"dashed": "dashed", "dash_dotted": "dashed", "dotted": "dotted"}


def legend_html(fig: bq.Figure) -> str:
    """The figure's legend as text: a swatch and a label per entry of every mark shown in it.

    On a narrow screen (a phone) this replaces the plot's own legend, which would cover the
    data there; elsewhere it is hidden (see ``_CSS``)."""
    keys = []
    for mark in fig.marks:
        if not (getattr(mark, "display_legend", False) and getattr(mark, "labels", None)):
            continue
        colors = list(getattr(mark, "colors", None) or [palette.INK])
        line_mark = isinstance(mark, bq.Lines) and getattr(mark, "fill", "none") == "none"
        style = _DASH.get(str(getattr(mark, "line_style", "solid")), "solid")
        for i, text in enumerate(mark.labels):
            color = html.escape(str(colors[i % len(colors)]))
            if line_mark:
                swatch = f"<span class='dw-swatch dw-line' style='border-top: 3px {style} {color}'></span>"
            else:
                swatch = f"<span class='dw-swatch' style='background: {color}'></span>"
            keys.append(f"<span class='dw-key'>{swatch}{html.escape(str(text))}</span>")
    return f"<div class='dw-keys'>{''.join(keys)}</div>" if keys else ""


def _place_legend(fig: bq.Figure) -> None:
    """Move the legend to the corner of the plot that holds the fewest plotted points.

    It only moves when its corner is clearly worse than the best one, so a legend does not
    jump about while a slider is dragged.
    """
    entries = [m for m in fig.marks if getattr(m, "display_legend", False) and getattr(m, "labels", None)]
    if not entries:
        return
    labels = [str(t) for m in entries for t in m.labels]
    margin = fig.fig_margin or {}
    width = _px(fig.layout.max_width or fig.layout.width, 560.0)
    width -= margin.get("left", 60) + margin.get("right", 30)
    height = _px(fig.layout.height, 380.0) - margin.get("top", 50) - margin.get("bottom", 60)
    bw = min(0.9, (max(map(len, labels)) * _LEGEND_CHAR_PX + _LEGEND_PAD_PX) / max(width, 100.0))
    bh = min(0.9, (len(labels) * _LEGEND_ROW_PX + 10.0) / max(height, 100.0))
    extents: dict[int, tuple[float, float] | None] = {}
    xs_all, ys_all = [], []
    for mark in fig.marks:
        sx, sy = (mark.scales or {}).get("x"), (mark.scales or {}).get("y")
        x, y = getattr(mark, "x", None), getattr(mark, "y", None)
        if sx is None or sy is None or x is None or y is None:
            continue
        try:
            x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        except (TypeError, ValueError):
            continue
        for sc in (sx, sy):
            if id(sc) not in extents:
                find = _extent if isinstance(sc, bq.LogScale) else _lin_extent
                extents[id(sc)] = find(fig.marks, sc)
        nx, ny = _normalized(x.ravel(), sx, extents[id(sx)]), _normalized(y.ravel(), sy, extents[id(sy)])
        if nx is None or ny is None:
            continue
        xs_all.append(nx)
        ys_all.append(ny)
    if not xs_all:
        return
    nx, ny = np.concatenate(xs_all), np.concatenate(ys_all)
    ok = np.isfinite(nx) & np.isfinite(ny)
    nx, ny = nx[ok], ny[ok]
    count = {}
    for corner in _CORNERS:
        in_x = nx <= bw if corner.endswith("left") else nx >= 1 - bw
        in_y = ny >= 1 - bh if corner.startswith("top") else ny <= bh
        count[corner] = int(np.count_nonzero(in_x & in_y))
    best = min(_CORNERS, key=lambda c: count[c])
    now = fig.legend_location
    if now not in count or count[now] > count[best] + max(2, 0.01 * nx.size):
        fig.legend_location = best


def _lin_extent(marks: Iterable[bq.Mark], scale: bq.Scale) -> tuple[float, float] | None:
    """Smallest and largest finite value the marks plot on ``scale``."""
    lo, hi = math.inf, -math.inf
    for mark in marks:
        for key, sc in (mark.scales or {}).items():
            if sc is not scale or key not in ("x", "y") or getattr(mark, key, None) is None:
                continue
            try:
                arr = np.asarray(getattr(mark, key), dtype=float).ravel()
            except (TypeError, ValueError):
                continue
            arr = arr[np.isfinite(arr)]
            if arr.size:
                lo, hi = min(lo, float(arr.min())), max(hi, float(arr.max()))
    return (lo, hi) if lo < hi else None


def _extent(marks: Iterable[bq.Mark], scale: bq.Scale) -> tuple[float, float] | None:
    """Smallest and largest positive finite value the marks plot on ``scale``."""
    lo, hi = math.inf, -math.inf
    for mark in marks:
        for key, sc in (mark.scales or {}).items():
            if sc is not scale or key not in ("x", "y"):
                continue
            if getattr(mark, key, None) is None:
                continue
            try:
                arr = np.asarray(getattr(mark, key), dtype=float).ravel()
            except (TypeError, ValueError):
                continue
            arr = arr[np.isfinite(arr) & (arr > 0)]
            if arr.size:
                lo, hi = min(lo, float(arr.min())), max(hi, float(arr.max()))
    return (lo, hi) if lo < hi else None


@dataclass(frozen=True)
class TimeSpan:
    """How long an explorer's runs last and how finely they are sampled, declared once.

    ``length`` is the horizon: the name of a view control (a slider built in ``build``) or a
    fixed number; ``unit`` is days per unit of it (1 for days, 365.25 for years, 30.44 for
    months). The output times run from 0 to ``length * unit`` days with either ``per_unit``
    points per unit of the horizon (plus one, for t = 0; a function of the horizon when
    the density depends on it) or a fixed number of ``points``::

        span = TimeSpan("days", per_unit=2)               # half days up to the slider's value
        span = TimeSpan("years", unit=365.25, points=481)
        span = TimeSpan(120.0, unit=30.44, points=241)    # ten years in months, no slider
    """

    length: str | float
    unit: float = 1.0
    per_unit: float | Callable[[float], float] | None = None
    points: int | None = None

    def __post_init__(self) -> None:
        if (self.per_unit is None) == (self.points is None):
            raise ValueError(
                f"per_unit = {self.per_unit!r} and points = {self.points!r}: give exactly one of them."
            )

    def times(self, length: float) -> np.ndarray:
        """Output times in days for a horizon of ``length`` units."""
        length = float(length)
        if self.points is not None:
            n = int(self.points)
        else:
            per = self.per_unit(length) if callable(self.per_unit) else self.per_unit
            n = int(round(length * float(per))) + 1  # type: ignore[arg-type]
        return np.linspace(0.0, length * self.unit, n)


class Explorer(widgets.VBox):
    """Base of every mechanism explorer (an ``ipywidgets.VBox``).

    Subclasses set ``model`` (the module in ``dormancy_widgets.models``), ``title`` and
    ``intro``, and implement ``build`` (create figures and marks once; return the figures),
    ``draw(result)`` (move data into the marks) and ``describe(result)`` (the readout
    sentence). Optional: ``span`` (a ``TimeSpan``: the horizon's view control, its unit and
    the points per unit), which the base ``run`` turns into output times with ``times()``;
    hooks ``run(params)`` to call the model differently (``self.model.simulate(
    self.times(params), **params)`` and more), ``ghost_pairs()`` for "keep this run",
    ``view_controls`` for display-only widgets.

    Marks are built with the kit beside this class: ``line``, ``ghost_line``, ``band``
    (shaded areas; ``window_xy``/``between_xy`` give their polygons), ``label``, ``dots``,
    ``set_xy`` to move data in; a log/linear view switch is a ``ScaleSwitch``; numbers in
    text go through ``widgets.fmt`` (``number``, ``percent``, ``with_unit``).

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
    #: move each figure's legend to the corner where it hides the fewest plotted points
    auto_legend: ClassVar[bool] = True
    #: the runs' time span, declared once (see ``TimeSpan`` and ``times``); None: the model's
    #: ``DEFAULT_T``
    span: ClassVar[TimeSpan | None] = None
    #: output times in days of the last run (``times`` keeps them here)
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
        #: the exact value each slider stands for, formatted with its unit (``fmt.with_unit``)
        self.values: dict[str, widgets.HTML] = {}
        for name, w in self.controls.items():
            if not isinstance(w, widgets.Dropdown):
                self.values[name] = widgets.HTML()
                self.values[name].add_class("dw-value")
                w.observe(self.safe(self._on_continuous), "continuous_update")
        self.view_controls: dict[str, widgets.ValueWidget] = {}
        self.figures: list[bq.Figure] = list(self.build())
        self.times()  # the declared span's times, now that its view control exists
        self._readable_labels()
        #: a text alternative per figure (its title and what it shows), updated on every run
        self.alts = [widgets.HTML() for _ in self.figures]
        for alt in self.alts:
            alt.add_class("dw-alt")
            alt.add_class("dw-sr")

        #: what the plot shows, in full (normal text)
        self.readout = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.readout.add_class("dw-readout")
        #: the polite live region: one node, updated in place with a one-sentence summary
        self.status = widgets.HTML()
        self.status.add_class("dw-live")
        self.status.add_class("dw-sr")
        #: why the last settings could not be run (an alert, shown above the plot)
        self.message = widgets.HTML()
        self.message.add_class("dw-message")
        #: problems with the settings a link asked for; unlike ``message`` it stays put
        self.notice = widgets.HTML()
        self.notice.add_class("dw-message")
        self.citation = widgets.HTML()
        self.citation.add_class("dw-citation")
        self.export_area = widgets.HTML()
        #: says on screen which sliders redraw only when released
        self.release_note = widgets.HTML()
        self.release_note.add_class("dw-note")

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
                tooltip="Leave a faded copy of the current curves for comparison",
            ),
            "clear": widgets.Button(description="Clear kept", tooltip="Remove the faded comparison curves"),
            "reset": widgets.Button(
                description="Reset", tooltip="Back to the settings the explorer opened with"
            ),
            "csv": widgets.Button(description="CSV", tooltip="Download the current run as a CSV table"),
            "png": widgets.Button(description="PNG", tooltip="Save the figures as PNG"),
            "svg": widgets.Button(description="SVG", tooltip="Save the figures as SVG"),
            "code": widgets.Button(
                description="Settings as code",
                tooltip="Show a one-line set(...) call that recreates these settings",
            ),
        }
        # no icons: an icon font would be fetched from a CDN on every page
        if self.model.STOCHASTIC:
            self.buttons["rerun"] = widgets.Button(
                description=self.rerun_label,
                tooltip="Same settings, new random sample: the random seed moves on by one",
            )
            self.buttons["rerun"].on_click(self.safe(lambda _: self.run_again()))
        for b in self.buttons.values():
            b.layout = widgets.Layout(width="auto")
        self.buttons["keep"].on_click(self.safe(lambda _: self.keep_run()))
        self.buttons["clear"].on_click(self.safe(lambda _: self.clear_kept()))
        self.buttons["reset"].on_click(self.safe(lambda _: self.reset()))
        self.buttons["csv"].on_click(self.safe(lambda _: self._show_csv_link()))
        self.buttons["png"].on_click(self.safe(lambda _: self.save_figures("png")))
        self.buttons["svg"].on_click(self.safe(lambda _: self.save_figures("svg")))
        self.buttons["code"].on_click(self.safe(lambda _: self._show_code()))
        self.preset_picker.observe(self.safe(self._on_preset), "value")
        for w in self.controls.values():
            w.observe(self.safe(self._on_change), "value")
        for w in self.view_controls.values():
            w.observe(self.safe(self._on_view_change), "value")

        self.children = self._layout()
        for name in self.values:
            self._show_value(name)

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
        return self.model.simulate(self.times(params), seed=self.seed, **params)

    def horizon(self) -> float:
        """The horizon of ``span`` now: its view control's value, or its fixed length."""
        if self.span is None:
            raise ValueError(f"span = None: {type(self).__name__} declares no time span.")
        length = self.span.length
        return float(self.view_controls[length].value if isinstance(length, str) else length)

    def times(self, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """The output times (days) of a run with ``params``, from the declared ``span``.

        Without a span: the times the explorer holds (the model's ``DEFAULT_T`` unless a
        subclass set others). The times returned are also kept as ``self.t``. ``params`` is
        there for a span that would depend on a model parameter; none does today.
        """
        if self.span is not None:
            self.t = self.span.times(self.horizon())
        return np.asarray(self.t, dtype=float)

    def ghost_pairs(self) -> list[tuple[bq.Mark, bq.Mark]]:
        """(live mark, ghost mark) pairs that "keep this run" copies; none by default."""
        return []

    def extra_layout(self) -> list[widgets.Widget]:
        """Widgets placed between the figures and the readout (e.g. view toggles)."""
        return [widgets.HBox(list(self.view_controls.values()))] if self.view_controls else []

    def summarize(self, result: Any, text: str) -> str:
        """The one sentence the live region announces after a run: by default the first of
        ``describe``'s sentences (the rest stays on screen as normal text)."""
        return _first_sentence(text)

    def alt_text(self, index: int, figure: bq.Figure, summary: str) -> str:
        """Text alternative of figure ``index``: its title and the run's summary sentence."""
        title = figure.title or f"Plot {index + 1}"
        return f"Plot: {title}. {summary}"

    # ----------------------------------------------------------------- callbacks from the page
    def safe(self, callback: Any) -> Any:
        """``callback`` wrapped so that it never raises into the page.

        Every callback a page can trigger (a control change, a button click, a click on a
        figure) goes through this: a model rejection or any other error is shown as the
        explorer's message (an alert) and the plot is left as it was.
        """
        if getattr(callback, "_dw_safe", False):
            return callback

        @functools.wraps(callback)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except Exception as exc:  # a page callback must never raise
                self._show_error(exc)
                return None

        guarded._dw_safe = True  # type: ignore[attr-defined]
        return guarded

    def _show_error(self, exc: BaseException) -> None:
        self.error = str(exc)
        if isinstance(exc, (ValueError, FloatingPointError, RuntimeWarning)):
            text = "⚠ These settings cannot be run: " + str(exc)
        else:
            text = f"⚠ Something went wrong ({type(exc).__name__}: {exc}); the plot shows the last good run."
        self.message.value = html.escape(text)

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
        params = {
            k: snap_to_range(self.model.PARAMS[k], v) if k in self.model.PARAMS else v
            for k, v in params.items()
        }
        merged = {**self._values(), **params}
        validate(self.model.PARAMS, merged)
        self._quiet = True
        try:
            for name, value in params.items():
                value = self._typed(name, value)
                self._applied[name] = value
                self.controls[name].value = value
                self._show_value(name)
        finally:
            self._quiet = False
        self._mark_custom()
        self.update()

    def preset(self, name: str) -> None:
        """Load a named preset of the model and show its citation."""
        name = getattr(self.model, "PRESET_ALIASES", {}).get(name, name)  # earlier names
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
            self._show_error(exc)
            return
        self.error = None
        if self.message.value:
            self.message.value = ""
        self.result = result
        self.draw(result)
        self._refresh_ticks()
        text = self.describe(result)
        summary = self.summarize(result, text)
        self.readout.value = f"<p>{text}</p>"
        if self.status.value != summary:
            self.status.value = summary
        plain = html.unescape(_TAGS.sub("", summary))
        for i, (fig, alt) in enumerate(zip(self.figures, self.alts)):
            alt.value = html.escape(self.alt_text(i, fig, plain))
        for fig, key in zip(self.figures, getattr(self, "legends", ())):
            keys = legend_html(fig)
            if key.value != keys:
                key.value = keys
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
        new = snap_to_range(self.model.PARAMS[name], change["new"])
        if self._is_echo(name, new):
            return
        self._applied[name] = self._typed(name, new)
        self._show_value(name)
        self._mark_custom()
        self.update()

    def _on_continuous(self, change: Mapping[str, Any]) -> None:
        name = next(n for n, w in self.controls.items() if w is change["owner"])
        self._show_value(name)

    def _show_value(self, name: str) -> None:
        """Write the exact value the model runs with beside the slider's label."""
        if name not in self.values:
            return
        p = self.model.PARAMS[name]
        text = html.escape(fmt.with_unit(self._applied[name], p.unit))
        tag = "" if self.controls[name].continuous_update else ' <span class="dw-onrelease">on release</span>'
        value = f'<span class="dw-v">{text}</span>{tag}'
        if self.values[name].value != value:
            self.values[name].value = value
        slow = any(not self.controls[n].continuous_update for n in self.values)
        note = RELEASE_NOTE if slow else ""
        if self.release_note.value != note:
            self.release_note.value = note

    def _refresh_ticks(self) -> None:
        """Round ticks for the current ranges, and each legend in its emptiest corner."""
        for fig in self.figures:
            for ax in fig.axes:
                sc = ax.scale
                if getattr(sc, "min", 0) is None or getattr(sc, "max", 0) is None:
                    find = _extent if isinstance(sc, bq.LogScale) else _lin_extent
                    _set_ticks(ax, find(fig.marks, sc))
                else:
                    _set_ticks(ax)
            if self.auto_legend:
                _place_legend(fig)

    def _readable_labels(self) -> None:
        """Text drawn in a series colour is darkened to ≥ 4.5:1 on white (same hue)."""
        for fig in self.figures:
            for mark in fig.marks:
                if isinstance(mark, bq.Label) and mark.colors:
                    dark = [palette.text_color(c) for c in mark.colors]
                    if list(mark.colors) != dark:
                        mark.colors = dark

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
        """Title; link notice and run message (alerts) above the plot; then a body that puts the
        controls beside the plots when there is room and below them when not (``_CSS``)."""
        script = html.escape(_A11Y_JS, quote=True)
        head = widgets.HTML(
            _CSS
            + f'<img src="data:," alt="" style="display:none" onerror="{script}">'
            + f"<h3 class='dw-title'>{html.escape(self.title)}</h3>"
            + (f"<p class='dw-intro'>{self.intro}</p>" if self.intro else "")
        )
        rows = []
        for name, w in self.controls.items():
            row = widgets.HBox([w, self.values[name]] if name in self.values else [w])
            row.add_class("dw-control")
            row.add_class(f"dw-param-{name}")
            if isinstance(w, widgets.FloatLogSlider):
                row.add_class("dw-log")
            rows.append(row)
        controls = widgets.Box(rows)
        controls.add_class("dw-controls")
        extra = self.extra_layout()
        placed = {id(w) for w in _descendants(extra)}  # buttons a subclass put beside its plot
        toolbar = widgets.HBox(
            [b for b in self.buttons.values() if id(b) not in placed],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        figures = []
        self.legends = []
        for fig, alt in zip(self.figures, self.alts):
            key = widgets.HTML(legend_html(fig))
            key.add_class("dw-legend")
            self.legends.append(key)
            box = widgets.VBox([fig, key, alt])
            box.add_class("dw-figure")
            figures.append(box)
        figure_row = widgets.Box(figures)
        figure_row.add_class("dw-figures")
        plots = widgets.VBox([self.notice, self.message, figure_row, *extra, self.readout, self.status])
        plots.add_class("dw-plots")
        self.preset_picker.layout = widgets.Layout(width="100%", max_width="420px")
        side = widgets.VBox(
            [self.preset_picker, self.citation, self.release_note, controls, toolbar, self.export_area]
        )
        side.add_class("dw-side")
        body = widgets.Box([plots, side])
        body.add_class("dw-body")
        return (head, body)


def _first_sentence(text: str) -> str:
    """The first sentence of ``text`` (tags removed): up to a full stop before a capital or the end."""
    plain = " ".join(_TAGS.sub("", text).split())
    m = re.search(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])", plain)
    return plain[: m.start()] if m else plain


_TAGS = re.compile(r"<[^>]+>")


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
