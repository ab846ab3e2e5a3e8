"""The shared widget kit in ``widgets.base`` and ``widgets.fmt``: bands, the log/linear
switch, number formatting, declared time spans and the comparison table's home."""

from __future__ import annotations

import bqplot as bq
import numpy as np
import pytest

import dormancy_widgets.widgets as widgets_package
from dormancy_widgets.widgets import EXPLORERS, fmt
from dormancy_widgets.widgets.base import (
    ScaleSwitch,
    TimeSpan,
    band,
    between_xy,
    dots,
    label,
    make_figure,
    set_xy,
    window_xy,
)


def test_band_is_an_empty_filled_lines_mark_in_one_colour():
    xs, ys = bq.LinearScale(), bq.LinearScale()
    b = band(xs, ys, color="#E69F00", opacity=0.3, width=2, dash="dashed", label="window")
    assert isinstance(b, bq.Lines) and np.asarray(b.x).size == 0
    assert b.fill == "inside" and list(b.fill_colors) == ["#E69F00"] and list(b.colors) == ["#E69F00"]
    assert list(b.fill_opacities) == [0.3] and b.stroke_width == 2 and b.line_style == "dashed"
    assert list(b.labels) == ["window"] and b.display_legend
    plain = band(xs, ys, color="#56B4E9", fill="bottom")
    assert plain.fill == "bottom" and plain.stroke_width == 0 and not plain.display_legend


def test_window_and_between_polygons():
    x, y = window_xy(8.0, 10.0, 0.0, 2.5)
    assert list(x) == [8, 8, 10, 10] and list(y) == [0, 2.5, 2.5, 0]
    t = np.array([0.0, 1.0, 2.0])
    x, y = between_xy(t, np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]))
    assert list(x) == [0, 1, 2, 2, 1, 0] and list(y) == [4, 5, 6, 3, 2, 1]
    mark = band(bq.LinearScale(), bq.LinearScale(), color="#000000")
    set_xy(mark, x, y)
    assert list(mark.y) == [4, 5, 6, 3, 2, 1]
    set_xy(mark)
    assert np.asarray(mark.x).size == 0 and np.asarray(mark.y).size == 0


def test_scale_switch_swaps_axes_and_marks_and_back():
    switch = ScaleSwitch(
        "axes",
        ("log", "linear"),
        "tip",
        log=(bq.LogScale(min=1.0, max=1e4), bq.LogScale(min=1.0, max=100.0)),
        linear=(bq.LinearScale(min=0.0, max=1e4), bq.LinearScale(min=0.0, max=100.0)),
        tick_formats=(".1s", ".3s"),
    )
    fig, xs, ys = make_figure("t", "x", "y", x_scale=switch.scale(1), y_scale=switch.scale(0))
    inside = bq.Lines(x=[1.0, 2.0], y=[1.0, 10.0], scales={"x": xs, "y": ys})
    outside = bq.Lines(x=[1.0], y=[1.0], scales={"x": bq.LinearScale(), "y": ys})
    fig.marks = [inside]
    switch.attach(fig, outside)
    assert switch.log and not switch.apply()  # nothing to do yet
    switch.toggle.value = "linear"
    assert switch.apply() and not switch.log
    lin_y, lin_x = switch.scales["linear"]
    assert fig.axes[1].scale is lin_y and fig.axes[0].scale is lin_x
    assert inside.scales["y"] is lin_y and inside.scales["x"] is lin_x
    assert outside.scales["y"] is lin_y and outside.scales["x"] is not lin_x  # not one of the pairs
    assert fig.axes[1].tick_format == ".3s" and switch.scale() is lin_y
    assert list(fig.axes[1].tick_values) == [0, 5000, 10000]  # ticks refreshed
    switch.toggle.value = "log"
    assert switch.apply() and inside.scales["y"] is switch.scales["log"][0]
    assert fig.axes[1].tick_format == ".1s"


def test_scale_switch_needs_matching_sets():
    with pytest.raises(ValueError, match="log and linear"):
        ScaleSwitch("a", ("l", "n"), "t", log=(bq.LogScale(), bq.LogScale()), linear=bq.LinearScale())


def test_cellular_explorer_switches_its_cell_axis():
    from dormancy_widgets.widgets.cellcycle import CellularDormancyExplorer

    e = CellularDormancyExplorer()
    fig = e.figures[0]
    assert isinstance(fig.axes[1].scale, bq.LogScale)
    e.view_controls["axis"].value = "linear"
    ys = fig.axes[1].scale
    assert isinstance(ys, bq.LinearScale) and fig.axes[1].tick_format == ".3s"
    assert all(m.scales["y"] is ys for m in fig.marks) and e._total.scales["y"] is ys
    assert ys.max == pytest.approx(1.05 * float(np.max(e.result.P + e.result.Q + e.result.D)))


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        (0.0, "0%"),
        (1.0, "100%"),
        (0.000243, "0.024%"),  # two significant digits below 10%
        (0.0243, "2.4%"),
        (0.02, "2%"),
        (0.37, "37%"),  # whole per cents from 10%
        (0.91, "91%"),
        (0.998, "99.8%"),  # near 100%: one significant digit of what is missing
        (0.9995, "99.95%"),
        (-0.05, "−5%"),
        (1e-6, "1×10⁻⁴%"),  # the funnel axis's smallest tick, as number() writes it
    ],
)
def test_percent_is_written_one_way(fraction, text):
    assert fmt.percent(fraction) == text


