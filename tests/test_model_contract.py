"""Every mechanism module honours the contract in ``dormancy_widgets.models.base``.

Parametrized over ``MECHANISMS``: a new mechanism is tested here as soon as it is listed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import assert_finite_nonnegative, params_strategy

from dormancy_widgets.models import MECHANISMS, mechanism
from dormancy_widgets.models.base import Mechanism, Output, Result
from dormancy_widgets.models.params import Param, Preset, validate


def unit_problem(p: Param) -> str | None:
    """What is wrong with a parameter's unit, or None. A number has a unit in the house
    spelling ("/day", not "1/day"; "days", not "day"), or says in its meaning that it is
    dimensionless, or is a whole-number count ("number of ..."); a choice has no unit."""
    if p.categorical:
        return None if p.unit == "" else f"{p.name}: a choice has no unit (got {p.unit!r})"
    if p.unit == "":
        if "dimensionless" in p.doc or (p.integer and p.doc.startswith("number of")):
            return None
        return f"{p.name}: give a unit, or say 'dimensionless' in its meaning"
    return spelling_problem(p.name, p.unit)


def spelling_problem(name: str, unit: str) -> str | None:
    """A unit in the house spelling: "/day", not "1/day"; "days", not "day"."""
    if unit.startswith("1/") or unit == "day":
        return f"{name}: unit {unit!r} is not the house spelling ('/day', 'days')"
    return None


def test_the_unit_check_can_fail():
    assert unit_problem(Param("r", 1.0, 0.0, 2.0, unit="1/day", doc="a rate")) is not None
    assert unit_problem(Param("t", 1.0, 0.0, 2.0, unit="day", doc="a day")) is not None
    assert unit_problem(Param("x", 1.0, 0.0, 2.0, doc="a ratio")) is not None
    assert unit_problem(Param("x", 1.0, 0.0, 2.0, doc="a ratio, dimensionless")) is None
    assert unit_problem(Param("k", "a", choices=("a", "b"), unit="cells")) is not None
    assert spelling_problem("t_x", "day") is not None and spelling_problem("t_x", "days") is None


def test_the_module_is_a_mechanism(model):
    assert isinstance(model, Mechanism)
    assert not isinstance(Param, Mechanism)


def test_declarations(model):
    assert isinstance(model.PARAMS, dict) and model.PARAMS
    for name, p in model.PARAMS.items():
        assert isinstance(p, Param) and p.name == name
        assert p.label and p.doc and p.source, f"{name} needs a label, a meaning and a source"
        assert unit_problem(p) is None, unit_problem(p)
    assert isinstance(model.PRESETS, dict) and model.PRESETS
    for name, preset in model.PRESETS.items():
        assert isinstance(preset, Preset)
        assert len(preset.citation) > 10, f"preset {name} must cite its source"
        validate(model.PARAMS, dict(preset.values))
    assert isinstance(model.STOCHASTIC, bool)
    t = np.asarray(model.DEFAULT_T)
    assert t.ndim == 1 and t.size >= 2 and np.all(np.diff(t) > 0)


def test_default_run(model):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = model.simulate(model.DEFAULT_T, seed=1)
    assert isinstance(r, Result)
    assert r.STATES and r.batch_shape == ()
    for arr in r.states().values():
        assert np.shape(arr) == (len(model.DEFAULT_T),)
    assert_finite_nonnegative(r)
    s = r.summary()
    assert isinstance(s, dict) and s
    for key, value in s.items():
        assert not (isinstance(value, float) and math.isnan(value)) or "share" in key, key
    assert r.to_csv().count("\n") == len(model.DEFAULT_T) + 1


def result_classes(model):
    """The result classes a mechanism module defines (most have one)."""
    return [
        c
        for c in vars(model).values()
        if isinstance(c, type) and issubclass(c, Result) and c.__module__ == model.__name__
    ]


def test_summary_keys_are_declared_once(model):
    """``summary()`` returns exactly the keys its class declares in ``SUMMARY``, in order."""
    classes = result_classes(model)
    assert classes
    for cls in classes:
        assert cls.SUMMARY, f"{cls.__name__} must declare SUMMARY"
        for key, out in cls.SUMMARY.items():
            assert isinstance(out, Output) and out.meaning, key
    r = model.simulate(model.DEFAULT_T, seed=1)
    assert list(r.summary()) == list(type(r).SUMMARY)
    batch = model.simulate(model.DEFAULT_T, seed=1, **{k: [p.default] * 2 for k, p in model.PARAMS.items()})
    assert list(batch.summary()) == list(type(batch).SUMMARY)


def test_summary_units_and_keys_follow_the_house_rules(model):
    """Declared outputs spell units like parameters do, and a value at the last output time is
    ``<state>_final`` (rule 7), never ``_end``."""
    for cls in result_classes(model):
        for key, out in cls.SUMMARY.items():
            assert spelling_problem(key, out.unit) is None, spelling_problem(key, out.unit)
            assert not key.endswith("_end"), f"{cls.__name__}.{key}: name it {key[:-4]}_final"


def test_lesion_sampler_summary_is_declared():
    from dormancy_widgets.models import cellcycle

    r = cellcycle.simulate_stochastic(cellcycle.DEFAULT_T[:5], seed=1)
    assert list(r.summary()) == list(type(r).SUMMARY)


def test_every_preset_runs(model):
    for preset in model.PRESETS.values():
        r = model.simulate(model.DEFAULT_T, seed=2, **preset.values)
        assert_finite_nonnegative(r)


@pytest.mark.parametrize("bad", [float("nan"), math.inf, -math.inf])
def test_non_finite_values_name_the_parameter(model, bad):
    for name, p in model.PARAMS.items():
        if p.categorical:
            continue
        with pytest.raises(ValueError) as err:
            model.simulate(model.DEFAULT_T, **{name: bad})
        assert str(err.value).startswith(f"{name} "), str(err.value)


def test_out_of_range_and_wrong_type_name_the_parameter(model):
    for name, p in model.PARAMS.items():
        bad_values = ["not a number", None] if not p.categorical else ["no-such-choice", 1.0]
        if not p.categorical:
            if math.isfinite(p.high):
                bad_values.append(p.high * 2 + 1)
            if math.isfinite(p.low):
                bad_values.append(p.low - abs(p.low) - 1)
        for bad in bad_values:
            with pytest.raises(ValueError) as err:
                model.simulate(model.DEFAULT_T, **{name: bad})
            assert str(err.value).startswith(f"{name} "), str(err.value)
    with pytest.raises(ValueError, match="unknown parameter"):
        model.simulate(model.DEFAULT_T, no_such_parameter=1.0)


def test_batches_broadcast_with_time_last(model):
    numeric = [n for n, p in model.PARAMS.items() if not p.categorical]
    name = numeric[0]
    p = model.PARAMS[name]
    lo, hi = p.low, min(p.high, p.default * 2 if p.default > 0 else p.high)
    values = np.array([lo, p.default, hi])
    if p.integer:
        values = np.round(values)
    t = np.asarray(model.DEFAULT_T)
    r = model.simulate(t, seed=3, **{name: values})
    assert r.batch_shape == (3,)
    for arr in r.states().values():
        assert np.shape(arr) == (3, len(t))
    other = numeric[1] if len(numeric) > 1 else None
    if other is not None:
        q = model.PARAMS[other]
        r2 = model.simulate(t, seed=3, **{name: values[:, None], other: np.full(2, q.default)})
        assert r2.batch_shape == (3, 2)
    if not model.STOCHASTIC:
        for i, v in enumerate(values):
            single = model.simulate(t, **{name: v})
            for key, arr in r.states().items():
                np.testing.assert_allclose(arr[i], getattr(single, key), rtol=1e-12, atol=0)


def test_same_seed_same_numbers(model):
    t = model.DEFAULT_T
    a = model.simulate(t, seed=42)
    b = model.simulate(t, seed=42)
    for key in a.STATES:
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    if model.STOCHASTIC:
        c = model.simulate(t, seed=43)
        assert any(not np.array_equal(getattr(a, k), getattr(c, k)) for k in a.STATES)


@pytest.mark.parametrize("name", MECHANISMS)
def test_property_any_in_range_values_are_finite_and_warning_free(name):
    model = mechanism(name)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(values=params_strategy(model.PARAMS), seed=st.integers(0, 2**32 - 1))
    def run(values, seed):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            r = model.simulate(model.DEFAULT_T, seed=seed, **values)
            r.summary()
        assert_finite_nonnegative(r)

    run()
