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


# --------------------------------------------------------------------------- the lesson kit
import base64  # noqa: E402
import html as htmllib  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402

import ipywidgets as widgets  # noqa: E402

from dormancy_widgets.activities import Ask, Goal  # noqa: E402


def _buttons(w):
    found = [w] if isinstance(w, widgets.Button) else []
    for c in getattr(w, "children", ()):
        found += _buttons(c)
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2500", 2500.0),
        ("2,500", 2500.0),
        ("2 500", 2500.0),
        ("2.5e3", 2500.0),
        ("2.5 × 10³", 2500.0),
        ("2.5x10^3", 2500.0),
        ("2500 mm3", 2500.0),
        ("2500 mm³", 2500.0),
        ("2.5 cm³", 2500.0),
        ("2.5 cm^3", 2500.0),
        ("10^3", 1000.0),
        ("10³", 1000.0),
        ("−3", -3.0),
        (" 7 ", 7.0),
    ],
)
def test_numbers_are_read_as_students_write_them(text, expected):
    assert lesson.parse_quantity(text, "mm³", {"cm³": 1000.0}) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "words"), [("", "type a number"), ("abc", "could not read"), ("5 kg", "unit")]
)
def test_unreadable_numbers_say_why(text, words):
    with pytest.raises(ValueError, match=words):
        lesson.parse_quantity(text, "mm³", {"cm³": 1000.0})


def test_how_far_off_in_words():
    assert lesson.how_far(3.0, 1.0) == "about 3× too high"
    assert lesson.how_far(0.25, 1.0) == "about 4× too low"
    assert lesson.how_far(1.2, 1.0) == "about 20% too high"
    assert lesson.how_far(0.9, 1.0) == "about 10% too low"
    assert lesson.how_far(250.0, 1.0) == "about 250× too high"
    assert lesson.how_far(1.0, 0.0) == ""


def test_numbers_are_written_as_students_write_them():
    f = lesson.format_number
    assert f(12345.0) == "12,300" and f(6130.0, "mm³") == "6,130 mm³" and f(598.0) == "598"
    assert f(29.94) == "29.9" and f(3e12) == "3×10¹²" and f(1e9) == "10⁹" and f(0.0002) == "2×10⁻⁴"


def test_reproduce_states_agreement_and_tolerance_readably():
    lines = []
    lesson.reproduce("Set point", 12280.0, 12300.0, rtol=0.05, citation="c", unit="mm³", printer=lines.append)
    assert "12,300 mm³" in lines[-1] and "agrees within 0.16%" in lines[-1] and "tolerance 5%" in lines[-1]
    lesson.reproduce("Growth time", 1.0, 0.9, rtol=0.15, citation="c", printer=lines.append)
    assert "agrees within 11%" in lines[-1] and "11.1" not in lines[-1] and "tolerance 15%" in lines[-1]
    with pytest.raises(AssertionError, match="differ by 25%, more than the tolerance of 10%"):
        lesson.reproduce("x", 1.25, 1.0, rtol=0.1, citation="c", printer=lines.append)


def test_a_bad_link_is_cut_short_explained_and_not_half_applied():
    e = lesson.explore(GrowthExplorer, preset="norton1988", query="preset=exponential&Td=" + "9" * 300)
    msg = e.notice.value
    assert "lesson's own scenario is shown instead" in msg and "9" * 60 not in msg and len(msg) < 600
    # the good half of the link (the preset) is not applied either: the lesson's scenario stays whole
    assert e.params["law"] == "gompertz" and e.preset_picker.value == "norton1988"
    e = lesson.explore(GrowthExplorer, preset="norton1988", query="preset=" + "x" * 200)
    assert "x" * 50 not in e.notice.value and "…" in e.notice.value
    e = lesson.explore(GrowthExplorer, preset="norton1988", query="law=" + "y" * 300)
    assert "y" * 50 not in e.notice.value and "gompertz" in e.notice.value and e.params["law"] == "gompertz"


def test_prediction_accepts_numbers_with_units():
    p = lesson.predict("How long?", unit="years", units={"months": 1 / 12})
    p.input.value = "18 months"
    p.button.click()
    assert p.answer == pytest.approx(1.5) and "1.5 years" in p.feedback.value
    p.input.value = "soon"
    p.button.click()
    assert "could not read" in p.feedback.value and p.answer == pytest.approx(1.5)


