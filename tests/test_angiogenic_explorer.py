"""AngiogenicExplorer answering quickly without changing its answers.

The explorer keeps the runs of recent settings and sends this run's curves before it works
out the untreated reference. These tests check that a kept run is the very run the model
gives for those settings (array for array, readout for readout), that the memory stays
bounded, that a move costs the model runs it should and no more, and that the marks the
student is moving reach the page first. They count model calls and messages; no timings.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from dormancy_widgets.models import angiogenic as ang
from dormancy_widgets.widgets import angiogenic as widget_module
from dormancy_widgets.widgets.angiogenic import AngiogenicExplorer, describe_run


@pytest.fixture
def calls(monkeypatch):
    """Every ``angiogenic.simulate`` call the explorer makes, as the drug it was asked for."""
    made: list[str] = []
    real = ang.simulate

    def counted(t, **kw):
        made.append(str(kw.get("drug")))
        return real(t, **kw)

    monkeypatch.setattr(widget_module.angiogenic, "simulate", counted)
    return made


def _explorer(preset: str | None = None) -> AngiogenicExplorer:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return AngiogenicExplorer(preset=preset)


def _fresh(ex: AngiogenicExplorer, **changes):
    """What the model gives, run afresh, for the explorer's settings (and the untreated tumour)."""
    p = {**ex.params, **changes}
    return (
        ang.simulate(ex.t, view=True, **p),
        ang.simulate(ex.t, view=True, **{**p, "drug": "none"}),
    )


@pytest.mark.parametrize("preset", [None, *ang.PRESETS])
def test_a_kept_run_is_the_run_itself(preset):
    ex = _explorer(preset)
    name = "lambda1"
    start = ex.params[name]
    ex.controls[name].value = start * 1.5
    runs = ex.model_runs
    ex.controls[name].value = start  # back: from memory
    assert ex.model_runs == runs, "going back to earlier settings ran the model again"
    run, untreated = _fresh(ex)
    np.testing.assert_array_equal(ex.result.V, run.V)
    np.testing.assert_array_equal(ex.result.K, run.K)
    np.testing.assert_array_equal(np.asarray(ex.V_line.y), np.maximum(run.V, widget_module._FLOOR))
    np.testing.assert_array_equal(np.asarray(ex.ref_V.y), np.maximum(untreated.V, widget_module._FLOOR))
    assert ex.readout.value == f"<p>{describe_run(run)}</p>"


def test_a_drug_slider_runs_the_model_once_and_a_tumour_slider_twice(calls):
    ex = _explorer("angiostatin_dormancy")
    calls.clear()
    ex.controls["dose"].value = 17.5
    assert calls == ["angiostatin"], "the untreated reference was run again for a drug change"
    calls.clear()
    ex.controls["b"].value = 7.0
    assert sorted(calls) == ["angiostatin", "none"]
    calls.clear()
    ex.controls["drug"].value = "none"  # the untreated run of these settings is kept
    assert calls == []
    assert "Untreated" in ex.readout.value and ex.result.params["drug"] == "none"


def test_this_runs_curves_reach_the_page_before_the_reference_is_worked_out(calls):
    ex = _explorer("angiostatin_dormancy")
    order: list[str] = []
    ex.V_line.observe(lambda _: order.append("V sent"), "y")
    ex.path.observe(lambda _: order.append("path sent"), "y")
    ex.ref_V.observe(lambda _: order.append("reference sent"), "y")
    real = widget_module.angiogenic.simulate

    def noted(t, **kw):
        order.append(f"run {kw['drug']}")
        return real(t, **kw)

    widget_module.angiogenic.simulate = noted  # undone by the fixture's monkeypatch
    ex.controls["lambda1"].value = 0.3
    assert order.index("run angiostatin") < order.index("V sent") < order.index("run none")
    assert order.index("path sent") < order.index("run none") < order.index("reference sent")


def test_a_drug_slider_sends_nothing_for_the_reference():
    ex = _explorer("angiostatin_dormancy")
    sent: list[str] = []
    for mark in (ex.ref_V, ex.ref_path, ex.detect):
        mark.observe(lambda c: sent.append(c["name"]), ["x", "y"])
    ex.controls["dose"].value = 10.0
    ex.controls["interval"].value = 2
    assert sent == []
    assert np.asarray(ex.V_line.y).size == ex.t.size  # every output time is drawn


def test_memory_is_bounded_and_forgets_the_oldest_settings(calls):
    ex = _explorer()
    doses = np.linspace(1.0, 60.0, widget_module._KEEP + 5)
    ex.controls["drug"].value = "endostatin"
    for dose in doses:
        ex.controls["dose"].value = float(dose)
    assert len(ex._runs) <= widget_module._KEEP
    calls.clear()
    ex.controls["dose"].value = float(doses[-2])  # recent: kept
    assert calls == []
    ex.controls["dose"].value = float(doses[0])  # the oldest: forgotten, run again
    assert calls == ["endostatin"]
    np.testing.assert_array_equal(ex.result.V, _fresh(ex)[0].V)


def test_time_span_and_axes_keep_the_answers_apart():
    ex = _explorer("angiostatin_dormancy")
    v60 = ex.result.V.copy()
    ex.view_controls["days"].value = 100
    assert ex.result.t[-1] == 100 and ex.result.V.size == 401
    np.testing.assert_array_equal(ex.result.V, _fresh(ex)[0].V)
    ex.view_controls["days"].value = 60
    np.testing.assert_array_equal(ex.result.V, v60)
    ex.view_controls["axes"].value = "linear"
    np.testing.assert_array_equal(np.asarray(ex.V_line.y), np.maximum(v60, 0.0))
    np.testing.assert_array_equal(ex.result.V, v60)


def test_a_failed_untreated_reference_shows_a_message_and_never_raises(monkeypatch):
    ex = _explorer("angiostatin_dormancy")
    real = ang.simulate

    def broken(t, **kw):
        result = real(t, **kw)
        if kw["drug"] == "none":
            return dataclasses.replace(result, V=result.V * np.nan)
        return result

    monkeypatch.setattr(widget_module.angiogenic, "simulate", broken)
    ex.controls["b"].value = 6.5  # from the page: shown, not raised
    assert ex.error is not None and "untreated" in ex.error
    assert "cannot be run" in ex.message.value
    assert np.all(np.isfinite(np.asarray(ex.ref_V.y)))
