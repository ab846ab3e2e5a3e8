"""The metastatic cascade: exact probabilities, solve_ivp, Luzzi 1998's fractions, d/b, the explorer."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from dormancy_widgets.models import cascade, solvers

LUZZI = cascade.LUZZI1998
PRESET = cascade.PRESETS["luzzi1998"].values


def _se_ok(got: float, p: float, n: float, k: float = 4.0) -> bool:
    """``got`` lies within ``k`` binomial standard errors of ``p`` for ``n`` cells."""
    return abs(got - p) <= k * float(cascade.binomial_se(p, n))


# ----------------------------------------------------------------------------- published numbers
@pytest.fixture(scope="module")
def million():
    """One seeded run of the luzzi1998 preset with a million injected cells."""
    return cascade.simulate(cascade.DEFAULT_T, seed=1998, **{**PRESET, "n_cells": 1e6})


def test_expected_fractions_hit_the_published_ones():
    """The calibration: the model's expected fractions are Luzzi's to 0.2% (the rates are rounded)."""
    f = cascade.luzzi_fractions(**PRESET)
    for key, published in LUZZI.items():
        assert f[key] == pytest.approx(published, rel=2e-3), key


def test_a_million_cells_reproduce_luzzi_within_binomial_error(million):
    f = cascade.luzzi_fractions(million)
    n = 1e6
    n_ext = f["extravasated_day3"] * n
    n_present = f["micro_per_extravasated_day3"] * n_ext
    assert _se_ok(f["extravasated_day3"], LUZZI["extravasated_day3"], n)
    assert _se_ok(f["micro_per_extravasated_day3"], LUZZI["micro_per_extravasated_day3"], n_ext)
    assert _se_ok(f["solitary_day13"], LUZZI["solitary_day13"], n)
    assert _se_ok(f["macro_day13"], LUZZI["macro_day13"], n)
    assert _se_ok(f["macro_per_micro"], LUZZI["macro_per_micro"], n_present)
    s = million.summary()
    # "most micrometastases disappear": more than half of the lesions founded are lost by day 13
    assert s["share_lesions_lost"] > 0.5
    assert s["n_macro"] == pytest.approx(200, abs=4 * np.sqrt(200))


def test_luzzi_numbers_are_counted_as_luzzi_counted_them(million):
    """Micrometastases are lesions of >= 4 cells *present* on day 3, solitary cells those present
    on day 13; lesions *started* are a separate, larger model quantity (many already lost)."""
    f = cascade.luzzi_fractions(**PRESET)
    e = cascade.expected_fractions([0.0, 3.0, 13.0], **PRESET)
    ext3, present3, started3 = e["extravasated"][1], e["present"][1], e["started"][1]
    assert present3 / ext3 == pytest.approx(1 / 40, rel=2e-3)
    assert e["macrometastases"][2] / present3 == pytest.approx(1 / 100, rel=2e-3)
    assert e["solitary"][2] == pytest.approx(0.36, rel=2e-3)
    # 0.02% is the product of the other numbers, not a separate target
    assert LUZZI["macro_day13"] == pytest.approx(0.8 * (1 / 40) * (1 / 100), rel=1e-12)
    # founded lesions are several times those present with >= 4 cells, and labelled apart
    assert started3 > 3 * present3
    assert f["started_per_extravasated_day3"] == pytest.approx(started3 / ext3, rel=1e-9)
    assert set(cascade.MODEL_LABELS) & set(LUZZI) == set()
    # "most of which were dormant": the solitary cells on day 13 are nearly all dormant
    assert e["dormant"][2] > 0.99 * e["solitary"][2]
    # the sampled run carries the same observable in its summary
    s = million.summary()
    assert s["present_day3"] == million.present[cascade.DEFAULT_T.tolist().index(3.0)] / 1e6
    assert _se_ok(s["present_day3"], 0.8 / 40, 1e6)
    assert s["started_day3"] > 3 * s["present_day3"]
    assert s["n_present"] == million.present[-1] >= s["n_macro"]


def test_expected_present_lesions_follow_the_geometric_tail():
    """Lesions founded at once by one cell: alive with >= 4 cells at age a with probability
    (1 - alpha) (1 - q)**3 (Kendall 1948); expected and sampled counts agree with it."""
    b, d, n = 1.2, 0.4, 100_000
    fast = {"k_ex": 20.0, "mu_v": 0.001, "k_m": 10.0, "k_q": 1e-4, "mu_s": 1e-4, "b": b, "d": d}
    t = np.array([0.0, 2.0, 4.0])
    e = cascade.expected_fractions(t, **fast)
    r = cascade.simulate(t, seed=17, n_cells=n, **fast)
    for j in (1, 2):
        assert abs(r.present[j] / n - e["present"][j]) <= 4.5 * np.sqrt(e["present"][j] / n)
    # about a founding ~0.1 day after injection; at most the fraction alive with >= 4 cells at age t
    alpha, q = cascade._one_cell_lesion(np.array(b), np.array(d), t[1:])
    assert np.all(e["present"][1:] <= (1 - alpha) * (1 - q) ** 3 + 1e-12)
    assert np.all(e["present"][1:] >= 0.9 * (1 - alpha) * (1 - q) ** 3 * e["started"][1:] - 0.02)


def test_summary_fractions_are_consistent(million):
    s = million.summary()
    for key in ("extravasated", "dormant", "micrometastases", "macrometastases"):
        assert 0 <= s[key] <= 1
    assert s["day"] == 13.0 and s["n_cells"] == 1e6
    assert s["macrometastases"] == s["n_macro"] / 1e6
    assert s["micrometastases"] + s["macrometastases"] + s["lost"] == pytest.approx(s["started"])
    assert s["macrometastases"] < s["micrometastases"] < s["dormant"] < s["extravasated"]
    # the size histories are a sample of LESION_ROWS lesions; the largest counts every lesion
    assert million.lesion_size.shape[0] <= cascade.LESION_ROWS
    assert s["largest_lesion"] >= million.lesion_size[:, -1].max() and s["largest_lesion"] >= 1e4
    assert million.fractions_at(13.0) == {k: s[k] for k in million.fractions_at(13.0)}


# ----------------------------------------------------------------------------- exact answers
def test_extravasation_follows_its_closed_form():
    """P(extravasated by t) = k_ex/(k_ex+mu_v) (1 - exp(-(k_ex+mu_v) t)): expected and sampled."""
    k_ex, mu_v, n = 0.9, 0.6, 200_000
    t = np.array([0.0, 0.5, 1.0, 2.0, 5.0])
    tau = k_ex + mu_v
    exact = k_ex / tau * (1 - np.exp(-tau * t))
    e = cascade.expected_fractions(t, k_ex=k_ex, mu_v=mu_v)
    np.testing.assert_allclose(e["extravasated"], exact, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(e["arrested"], np.exp(-tau * t), rtol=1e-9)
    r = cascade.simulate(t, seed=5, n_cells=n, k_ex=k_ex, mu_v=mu_v)
    for got, p in zip(r.extravasated / n, exact):
        assert _se_ok(got, p, n)
    for got, p in zip(r.arrested / n, np.exp(-tau * t)):
        assert _se_ok(got, p, n)


def test_forward_equations_match_solve_ivp():
    """RK4 at the default step agrees with DOP853 (tolerance 1e-12) to 1e-6, relative.

    The absolute floor 1e-9 is DOP853's own error on the vanishing arrested fraction.
    """
    batch = {
        "k_ex": np.array([PRESET["k_ex"], 0.3, 5.0]),
        "k_q": np.array([PRESET["k_q"], 0.05, 2.0]),
        "k_w": np.array([PRESET["k_w"], 0.1, 0.01]),
    }
    t = np.linspace(0.0, 20.0, 11)
    e = cascade.expected_fractions(t, **batch)
    keys = ("arrested", "settling", "dormant", "extravasated", "started", "dead")
    for i in range(3):
        k = {**PRESET, **{name: v[i] for name, v in batch.items()}}

        def f(_t, y, k=k):
            v, s, q = y[:3]
            return [
                -(k["k_ex"] + k["mu_v"]) * v,
                k["k_ex"] * v - (k["k_m"] + k["k_q"] + k["mu_s"]) * s,
                k["k_q"] * s - (k["mu_q"] + k["k_w"]) * q,
                k["k_ex"] * v,
                k["k_m"] * s + k["k_w"] * q,
                k["mu_v"] * v + k["mu_s"] * s + k["mu_q"] * q,
            ]

        ref = solve_ivp(f, (0, 20), [1, 0, 0, 0, 0, 0], t_eval=t, method="DOP853", rtol=1e-12, atol=1e-14)
        for j, key in enumerate(keys):
            np.testing.assert_allclose(e[key][i], ref.y[j], rtol=1e-6, atol=1e-9, err_msg=key)


def test_lesions_are_lost_with_the_exact_probability_d_over_b():
    """Lesions founded at once and followed for 40 days: the share lost is d/b (Kendall 1948)."""
    b, d, n = 1.0, 0.5, 20_000
    fast = {"k_ex": 20.0, "mu_v": 0.001, "k_m": 10.0, "k_q": 1e-4, "mu_s": 1e-4, "b": b, "d": d}
    r = cascade.simulate(np.linspace(0.0, 40.0, 41), seed=8, n_cells=n, **fast)
    s = r.summary()
    n_started = s["n_started"]
    assert n_started > 0.99 * n
    p_lost = float(solvers.extinction_probability(b, d))
    assert p_lost == d / b
    assert _se_ok(s["share_lesions_lost"], p_lost, n_started)
    # the expected share (exact law at each age, integrated over founding times) agrees too
    e = cascade.expected_fractions([0.0, 40.0], **fast)
    assert e["lost"][-1] / e["started"][-1] == pytest.approx(d / b, rel=1e-5)


def test_subcritical_lesions_all_die_out():
    """With d >= b every lesion dies out eventually (extinction probability 1)."""
    r = cascade.simulate(np.linspace(0, 60, 61), seed=9, n_cells=5000, k_m=5.0, b=0.5, d=1.5, k_w=1e-6)
    assert r.micro[-1] + r.macro[-1] == 0 and r.lost[-1] == r.started[-1] > 0
    assert float(solvers.extinction_probability(0.5, 1.5)) == 1.0


@pytest.mark.parametrize("preset", ["luzzi1998", "awakening"])
def test_sampled_counts_scatter_around_the_expected_fractions(preset):
    n = 200_000
    t = np.array([0.0, 1.0, 3.0, 8.0, 13.0])
    values = {**cascade.PRESETS[preset].values, "n_cells": n}
    r = cascade.simulate(t, seed=21, **values)
    e = cascade.expected_fractions(t, **values)
    pairs = {
        "arrested": r.arrested,
        "settling": r.settling,
        "dormant": r.dormant,
        "extravasated": r.extravasated,
        "started": r.started,
        "dead": r.dead,
        "micrometastases": r.micro,
        "macrometastases": r.macro,
        "present": r.present,
        "solitary": r.dormant + r.settling,
        "lost": r.lost,
    }
    for key, counts in pairs.items():
        for got, p in zip(counts / n, e[key]):
            assert abs(got - p) <= 4.5 * np.sqrt(p * (1 - p) / n) + 2e-6, (key, got, p)


def test_every_cell_is_accounted_for_in_a_batch():
    n = np.array([100, 1000, 5000])
    b = np.array([[0.5], [1.4]])
    r = cascade.simulate(cascade.DEFAULT_T, seed=4, n_cells=n, b=b)
    assert r.batch_shape == (2, 3) and r.dormant.shape == (2, 3, len(cascade.DEFAULT_T))
    singles = r.arrested + r.settling + r.dormant + r.dead + r.started
    np.testing.assert_array_equal(singles, np.broadcast_to(n[:, None], (2, 3, len(r.t))))
    np.testing.assert_array_equal(r.micro + r.macro + r.lost, r.started)
    assert np.all(np.diff(r.extravasated, axis=-1) >= 0) and np.all(np.diff(r.started, axis=-1) >= 0)
    # the surviving lesions' rows add up to the living lesions of each batch member at the end
    alive = np.bincount(r.lesion_batch, minlength=6).reshape(2, 3)
    np.testing.assert_array_equal(alive, r.micro[..., -1] + r.macro[..., -1])
    assert np.all(r.lesion_size[:, -1] > 0)
    s = r.summary()
    assert s["dormant"].shape == (2, 3)
    # a faster division rate gives more living lesions, in every column
    assert np.all(s["n_micro"][1] + s["n_macro"][1] >= s["n_micro"][0] + s["n_macro"][0])


def test_a_higher_threshold_never_adds_macrometastases():
    """Lesion sizes do not depend on N_mac, so with one seed the counts are nested exactly."""
    t = cascade.DEFAULT_T
    runs = [cascade.simulate(t, seed=12, n_cells=50_000, N_mac=m).macro for m in (1e2, 1e3, 1e4)]
    assert np.all(runs[0] >= runs[1]) and np.all(runs[1] >= runs[2]) and runs[0][-1] > runs[2][-1]


def test_presets_change_the_funnel_the_way_they_say():
    base = cascade.luzzi_fractions(**PRESET)
    no_dorm = cascade.luzzi_fractions(**cascade.PRESETS["no_dormancy"].values)
    hostile = cascade.luzzi_fractions(**cascade.PRESETS["hostile_soil"].values)
    assert no_dorm["solitary_day13"] < 1e-3 < base["solitary_day13"]
    assert hostile["macro_day13"] < 0.01 * base["macro_day13"]
    # lesions founded after Luzzi's 13 days: awakening keeps founding them, the base hardly
    t = [0.0, 13.0, 60.0]
    awake = cascade.expected_fractions(t, h=0.02, **cascade.PRESETS["awakening"].values)["started"]
    base_st = cascade.expected_fractions(t, h=0.02, **PRESET)["started"]
    assert awake[-1] - awake[1] > 20 * (base_st[-1] - base_st[1])


def test_luzzi_fractions_need_days_3_and_13():
    r = cascade.simulate(np.linspace(0, 10, 11), seed=1)
    with pytest.raises(ValueError, match="day = 13"):
        cascade.luzzi_fractions(r)


def test_same_seed_same_lesions():
    a = cascade.simulate(cascade.DEFAULT_T, seed=77)
    b = cascade.simulate(cascade.DEFAULT_T, seed=np.random.default_rng(77))
    np.testing.assert_array_equal(a.lesion_size, b.lesion_size)
    np.testing.assert_array_equal(a.macro, b.macro)


# ----------------------------------------------------------------------------- the explorer
@pytest.fixture
def explorer():
    from dormancy_widgets.widgets.cascade import CascadeExplorer

    return CascadeExplorer(preset="luzzi1998")


def _bars(explorer) -> dict[str, float]:
    """The funnel's fractions, checked against the bar heights (floored at the axis minimum)."""
    from dormancy_widgets.widgets.cascade import STAGES

    f = explorer.funnel
    np.testing.assert_allclose(explorer.bars.y, np.clip([f[s[1]] for s in STAGES], 1e-6, 1.0))
    return f


