"""Angiogenic dormancy (Hahnfeldt 1999): exact answers, solve_ivp, published numbers, explorer."""

from __future__ import annotations

import itertools
import math
import warnings

import bqplot as bq
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from dormancy_widgets.models import angiogenic as ang

FIT = {"lambda1": 0.192, "lambda2": 0.0, "b": 5.85, "d": 0.00873, "V0": 180.0, "K0": 625.0}
#: Hahnfeldt et al. 1999, untreated Lewis lung carcinoma, digitised (days, mm³) [sec]
CONTROL_DAYS = np.array([0.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0])
CONTROL_MM3 = np.array([192.0, 728.0, 2319.0, 3590.0, 5852.0, 8591.0, 10438.0])


def _schedule(t, kw):
    """Parameters, drug, dose days and the cut points (output ends and doses) of a run."""
    p = {**FIT, "drug": "none", "dose": 20.0, "start": 0, "interval": 1, "n_doses": 200, **kw}
    drug = ang.DRUGS[p["drug"]]
    doses = np.array([p["start"] + k * p["interval"] for k in range(int(p["n_doses"]))], dtype=float)
    if drug.e == 0 or p["dose"] == 0:
        doses = np.zeros(0)
    cuts = np.unique(np.r_[t[0], t[-1], doses[(doses > t[0]) & (doses < t[-1])]])
    return p, drug, doses, cuts


def reference(t, **kw):
    """V, K from the paper's equations in V and K, by solve_ivp (DOP853, rtol 1e-10),
    restarted at each dose so that the adaptive steps never straddle a jump of g."""
    p, drug, doses, cuts = _schedule(t, kw)
    y = np.array([p["V0"], p["K0"]])
    out = np.empty((2, len(t)))
    for a, c in itertools.pairwise(cuts):
        given = doses[doses <= a]

        def f(s, y, given=given):
            V, K = y
            g = p["dose"] * np.sum(np.exp(-drug.clr * (s - given)))
            return [
                -p["lambda1"] * V * np.log(V / K),
                -p["lambda2"] * K + p["b"] * V - p["d"] * K * V ** (2 / 3) - drug.e * K * g,
            ]

        m = (t >= a) & (t <= c)
        sol = solve_ivp(f, (a, c), y, rtol=1e-10, atol=1e-9, method="DOP853", dense_output=True)
        out[:, m] = sol.sol(t[m])
        y = sol.sol(c)
    return out


def reference_log(t, **kw):
    """ln V, ln K by solve_ivp (DOP853, rtol 1e-12, atol 1e-13) on the equations in logarithms,
    for runs whose V or K become tiny (an absolute tolerance on V and K would not do)."""
    p, drug, doses, cuts = _schedule(t, kw)
    y = np.log([p["V0"], p["K0"]])
    out = np.empty((2, len(t)))
    for a, c in itertools.pairwise(cuts):
        given = doses[doses <= a]

        def f(s, y, given=given):
            g = p["dose"] * np.sum(np.exp(-drug.clr * (s - given)))
            x = y[0] - y[1]
            return [
                -p["lambda1"] * x,
                p["b"] * np.exp(x) - p["d"] * np.exp(2 * y[0] / 3) - p["lambda2"] - drug.e * g,
            ]

        m = (t >= a) & (t <= c)
        sol = solve_ivp(f, (a, c), y, rtol=1e-12, atol=1e-13, method="DOP853", dense_output=True)
        out[:, m] = sol.sol(t[m])
        y = sol.sol(c)
    return out


def view_run(name, **kw):
    """A preset over ``DEFAULT_T`` at the explorer's step (for checks coarser than 1e-3)."""
    values = {**ang.PRESETS[name].values, **kw}
    return ang.simulate(ang.DEFAULT_T, view=True, **values)


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) / np.asarray(b) - 1.0)))


# ----------------------------------------------------------------------------- model
def test_untreated_matches_solve_ivp_by_default_and_at_the_fixed_step():
    t = ang.DEFAULT_T
    V, K = reference(t)
    r = ang.simulate(t)  # adaptive Dormand-Prince steps
    assert rel(r.V, V) <= 1e-6 and rel(r.K, K) <= 1e-6
    fixed = ang.simulate(t, h=ang.DEFAULT_STEP)  # classical Runge-Kutta at the fixed step
    assert rel(fixed.V, V) <= 1e-6 and rel(fixed.K, K) <= 1e-6


