"""Shared numerics against exact answers: RK4 vs closed forms and solve_ivp; birth-death vs theory."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.stats import chisquare

from dormancy_widgets.models import solvers


def _lotka_volterra(a, x, z):
    """Prey x and predators z with prey growth rate a (a number or one per run)."""
    return a * x - 0.4 * x * z, 0.3 * x * z - 0.9 * z


def _lv_batch(t, y, p):
    return np.stack(_lotka_volterra(p["a"], y[0], y[1]))


def _lv_reference(a, t, tol):
    """solve_ivp's DOP853 at a tight tolerance from (2, 1): the reference for one run."""
    ref = solve_ivp(
        lambda t, y: _lotka_volterra(a, *y),
        (t[0], t[-1]),
        [2.0, 1.0],
        t_eval=t,
        rtol=tol,
        atol=tol,
        method="DOP853",
    )
    return ref.y


def test_rk4_exponential_decay_batch():
    k = np.linspace(0.1, 2.0, 50)
    t = np.linspace(0, 5, 11)
    (y,) = solvers.rk4(lambda t, y: (-k * y[0],), (np.ones_like(k),), t, h=0.001)
    assert y.shape == (50, 11)
    np.testing.assert_allclose(y, np.exp(-k[:, None] * t), rtol=1e-9)


def test_rk4_error_falls_as_h_to_the_fourth():
    t = np.array([0.0, 2.0])
    errs = [abs(solvers.rk4(lambda t, y: (y[0],), (1.0,), t, h=h)[0][-1] - np.e**2) for h in (0.1, 0.05)]
    assert 14 < errs[0] / errs[1] < 17


def test_rk4_matches_solve_ivp_on_a_nonlinear_system():
    # Lotka-Volterra with a batch of prey growth rates
    a = np.array([0.8, 1.0, 1.3])
    t = np.linspace(0, 20, 41)
    x, z = solvers.rk4(lambda t, y: _lotka_volterra(a, *y), (np.full(3, 2.0), np.full(3, 1.0)), t, h=0.01)
    for i, ai in enumerate(a):
        ref = _lv_reference(ai, t, 1e-12)
        np.testing.assert_allclose(x[i], ref[0], rtol=1e-7)
        np.testing.assert_allclose(z[i], ref[1], rtol=1e-7)


def test_choose_step_meets_its_tolerance():
    t = np.linspace(0, 10, 6)
    f = lambda t, y: (0.5 * y[0] * (1 - y[0] / 10),)  # noqa: E731
    h = solvers.choose_step(f, (0.1,), t, rtol=1e-9)
    (y,) = solvers.rk4(f, (0.1,), t, h=h)
    exact = 10 / (1 + (10 / 0.1 - 1) * np.exp(-0.5 * t))
    np.testing.assert_allclose(y, exact, rtol=2e-9)


def test_rk4_rejects_bad_step():
    with pytest.raises(ValueError, match="h = 0"):
        solvers.rk4(lambda t, y: y, (1.0,), [0, 1], h=0)


@pytest.mark.parametrize("b, d", [(0.3, 0.2), (0.5, 0.5), (0.2, 0.4)])
def test_birth_death_extinction_probability(b, d):
    """Long-run extinction of a one-cell lesion is d/b (b > d) or 1 (b <= d): exact theory."""
    n = 20000
    t = np.array([0.0, 30.0, 400.0])
    counts = solvers.birth_death(np.ones(n, dtype=int), b, d, t, seed=7)
    extinct = (counts[:, -1] == 0).mean()
    q_finite = solvers._bd_transition(np.array(b), np.array(d), 400.0)[0]
    se = np.sqrt(q_finite * (1 - q_finite) / n)
    assert abs(extinct - q_finite) < 4 * se + 1e-3
    if b > d:
        assert abs(float(solvers.extinction_probability(b, d)) - d / b) < 1e-15
        assert abs(extinct - d / b) < 4 * np.sqrt((d / b) * (1 - d / b) / n) + 1e-3


def test_birth_death_distribution_matches_the_exact_law():
    """One cell after time t: P(0) = alpha and P(k) = (1-alpha)(1-beta) beta^(k-1): chi-square."""
    b, d, t = 1.0, 0.4, 1.5
    x = solvers.birth_death(np.ones(50000, dtype=int), b, d, [0, t], seed=11)[:, -1]
    alpha, q = (float(v) for v in solvers._bd_transition(np.array(b), np.array(d), t))
    ks = np.arange(0, 12)
    p = np.where(ks == 0, alpha, (1 - alpha) * q * (1 - q) ** np.maximum(ks - 1, 0))
    p = np.append(p, 1 - p.sum())
    observed = np.append(np.bincount(np.minimum(x, 12), minlength=13)[:12], (x >= 12).sum())
    assert chisquare(observed, p * x.size).pvalue > 1e-4


