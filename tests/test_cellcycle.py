"""Cellular dormancy (cell-cycle arrest): exact answers, solve_ivp, Luzzi 1998 and the explorer."""

from __future__ import annotations

import itertools
import math
import time
import warnings

import bqplot as bq
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from dormancy_widgets.models import cellcycle as cc
from dormancy_widgets.models import solvers

T = cc.DEFAULT_T
DORMANT = dict(cc.PRESETS["luzzi1998_dormant"].values)
GROWING = dict(cc.PRESETS["luzzi1998_growing"].values)
NO_DRUG = {"k": 0.0, "drug_days": 0.0, "p38i": "off"}


def matrix(p: dict, *, drug: bool = False, blocked: bool = False) -> np.ndarray:
    """The 3x3 matrix of (P, Q, D), built here from the equations, not from the module."""
    s = p["s"] - (cc.P38_BLOCK if blocked else 0.0)
    ratio = 10.0**s
    H = ratio ** p["n"] / (p["K"] ** p["n"] + ratio ** p["n"])
    r0, ri = p["r0_max"] * H, p["ri_max"] * (1 - H)
    kill = p["k"] if drug else 0.0
    return np.array(
        [
            [p["beta"] - p["mu_p"] - kill - r0, ri, 0.0],
            [r0, -(ri + p["mu_q"]), 0.0],
            [p["mu_p"] + kill, p["mu_q"], -p["c"]],
        ]
    )


def full(**kw) -> dict:
    return {
        name: kw.get(name, prm.default) if prm.categorical else float(kw.get(name, prm.default))
        for name, prm in cc.PARAMS.items()
    }


def block(p: dict) -> float:
    """The inhibitor's first day, or infinity when it is off."""
    return p["t_block"] if p["p38i"] == "on" else math.inf


def random_params(rng: np.random.Generator, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        out.append(
            full(
                s=rng.uniform(-2, 2),
                beta=10 ** rng.uniform(np.log10(0.02), np.log10(2)),
                mu_p=rng.uniform(0, 1),
                mu_q=rng.uniform(0, 0.5),
                r0_max=rng.uniform(0, 5),
                ri_max=rng.uniform(0, 2),
                K=10 ** rng.uniform(-2, 2),
                n=rng.uniform(0.5, 8),
                c=10 ** rng.uniform(-3, np.log10(5)),
                k=rng.uniform(0, 10),
                t_drug=rng.uniform(0, 60),
                drug_days=rng.uniform(0, 30),
                p38i="on",
                t_block=rng.uniform(0, 80),
            )
        )
    return out


# ----------------------------------------------------------------------------- exact answers
def test_constant_rates_match_the_matrix_exponential():
    rng = np.random.default_rng(7)
    t = np.array([0.0, 0.3, 2.0, 7.5, 20.0])
    for p in random_params(rng, 25):
        p.update(NO_DRUG)
        y0 = rng.uniform(0, 100, size=3)
        r = cc.evolve(t, *y0, **p)
        A = matrix(p)
        ref = np.array([expm(A * tj) @ y0 for tj in t]).T
        got = np.vstack([r.P, r.Q, r.D])
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max(), err_msg=str(p))


def test_two_by_two_closed_form_cosh_sinh():
    """P, Q = e^{mt}[cosh(δt) I + sinh(δt)/δ (A − m I)] (y0), the textbook 2x2 exponential."""
    p = full(s=0.3, **NO_DRUG)
    A = matrix(p)[:2, :2]
    m = np.trace(A) / 2
    B = A - m * np.eye(2)
    delta = math.sqrt(-np.linalg.det(B))
    t = np.linspace(0, 150, 31)
    y0 = np.array([30.0, 70.0])
    ref = np.array(
        [np.exp(m * tj) * (np.cosh(delta * tj) * y0 + np.sinh(delta * tj) / delta * (B @ y0)) for tj in t]
    ).T
    r = cc.evolve(t, y0[0], y0[1], 0.0, **p)
    np.testing.assert_allclose(np.vstack([r.P, r.Q]), ref, rtol=1e-11)


