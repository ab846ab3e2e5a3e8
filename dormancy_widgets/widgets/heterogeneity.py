"""``HeterogeneityExplorer``: the Fidler–Kripke fluctuation test, clones against parent subsamples."""

from __future__ import annotations

import math
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..models import heterogeneity
from . import fmt, palette
from .base import Explorer, band, ghost_line, label, line, make_figure, set_xy

__all__ = ["HeterogeneityExplorer", "display_cap", "histogram_steps"]

#: regular bins of the colony histograms; one more bin collects everything beyond them
N_BINS = 25


def display_cap(parent_counts: np.ndarray) -> int:
    """Colony count where the histograms' regular bins end: three times the parent's 99th
    percentile (at least 20), so that both bodies are visible and jackpots pile up in the
    last bin."""
    p99 = float(np.percentile(parent_counts, 99)) if parent_counts.size else 0.0
    return max(20, int(math.ceil(3 * p99)))


def histogram_steps(counts: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Outline of a histogram of colony counts: ``N_BINS`` bins of ``width`` colonies plus an
    overflow bin; returns (x, y) of the step line and the number of mice in the overflow bin."""
    idx = np.minimum(np.asarray(counts, dtype=np.int64) // width, N_BINS)
    mice = np.bincount(idx, minlength=N_BINS + 1).astype(float)
    edges = width * np.arange(N_BINS + 2, dtype=float)
    x = np.repeat(edges, 2)
    y = np.concatenate([[0.0], np.repeat(mice, 2), [0.0]])
    return x, y, int(mice[-1])


def _stat(x: float) -> str:
    """Means and variance-to-mean ratios: 0.87, 46, 1,234; "undefined" when there are none."""
    return fmt.number(x, 2, whole=True, nan="undefined")


class HeterogeneityExplorer(Explorer):
    """Lung-colony counts from clones and from subsamples of the parent line, side by side.

    Two histograms (mice per colony count, same bins) carry their variance-to-mean ratios in
    their titles; a third figure shows how few founder clones supply the parent line's
    metastases. "Run the experiment again" repeats the whole experiment with a new seed.
    """

    model = heterogeneity
    title = "Clonal heterogeneity: the Fidler–Kripke fluctuation test"
    intro = (
        "Clones grown from single melanoma cells are injected into mice, and so are subsamples "
        "of the parent line. Do the clones differ more than the subsamples? Compare the spread "
        "of lung colonies, then run the experiment again."
    )
    rerun_label = "Run the experiment again"
    slug = "heterogeneity"

    def __init__(
        self, preset: str | None = None, *, seed: int = heterogeneity.REPRODUCTION_SEED, **params: Any
    ) -> None:
        # opens on the lesson's reproduction seed, so the first view matches the lesson's numbers
        super().__init__(preset, seed=seed, **params)

    def build(self) -> list[bq.Figure]:
        self.experiment_label = widgets.HTML()

        self.hist = {}
        self.ghost_hist = {}
        self.mean_lines = {}
        self.overflow = {}
        self._hist_scales = {}
        figs = []
        style = {
            "clones": (palette.VERMILLION, "solid", "Clones"),
            "parent": (palette.BLUE, "dashed", "Subsamples of the parent line"),
        }
        for arm, (color, dash, title) in style.items():
            fig, xs, ys = make_figure(title, "lung colonies per mouse", "mice", width="480px", height="360px")
            xs.min = 0.0
            ys.min = 0.0
            self._hist_scales[arm] = (xs, ys)
            self.ghost_hist[arm] = ghost_line(xs, ys, dash="dotted", width=2)
            self.hist[arm] = band(
                xs,
                ys,
                color=color,
                opacity=0.35,
                fill="bottom",
                width=2,
                dash=dash,
                label="clones" if arm == "clones" else "subsamples",
            )
            self.mean_lines[arm] = line(
                xs, ys, color=palette.BLACK, dash="dash_dotted", width=2, label="mean"
            )
            self.overflow[arm] = label(xs, ys, color=palette.BLACK, size=14, align="end", y_offset=-8)
            fig.marks = [self.ghost_hist[arm], self.hist[arm], self.mean_lines[arm], self.overflow[arm]]
            figs.append(fig)
        self.fig_clones, self.fig_parent = figs

        fig, xs, ys = make_figure(
            "Where the parent line's metastases come from",
            "founder clones, largest share first (%)",
            "metastases (cumulative %)",
            x_scale=bq.LinearScale(min=0.0, max=100.0),
            y_scale=bq.LinearScale(min=0.0, max=100.0),
            width="480px",
            height="360px",
        )
        self.equal_share = line(xs, ys, color=palette.GREY, dash="dashed", width=2, label="all clones equal")
        self.equal_share.x = np.array([0.0, 100.0])
        self.equal_share.y = np.array([0.0, 100.0])
        self.origin_ghost = ghost_line(xs, ys, dash="dotted", width=2)
        self.origin = line(xs, ys, color=palette.BLUISH_GREEN, width=3, label="this run")
        fig.marks = [self.equal_share, self.origin_ghost, self.origin]
        self.fig_origin = fig
        return [self.fig_clones, self.fig_parent, self.fig_origin]

    def extra_layout(self) -> list[widgets.Widget]:
        return [widgets.HBox([self.buttons["rerun"], self.experiment_label])]

    def ghost_pairs(self) -> list[tuple[bq.Mark, bq.Mark]]:
        return [
            (self.hist["clones"], self.ghost_hist["clones"]),
            (self.hist["parent"], self.ghost_hist["parent"]),
            (self.origin, self.origin_ghost),
        ]

    def draw(self, result: heterogeneity.HeterogeneityResult) -> None:
        s = result.summary()
        counts = {
            "clones": result.colonies_clones[result.valid],
            "parent": result.colonies_parent[result.valid],
        }
        width = max(1, math.ceil(display_cap(counts["parent"]) / N_BINS))
        cap = width * N_BINS
        steps = {arm: histogram_steps(c, width) for arm, c in counts.items()}
        y_max = max(float(st[1].max()) for st in steps.values()) * 1.12 + 1.0
        titles = {
            "clones": f"Clones: variance/mean {_stat(s['vmr_clones'])}",
            "parent": f"Subsamples of the parent line: variance/mean {_stat(s['vmr_parent'])}",
        }
        for arm, (x, y, over) in steps.items():
            xs, ys = self._hist_scales[arm]
            xs.max = float(x[-1])
            ys.max = y_max
            set_xy(self.hist[arm], x, y)
            mean = min(float(s[f"mean_{arm}"]), float(x[-1]))
            set_xy(self.mean_lines[arm], np.array([mean, mean]), np.array([0.0, y_max]))
            with self.overflow[arm].hold_sync():
                if over:
                    # right-aligned at the edge of the overflow bin, so the label is never clipped
                    self.overflow[arm].x = np.array([float(cap + width)])
                    self.overflow[arm].y = np.array([float(over)])
                    self.overflow[arm].text = [f"≥{cap}"]
                else:
                    self.overflow[arm].x = np.zeros(0)
                    self.overflow[arm].y = np.zeros(0)
                    self.overflow[arm].text = []
        self.fig_clones.title = titles["clones"]
        self.fig_parent.title = titles["parent"]

        share = np.atleast_1d(result.origin_share)[: int(result.params["clones"])]
        set_xy(
            self.origin,
            100.0 * np.arange(share.size + 1) / share.size,
            100.0 * np.concatenate([[0.0], np.minimum(np.cumsum(share), 1.0)]),
        )
        self.experiment_label.value = f"Experiment {self.seed - self.first_seed + 1} (seed {self.seed})"

    def describe(self, result: heterogeneity.HeterogeneityResult) -> str:
        s = result.summary()
        p = result.params
        mean_c, vmr_c = s["mean_clones"], s["vmr_clones"]
        mean_p, vmr_p = s["mean_parent"], s["vmr_parent"]
        if mean_c == 0 and mean_p == 0:
            return (
                "No mouse developed a lung colony: with these settings the injected cells never "
                "colonise. Raise n, q_v or q_0."
            )
        text = (
            f"Clones: mean {_stat(mean_c)} colonies, variance/mean {_stat(vmr_c)}; subsamples of the "
            f"parent: mean {_stat(mean_p)}, variance/mean {_stat(vmr_p)}"
        )
        ratio = s["vmr_ratio"]
        if not math.isfinite(ratio):
            text += " — too few colonies to compare the spreads; raise n or the colony chances q_v and q_0."
        elif ratio >= 5:
            text += " — metastatic cells pre-exist as rare variants."
        elif ratio < 2:
            text += (
                " — the clones scatter no more than the subsamples: in this run nothing heritable "
                "sets the metastatic cells apart."
            )
        else:
            text += (
                " — the clones scatter somewhat more than the subsamples; run the experiment again "
                "or test more clones to be sure."
            )
        clones = int(p["clones"])
        text += (
            f" In the parent line {fmt.percent(s['variant_fraction'])} of the cells are variants; they give "
            f"{fmt.percent(s['share_metastases_from_variants'])} of its metastases, and half of the "
            f"metastases come from {int(s['clones_for_half'])} of its {clones} founder clones "
            f"({s['generations']:.0f} generations, {s['cells_per_clone']:.2g} cells per clone)."
        )
        return text
