"""Guards over every lesson's activities (``dormancy_widgets/activities/lNN.py``) and its notebook.

For each lesson whose notebook uses the kit (``lesson.start``):
* every challenge's goal fails where the lesson opens and is met after ``explorer.set(**solution)``;
* every prediction's model answer is one of its options, or a finite number, at the opening state;
* the notebook's text before its first prediction gives away none of the answers: no
  ``KEY_NUMBERS`` and no numeric answer of the bank items the notebook checks;
* the items it checks exist and have feedback for every wrong option; one needs the explorer;
* the second line is ``*Lesson N of 9 · reading about R min · exploring about E min*`` with R the
  words of its markdown over 200, within a minute;
* no answer sits in a code cell (no low-level ``lesson.check``/``lesson.predict`` with literals).

Lessons whose notebook does not call ``lesson.start`` yet are skipped (they are being converted).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from dormancy_widgets import activities, lesson
from dormancy_widgets import widgets as dw_widgets
from dormancy_widgets.activities import Ask, Goal
from dormancy_widgets.assessment import bank

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
NUMBERS = [f"{n:02d}" for n in range(1, 10)]


def notebook(number: str) -> Path | None:
    found = sorted(LESSONS.glob(f"{number}_*.ipynb"))
    return found[0] if found else None


def cells(number: str) -> list[tuple[str, str]]:
    path = notebook(number)
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c.get("source", ""))) for c in nb["cells"]]


def converted(number: str) -> bool:
    path = notebook(number)
    return path is not None and "lesson.start(" in path.read_text(encoding="utf-8")


CONVERTED = [n for n in NUMBERS if converted(n)]
WITH_MODULE = [n for n in activities.available() if n != "00"]


def _need(number: str) -> None:
    if not converted(number):
        pytest.skip(f"lesson {number} does not use lesson.start yet")


def opening_explorer(module):
    cls = getattr(dw_widgets, module.EXPLORER)
    return lesson.explore(cls, query="", **module.OPENS_WITH)


def _goal(g: Goal, ex) -> tuple[bool, str]:
    out = g.goal(ex)
    return (bool(out[0]), str(out[1])) if isinstance(out, tuple) else (bool(out), "")


def test_the_exemplar_lesson_is_converted():
    assert "01" in CONVERTED and "01" in WITH_MODULE


@pytest.mark.parametrize("number", CONVERTED)
def test_a_converted_lesson_has_its_activities(number):
    assert number in WITH_MODULE, (
        f"lessons/{notebook(number).name} calls lesson.start but has no activities/l{number}.py"
    )


@pytest.mark.parametrize("number", WITH_MODULE)
def test_the_module_declares_what_the_kit_needs(number):
    _need(number)
    m = activities.load(number)
    assert m.EXPLORER in dw_widgets.EXPLORERS
    assert isinstance(m.OPENS_WITH, dict)
    assert isinstance(m.KEY_NUMBERS, tuple) and all(isinstance(k, str) and k.strip() for k in m.KEY_NUMBERS)
    assert m.PREDICTIONS and all(isinstance(a, Ask) for a in m.PREDICTIONS.values())
    assert m.CHALLENGES and all(isinstance(g, Goal) for g in m.CHALLENGES.values())
    code = "\n".join(src for kind, src in cells(number) if kind == "code")
    assert m.EXPLORER in code, f"the notebook does not open {m.EXPLORER}"
    if "preset" in m.OPENS_WITH:
        assert repr(m.OPENS_WITH["preset"]) in code.replace('"', "'"), "OPENS_WITH differs from the notebook"


def _challenges():
    return [(n, k) for n in WITH_MODULE for k in getattr(activities.load(n), "CHALLENGES", {})]


@pytest.mark.parametrize(("number", "key"), _challenges())
def test_every_challenge_fails_at_the_opening_state_and_its_solution_meets_it(number, key):
    _need(number)
    m = activities.load(number)
    g = m.CHALLENGES[key]
    ex = opening_explorer(m)
    met, msg = _goal(g, ex)
    assert not met, f"{key}: the lesson opens with the goal already met"
    assert msg.strip(), f"{key}: a failed check must say which way to move"
    assert g.hint.strip() and g.explanation.strip() and g.solution
    ex.set(**g.solution)
    met, msg = _goal(g, ex)
    assert met, f"{key}: the solution {g.solution} does not meet the goal ({msg})"
    # the page's own button agrees with the declaration
    assert lesson.Lesson(number).challenge(key, ex).check() is True


def _predictions():
    return [(n, k) for n in WITH_MODULE for k in getattr(activities.load(n), "PREDICTIONS", {})]


@pytest.mark.parametrize(("number", "key"), _predictions())
def test_every_prediction_has_a_model_answer_at_the_opening_state(number, key):
    _need(number)
    m = activities.load(number)
    ask = m.PREDICTIONS[key]
    assert ask.question.strip() and callable(ask.actual)
    ex = opening_explorer(m)
    value = ask.actual(ex)
    if ask.options:
        assert len(ask.options) >= 2 and value in ask.options, f"{key}: {value!r} is not an option"
    else:
        assert ask.unit and isinstance(value, (int, float)) and math.isfinite(value), f"{key}: {value!r}"


def checked_items(number: str) -> list[str]:
    code = "\n".join(src for kind, src in cells(number) if kind == "code")
    return re.findall(r"""\.check\(\s*["']([^"']+)["']""", code)


def written_forms(value: float) -> set[str]:
    """How a number is usually written: 6130, 6,130, 6 130 (and rounded to three figures)."""
    forms = set()
    v = abs(value)
    candidates = {v}
    if v >= 1000:
        candidates.add(round(v, -(math.floor(math.log10(v)) - 2)))
    for c in candidates:
        if c >= 100 or float(c).is_integer():
            n = round(c)
            grouped = f"{n:,}"
            forms |= {str(n), grouped, grouped.replace(",", " "), grouped.replace(",", "\u202f")}
            forms.add(grouped.replace(",", "\u2009"))
        else:
            forms.add(f"{c:.3g}")
    return forms


def _contains_number(text: str, form: str) -> bool:
    return re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d]|[.,]\d)", text) is not None


def text_before_first_prediction(number: str) -> str:
    before = []
    for kind, src in cells(number):
        if kind == "code" and re.search(r"\.predict\(", src):
            return "\n".join(before)
        if kind == "markdown":
            before.append(src)
    pytest.fail(f"lesson {number} never asks for a prediction")


@pytest.mark.parametrize("number", NUMBERS)
def test_no_answer_is_given_away_before_the_first_prediction(number):
    _need(number)
    m = activities.load(number)
    text = text_before_first_prediction(number)
    leaks = [k for k in m.KEY_NUMBERS if k in text]
    for item_id in checked_items(number):
        it = bank.item(item_id)
        if it["kind"] == "numeric":
            leaks += [
                f"{item_id}: {f}" for f in written_forms(bank.answer_value(it)) if _contains_number(text, f)
            ]
    assert not leaks, f"lesson {number} states answers before its first prediction: {leaks}"


@pytest.mark.parametrize("number", NUMBERS)
def test_the_items_a_lesson_checks_exist_and_one_needs_the_explorer(number):
    _need(number)
    ids = checked_items(number)
    assert ids, f"lesson {number} checks nothing from the bank"
    items = [bank.item(i) for i in ids]
    assert all(i.startswith(f"l{number}-") for i in ids)
    for it in items:
        if it["kind"] == "choice":
            assert all(o["feedback"].strip() for o in it["options"] if not o["correct"]), it["id"]
    if int(number) <= 7:
        assert any(it.get("explorer") for it in items), f"lesson {number}: no graded item needs the explorer"


@pytest.mark.parametrize("number", NUMBERS)
def test_the_notebook_asks_only_what_its_module_declares(number):
    _need(number)
    m = activities.load(number)
    code = "\n".join(src for kind, src in cells(number) if kind == "code")
    assert re.search(rf"""lesson\.start\(\s*["']{number}["']\s*\)""", code)
    predicted = re.findall(r"""\.predict\(\s*["']([^"']+)["']""", code)
    revealed = re.findall(r"""\.reveal\(\s*["']([^"']+)["']""", code)
    challenged = re.findall(r"""\.challenge\(\s*["']([^"']+)["']""", code)
    assert predicted and set(predicted) <= set(m.PREDICTIONS)
    assert revealed and set(revealed) <= set(predicted), "every reveal brings back a prediction made earlier"
    assert challenged and set(challenged) <= set(m.CHALLENGES)
    assert re.search(r"\.record\(\s*\)", code), "the lesson ends with its lab record"
    # answers never sit in a code cell: no low-level check/predict with literal answers
    assert not re.search(r"\blesson\.(check|predict|challenge)\(", code)


def markdown_words(number: str) -> int:
    return sum(len(re.findall(r"\S+", src)) for kind, src in cells(number) if kind == "markdown")


@pytest.mark.parametrize("number", NUMBERS)
def test_the_header_states_the_measured_reading_time(number):
    _need(number)
    first = cells(number)[0]
    assert first[0] == "markdown"
    lines = [ln for ln in first[1].splitlines() if ln.strip()]
    m = lesson.HEADER.match(lines[1].strip())
    assert m, (
        f"second line must read '*Lesson N of 9 · reading about R min · exploring about E min*': {lines[1]!r}"
    )
    assert int(m.group(1)) == int(number) and m.group(2) == "9"
    words = markdown_words(number)
    assert abs(int(m.group(3)) - round(words / 200)) <= 1, f"{words} words is about {words / 200:.1f} min"
    assert int(m.group(4)) >= 5