def test_balanced_start_grows_as_one_exponential():
    for preset in (DORMANT, GROWING, full(s=0.5, **NO_DRUG)):
        p = {**preset, **NO_DRUG}
        A = matrix(p)[:2, :2]
        tr, det = np.trace(A), np.linalg.det(A)
        lam = (tr + math.sqrt(tr * tr - 4 * det)) / 2
        r = cc.simulate(T, **p)
        n = r.P + r.Q
        np.testing.assert_allclose(n, p["N0"] * np.exp(lam * T), rtol=1e-10)
        np.testing.assert_allclose(r.P / n, r.P[0] / n[0], rtol=1e-10)
        assert cc.steady_state(**p)["growth_rate"] == pytest.approx(lam, rel=1e-10, abs=1e-14)


def piecewise_reference(p: dict, t: np.ndarray, y0: np.ndarray, method: str) -> np.ndarray:
    """(P, Q, D) at ``t`` integrated piece by piece between the switching days."""
    edges = sorted({0.0, p["t_drug"], p["t_drug"] + p["drug_days"], block(p), float(t[-1])})
    edges = [e for e in edges if e <= t[-1]]
    ref = np.zeros((3, t.size))
    y = y0
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        mid = (a + b) / 2
        A = matrix(p, drug=p["t_drug"] <= mid < p["t_drug"] + p["drug_days"], blocked=mid >= block(p))
        sel = (t >= a) & (t < b)
        if method == "solve_ivp":
            sol = solve_ivp(
                lambda _, v, A=A: A @ v,
                (a, b),
                y,
                method="DOP853",
                rtol=1e-12,
                atol=1e-12,
                t_eval=np.append(t[sel], b),
            )
            ref[:, sel] = sol.y[:, :-1]
            y = sol.y[:, -1]
        else:
            ref[:, sel] = np.array([expm(A * (tj - a)) @ y for tj in t[sel]]).T
            y = expm(A * (b - a)) @ y
    ref[:, -1] = y
    return ref


@pytest.mark.parametrize(
    "name", ["default", "chemo_growing", "chemo_dormant", "aguirre2003_p38_blocked", "blocked_during_drug"]
)
def test_matches_solve_ivp_across_drug_and_inhibitor_switches(name):
    if name == "default":
        p = full()
    elif name == "blocked_during_drug":
        p = full(s=1.0, t_drug=20.0, drug_days=30.0, k=2.0, p38i="on", t_block=35.0)
    else:
        p = full(**cc.PRESETS[name].values)
    r = cc.simulate(T, **p)
    ref = piecewise_reference(p, T, np.array([r.P[0], r.Q[0], r.D[0]]), "solve_ivp")
    got = np.vstack([r.P, r.Q, r.D])
    assert np.max(np.abs(got - ref) / np.abs(ref)) <= 1e-6


def test_random_settings_match_piecewise_matrix_exponentials():
    """Over the whole parameter range, against expm piece by piece (rtol 1e-9).

    Values below 1e-6 of the largest compartment are compared in absolute terms (1e-15 of
    it): expm is accurate relative to the norm only, and can return tiny negative numbers.
    """
    rng = np.random.default_rng(11)
    t = T[::10]
    for p in random_params(rng, 10):
        r = cc.simulate(t, **p)
        ref = piecewise_reference(p, t, np.array([r.P[0], r.Q[0], r.D[0]]), "expm")
        got = np.vstack([r.P, r.Q, r.D])
        err = np.abs(got - ref) / np.maximum(np.abs(ref), 1e-6 * np.abs(ref).max())
        assert err.max() <= 1e-9, p


def test_rhs_is_the_matrix_and_rk4_agrees_piece_by_piece():
    p = full(p38i="on", t_block=90.0)
    r = cc.simulate(T, **p)
    y = np.array([r.P[0], r.Q[0], r.D[0]])
    for a, b in [(0.0, 30.0), (30.0, 44.0), (44.0, 90.0), (90.0, 150.0)]:
        mid = (a + b) / 2
        A = matrix(p, drug=30.0 <= mid < 44.0, blocked=mid >= 90.0)
        np.testing.assert_allclose(cc.rhs(mid, tuple(y), **p), A @ y, rtol=1e-12)
        sel = (T >= a) & (T <= b)
        P, Q, D = solvers.rk4(lambda _, v, A=A: tuple(A @ np.array(v)), tuple(y), T[sel], h=0.05)
        np.testing.assert_allclose(np.vstack([P, Q, D]), np.vstack([r.P, r.Q, r.D])[:, sel], rtol=1e-7)
        y = np.array([P[-1], Q[-1], D[-1]])


