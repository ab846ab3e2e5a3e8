"""The lessons' "reproduce a published number" computations, which live in the activities modules.

The notebooks call these and compare with the published value; here the functions are held to
what the lessons say about them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dormancy_widgets.activities import l01, l05, l06, l07, l08, l09
from dormancy_widgets.models import escape, growth


def test_lesson01_fits_only_the_doubling_time():
    years = l01.growth_time_10_to_20_mm()
    assert years == pytest.approx(1.7, rel=0.25)
    # the fit is exact: with the fitted Td, a 1 cm^3 tumour doubles in 157 days at its current rate
    p = dict(growth.PRESETS["norton1988"].values)
    scale = l01.FITTED_DOUBLING_DAYS / (math.log(2.0) * 1e9 / float(growth.rhs(1e9, **p)))
    p["Td"] *= scale
    assert math.log(2.0) * 1e9 / float(growth.rhs(1e9, **p)) == pytest.approx(157.0, rel=1e-9)
    # a slower tumour takes longer: the result follows the fitted doubling time
    assert l01.growth_time_10_to_20_mm(doubling_days=2 * 157.0) == pytest.approx(2 * years, rel=1e-6)


def test_lesson05_micrometastases_are_counted_from_four_cells():
    median = l05.micrometastasis_median_size(n_cells=2e5, seed=3)
    assert 4 <= median <= 16


def test_lesson06_contrast_holds_for_other_seeds():
    lines: list[str] = []
    assert l06.contrast_shown(seed=11, printer=lines.append) == 1.0
    assert "variance/mean" in lines[0]


def test_lesson07_slower_growth_keeps_the_peak_ratio_away_from_demicheli_2008():
    lines: list[str] = []
    ratios = l07.peaks_by_doubling_time(Td=[31.5, 90.0], printer=lines.append)
    early, late = escape.DEMICHELI_2008_PEAKS
    assert np.all(ratios > 1.2 * late / early)
    assert len(lines) == 3


def test_lesson08_ratios_are_the_models_lesion_shares():
    ratio = l08.lesion_ratios()
    assert ratio["bone"] > 1.0 > ratio["liver"]
    assert ratio["bone"] == pytest.approx(36.6 / 17.4, rel=0.15)


def test_lesson09_dormant_lesions_turn_over_faster():
    ratio = l09.turnover_ratios()
    assert ratio["death"] == pytest.approx(3.0, rel=0.25)
    assert ratio["birth"] > 1.0  # the thin rim of the dormant lesion divides fast (the lesson says so)
    assert l09.turnover_ratios() == ratio  # one seed, one answer
