"""The lesson helpers: predictions, answer checks, reproduction cells, the index, query links."""

import json
from pathlib import Path

import pytest

from dormancy_widgets import GrowthExplorer, lesson

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


def test_prediction_records_the_guess():
    p = lesson.predict("Which?", ["a", "b"])
    p.button.click()
    assert p.answer is None and "Choose" in p.feedback.value
    p.input.value = "b"
    p.button.click()
    assert p.answer == "b" and "Recorded" in p.feedback.value


def test_numeric_exercise_gives_feedback_and_hint():
    ex = lesson.check("How many?", 598.0, rtol=0.05, hint="count doublings", explanation="20 doublings")
    assert ex.submit(300.0) is False and "count doublings" in ex.feedback.value
    assert ex.submit(600.0) is True and "20 doublings" in ex.feedback.value
    assert ex.correct is True


def test_choice_exercise():
    ex = lesson.check("Pick", "b", options=["a", "b"], hint="not a")
    ex.button.click()
    assert ex.correct is None
    assert ex.submit("a") is False and "not a" in ex.feedback.value
    assert ex.submit("b") is True
    with pytest.raises(ValueError, match="answer"):
        lesson.check("Pick", "c", options=["a", "b"])
    with pytest.raises(ValueError, match="finite"):
        lesson.check("How many?", float("nan"))


def test_reproduce_passes_and_raises():
    lines = []
    assert lesson.reproduce("x", 29.9, 29.9, rtol=0.01, citation="c", printer=lines.append) == 29.9
    assert "agrees" in lines[-1]
    with pytest.raises(AssertionError, match="DISAGREES"):
        lesson.reproduce("x", 31.0, 29.9, rtol=0.01, citation="c", printer=lines.append)
    with pytest.raises(AssertionError, match="nan"):
        lesson.reproduce("x", float("nan"), 29.9, rtol=0.01, citation="c", printer=lines.append)


def test_param_table_lists_every_parameter():
    from dormancy_widgets.models import growth

    html = lesson.param_table(growth).value
    for name in growth.PARAMS:
        assert f"<td>{name}</td>" in html


def test_query_string_applies_a_preset_and_values():
    e = lesson.explore(GrowthExplorer, query="preset=speer1984_plateau")
    assert e.preset_picker.value == "speer1984_plateau" and e.notice.value == ""
    e = lesson.explore(GrowthExplorer, query="Td=60&law=exponential")
    assert e.params["Td"] == 60.0 and e.params["law"] == "exponential"


def test_bad_query_string_is_explained_not_raised():
    e = lesson.explore(GrowthExplorer, preset="norton1988", query="Td=-5&bogus=1&N0=abc&preset=nope")
    msg = e.notice.value
    assert msg.startswith("⚠") and "bogus" in msg and "Td = -5" in msg and "abc" in msg and "nope" in msg
    assert e.error is None and e.params["Td"] == 30.0
    # nothing in a query string is executed
    e = lesson.explore(GrowthExplorer, query="law=__import__('os')")
    assert "law" in e.notice.value and e.params["law"] == "gompertz"


def test_binder_urls():
    url = lesson.binder_url("01_below_detection.ipynb")
    assert (
        url.startswith("https://mybinder.org/v2/gh/")
        and "lab%2Ftree%2Flessons%2F01_below_detection.ipynb" in url
    )
    assert "voila%2Frender" in lesson.binder_url("01_below_detection.ipynb", voila=True)


def test_lesson_index_reads_titles_and_objectives_from_the_notebooks():
    html = lesson.lesson_index(LESSONS).value
    nb = json.loads((LESSONS / "01_below_detection.ipynb").read_text())
    assert "Growth below the detection limit" in html
    assert "You will be able to" in html
    assert "00_start_here" not in html
    assert nb["cells"][0]["cell_type"] == "markdown"