def test_explorer_opens_on_the_luzzi_funnel(explorer):
    bars = _bars(explorer)
    n = 10_000
    assert bars["injected"] == 1.0
    assert _se_ok(bars["extravasated"], LUZZI["extravasated_day3"], n)
    assert _se_ok(bars["solitary"], LUZZI["solitary_day13"], n)
    assert _se_ok(bars["present"], LUZZI["extravasated_day3"] * LUZZI["micro_per_extravasated_day3"], n)
    text = explorer.readout.value
    assert "Of 10,000 injected cells" in text and "by day 13" in text
    assert f"{bars['extravasated']:.0%}" in text
    # the published markers sit at the stages Luzzi counted
    assert sorted(np.round(np.asarray(explorer.published.y, float), 6)) == sorted([0.8, 0.02, 0.36, 0.0002])
    # the lesion panel draws surviving lesions and the macroscopic threshold
    assert np.asarray(explorer.micro_lines.y).size > 0
    assert np.asarray(explorer.threshold.y, float)[0] == PRESET["N_mac"]


def test_no_dormancy_empties_the_dormant_bar(explorer):
    before = _bars(explorer)["dormant"]
    text = explorer.readout.value
    explorer.preset("no_dormancy")
    assert _bars(explorer)["dormant"] < 0.01 * before
    from dormancy_widgets.widgets.cascade import percent

    after = _bars(explorer)["dormant"]
    assert explorer.readout.value != text and f"{percent(after)} remain" in explorer.readout.value


