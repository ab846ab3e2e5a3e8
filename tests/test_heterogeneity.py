"""Heterogeneity model: the Luria–Delbrück construction against its exact answers, and the
Fidler–Kripke contrast between clones and subsamples of the parent line."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from dormancy_widgets.models import heterogeneity as het
from dormancy_widgets.widgets import fmt


def _recursion_variance(G: int, mu: float) -> float:
    """Var of the ordinary-cell count by the one-step law of total variance (independent of
    the closed form): W' | W ~ Binomial(2W, 1 - mu)."""
    mean, var = 1.0, 0.0
    for _ in range(G):
        mean, var = 2 * (1 - mu) * mean, 2 * mu * (1 - mu) * mean + 4 * (1 - mu) ** 2 * var
    return var


def test_clone_size_is_two_to_the_generations():
    t = np.array([0.0, 0.4, 0.5, 1.0, 1.49, 1.5, 7.5])
    r = het.simulate(t, seed=0, Td=np.array([0.5, 1.5]))
    g = np.array([[0, 0, 1, 2, 2, 3, 15], [0, 0, 0, 0, 0, 1, 5]])
    np.testing.assert_array_equal(r.N, 2.0**g)
    capped = het.simulate([0.0, 1000.0], seed=0, Td=0.5)
    assert capped.N[-1] == 2.0**het.G_MAX and capped.summary()["generations"] == het.G_MAX
    assert np.all(capped.M_clones <= capped.N[-1])


def test_closed_forms():
    # mean: mu N log2 N to first order in mu G (synchronous divisions)
    n = 2.0**20
    assert math.isclose(het.expected_variants(20, 1e-5), 1e-5 * n * 20, rel_tol=2e-4)
    assert het.expected_variants(0, 1e-3) == 0.0
    for G, mu in [(1, 0.1), (5, 1e-3), (20, 1e-5), (30, 1e-6)]:
        # variance: Galton-Watson closed form vs the step-by-step law of total variance
        assert math.isclose(het.variance_variants(G, mu), _recursion_variance(G, mu), rel_tol=1e-10)
    # one generation: two daughters, each a variant with probability mu
    mu = 0.1
    assert math.isclose(het.expected_variants(1, mu), 2 * mu, rel_tol=1e-12)
    assert math.isclose(het.variance_variants(1, mu), 2 * mu * (1 - mu), rel_tol=1e-12)
    assert math.isclose(het.prob_no_variant(1, mu), (1 - mu) ** 2, rel_tol=1e-12)
    assert math.isclose(het.prob_no_variant(3, mu), (1 - mu) ** (2 + 4 + 8), rel_tol=1e-12)


@pytest.fixture(scope="module")
def many_clones():
    """60,000 clones grown for 12 generations at mu = 1e-3 (one array step per generation)."""
    t = np.arange(13.0)
    return het.simulate(t, seed=11, mu=np.full(200, 1e-3), clones=300, Td=1.0)


def test_mean_variants_match_the_exact_expectation(many_clones):
    r = many_clones
    mu = 1e-3
    k = r.M_clones.shape[0] * r.M_clones.shape[1]
    for g in range(1, 13):
        sample = r.M_clones[..., g].astype(float)
        mean, expect = sample.mean(), het.expected_variants(g, mu)
        se = math.sqrt(het.variance_variants(g, mu) / k)
        assert abs(mean - expect) < 5 * se, (g, mean, expect, se)
        np.testing.assert_allclose(r.M[..., g].mean(), mean, rtol=1e-12)