DRUG_PRESETS = [n for n, p in ang.PRESETS.items() if p.values["drug"] != "none"]


@pytest.fixture(scope="module")
def drug_runs():
    """Every drug preset over 30 days, as one batch at the default step and at the view step."""
    t = np.linspace(0.0, 30.0, 121)
    values = [ang.PRESETS[n].values for n in DRUG_PRESETS]
    batch = {k: np.array([v[k] for v in values]) for k in values[0]}
    refs = np.array([reference(t, **v) for v in values])
    exact = ang.simulate(t, **batch)
    view = ang.simulate(t, view=True, **batch)
    return refs, exact, view, batch


def test_drug_presets_match_solve_ivp_by_default_and_at_the_fixed_step(drug_runs):
    refs, exact, _, batch = drug_runs
    assert rel(exact.V, refs[:, 0]) <= 1e-6
    assert rel(exact.K, refs[:, 1]) <= 1e-6
    fixed = ang.simulate(exact.t, h=ang.DRUG_STEP, **batch)
    assert rel(fixed.V, refs[:, 0]) <= 1e-6 and rel(fixed.K, refs[:, 1]) <= 1e-6


def test_random_parameters_across_the_ranges_match_solve_ivp():
    """Adaptive steps keep 1e-6 over the whole box, with and without a drug (the fixed RK4
    steps could not: far corners needed steps below its stability limit)."""
    rng = np.random.default_rng(7)
    t = np.linspace(0.0, 30.0, 121)
    names = ["lambda1", "lambda2", "b", "d", "V0", "K0", "dose"]
    draws = []
    for drug in ["none", "angiostatin", "endostatin", "TNP-470", "TNP-470", "endostatin"]:
        kw = {}
        for n in names:
            lo, hi = ang.PARAMS[n].low, ang.PARAMS[n].high
            kw[n] = float(
                np.exp(rng.uniform(np.log(lo), np.log(hi))) if ang.PARAMS[n].log else rng.uniform(lo, hi)
            )
        kw.update(drug=drug, start=float(rng.integers(0, 10)), interval=float(rng.integers(1, 4)))
        draws.append(kw)
    batch = {k: np.array([d[k] for d in draws]) for k in draws[0]}
    r = ang.simulate(t, **batch)
    for i, kw in enumerate(draws):
        lnV, lnK = reference_log(t, **kw)
        alive = lnV >= np.log(ang.ONE_CELL_MM3)  # below one cell the numbers mean nothing
        assert alive[-1] or kw["drug"] != "none"
        assert rel(r.V[i][alive], np.exp(lnV[alive])) <= 1e-6, kw
        assert rel(r.K[i][alive], np.exp(lnK[alive])) <= 1e-6, kw


def test_the_explorer_step_is_accurate_to_a_pixel(drug_runs):
    refs, _, view, _ = drug_runs
    assert 1e-7 < rel(view.V, refs[:, 0]) <= 1e-2  # coarser, but far below what a plot shows
    untreated = ang.simulate(ang.DEFAULT_T, view=True)
    assert rel(untreated.V, reference(ang.DEFAULT_T)[0]) <= 1e-3


def test_the_explorer_is_within_one_percent_at_every_corner_of_the_box():
    """The stated 1% of ``view=True`` over the whole declared box: every corner of the six
    tumour parameters, each drug at the lowest non-trivial, middle and highest dose, daily and
    every third day (the fixed RK4 step used before reached 5.5% here, 57% with the state in
    logarithms). Measured against the default integration (itself within 1e-6 of solve_ivp)."""
    names = ["lambda1", "lambda2", "b", "d", "V0", "K0"]
    corners = np.array(list(itertools.product([0, 1], repeat=6))).T
    kw = {n: np.where(c == 0, ang.PARAMS[n].low, ang.PARAMS[n].high) for n, c in zip(names, corners)}
    drug = np.array(["none", "angiostatin", "endostatin", "TNP-470"])[:, None, None, None]
    dose = np.array([5.0, 20.0, 60.0])[:, None, None]
    interval = np.array([1.0, 3.0])[:, None]
    p = {**kw, "drug": drug, "dose": dose, "interval": interval}
    exact = ang.simulate(ang.DEFAULT_T, **p)
    view = ang.simulate(ang.DEFAULT_T, view=True, **p)
    alive = exact.lnV >= np.log(ang.ONE_CELL_MM3)
    err = np.maximum(np.abs(view.V / exact.V - 1), np.abs(view.K / exact.K - 1))
    worst = float(np.max(np.where(alive, err, 0.0)))
    assert worst <= 0.01, worst


