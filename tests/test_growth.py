"""Growth below detection: closed forms, the ODE, solve_ivp, conversions and the explorer."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from dormancy_widgets import GrowthExplorer
from dormancy_widgets.models import growth, solvers

T = np.linspace(0.0, 6000.0, 301)


def gompertz_textbook(t, n0, ninf, b):
    """N(t) = N0 exp[ln(Ninf/N0)(1 - e^(-b t))] (Norton 1988), written independently of the model."""
    return n0 * np.exp(np.log(ninf / n0) * (1.0 - np.exp(-b * t)))


def test_gompertz_batch_of_100_matches_closed_form_via_rk4():
    """Integrate dN/dt = b N ln(Ninf/N) for 100 parameter sets at once; 1e-9 relative."""
    rng = np.random.default_rng(0)
    n0 = 10 ** rng.uniform(0, 4, 100)
    ninf = 10 ** rng.uniform(8, 13, 100)
    td = 10 ** rng.uniform(np.log10(5), np.log10(300), 100)
    b = math.log(2) / td / np.log(ninf / n0)
    t = np.linspace(0, 3000, 61)
    # in log space the Gompertz law is linear: d(ln N)/dt = b (ln Ninf - ln N)
    (ln_n,) = solvers.rk4(lambda t, y: (b * (np.log(ninf) - y[0]),), (np.log(n0),), t, h=0.5)
    ref = gompertz_textbook(t, n0[:, None], ninf[:, None], b[:, None])
    np.testing.assert_allclose(np.exp(ln_n), ref, rtol=1e-9)
    model = growth.simulate(t, law="gompertz", N0=n0, Ninf=ninf, Td=td)
    assert model.N.shape == (100, 61)
    np.testing.assert_allclose(model.N, ref, rtol=1e-12)


@pytest.mark.parametrize("law", growth.LAWS)
def test_each_law_solves_its_ode(law):
    """The closed forms agree with solve_ivp on the model's own right-hand side."""
    params = {"law": law, "N0": 3.0, "Td": 40.0, "Ninf": 1e10}
    t = np.linspace(0, 1500, 31)
    sol = solve_ivp(
        lambda t, y: [
            np.log(2) / 40
            if law == "exponential"
            else float(growth.rhs(np.exp(y[0]), **params)) / np.exp(y[0])
        ],
        (0, 1500),
        [np.log(3.0)],
        t_eval=t,
        rtol=1e-12,
        atol=1e-12,
        method="DOP853",
    )
    np.testing.assert_allclose(growth.simulate(t, **params).N, np.exp(sol.y[0]), rtol=1e-8)


def test_exponential_and_logistic_closed_forms():
    r = math.log(2) / 25
    e = growth.simulate(T, law="exponential", N0=2, Td=25)
    np.testing.assert_allclose(e.N, np.minimum(2 * np.exp(r * T), growth.N_CAP), rtol=1e-12)
    lg = growth.simulate(T, law="logistic", N0=2, Td=25, Ninf=1e9)
    np.testing.assert_allclose(lg.N, 1e9 / (1 + (1e9 / 2 - 1) * np.exp(-r * T)), rtol=1e-12)


def test_thirty_doublings_to_a_billion_cells():
    """Arithmetic convention (REFERENCES.md §1): 1e9 cells = 29.9 doublings, 1e12 = 39.9."""
    s = growth.simulate(T).summary()
    assert round(s["doublings_to_clinical"], 1) == 29.9
    assert round(s["doublings_to_lethal"], 1) == 39.9


def test_time_to_size_inverts_the_solution():
    for law in growth.LAWS:
        p = {"law": law, "N0": 1.0, "Td": 30.0, "Ninf": 3e12, "t_pause": 200.0, "pause": 400.0}
        for cells in (1e3, 1e6, 1e9):
            t_hit = growth.time_to_size(cells, **p)
            n = growth.simulate([t_hit], **p).N[-1]
            assert n == pytest.approx(cells, rel=1e-9), (law, cells)