def test_reveal_compares_the_guess_with_the_live_explorer():
    e = lesson.explore(GrowthExplorer, preset="norton1988", query="")
    p = lesson.predict("Years to 1e9?", unit="years")
    r = lesson.reveal(p, e, actual=lambda ex: ex.result.summary()["days_to_clinical"] / 365.25, rtol=0.2)
    r.button.click()
    assert "Lock in your prediction" in r.feedback.value and r.outcome is None
    p.input.value = "13"
    p.button.click()
    r.button.click()
    assert "They differ" in r.feedback.value and "about 3× too high" in r.feedback.value
    assert r.outcome["model_text"] == "4.35 years" and r.outcome["settings"]["Td"] == 30.0
    e.set(Td=90.0)  # the live state, not the state at opening, answers
    r.button.click()
    assert "They match" in r.feedback.value
    assert r.reconcile.layout.display != "none"


def test_reveal_with_a_value_and_with_options():
    p = lesson.predict("Which?", ["a", "b"])
    p.input.value = "b"
    p.lock()
    r = lesson.reveal(p, "b")
    assert r.compare()["match"] is True and "They match" in r.feedback.value


def _growth_goal(ex):
    t = ex.result.summary()["days_to_clinical"]
    if t < 2000:
        return False, "too early: slow it down"
    if t > 2600:
        return False, "too late: speed it up"
    return True, "in the window"


def test_challenge_gives_direction_and_hides_the_solution_until_asked():
    e = lesson.explore(GrowthExplorer, preset="norton1988", query="")
    c = lesson.challenge(e, _growth_goal, hint="Td", explanation="because", solution={"Td": 42.0})
    assert c.check() is False and "too early" in c.feedback.value and "42" not in c.feedback.value
    assert "42" not in c.extra.value and c.apply_button.layout.display == "none"
    c.hint_button.click()
    assert "Td" in c.extra.value
    c.solution_button.click()
    assert "Td = 42 days" in c.extra.value and c.apply_button.layout.display != "none"
    c.apply_button.click()
    assert e.params["Td"] == 42.0 and c.check() is True and "because" in c.feedback.value
    assert [a["met"] for a in c.attempts] == [False, True] and c.attempts[0]["settings"]["Td"] == 30.0


def test_no_button_raises_into_the_page():
    e = lesson.explore(GrowthExplorer, preset="norton1988", query="")

    def broken(ex):
        raise ZeroDivisionError("boom")

    c = lesson.challenge(e, broken, hint="h", explanation="x", solution={"Td": -1.0})
    c.button.click()
    assert "That did not work" in c.feedback.value and "boom" in c.feedback.value
    c.solution_button.click()
    c.apply_button.click()  # an impossible solution is reported, not raised
    assert "did not work" in c.extra.value
    p = lesson.predict("n?", unit="days")
    r = lesson.reveal(p, e, actual=broken)
    p.input.value = "3"
    p.lock()
    r.button.click()
    assert "did not work" in r.feedback.value


def test_every_kit_button_shows_its_whole_label():
    e = lesson.explore(GrowthExplorer, preset="norton1988", query="")
    L = lesson.start("01")
    kit = [
        L.predict("silent"),
        L.reveal("silent", e),
        L.challenge("rivals", e),
        L.check("l01-law-changes-time"),
        L.check("l01-exponential-to-1mm3"),
        L.record(),
    ]
    buttons = [b for w in kit for b in _buttons(w)]
    assert len(buttons) >= 10
    assert all(b.layout.width == "auto" and b.description for b in buttons)


def test_choice_feedback_per_option_and_explanation_after_two_wrong_tries():
    ex = lesson.check(
        "Pick",
        "b",
        options=["a", "b", "c"],
        feedback={"a": "a is tempting because", "b": "b is right because", "c": "c confuses"},
        hint="think",
        explanation="the reason",
    )
    assert (
        ex.submit("a") is False
        and "a is tempting because" in ex.feedback.value
        and "think" in ex.feedback.value
    )
    assert ex.explain_button.layout.display == "none"
    assert ex.submit("c") is False and "c confuses" in ex.feedback.value
    assert ex.explain_button.layout.display != "none"
    ex.explain_button.click()
    assert "the reason" in ex.feedback.value
    assert ex.submit("b") is True and "b is right because" in ex.feedback.value


def test_numeric_check_accepts_units_and_says_how_far_off():
    ex = lesson.check("How long?", 598.0, unit="days", units={"years": 365.25}, rtol=0.05, hint="count")
    assert ex.submit("1.64 years") is True
    assert ex.submit("1800") is False and "about 3× too high" in ex.feedback.value
    assert ex.submit("3 parsecs") is False and "unit" in ex.feedback.value and ex.correct is None