def test_variance_and_zero_class_match_the_exact_values(many_clones):
    r = many_clones
    mu, g = 1e-3, 12
    x = r.M_clones[..., g].astype(float).ravel()
    var = x.var(ddof=1)
    m4 = np.mean((x - x.mean()) ** 4)
    se_var = math.sqrt((m4 - var**2) / x.size)
    expect = het.variance_variants(g, mu)
    assert abs(var - expect) < 5 * se_var, (var, expect, se_var)
    # variance-to-mean of variant counts far above 1: jackpots
    assert expect / het.expected_variants(g, mu) > 50
    # Luria and Delbrueck's p0: clones without any variant
    p0 = het.prob_no_variant(g, mu)
    share_none = np.mean(x == 0)
    assert abs(share_none - p0) < 5 * math.sqrt(p0 * (1 - p0) / x.size), (share_none, p0)
    np.testing.assert_allclose(r.F[..., g].mean(), 1 - share_none, rtol=1e-12)


def test_subsamples_of_the_parent_are_binomial():
    b = 20
    r = het.simulate([0.0, 20.0], seed=5, mu=np.full(b, 1e-5), clones=300, mice=20)
    s = r.summary()
    f = s["variant_fraction"]
    q_v, q_0 = het.PARAMS["q_v"].default, het.PARAMS["q_0"].default
    p = f * q_v + (1 - f) * q_0
    n = het.PARAMS["n"].default
    k = 300 * 20
    # every subsample mouse: Binomial(n, p), so mean n p and variance-to-mean 1 - p
    z = (s["mean_parent"] - n * p) / np.sqrt(n * p * (1 - p) / k)
    assert np.all(np.abs(z) < 5), z
    # the sample ratio of k Poisson-like counts has a standard error of about sqrt(2 / k)
    assert abs(np.mean(s["vmr_parent"]) - np.mean(1 - p)) < 5 * math.sqrt(2 / (k - 1) / b)
    assert np.all(np.abs(s["vmr_parent"] - 1) < 0.15)


def test_no_heritable_difference_makes_clones_binomial_too():
    """q_v = q_0: the alternative the fluctuation test rules out; clones look like subsamples."""
    b, q = 20, 5e-5
    r = het.simulate([0.0, 20.0], seed=6, mu=np.full(b, 1e-5), q_v=q, q_0=q, clones=300, mice=20)
    s = r.summary()
    n, k = het.PARAMS["n"].default, 300 * 20
    for arm in ("clones", "parent"):
        z = (s[f"mean_{arm}"] - n * q) / math.sqrt(n * q * (1 - q) / k)
        assert np.all(np.abs(z) < 5), (arm, z)
        assert abs(np.mean(s[f"vmr_{arm}"]) - (1 - q)) < 5 * math.sqrt(2 / (k - 1) / b), arm
    # every clone supplies the same share of the parent's metastases: half come from half the clones
    np.testing.assert_allclose(r.origin_share, 1 / 300, rtol=1e-9)
    np.testing.assert_array_equal(s["clones_for_half"], 150)


def test_clone_mean_matches_the_expected_variant_fraction():
    b, c = 100, 300
    r = het.simulate([0.0, 12.0], seed=8, mu=np.full(b, 1e-3), q_v=0.05, q_0=1e-5, n=4e3, clones=c, mice=1)
    g, mu, n, q_v, q_0 = 12, 1e-3, 4e3, 0.05, 1e-5  # 4,000 of the clone's 4,096 cells
    ef = het.expected_variants(g, mu) / 2.0**g
    var_f = het.variance_variants(g, mu) / 4.0**g
    p = ef * q_v + (1 - ef) * q_0
    # one mouse per clone: total variance = binomial noise + clone-to-clone spread of f
    var = n * p * (1 - p) + (n * (q_v - q_0)) ** 2 * var_f
    mean = r.colonies_clones.mean()
    assert abs(mean - n * p) < 5 * math.sqrt(var / (b * c)), (mean, n * p)