def test_the_model_defines_no_integrator_of_its_own():
    """Numerics live in solvers.py: angiogenic hands its right-hand side and dose events to
    ``solvers.solve`` (Dormand-Prince by default, classical RK4 at fixed steps)."""
    import inspect

    src = inspect.getsource(ang)
    assert "solvers.solve(" in src
    for name in ("_adaptive", "_Pair", "_DP5", "_stage_times", "_exposure_lookup", "_integrate_flat"):
        assert not hasattr(ang, name), name


def test_odd_time_grids_end_and_count_earlier_doses():
    """One output time, repeated times, and a grid that starts after doses were given."""
    assert ang.simulate([5.0]).V.tolist() == [180.0]
    r = ang.simulate([0.0, 0.0, 2.0, 2.0], drug="endostatin")
    assert r.V[0] == r.V[1] == 180.0 and r.V[2] == r.V[3]
    t = np.linspace(3.5, 20.0, 67)
    kw = {"drug": np.array(["TNP-470", "endostatin"]), "dose": 30.0, "interval": 2.0}
    late = ang.simulate(t, **kw)
    for i, drug in enumerate(["TNP-470", "endostatin"]):
        lnV, lnK = reference_log(t, drug=drug, dose=30.0, interval=2.0)
        assert rel(late.V[i], np.exp(lnV)) <= 1e-6 and rel(late.K[i], np.exp(lnK)) <= 1e-6
    assert late.V[0, -1] != late.V[1, -1]


def test_drug_level_is_the_sum_of_decaying_doses():
    t = np.linspace(0.0, 20.0, 401)
    kw = {"drug": "endostatin", "dose": 12.0, "start": 3, "interval": 4, "n_doses": 3}
    g = ang.concentration(t, **kw)
    doses = np.array([3.0, 7.0, 11.0])
    direct = np.array([np.sum(12.0 * np.exp(-1.7 * (s - doses[doses <= s]))) for s in t])
    np.testing.assert_allclose(g, direct, rtol=1e-12, atol=1e-300)
    assert g[t < 3].max() == 0 and g[t == 11][0] > g[np.isclose(t, 10.95)][0]
    # the integrating factor: e * integral of g from 0 to t, exact sum of (1 - exp) terms
    sched = ang._Schedule(ang.validate(ang.PARAMS, kw))
    exact = sum(0.66 * 12.0 / 1.7 * (1 - np.exp(-1.7 * np.clip(t - d, 0, None))) for d in doses)
    np.testing.assert_allclose(sched.exposure(t), exact, rtol=1e-12, atol=1e-15)


def test_untreated_tumour_converges_to_the_analytic_steady_state():
    """V* = K* = ((b - lambda2) / d)^(3/2), including lambda2 > 0 (and no tumour if b <= lambda2)."""
    lam2 = np.array([0.0, 0.5, 1.0, 1.0])
    b = np.array([5.85, 5.85, 3.0, 1.0])
    d = np.array([0.00873, 0.00873, 0.02, 0.01])
    r = ang.simulate(np.linspace(0.0, 400.0, 9), lambda2=lam2, b=b, d=d)
    star = np.maximum(b - lam2, 0.0) ** 1.5 / d**1.5
    np.testing.assert_allclose(r.V[:3, -1], star[:3], rtol=1e-6)
    np.testing.assert_allclose(r.K[:3, -1], star[:3], rtol=1e-6)
    np.testing.assert_allclose(r.summary()["V_star"], star, rtol=1e-12)
    assert r.summary()["V_star"][3] == 0.0 and r.V[3, -1] < 0.1 * r.V[3, 0]  # b = lambda2: no tumour
    # the Lewis lung fit: (5.85 / 0.00873)^(3/2), about 17,346 mm³ (a derived number)
    assert math.isclose(ang.steady_state(), 17346.5, rel_tol=1e-5)
    assert ang.steady_state(lambda2=1.0, b=1.0) == 0.0


