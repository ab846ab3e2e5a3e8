"""Every explorer honours the shared behaviour of ``widgets.base.Explorer``, headless.

Parametrized over ``widgets.EXPLORERS``: controls mirror the model's ``PARAMS`` (no drift),
every control moves the model, marks stay finite, presets and buttons work twice over.
"""

from __future__ import annotations

import html
import warnings

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import params_strategy

import dormancy_widgets
from dormancy_widgets.widgets import EXPLORERS
from dormancy_widgets.widgets.base import control_label

NAMES = list(EXPLORERS)


def mark_data(explorer) -> list[np.ndarray]:
    data = []
    for fig in explorer.figures:
        for mark in fig.marks:
            for attr in ("x", "y"):
                if hasattr(mark, attr):
                    data.append(np.asarray(getattr(mark, attr), dtype=float).copy())
    return data


def assert_marks_finite(explorer) -> None:
    for arr in mark_data(explorer):
        assert np.all(np.isfinite(arr)), "a mark holds non-finite data"


@pytest.fixture(params=NAMES)
def explorer(request):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return getattr(dormancy_widgets, request.param)()


def test_exported_at_top_level(explorer):
    assert type(explorer).__name__ in dormancy_widgets.__all__


def test_controls_mirror_the_model_parameters(explorer):
    params = explorer.model.PARAMS
    assert list(explorer.controls) == list(params), "controls drifted from the model's PARAMS"
    for name, w in explorer.controls.items():
        p = params[name]
        assert w.description == control_label(p)
        if p.unit:
            assert p.unit in w.description
        assert w.tooltip and p.doc in w.tooltip
        if not p.categorical:
            lo, hi = (10**w.min, 10**w.max) if isinstance(w, widgets.FloatLogSlider) else (w.min, w.max)
            assert np.isclose(lo, p.low) and np.isclose(hi, p.high), name


def test_opens_clean(explorer):
    assert explorer.error is None, explorer.error
    assert explorer.result is not None
    assert explorer.figures and all(isinstance(f, bq.Figure) for f in explorer.figures)
    assert 'role="status"' in explorer.readout.value and len(explorer.readout.value) > 60
    assert any(arr.size > 1 for arr in mark_data(explorer))
    assert_marks_finite(explorer)


def _other_value(w, p):
    if p.categorical:
        return next(c for c in p.choices if c != w.value)
    if isinstance(w, widgets.FloatLogSlider):
        lo, hi = np.log10(p.low), np.log10(p.high)
        e = np.log10(w.value)
        target = 10 ** (lo + 0.3 * (hi - lo)) if e > lo + 0.5 * (hi - lo) else 10 ** (lo + 0.8 * (hi - lo))
    else:
        target = (
            p.low + 0.3 * (p.high - p.low)
            if w.value > (p.low + p.high) / 2
            else p.low + 0.8 * (p.high - p.low)
        )
    return round(target) if p.integer else target


def test_every_control_reaches_the_model(explorer):
    for name, w in explorer.controls.items():
        p = explorer.model.PARAMS[name]
        value = _other_value(w, p)
        before = explorer.result
        w.value = value
        if explorer.error is None:
            assert explorer.result is not before, f"moving {name} did not rerun the model"
            got = explorer.result.params[name]
            assert (got == value) if p.categorical else np.isclose(float(got), float(w.value)), name
            assert_marks_finite(explorer)
        else:
            assert explorer.message.value.startswith("⚠"), name


def test_presets_change_the_plot_and_the_readout(explorer):
    seen_marks, seen_text = [], set()
    for name, preset in explorer.model.PRESETS.items():
        explorer.preset(name)
        assert explorer.error is None, (name, explorer.error)
        assert explorer.preset_picker.value == name
        assert preset.citation[:20] in html.unescape(explorer.citation.value)
        for key, v in preset.values.items():
            got = explorer.params[key]
            assert got == v if isinstance(v, str) else np.isclose(got, v, rtol=1e-6), (name, key)
        assert_marks_finite(explorer)
        seen_marks.append(mark_data(explorer))
        seen_text.add(explorer.readout.value)
    if len(explorer.model.PRESETS) > 1:
        assert len(seen_text) > 1, "every preset gives the same readout"
        first = seen_marks[0]
        assert any(
            len(a) != len(b) or not np.allclose(a, b) for m in seen_marks[1:] for a, b in zip(first, m)
        ), "every preset draws the same marks"