def test_birth_death_mean_and_variance():
    b, d, t, n0 = 0.7, 0.3, 3.0, 4
    x = solvers.birth_death(np.full(100000, n0), b, d, [0, t], seed=3)[:, -1]
    mean = n0 * np.exp((b - d) * t)
    var = n0 * (b + d) / (b - d) * np.exp((b - d) * t) * (np.exp((b - d) * t) - 1)
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / x.size)
    assert abs(x.var() / var - 1) < 0.05


def test_birth_death_shape_seed_and_cap():
    t = np.arange(0, 50, 7.0)
    a = solvers.birth_death(np.array([[1], [5]]), np.array([0.2, 0.3, 0.4]), 0.1, t, seed=5)
    b = solvers.birth_death(np.array([[1], [5]]), np.array([0.2, 0.3, 0.4]), 0.1, t, seed=5)
    assert a.shape == (2, 3, len(t)) and a.dtype == np.int64
    np.testing.assert_array_equal(a, b)
    assert (a[..., 0] == np.array([[1], [5]])).all()
    capped = solvers.birth_death(np.ones(10, dtype=int), 2.0, 0.0, [0, 10, 20], seed=1, cap=1000)
    assert capped.max() == 1000 and (capped[:, -1] == 1000).all()


def test_birth_death_rejects_negative_rates():
    with pytest.raises(ValueError, match="death"):
        solvers.birth_death(1, 0.1, -1.0, [0, 1])


def test_tau_leap_is_exact_for_constant_rates():
    x = solvers.tau_leap(np.full(50000, 5), lambda t, n: (1.0, 0.5), [0, 2.0], dt=0.5, seed=2)[:, -1]
    mean = 5 * np.exp(1.0)
    var = 5 * 1.5 / 0.5 * np.exp(1.0) * (np.exp(1.0) - 1)
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / x.size)


def test_tau_leap_follows_time_varying_rates():
    # birth rate switches off at t = 1: mean = n0 exp(0.5 * 1) exp(-0.5 * 1) = n0
    rates = lambda t, n: (np.where(t < 1.0, 1.0, 0.0), 0.5)  # noqa: E731
    x = solvers.tau_leap(np.full(50000, 10), rates, [0, 2.0], dt=0.01, seed=4)[:, -1]
    assert abs(x.mean() - 10.0) < 0.15


# ----------------------------------------------------------------------------- solvers.solve
def _decay(t, y, a):
    return -a["k"] * y


def test_solve_dopri5_exponential_batch_with_own_steps():
    k = np.array([0.1, 1.0, 5.0, 30.0])
    t = np.linspace(0.0, 4.0, 9)
    sol = solvers.solve(_decay, np.ones((1, 4)), t, args={"k": k}, atol=1e-10, rtol=1e-10)
    assert sol.y.shape == (1, 4, 9)
    np.testing.assert_allclose(sol.y[0], np.exp(-k[:, None] * t), rtol=2e-8, atol=1e-9)
    # every run takes its own steps: a fast run needs more, and its companions change nothing
    assert sol.steps[3] > sol.steps[0]
    alone = solvers.solve(_decay, np.ones((1, 1)), t, args={"k": k[:1]}, atol=1e-10, rtol=1e-10)
    np.testing.assert_array_equal(alone.y[0, 0], sol.y[0, 0])  # bit for bit