def test_default_fit_follows_the_digitised_control_data():
    """Honest tolerance: the points were digitised from a figure and scatter around the fit;
    the model misses day 7 by about 20% and day 0 by 6% (it starts at V0 = 180, not 192)."""
    r = ang.simulate(CONTROL_DAYS)
    err = r.V / CONTROL_MM3 - 1.0
    assert np.all(np.abs(err) <= 0.25), err
    assert abs(err[-1]) <= 0.02  # day 19: 10,515 vs 10,438 mm³
    assert np.sqrt(np.mean(np.log(r.V / CONTROL_MM3) ** 2)) <= 0.12


def test_time_to_one_cubic_centimetre_matches_an_event_search():
    r = ang.simulate(ang.DEFAULT_T)

    def f(s, y):
        V, K = y
        return [-0.192 * V * np.log(V / K), 5.85 * V - 0.00873 * K * V ** (2 / 3)]

    hit = lambda s, y: y[0] - 1000.0  # noqa: E731
    sol = solve_ivp(f, (0, 60), [180.0, 625.0], events=hit, rtol=1e-11, atol=1e-9, method="DOP853")
    assert abs(r.summary()["days_to_clinical"] - sol.t_events[0][0]) < 1e-4
    assert ang.simulate(ang.DEFAULT_T, V0=1500.0).summary()["days_to_clinical"] == 0.0
    assert view_run("angiostatin_dormancy").summary()["days_to_clinical"] == math.inf


def test_dormancy_preset_holds_the_tumour_small():
    values = ang.PRESETS["angiostatin_dormancy"].values
    s = view_run("angiostatin_dormancy").summary()
    assert s["dormant"] and s["V_max"] < 400.0 and abs(s["growth_rate_final"]) < ang.DORMANT_RATE
    # the preset's dose is the one whose infusion steady state is 180 mm³
    dose = ang.dormant_dose(180.0, **{**values, "dose": 20.0})
    assert math.isclose(values["dose"], dose, rel_tol=0.005)
    assert math.isclose(ang.steady_state_infusion(**values), 180.0, rel_tol=0.05)


def test_old_preset_name_still_opens_the_renamed_preset_and_its_text_holds():
    """holmgren1995_dormancy (lesson 03, links) is an alias of angiostatin_dormancy; the
    preset's text says what the model does: an overshoot to about 300 mm³, then a slow
    settling towards 200 mm³, not a tumour held at 180 mm³."""
    assert ang.PRESETS["holmgren1995_dormancy"] is ang.PRESETS["angiostatin_dormancy"]
    assert "holmgren1995_dormancy" in ang.PRESETS and "holmgren1995_dormancy" not in list(ang.PRESETS)
    r = ang.simulate(np.linspace(0.0, 200.0, 801), **ang.PRESETS["angiostatin_dormancy"].values)
    assert 290.0 < r.V.max() < 310.0 and 200.0 < r.V[-1] < 230.0
    text = ang.PRESETS["angiostatin_dormancy"].description
    assert "300 mm³" in text and "200 mm³" in text and "180" not in text


def test_hahnfeldt_outcomes_the_fit_did_not_use_are_reproduced():
    """TNP-470 30 mg/kg every other day: a set point near 12,300 mm³, and on day 13 about
    1,840 mm³ under injections vs 1,300 mm³ under a continuous infusion (reported numbers;
    the model gives 12,323, 1,902 and 1,321)."""
    o = ang.HAHNFELDT1999_OUTCOMES
    set_point = ang.simulate([0.0, 400.0], **o["tnp470_set_point"]["params"]).V[-1]
    assert set_point == pytest.approx(o["tnp470_set_point"]["value"], rel=0.01)
    inj = ang.simulate([0.0, 13.0], **o["day13_injections"]["params"]).V[-1]
    inf = ang.simulate([0.0, 13.0], infusion=True, **o["day13_infusion"]["params"]).V[-1]
    assert inj == pytest.approx(o["day13_injections"]["value"], rel=0.05)
    assert inf == pytest.approx(o["day13_infusion"]["value"], rel=0.05)