def test_moving_a_control_marks_the_preset_as_modified(explorer):
    name = next(iter(explorer.model.PRESETS))
    explorer.preset(name)
    for key, w in explorer.controls.items():
        p = explorer.model.PARAMS[key]
        if key in explorer.model.PRESETS[name].values:
            w.value = _other_value(w, p)
            break
    assert explorer.preset_picker.value == ""
    assert "Modified" in explorer.citation.value


def test_buttons_pressed_twice(explorer):
    for key, button in explorer.buttons.items():
        button.click()
        button.click()
        assert explorer.error is None, key
    explorer.buttons["keep"].click()
    for live, ghost in explorer.ghost_pairs():
        np.testing.assert_array_equal(np.asarray(ghost.y, float), np.asarray(live.y, float))
    explorer.buttons["clear"].click()
    for _, ghost in explorer.ghost_pairs():
        assert np.asarray(ghost.y).size == 0
    explorer.buttons["csv"].click()
    assert "data:text/csv;base64," in explorer.export_area.value
    explorer.buttons["code"].click()
    assert ".set(" in explorer.export_area.value


def test_reset_restores_the_opening_settings(explorer):
    start = dict(explorer.params)
    for name, w in explorer.controls.items():
        w.value = _other_value(w, explorer.model.PARAMS[name])
    explorer.reset()
    assert (
        explorer.params == pytest.approx(start)
        if all(not isinstance(v, str) for v in start.values())
        else explorer.params == start
    )


def test_settings_code_round_trips(explorer):
    explorer.preset(list(explorer.model.PRESETS)[-1])
    code = explorer.settings_code("e")
    assert code.startswith("e.set(")
    other = type(explorer)()
    kwargs = {k: explorer.params[k] for k in explorer.params}
    other.set(**kwargs)
    assert other.settings_code("e") == code


def test_csv_export(explorer):
    text = explorer.to_csv()
    lines = text.splitlines()
    assert lines[0].split(",")[0] in ("t_days", "i0")
    assert len(lines) > 2


def test_set_rejects_bad_values_and_changes_nothing(explorer):
    before = dict(explorer.params)
    name = next(n for n, p in explorer.model.PARAMS.items() if not p.categorical)
    with pytest.raises(ValueError, match=name):
        explorer.set(**{name: float("nan")})
    with pytest.raises(ValueError, match="unknown parameter"):
        explorer.set(no_such_parameter=1)
    assert explorer.params == before


@pytest.mark.parametrize("name", NAMES)
def test_random_in_range_settings_never_break_the_explorer(name):
    explorer = getattr(dormancy_widgets, name)()
    model = explorer.model

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(values=params_strategy(model.PARAMS))
    def run(values):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            explorer.set(**values)
        if explorer.error is None:
            assert_marks_finite(explorer)
            assert explorer.readout.value
        else:
            assert explorer.message.value.startswith("⚠")

    run()


def test_a_browser_rounding_a_slider_changes_nothing(explorer):
    """The browser snaps a value to the slider's grid and sends it back: that is no change."""
    name, w = next(
        (n, w)
        for n, w in explorer.controls.items()
        if isinstance(w, widgets.FloatSlider | widgets.FloatLogSlider)
    )
    preset = next(iter(explorer.model.PRESETS))
    explorer.preset(preset)
    before, result = dict(explorer.params), explorer.result
    value = explorer.params[name]
    if isinstance(w, widgets.FloatLogSlider):
        echo = (
            10 ** (np.log10(value) + 0.4 * w.step)
            if value < 10**w.max
            else 10 ** (np.log10(value) - 0.4 * w.step)
        )
    else:
        echo = value + 0.4 * w.step if value + w.step <= w.max else value - 0.4 * w.step
    w.value = echo
    assert explorer.params == before and explorer.result is result
    assert explorer.preset_picker.value == preset
    # a real move does rerun the model
    target = _other_value(w, explorer.model.PARAMS[name])
    w.value = target
    assert explorer.result is not result