def test_faster_division_makes_more_macrometastases(explorer):
    before = _bars(explorer)["macro"]
    explorer.controls["b"].value = 2.0
    assert _bars(explorer)["macro"] > 5 * max(before, 1e-4)
    assert np.asarray(explorer.macro_lines.y).size > 0
    explorer.controls["N_mac"].value = 1e9
    assert _bars(explorer)["macro"] == 0.0 and np.asarray(explorer.macro_lines.y).size == 0
    assert "0% (0 cells) formed macroscopic" in explorer.readout.value


def test_run_again_draws_a_new_sample_with_the_same_settings(explorer):
    params, seed, sizes = dict(explorer.params), explorer.seed, explorer.result.lesion_size.copy()
    explorer.buttons["rerun"].click()
    assert explorer.seed == seed + 1 and explorer.params == params
    assert not np.array_equal(explorer.result.lesion_size, sizes)


def test_days_followed_and_a_hundred_thousand_cells(explorer):
    explorer.view_controls["days"].value = 40
    assert explorer.result.t[-1] == 40 and explorer._days_scale.max == 40
    assert "by day 40" in explorer.readout.value
    explorer.set(n_cells=100_000)
    assert explorer.error is None and "Of 100,000 injected cells" in explorer.readout.value
    assert not explorer.controls["n_cells"].continuous_update


