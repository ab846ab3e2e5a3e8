"""Clonal heterogeneity and selection: the Fidler–Kripke fluctuation test for metastatic variants.

Fidler and Kripke (1977, Science 197:893) cloned single cells of the B16 melanoma, grew
each clone up, injected it intravenously into mice and counted the colonies that formed in
the lungs. The clones differed greatly from one another in how many lung
colonies they produced, while separate subsamples of the parent line all gave much the same
number. That is the logic of Luria and Delbrück's fluctuation test for bacterial mutants
(1943): if the ability to metastasize were acquired by chance in the lung, every clone would
behave like every subsample; if metastatic cells arise as heritable variants while the
culture grows, a clone in which a variant appeared early carries a large share of variants
(a "jackpot") and the clones scatter widely. The tumour is therefore a mixture of
subpopulations, and metastases come from the rare cells that already have what it takes
(Fidler 1988, Isr J Med Sci 24:456; Udagawa 2008, APMIS 116:615).

**Clonal expansion (the Luria–Delbrück construction).** Every clone starts from one ordinary
cell. All cells divide together once per generation, every ``Td`` days, so after ``t`` days
a clone has gone through ``G = floor(t / Td)`` generations and holds ``N = 2^G`` cells. Each
daughter of an ordinary cell is a metastatic variant with probability ``μ`` (``mu``): μ is a
chance **per daughter cell**, so a division yields at least one variant with probability
1 − (1 − μ)² ≈ 2μ, and the expected number of variants per cell per generation is 2μ (a
factor 2 to keep in mind when comparing with a rate quoted per division); variants breed
true and grow as fast as ordinary cells (they are only different in the
lung). With ``W`` ordinary and ``M`` variant cells, one generation is

    B ~ Binomial(2 W, μ),   W ← 2 W − B,   M ← 2 M + B,

drawn at once for every clone of every parameter set (one array step per generation). The
ordinary cells form a Galton–Watson process whose offspring number is Binomial(2, 1 − μ),
which gives exact answers the tests check the sampler against:

* mean variant cells per clone: ``E[M] = 2^G (1 − (1 − μ)^G)``, about ``μ N log2 N`` when
  ``μ G`` is small (Luria and Delbrück's expectation for synchronous division);
* their variance: ``Var M = σ² m^(G−1) (m^G − 1) / (m − 1)`` with ``m = 2 (1 − μ)`` and
  ``σ² = 2 μ (1 − μ)``; the variance-to-mean ratio grows with ``N``, the hallmark of
  jackpots;
* the chance that a clone has no variant at all: ``(1 − μ)^(2^(G+1) − 2)``.

**The lung-colony assay.** The experiment happens at the last output time. Each mouse
receives ``n`` cells of one clone, but never more cells than the clone holds:
``n_injected = min(n, N)`` (for ``Td`` above 1 day on the 20-day grid a clone has only
2^floor(20 / Td) cells, e.g. 64 at ``Td`` = 3, far fewer than the default dose of 10⁶;
``summary()["n_injected"]`` and ``summary()["dose_capped"]`` report it). The dose is drawn
from the clone's culture at its variant fraction ``f = M / N``, so the variant cells a mouse
gets are ``Binomial(n_injected, f)``: each mouse's sample is taken as independent of the
other mice's (as if the clone were split and expanded without new variants before the
injection; with several mice per clone the model does not track that together they may
need more cells than one clone of ``N`` cells holds). Every injected
variant cell founds a lung colony with probability ``q_v``, every ordinary cell with
probability ``q_0``, independently; a mouse's colony count is the sum of the two binomial
draws. ``mice`` mice receive cells of each of the ``clones`` clones. The *parent line* is
the pooled progeny of all these founder cells (one culture grown alongside the clones for
the same time): ``clones`` groups of ``mice`` mice each receive ``n_injected`` cells of it.
Every subsample has the same variant fraction, so its colony counts are plain
Binomial(n_injected, p) with ``p = f q_v + (1 − f) q_0``: variance-to-mean ratio ``1 − p``,
essentially 1. Across clones
the counts inherit the jackpots, and the ratio is far above 1 whenever ``q_v`` exceeds
``q_0``. If ``q_v = q_0`` (no heritable difference: metastatic ability acquired at random
in the lung) the clones look exactly like the subsamples.

**Clonal origin.** Fidler (1988) stresses that metastases are clonal and come from
pre-existing subpopulations. The model gives, for the parent line, the expected share of its
lung colonies that descend from each founder clone (``origin_share``, largest first): a
few jackpot clones supply most metastases although every clone supplies the same number of
cells. ``summary()`` reports how many clones produce half of the metastases.

**Time axis and states.** ``t`` is days of clonal expansion. The states, with time last,
are ``N`` (cells per clone), ``M`` (variant cells per clone, averaged over the clones) and
``F`` (the share of clones that carry at least one variant). Per-clone trajectories
(``M_clones``) and the assay (``colonies_clones``, ``colonies_parent``) are extra fields of
the result; ``fluctuation_test`` packages the assay as a small frozen record.

**Where the model is too simple.** Divisions are synchronous and nobody dies in culture;
variants do not revert (dynamic heterogeneity means they do, at rates similar to their
origin); there are only two kinds of cells, where real clones differ in a graded way; each
injected cell acts alone, with no saturation of the lung and no mouse-to-mouse difference
in how well cells lodge, so the subsample ratio sits at 1 rather than somewhat above it;
and the parent line here is young (grown from single cells in parallel with the clones),
not a line carried for years. Clones stop growing at ``2^40`` cells (``G_MAX``), far beyond
any culture.

**Numbers.** Harris, Chambers, Hill and Ling (1982, PNAS 79:5547) ran a Luria–Delbrück
fluctuation analysis on clones of the KHT mouse sarcoma and found metastatic variants
arising "at an apparent rate of ≈ 10⁻⁵ per cell per generation" (dynamic heterogeneity)
[src, abstract]. The default ``μ = 1e-5`` takes that number as the chance per daughter
cell; per cell and generation the model then makes about 2 × 10⁻⁵ variants, the same order
(the factor 2 is within what a fluctuation analysis can resolve, and is said so here).
Fidler (1970) reported that fewer than 0.1% of B16 cells injected i.v.
form metastases [unverified]; the defaults stay below that. The colony-forming
probabilities, the dose and the numbers of clones and mice are teaching choices, not
published values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from ._util import ratio as _ratio
from ._util import scalar as _scalar
from .base import Output, Result
from .params import TEACHING, Param, Preset, batch_shape, declare, from_defaults, validate, validate_time
from .params import rng as make_rng

__all__ = [
    "DEFAULT_T",
    "G_MAX",
    "PARAMS",
    "PRESETS",
    "REPRODUCTION_SEED",
    "STOCHASTIC",
    "FluctuationTest",
    "HeterogeneityResult",
    "expected_variants",
    "fluctuation_test",
    "generations",
    "prob_no_variant",
    "simulate",
    "variance_to_mean",
    "variance_variants",
]

STOCHASTIC = True
#: twenty days of clonal expansion at half-day resolution (20 generations at Td = 1 day)
DEFAULT_T = np.linspace(0.0, 20.0, 41)

#: Clones stop dividing after 40 generations (2^40, about 1e12 cells): a cap that keeps the
#: integer arrays finite for any time grid; no culture gets near it.
G_MAX = 40

#: the seed of the lesson's reproduction cell (any seed shows the contrast in most runs; the
#: tests check how often over many repeated experiments)
REPRODUCTION_SEED = 1977

#: step of the logarithmic sliders, in decades: every range starts at a power of ten, so the
#: defaults and preset values (powers of ten) lie exactly on the slider grid and a browser
#: never rounds them
_LOG_STEP = 0.01

PARAMS: dict[str, Param] = declare(
    Param(
        "mu",
        1e-5,
        1e-7,
        1e-3,
        unit="per daughter cell",
        label="μ, variant rate",
        doc="chance that a daughter of an ordinary cell is a metastatic variant (per division about 2μ)",
        log=True,
        step=_LOG_STEP,
        source="Harris, Chambers, Hill & Ling 1982, PNAS 79:5547: about 1e-5 per cell per "
        "generation for KHT sarcoma variants (taken here per daughter cell: 2μ per division)",
    ),
    Param(
        "q_v",
        0.1,
        1e-7,
        1.0,
        label="q_v, variant colony chance",
        doc="probability that an injected metastatic variant cell forms a lung colony (dimensionless)",
        log=True,
        step=_LOG_STEP,
        source=TEACHING,
    ),
    Param(
        "q_0",
        1e-6,
        1e-7,
        1e-2,
        label="q_0, ordinary colony chance",
        doc="probability that an injected ordinary cell forms a lung colony (dimensionless)",
        log=True,
        step=_LOG_STEP,
        source="teaching choice, below the fewer than 0.1% of i.v. B16 cells reported to "
        "form metastases (Fidler 1970) [unverified]",
    ),
    Param(
        "n",
        1e6,
        1e3,
        1e7,
        unit="cells",
        label="n, injected per mouse",
        doc="cells injected into the tail vein of each mouse (at most the clone's cells shared "
        "among its mice)",
        log=True,
        step=_LOG_STEP,
        integer=True,
        source=TEACHING,
    ),
    Param(
        "Td",
        1.0,
        0.5,
        3.0,
        unit="days",
        label="Td, generation time",
        doc="days between synchronous divisions in culture",
        source=TEACHING,
    ),
    Param(
        "clones",
        50,
        5,
        300,
        label="clones and subsamples",
        doc="number of clones tested, and of parent-line subsamples",
        integer=True,
        source=TEACHING,
    ),
    Param(
        "mice",
        5,
        1,
        20,
        label="mice per group",
        doc="number of mice injected with each clone and with each subsample",
        integer=True,
        source=TEACHING,
    ),
)

PRESETS: dict[str, Preset] = from_defaults(
    PARAMS,
    {
        "fidler_kripke1977": Preset(
            {},
            "Fidler & Kripke 1977, Science 197:893: clones of B16 melanoma differ greatly in lung "
            "colonies after i.v. injection; variant rate about 1e-5 per cell per generation as "
            "reported for KHT cells by Harris et al. 1982, PNAS 79:5547 (taken per daughter cell); "
            "other values are teaching choices",
            "The fluctuation test: metastatic variants arise at random while the clones grow.",
        ),
        "acquired_in_lung": Preset(
            {"q_v": 1e-5, "q_0": 1e-5},
            "Luria & Delbrück 1943, Genetics 28:491 (the alternative their fluctuation test rules "
            "out), applied to metastasis as in Fidler & Kripke 1977, Science 197:893",
            "No heritable difference (q_v = q_0): every cell has the same small chance in the lung, "
            "so clones scatter no more than subsamples.",
        ),
        "frequent_variants": Preset(
            {"mu": 1e-3, "q_v": 1e-3},
            "Fidler 1988, Isr J Med Sci 24:456: tumours diversify quickly; a variant rate of 1e-3 "
            "per division is a teaching choice",
            "Variants arise a hundred times more often but are less metastatic: every clone "
            "carries several, and the jackpots matter less.",
        ),
        "long_expansion": Preset(
            {"Td": 0.5},
            "Luria & Delbrück 1943, Genetics 28:491: mutants per culture grow like μ N log2 N; "
            "40 generations of expansion is a teaching choice",
            "Clones grown for 40 generations instead of 20: a million times more cells, yet only "
            "about twice the variant fraction (it grows like μ log2 N).",
        ),
    },
)


@dataclass(frozen=True, eq=False)
class HeterogeneityResult(Result):
    """Clonal expansion over time and the lung-colony assay at the last time.

    States (``batch_shape + (len(t),)``): ``N`` cells per clone, ``M`` mean variant cells
    per clone, ``F`` share of clones with at least one variant. Extra fields:
    ``M_clones`` (``batch + (clones, len(t))``, variant cells of each clone),
    ``colonies_clones`` and ``colonies_parent`` (``batch + (clones, mice)``, lung colonies
    per mouse), ``valid`` (which clone-mouse entries exist when ``clones`` or ``mice`` vary
    across the batch), ``origin_share`` (``batch + (clones,)``, expected share of the parent
    line's colonies from each founder clone, largest first).
    """

    N: np.ndarray
    M: np.ndarray
    F: np.ndarray
    M_clones: np.ndarray
    colonies_clones: np.ndarray
    colonies_parent: np.ndarray
    valid: np.ndarray
    origin_share: np.ndarray
    STATES: ClassVar[tuple[str, ...]] = ("N", "M", "F")
    SUMMARY: ClassVar[dict[str, Output]] = {
        "generations": Output("generations", "doublings of each clone's culture before injection"),
        "cells_per_clone": Output("cells", "cells in each clone's culture at injection"),
        "variant_fraction": Output("", "share of metastatic variants in the parent culture"),
        "expected_variant_fraction": Output("", "that share expected: 1 - (1 - mu)^generations"),
        "share_clones_with_variants": Output("", "share of the clones that carry at least one variant"),
        "mean_clones": Output("colonies", "mean lung colonies per mouse, injected with a clone"),
        "vmr_clones": Output("", "variance-to-mean ratio of the colonies over the clones"),
        "mean_parent": Output("colonies", "mean lung colonies per mouse, injected from the parent culture"),
        "vmr_parent": Output("", "variance-to-mean ratio of the colonies over the parent subsamples"),
        "vmr_ratio": Output("", "vmr_clones / vmr_parent: well above 1 if variants arose before injection"),
        "max_clones": Output("colonies", "most colonies in any mouse injected with a clone"),
        "efficiency_parent": Output("", "colonies per injected cell, parent culture"),
        "n_injected": Output("cells", "cells each mouse received: n, or all of a clone that holds fewer"),
        "dose_capped": Output("", "a clone held fewer cells than n"),
        "share_metastases_from_variants": Output("", "share of the colonies founded by variant cells"),
        "share_top_clone": Output("", "share of the parent's colonies expected from its top founder clone"),
        "clones_for_half": Output("clones", "fewest founder clones giving half of the parent's colonies"),
        "share_clones_for_half": Output("", "those clones as a share of all clones"),
    }

    def summary(self) -> dict[str, Any]:
        """Headline numbers of the assay (``nan`` where a ratio has a zero denominator)."""
        p = self.params
        shape = self.batch_shape
        clones = np.broadcast_to(p["clones"], shape)
        n_inj = np.minimum(np.broadcast_to(p["n"], shape), self.N[..., -1])
        mean_c, vmr_c = _mean_vmr(self.colonies_clones, self.valid)
        mean_p, vmr_p = _mean_vmr(self.colonies_parent, self.valid)
        g_end = np.log2(self.N[..., -1])
        f_parent = self.M[..., -1] / self.N[..., -1]
        mu = np.broadcast_to(p["mu"], shape)
        cum = np.cumsum(self.origin_share, axis=-1)
        half = np.argmax(cum >= 0.5 - 1e-12, axis=-1) + 1
        q_v = np.broadcast_to(p["q_v"], shape)
        q_0 = np.broadcast_to(p["q_0"], shape)
        from_variants = f_parent * q_v / (f_parent * q_v + (1.0 - f_parent) * q_0)
        return {
            "generations": _scalar(g_end),
            "cells_per_clone": _scalar(self.N[..., -1]),
            "variant_fraction": _scalar(f_parent),
            "expected_variant_fraction": _scalar(-np.expm1(g_end * np.log1p(-mu))),
            "share_clones_with_variants": _scalar(self.F[..., -1]),
            "mean_clones": _scalar(mean_c),
            "vmr_clones": _scalar(vmr_c),
            "mean_parent": _scalar(mean_p),
            "vmr_parent": _scalar(vmr_p),
            "vmr_ratio": _scalar(_ratio(vmr_c, vmr_p)),
            "max_clones": _scalar(np.max(np.where(self.valid, self.colonies_clones, 0), axis=(-2, -1))),
            "efficiency_parent": _scalar(mean_p / n_inj),
            #: cells each mouse actually received: n, or the clone's share when it holds fewer
            "n_injected": _scalar(n_inj),
            "dose_capped": _scalar(n_inj < np.broadcast_to(p["n"], shape), bool),
            "share_metastases_from_variants": _scalar(from_variants),
            "share_top_clone": _scalar(self.origin_share[..., 0]),
            "clones_for_half": _scalar(half),
            "share_clones_for_half": _scalar(half / clones),
        }


@dataclass(frozen=True, eq=False)
class FluctuationTest:
    """The lung-colony assay of one run: colony counts and their variance-to-mean ratios.

    ``clones`` and ``parent`` are the colony counts per mouse (``batch + (clones, mice)``;
    entries outside ``valid`` are 0), the rest are arrays of the batch shape (floats for a
    single run). ``ratio`` is ``vmr_clones / vmr_parent``.
    """

    clones: np.ndarray
    parent: np.ndarray
    valid: np.ndarray
    mean_clones: Any
    vmr_clones: Any
    mean_parent: Any
    vmr_parent: Any
    ratio: Any
    days: float
    generations: Any

    def report(self) -> str:
        """The numbers of a single run in words (for lessons and handouts)."""
        if np.ndim(self.ratio) != 0:
            raise ValueError("report() describes a single run: run fluctuation_test with scalar parameters.")
        mice = int(self.valid.sum())
        return (
            f"After {self.days:g} days ({self.generations:.0f} generations) of clonal expansion:\n"
            f"  {'clones:':<26}mean {self.mean_clones:.3g} lung colonies per mouse, "
            f"variance/mean {self.vmr_clones:.3g} ({mice} mice)\n"
            f"  {'subsamples of the parent:':<26}mean {self.mean_parent:.3g} lung colonies per mouse, "
            f"variance/mean {self.vmr_parent:.3g} ({mice} mice)\n"
            f"  clones' ratio / subsamples' ratio = {self.ratio:.3g}"
        )


def _mean_vmr(counts: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample variance-to-mean ratio (ddof 1) over the last two axes, masked."""
    x = np.where(valid, counts, 0).astype(float)
    k = valid.sum(axis=(-2, -1)).astype(float)
    mean = x.sum(axis=(-2, -1)) / k
    dev = np.where(valid, x - mean[..., None, None], 0.0)
    var = (dev**2).sum(axis=(-2, -1)) / (k - 1.0)
    return mean, _ratio(var, mean)


def variance_to_mean(counts: ArrayLike) -> float:
    """Sample variance (ddof 1) over mean of a 1-D set of counts (``nan`` if the mean is 0)."""
    x = np.asarray(counts, dtype=float).ravel()
    if x.size < 2:
        raise ValueError(f"counts has {x.size} value(s): a variance needs at least 2.")
    mean = x.mean()
    return float(x.var(ddof=1) / mean) if mean > 0 else math.nan


def generations(t: ArrayLike, Td: ArrayLike) -> np.ndarray:
    """Completed synchronous generations after ``t`` days at ``Td`` days each (at most ``G_MAX``)."""
    g = np.floor(np.asarray(t, dtype=float) / np.asarray(Td, dtype=float) + 1e-9)
    return np.minimum(g, G_MAX).astype(np.int64)


def expected_variants(G: ArrayLike, mu: ArrayLike) -> Any:
    """Exact mean number of variant cells in a clone after ``G`` generations: 2^G (1 − (1 − μ)^G)."""
    g = np.asarray(G, dtype=float)
    return _scalar(-(2.0**g) * np.expm1(g * np.log1p(-np.asarray(mu, dtype=float))))


def variance_variants(G: ArrayLike, mu: ArrayLike) -> Any:
    """Exact variance of the variant count after ``G`` generations (Galton–Watson closed form).

    The ordinary cells have Binomial(2, 1 − μ) offspring: mean ``m = 2 (1 − μ)``, variance
    ``σ² = 2 μ (1 − μ)``; from one cell, ``Var W_G = σ² m^(G−1) (m^G − 1) / (m − 1)``, and
    ``M = 2^G − W`` has the same variance.
    """
    g = np.asarray(G, dtype=float)
    mu = np.asarray(mu, dtype=float)
    m = 2.0 * (1.0 - mu)
    s2 = 2.0 * mu * (1.0 - mu)
    return _scalar(s2 * m ** (g - 1.0) * (m**g - 1.0) / (m - 1.0))


def prob_no_variant(G: ArrayLike, mu: ArrayLike) -> Any:
    """Exact chance that a clone has no variant after ``G`` generations: (1 − μ)^(2^(G+1) − 2)."""
    g = np.asarray(G, dtype=float)
    return _scalar(np.exp((2.0 ** (g + 1.0) - 2.0) * np.log1p(-np.asarray(mu, dtype=float))))


def simulate(t: ArrayLike, *, seed: Any = None, **params: Any) -> HeterogeneityResult:
    """Grow ``clones`` clones for the days in ``t`` and run the lung-colony assay at ``t[-1]``.

    Every parameter of ``PARAMS`` may be an array; all clones of all parameter sets advance
    together, one array step per generation. When ``clones`` or ``mice`` vary across the
    batch, arrays are sized for the largest value and ``valid`` marks the entries in use.
    """
    times = validate_time(t)
    p = validate(PARAMS, params)
    shape = batch_shape(p)
    rng = make_rng(seed)
    b = {k: np.broadcast_to(v, shape) for k, v in p.items()}
    n_clones = int(np.max(b["clones"]))
    n_mice = int(np.max(b["mice"]))
    clone_ok = np.arange(n_clones) < b["clones"][..., None]
    valid = clone_ok[..., :, None] & (np.arange(n_mice) < b["mice"][..., None, None])

    g_out = generations(times, b["Td"][..., None])  # batch + (T,)
    g_max = int(g_out.max())
    mu = b["mu"][..., None]
    W = np.ones(shape + (n_clones,), dtype=np.int64)  # ordinary cells of each clone
    M = np.zeros_like(W)  # variant cells of each clone
    history = np.zeros(shape + (n_clones, g_max + 1), dtype=np.int64)
    for g in range(g_max):  # one vector step per generation, all clones at once
        born = rng.binomial(2 * W, mu)
        W = 2 * W - born
        M = 2 * M + born
        history[..., g + 1] = M
    index = np.broadcast_to(g_out[..., None, :], shape + (n_clones, len(times)))
    m_clones = np.where(clone_ok[..., None], np.take_along_axis(history, index, axis=-1), 0)

    N = 2.0**g_out  # cells per clone
    clones = b["clones"]
    M_mean = m_clones.sum(axis=-2) / clones[..., None]  # mean variant cells per clone
    F = np.where(clone_ok[..., None], m_clones > 0, False).sum(axis=-2) / clones[..., None]

    # the assay at the last time: n cells per mouse, never more than the clone holds
    n_end = N[..., -1]
    f_clone = m_clones[..., -1] / n_end[..., None]  # batch + (C,)
    f_parent = m_clones[..., -1].sum(axis=-1) / (clones * n_end)
    n_inj = np.minimum(b["n"], n_end).astype(np.int64)[..., None, None]
    q_v = b["q_v"][..., None, None]
    q_0 = b["q_0"][..., None, None]
    size = shape + (n_clones, n_mice)
    colonies_clones = _colonies(rng, n_inj, f_clone[..., None], q_v, q_0, size)
    colonies_parent = _colonies(rng, n_inj, f_parent[..., None, None], q_v, q_0, size)
    colonies_clones = np.where(valid, colonies_clones, 0)
    colonies_parent = np.where(valid, colonies_parent, 0)

    weight = np.where(clone_ok, f_clone * q_v[..., 0] + (1.0 - f_clone) * q_0[..., 0], 0.0)
    share = weight / weight.sum(axis=-1, keepdims=True)
    origin = -np.sort(-share, axis=-1)
    return HeterogeneityResult(
        t=times,
        params=p,
        N=N,
        M=M_mean,
        F=F,
        M_clones=m_clones,
        colonies_clones=colonies_clones,
        colonies_parent=colonies_parent,
        valid=valid,
        origin_share=origin,
    )


def _colonies(
    rng: np.random.Generator,
    n: np.ndarray,
    f: np.ndarray,
    q_v: np.ndarray,
    q_0: np.ndarray,
    size: tuple[int, ...],
) -> np.ndarray:
    """Lung colonies per mouse: Binomial(n, f) variant cells injected, each forming a colony
    with probability q_v; the other cells with probability q_0."""
    variants = rng.binomial(np.broadcast_to(n, size), np.broadcast_to(f, size))
    return rng.binomial(variants, q_v) + rng.binomial(n - variants, q_0)


def fluctuation_test(
    days: float = float(DEFAULT_T[-1]), *, seed: Any = None, **params: Any
) -> FluctuationTest:
    """Run the Fidler–Kripke experiment after ``days`` of clonal expansion.

    A thin wrapper of ``simulate`` (same parameters, same vectorization) that returns the
    colony counts and their variance-to-mean ratios as a frozen record.
    """
    r = simulate(np.array([0.0, days]), seed=seed, **params)
    s = r.summary()
    return FluctuationTest(
        clones=r.colonies_clones,
        parent=r.colonies_parent,
        valid=r.valid,
        mean_clones=s["mean_clones"],
        vmr_clones=s["vmr_clones"],
        mean_parent=s["mean_parent"],
        vmr_parent=s["vmr_parent"],
        ratio=s["vmr_ratio"],
        days=float(days),
        generations=s["generations"],
    )
