"""Immune-mediated dormancy (Kuznetsov et al. 1994): exact equilibria, scipy, published numbers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from dormancy_widgets.models import immune, solvers

DEFAULTS = {k: p.default for k, p in immune.PARAMS.items()}

#: Kuznetsov et al. 1994 nondimensional values (REFERENCES.md §4, [src] BioModels BIOMD0000000762)
PUBLISHED_NONDIM = {
    "sigma": 0.1181,
    "rho": 1.131,
    "eta": 20.19,
    "mu": 0.00311,
    "delta": 0.3743,
    "alpha": 1.636,
    "beta": 0.002,
}
PUBLISHED_TAU_DAYS = 9.083


def _reference(t, **params):
    """solve_ivp (DOP853, rtol 1e-12) on the untransformed equations, restarted at the switch."""
    q = {**DEFAULTS, **params}

    def law(p_now):
        s, g, m, d, a, b, n = (q[k] for k in "sgmdabn")
        kappa = q["c"] / 1e6

        def f(_, y):
            E, T = y
            grow = a * T * (1 - b * T) / (1 + kappa * E)
            return [s + p_now * E * T / (g + T) - m * E * T - d * E, grow - n * E * T]

        return f

    t = np.asarray(t, dtype=float)
    switch = q["t_supp"] if q["supp"] > 0 and t[0] < q["t_supp"] < t[-1] else None
    pieces = [(t[0], t[-1], q["p"])]
    if switch is not None:
        pieces = [(t[0], switch, q["p"]), (switch, t[-1], q["p"] * (1 - q["supp"]))]
    y0 = [q["E0"], q["T0"]]
    out = np.empty((2, t.size))
    for lo, hi, p_now in pieces:
        sol = solve_ivp(law(p_now), (lo, hi), y0, method="DOP853", rtol=1e-12, atol=1e-40, dense_output=True)
        sel = (t >= lo) & (t <= hi)
        out[:, sel] = sol.sol(t[sel])
        y0 = list(sol.y[:, -1])
    return out


# --------------------------------------------------------------------------- units
def test_nondimensional_parameters_match_the_paper():
    nd = immune.nondimensional()
    for name, published in PUBLISHED_NONDIM.items():
        # the BioModels dimensional values are rounded to four figures, so the published
        # dimensionless ones are reproduced to 0.1% (alpha: 1.6349 vs 1.636, the worst)
        assert nd[name] == pytest.approx(published, rel=1e-3), name
    assert nd["tau_days"] == pytest.approx(PUBLISHED_TAU_DAYS, rel=1e-4)


def test_nondimensional_round_trip_and_same_dormant_state():
    back = immune.from_nondimensional(**{k: immune.nondimensional()[k] for k in PUBLISHED_NONDIM})
    for k, v in back.items():
        assert v == pytest.approx(DEFAULTS[k], rel=1e-12), k
    # the paper's rounded dimensionless set puts the dormant state within 0.5% of ours
    paper = immune.from_nondimensional(**PUBLISHED_NONDIM)
    E1, T1 = immune.steady_states().by_role("dormant")
    E2, T2 = immune.steady_states(**paper).by_role("dormant")
    assert E2 == pytest.approx(E1, rel=5e-3) and T2 == pytest.approx(T1, rel=5e-3)


# --------------------------------------------------------------------------- equilibria
def test_classify_textbook_matrices():
    J = np.array(
        [
            [[-1.0, 0.0], [0.0, -2.0]],
            [[1.0, 0.0], [0.0, -1.0]],
            [[-1.0, 2.0], [-2.0, -1.0]],
            [[1.0, 2.0], [-2.0, 1.0]],
            [[1.0, 0.0], [0.0, 2.0]],
            [[0.0, 1.0], [-1.0, 0.0]],
        ]
    )
    kind, lam = immune.classify(J)
    assert list(kind) == [
        "stable node",
        "saddle",
        "stable focus",
        "unstable focus",
        "unstable node",
        "centre",
    ]
    np.testing.assert_allclose(np.sort_complex(lam[2]), [-1 - 2j, -1 + 2j])


def test_four_equilibria_at_the_published_values():
    eq = list(immune.steady_states())
    assert [e.kind for e in eq] == ["saddle", "stable focus", "saddle", "stable node"]
    assert [e.role for e in eq] == ["tumour-free", "dormant", "threshold", "large tumour"]
    free, dormant, threshold, large = eq
    assert free.T == 0 and free.E == pytest.approx(DEFAULTS["s"] / DEFAULTS["d"], rel=1e-14)
    # ordered along T, all below the capacity 1/b = 5e8
    assert 0 < dormant.T < threshold.T < large.T < 1 / DEFAULTS["b"]
    # the dormant state is approached in oscillations: complex eigenvalues, negative real part
    assert all(ev.imag != 0 and ev.real < 0 for ev in dormant.eigenvalues)


def test_equilibria_are_exact_roots():
    for e in immune.steady_states():
        dE, dT = immune.rhs(0.0, e.E, e.T, **DEFAULTS)
        q = DEFAULTS
        # scale each residual by the size of the terms that cancel in it
        scale_E = q["s"] + q["d"] * e.E + q["m"] * e.E * e.T
        scale_T = q["a"] * e.T + q["n"] * e.E * e.T + 1.0
        assert abs(float(dE)) <= 1e-12 * scale_E
        assert abs(float(dT)) <= 1e-12 * scale_T


def test_jacobian_matches_finite_differences_and_its_kind():
    for e in immune.steady_states():
        J = immune.jacobian(e.E, e.T, **DEFAULTS)
        hE, hT = 1e-3 * e.E, 1e-3 * max(e.T, 1e3)
        num = np.empty((2, 2))
        for j, (dE, dT) in enumerate(((hE, 0.0), (0.0, hT))):
            up = np.array(immune.rhs(0.0, e.E + dE, e.T + dT, **DEFAULTS), dtype=float)
            dn = np.array(immune.rhs(0.0, e.E - dE, e.T - dT, **DEFAULTS), dtype=float)
            num[:, j] = (up - dn) / (2 * (dE or dT))
        np.testing.assert_allclose(J, num, rtol=1e-6, atol=1e-12)
        lam = np.linalg.eigvals(num)
        np.testing.assert_allclose(np.sort_complex(lam), np.sort_complex(np.array(e.eigenvalues)), rtol=1e-5)


def test_steady_states_batch_crosses_the_saddle_node():
    # cutting p by 40% keeps the dormant focus; by 50% it has merged with the saddle
    p = DEFAULTS["p"] * np.array([1.0, 0.6, 0.5])
    eq = immune.steady_states(p=p)
    assert eq.E.shape == (3, 4)
    assert list(eq.present.sum(axis=-1)) == [4, 4, 2]
    assert list(eq.role[2][eq.present[2]]) == ["tumour-free", "large tumour"]
    for i, pi in enumerate(p):
        single = immune.steady_states(p=pi)
        np.testing.assert_allclose(eq.T[i], single.T, rtol=1e-12, equal_nan=True)
        assert list(eq.kind[i]) == list(single.kind)


def test_tumour_free_state_is_stable_exactly_when_s_exceeds_a_d_over_n():
    threshold = DEFAULTS["a"] * DEFAULTS["d"] / DEFAULTS["n"]  # 6.7e4 cells/day
    eq = immune.steady_states(s=np.array([0.9, 1.1]) * threshold)
    assert list(eq.kind[:, 0]) == ["saddle", "stable node"]


def test_nullclines_cross_at_the_equilibria():
    eq = immune.steady_states()
    T_star = eq.T[1:]
    nc = immune.nullclines(T=T_star)
    np.testing.assert_allclose(nc["E_T"], eq.E[1:], rtol=1e-10)
    np.testing.assert_allclose(nc["E_E"], eq.E[1:], rtol=1e-10)
    # between the low and high branches the effector nullcline does not exist (E grows)
    gap = immune.nullclines(T=np.array([2e7]))["E_E"]
    assert np.isnan(gap).all()
    # the tumour nullcline reaches E = 0 at the capacity 1/b and has no positive part beyond
    E_T = immune.nullclines(T=np.array([0.999, 1.001]) / DEFAULTS["b"])["E_T"]
    assert E_T[0] == pytest.approx(1e-3 * DEFAULTS["a"] / DEFAULTS["n"], rel=1e-9) and np.isnan(E_T[1])


# --------------------------------------------------------------------------- integration
def test_default_step_is_what_choose_step_finds():
    p = immune.validate(immune.PARAMS, {})
    q = {k: float(v) for k, v in p.items()}
    f = immune._log_rhs(q, q["p"], math.exp)
    # choose_step compares ln T relative to ln T (about 15), so it is asked for 1e-7 to
    # bound the relative error of T itself near 1e-6; h0 is the output spacing
    h = solvers.choose_step(f, (q["E0"], math.log(q["T0"])), immune.DEFAULT_T, rtol=1e-7, h0=4.0)
    assert h == immune.H_DEFAULT
    assert immune.step(**p) == immune.H_DEFAULT


@pytest.mark.parametrize("preset", list(immune.PRESETS))
def test_rk4_matches_solve_ivp(preset):
    values = immune.PRESETS[preset].values
    t = immune.DEFAULT_T
    r = immune.simulate(t, **values)
    ref = _reference(t, **values)
    np.testing.assert_allclose(r.E, ref[0], rtol=1e-6)
    np.testing.assert_allclose(r.T, ref[1], rtol=1e-6)
    # the explorer's longer step stays far below a pixel of the phase plane (0.02 decades)
    # and finds the same attractor
    v = immune.simulate(t, view=True, **values)
    np.testing.assert_allclose(v.E, ref[0], rtol=1e-4)
    np.testing.assert_allclose(v.T, ref[1], rtol=1e-4)
    assert v.summary()["approaches"] == r.summary()["approaches"]


def test_view_step_is_four_times_the_default_and_classifies_alike():
    assert immune.step(view=True) == 4 * immune.step() == immune.VIEW_STEP
    # fast rates bound both steps alike (a large capacity and strong inactivation)
    fast = {"b": 5e-10, "m": 1.7e-9, "T0": 1e9}
    assert immune.step(view=True, **fast) == immune.step(**fast) < immune.H_DEFAULT
    rng = np.random.default_rng(11)
    for _ in range(30):
        q = {}
        for name, p in immune.PARAMS.items():
            lo, hi = (math.log10(p.low), math.log10(p.high)) if p.log else (p.low, p.high)
            q[name] = 10 ** rng.uniform(lo, hi) if p.log else rng.uniform(lo, hi)
        tight = immune.simulate(immune.DEFAULT_T, **q).summary()
        view = immune.simulate(immune.DEFAULT_T, view=True, **q).summary()
        for key in ("approaches", "escaped", "dormant", "eliminated"):
            assert view[key] == tight[key], (key, q)


def test_batch_with_different_switch_days_matches_single_runs():
    days = np.array([150.0, 300.0, 333.3])
    r = immune.simulate(immune.DEFAULT_T, supp=0.6, t_supp=days)
    for i, d in enumerate(days):
        single = immune.simulate(immune.DEFAULT_T, supp=0.6, t_supp=d)
        np.testing.assert_allclose(r.T[i], single.T, rtol=1e-6)
        assert r.summary()["escape_day"][i] == single.summary()["escape_day"]


# --------------------------------------------------------------------------- the story
def test_published_run_settles_into_damped_oscillations_around_the_focus():
    t = np.linspace(0.0, 2000.0, 4001)
    r = immune.simulate(t)
    s = r.summary()
    assert s["approaches"] == "dormant" and s["dormant"] and not s["eliminated"]
    assert s["escape_day"] == math.inf and s["n_equilibria"] == 4
    assert s["T_final"] == pytest.approx(s["T_dormant"], rel=1e-3)
    # the linearisation's period and damping agree with the peaks of the trajectory
    T = r.T
    peaks = np.flatnonzero((T[1:-1] > T[:-2]) & (T[1:-1] > T[2:])) + 1
    late = peaks[t[peaks] > 600]
    assert np.diff(t[late]).mean() == pytest.approx(s["period_days"], rel=0.01)
    amp = T[late] - s["T_dormant"]
    ratio = amp[1:] / amp[:-1]
    assert ratio[-1] == pytest.approx(math.exp(-s["period_days"] / s["damping_days"]), rel=0.01)
    # about 99 days and 181 days at the published values
    assert 90 < s["period_days"] < 110 and 150 < s["damping_days"] < 210


def test_a_large_inoculum_escapes_the_same_immune_system():
    s = immune.simulate(immune.DEFAULT_T, **immune.PRESETS["large_inoculum_escape"].values).summary()
    assert s["approaches"] == "large tumour" and not s["dormant"]
    assert s["escape_day"] == 0.0
    _, T_large = immune.steady_states().by_role("large tumour")
    assert s["T_final"] == pytest.approx(T_large, rel=1e-6)


def test_immunosuppression_removes_the_dormant_state_and_the_tumour_escapes():
    values = immune.PRESETS["immunosuppression_escape"].values
    r = immune.simulate(immune.DEFAULT_T, **values)
    s = r.summary()
    assert s["suppressed"] and s["approaches"] == "large tumour"
    assert values["t_supp"] < s["escape_day"] < values["t_supp"] + 150
    assert math.isnan(s["T_dormant"])  # the focus no longer exists after the cut
    # identical to the unsuppressed run before the switch
    base = immune.simulate(immune.DEFAULT_T, **{**values, "supp": 0.0})
    before = immune.DEFAULT_T <= values["t_supp"]
    np.testing.assert_array_equal(r.T[before], base.T[before])
    assert base.summary()["dormant"]


def test_escape_threshold_brackets_the_separatrix():
    th = immune.escape_threshold()
    assert 5e7 < th < 1e8  # between the largest dormant and smallest escaping starts tried above
    s = immune.simulate(immune.DEFAULT_T, T0=np.array([th / 1.01, th])).summary()
    assert list(s["approaches"]) == ["dormant", "large tumour"]
    # more effector cells at the start move the threshold up
    assert immune.escape_threshold(E0=1e6, points=12) > th
    assert immune.escape_threshold(T_low=1e6, T_high=1e7, points=12) == math.inf


def test_weak_suppression_leaves_dormancy_and_a_stronger_one_breaks_it():
    # the claims of lesson 04: the focus merges with the saddle at a cut of about 44%, and
    # from day 300 a cut of 40-44% already releases the tumour although the focus survives
    cut = np.array([0.3, 0.42, 0.443, 0.445])
    n = immune.steady_states(supp=cut, after_suppression=True).present.sum(axis=-1)
    assert list(n) == [4, 4, 4, 2]
    s = immune.simulate(immune.DEFAULT_T, supp=np.array([0.3, 0.42, 0.45])).summary()
    assert list(s["approaches"]) == ["dormant", "large tumour", "large tumour"]
    assert np.isfinite(s["T_dormant"][:2]).all() and np.isnan(s["T_dormant"][2])


def test_a_tumour_large_only_in_transit_has_not_escaped():
    """T0 = 5.9e7 overshoots 1e8 cells on its way back to dormancy: a run stopped on day 50,
    while it is above the line, must not be called escaped (classification by attractor)."""
    short = immune.simulate(np.linspace(0.0, 50.0, 51), T0=5.9e7)
    assert short.T[-1] > immune.ESCAPE_CELLS
    s = short.summary()
    assert s["approaches"] == "dormant" and not s["escaped"] and s["escape_day"] == math.inf
    assert s["heading_days"] > 0 and not s["dormant"]
    # the verdict agrees with where a tight solve_ivp reference actually ends up
    ref = _reference(np.array([0.0, 3000.0]), T0=5.9e7)
    E_dorm, T_dorm = immune.steady_states().by_role("dormant")
    assert ref[1, -1] == pytest.approx(T_dorm, rel=0.05) and ref[0, -1] == pytest.approx(E_dorm, rel=0.05)
    # a start above the separatrix, stopped while still below the line, is escaping already
    early_run = immune.simulate(np.array([0.0, 0.1]), T0=9e7)
    assert early_run.T[-1] < immune.ESCAPE_CELLS
    early = early_run.summary()
    assert early["approaches"] == "large tumour" and early["escaped"]
    assert early["escape_day"] == math.inf  # it has not passed 1e8 cells yet
    # batches are classified member by member
    b = immune.simulate(np.linspace(0.0, 50.0, 51), T0=np.array([5.9e7, 2e8])).summary()
    assert list(b["approaches"]) == ["dormant", "large tumour"] and list(b["escaped"]) == [False, True]


# --------------------------------------------------------------------------- cytostasis
CYTO = immune.PRESETS["uhr1991_cytostatic"].values


def test_cytostasis_off_by_default_keeps_the_biomodels_model():
    assert DEFAULTS["c"] == 0.0
    for preset in ("kuznetsov1994_dormancy", "large_inoculum_escape", "immunosuppression_escape"):
        assert immune.PRESETS[preset].values["c"] == 0.0


@pytest.mark.parametrize("c", [0.5, 3.0, 10.0])
def test_cytostatic_run_matches_solve_ivp(c):
    values = {**CYTO, "c": c}
    t = immune.DEFAULT_T
    r = immune.simulate(t, **values)
    ref = _reference(t, **values)
    np.testing.assert_allclose(r.E, ref[0], rtol=1e-6)
    np.testing.assert_allclose(r.T, ref[1], rtol=1e-6)


@pytest.mark.parametrize("c", [0.01, 1.0, 3.0, 10.0])
def test_cytostatic_equilibria_are_the_roots_scipy_finds(c):
    """Every equilibrium of the quintic is a root of both rates, and a dense scipy root search
    over the phase plane finds no positive equilibrium the quintic missed."""
    from scipy.optimize import fsolve

    values = {**CYTO, "c": c}
    eq = immune.steady_states(**values)
    for e in eq:
        dE, dT = immune.rhs(0.0, e.E, e.T, **values)
        assert abs(float(dE)) < 1e-9 * values["s"] and abs(float(dT)) < 1e-9 * max(e.T, 1.0)
    q = {**DEFAULTS, **values}
    kappa = c / 1e6

    def g(x):  # in (log10 E, log10 T), scaled per cell
        x = np.clip(x, -5.0, 12.0)  # fsolve's trial steps may wander far out
        E, T = 10.0 ** x[0], 10.0 ** x[1]
        dE = q["s"] + q["p"] * E * T / (q["g"] + T) - q["m"] * E * T - q["d"] * E
        return [dE / E, q["a"] * (1 - q["b"] * T) / (1 + kappa * E) - q["n"] * E]

    found = set()
    for lE in np.linspace(4.0, 7.5, 8):
        for lT in np.linspace(3.0, 8.9, 12):
            x, _info, ok, _ = fsolve(g, [lE, lT], full_output=True, xtol=1e-13)
            if ok == 1 and np.max(np.abs(g(x))) < 1e-10 and 10 ** x[1] < 1 / q["b"]:
                found.add(round(float(x[1]), 6))
    ours = sorted(round(math.log10(e.T), 6) for e in eq if e.T > 0)
    assert sorted(found) == pytest.approx(ours, abs=1e-5)


def test_cytostatic_jacobian_matches_finite_differences():
    E, T = 1.3e6, 4e7
    J = immune.jacobian(E, T, **CYTO)
    f = lambda E, T: np.array(immune.rhs(0.0, E, T, **CYTO), dtype=float)  # noqa: E731
    hE, hT = 1e-3 * E, 1e-3 * T
    dE = (f(E + hE, T) - f(E - hE, T)) / (2 * hE)
    dT = (f(E, T + hT) - f(E, T - hT)) / (2 * hT)
    num = np.column_stack([dE, dT])
    np.testing.assert_allclose(J, num, rtol=1e-6)


def test_cytostatic_tumour_alone_grows_logistically_at_the_arrested_rate():
    """Closed form: with killing and effector dynamics nearly off (n, m at their floor, p 0,
    E held at s/d), T follows a logistic law with rate a / (1 + c E / 1e6) and capacity 1/b."""
    values = {**DEFAULTS, "c": 2.0, "n": 1e-8, "p": 0.0, "m": 3.4e-11, "T0": 10.0}
    values["E0"] = values["s"] / values["d"]
    t = np.linspace(0.0, 300.0, 76)
    r = immune.simulate(t, **values)
    E = values["E0"]
    rate = values["a"] / (1 + 2.0 * E / 1e6) - values["n"] * E
    cap = rate / (values["a"] / (1 + 2.0 * E / 1e6) * values["b"])
    exact = cap / (1 + (cap / values["T0"] - 1) * np.exp(-rate * t))
    # m T E stays below 1e-3 of the effector turnover while T is small: compare there
    small = exact < 1e6
    np.testing.assert_allclose(r.T[small], exact[small], rtol=1e-4)


def test_the_cytostatic_preset_holds_the_tumour_mostly_by_arrest():
    s = immune.simulate(immune.DEFAULT_T, **CYTO).summary()
    assert s["approaches"] == "dormant" and s["dormant"]
    assert s["arrested_fraction"] > 0.5 and s["arrested_fraction_eq"] > 0.5
    # at its dormant state the cycling cells' growth only just balances the killing
    E, T = s["E_eq"], s["T_eq"]
    q = {**DEFAULTS, **CYTO}
    assert q["a"] * (1 - q["b"] * T) * (1 - s["arrested_fraction_eq"]) == pytest.approx(q["n"] * E, rel=1e-9)
    # without the arrest, the same (tenfold weaker) killing cannot hold the tumour
    s0 = immune.simulate(immune.DEFAULT_T, **{**CYTO, "c": 0.0}).summary()
    assert s0["approaches"] == "large tumour" and s0["escaped"] and s0["arrested_fraction"] == 0.0
    base = immune.simulate(immune.DEFAULT_T).summary()
    assert base["arrested_fraction"] == 0.0


@pytest.mark.parametrize("seed", ["abc", -1, 1.5, float("nan")])
def test_a_bad_seed_is_refused_by_name(seed):
    with pytest.raises(ValueError, match="seed"):
        immune.simulate(immune.DEFAULT_T, seed=seed)


def test_strong_surveillance_eliminates_the_tumour():
    s = immune.simulate(
        immune.DEFAULT_T, **immune.PRESETS["strong_surveillance_elimination"].values
    ).summary()
    assert s["eliminated"] and s["approaches"] == "tumour-free"
    assert s["T_final"] >= 0 and s["E_final"] == pytest.approx(1e5 / DEFAULTS["d"], rel=1e-3)


def test_state_stays_positive_from_one_cell_and_from_the_capacity():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = immune.simulate(immune.DEFAULT_T, T0=np.array([1.0, 1e9]), E0=np.array([1e4, 1e7]))
    assert np.all(r.T > 0) and np.all(r.E > 0)


def test_rhs_switches_at_t_supp():
    before = immune.rhs(299.0, 1e6, 1e7, supp=1.0, t_supp=300.0)
    after = immune.rhs(300.0, 1e6, 1e7, supp=1.0, t_supp=300.0)
    q = DEFAULTS
    recruit = q["p"] * 1e6 * 1e7 / (q["g"] + 1e7)
    assert float(before[0]) - float(after[0]) == pytest.approx(recruit, rel=1e-12)
    assert float(before[1]) == float(after[1])


# --------------------------------------------------------------------------- explorer
@pytest.fixture
def explorer():
    from dormancy_widgets.widgets.immune import ImmuneExplorer

    return ImmuneExplorer(preset="kuznetsov1994_dormancy")


def test_explorer_marks_the_four_equilibria_by_kind(explorer):
    counts = {kind: np.asarray(mark.x).size for kind, mark in explorer.eq_marks.items()}
    assert counts == {
        "stable focus": 1,
        "stable node": 1,
        "saddle": 2,
        "unstable focus": 0,
        "unstable node": 0,
    }
    shapes = {mark.marker for mark in explorer.eq_marks.values()}
    assert len(shapes) == len(explorer.eq_marks)  # the kind is told by shape, not colour alone
    assert all(mark.labels for mark in explorer.eq_marks.values())
    shown = [k for k, m in explorer.eq_marks.items() if m.display_legend]
    assert shown == ["stable focus", "stable node", "saddle"]
    assert sorted(explorer.eq_labels.text) == ["dormant", "large tumour", "threshold", "tumour-free (T = 0)"]
    E_dorm, T_dorm = immune.steady_states().by_role("dormant")
    focus = explorer.eq_marks["stable focus"]
    assert float(focus.x[0]) == pytest.approx(E_dorm) and float(focus.y[0]) == pytest.approx(T_dorm)


def test_explorer_readout_names_the_dormant_state(explorer):
    text = explorer.readout.value
    s = explorer.result.summary()
    assert "settles into dormancy" in text and "8.2e6" in text and "1.6e6" in text
    assert f"{s['period_days']:.0f} days" in text


def test_explorer_nullclines_lie_on_the_model_curves(explorer):
    q = DEFAULTS
    x = np.asarray(explorer.t_nullcline.x, float)
    y = np.asarray(explorer.t_nullcline.y, float)
    assert x.size > 50
    np.testing.assert_allclose(x, q["a"] * (1 - q["b"] * y) / q["n"], rtol=1e-12)
    # strong recruitment splits the effector nullcline into a low and a high branch
    lo, hi = np.asarray(explorer.e_nullcline.y, float), np.asarray(explorer.e_nullcline_hi.y, float)
    assert lo.size and hi.size and lo.max() < 2e7 < hi.min()
    explorer.set(p=0.02)
    assert np.asarray(explorer.e_nullcline_hi.x).size == 0


def test_a_click_on_the_phase_plane_starts_a_new_trajectory(explorer):
    before = explorer.readout.value
    # what bqplot's "add" interaction sends: the clicked point appended to the start marker
    explorer.start.x = np.append(explorer.start.x, 3e5)
    explorer.start.y = np.append(explorer.start.y, 2e8)
    assert explorer.params["E0"] == pytest.approx(3e5) and explorer.params["T0"] == pytest.approx(2e8)
    assert np.asarray(explorer.start.x).size == 1 and float(explorer.start.y[0]) == pytest.approx(2e8)
    assert float(explorer.trajectory.y[0]) == pytest.approx(2e8)
    assert explorer.readout.value != before and "escapes" in explorer.readout.value
    assert explorer.preset_picker.value == ""
    # a click outside the slider ranges is kept inside them
    explorer.click_phase_plane(10.0, 1e12)
    assert explorer.params["E0"] == immune.PARAMS["E0"].low
    assert explorer.params["T0"] == immune.PARAMS["T0"].high
    explorer.click_phase_plane(math.nan, 1e6)  # a coordinate that did not arrive keeps its value
    assert explorer.params["E0"] == immune.PARAMS["E0"].low and explorer.params["T0"] == 1e6


def test_a_click_never_raises_and_leaves_the_plot_as_it_was(explorer):
    # a value the model refuses (a slider end a hair beyond the range): the click that
    # follows shows the message instead of raising, and the plot stays
    explorer._applied["b"] = immune.PARAMS["b"].high * (1 + 1e-12)
    before = np.asarray(explorer.trajectory.y, float).copy()
    explorer.start.x = np.append(explorer.start.x, 3e5)
    explorer.start.y = np.append(explorer.start.y, 2e8)
    assert "b" in explorer.message.value and explorer.error
    np.testing.assert_array_equal(np.asarray(explorer.trajectory.y, float), before)


def test_moving_the_start_keeps_the_plane_and_moving_a_rate_redraws_it(explorer):
    t_null, e_null, focus = (
        explorer.t_nullcline.x,
        explorer.e_nullcline.x,
        explorer.eq_marks["stable focus"].x,
    )
    explorer.set(E0=2e6, T0=1e3, t_supp=500.0)
    assert float(explorer.trajectory.y[0]) == pytest.approx(1e3)
    assert explorer.t_nullcline.x is t_null and explorer.e_nullcline.x is e_null
    assert explorer.eq_marks["stable focus"].x is focus
    explorer.set(a=0.3)
    x = np.asarray(explorer.t_nullcline.x, float)
    y = np.asarray(explorer.t_nullcline.y, float)
    np.testing.assert_allclose(x, 0.3 * (1 - DEFAULTS["b"] * y) / DEFAULTS["n"], rtol=1e-12)
    E_dorm, _ = immune.steady_states(a=0.3, E0=2e6, T0=1e3).by_role("dormant")
    assert float(explorer.eq_marks["stable focus"].x[0]) == pytest.approx(E_dorm)
    # switching suppression on (and its strength, once on) redraws the plane too
    explorer.set(supp=0.6)
    assert np.asarray(explorer.e_nullcline_before.x).size > 0
    assert np.asarray(explorer.eq_marks["stable focus"].x).size == 0


def test_the_explorer_draws_the_view_run_and_exports_the_default_one(explorer):
    exact = immune.simulate(explorer.t, **explorer.params)
    view = immune.simulate(explorer.t, view=True, **explorer.params)
    np.testing.assert_array_equal(np.asarray(explorer.series_T.y, float), view.T)
    assert explorer.to_csv() == exact.to_csv() != view.to_csv()


def test_immunosuppression_shows_escape_in_both_figures(explorer):
    T_before = np.asarray(explorer.series_T.y, float).copy()
    assert np.asarray(explorer.supp_band.x).size == 0
    explorer.set(supp=0.6, t_supp=300.0)
    T_after = np.asarray(explorer.series_T.y, float)
    assert T_after[-1] > 10 * T_before[-1]
    assert list(np.asarray(explorer.supp_band.x, float)[:2]) == [300.0, 300.0]
    assert np.asarray(explorer.e_nullcline_before.x).size > 0
    assert np.asarray(explorer.eq_marks["stable focus"].x).size == 0  # the dormant focus is gone
    assert np.asarray(explorer.dormant_line.x).size == 0
    text = explorer.readout.value
    assert "Immunosuppression from day 300" in text and "no longer exists" in text and "escapes" in text
    # weak suppression: the focus survives and the readout says so
    explorer.set(supp=0.3)
    assert "still exists" in explorer.readout.value and "dormancy" in explorer.readout.value


def test_elimination_preset_reads_as_elimination(explorer):
    explorer.preset("strong_surveillance_elimination")
    assert "eliminates the tumour" in explorer.readout.value
    assert float(np.min(explorer.series_T.y)) == 1.0  # drawn at the frame, below one cell


def test_sci_formats_cell_counts():
    from dormancy_widgets.widgets.immune import sci

    assert [sci(x) for x in (8.19e6, 3.1e5, 450.0, 0.5, 0.0, math.inf)] == [
        "8.2e6",
        "3.1e5",
        "450",
        "0.5",
        "0",
        "∞",
    ]


def test_equilibria_table_lists_every_equilibrium():
    from dormancy_widgets.widgets.immune import equilibria_table

    text = equilibria_table().value
    for word in ("tumour-free", "dormant", "threshold", "large tumour", "stable focus", "8.2e6", "99"):
        assert word in text
    assert text.count("<tr>") == 5  # header and four equilibria
    assert equilibria_table(s=1e5).value.count("<tr>") == 2