def test_a_lesson_keeps_a_lab_record_that_round_trips():
    L = lesson.start("01")
    e = L.explore(GrowthExplorer, preset="norton1988", query="")
    p = L.predict("silent")
    p.input.value = "13 years"
    p.lock()
    r = L.reveal("silent", e)
    r.compare()
    r.reconcile.value = "The curve slows down, but not that much."
    r.save_reconciliation()
    c = L.challenge("rivals", e)
    c.check()
    c.show_solution()
    c.apply_solution()
    c.check()
    k = L.check("l01-law-changes-time")
    k.submit(k.options[1])
    k.submit(k.options[0])
    n = L.check("l01-exponential-to-1mm3")
    n.submit("20 months")
    L.reproduce("x", 1.0, 1.0, rtol=0.1, citation="c", printer=lambda s: None)
    view = L.record()
    view.name.value = "Ada L."
    rec = L.record_data
    kinds = [x["kind"] for x in rec.entries]
    assert kinds.count("prediction") == 1 and kinds.count("reveal") == 1 and kinds.count("check") == 3
    assert kinds.count("challenge") == 3 and kinds.count("reproduce") == 1
    again = lesson.LabRecord.from_json(rec.to_json())
    assert again == rec and again.to_json() == rec.to_json() and again.student == "Ada L."
    md, page = rec.to_markdown(), rec.to_html()
    for text in (md, page):
        assert "13 years" in text and "4.35 years" in text and "not that much" in text
        assert "Td = 30 days" in text and "Td = 50 days" in text and "solution" in text
    assert page.startswith("<!doctype html>") and "<script" not in page
    links = re.findall(
        r'download="([^"]+)" href="data:([^;]+);charset=utf-8;base64,([^"]+)"', view.links.value
    )
    assert [(n, m) for n, m, _ in links] == [
        ("lab-record-lesson01-ada-l.html", "text/html"),
        ("lab-record-lesson01-ada-l.md", "text/markdown"),
        ("lab-record-lesson01-ada-l.json", "application/json"),
    ]
    assert lesson.LabRecord.from_json(base64.b64decode(links[2][2]).decode()) == rec
    view.show.click()
    assert "Predictions and what the model did" in view.preview.value


def test_lesson_start_names_what_is_missing():
    with pytest.raises(ValueError, match="no activities module"):
        lesson.start("99")
    L = lesson.start("1")
    assert L.number == "01"
    with pytest.raises(KeyError, match="silent"):
        L.predict("nope")
    with pytest.raises(KeyError, match="rivals"):
        L.challenge("nope", None)


def test_ask_and_goal_are_plain_declarations():
    a = Ask("q?", ("x", "y"), actual=lambda ex: "x")
    g = Goal("do it", goal=lambda ex: True, solution={"Td": 1.0})
    assert a.actual(None) == "x" and g.goal(None) is True and a.rtol == 0.25
    with pytest.raises(ValueError, match="differ"):
        Ask("q?", ("x", "x"))


def _fake_lesson(path, number, header, objectives):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": f"# {number} · Title {number}\n\n{header}\n"},
        {"cell_type": "markdown", "metadata": {}, "source": "## Learning objectives\n" + objectives},
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")


def test_lesson_index_links_times_and_markup(tmp_path):
    _fake_lesson(
        tmp_path / "01_a.ipynb",
        1,
        "*Lesson 1 of 9 · reading about 6 min · exploring about 20 min*",
        "- You will be able to read a *funnel* and a **peak**.\n",
    )
    _fake_lesson(
        tmp_path / "08_seed_soil.ipynb",
        8,
        "*Lesson 8 of 9 · reading about 7 min · exploring about 25 min*",
        "- x\n",
    )
    _fake_lesson(tmp_path / "09_switch.ipynb", 9, "no header yet", "- y\n")
    nb = json.loads((tmp_path / "09_switch.ipynb").read_text())
    nb["cells"][1]["source"] = (
        "## You will be able to\n- read a lattice;\n- say why.\n\n## Next\n- not this\n"
    )
    (tmp_path / "09_switch.ipynb").write_text(json.dumps(nb))
    page = lesson.lesson_index(tmp_path).value
    assert "<i>funnel</i>" in page and "<b>peak</b>" in page and "*" not in page
    assert "6 min reading" in page and "25 min exploring" in page and "not stated" in page
    assert "Title 8" in page and "Title 9" in page
    assert "<li>read a lattice;</li>" in page and "not this" not in page
    anchors = re.findall(r"<a [^>]*>", page)
    assert len(anchors) == 9 and all("text-decoration:underline" in a for a in anchors)


def test_the_real_index_shows_no_markdown_and_underlined_links():
    page = lesson.lesson_index(LESSONS).value
    text = re.sub(r"<[^>]+>", "", page)
    assert not re.search(r"(?<!\w)\*\w", htmllib.unescape(text))
    assert page.count("text-decoration:underline") == page.count("<a ")
    for path in sorted(LESSONS.glob("0[1-9]_*.ipynb")):  # every lesson shows its objectives
        assert lesson._lesson_info(path)[1], path.name
    assert math.isfinite(len(page))