def test_fidler_kripke_contrast_at_the_defaults():
    """Clones' variance-to-mean ratio far above the subsamples', which sit near 1."""
    s = het.simulate(het.DEFAULT_T, seed=het.REPRODUCTION_SEED).summary()
    assert s["vmr_clones"] > 5 * s["vmr_parent"]
    assert 0.5 < s["vmr_parent"] < 2
    # repeated experiments (one batch): the contrast is the rule, not a lucky draw
    rep = het.simulate([0.0, 20.0], seed=9, mu=np.full(300, 1e-5)).summary()
    assert np.mean(rep["vmr_ratio"] > 5) > 0.85
    assert abs(np.median(rep["vmr_parent"]) - 1) < 0.1
    # the parent's metastases: mostly from variant cells, and from a minority of the clones
    assert np.median(rep["share_metastases_from_variants"]) > 0.7
    assert np.median(rep["share_clones_for_half"]) < 0.3


def test_origin_share_is_the_normalised_colony_chance():
    r = het.simulate(het.DEFAULT_T, seed=3)
    f = r.M_clones[:, -1] / r.N[-1]
    w = f * het.PARAMS["q_v"].default + (1 - f) * het.PARAMS["q_0"].default
    np.testing.assert_allclose(r.origin_share, np.sort(w / w.sum())[::-1], rtol=1e-12)
    assert math.isclose(r.origin_share.sum(), 1.0, rel_tol=1e-12)
    s = r.summary()
    assert s["clones_for_half"] == np.argmax(np.cumsum(r.origin_share) >= 0.5) + 1
    assert s["share_top_clone"] == r.origin_share[0]