def test_the_explorers_percent_is_the_kit_one():
    from dormancy_widgets.widgets import cascade, cellcycle, escape

    assert cascade.percent is fmt.percent and cellcycle.percent is fmt.percent
    assert escape.percent is fmt.percent


@pytest.mark.parametrize(
    ("x", "kw", "text"),
    [
        (13437.0, {"sig": 2, "whole": True}, "13,437"),
        (13437.0, {"sig": 2}, "13,000"),
        (45.6, {"sig": 2, "whole": True}, "46"),
        (0.8714, {"sig": 2, "whole": True}, "0.87"),
        (4.4e13, {"sig": 2, "whole": True}, "4.4×10¹³"),
        (float("nan"), {"nan": "undefined"}, "undefined"),
    ],
)
def test_number_whole_digits_and_nan(x, kw, text):
    assert fmt.number(x, **kw) == text


def test_time_span_grids():
    np.testing.assert_array_equal(TimeSpan("days", per_unit=2).times(150), np.linspace(0, 150, 301))
    t = TimeSpan("years", unit=365.25, points=481).times(3)
    assert t.size == 481 and t[-1] == 3 * 365.25
    coarse = TimeSpan("days", per_unit=lambda d: 2 if d <= 30 else 1)
    assert coarse.times(13).size == 27 and coarse.times(40).size == 41 and 3.0 in coarse.times(40)
    with pytest.raises(ValueError, match="exactly one"):
        TimeSpan("days")
    with pytest.raises(ValueError, match="exactly one"):
        TimeSpan("days", per_unit=1, points=10)


@pytest.mark.parametrize(
    ("name", "control", "value", "days", "points"),
    [
        ("CellularDormancyExplorer", "days", 300, 300.0, 601),
        ("GrowthExplorer", "years", 3.0, 3 * 365.25, 481),
        ("NicheExplorer", "days", 45, 45.0, 31),
        ("CascadeExplorer", "days", 40, 40.0, 41),
    ],
)
def test_explorers_run_over_their_declared_span(name, control, value, days, points):
    import dormancy_widgets

    e = getattr(dormancy_widgets, name)()
    e.view_controls[control].value = value
    assert e.result.t[-1] == pytest.approx(days) and e.result.t.size == points
    np.testing.assert_array_equal(e.t, e.result.t)
    np.testing.assert_array_equal(e.times(e.params), e.result.t)


def test_escape_declares_a_fixed_span_of_ten_years_in_months():
    from dormancy_widgets.models import escape
    from dormancy_widgets.widgets.escape import EscapeExplorer

    e = EscapeExplorer()
    np.testing.assert_allclose(e.result.t, np.linspace(0.0, 120 * escape.DAYS_PER_MONTH, 241), rtol=0, atol=0)


def test_label_and_dots_carry_the_palette_style():
    xs, ys = bq.LinearScale(), bq.LinearScale()
    one = label(xs, ys, x=[1.0], y=[2.0], text=["drug"], color="#D55E00", size=15, y_offset=-8)
    assert list(one.text) == ["drug"] and list(one.colors) == ["#D55E00"] and one.default_size == 15
    assert one.y_offset == -8 and one.scales == {"x": xs, "y": ys}
    many = label(xs, ys, text=["a", "b"], color=["#000000", "#0072B2"])
    assert list(many.colors) == ["#000000", "#0072B2"] and np.asarray(many.x).size == 0
    d = dots(xs, ys, color="#999999", size=90)
    assert d.marker == "circle" and list(d.colors) == ["#999999"] and d.default_size == 90
    assert np.asarray(d.x).size == 0
    shown = dots(xs, ys, color="#000000", marker="diamond", x=[1.0], y=[0.5])
    assert list(shown.x) == [1.0] and shown.marker == "diamond"


def test_number_and_percent_of_the_smallest_floats():
    # a subnormal value (a share that underflowed) once divided by 10**-324 == 0.0
    assert fmt.number(5e-324) == "4.941×10⁻³²⁴"
    assert fmt.percent(1e-322) == "9.9×10⁻³²¹%"
    assert fmt.number(9.9996e-5) == "1×10⁻⁴" and fmt.number(999_999.6) == "1×10⁶"


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_every_legend_entry_is_also_written_as_text_for_narrow_screens(name):
    """On a phone the plots' own legends are hidden (they would cover the data) and the same
    entries are shown as text under each plot: every label, in its mark's colour."""
    import html

    from dormancy_widgets.widgets.base import legend_html

    ex = getattr(widgets_package, name)()
    assert len(ex.legends) == len(ex.figures)
    for fig, key in zip(ex.figures, ex.legends):
        marks = [m for m in fig.marks if getattr(m, "display_legend", False)]
        shown = [(m, str(t)) for m in marks for t in m.labels or ()]
        assert key.value == legend_html(fig)
        assert (key.value == "") == (not shown)
        for mark, text in shown:
            assert html.escape(text) in key.value
            assert str(mark.colors[0]) in key.value
