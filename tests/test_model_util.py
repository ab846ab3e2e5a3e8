"""The shared helpers of the model layer (``models/_util.py``) against plain loops."""

import warnings

import numpy as np
import pytest

from dormancy_widgets.models._util import counts_by_time, first_reached, flatten, ratio, scalar


def test_scalar_gives_a_number_for_one_run_and_an_array_for_a_batch():
    assert scalar(np.array(2.5)) == 2.5 and type(scalar(np.array(2.5))) is float
    assert type(scalar(np.array(1.0), bool)) is bool
    assert type(scalar(np.array(3), None)) is int
    batch = scalar([1, 2])
    assert isinstance(batch, np.ndarray) and batch.dtype == float and batch.shape == (2,)


def test_flatten_broadcasts_then_lays_out_row_major():
    a = np.array([1.0, 2.0])
    out = flatten({"a": a, "b": 7.0}, (2, 3), trailing=1)
    np.testing.assert_array_equal(out["a"], [1, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(out["b"], [7] * 6)
    with pytest.raises(ValueError):
        flatten({"a": a}, (3,))


def test_first_reached_matches_a_loop():
    rng = np.random.default_rng(0)
    reached = rng.random((50, 12)) > 0.85
    hit, before, at = first_reached(reached)
    for row, h, b, j in zip(reached, hit, before, at):
        idx = np.flatnonzero(row)
        assert h == (idx.size > 0)
        assert j == (idx[0] if idx.size else 0)
        assert b == max(j - 1, 0)


def test_counts_by_time_matches_a_loop():
    rng = np.random.default_rng(1)
    times = np.array([0.0, 1.0, 2.5, 4.0])
    event = np.where(rng.random(200) < 0.2, np.inf, rng.uniform(-0.5, 5.0, 200))
    group = rng.integers(0, 3, 200)
    got = counts_by_time(event, group, times, 3)
    want = np.array([[np.sum((group == g) & (event <= t)) for t in times] for g in range(3)])
    np.testing.assert_array_equal(got, want)


def test_ratio_is_nan_without_a_denominator_and_never_warns():
    a = np.array([1.0, 2.0, 3.0, np.inf, 5.0])
    b = np.array([2.0, 0.0, -1.0, 1.0, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ratio(a, b)
        forced = ratio(a, b, where=np.array([True, False, True, False, False]))
    np.testing.assert_array_equal(got, [0.5, np.nan, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(forced, [0.5, np.nan, -3.0, np.nan, np.nan])
    never = ratio(2.0, np.array([0.5, 0.0]), where=np.array([0.5, 0.0]) > 0, fill=np.inf)
    np.testing.assert_array_equal(never, [4.0, np.inf])
    assert ratio(3.0, 4.0).shape == () and float(ratio(3.0, 4.0)) == 0.75
    assert ratio(np.ones((2, 1)), np.ones(3)).shape == (2, 3)