def test_near_degenerate_eigenvalues_stay_exact_and_non_negative():
    """No exit from G0 (ri = 0) with a = −e: the eigenvalues meet (a Jordan block); also r0 = 0.

    The reference is solve_ivp: scipy.linalg.expm itself loses accuracy on the exactly
    triangular, equal-diagonal case (Q off by 12% at day 50 with scipy 1.17).
    """
    base = full(ri_max=0.0, **NO_DRUG)
    H = 1 / (1 + base["K"] / 10 ** base["s"])
    a_minus_e = base["beta"] - base["mu_p"] - base["r0_max"] * H - base["mu_q"]
    cases = [
        {**base, "beta": base["beta"] - a_minus_e},
        {**base, "beta": base["beta"] - a_minus_e + 1e-9},
        {**base, "r0_max": 0.0},
        {**base, "r0_max": 0.0, "ri_max": 0.0},
    ]
    t = np.array([0.0, 1.0, 50.0, 150.0])
    y0 = np.array([10.0, 50.0, 3.0])
    for p in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            r = cc.evolve(t, *y0, **p)
        got = np.vstack([r.P, r.Q, r.D])
        assert np.all(got >= 0)
        A = matrix(p)
        tight = {"method": "DOP853", "rtol": 1e-12, "atol": 1e-12, "t_eval": t}
        ref = solve_ivp(lambda _, v, A=A: A @ v, (0, 150), y0, **tight).y
        np.testing.assert_allclose(got, ref, rtol=1e-8)


