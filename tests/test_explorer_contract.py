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
from dormancy_widgets.widgets import EXPLORERS, fmt
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
    assert len(explorer.readout.value) > 60
    # the live region holds one sentence, the start of the readout (the rest is normal text)
    summary = explorer.status.value
    assert summary and "<" not in summary and summary in html.unescape(explorer.readout.value)
    assert "dw-live" in explorer.status._dom_classes
    assert all(alt.value for alt in explorer.alts) and len(explorer.alts) == len(explorer.figures)
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


# ---------------------------------------------------------------------- every slider position
def slider_positions(w, rng: np.random.Generator, n: int = 4) -> list[float]:
    """What a browser can send: both ends and random grid positions in the slider's own space.

    A log slider's positions are exponents ``min + k * step`` sent as ``base ** exponent``
    (so its ends are ``10 ** log10(x)``, not ``x``); a linear slider's are ``min + k * step``.
    """
    steps = max(1, round((w.max - w.min) / w.step))
    ks = [0, steps, *rng.integers(0, steps + 1, size=n)]
    if isinstance(w, widgets.FloatLogSlider):
        return [w.base ** (w.min + k * w.step) for k in ks]
    if isinstance(w, widgets.IntSlider):
        return [int(w.min + k * w.step) for k in ks]
    return [w.min + k * w.step for k in ks]


@pytest.mark.parametrize("name", NAMES)
def test_every_slider_runs_at_both_ends_and_random_positions(name):
    explorer = getattr(dormancy_widgets, name)()
    rng = np.random.default_rng(17)
    start = dict(explorer.params)
    for key, w in explorer.controls.items():
        if isinstance(w, widgets.Dropdown):
            continue
        for value in slider_positions(w, rng):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                w.value = value  # as the browser sends it
            assert explorer.error is None, f"{key} = {value!r}: {explorer.error}"
            assert explorer.message.value == "", (key, value, explorer.message.value)
            assert_marks_finite(explorer)
            p = explorer.model.PARAMS[key]
            assert p.low <= explorer.params[key] <= p.high, (key, value)
        explorer.set(**{key: start[key]})


def test_slider_ends_are_the_range_ends_exactly():
    """The value the model gets at a slider's end is the Param's bound, not 12.000000000000002."""
    for name in NAMES:
        explorer = getattr(dormancy_widgets, name)()
        for key, w in explorer.controls.items():
            if isinstance(w, widgets.FloatLogSlider):
                p = explorer.model.PARAMS[key]
                w.value = w.base**w.max
                assert explorer.params[key] == p.high, (name, key, explorer.params[key])
                w.value = w.base**w.min
                assert explorer.params[key] == p.low, (name, key, explorer.params[key])


def test_readouts_show_the_exact_value_with_its_unit(explorer):
    for key, w in explorer.controls.items():
        if key not in explorer.values:
            continue
        p = explorer.model.PARAMS[key]
        shown = html.unescape(explorer.values[key].value)
        assert fmt.with_unit(explorer.params[key], p.unit) in shown, (key, shown)
        assert "e+" not in shown and "e-" not in shown, shown
        assert w.readout is False  # the slider's own readout would show its grid value


def test_a_value_between_grid_points_is_shown_exactly():
    """``?Td=60`` style: the readout says 60, though the slider can only sit on its grid."""
    explorer = dormancy_widgets.GrowthExplorer()
    key = next(k for k, w in explorer.controls.items() if isinstance(w, widgets.FloatSlider))
    p = explorer.model.PARAMS[key]
    value = p.low + (p.high - p.low) * 0.123456
    explorer.set(**{key: value})
    assert fmt.number(value) in html.unescape(explorer.values[key].value)
    assert explorer.params[key] == value


# ---------------------------------------------------------------------- callbacks from the page
def _owned_callbacks(explorer):
    """(where, function) of every observer and click handler the package put on the explorer's widgets."""
    seen, stack, out = set(), [explorer, *explorer.figures], []
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        stack.extend(getattr(obj, "children", ()) or ())
        if isinstance(obj, bq.Figure):
            stack.extend(obj.marks)
        for trait, kinds in getattr(obj, "_trait_notifiers", {}).items():
            for handlers in kinds.values():
                out.extend((f"{type(obj).__name__}.{trait}", h) for h in handlers)
        if isinstance(obj, widgets.Button):
            out.extend((f"Button {obj.description!r}", h) for h in obj._click_handlers.callbacks)
    mine = []
    for where, h in out:
        func = getattr(h, "__func__", h)
        module = getattr(func, "__module__", "") or ""
        if module.startswith("dormancy_widgets"):
            mine.append((where, h))
    return mine


def test_every_page_callback_is_guarded(explorer):
    callbacks = _owned_callbacks(explorer)
    assert callbacks
    unguarded = [where for where, h in callbacks if not getattr(h, "_dw_safe", False)]
    assert not unguarded, f"callbacks that could raise into the page: {unguarded}"


def test_page_callbacks_never_raise_and_keep_the_plot(explorer, monkeypatch):
    """With the model failing, every control, view control, button and figure click shows a
    message instead of raising, and the plotted data stay as they were."""

    def broken(*args, **kwargs):
        raise RuntimeError("the model failed")

    before = mark_data(explorer)
    monkeypatch.setattr(explorer, "run", broken)
    for key, w in explorer.controls.items():
        w.value = _other_value(w, explorer.model.PARAMS[key])
        assert explorer.message.value.startswith("⚠"), key
        for a, b in zip(before, mark_data(explorer)):
            np.testing.assert_array_equal(a, b, err_msg=f"{key} changed the plot of a failed run")
    for w in explorer.view_controls.values():
        if isinstance(w, widgets.ToggleButtons | widgets.Dropdown):
            w.value = (
                next(v for _, v in w.options if v != w.value) if isinstance(w.options[0], tuple) else w.value
            )
        elif isinstance(w, widgets.Checkbox):
            w.value = not w.value
        else:
            w.value = w.max if w.value != w.max else w.min
    for button in explorer.buttons.values():
        button.click()
    if explorer.model.PRESETS:
        explorer.preset_picker.value = list(explorer.model.PRESETS)[-1]
    # figure clicks (bqplot "add" interactions): a point arriving from the page
    for fig in explorer.figures:
        for mark in fig.marks:
            if getattr(mark, "interactions", {}).get("click") == "add":
                mark.x = np.array([1.0, 2.0])
                mark.y = np.array([1.0, 2.0])
    assert explorer.message.value.startswith("⚠")
    monkeypatch.undo()
    explorer.reset()
    assert explorer.error is None and explorer.message.value == ""


def test_a_rejected_setting_then_a_figure_click_does_not_raise():
    """Issue 13: after a rejection, clicking the immune phase plane raised from ``set``."""
    explorer = dormancy_widgets.ImmuneExplorer()
    explorer._applied["m"] = -1.0  # a value the model rejects, as a stale browser could leave
    explorer.update()
    assert explorer.error
    start = explorer.start
    start.x = np.array([1e5, 2e5])
    start.y = np.array([1e6, 2e6])
    assert explorer.message.value.startswith("⚠")
