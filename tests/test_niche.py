"""Seed, soil and niche: the lesson-05 limit, closed forms, solve_ivp, binomial error, presets."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from dormancy_widgets.models import cascade, niche

LUZZI = cascade.PRESETS["luzzi1998"].values
#: one organ, no trigger, no pruning: every shed cell stops in the liver (Luzzi's injection)
LIVER_ONLY = {"route": "portal_vein", "arrest": 1.0, "k_nk": 0.0, "fold_trig": 1.0}
RATES = ("k_ex", "mu_v", "k_m", "k_q", "mu_s", "mu_q", "k_w", "b", "d", "N_mac")
LIVER = niche.ORGANS.index("liver")
SINGLE = ("arrested", "settling", "dormant", "extravasated", "started", "dead")


def _within(got: float, p: float, n: float, k: float = 4.5) -> bool:
    return abs(got - p) <= k * np.sqrt(max(p * (1 - p), 0.0) / n) + 2e-6


# ----------------------------------------------------------------------------- the lesson-05 limit
def test_one_organ_expected_fractions_are_the_cascade():
    """Liver only, no trigger: the exact single-cell probabilities equal lesson 05's (RK4 to 1e-6)."""
    t = np.array([0.0, 1.0, 3.0, 8.0, 13.0, 40.0])
    for rates in (LUZZI, cascade.PRESETS["awakening"].values, cascade.PRESETS["no_dormancy"].values):
        shared = {k: rates[k] for k in RATES}
        e = niche.expected_fractions(t, **LIVER_ONLY, **shared)
        ref = cascade.expected_fractions(t, **shared)
        for key in SINGLE:
            np.testing.assert_allclose(e[key][LIVER], ref[key], rtol=1e-6, atol=1e-12, err_msg=key)
            others = np.delete(e[key], LIVER, axis=0)
            assert np.all(others == 0), key


def test_one_organ_sample_has_the_cascade_statistics():
    """200,000 cells, liver only: every compartment within binomial error of lesson 05's expectation,
    lesions (micro, macro, lost) included; no cell anywhere else."""
    n = 200_000
    t = np.array([0.0, 1.0, 3.0, 8.0, 13.0])
    shared = {k: LUZZI[k] for k in RATES}
    r = niche.simulate(t, seed=5, n_cells=n, **LIVER_ONLY, **shared)
    e = cascade.expected_fractions(t, **shared)
    assert r.arrived[LIVER] == n and r.arrived.sum() == n
    pairs = {
        "arrested": r.arrested_liver,
        "settling": r.settling_liver,
        "dormant": r.dormant_liver,
        "extravasated": r.extravasated_liver,
        "started": r.started_liver,
        "dead": r.dead_liver,
        "micrometastases": r.micro_liver,
        "macrometastases": r.macro_liver,
        "lost": r.lost_liver,
    }
    for key, counts in pairs.items():
        for got, p in zip(counts / n, e[key]):
            assert _within(got, p, n), (key, got, p)
    assert np.all(np.delete(r.started, LIVER, axis=0) == 0)


# ----------------------------------------------------------------------------- flow: closed forms
def _shares(name: str) -> np.ndarray:
    return np.array([getattr(niche, name)[o] for o in niche.ORGANS])


@pytest.mark.parametrize("route", niche.ROUTES)
def test_arrest_per_organ_has_its_closed_form(route):
    a = 0.8
    arrest = a * _shares("ARREST_FACTOR")
    w = _shares("ARTERIAL_SHARE")
    lung, liver = niche.ORGANS.index("lung"), LIVER
    if route == "equal":
        want = np.full(5, a / 5)
    elif route == "arterial":
        want = w * arrest
    elif route == "vena_cava":
        want = (1 - arrest[lung]) * w * arrest
        want[lung] += arrest[lung]
    else:  # portal vein: liver, then lungs, then the arteries (the liver a second time)
        passed = (1 - arrest[liver]) * (1 - arrest[lung])
        want = passed * w * arrest
        want[liver] += arrest[liver]
        want[lung] += (1 - arrest[liver]) * arrest[lung]
    got = niche.expected_dissemination(route=route, arrest=a)["arrived"]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    n = 400_000
    r = niche.simulate([0.0], seed=11, n_cells=n, route=route, arrest=a)
    for o in range(5):
        assert _within(r.arrived[o] / n, want[o], n), (route, niche.ORGANS[o])


def test_delivered_counts_every_bed_a_cell_meets():
    e = niche.expected_dissemination(route="portal_vein", arrest=0.6)
    w = _shares("ARTERIAL_SHARE")
    # every cell reaches the liver; 40% of them the lungs; 16% the arteries (a second liver pass)
    assert e["delivered"][LIVER] == pytest.approx(1 + 0.16 * w[LIVER])
    assert e["delivered"][niche.ORGANS.index("lung")] == pytest.approx(0.4)


