"""One flat course, three mechanisms: each dormant lesion answers the four interventions its own way."""

import numpy as np
import pytest

from dormancy_widgets.models import cellcycle, comparison


@pytest.fixture(scope="module")
def table():
    return comparison.compare()


def test_shapes_and_finite(table):
    shape = (len(comparison.DORMANCY_KINDS), len(comparison.INTERVENTIONS))
    assert table.fold.shape == shape and table.nadir.shape == shape
    assert table.size.shape == shape + (366,)
    assert np.all(np.isfinite(table.size)) and np.all(table.size > 0)
    np.testing.assert_allclose(table.fold, table.size[..., -1] / table.size[:, :1, 0], rtol=1e-12)
    assert np.all(table.nadir <= table.fold * (1 + 1e-12))


def test_untreated_lesions_stay_flat(table):
    """The premise of the comparison: all three start dormant and stay so for a year."""
    for mech in comparison.DORMANCY_KINDS:
        assert 0.9 < table.get(mech, "none") < 1.1, mech
        assert table.get(mech, "none", "nadir") > 0.9, mech


def test_chemotherapy_hits_dividing_cells_not_arrested_ones(table):
    """Cycle-specific drugs spare G0 cells (Udagawa 2008): the arrested lesion barely dips, the two
    lesions whose cells keep dividing lose most of their cells, then regrow to their balance."""
    assert table.get("cell-cycle arrest", "chemotherapy", "nadir") > 0.8
    for mech in ("angiogenic balance", "immune equilibrium"):
        assert table.get(mech, "chemotherapy", "nadir") < 0.2, mech
        assert table.get(mech, "chemotherapy") > 0.5, mech  # the balance restores the lesion


def test_anti_angiogenic_therapy_shrinks_only_the_angiogenic_lesion(table):
    assert table.get("angiogenic balance", "anti-angiogenic") < 0.1
    for mech in ("cell-cycle arrest", "immune equilibrium"):
        assert table.get(mech, "anti-angiogenic") == pytest.approx(table.get(mech, "none"))


def test_immunosuppression_releases_only_the_immune_held_lesion(table):
    assert table.get("immune equilibrium", "immunosuppression") > 10
    for mech in ("cell-cycle arrest", "angiogenic balance"):
        assert table.get(mech, "immunosuppression") == pytest.approx(table.get(mech, "none"))


def test_surgery_releases_the_angiogenic_lesion_not_the_immune_one(table):
    """Removing a primary that made angiostatin ends concomitant resistance (O'Reilly 1994)."""
    assert table.get("angiogenic balance", "surgery") > 10
    assert table.get("immune equilibrium", "surgery") == pytest.approx(1.0, abs=0.05)


def test_cell_cycle_row_is_the_cell_cycle_model(table):
    """The chemotherapy cell is what the cell-cycle model itself gives for the same course."""
    p = dict(cellcycle.PRESETS["luzzi1998_dormant"].values)
    p.update(t_drug=0.0, drug_days=comparison.CHEMO_DAYS, k=comparison.CHEMO_KILL)
    own = cellcycle.simulate([0.0, 365.0], **p).living
    assert table.get("cell-cycle arrest", "chemotherapy") == pytest.approx(own[-1] / own[0], rel=1e-6)


def test_every_cell_without_a_model_term_says_so(table):
    for mech in comparison.DORMANCY_KINDS:
        assert (mech, "none") not in table.notes
        for what in comparison.INTERVENTIONS[1:]:
            assert table.notes.get((mech, what)), (mech, what)
    assert "assumed no effect" in table.notes[("immune equilibrium", "surgery")]
    rows = table.rows()
    assert [r["mechanism"] for r in rows] == list(comparison.DORMANCY_KINDS)
    assert rows[2]["immunosuppression"] == table.get("immune equilibrium", "immunosuppression")


def test_bad_follow_up_is_rejected():
    with pytest.raises(ValueError, match="follow_up"):
        comparison.compare(1000.0)


def test_table_widget_says_it_in_words(table):
    from dormancy_widgets.widgets import escape
    from dormancy_widgets.widgets.table import comparison_table

    assert escape.comparison_table is comparison_table  # the old import still works
    text = comparison_table(table).value
    for word in (*comparison.DORMANCY_KINDS, *comparison.INTERVENTIONS):
        assert word in text
    immune_row = text.split("immune equilibrium</th>")[1].split("</tr>")[0]
    cells = immune_row.split("<td")[1:]
    assert "grows" in cells[comparison.INTERVENTIONS.index("immunosuppression")]
    assert "shrinks, then regrows" in cells[comparison.INTERVENTIONS.index("chemotherapy")]
    assert "Retsky 2010" in text and "&gt; 1000×" in text