def test_seed_reproducible_and_generator_accepted():
    a = het.simulate(het.DEFAULT_T, seed=123)
    b = het.simulate(het.DEFAULT_T, seed=123)
    c = het.simulate(het.DEFAULT_T, seed=124)
    for key in ("M_clones", "colonies_clones", "colonies_parent"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert not np.array_equal(a.colonies_clones, c.colonies_clones)
    g = het.simulate(het.DEFAULT_T, seed=np.random.default_rng(123))
    np.testing.assert_array_equal(g.colonies_parent, a.colonies_parent)


def test_batches_with_different_numbers_of_clones_and_mice():
    r = het.simulate([0.0, 16.0], seed=4, q_0=1e-4, clones=np.array([5, 50]), mice=np.array([[1], [4]]))
    assert r.batch_shape == (2, 2)
    assert r.colonies_clones.shape == (2, 2, 50, 4) and r.M_clones.shape == (2, 2, 50, 2)
    np.testing.assert_array_equal(r.valid.sum(axis=(-2, -1)), [[5, 50], [20, 200]])
    assert np.all(r.colonies_clones[~r.valid] == 0) and np.all(r.colonies_parent[~r.valid] == 0)
    assert np.all(r.M_clones[0, 0, 5:] == 0)
    np.testing.assert_allclose(r.origin_share.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(r.origin_share[:, 0, 5:] == 0)
    s = r.summary()
    assert np.shape(s["vmr_clones"]) == (2, 2)
    # the mean over a member's own clones only
    x = r.colonies_clones[1, 0, :5, :4].astype(float)
    assert math.isclose(s["mean_clones"][1, 0], x.mean(), rel_tol=1e-12)
    assert math.isclose(s["vmr_clones"][1, 0], het.variance_to_mean(x), rel_tol=1e-12)


def test_fluctuation_test_wraps_simulate():
    ft = het.fluctuation_test(15.0, seed=21, mu=2e-5)
    s = het.simulate([0.0, 15.0], seed=21, mu=2e-5).summary()
    assert ft.vmr_clones == s["vmr_clones"] and ft.vmr_parent == s["vmr_parent"]
    assert ft.ratio == s["vmr_ratio"] and ft.generations == 15
    assert ft.clones.shape == (50, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ft.ratio = 0.0  # type: ignore[misc]
    text = ft.report()
    assert f"variance/mean {ft.vmr_clones:.3g}" in text and f"= {ft.ratio:.3g}" in text
    with pytest.raises(ValueError, match="single run"):
        het.fluctuation_test(seed=1, mu=[1e-5, 2e-5]).report()


@pytest.mark.parametrize("Td", [1.0, 1.5, 2.0, 3.0])
def test_no_mouse_receives_more_cells_than_the_clone_holds(Td):
    """On the 20-day grid a clone holds 2^floor(20 / Td) cells (64 at Td = 3): each mouse gets
    at most that many, and the colony counts follow the capped dose."""
    n_clone = 2.0 ** math.floor(20 / Td + 1e-9)
    dose = min(1e6, n_clone)
    r = het.simulate(het.DEFAULT_T, seed=5, Td=Td, q_v=1.0, q_0=1e-2, clones=300, mice=20)
    s = r.summary()
    assert r.N[-1] == n_clone and s["n_injected"] == dose
    assert s["dose_capped"] == (n_clone < 1e6)
    assert r.colonies_clones.max() <= n_clone and r.colonies_parent.max() <= n_clone
    # the parent line's subsamples: Binomial(dose, p) colonies per mouse
    f = s["variant_fraction"]
    p = f * 1.0 + (1 - f) * 1e-2
    k = 300 * 20
    assert abs(s["mean_parent"] - dose * p) < 5 * math.sqrt(dose * p * (1 - p) / k)
    # a batch caps each member by its own clone size
    b = het.simulate(het.DEFAULT_T, seed=5, Td=np.array([1.0, Td])).summary()
    np.testing.assert_array_equal(b["n_injected"], [1e6, dose])


def test_mu_is_a_chance_per_daughter_cell():
    """One generation from one ordinary cell: two daughters, each a variant with chance μ, so
    2μ variants per cell per generation; Harris et al. 1982 is the cited source of the default."""
    mu = 1e-3
    r = het.simulate([0.0, 1.0], seed=2, mu=np.full(400, mu), clones=300)
    x = r.M_clones[..., -1]
    assert abs(x.mean() - 2 * mu) < 5 * math.sqrt(2 * mu * (1 - mu) / x.size)
    p = het.PARAMS["mu"]
    assert p.unit == "per daughter cell" and "2μ" in p.doc
    assert "Harris" in p.source and "79:5547" in p.source


@pytest.mark.parametrize("seed", ["abc", -1, 1.5, float("nan")])
def test_a_bad_seed_is_refused_by_name(seed):
    with pytest.raises(ValueError, match="seed"):
        het.simulate(het.DEFAULT_T, seed=seed)


def test_variance_to_mean_helper():
    assert het.variance_to_mean([1, 2, 3]) == 0.5
    assert math.isnan(het.variance_to_mean([0, 0, 0]))
    with pytest.raises(ValueError, match="counts"):
        het.variance_to_mean([4])


def test_defaults_and_presets_lie_on_the_log_slider_grid():
    """A browser rounds a log slider to its grid; values off the grid would be changed on display
    (and the preset marked as modified), so every default and preset value must lie on it."""
    for name, p in het.PARAMS.items():
        if not p.log:
            continue
        values = [p.default] + [pr.values[name] for pr in het.PRESETS.values()]
        for v in values:
            k = (math.log10(v) - math.log10(p.low)) / p.step
            assert abs(k - round(k)) < 1e-6, (name, v)


def test_bad_values_are_named():
    with pytest.raises(ValueError, match=r"^clones = 4\.5"):
        het.simulate(het.DEFAULT_T, clones=4.5)
    with pytest.raises(ValueError, match=r"^mu = 0\.1 "):
        het.simulate(het.DEFAULT_T, mu=0.1)


# ----------------------------------------------------------------------------- explorer


@pytest.fixture
def explorer():
    from dormancy_widgets.widgets.heterogeneity import HeterogeneityExplorer

    return HeterogeneityExplorer()


def _mice(mark) -> float:
    """Number of mice in a histogram outline (every bin's height appears twice)."""
    return float(np.asarray(mark.y, dtype=float)[1:-1:2].sum())


def test_explorer_opens_on_the_lesson_run(explorer):
    ft = het.fluctuation_test(seed=het.REPRODUCTION_SEED)
    assert explorer.seed == het.REPRODUCTION_SEED
    assert f"{ft.vmr_clones:.0f}" in explorer.fig_clones.title
    assert f"{ft.vmr_parent:.2g}" in explorer.fig_parent.title
    assert "pre-exist as rare variants" in explorer.readout.value
    assert "Experiment 1" in explorer.experiment_label.value
    # both histograms hold every mouse: 50 clones (or subsamples) x 5 mice
    assert _mice(explorer.hist["clones"]) == 250 and _mice(explorer.hist["parent"]) == 250
    # the cumulative origin curve runs from 0 to 100% and lies above the diagonal
    y = np.asarray(explorer.origin.y, dtype=float)
    x = np.asarray(explorer.origin.x, dtype=float)
    assert y[0] == 0 and math.isclose(y[-1], 100.0, rel_tol=1e-9) and np.all(y >= x - 1e-9)


def test_run_again_draws_a_new_experiment(explorer):
    before_y = np.asarray(explorer.hist["clones"].y, dtype=float).copy()
    before_text = explorer.readout.value
    explorer.buttons["rerun"].click()
    assert explorer.seed == het.REPRODUCTION_SEED + 1 and "Experiment 2" in explorer.experiment_label.value
    after_y = np.asarray(explorer.hist["clones"].y, dtype=float)
    assert len(after_y) != len(before_y) or not np.array_equal(after_y, before_y)
    assert explorer.readout.value != before_text
    assert (
        explorer.result.summary()["vmr_clones"]
        == het.simulate(explorer.t, seed=explorer.seed, **explorer.params).summary()["vmr_clones"]
    )


def test_no_heritable_difference_flattens_the_clones(explorer):
    vmr_before = explorer.result.summary()["vmr_clones"]
    explorer.preset("acquired_in_lung")
    s = explorer.result.summary()
    assert s["vmr_clones"] < vmr_before / 5 and s["vmr_clones"] < 2
    assert "no more than the subsamples" in explorer.readout.value
    # with equal colony chances every clone supplies the same share: the origin curve is the diagonal
    np.testing.assert_allclose(explorer.origin.y, explorer.origin.x, atol=1e-6)


def test_variant_rate_slider_moves_means_and_readout(explorer):
    mean_before = explorer.result.summary()["mean_parent"]
    text_before = explorer.readout.value
    explorer.controls["mu"].value = 1e-4
    s = explorer.result.summary()
    assert s["mean_parent"] > 4 * mean_before
    assert (
        explorer.readout.value != text_before
        and fmt.number(s["mean_parent"], 2, whole=True) in explorer.readout.value
    )
    # more colonies per mouse: the histogram's bins widen
    assert np.asarray(explorer.hist["parent"].x, dtype=float)[-1] > 75


def test_no_colonies_at_all_is_said_plainly(explorer):
    explorer.set(q_v=1e-7, q_0=1e-7, n=1000)
    assert explorer.error is None
    assert "No mouse developed a lung colony" in explorer.readout.value
    assert "undefined" in explorer.fig_clones.title
    assert _mice(explorer.hist["clones"]) == 250


def test_no_colonies_in_the_subsamples_is_explained(explorer):
    # a run whose subsamples gave no colony at all: no ratio to compare with
    r = dataclasses.replace(explorer.result, colonies_parent=np.zeros_like(explorer.result.colonies_parent))
    assert math.isnan(r.summary()["vmr_ratio"])
    assert "too few colonies to compare" in explorer.describe(r)


def test_explorer_latency_is_printed(explorer):
    import time

    times = []
    for value in (2e-5, 5e-5, 1e-5, 3e-6, 1e-5):
        start = time.perf_counter()
        explorer.controls["mu"].value = value
        times.append((time.perf_counter() - start) * 1e3)
    print(f"heterogeneity explorer update: median {np.median(times):.1f} ms, max {max(times):.1f} ms")
    assert explorer.error is None