# ----------------------------------------------------------------------------- soil: closed forms
def test_single_cell_fractions_per_organ_have_their_closed_forms():
    """No trigger: vessel, extravasated and settling probabilities per arrested cell are the
    exponential formulas; lesions ever started and cells ever dormant are rate ratios."""
    soils = {"soil_lung": 0.1, "soil_liver": 1.0, "soil_bone": 10.0, "soil_brain": 0.3, "soil_kidney": 3.0}
    p = {**soils, "k_nk": 0.4, "route": "equal", "arrest": 1.0}
    t = np.array([0.0, 0.5, 2.0, 6.0, 2000.0])
    e = niche.expected_fractions(t, **p)
    k = {name: niche.PARAMS[name].default for name in RATES}
    per_cell = 1 / 5  # equal route, arrest 1
    a = k["k_ex"] + k["mu_v"]
    for i, o in enumerate(niche.ORGANS):
        km, kw = k["k_m"] * soils[f"soil_{o}"], k["k_w"] * soils[f"soil_{o}"]
        s = km + k["k_q"] + k["mu_s"] + p["k_nk"]
        q = k["mu_q"] + kw
        vessel = np.exp(-a * t)
        ext = k["k_ex"] / a * (1 - np.exp(-a * t))
        settling = k["k_ex"] / (s - a) * (np.exp(-a * t) - np.exp(-s * t))
        np.testing.assert_allclose(e["arrested"][i] / per_cell, vessel, rtol=1e-10, atol=1e-300)
        np.testing.assert_allclose(e["extravasated"][i] / per_cell, ext, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(e["settling"][i] / per_cell, settling, rtol=1e-9, atol=1e-15)
        ever_started = k["k_ex"] / a * (km + k["k_q"] / s * kw * s / q) / s
        assert e["started"][i, -1] / per_cell == pytest.approx(ever_started, rel=1e-6)


def _trigger_rhs(k: dict, soil: float, fold: float):
    km, kw = k["k_m"] * soil, k["k_w"] * soil * fold
    s = km + k["k_q"] + k["mu_s"] + k["k_nk"]

    def f(_t, y):
        v, st, q = y[:3]
        return [
            -(k["k_ex"] + k["mu_v"]) * v,
            k["k_ex"] * v - s * st,
            k["k_q"] * st - (k["mu_q"] + kw) * q,
            k["k_ex"] * v,
            km * st + kw * q,
            k["mu_v"] * v + (k["mu_s"] + k["k_nk"]) * st + k["mu_q"] * q,
        ]

    return f


def test_trigger_matches_solve_ivp_piecewise():
    """A trigger that raises wake-up 200-fold from day 20 to 32: the exact piecewise solution
    agrees with DOP853 (rtol 1e-12) run across the three stretches, to 1e-8."""
    p = {**niche.PRESETS["niche_disruption"].values, "t_trig": 20.0, "dur_trig": 12.0, "fold_trig": 200.0}
    t = np.array([0.0, 10.0, 20.0, 25.0, 32.0, 60.0])
    e = niche.expected_fractions(t, **p)
    arrived = niche.expected_dissemination(**p)["arrived"]
    k = {**{n: p[n] for n in RATES}, "k_nk": p["k_nk"]}
    for i, o in enumerate(niche.ORGANS):
        y = np.array([1.0, 0, 0, 0, 0, 0])
        ref = [y]
        for a_, z in itertools.pairwise(t):
            fold = p["fold_trig"] if 20.0 <= a_ < 32.0 else 1.0
            sol = solve_ivp(
                _trigger_rhs(k, p[f"soil_{o}"], fold), (a_, z), y, method="DOP853", rtol=1e-12, atol=1e-15
            )
            y = sol.y[:, -1]
            ref.append(y)
        ref = np.array(ref).T * arrived[i]
        for j, key in enumerate(SINGLE):
            np.testing.assert_allclose(e[key][i], ref[j], rtol=1e-8, atol=1e-14, err_msg=(o, key))


def test_sampled_trigger_run_scatters_around_the_expectation():
    n = 300_000
    p = {**niche.PRESETS["niche_disruption"].values, "n_cells": n, "k_w": 0.002}
    t = np.array([0.0, 30.0, 45.0, 50.0, 55.0, 90.0])
    r = niche.simulate(t, seed=17, **p)
    e = niche.expected_fractions(t, **p)
    for key in ("dormant", "started", "dead", "settling"):
        for i in range(5):
            for got, want in zip(getattr(r, key)[i] / n, e[key][i]):
                assert _within(got, want, n), (key, niche.ORGANS[i], got, want)
    # the trigger starts lesions from the dormant pool: more lesions founded during it than before
    bone = niche.ORGANS.index("bone")
    assert r.started[bone, 4] - r.started[bone, 2] > r.started[bone, 2] - r.started[bone, 1]


def test_dormant_cells_escape_nk_pruning():
    """Pruning kills settling cells only: every cell that ever became dormant did so with
    probability k_q / (k_m + k_q + mu_s + k_nk), and after that its fate ignores k_nk."""
    t = [0.0, 3000.0]
    base = niche.expected_fractions(t, route="equal", arrest=1.0, k_nk=0.0, k_w=1e-6, mu_q=1e-5)
    nk = niche.expected_fractions(t, route="equal", arrest=1.0, k_nk=2.0, k_w=1e-6, mu_q=1e-5)
    k = {name: niche.PARAMS[name].default for name in RATES}
    s0 = k["k_m"] + k["k_q"] + k["mu_s"]
    ratio = (s0 / (s0 + 2.0)) * np.ones(5)
    # dormant cells nearly immortal (1.1e-5 /day): the late dormant pool is the ever-dormant share,
    # up to the few hours' difference in when cells entered it (a relative 1e-5)
    np.testing.assert_allclose(nk["dormant"][:, -1] / base["dormant"][:, -1], ratio, rtol=3e-5)


# ----------------------------------------------------------------------------- flow or soil
def test_flow_share_is_one_for_flow_zero_for_soil():
    assert niche.flow_soil(90.0, route="portal_vein")["flow_share"] == pytest.approx(1.0)
    assert niche.flow_soil(90.0, **niche.PRESETS["hart_fidler1980"].values)["flow_share"] == pytest.approx(
        0.0
    )
    assert np.isnan(niche.flow_soil(90.0, route="equal")["flow_share"])
    split = niche.flow_soil(90.0, **niche.PRESETS["premetastatic_niche"].values)
    assert 0.0 < split["flow_share"] < 1.0
    np.testing.assert_allclose(split["lesions"].sum(), 1.0)


def test_breast_preset_reproduces_the_seer_shares_it_was_tuned_to():
    split = niche.flow_soil(90.0, **niche.PRESETS["breast_organotropism"].values)
    four = ["bone", "lung", "liver", "brain"]
    model = np.array([split["lesions"][niche.ORGANS.index(o)] for o in four])
    seer = np.array([niche.SEER_BREAST[o] for o in four], dtype=float)
    np.testing.assert_allclose(model / model.sum(), seer / seer.sum(), rtol=2e-3)
    # and the lungs receive most cells all the same: soil, not flow, makes bone first
    assert split["arrival"].argmax() == niche.ORGANS.index("lung")
    assert split["flow_share"] < 0.1


def test_tune_soils_recovers_known_soils():
    truth = {"soil_liver": 0.5, "soil_bone": 4.0, "soil_brain": 0.2, "soil_kidney": 1.5}
    lesions = niche.flow_soil(90.0, route="arterial", **truth)["lesions"]
    targets = {o: float(lesions[i]) for i, o in enumerate(niche.ORGANS) if o != "lung"}
    got = niche.tune_soils(targets, reference="liver", route="arterial", soil_liver=0.5)
    for key in ("soil_bone", "soil_brain", "soil_kidney"):
        assert got[key] == pytest.approx(truth[key], rel=1e-6)


def test_presets_do_what_they_say():
    day = [0.0, 90.0]
    hart = niche.simulate(day, seed=1, **niche.PRESETS["hart_fidler1980"].values)
    kidney = niche.ORGANS.index("kidney")
    assert np.ptp(hart.arrived) < 0.1 * hart.arrived.mean()  # equal delivery
    assert hart.growing[kidney, -1] < 0.1 * np.delete(hart.growing[:, -1], kidney).mean()
    ewing = niche.flow_soil(90.0, **niche.PRESETS["ewing_colorectal"].values)
    assert ewing["lesions"].argmax() == LIVER and ewing["lesions"][LIVER] > 0.8
    calm = niche.expected_fractions(day, **niche.PRESETS["breast_organotropism"].values)["started"]
    woken = niche.expected_fractions(day, **niche.PRESETS["niche_disruption"].values)["started"]
    assert woken[niche.ORGANS.index("bone"), -1] > calm[niche.ORGANS.index("bone"), -1]


# ----------------------------------------------------------------------------- batches and seeds
def test_batches_of_routes_and_soils_account_for_every_cell():
    routes = np.array(["vena_cava", "portal_vein", "equal"])
    soil = np.array([[0.1], [10.0]])
    r = niche.simulate(niche.DEFAULT_T, seed=4, route=routes, soil_bone=soil, n_cells=3000)
    assert r.batch_shape == (2, 3) and r.macro.shape == (2, 3, 5, len(niche.DEFAULT_T))
    singles = r.arrested + r.settling + r.dormant + r.dead + r.started
    np.testing.assert_array_equal(singles, np.broadcast_to(r.arrived[..., None], singles.shape))
    np.testing.assert_array_equal(r.micro + r.macro + r.lost, r.started)
    assert np.all(r.delivered >= r.arrived) and np.all(r.arrived.sum(-1) <= 3000)
    s = r.summary()
    assert s["flow_share"].shape == (2, 3)
    # the same settings as one member of the batch give the same expected values
    one = niche.flow_soil(90.0, route="portal_vein", soil_bone=10.0)["flow_share"]
    assert s["flow_share"][1, 1] == pytest.approx(one)


def test_same_seed_same_numbers_and_no_warnings():
    p = niche.PRESETS["niche_disruption"].values
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = niche.simulate(niche.DEFAULT_T, seed=8, **p)
        b = niche.simulate(niche.DEFAULT_T, seed=8, **p)
    for key in a.STATES:
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert a.dormant_bone.shape == (len(niche.DEFAULT_T),)
    with pytest.raises(AttributeError):
        _ = a.dormant_spleen


def test_bad_values_name_the_parameter():
    with pytest.raises(ValueError, match=r"^route "):
        niche.simulate(niche.DEFAULT_T, route="lymph")
    with pytest.raises(ValueError, match=r"^soil_bone "):
        niche.simulate(niche.DEFAULT_T, soil_bone=0.0)
    with pytest.raises(ValueError, match=r"^fold_trig "):
        niche.simulate(niche.DEFAULT_T, fold_trig=0.5)


# ----------------------------------------------------------------------------- the explorer
def test_explorer_answers_flow_or_soil_and_shows_the_trigger():
    from dormancy_widgets import NicheExplorer

    ex = NicheExplorer(preset="ewing_colorectal")
    assert "Flow decides" in ex.readout.value
    ex.preset("hart_fidler1980")
    assert "Soil decides" in ex.readout.value
    assert np.ptp(np.asarray(ex.band.x, dtype=float)) == 0  # no trigger, no band
    ex.preset("niche_disruption")
    band = np.asarray(ex.band.x, dtype=float)
    assert band.min() == 45.0 and band.max() == 55.0
    assert "×100" in ex.band_label.text[0]
    bars = np.asarray(ex.bars.y, dtype=float)
    assert bars.shape == (4, 5)
    np.testing.assert_array_equal(bars[1], np.maximum(ex.result.arrived, 0.5))


# ----------------------------------------------------------------------------- memory and chunks
def test_chunks_across_batch_members_and_organs_account_for_every_cell(monkeypatch):
    """Cells processed in small chunks that cut through (batch member, organ) groups: every
    arrested cell is in exactly one compartment, every lesion is living or lost, and the
    sampled single-cell states still scatter around the exact expectation (with a trigger)."""
    monkeypatch.setattr(cascade, "CHUNK", 997)
    n = np.array([3000.0, 20000.0])
    p = {**niche.PRESETS["niche_disruption"].values, "n_cells": n, "k_w": 0.002}
    t = np.array([0.0, 30.0, 50.0, 90.0])
    r = niche.simulate(t, seed=23, **p)
    singles = r.arrested + r.settling + r.dormant + r.dead + r.started
    np.testing.assert_array_equal(singles, np.broadcast_to(r.arrived[..., None], singles.shape))
    np.testing.assert_array_equal(r.micro + r.macro + r.lost, r.started)
    e = niche.expected_fractions(t, **p)
    for key in ("dormant", "started", "dead"):
        for b in range(2):
            for o in range(len(niche.ORGANS)):
                for got, want in zip(getattr(r, key)[b, o] / n[b], e[key][b, o]):
                    assert _within(got, want, n[b]), (key, b, niche.ORGANS[o], got, want)


def test_memory_does_not_grow_with_the_batch(monkeypatch):
    """Peak numpy memory of a batch of four runs is that of one run (the cells are sampled in
    chunks whatever the batch; a batch of 20 million-cell runs took 2.1 GB when every arrested
    cell of every organ and batch member had its own entries in one array)."""
    import tracemalloc

    monkeypatch.setattr(cascade, "CHUNK", 2**13)
    peaks = []
    for batch in (1, 4):
        tracemalloc.start()
        try:
            r = niche.simulate(niche.DEFAULT_T, seed=3, n_cells=np.full(batch, 5e4), k_m=2.0)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert r.started[..., -1].sum() > 0.2 * batch * 5e4
    print(f"niche peak, one run and a batch of four: {peaks[0] / 1e6:.1f} and {peaks[1] / 1e6:.1f} MB")
    assert peaks[1] < 1.5 * peaks[0]
    assert peaks[1] < 4 * 5e4 * 8  # less than one 8-byte number per cell of the batch