def test_infusion_matches_solve_ivp_with_a_constant_drug_level():
    t = np.linspace(0.0, 40.0, 81)
    kw = {"drug": "endostatin", "dose": 10.0, "interval": 2.0, "start": 5.0, "n_doses": 10.0}
    r = ang.simulate(t, infusion=True, **kw)
    level = 0.66 * 10.0 / (1.7 * 2.0)

    def f(s, y):
        on = 5.0 <= s < 25.0
        return [
            -0.192 * (y[0] - y[1]),
            5.85 * np.exp(y[0] - y[1]) - 0.00873 * np.exp(2 * y[0] / 3) - level * on,
        ]

    out = []
    y = np.log([180.0, 625.0])
    for a, c in ((0.0, 5.0), (5.0, 25.0), (25.0, 40.0)):
        m = (t >= a) & (t <= c)
        sol = solve_ivp(f, (a, c), y, rtol=1e-12, atol=1e-13, method="DOP853", dense_output=True)
        out.append((m, sol.sol(t[m])))
        y = sol.sol(c)
    for m, ref in out:
        assert rel(r.V[m], np.exp(ref[0])) <= 1e-6 and rel(r.K[m], np.exp(ref[1])) <= 1e-6


def test_infusion_steady_state_solves_the_equations_and_the_schedule_heads_there():
    values = {**ang.PRESETS["angiostatin_dormancy"].values}
    v = ang.steady_state_infusion(**values)
    g_mean = values["dose"] / (0.38 * values["interval"])
    dK = 5.85 * v - 0.00873 * v * v ** (2 / 3) - 0.15 * v * g_mean  # V = K = v, g = its mean
    assert abs(dK) < 1e-9 * 5.85 * v
    # daily injections kept up for 200 days: the tumour overshoots while the drug builds up,
    # then settles slowly towards the balance of the mean drug level (not yet there: the
    # slow mode of this balance decays over months)
    r = ang.simulate(np.linspace(0.0, 199.0, 200), view=True, **{**values, "V0": v, "K0": 200.0})
    assert r.V.max() > 1.3 * v and 1.0 * v < r.V[-1] < 1.25 * v


def test_removing_suppression_ends_dormancy():
    held = view_run("angiostatin_dormancy")
    freed = view_run("suppression_removed")
    np.testing.assert_allclose(freed.V[ang.DEFAULT_T <= 30], held.V[ang.DEFAULT_T <= 30], rtol=1e-9)
    s = freed.summary()
    assert not s["dormant"] and s["days_to_clinical"] > 30.0
    assert s["V_final"] > 10 * freed.V[ang.DEFAULT_T == 30][0]


def test_endostatin_regresses_and_tnp470_only_slows():
    endo = view_run("endostatin_regression").summary()
    assert endo["V_star_infusion"] == 0.0 and endo["V_final"] < 180.0 and endo["growth_rate_final"] < -0.01
    tnp = view_run("tnp470_every_other_day").summary()
    ctrl = ang.simulate(ang.DEFAULT_T).summary()
    assert ctrl["days_to_clinical"] < tnp["days_to_clinical"] < math.inf and tnp["V_final"] < ctrl["V_final"]


def test_a_later_start_or_a_lower_dose_helps_less():
    v = view_run(
        "angiostatin_dormancy", start=np.array([0.0, 10.0, 0.0]), dose=np.array([14.1, 14.1, 7.0])
    ).summary()["V_final"]
    assert v[0] < v[1] and v[0] < v[2]


def test_batches_of_schedules_match_single_runs():
    t = np.linspace(0.0, 20.0, 81)
    kw = {"drug": np.array(["TNP-470", "endostatin", "none"]), "start": np.array([0.0, 5.0, 0.0])}
    kw["interval"] = np.array([[2.0], [3.0]])  # batch shape (2, 3)
    r = ang.simulate(t, **kw)
    assert r.V.shape == (2, 3, 81)
    assert all(np.shape(v) == (2, 3) for v in r.summary().values())
    for i in range(2):
        for j in range(3):
            one = ang.simulate(
                t, drug=str(kw["drug"][j]), start=kw["start"][j], interval=kw["interval"][i, 0]
            )
            # each run takes its own adaptive steps: its companions change nothing
            assert rel(r.V[i, j], one.V) < 1e-12 and rel(r.K[i, j], one.K) < 1e-12