def test_luzzi_comparison_used_by_the_lesson(million):
    rows = cascade.luzzi_comparison(million)
    assert set(rows) == set(LUZZI)
    for key, (model, published, rtol) in rows.items():
        assert published == LUZZI[key] and 0 < rtol < 0.3, key
        assert abs(model / published - 1) <= rtol, key


def test_day_3_micrometastases_hold_a_few_cells():
    """Not tuned: the micrometastases present on day 3 (>= 4 cells) mostly hold 4-16 cells, the
    sizes Luzzi et al. describe (their median lies in that range)."""
    r = cascade.simulate([0.0, 3.0], seed=3, **{**PRESET, "n_cells": 200_000})
    sizes = r.lesion_size[:, -1]
    assert np.all(sizes > 0)
    counted = sizes[sizes >= cascade.MICRO_MIN]
    assert counted.size > 200
    assert 4 <= np.median(counted) <= 16 and np.mean(counted <= 16) > 0.75


# ----------------------------------------------------------------------------- memory and chunks
def test_largest_settings_keep_bounded_arrays_and_memory():
    """A million cells that nearly all found lesions growing without death for 120 days: the
    result's arrays are bounded (LESION_ROWS size histories, not one per lesion) and the peak
    of numpy allocations stays far below the ~300 MB an explorer update may use (2.4 GB before
    the cells were chunked and the histories sampled)."""
    import tracemalloc

    t = np.linspace(0.0, 120.0, 121)
    big = {"n_cells": 1e6, "k_m": 10.0, "b": 3.0, "d": 0.0, "k_w": 1.0, "k_ex": 20.0, "mu_v": 0.001}
    tracemalloc.start()
    try:
        r = cascade.simulate(t, seed=2, **big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"cascade peak at the largest settings: {peak / 1e6:.0f} MB")
    assert peak < 300e6
    assert r.summary()["n_started"] > 9e5
    assert r.lesion_size.shape == (cascade.LESION_ROWS, t.size)
    assert r.lesion_batch.shape == r.lesion_start.shape == (cascade.LESION_ROWS,)
    assert sum(a.nbytes for a in r.states().values()) < 1e5