def test_plateau_shifts_everything_after_it():
    base = growth.simulate(T).summary()
    paused = growth.simulate(T, t_pause=100.0, pause=700.0).summary()
    assert paused["days_to_clinical"] == pytest.approx(base["days_to_clinical"] + 700.0)
    r = growth.simulate(np.array([100.0, 300.0, 800.0]), t_pause=100.0, pause=700.0)
    assert r.N[0] == r.N[1] == r.N[2]


def test_never_detected_when_the_plateau_is_below_a_billion():
    s = growth.simulate(T, **growth.PRESETS["growth_arrest_below_detection"].values).summary()
    assert math.isinf(s["days_to_clinical"])
    assert math.isnan(s["share_below_microscopic"])


def test_exponential_is_capped_not_infinite():
    r = growth.simulate(np.linspace(0, 1e5, 11), law="exponential", Td=2.0)
    assert np.all(np.isfinite(r.N)) and r.N.max() == pytest.approx(growth.N_CAP)


def test_conversions_round_trip():
    assert growth.cells_to_volume(1e9) == pytest.approx(1000.0)  # 1e9 cells = 1 cm^3
    d = growth.cells_to_diameter(1e9)
    assert d == pytest.approx((6000 / math.pi) ** (1 / 3))
    assert growth.diameter_to_cells(d) == pytest.approx(1e9)
    assert growth.volume_to_diameter(growth.diameter_to_volume(7.0)) == pytest.approx(7.0)
    assert growth.doublings(1024, 1) == pytest.approx(10.0)


def test_time_to_size_rejects_bad_sizes():
    with pytest.raises(ValueError, match="cells"):
        growth.time_to_size(-1.0)
    with pytest.raises(ValueError, match="Td"):
        growth.time_to_size(1e9, Td=float("nan"))


# ------------------------------------------------------------------ the explorer, headless
def test_explorer_readout_and_marks_follow_the_controls():
    e = GrowthExplorer()
    y0 = np.array(e.curve.y, copy=True)
    text0 = e.readout.value
    assert "4.3 years" in text0 and "29.9 doublings" in text0
    e.controls["Td"].value = 15.0
    assert "2.2 years" in e.readout.value
    assert not np.allclose(y0, e.curve.y)
    e.controls["pause"].value = 730.0
    e.controls["t_pause"].value = 100.0
    assert "dormant plateau of 2.0 years" in e.readout.value
    assert len(e.plateau.x) == 4
    e.controls["Ninf"].value = 1e8
    assert "never reaches 1 cm³" in e.readout.value
    assert len(e.detect_marker.x) == 0


def test_explorer_time_axis_control():
    e = GrowthExplorer()
    e.view_controls["years"].value = 3.0
    assert e.result.t[-1] == pytest.approx(3 * 365.25)
    assert "beyond the time shown" in e.readout.value


# ------------------------------------------------------------------ Norton vs Speer: rivals
def test_norton_and_speer_presets_are_rival_models():
    """Norton 1988 rejects Speer 1984's identical early growth and proposes an unadorned Gompertz;
    the norton1988 preset takes only N∞ from Norton, and the two differ in silent growth time."""
    norton, speer = growth.PRESETS["norton1988"], growth.PRESETS["speer1984_plateau"]
    assert "Only the plateau size N∞ is taken from Norton" in norton.citation
    assert "rejects" in norton.citation and "Speer" in norton.citation
    assert "rival of Norton 1988" in speer.citation and "rejects" in speer.citation
    assert norton.values["law"] == speer.values["law"] == "gompertz" and norton.values["pause"] == 0.0
    assert "Speer" not in growth.PRESETS["norton1988"].description
    # the rival pictures disagree on how long a tumour grows silently before 1e9 cells
    t_n = growth.time_to_size(1e9, **norton.values)
    t_s = growth.time_to_size(1e9, **speer.values)
    assert t_s - t_n == pytest.approx(speer.values["pause"], rel=1e-9)
    assert "rejects" in growth.__doc__ and "Rival models" in growth.__doc__


@pytest.mark.parametrize("seed", ["abc", -1, 1.5, float("nan")])
def test_a_bad_seed_is_refused_by_name(seed):
    with pytest.raises(ValueError, match="seed"):
        growth.simulate(growth.DEFAULT_T, seed=seed)
