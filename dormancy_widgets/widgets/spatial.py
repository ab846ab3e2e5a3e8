"""``SwitchExplorer``: a lesion on a lattice, fed by diffusing oxygen, before and after the
angiogenic switch (``models.spatial``).

Left, the lattice as an image, one pixel per site, in four colour-blind-safe colours with a
legend in words. Right, the lesion's diameter and its cells by state over time, with a line
at the frame shown. The model runs once per change of a setting (a few seconds at most);
the time slider and the play button then only move through the stored frames, so scrubbing
and animating cost a picture, not a simulation. "Force the switch now" reruns the lesion
with the switch forced on the day shown.
"""

from __future__ import annotations

import html
import math
import struct
import zlib
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..models import spatial
from . import fmt, palette
from .base import Explorer, line, make_figure

__all__ = ["STATE_COLOURS", "SwitchExplorer", "describe_frame", "lattice_png"]

#: colour of each lattice state (codes of ``spatial.STATE_NAMES``): host tissue a pale grey,
#: then Okabe & Ito's blue, orange, black and reddish purple
STATE_COLOURS = ("#F2F2F2", palette.BLUE, palette.ORANGE, palette.BLACK, palette.REDDISH_PURPLE)
_RGB = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in STATE_COLOURS], dtype=np.uint8)

#: gives the play widget's icon-only buttons names a screen reader can say (once per page)
_PLAY_NAMES_JS = """
(function () {
  if (window.__dwPlayNames) return;
  window.__dwPlayNames = true;
  var names = {'fa-play': 'Play', 'fa-pause': 'Pause', 'fa-stop': 'Stop', 'fa-retweet': 'Repeat'};
  function fix() {
    document.querySelectorAll('.dw-explorer .widget-play button').forEach(function (b) {
      var i = b.querySelector('i');
      if (!i) return;
      for (var k in names) {
        if (i.classList.contains(k) && b.getAttribute('aria-label') !== names[k]) {
          b.setAttribute('aria-label', names[k]); b.setAttribute('title', names[k]);
        }
      }
    });
  }
  new MutationObserver(fix).observe(document.body, {subtree: true, childList: true, attributes: true,
    attributeFilter: ['class']});
  fix();
})();
"""

_CSS = """
<style>
.dw-lattice image { image-rendering: pixelated; image-rendering: crisp-edges; }
.dw-legend span.sw { display: inline-block; width: 1em; height: 1em; margin: 0 0.3em 0 0.9em;
  vertical-align: -0.15em; border: 1px solid #555; }
.dw-legend { color: #1a1a1a; font-size: 15px; }
</style>
"""


def lattice_png(grid: np.ndarray) -> bytes:
    """One frame of the lattice (int8 codes, H × W) as PNG bytes, one pixel per site."""
    rgb = _RGB[np.asarray(grid, dtype=np.intp)]
    h, w, _ = rgb.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, 3 * w)], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    head = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", head)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


def describe_frame(result: spatial.SpatialResult, j: int, forced: float | None = None) -> str:
    """The readout: what the lattice shows on frame ``j`` and how the run goes on."""
    s = result.summary()
    day = float(result.t[j])
    d = float(result.diameter_mm[j])
    p, q, n = (int(getattr(result, k)[j]) for k in ("proliferating", "quiescent", "necrotic"))
    if p + q + n == 0:
        now = f"Day {day:g}: no tumour cells are left: the lesion has died out."
    else:
        now = (
            f"Day {day:g}: the lesion is {d:.2f} mm across (the diameter of a disc of its area), "
            f"with {p:,} proliferating, {q:,} quiescent (hypoxic) and {n:,} necrotic sites."
        )
    ts = float(s["t_switch"])
    if math.isfinite(ts):
        how = "forced" if forced is not None and abs(ts - forced) < 1e-9 else "happened"
        switch = f"The angiogenic switch {how} on day {ts:g}; new vessels grow towards hypoxic cells."
    else:
        switch = "The lesion has not switched: no new vessels grow, it lives on oxygen diffusing in."
    end = float(result.t[-1])
    if s["extinct"]:
        fate = f"By day {end:g} the lesion has died out."
    elif s["dormant"]:
        fate = (
            f"By day {end:g} it is <b>dormant</b>: {s['diameter_final_mm']:.2f} mm, changing by less "
            f"than {fmt.percent(spatial.DORMANT_CHANGE)} over the last {spatial.DORMANT_WINDOW:g} days "
            "while its cells still divide and die."
        )
    elif s["growth_mm_per_day_final"] > 0:
        fate = (
            f"By day {end:g} it is still growing, {s['diameter_final_mm']:.2f} mm "
            f"(+{1000 * s['growth_mm_per_day_final']:.0f} µm a day at the end)."
        )
    else:
        fate = f"By day {end:g} it is shrinking, {s['diameter_final_mm']:.2f} mm."
    return f"{now} {switch} {fate}"