def test_overflowing_growth_is_capped_without_warnings():
    t = np.array([0.0, 100.0, 1e4, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = cc.simulate(t, s=-2.0, beta=2.0, mu_p=0.0, mu_q=0.0, N0=1e6, k=0.0, c=0.01)
        r.summary()
    for arr in r.states().values():
        assert np.all(np.isfinite(arr)) and np.all(arr <= cc.N_CAP) and np.all(arr >= 0)
    assert r.P[-1] == cc.N_CAP


def _piecewise_expm(p: dict, t: np.ndarray, y0) -> np.ndarray:
    """(P, Q, D) at ``t`` as products of 3x3 matrix exponentials (scipy), piece by piece."""
    from scipy.linalg import expm

    cuts = sorted([p["t_drug"], p["t_drug"] + p["drug_days"], block(p)])
    out = []
    for tt in t:
        y, a = np.array(y0, dtype=float), 0.0
        for e in [*(c for c in cuts if c < tt), tt]:
            if e > a:
                mid = (a + e) / 2
                drug = p["t_drug"] <= mid < p["t_drug"] + p["drug_days"]
                y = expm(matrix(p, drug=drug, blocked=mid >= block(p)) * (e - a)) @ y
                a = e
        out.append(y)
    return np.array(out).T


def test_state_past_the_reporting_ceiling_is_carried_exactly_across_switch_days():
    """A growing lesion passes 1e15 cells before a long, strong drug course kills it back:
    the counts after the course are exact (they were ~1e4 instead of 1.85e9 when the carried
    state was clipped at the ceiling); only counts above the ceiling are shown at it."""
    p = full(s=-2.0, beta=2.0, N0=1e6, t_drug=20.0, drug_days=60.0, k=10.0, mu_q=0.3, c=1.0)
    t = np.array([0.0, 20.0, 50.0, 80.0, 100.0])
    r = cc.simulate(t, **p)
    ref = _piecewise_expm(p, t, [r.P[0], r.Q[0], r.D[0]])
    got = np.vstack([r.P, r.Q, r.D])
    below = ref < cc.N_CAP
    assert ref[0, 3] == pytest.approx(1.8506e9, rel=1e-4) and ref[0, 1] > 1e20  # in range
    np.testing.assert_allclose(got[below], ref[below], rtol=1e-9)
    assert np.all(got[~below] == cc.N_CAP)
    # the same with the drug switched on by a p38 inhibitor day instead (three pieces)
    q = {**p, "p38i": "on", "t_block": 90.0}
    r = cc.simulate(t, **q)
    ref = _piecewise_expm(q, t, [r.P[0], r.Q[0], r.D[0]])
    below = ref < cc.N_CAP
    np.testing.assert_allclose(np.vstack([r.P, r.Q, r.D])[below], ref[below], rtol=1e-9)


def test_extinction_probability_is_zero_when_g0_cells_neither_wake_nor_die():
    """With r_i = 0 and μ_q = 0 a G0 cell lives for ever: its line never dies out (x_Q = 0),
    and a P cell's line dies out only if it dies before entering G0 (closed form below)."""
    p = full(s=2.0, ri_max=0.0, mu_q=0.0, mu_p=0.1, beta=0.05)
    x = cc.extinction_probability(**p)
    assert x["Q"] == 0.0
    r0 = matrix(p)[1, 0]
    b, mp = 0.05, 0.1
    # β x² − (β + μ_p + r₀) x + μ_p = 0, smaller root
    lin = b + mp + r0
    exact = (lin - math.sqrt(lin * lin - 4 * b * mp)) / (2 * b)
    assert x["P"] == pytest.approx(exact, rel=1e-12) and x["P"] < 1


def test_batches_with_different_switch_days_equal_single_runs():
    t_drug = np.array([0.0, 10.0, 75.0, 200.0])
    t_block = np.array([[5.0], [40.0], [30.0]])
    p38i = np.array([["on"], ["on"], ["off"]])
    r = cc.simulate(T, t_drug=t_drug, p38i=p38i, t_block=t_block, s=0.5)
    assert r.batch_shape == (3, 4)
    for i in range(3):
        for j in range(4):
            one = cc.simulate(T, t_drug=t_drug[j], p38i=p38i[i, 0], t_block=t_block[i, 0], s=0.5)
            np.testing.assert_allclose(r.P[i, j], one.P, rtol=1e-12)
            np.testing.assert_allclose(r.D[i, j], one.D, rtol=1e-12)
    s = r.summary()
    assert np.shape(s["regrow_day"]) == (3, 4) and np.shape(s["P_drop_drug"]) == (3, 4)


def test_defaults_and_presets_lie_on_the_slider_grid():
    """A browser rounds a slider's value to its grid when it shows it: values off the grid
    would change on display (and the preset would read as modified)."""
    for name, prm in cc.PARAMS.items():
        if prm.categorical:
            continue
        assert prm.step is not None, name
        values = [prm.default] + [pr.values[name] for pr in cc.PRESETS.values() if name in pr.values]
        for v in values:
            pos = (math.log10(v) - math.log10(prm.low)) if prm.log else (v - prm.low)
            k = pos / prm.step
            assert abs(k - round(k)) < 1e-6, (name, v)


# ----------------------------------------------------------------------------- the biology
def test_luzzi1998_fractions_from_the_presets():
    """Ki-67 about 2% vs 91% and apoptosis about 3% vs 6% (Luzzi 1998 [sec]) from the model."""
    for key, preset in (("dormant", DORMANT), ("growing", GROWING)):
        st = cc.steady_state(**preset)
        assert st["ki67"] == pytest.approx(cc.LUZZI1998[key]["ki67"], rel=2e-3)
        assert st["apoptotic"] == pytest.approx(cc.LUZZI1998[key]["apoptotic"], rel=2e-3)
        # the trajectory keeps the mix (no drug): Ki-67 and apoptosis read off the states
        r = cc.simulate(T, **preset)
        ki67 = r.P / (r.P + r.Q)
        apo = r.D / (r.P + r.Q + r.D)
        np.testing.assert_allclose(ki67, cc.LUZZI1998[key]["ki67"], rtol=2e-3)
        np.testing.assert_allclose(apo, cc.LUZZI1998[key]["apoptotic"], rtol=2e-3)
    # the two calibrated states differ only in the signal
    diff = {k for k in DORMANT if DORMANT[k] != GROWING[k]}
    assert diff == {"s"}


def test_dormant_lesion_births_balance_deaths():
    r = cc.simulate(T, **DORMANT)
    births = DORMANT["beta"] * r.P
    deaths = DORMANT["mu_p"] * r.P + DORMANT["mu_q"] * r.Q
    # the calibrated rates are rounded to 4 significant figures: balance holds to 0.02%
    np.testing.assert_allclose(births / deaths, 1.0, rtol=2e-4)
    assert abs(cc.steady_state(**DORMANT)["growth_rate"]) < 1e-5  # doubling or halving > 190 years
    assert r.summary()["living_final"] == pytest.approx(DORMANT["N0"], rel=1e-3)
    grow = cc.steady_state(**GROWING)
    assert grow["growth_rate"] > 0.1


def test_more_p38_means_fewer_cycling_cells_and_slower_growth():
    s = np.linspace(-2, 2, 41)
    st = cc.steady_state(s=s)
    assert np.all(np.diff(st["ki67"]) < 0)
    assert np.all(np.diff(st["growth_rate"]) < 0)
    assert st["ki67"][0] > 0.9 and st["ki67"][-1] < 0.02


def test_chemotherapy_spares_quiescent_cells():
    dormant = cc.simulate(T, **cc.PRESETS["chemo_dormant"].values).summary()
    growing_r = cc.simulate(T, **cc.PRESETS["chemo_growing"].values)
    growing = growing_r.summary()
    for s in (dormant, growing):
        assert s["P_drop_drug"] > 0.75
        assert s["Q_drop_drug"] < 0.2
        assert s["quiescent_share_after_drug"] > 0.95
    assert growing["P_drop_drug"] > 0.99
    # without the drug neither compartment falls
    untreated = cc.simulate(T, **{**cc.PRESETS["chemo_dormant"].values, "k": 0.0}).summary()
    assert untreated["P_drop_drug"] < 1e-3 and untreated["Q_drop_drug"] < 1e-3
    # a dormant lesion survives but does not regrow; a growing one regrows from its G0 cells
    assert dormant["regrow_day"] == math.inf
    day = growing["regrow_day"]
    assert 44.0 < day < 150.0
    at = growing_r.at(day)
    assert at["P"] + at["Q"] == pytest.approx(growing["living_before_drug"], rel=2e-3)
    before = growing_r.at(day - 1.0)
    assert before["P"] + before["Q"] < growing["living_before_drug"]


def test_drug_fractions_agree_with_the_states_at_the_window_edges():
    r = cc.simulate(T, **cc.PRESETS["chemo_growing"].values)
    s = r.summary()
    i0, i1 = np.searchsorted(T, 30.0), np.searchsorted(T, 44.0)
    assert s["P_drop_drug"] == pytest.approx(1 - r.P[i1] / r.P[i0], rel=1e-12)
    assert s["Q_drop_drug"] == pytest.approx(1 - r.Q[i1] / r.Q[i0], rel=1e-12)
    assert s["living_before_drug"] == pytest.approx(r.P[i0] + r.Q[i0], rel=1e-12)


def test_blocking_p38_interrupts_dormancy():
    """Aguirre-Ghiso 2003 [sec]: block p38 in a dormant lesion and it grows."""
    p = cc.PRESETS["aguirre2003_p38_blocked"].values
    r = cc.simulate(T, **p)
    n = r.P + r.Q
    before = T <= p["t_block"]
    np.testing.assert_allclose(n[before], p["N0"], rtol=1e-4)
    assert n[-1] > 1e3 * p["N0"]
    assert r.summary()["ki67_final"] == pytest.approx(cc.steady_state(**GROWING)["ki67"], rel=1e-3)
    never = cc.simulate(T, **{**p, "p38i": "off"})
    assert never.summary()["living_final"] == pytest.approx(p["N0"], rel=1e-3)


def test_the_inhibitor_switched_off_means_never():
    t = np.array([0.0, 365.0, 1000.0, 1e5])
    never = cc.simulate(t, **{**DORMANT, "t_block": 5.0})
    late = cc.simulate(t, **{**DORMANT, "p38i": "on", "t_block": 364.0})
    assert never.P[-1] + never.Q[-1] < DORMANT["N0"]  # still dormant (and slowly drifting) after 270 years
    assert late.P[-1] == cc.N_CAP  # woken on day 364, the lesion grows to the cap
    assert cc.block_day("off", 5.0) > 1e6 and cc.block_day("on", 365.0) == 365.0


def test_wake_then_treat_kills_more_than_treating_dormant_cells():
    base = cc.PRESETS["chemo_dormant"].values
    sleeping = cc.simulate(T, **base).summary()
    woken = cc.simulate(T, **{**base, "p38i": "on", "t_block": 10.0}).summary()
    assert woken["survival_drug"] < 0.25 * sleeping["survival_drug"]


def test_evolve_rejects_bad_starting_counts():
    with pytest.raises(ValueError, match=r"^P0 "):
        cc.evolve(T, -1.0, 10.0)
    with pytest.raises(ValueError, match=r"^D0 "):
        cc.evolve(T, 1.0, 10.0, float("nan"))


# ----------------------------------------------------------------------------- stochastic
def test_stochastic_mean_is_the_ode():
    p = {**cc.PRESETS["chemo_dormant"].values, "N0": 20.0}
    t = np.linspace(0, 80, 9)
    r = cc.simulate_stochastic(t, seed=5, lesions=3000, **p)
    assert r.P.shape == (3000, t.size)
    ode = cc.simulate(t, **p)
    for key in ("P", "Q", "D"):
        x = getattr(r, key)
        mean, se = x.mean(axis=0), x.std(axis=0, ddof=1) / math.sqrt(x.shape[0])
        z = np.abs(mean - getattr(ode, key)) / np.maximum(se, 1e-3)
        assert z.max() < 4.5, (key, z)
    assert np.all(r.P == np.round(r.P)) and np.all(r.P >= 0) and np.all(r.D >= 0)


def test_stochastic_extinction_matches_the_branching_process():
    p = {**GROWING, "N0": 1.0}
    # long enough for a lone G0 cell to have woken (r_i ≈ 0.023/day in the growing state)
    t = np.linspace(0, 600, 5)
    r = cc.simulate_stochastic(t, seed=9, lesions=4000, cap=200, **p)
    x = cc.extinction_probability(**p)
    f = cc.steady_state(**p)["ki67"]
    expected = f * x["P"] + (1 - f) * x["Q"]
    s = r.summary()
    se = math.sqrt(expected * (1 - expected) / 4000)
    assert abs(s["extinct_share"] - expected) < 4.5 * se
    assert s["extinct_share"] + s["escaped_share"] == pytest.approx(1.0, abs=2e-3)


def test_extinction_probability_solves_its_equations():
    for p in ({**GROWING}, full(s=0.2), full(s=-2.0, mu_p=0.15)):
        x = cc.extinction_probability(**p)
        A = matrix({**p, "k": 0.0})
        r0, ri = A[1, 0], A[0, 1]
        b, mp, mq = p["beta"], p["mu_p"], p["mu_q"]
        assert (b + mp + r0) * x["P"] == pytest.approx(b * x["P"] ** 2 + mp + r0 * x["Q"], rel=1e-10)
        assert (ri + mq) * x["Q"] == pytest.approx(ri * x["P"] + mq, rel=1e-10)
        assert 0 <= x["P"] < 1
    # a dormant lesion is (almost exactly) critical: every line dies out in the end
    assert cc.extinction_probability(**DORMANT)["P"] == pytest.approx(1.0, abs=1e-3)


def test_stochastic_is_reproducible_and_batched():
    p = {"N0": 5.0, "s": np.array([-1.0, 1.0])}
    a = cc.simulate_stochastic(T[:50], seed=3, lesions=7, **p)
    b = cc.simulate_stochastic(T[:50], seed=3, lesions=7, **p)
    c = cc.simulate_stochastic(T[:50], seed=4, lesions=7, **p)
    assert a.P.shape == (2, 7, 50)
    np.testing.assert_array_equal(a.P, b.P)
    np.testing.assert_array_equal(a.D, b.D)
    assert not np.array_equal(a.P, c.P) or not np.array_equal(a.Q, c.Q)
    assert np.shape(a.summary()["extinct_share"]) == (2,)
    assert np.all(a.P[:, :, 0] + a.Q[:, :, 0] == 5)
    with pytest.raises(ValueError, match=r"^lesions "):
        cc.simulate_stochastic(T, lesions=0)
    with pytest.raises(ValueError, match=r"^cap "):
        cc.simulate_stochastic(T, cap=2.5)


# ----------------------------------------------------------------------------- the explorer
@pytest.fixture
def explorer():
    from dormancy_widgets import CellularDormancyExplorer

    return CellularDormancyExplorer(preset="luzzi1998_growing")


def upper_edge(band) -> np.ndarray:
    """The upper boundary of a filled band polygon (first half of its points)."""
    y = np.asarray(band.y, dtype=float)
    return y[: y.size // 2]


def test_explorer_signal_slider_moves_the_proliferating_fraction(explorer):
    assert np.asarray(explorer.ki67.y)[-1] == pytest.approx(91.0, abs=0.1)
    assert "91% of living cells cycling" in explorer.readout.value
    explorer.controls["s"].value = 1.0
    assert np.asarray(explorer.ki67.y)[-1] == pytest.approx(2.0, abs=0.05)
    assert "2% of living cells cycling" in explorer.readout.value
    assert "births balance deaths" in explorer.readout.value
    # the switch figure marks the current signal on the r0 and ri curves
    np.testing.assert_allclose(explorer.s_marker.x, [1.0, 1.0])
    r = cc.rates(**explorer.result.params)
    np.testing.assert_allclose(explorer.s_marker.y, [float(r["r0"]), float(r["ri"])])
    assert np.all(np.diff(explorer.r0_curve.y) >= 0) and np.all(np.diff(explorer.ri_curve.y) <= 0)


def test_explorer_chemotherapy_window_spares_quiescent_cells(explorer):
    explorer.preset("chemo_growing")
    np.testing.assert_allclose(explorer.window.x, [30.0, 30.0, 44.0, 44.0])
    assert explorer.window_label.text == ["drug"]
    s = explorer.result.summary()
    text = explorer.readout.value
    assert f"by day {s['regrow_day']:.0f}" in text and "proliferating cells fell by 99.8%" in text
    t = explorer.result.t
    i0, i1 = np.searchsorted(t, 30.0), np.searchsorted(t, 44.0)
    p_top = upper_edge(explorer.bands["P"])  # top of the proliferating band = P
    q_top = upper_edge(explorer.bands["Q"])  # top of the quiescent band = P + Q
    assert p_top[i1] < 0.01 * p_top[i0]
    assert (q_top[i1] - p_top[i1]) > 0.8 * (q_top[i0] - p_top[i0])
    explorer.controls["k"].value = 0.0
    assert np.asarray(explorer.window.x).size == 0 and explorer.window_label.text == [""]
    assert "No drug is given" in explorer.readout.value
    assert upper_edge(explorer.bands["P"])[i1] > p_top[i0]


def test_explorer_axis_toggle_and_days_shown(explorer):
    explorer.preset("chemo_dormant")
    log_lower = np.asarray(explorer.bands["P"].y)[-1]
    assert log_lower == 1.0  # the log axis starts at one cell
    explorer.view_controls["axis"].value = "linear"
    ys = explorer.figures[0].axes[1].scale
    assert isinstance(ys, bq.LinearScale) and all(m.scales["y"] is ys for m in explorer.figures[0].marks)
    assert np.asarray(explorer.bands["P"].y)[-1] == 0.0
    explorer.view_controls["days"].value = 300.0
    assert explorer.result.t[-1] == 300.0 and explorer._xs.max == 300.0
    for fig in explorer.figures:
        for mark in fig.marks:
            for attr in ("x", "y"):
                assert np.all(np.isfinite(np.asarray(getattr(mark, attr), dtype=float)))


def test_explorer_marks_the_p38_inhibitor(explorer):
    assert np.asarray(explorer.block_line.x).size == 0
    explorer.preset("aguirre2003_p38_blocked")
    np.testing.assert_allclose(explorer.block_line.x, [30.0, 30.0])
    assert explorer.block_label.text == ["p38 inhibitor"]
    assert "p38 inhibitor lowers p38/ERK 100-fold" in explorer.readout.value
    assert np.asarray(explorer.ki67.y)[-1] == pytest.approx(91.0, abs=0.1)


def test_explorer_update_latency_is_printed(explorer):
    times = []
    for v in (0.5, -0.5, 1.0, -1.0, 0.2, 0.0):
        start = time.perf_counter()
        explorer.controls["s"].value = v
        times.append((time.perf_counter() - start) * 1e3)
    print(f"CellularDormancyExplorer update: median {np.median(times):.1f} ms, max {max(times):.1f} ms")
    assert explorer.error is None
