"""Escape from dormancy and therapy: exact hazard vs scipy, closed forms, cohort vs exact, Demicheli peaks."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from dormancy_widgets.models import escape

P04 = dict(escape.PRESETS["demicheli2004"].values)
MONTH = escape.DAYS_PER_MONTH


def params(**over):
    p = {name: q.default for name, q in escape.PARAMS.items()}
    p.update(over)
    return p


def reference(t, kind, **over):
    """F(t) and f(t) of one lesion straight from the model's definition, by scipy's adaptive quadrature.

    A lesion is woken by surgery with probability q (W = 0), else at W ~ Exp(k); it is found at
    T = W + G, G log-normal; therapy on [a, b] spares it with probability
    exp(-(1 - s) kill A(W) - kill (A(T) - A(W))), A(x) = therapy days received by day x.
    """
    p = params(**over)
    doublings = math.log2(1e9 / (1e6 if kind == "avascular" else 1.0))
    q = {"avascular": p["p_a"], "single": p["p_s"]}[kind] if p["surgery"] == "on" else 0.0
    k, a = p["k"] / 365.25, p["therapy_start"]
    b, kill, s = a + p["therapy_length"], p["kill"], p["specificity"]
    mu, sig = math.log(doublings * p["Td"]), p["sigma"]

    def pdf(x):  # log-normal density, written out (scipy.stats per point is too slow here)
        if x <= 0:
            return 0.0
        z = (math.log(x) - mu) / sig
        return math.exp(-0.5 * z * z) / (x * sig * math.sqrt(2 * math.pi))

    def exposure(x):
        return min(max(x, a), b) - a

    def quad(f, lo, hi, corners):
        pts = [c for c in corners if lo < c < hi] or None
        return integrate.quad(f, lo, hi, points=pts, epsabs=0, epsrel=1e-10, limit=100)[0]

    woken_cdf = quad(lambda x: pdf(x) * math.exp(-kill * exposure(x)), 0, t, (a, b))

    def grown_by_t(w):  # woken at w: probability of being found alive by t
        return quad(
            lambda x: pdf(x) * math.exp(-kill * (exposure(w + x) - exposure(w))), 0, t - w, (a - w, b - w)
        )

    late_cdf = quad(
        lambda w: k * math.exp(-k * w - (1 - s) * kill * exposure(w)) * grown_by_t(w), 0, t, (a, b)
    )
    woken_pdf = pdf(t) * math.exp(-kill * exposure(t))
    late_pdf = quad(
        lambda w: (
            k
            * math.exp(-k * w - (1 - s) * kill * exposure(w) - kill * (exposure(t) - exposure(w)))
            * pdf(t - w)
        ),
        0,
        t,
        (a, b),
    )
    return q * woken_cdf + (1 - q) * late_cdf, q * woken_pdf + (1 - q) * late_pdf


CASES = [
    ("avascular", {}),
    ("single", {"therapy_length": 180.0, "kill": 0.03, "specificity": 0.6, "k": 0.3}),
    ("avascular", {"therapy_length": 180.0, "kill": 0.03, "specificity": 0.6, "k": 0.3, "sigma": 1.2}),
    (
        "single",
        {
            "therapy_start": 100.0,
            "therapy_length": 400.0,
            "kill": 0.1,
            "specificity": 0.0,
            "k": 1.0,
            "sigma": 0.05,
            "Td": 10.0,
            "surgery": "off",
        },
    ),
]


@pytest.mark.parametrize(("kind", "over"), CASES)
def test_lesion_cdf_and_density_match_scipy_quadrature(kind, over):
    """Gauss-Legendre in log-time with kink splitting vs adaptive quadrature: 1e-7 relative."""
    ts = np.array([100.0, 300.0, 900.0, 2000.0])
    ref = np.array([reference(t, kind, **over) for t in ts])
    cdf = escape.lesion_cdf(ts, kind, **over)
    pdf = escape.lesion_density(ts, kind, **over)
    ok = ref[:, 0] > 1e-12
    np.testing.assert_allclose(cdf[ok], ref[ok, 0], rtol=1e-7)
    ok = ref[:, 1] > 1e-14
    np.testing.assert_allclose(pdf[ok], ref[ok, 1], rtol=1e-7)


#: the far corners of the declared box: long follow-up, the widest spread, the fastest escape,
#: the strongest and longest therapy (1.1% and up to 3% off before the k- and kill-cuts)
CORNERS = [
    ("avascular", {"Td": 5.0, "sigma": 1.32, "k": 0.97}),
    ("single", {"Td": 5.0, "sigma": 1.5, "k": 1.0}),
    ("avascular", {"Td": 200.0, "sigma": 1.5, "k": 1.0}),
    ("single", {"Td": 200.0, "sigma": 0.05, "k": 1.0, "surgery": "off"}),
    (
        "avascular",
        {
            "Td": 5.0,
            "sigma": 1.5,
            "k": 1.0,
            "therapy_start": 0.0,
            "therapy_length": 730.0,
            "kill": 0.1,
            "specificity": 0.0,
        },
    ),
    (
        "single",
        {
            "Td": 200.0,
            "sigma": 1.5,
            "k": 1.0,
            "therapy_start": 730.0,
            "therapy_length": 730.0,
            "kill": 0.1,
            "specificity": 1.0,
        },
    ),
]


@pytest.mark.parametrize(("kind", "over"), CORNERS)
def test_stated_accuracy_holds_at_the_corners_of_the_box(kind, over):
    """The module's stated accuracy, 1e-7 relative wherever the exact value exceeds 1e-20 (the
    log-normal is cut at 10 standard deviations), at 38 and 40 years and 2 years after surgery."""
    ts = np.array([2.0, 38.0, 40.0]) * escape.DAYS_PER_YEAR
    ref = np.array([reference(t, kind, **over) for t in ts])
    cdf = escape.lesion_cdf(ts, kind, **over)
    pdf = escape.lesion_density(ts, kind, **over)
    for got, exact in ((cdf, ref[:, 0]), (pdf, ref[:, 1])):
        big = exact > 1e-20
        np.testing.assert_allclose(got[big], exact[big], rtol=1e-7)
        assert np.all(np.abs(got[~big]) <= 1e-20)


def test_surgery_alone_without_late_escape_is_a_lognormal_closed_form():
    """k = 0, no therapy: Λ(t) = m_a p_a Φ_a(t) + m_s p_s Φ_s(t) with log-normal CDFs."""
    t = np.linspace(0, 3650, 51)
    p = {"k": 0.0, "m_a": 0.7, "m_s": 1.3, "p_a": 0.4, "p_s": 0.2, "Td": 25.0, "sigma": 0.4}
    cdf = lambda d: stats.lognorm(s=0.4, scale=d * 25.0).cdf(t)  # noqa: E731
    pdf = lambda d: stats.lognorm(s=0.4, scale=d * 25.0).pdf(t)  # noqa: E731
    lam = 0.7 * 0.4 * cdf(math.log2(1e3)) + 1.3 * 0.2 * cdf(math.log2(1e9))
    haz = 0.7 * 0.4 * pdf(math.log2(1e3)) + 1.3 * 0.2 * pdf(math.log2(1e9))
    np.testing.assert_allclose(escape.cumulative_relapse(t, **p), -np.expm1(-lam), rtol=1e-7, atol=1e-300)
    np.testing.assert_allclose(escape.relapse_hazard(t, **p), haz * 365.25, rtol=1e-12, atol=1e-300)


def test_doublings_come_from_the_growth_module():
    assert escape.D_AVASCULAR == pytest.approx(math.log2(1e3))
    assert escape.D_SINGLE == pytest.approx(math.log2(1e9))


def test_fast_path_equals_the_general_therapy_path():
    """Without therapy two running integrals replace the per-time quadrature; the general path must agree."""
    t = np.linspace(0, 4000, 41)
    c = escape._batch(escape.validate(escape.PARAMS, dict(P04)))
    for q, mu in ((c["q_a"], c["mu_a"]), (c["q_s"], c["mu_s"])):
        for fn in (escape._cdf, escape._density):
            fast = fn(t, q, mu, c)
            general = fn(t, q, mu, c, general=True)
            np.testing.assert_allclose(fast, general, rtol=1e-7, atol=1e-15)


def test_hazard_is_the_derivative_of_the_cumulative_hazard():
    """-ln(1 - R(t)) equals ∫₀ᵗ h, integrated by scipy from the hazard alone (with therapy)."""
    p = {**P04, "therapy_length": 180.0, "kill": 0.01, "specificity": 0.5}
    for t in (200.0, 700.0, 1500.0):
        area = integrate.quad(
            lambda x: float(escape.relapse_hazard([x], **p)[0]) / 365.25,
            0,
            t,
            points=[30.0, 210.0],
            epsabs=0,
            epsrel=1e-10,
            limit=200,
        )[0]
        lam = -math.log1p(-float(escape.cumulative_relapse([t], **p)[0]))
        assert lam == pytest.approx(area, rel=1e-7)


def test_non_specific_therapy_scales_the_hazard_by_the_survival_of_therapy():
    """specificity 0 kills a lesion at rate kill whatever its state, so h = h0 exp(-kill A(t)) exactly."""
    t = np.linspace(0, 3000, 61)
    p = {**P04, "therapy_start": 60.0, "therapy_length": 200.0, "kill": 0.01, "specificity": 0.0}
    h = escape.relapse_hazard(t, **p)
    h0 = escape.relapse_hazard(t, **{**p, "therapy_length": 0.0})
    exposure = np.clip(t, 60.0, 260.0) - 60.0
    np.testing.assert_allclose(h, h0 * np.exp(-0.01 * exposure), rtol=1e-9, atol=1e-300)


def test_specificity_is_irrelevant_when_every_lesion_is_awake():
    p = {**P04, "p_a": 1.0, "p_s": 1.0, "k": 0.0, "therapy_length": 180.0, "kill": 0.01}
    t = np.linspace(0, 3000, 31)
    np.testing.assert_allclose(
        escape.cumulative_relapse(t, **{**p, "specificity": 0.0}),
        escape.cumulative_relapse(t, **{**p, "specificity": 1.0}),
        rtol=1e-12,
    )


def test_cycle_specific_drugs_spare_dormant_lesions():
    """Without surgical waking nearly every lesion is dormant during therapy: a cycle-specific drug
    achieves little, a non-specific one much more (Naumov et al. 2003)."""
    p = {**P04, "surgery": "off", "therapy_length": 180.0, "kill": 0.01}
    spec = escape.simulate([0.0], seed=0, **{**p, "specificity": 1.0}).summary()
    non = escape.simulate([0.0], seed=0, **{**p, "specificity": 0.0}).summary()
    assert spec["relapse_averted_5y"] < 0.25 * non["relapse_averted_5y"]


def test_early_therapy_beats_late_therapy():
    """Fidler 1988: treat before residual disease is evident."""
    p = {**P04, "therapy_length": 180.0, "kill": 0.005}
    early = escape.simulate([0.0], seed=0, **{**p, "therapy_start": 30.0}).summary()
    late = escape.simulate([0.0], seed=0, **{**p, "therapy_start": 365.0}).summary()
    assert early["relapse_5y"] < late["relapse_5y"] < early["relapse_5y_untreated"]
    assert early["averted_share_early"] > late["averted_share_early"]


def test_demicheli2004_peaks_fall_in_the_published_windows():
    """Demicheli et al. 2004 [src]: hazard peaks at 8-10 and 28-30 months after mastectomy."""
    first, second = escape.hazard_peaks(**P04)
    (lo1, hi1), (lo2, hi2) = escape.DEMICHELI_WINDOWS
    assert lo1 <= first <= hi1
    assert lo2 <= second <= hi2


def test_demicheli2004_fit_is_the_grid_optimum():
    """The preset's (Td, sigma) minimise (peak1 - 9)^2 + (peak2 - 29)^2 among their grid neighbours
    (the full grid search over Td 20-40 by 0.5 and sigma 0.1-0.6 by 0.05 is documented in the model)."""
    td = P04["Td"] + np.array([-0.5, 0.0, 0.5])[:, None]
    sg = P04["sigma"] + np.array([-0.05, 0.0, 0.05])[None, :]
    first, second = escape.hazard_peaks(**{**P04, "Td": td, "sigma": sg})
    err = (first - 9.0) ** 2 + (second - 29.0) ** 2
    assert np.unravel_index(np.argmin(err), err.shape) == (1, 1)


def test_surgery_off_removes_the_early_peak():
    on = escape.relapse_hazard([9 * MONTH], **P04)[0]
    off = escape.relapse_hazard([9 * MONTH], **{**P04, "surgery": "off"})[0]
    assert off < 0.2 * on
    first, _ = escape.hazard_peaks(**{**P04, "surgery": "off"})
    assert first > 12.0


def test_peak_refinement_matches_a_fine_grid():
    first, second = escape.hazard_peaks(**P04)
    for peak in (first, second):
        t = peak * MONTH + np.linspace(-3.0, 3.0, 6001)
        h = escape.relapse_hazard(t, **P04)
        assert t[np.argmax(h)] / MONTH == pytest.approx(peak, abs=0.002 / MONTH)


@pytest.mark.parametrize("over", [{}, {"therapy_length": 180.0, "kill": 0.005, "specificity": 0.3}])
def test_large_cohort_agrees_with_the_exact_curves(over):
    """100,000 simulated patients: relapse fractions within 4 binomial standard errors of R(t)."""
    t = np.linspace(0, 120 * MONTH, 121)
    p = {**P04, **over, "n_patients": 100000}
    r = escape.simulate(t, seed=7, **p)
    se = np.sqrt(r.R * (1 - r.R) / 100000) + 1e-9
    assert np.all(np.abs(r.R_cohort - r.R) <= 4 * se)
    # the kernel-smoothed hazard of the cohort finds the early peak within a month
    early = r.months < 18
    assert (
        abs(
            r.months[early][np.argmax(r.h_cohort[early])] - escape.hazard_peaks(**{**p, "n_patients": 100})[0]
        )
        < 1.0
    )


def test_small_cohort_is_noisy_but_unbiased():
    """Different seeds scatter a 1,173-patient cohort around the exact curve."""
    t = np.array([0.0, 60 * MONTH])
    finals = np.array([escape.simulate(t, seed=s, **P04).R_cohort[-1] for s in range(20)])
    exact = escape.simulate(t, seed=0, **P04).R[-1]
    assert finals.std() > 0
    assert abs(finals.mean() - exact) < 4 * math.sqrt(exact * (1 - exact) / (1173 * 20))


def test_batch_equals_single_runs_for_the_exact_curves():
    t = np.linspace(0, 3000, 31)
    td = np.array([20.0, 31.5, 60.0])
    kill = np.array([[0.0], [0.01]])
    batch = escape.simulate(t, seed=1, **{**P04, "Td": td, "kill": kill, "therapy_length": 100.0})
    assert batch.h.shape == (2, 3, 31)
    for i in range(2):
        for j in range(3):
            one = escape.simulate(
                t, seed=1, **{**P04, "Td": td[j], "kill": kill[i, 0], "therapy_length": 100.0}
            )
            # members without therapy take the closed-form waking integral when alone, the
            # general one inside a batch that has therapy: the two agree to quadrature accuracy
            np.testing.assert_allclose(batch.h[i, j], one.h, rtol=1e-7, atol=1e-300)
            np.testing.assert_allclose(batch.R[i, j], one.R, rtol=1e-7, atol=1e-300)
    s = batch.summary()
    assert np.shape(s["peak1_months"]) == (2, 3)


def test_batched_cohort_sizes():
    r = escape.simulate([0.0, 3650.0], seed=3, n_patients=np.array([100, 5000]))
    assert r.R_cohort.shape == (2, 2)
    assert np.all(r.R_cohort[:, -1] * np.array([100, 5000]) % 1 < 1e-9)


def test_summary_reports_therapy_effect():
    s = escape.simulate([0.0], seed=0, **escape.PRESETS["adjuvant_cycle_specific"].values).summary()
    assert s["relapse_5y"] < s["relapse_5y_untreated"]
    assert s["relapse_averted_5y"] == pytest.approx(s["relapse_5y_untreated"] - s["relapse_5y"])
    assert 0 < s["averted_share_early"] <= 1
    untreated = escape.simulate([0.0], seed=0, **P04).summary()
    assert math.isnan(untreated["averted_share_early"])
    assert untreated["relapse_5y"] == untreated["relapse_5y_untreated"]


def test_times_beyond_forty_years_are_rejected():
    with pytest.raises(ValueError, match="t must hold"):
        escape.simulate([0.0, 50 * 365.25])
    with pytest.raises(ValueError, match="kind"):
        escape.lesion_cdf([1.0], "large")


# ----------------------------------------------------------------------------- the explorer
def _marks(explorer):
    return {
        "h": np.asarray(explorer.exact_h.y, float),
        "R": np.asarray(explorer.exact_r.y, float),
        "untreated": np.asarray(explorer.untreated_h.y, float),
        "cohort": np.asarray(explorer.cohort_h.y, float),
        "therapy": np.asarray(explorer.therapy_band.x, float),
        "months": np.asarray(explorer.exact_h.x, float),
    }


def test_explorer_opens_on_the_demicheli_peaks():
    from dormancy_widgets import EscapeExplorer

    e = EscapeExplorer(preset="demicheli2004")
    first, second = escape.hazard_peaks(**P04)
    assert f"peaks at {first:.1f} and {second:.1f} months" in e.readout.value
    m = _marks(e)
    assert m["months"].max() == pytest.approx(120.0)
    # the drawn hazard peaks inside the first shaded window, and the windows are drawn
    early = m["months"] < 18
    assert 8 <= m["months"][early][np.argmax(m["h"][early])] <= 10
    assert [list(np.asarray(w.x)) for w in e.windows] == [[8, 8, 10, 10], [28, 28, 30, 30]]
    assert m["untreated"].size == 0 and m["therapy"].size == 0


def test_explorer_surgery_off_flattens_the_early_peak():
    from dormancy_widgets import EscapeExplorer

    e = EscapeExplorer(preset="demicheli2004")
    before = _marks(e)
    e.controls["surgery"].value = "off"
    after = _marks(e)
    i = np.argmin(np.abs(before["months"] - 9.0))
    assert after["h"][i] < 0.2 * before["h"][i]
    assert after["R"][-1] < before["R"][-1]
    assert "Surgery wakes no lesion" in e.readout.value


def test_explorer_therapy_cuts_relapse_and_says_so():
    from dormancy_widgets import EscapeExplorer

    e = EscapeExplorer(preset="demicheli2004")
    before = _marks(e)
    e.set(therapy_start=30.0, therapy_length=180.0, kill=0.003)
    after = _marks(e)
    s = e.result.summary()
    assert after["R"][-1] < before["R"][-1]
    np.testing.assert_allclose(after["untreated"], before["h"], rtol=1e-9)
    assert after["therapy"][0] == pytest.approx(30.0 / MONTH) and after["therapy"][-1] == pytest.approx(
        7 * 210.0 / 213.06, rel=1e-3
    )
    text = e.readout.value
    assert "Adjuvant therapy from month 1 to 7 cut 5-year relapse" in text
    assert f"{100 * s['relapse_5y_untreated']:.0f}%" in text and f"{100 * s['relapse_5y']:.0f}%" in text
    # a non-specific drug reaches the dormant lesions too and prevents more relapses
    e.set(specificity=0.0)
    assert e.result.summary()["relapse_5y"] < s["relapse_5y"]


def test_explorer_cohort_toggle_and_size():
    from dormancy_widgets import EscapeExplorer

    e = EscapeExplorer(preset="demicheli2004")
    small = _marks(e)["cohort"].copy()
    e.set(n_patients=100000)
    big = _marks(e)["cohort"]
    exact = _marks(e)["h"]
    assert np.mean(np.abs(big - exact)) < np.mean(np.abs(small - exact))
    assert "100,000 patients" in e.readout.value
    e.view_controls["cohort"].value = False
    assert _marks(e)["cohort"].size == 0


def test_conservative_surgery_peaks_are_out_of_reach():
    """Documented limitation: the peak-time ratio stays near 3 (29.9 / 9.97 doublings), so the
    ~24 and ~60 months after conservative surgery (ratio 2.5; Demicheli et al. 2008) are not reached."""
    td = np.array([40.0, 55.0, 70.0, 85.0, 100.0])[:, None, None]
    k = np.array([0.0, 0.1, 0.25, 0.5])[None, :, None]
    sg = np.array([0.2, 0.35, 0.6])[None, None, :]
    first, second = escape.hazard_peaks(**{**P04, "Td": td, "k": k, "sigma": sg})
    both = np.isfinite(second)
    assert both.any()
    target = escape.DEMICHELI_2008_PEAKS[1] / escape.DEMICHELI_2008_PEAKS[0]
    assert np.min(second[both] / first[both]) > target + 0.2


def test_postmenopausal_single_peak_is_out_of_reach():
    """Demicheli et al. 2004: node-positive postmenopausal women show one broad peak at about
    18-20 months. Keeping the preset and changing only what surgery does puts no hazard peak
    within 17-21 months; a peak there needs two teaching choices re-tuned (a fit, not a
    reproduction), as the module docstring says."""
    lo, hi = escape.DEMICHELI_2004_POSTMENOPAUSAL_PEAK
    p_a = np.array([0.0, 0.1, 0.35, 0.7, 1.0])[:, None]
    p_s = np.array([0.0, 0.1, 0.25, 0.5, 1.0])[None, :]
    for surgery in ("on", "off"):
        first, second = escape.hazard_peaks(**{**P04, "p_a": p_a, "p_s": p_s, "surgery": surgery})
        for peak in (first, second):
            assert not np.any((peak > lo - 1) & (peak < hi + 1)), surgery
    assert round(escape.hazard_peaks(**escape.PRESETS["no_surgical_waking"].values)[0]) == 52
    # the two-parameter re-tuning the docstring names does reach it: a fit, not a reproduction
    refit = escape.hazard_peaks(**{**P04, "surgery": "off", "m_s": 0.1, "k": 0.3})
    assert lo - 1 < refit[0] < hi + 1 and refit[1] == math.inf
    s = escape.simulate([0.0, 30.0], seed=0, **P04).summary()
    assert s["peak_ratio"] == pytest.approx(s["peak2_months"] / s["peak1_months"], rel=1e-12)
    assert s["peak_ratio"] > escape.DEMICHELI_2008_PEAKS[1] / escape.DEMICHELI_2008_PEAKS[0] + 0.2
    assert "PREMENOPAUSAL" in escape.PRESETS["demicheli2004"].citation
    assert "whole" in escape.PARAMS["n_patients"].source


def test_numbers_quoted_in_the_teacher_notes():
    """docs/teachers/07_escape_and_therapy.md quotes these; keep them true (rounded as quoted)."""

    def summary(preset, **over):
        return escape.simulate([0.0], seed=0, **{**escape.PRESETS[preset].values, **over}).summary()

    assert round(100 * summary("demicheli2004")["relapse_5y"]) == 30
    off = summary("no_surgical_waking")
    assert round(100 * off["relapse_5y"]) == 15 and round(off["peak1_months"]) == 52
    spec = summary("adjuvant_cycle_specific")
    assert round(100 * spec["relapse_5y"]) == 22 and 0.4 < spec["averted_share_early"] < 0.6
    assert round(100 * summary("adjuvant_non_specific")["relapse_5y"]) == 19
    late = summary("adjuvant_cycle_specific", therapy_start=365.0)
    assert round(100 * late["relapse_5y"]) == 23 and 0.1 < late["averted_share_early"] < 0.15