class SwitchExplorer(Explorer):
    """The lattice as an image beside diameter and cell counts; play, scrub, force the switch."""

    model = spatial
    title = "The angiogenic switch, cell by cell"
    intro = (
        "A microscopic tumour in tissue, 4 mm × 4 mm at 20 µm per site. Oxygen diffuses from "
        "the capillaries (purple dots); tumour cells use it up. Press play, or drag the day "
        "slider, to watch the lesion grow and stop; then let it switch."
    )
    slug = "spatial"
    #: every run simulates the whole lattice (about a second): sliders report on release
    slow_params = frozenset(spatial.PARAMS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.force_at: float | None = None
        #: one image widget per frame shown, made on first use: the mark redraws when its
        #: image widget is replaced (not when the widget's bytes change)
        self._frames: dict[int, widgets.Image] = {}
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------ building
    def build(self) -> list[bq.Figure]:
        n = len(self.model.DEFAULT_T)
        self.day = widgets.IntSlider(
            value=n - 1,
            min=0,
            max=n - 1,
            step=1,
            description="day shown",
            tooltip="Move through the stored frames of this run (no new simulation)",
            continuous_update=True,
            style={"description_width": "90px"},
            layout=widgets.Layout(width="420px"),
        )
        self.play = widgets.Play(
            value=n - 1,
            min=0,
            max=n - 1,
            step=1,
            interval=70,
            show_repeat=False,
            description="play",
            tooltip="Animate the run",
        )
        widgets.jslink((self.play, "value"), (self.day, "value"))
        self.day.observe(self.safe(self._on_day), "value")
        self.force = widgets.Button(
            description="Force the switch now",
            icon="bolt",
            tooltip="Rerun this lesion with the angiogenic switch forced on the day shown",
            layout=widgets.Layout(width="auto"),
        )
        self.force.on_click(self.safe(lambda _: self.force_switch()))

        side = spatial.SIDE * spatial.DX / 1000.0
        xs = bq.LinearScale(min=0.0, max=side)
        ys = bq.LinearScale(min=0.0, max=side)
        self.image = widgets.Image(value=b"", format="png")
        self.lattice = bq.Image(
            image=self.image, scales={"x": xs, "y": ys}, x=[0.0, side], y=[side, 0.0], pixelated=True
        )
        tick = {"font-size": palette.FONT_TICKS}
        fig_l = bq.Figure(
            title="The lesion on day 120",
            marks=[self.lattice],
            axes=[
                bq.Axis(scale=xs, label="mm", tick_style=tick),
                bq.Axis(scale=ys, label="mm", side="left", tick_style=tick, label_offset="3em"),
            ],
            fig_margin={"top": 50, "bottom": 50, "left": 60, "right": 20},
            title_style={"font-size": palette.FONT_TITLE},
            layout=widgets.Layout(width="100%", max_width="430px", min_width="260px", height="440px"),
            animation_duration=0,
            min_aspect_ratio=1.0,
            max_aspect_ratio=1.0,
        )
        fig_l.add_class("dw-lattice")
        self.fig_lattice = fig_l

        fig_d, txs, dys = make_figure(
            "Lesion diameter", "time (days)", "diameter (mm)", width="470px", height="220px"
        )
        self.band = line(txs, dys, color=palette.BLUISH_GREEN, dash="dotted", width=2, label="2 mm")
        self.band.labels = ["1 mm", "2 mm"]
        self.diam = line(txs, dys, color=palette.BLACK, width=3, label="diameter")
        self.now_d = line(txs, dys, color=palette.GREY, dash="dashed", width=2)
        fig_d.marks = [self.band, self.diam, self.now_d]
        fig_d.legend_location = "bottom-right"

        fig_c, cxs, cys = make_figure(
            "Tumour sites by state", "time (days)", "sites (cells)", width="470px", height="220px"
        )
        self.count_lines = {
            "proliferating": line(cxs, cys, color=STATE_COLOURS[1], width=3, label="proliferating"),
            "quiescent": line(cxs, cys, color=STATE_COLOURS[2], dash="dashed", width=3, label="quiescent"),
            "necrotic": line(cxs, cys, color=STATE_COLOURS[3], dash="dotted", width=3, label="necrotic"),
        }
        self.now_c = line(cxs, cys, color=palette.GREY, dash="dashed", width=2)
        fig_c.marks = [*self.count_lines.values(), self.now_c]
        fig_c.legend_location = "top-left"
        self._time_scales = (txs, cxs)
        self._count_scale = cys
        self._diam_scale = dys
        script = html.escape(_PLAY_NAMES_JS, quote=True)
        self.legend = widgets.HTML(
            _CSS
            + f'<img src="data:," alt="" style="display:none" onerror="{script}">'
            + "<div class='dw-legend' role='list' aria-label='colours of the lattice'>"
            + "".join(
                f"<span role='listitem'><span class='sw' style='background:{c}'></span>"
                f"{html.escape(name)}</span>"
                for c, name in zip(STATE_COLOURS, spatial.STATE_NAMES)
            )
            + "</div>"
        )
        return [fig_l, fig_d, fig_c]

    def extra_layout(self) -> list[widgets.Widget]:
        return [
            self.legend,
            widgets.HBox([self.play, self.day, self.force], layout=widgets.Layout(flex_flow="row wrap")),
        ]

    # ------------------------------------------------------------------ running
    def run(self, params: dict[str, Any]) -> spatial.SpatialResult:
        return spatial.simulate(self.t, seed=self.seed, force_at=self.force_at, **params)

    def force_switch(self) -> None:
        """Rerun the lesion with the switch forced on the day the slider shows."""
        self.force_at = float(self.t[self.day.value])
        self.update()

    def reset(self) -> None:
        self.force_at = None
        super().reset()

    def preset(self, name: str) -> None:
        self.force_at = None
        super().preset(name)

    def draw(self, result: spatial.SpatialResult) -> None:
        old, self._frames = self._frames, {}
        t = result.t
        with self.diam.hold_sync():
            self.diam.x, self.diam.y = t, result.diameter_mm
        top = max(2.2, float(result.diameter_mm.max()) * 1.1)
        self._diam_scale.min, self._diam_scale.max = 0.0, top
        with self.band.hold_sync():
            self.band.x = np.array([t[0], t[-1]])
            self.band.y = np.array([[1.0, 1.0], [2.0, 2.0]])
        for name, mark in self.count_lines.items():
            with mark.hold_sync():
                mark.x, mark.y = t, getattr(result, name)
        self._count_scale.min = 0.0
        self._count_scale.max = float(max(result.cells.max(), 1.0)) * 1.05
        for s in self._time_scales:
            s.min, s.max = float(t[0]), float(t[-1])
        self._show(int(self.day.value))
        for w in old.values():
            w.close()

    def describe(self, result: spatial.SpatialResult) -> str:
        return describe_frame(result, int(self.day.value), self.force_at)

    def _on_day(self, change: dict[str, Any]) -> None:
        if self.result is None:
            return
        self._show(int(change["new"]))
        self.readout.value = f'<p role="status" aria-live="polite">{self.describe(self.result)}</p>'

    def _show(self, j: int) -> None:
        result = self.result
        if result is None:
            return
        frame = self._frames.get(j)
        if frame is None:
            frame = self._frames[j] = widgets.Image(value=lattice_png(result.grid[j]), format="png")
        self.image = frame
        self.lattice.image = frame
        day = float(result.t[j])
        self.fig_lattice.title = f"The lesion on day {day:g}"
        with self.now_d.hold_sync():
            self.now_d.x = np.array([day, day])
            self.now_d.y = np.array([0.0, self._diam_scale.max])
        with self.now_c.hold_sync():
            self.now_c.x = np.array([day, day])
            self.now_c.y = np.array([0.0, self._count_scale.max])