def test_far_corners_of_the_ranges_stay_finite_and_positive():
    corners = np.array(np.meshgrid(*[[0, 1]] * 6)).reshape(6, -1)
    names = ["lambda1", "lambda2", "b", "d", "V0", "K0"]
    kw = {n: np.where(c == 0, ang.PARAMS[n].low, ang.PARAMS[n].high) for n, c in zip(names, corners)}
    drugs = np.array(["none", "TNP-470", "endostatin", "angiostatin"])[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = ang.simulate(np.linspace(0.0, 20.0, 81), drug=drugs, dose=ang.PARAMS["dose"].high, **kw)
        r.summary()
    assert r.V.shape == (4, 64, 81)
    assert np.all(np.isfinite(r.V)) and np.all(r.V >= 0) and np.all(np.isfinite(r.K)) and np.all(r.K >= 0)


def test_bad_step_and_dose_requests_are_refused():
    with pytest.raises(ValueError, match="h = 0"):
        ang.simulate(ang.DEFAULT_T, h=0)
    with pytest.raises(ValueError, match="V_target"):
        ang.dormant_dose(-1.0, drug="angiostatin")
    with pytest.raises(ValueError, match="drug = 'none'"):
        ang.dormant_dose(100.0)


# ----------------------------------------------------------------------------- explorer
@pytest.fixture
def explorer():
    from dormancy_widgets import AngiogenicExplorer

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return AngiogenicExplorer(preset="angiostatin_dormancy")


def test_explorer_draws_the_run_and_the_untreated_reference(explorer):
    assert explorer.error is None and "held dormant" in explorer.readout.value
    assert "17,347 mm³" in explorer.readout.value  # (5.85 / 0.00873)^(3/2) = 17,346.5
    np.testing.assert_allclose(np.asarray(explorer.V_line.y), explorer.result.V)
    untreated = ang.simulate(explorer.t, view=True, **{**explorer.params, "drug": "none"})
    np.testing.assert_allclose(np.asarray(explorer.ref_V.y), untreated.V, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(explorer.path.x), explorer.result.V)
    np.testing.assert_allclose(np.asarray(explorer.path.y), explorer.result.K)
    assert np.asarray(explorer.doses.x).size == 61  # daily from day 0 to day 60
    assert explorer.result.batch_shape == () and explorer.result.params["drug"] == "angiostatin"


def test_explorer_drug_and_schedule_controls_move_the_tumour(explorer):
    held = float(np.asarray(explorer.V_line.y)[-1])
    reference = np.asarray(explorer.ref_V.y).copy()
    explorer.controls["drug"].value = "endostatin"
    explorer.controls["dose"].value = 20.0
    assert "regresses" in explorer.readout.value
    assert float(np.asarray(explorer.V_line.y)[-1]) < held
    np.testing.assert_allclose(np.asarray(explorer.ref_V.y), reference)  # untreated stays put
    explorer.set(drug="angiostatin", dose=14.1, n_doses=30)
    assert "not held dormant" in explorer.readout.value
    assert np.asarray(explorer.doses.x).max() == 29
    explorer.controls["drug"].value = "none"
    assert np.asarray(explorer.doses.x).size == 0
    # each run has its own step class and grid: the untreated member was this very run
    np.testing.assert_allclose(np.asarray(explorer.V_line.y), reference, rtol=1e-12)


def test_explorer_view_controls_switch_axes_and_time_span(explorer):
    before = np.asarray(explorer.V_line.y).copy()
    explorer.view_controls["axes"].value = "linear"
    assert isinstance(explorer.V_line.scales["y"], bq.LinearScale)
    assert isinstance(explorer.path.scales["x"], bq.LinearScale)
    assert explorer.figures[0].axes[1].scale is explorer.V_line.scales["y"]
    np.testing.assert_allclose(np.asarray(explorer.V_line.y), before)
    explorer.view_controls["axes"].value = "log"
    assert isinstance(explorer.K_line.scales["y"], bq.LogScale)
    explorer.view_controls["days"].value = 120
    assert explorer.result.t[-1] == 120 and explorer._xs.max == 120
    assert np.asarray(explorer.V_line.x).size == 481