def test_chunks_across_batch_members_account_for_every_cell(monkeypatch):
    """Chunks that cut through batch members: the counts still add up cell by cell, the sampled
    histories are the first LESION_ROWS lesions of each member, and the expectations hold."""
    monkeypatch.setattr(cascade, "CHUNK", 777)
    monkeypatch.setattr(cascade, "LESION_ROWS", 20)
    n = np.array([1000, 2500, 4000])
    t = np.array([0.0, 3.0, 8.0])
    r = cascade.simulate(t, seed=6, n_cells=n, k_m=0.5)
    singles = r.arrested + r.settling + r.dormant + r.dead + r.started
    np.testing.assert_array_equal(singles, np.broadcast_to(n[:, None], (3, t.size)))
    np.testing.assert_array_equal(r.micro + r.macro + r.lost, r.started)
    assert np.all(np.bincount(r.lesion_batch, minlength=3) <= 20)
    assert np.all(np.diff(r.lesion_batch) >= 0)
    e = cascade.expected_fractions(t, k_m=0.5)
    tot = r.present.sum(axis=0)[-1] / n.sum()
    assert abs(tot - e["present"][-1]) <= 4.5 * np.sqrt(e["present"][-1] / n.sum())


@pytest.mark.parametrize("seed", ["abc", -1, 1.5, float("nan")])
def test_a_bad_seed_is_refused_by_name(seed):
    with pytest.raises(ValueError, match="seed"):
        cascade.simulate(cascade.DEFAULT_T, seed=seed)


def test_lesions_that_reach_the_cap_are_held_there_and_stay_macroscopic():
    """No death in lesions and three divisions a day for 120 days: every lesion is still there,
    the big ones stop at the sampler's cap (never above it) and keep counting as macroscopic."""
    t = np.linspace(0.0, 120.0, 61)
    r = cascade.simulate(t, seed=3, n_cells=300, k_m=10.0, b=3.0, d=0.0, k_w=1e-6)
    cap = cascade.solvers.BD_CAP
    assert r.largest[-1] == cap and r.lesion_size.max() == cap
    assert np.all(r.lost == 0)
    np.testing.assert_array_equal(r.micro + r.macro, r.started)
    held = r.lesion_size[:, :-1] == cap
    assert held.any() and np.all(r.lesion_size[:, 1:][held] == cap)
    assert r.macro[-1] == r.started[-1]