@pytest.mark.parametrize("method", [solvers.DOPRI5, solvers.RK4])
def test_a_run_is_the_same_bit_for_bit_in_a_batch_of_any_width(method):
    """The stages are combined row by row, not by a BLAS product whose rounding depends on the
    width of the batch: a run alone and the same run among 1, 6 or 1,000 others agree exactly."""
    t = np.linspace(0.0, 20.0, 41)
    kw = {"method": method, "h": np.full(1, 0.05)} if method is solvers.RK4 else {"atol": 1e-9}
    alone = solvers.solve(_lv_batch, np.array([[2.0], [1.0]]), t, args={"a": np.array([1.1])}, **kw)
    for width in (2, 7, 1001):
        a = np.linspace(0.7, 1.5, width)
        a[width // 2] = 1.1
        if method is solvers.RK4:
            kw["h"] = np.full(width, 0.05)
        y0 = np.vstack([np.full(width, 2.0), np.ones(width)])
        sol = solvers.solve(_lv_batch, y0, t, args={"a": a}, **kw)
        np.testing.assert_array_equal(sol.y[:, width // 2], alone.y[:, 0])


def test_solve_matches_solve_ivp_on_a_nonlinear_system():
    a = np.array([0.8, 1.0, 1.3])
    t = np.linspace(0, 20, 41)
    y0 = np.array([[2.0] * 3, [1.0] * 3])
    sol = solvers.solve(_lv_batch, y0, t, args={"a": a}, atol=1e-11, rtol=1e-11)
    for i, ai in enumerate(a):
        np.testing.assert_allclose(sol.y[:, i], _lv_reference(ai, t, 1e-13), rtol=1e-8)
    rk4 = solvers.solve(_lv_batch, y0, t, args={"a": a}, method=solvers.RK4, h=0.01)
    np.testing.assert_allclose(rk4.y, sol.y, rtol=1e-7)


def test_solve_lands_on_events_and_outputs_exactly():
    """y' = -k y with y += 1 at days 0.3, 1.3, 2.3, ... (per run): closed form at the outputs,
    repeated and unsorted-looking output times, and events between outputs."""
    k = np.array([2.0, 0.5])
    period = np.array([1.0, 0.7])

    def next_event(t, a):
        # the small shift keeps 0.3 + 3 * 0.7 (= 2.4000000000000004) from counting as before 2.4
        n = np.floor((t - 0.3) / a["period"] + 1e-9) + 1
        return 0.3 + np.maximum(n, 0) * a["period"]

    def on_event(rows, t, y, a):
        y[0, rows] += 1.0

    t = np.array([0.0, 0.0, 0.5, 1.3, 1.3, 2.0, 3.05])
    sol = solvers.solve(
        _decay,
        np.ones((1, 2)),
        t,
        args={"k": k, "period": period},
        atol=1e-11,
        rtol=1e-11,
        next_event=next_event,
        on_event=on_event,
    )

    def exact(s, k, p):
        doses = 0.3 + p * np.arange(10)
        return np.exp(-k * s) + np.sum(np.exp(-k * (s - doses[doses <= s])))

    for i in range(2):
        want = [exact(s, k[i], period[i]) for s in t]
        np.testing.assert_allclose(sol.y[0, i], want, rtol=1e-9)
    assert sol.y[0, 0, 0] == sol.y[0, 0, 1] == 1.0


def test_solve_refuses_an_event_that_does_not_move_on():
    """A next_event that returns the time just handled would land on it for ever: it raises."""
    with pytest.raises(ValueError, match="next_event"):
        solvers.solve(
            _decay,
            np.ones((1, 1)),
            [0.0, 2.0],
            args={"k": np.array([1.0])},
            next_event=lambda t, a: np.full(t.shape, 0.5),
            on_event=lambda rows, t, y, a: None,
        )


def test_rosenbrock_is_second_order_and_stiff_capable():
    """ROS23 on y' = -L (y - cos t) - sin t (exact y = cos t + (y0 - 1) e^(-L t)): with L = 1e4
    an explicit pair needs about L steps, the Rosenbrock method a handful; its error falls as
    the tolerance does, and it matches solve_ivp (Radau, tight) on the van der Pol oscillator."""
    L = np.array([1.0, 1e4])

    def f(t, y, a):
        return -a["L"] * (y - np.cos(t)) - np.sin(t)

    def jac(t, y, a):
        return -a["L"][None, None, :] * np.ones((1, 1, y.shape[1])), (-a["L"] * np.sin(t) - np.cos(t))[None]

    t = np.linspace(0.0, 10.0, 11)
    y0 = np.full((1, 2), 2.0)
    exact = np.cos(t) + np.exp(-L[:, None] * t)
    errs = []
    for tol in (1e-4, 1e-6):
        s = solvers.solve(f, y0, t, args={"L": L}, method=solvers.ROS23, jac=jac, atol=tol, rtol=tol)
        errs.append(np.max(np.abs(s.y[0] - exact)))
    assert errs[1] < errs[0] / 10 and errs[1] < 1e-4
    short = np.linspace(0.0, 2.0, 5)
    explicit = solvers.solve(f, y0, short, args={"L": L}, atol=1e-4, rtol=1e-4)
    stiff = solvers.solve(f, y0, short, args={"L": L}, method=solvers.ROS23, jac=jac, atol=1e-4, rtol=1e-4)
    assert explicit.steps[1] > 5000 and stiff.steps[1] < explicit.steps[1] / 20

    mu = np.array([5.0, 20.0])

    def vdp(t, y, a):
        return np.stack([y[1], a["mu"] * (1 - y[0] ** 2) * y[1] - y[0]])

    def vdp_jac(t, y, a):
        J = np.stack(
            [
                np.stack([0 * y[0], 1 + 0 * y[0]]),
                np.stack([-2 * a["mu"] * y[0] * y[1] - 1, a["mu"] * (1 - y[0] ** 2)]),
            ]
        )
        return J, np.zeros_like(y)

    tv = np.linspace(0.0, 20.0, 21)
    s = solvers.solve(
        vdp,
        np.array([[2.0, 2.0], [0.0, 0.0]]),
        tv,
        args={"mu": mu},
        method=solvers.ROS23,
        jac=vdp_jac,
        atol=1e-7,
        rtol=1e-7,
    )
    for i, m in enumerate(mu):
        ref = solve_ivp(
            lambda t, y, m=m: [y[1], m * (1 - y[0] ** 2) * y[1] - y[0]],
            (0, 20),
            [2.0, 0.0],
            method="Radau",
            t_eval=tv,
            rtol=1e-12,
            atol=1e-12,
        )
        np.testing.assert_allclose(s.y[0, i], ref.y[0], atol=2e-4)


def test_solve_refuses_a_method_it_cannot_run():
    with pytest.raises(ValueError, match="fixed step"):
        solvers.solve(_decay, np.ones((1, 1)), [0, 1], args={"k": np.ones(1)}, method=solvers.RK4)
    with pytest.raises(ValueError, match="Jacobian"):
        solvers.solve(_decay, np.ones((1, 1)), [0, 1], args={"k": np.ones(1)}, method=solvers.ROS23)


def test_birth_death_reaches_the_cap_with_its_exact_probability():
    """Once a lineage's mean passes the cap, a one-cell lesion is at the cap with probability
    (1 - alpha) (1 - q)^(cap - 1), not 1 - alpha (every surviving lesion used to be set to the
    cap); the sizes below the cap keep their geometric law."""
    b, d, cap = 2.0, 0.5, 1000
    t = np.log(1 + (b - d) * 1499.0 / b) / (b - d)  # mean lineage size 1/q = 1 + b phi = 1500
    alpha, q = (float(v) for v in solvers._bd_transition(np.array(b), np.array(d), t))
    assert q * cap <= 1.0  # the regime that was set to the cap outright
    x = solvers.birth_death(np.ones(40000, dtype=int), b, d, [0.0, t], seed=12, cap=cap)[:, -1]
    share = (1 - alpha) * (1 - q) ** (cap - 1)
    se = np.sqrt(share * (1 - share) / x.size)
    assert abs((x == cap).mean() - share) < 4.5 * se
    below = x[(x > 0) & (x < cap)]
    ks = np.arange(1, cap)
    pk = q * (1 - q) ** (ks - 1)
    mean = np.sum(ks * pk) / pk.sum()
    sd = np.sqrt(np.sum((ks - mean) ** 2 * pk) / pk.sum())
    assert abs(below.mean() - mean) < 4.5 * sd / np.sqrt(below.size)


def test_dense_output_interpolates_between_steps_to_order_four():
    """With ``dense_output`` the steps do not land on every output time: outputs inside a step
    come from the continuous extension (order 4), events are still landed on exactly."""
    k = np.array([0.5, 2.0])
    t = np.linspace(0.0, 6.0, 601)  # far more outputs than steps
    landed = solvers.solve(_decay, np.ones((1, 2)), t, args={"k": k}, atol=1e-9, rtol=1e-9)
    dense = solvers.solve(_decay, np.ones((1, 2)), t, args={"k": k}, atol=1e-9, rtol=1e-9, dense_output=True)
    exact = np.exp(-k[:, None] * t)
    np.testing.assert_allclose(dense.y[0], exact, rtol=1e-7, atol=2e-9)  # atol 1e-9 per step
    assert dense.steps.max() < landed.steps.min() / 5
    # the interpolation error falls as h^5 per step at a fixed number of steps: halving the
    # tolerance by 2^5 halves the step, and the interpolated error shrinks about as much
    errs = []
    for tol in (1e-5, 1e-5 / 32):
        s = solvers.solve(_decay, np.ones((1, 2)), t, args={"k": k}, atol=tol, rtol=tol, dense_output=True)
        errs.append(np.max(np.abs(s.y[0] - exact)))
    assert errs[1] < errs[0] / 8
    with pytest.raises(ValueError, match="continuous extension"):
        solvers.solve(
            _decay, np.ones((1, 1)), t, args={"k": k[:1]}, method=solvers.RK4, h=0.1, dense_output=True
        )


def _decay_jac(t, y, a):
    return (-a["k"])[None, None, :] * np.ones((1, 1, y.shape[1])), np.zeros_like(y)


def test_rosenbrock_dense_output_is_second_order_and_needs_no_small_steps():
    """ROS23's continuous extension: outputs inside a step agree with the landed solution at
    the method's own accuracy; a stiff decay (k = 1000) costs no more steps than a slow one;
    halving the steps cuts the interpolation error about four times (second order)."""
    k = np.array([0.5, 1000.0])
    t = np.linspace(0.0, 6.0, 601)
    kw = {"args": {"k": k}, "method": solvers.ROS23, "jac": _decay_jac, "atol": 1e-5}
    dense = solvers.solve(_decay, np.ones((1, 2)), t, dense_output=True, **kw)
    np.testing.assert_allclose(dense.y[0, 0], np.exp(-0.5 * t), atol=2e-4)
    assert np.all(np.abs(dense.y[0, 1, 60:]) < 1e-5)  # the stiff run has decayed and stays put
    assert dense.steps.max() < 100 < 600
    errs = []
    for h in (0.2, 0.1):
        s = solvers.solve(
            _decay,
            np.ones((1, 1)),
            t,
            args={"k": k[:1]},
            method=solvers.ROS23,
            jac=_decay_jac,
            h=h,
            dense_output=True,
        )
        nodes = np.isclose(np.remainder(t + 1e-12, h), 0.0, atol=1e-9)
        landed = np.interp(t, t[nodes], s.y[0, 0, nodes])  # the step ends themselves
        errs.append(np.max(np.abs(s.y[0, 0] - np.exp(-0.5 * t))))
        # better than joining the step ends by straight lines (also second order)
        assert errs[-1] < 0.25 * np.max(np.abs(landed - np.exp(-0.5 * t)))
    assert 2.5 < errs[0] / errs[1] < 6


def test_dense_output_fills_repeated_output_times_inside_a_step():
    """Repeated output times that fall inside one step each get the interpolated value."""
    k = np.array([0.3, 1.1, 2.5])
    t = np.sort(np.r_[np.linspace(0.0, 4.0, 9), [0.7, 0.7, 0.7, 2.2, 2.2]])
    s = solvers.solve(_decay, np.ones((1, 3)), t, args={"k": k}, atol=1e-10, rtol=1e-10, dense_output=True)
    np.testing.assert_allclose(s.y[0], np.exp(-k[:, None] * t), rtol=1e-8, atol=1e-10)
    rep = np.flatnonzero(t == 0.7)
    assert rep.size == 3 and np.all(s.y[0][:, rep] == s.y[0][:, rep[:1]])


def test_solve_wants_both_event_functions():
    with pytest.raises(ValueError, match="next_event and on_event"):
        solvers.solve(
            _decay, np.ones((1, 1)), [0, 1], args={"k": np.ones(1)}, next_event=lambda t, a: t + 0.5
        )


# ----------------------------------------------------------------------------- solvers.gillespie
_BD = np.array([[1], [-1]])  # one species; a birth, a death


def _linear_bd(b, d):
    """Propensities of the linear birth-death process: n b and n d per run."""

    def prop(rows, t, x):
        return x[:, :1] * np.array([b, d])

    return prop


def test_gillespie_birth_death_law_at_every_output():
    """One cell: P(0) = alpha and P(k) = (1 - alpha) q (1 - q)^(k - 1) at each output time
    (Kendall 1948, the closed form of ``_bd_transition``): chi-square at two times."""
    b, d, n = 1.0, 0.4, 20000
    t = np.array([0.0, 0.7, 1.5])
    x = solvers.gillespie(np.ones((n, 1)), _BD, _linear_bd(b, d), t, seed=21)
    assert x.shape == (n, 1, 3) and x.dtype == np.int64
    assert (x[:, 0, 0] == 1).all()
    for j in (1, 2):
        alpha, q = (float(v) for v in solvers._bd_transition(np.array(b), np.array(d), t[j]))
        ks = np.arange(0, 10)
        p = np.where(ks == 0, alpha, (1 - alpha) * q * (1 - q) ** np.maximum(ks - 1, 0))
        p = np.append(p, 1 - p.sum())
        got = x[:, 0, j]
        observed = np.append(np.bincount(np.minimum(got, 10), minlength=11)[:10], (got >= 10).sum())
        assert chisquare(observed, p * n).pvalue > 1e-4


def test_gillespie_mean_and_extinction_against_theory():
    """Mean n0 exp((b - d) t) and extinction by t = alpha^n0 for a lesion of n0 cells."""
    b, d, n0, t, n = 0.6, 0.45, 3, 4.0, 20000
    x = solvers.gillespie(np.full((n, 1), n0), _BD, _linear_bd(b, d), [0.0, t], seed=8)[:, 0, -1]
    r = b - d
    mean = n0 * np.exp(r * t)
    var = n0 * (b + d) / r * np.exp(r * t) * np.expm1(r * t)
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / n)
    alpha = float(solvers._bd_transition(np.array(b), np.array(d), t)[0])
    p_ext = alpha**n0
    assert abs((x == 0).mean() - p_ext) < 4 * np.sqrt(p_ext * (1 - p_ext) / n)


def test_gillespie_yule_process_is_geometric():
    """Pure birth from one cell: N(t) ~ Geometric(exp(-b t)) (the Yule process)."""
    b, t, n = 0.8, 2.0, 20000
    x = solvers.gillespie(np.ones((n, 1)), [[1]], lambda rows, tc, x: b * x, [0.0, t], seed=2)[:, 0, -1]
    p = np.exp(-b * t)
    ks = np.arange(1, 15)
    probs = np.append(p * (1 - p) ** (ks - 1), (1 - p) ** ks[-1])
    observed = np.append(np.bincount(np.minimum(x, 15), minlength=16)[1:15], (x >= 15).sum())
    assert chisquare(observed, probs * n).pvalue > 1e-4


def test_gillespie_stops_the_clock_at_breaks():
    """Birth at rate b until each run's own break time s, then nothing: at any later output
    the count is Yule at s, Geometric(exp(-b s)); outputs before s see the process so far."""
    b, n = 1.0, 20000
    s = np.where(np.arange(n) % 2 == 0, 0.5, 1.5)

    def prop(rows, tc, x):
        return np.where(tc < s[rows], b, 0.0)[:, None] * x

    x = solvers.gillespie(np.ones((n, 1)), [[1]], prop, [0.0, 1.0, 3.0], seed=5, breaks=s[:, None])
    for half, sv in ((0, 0.5), (1, 1.5)):
        got = x[half::2, 0, -1]
        p = np.exp(-b * sv)
        assert abs(got.mean() - 1 / p) < 4 * np.sqrt((1 - p) / p**2 / got.size)
    early = x[0::2, 0]
    np.testing.assert_array_equal(early[:, 1], early[:, 2])  # nothing happens after the break
    assert x[1::2, 0, 1].mean() < x[1::2, 0, 2].mean()  # still growing at day 1


def test_gillespie_stop_on_fire_and_reproducibility():
    """A run that reaches the stop mask is held; on_fire sees every event (its net count is
    each run's change) with its extra draws; the same seed gives the same numbers."""
    net = np.zeros(50, dtype=np.int64)

    def on_fire(rows, te, kind, u):
        assert u.shape == (rows.size, 2) and np.all((u >= 0) & (u < 1))
        assert np.all((te > 0) & (te < 10))
        np.add.at(net, rows, np.where(kind == 0, 1, -1))

    t = np.linspace(0, 10, 11)
    kw = dict(seed=9, stop=lambda x: x[:, 0] >= 20, extra_draws=2)
    a = solvers.gillespie(np.ones((50, 1)), _BD, _linear_bd(2.0, 0.1), t, on_fire=on_fire, **kw)
    b = solvers.gillespie(np.ones((50, 1)), _BD, _linear_bd(2.0, 0.1), t, **kw)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(net, a[:, 0, -1] - 1)
    assert a.max() == 20 and (a[:, 0, -1] == 20).sum() > 40
    assert set(np.unique(a[:, 0, -1])) <= {0, 20}  # every run either died out or was stopped
    with pytest.raises(ValueError, match="stoichiometry"):
        solvers.gillespie(np.ones((2, 2)), _BD, _linear_bd(1.0, 0.0), [0, 1])
    with pytest.raises(ValueError, match="t must"):
        solvers.gillespie(np.ones((2, 1)), _BD, _linear_bd(1.0, 0.0), [1, 0])
