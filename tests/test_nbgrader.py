"""nbgrader assignments, and answer keys kept out of everything a student sees.

* The source notebook of every lesson has sound nbgrader metadata; its keys sit only in solution
  cells and hidden-test regions; the test cells grade right, near and wrong answers.
* The lesson notebooks hold no answer value and no correct-option marker, and the check widgets
  of every lesson send nothing to the browser that depends on the answer (``get_state()`` of
  every widget in the Exercise tree is the same whatever the key).
* For real (marked slow): ``dormancy-widgets assignment 03 DIR`` -> ``nbgrader
  generate_assignment`` -> a student version filled with right and with wrong answers ->
  ``nbgrader autograde`` -> the sqlite gradebook gives full marks, and partial or zero.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dormancy_widgets import cli, lesson
from dormancy_widgets.assessment import bank, export
from dormancy_widgets.assessment import nbgrader as dwn

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
NOTEBOOKS = sorted(p for p in LESSONS.glob("[0-9][0-9]_*.ipynb") if not p.name.startswith("00_"))
WITH_CHECKS = [p.name[:2] for p in NOTEBOOKS if dwn.checked_items(json.loads(p.read_text(encoding="utf-8")))]


def _nb(number: str) -> dict:
    return dwn.build_assignment(number, lessons_dir=LESSONS)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _src(cell) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def _hidden(text: str) -> tuple[str, str]:
    """(visible part, hidden part) of a test cell."""
    m = re.search(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, flags=re.S)
    assert m, "a test cell without a hidden region"
    return text[: m.start()] + text[m.end() :], m.group(1)


def _key_forms(it) -> list[str]:
    """How an item's key could be spelled in a notebook."""
    if it["kind"] == "choice":
        labels = export.letters(len(it["options"]))
        right = labels[[o["correct"] for o in it["options"]].index(True)]
        return [f'"{right}"', f"'{right}'"]
    v = bank.answer_value(it)
    return [repr(v), export.number_text(v), export.number_text(v, 8)]


def test_every_lesson_with_checks_is_found():
    assert {"01", "03", "05", "07"} <= set(WITH_CHECKS)


@pytest.mark.parametrize("number", WITH_CHECKS)
def test_the_source_notebook_is_valid_and_sound(number):
    nb = _nb(number)
    nbformat.validate(nbformat.from_dict(copy.deepcopy(nb)))
    ids = [_meta(c)["grade_id"] for c in nb["cells"]]
    assert len(ids) == len(set(ids)), "grade ids must be unique"
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)
    asked = dwn.checked_items(json.loads(dwn.lesson_notebook(number, LESSONS).read_text(encoding="utf-8")))
    tests = [c for c in nb["cells"] if _meta(c).get("grade")]
    assert [_meta(c)["grade_id"] for c in tests] == [f"{i}-test" for i in asked]
    total = 0.0
    for c in nb["cells"]:
        m = _meta(c)
        assert m["schema_version"] == 3
        if m["solution"]:
            assert c["cell_type"] == "code" and not m["locked"] and not m["grade"]
            assert "### BEGIN SOLUTION" in _src(c) and "### END SOLUTION" in _src(c)
        elif m["grade"]:
            assert c["cell_type"] == "code" and m["locked"] and m["points"] > 0
            total += m["points"]
        else:
            assert m["locked"], f"lesson cell {m['grade_id']} must be read-only"
    assert not any(re.match(r"\s*\w+\.check\(", _src(c)) for c in nb["cells"]), "L.check cells stay"
    assert total == sum(dwn.POINTS[bank.item(i)["kind"]] for i in asked)
    assert f"({export.number_text(total)} points)" in _src(nb["cells"][0])


@pytest.mark.parametrize("number", WITH_CHECKS)
def test_keys_sit_only_in_solutions_and_hidden_tests(number):
    nb = _nb(number)
    for c in nb["cells"]:
        m = _meta(c)
        if not m.get("grade"):
            continue
        iid = m["grade_id"][: -len("-test")]
        it = bank.item(iid)
        visible, hidden = _hidden(_src(c))
        forms = _key_forms(it)
        assert not any(f in visible for f in forms), f"{iid}: key in the visible test"
        assert any(f in hidden for f in forms), f"{iid}: key missing from the hidden test"
        question = next(q for q in nb["cells"] if _meta(q)["grade_id"] == f"{iid}-question")
        if it["kind"] == "choice":
            for o in it["options"]:
                assert o["text"] in _src(question)
        else:
            assert not any(f in _src(question) for f in forms)
        answer = next(q for q in nb["cells"] if _meta(q)["grade_id"] == f"{iid}-answer")
        assert any(f in _src(answer) for f in forms)


def test_all_items_adds_the_rest_of_the_lesson_but_not_answers_the_text_states():
    nb = dwn.build_assignment("03", all_items=True, lessons_dir=LESSONS)
    graded = [_meta(c)["grade_id"][: -len("-test")] for c in nb["cells"] if _meta(c).get("grade")]
    asked = dwn.checked_items(json.loads(dwn.lesson_notebook("03", LESSONS).read_text(encoding="utf-8")))
    assert graded[: len(asked)] == asked and len(graded) > len(asked)
    text = "\n".join(_src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    for iid in graded[len(asked) :]:
        it = bank.item(iid)
        if it["kind"] == "numeric":
            assert not dwn._states(text, bank.answer_value(it)), iid


def test_grading_functions_right_near_wrong(capsys):
    fb = {"A": "because a", "B": "tempting b", "C": "tempting c"}
    assert dwn.grade_choice("B", "B", fb, points=1) == 1.0
    assert dwn.grade_choice(" (b) ", "B", fb, points=1) == 1.0
    assert dwn.grade_choice("C", "B", fb, points=1) == 0.0
    assert "tempting c" in capsys.readouterr().out
    assert dwn.grade_choice("Z", "B", fb, points=1) == 0.0
    v, rtol = 6132.9, 0.05
    assert dwn.grade_number(6200, v, rtol, "mm³", {"cm³": 1000}, points=2) == 2.0
    assert dwn.grade_number("6.2 cm³", v, rtol, "mm³", {"cm³": 1000}, points=2) == 2.0
    assert dwn.grade_number(v * 1.12, v, rtol, "mm³", {}, points=2, hint="h") == 1.0
    assert dwn.grade_number(v * 2, v, rtol, "mm³", {}, points=2, hint="h") == 0.0
    assert "about 2× too high" in capsys.readouterr().out
    assert dwn.grade_number("lots", v, rtol, "mm³", {}, points=2) == 0.0


def test_check_form_says_what_to_write():
    dwn.check_form("choice", "b", n_options=3)
    dwn.check_form("numeric", 2500)
    dwn.check_form("numeric", "2.5e3 mm³")
    with pytest.raises(AssertionError, match="one letter"):
        dwn.check_form("choice", "D", n_options=3)
    with pytest.raises(AssertionError, match="write a number"):
        dwn.check_form("numeric", "")
    with pytest.raises(AssertionError, match="write a number"):
        dwn.check_form("numeric", None)


def test_assignment_command_writes_into_the_course_folder(tmp_path, capsys):
    assert cli.main(["assignment", "03", str(tmp_path), "--lessons", str(LESSONS)]) == 0
    written = list((tmp_path / "source" / "lesson03").glob("03_*.ipynb"))
    assert len(written) == 1
    assert "nbgrader generate_assignment lesson03" in capsys.readouterr().out
    assert cli.main(["assignment", "03", str(tmp_path), "--name", "bad name"]) == 1
    assert cli.main(["assignment", "three", str(tmp_path)]) == 1


# --------------------------------------------------------------------------- keys out of student material
class _Empty:
    """A lesson module with no activities: enough for ``Lesson.check``."""


def _written_forms(value: float) -> set[str]:
    v = abs(value)
    forms = {lesson.format_number(v)}
    for c in {v, float(f"{v:.3g}")}:
        if c >= 100 or float(c).is_integer():
            n = round(c)
            forms |= {str(n), f"{n:,}"}
        else:
            forms.add(f"{c:.3g}")
    return forms


def _contains_number(text: str, form: str) -> bool:
    return re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d]|[.,]\d)", text) is not None


def _states_answer(text: str, it) -> list[str]:
    """Written forms of a numeric item's answer found in ``text``; a number of one or two digits
    counts only with its unit after it ('8 days', '1%'), since small numbers are everywhere."""
    v = bank.answer_value(it)
    ans = it["answer"]
    units = "|".join(re.escape(u) for u in [ans["unit"], *ans.get("units", {})])
    found = []
    for f in _written_forms(v):
        if len(re.sub(r"\D", "", f)) >= 3:
            hit = _contains_number(text, f)
        else:
            hit = re.search(rf"(?<![\d.,]){re.escape(f)}\s*(?:{units})(?!\w)", text) is not None
        if hit:
            found.append(f)
    return found


#: leaks found and reported to the lesson's writer; strict, so the mark must go once fixed
KNOWN_LEAKS: dict[str, str] = {}


def _notebook_params():
    return [
        pytest.param(p, id=p.name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_LEAKS[p.name]))
        if p.name in KNOWN_LEAKS
        else pytest.param(p, id=p.name)
        for p in NOTEBOOKS
    ]


@pytest.mark.parametrize("path", _notebook_params())
def test_no_answer_or_correct_marker_in_the_lesson_notebook(path):
    """No correct-option marker anywhere; no item's answer, its right option's feedback or its
    explanation in the cells before the cell that asks it."""
    raw = path.read_text(encoding="utf-8")
    assert not re.search(r'"correct"\s*:', raw) and "correct_option" not in raw and "answer_value" not in raw
    cells = json.loads(raw)["cells"]
    leaks = []
    for k, cell in enumerate(cells):
        m = (
            re.match(r"""\s*\w+\.check\(\s*["']([^"']+)["']""", _src(cell))
            if cell["cell_type"] == "code"
            else None
        )
        if not m:
            continue
        it = bank.item(m.group(1))
        before = "\n".join(_src(c) for c in cells[:k])
        if it["kind"] == "numeric":
            leaks += [f"{it['id']}: {f}" for f in _states_answer(before, it)]
        elif next(o for o in it["options"] if o["correct"])["feedback"] in before:
            leaks.append(f"{it['id']}: the right option's feedback")
        if it["explanation"] in before:
            leaks.append(f"{it['id']}: explanation")
    assert not leaks, f"{path.name} states answers before it asks them: {leaks}"


def _tree(w):
    out = [w]
    for attr in ("layout", "style"):
        sub = getattr(w, attr, None)
        if sub is not None and hasattr(sub, "get_state"):
            out.append(sub)
    for child in getattr(w, "children", ()) or ():
        out += _tree(child)
    return out


def _state(ex) -> str:
    """What the kernel would send the browser for the whole Exercise, without widget ids."""
    states = [w.get_state() for w in _tree(ex)]
    return re.sub(r"IPY_MODEL_[0-9a-f]+", "IPY_MODEL_", json.dumps(states, sort_keys=True, default=str))


def _check_ids():
    out = []
    for p in NOTEBOOKS:
        out += [(p.name[:2], i) for i in dwn.checked_items(json.loads(p.read_text(encoding="utf-8")))]
    return out


@pytest.mark.parametrize(("number", "iid"), _check_ids())
def test_check_widgets_send_nothing_that_depends_on_the_answer(number, iid, monkeypatch):
    it = bank.item(iid)
    ex = lesson.Lesson(number, module=_Empty()).check(iid)
    before = _state(ex)
    assert '"correct"' not in before
    assert it["explanation"] not in before and it["hint"] not in before
    if it["kind"] == "choice":
        right = next(o for o in it["options"] if o["correct"])
        assert right["feedback"] not in before
        # move the key to another option: what the browser gets must not change
        moved = copy.deepcopy(it)
        k = [o["correct"] for o in moved["options"]].index(True)
        for j, o in enumerate(moved["options"]):
            o["correct"] = j == (k + 1) % len(moved["options"])
        monkeypatch.setattr(bank, "item", lambda _id: moved)
    else:
        v = bank.answer_value(it)
        shown = [f for f in _written_forms(v) if _contains_number(before, f)]
        assert all(_contains_number(it["stem"], f) for f in shown), (
            f"{iid}: answer {shown} in the widget state"
        )
        monkeypatch.setattr(bank, "answer_value", lambda _it: v * 1.7 + 1.0)
    after = _state(lesson.Lesson(number, module=_Empty()).check(iid))
    assert after == before, f"{iid}: the widget state depends on the answer"


# --------------------------------------------------------------------------- the real round trip
def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _fill(release: dict, answers: dict[str, str]) -> dict:
    nb = copy.deepcopy(release)
    for c in nb["cells"]:
        m = _meta(c)
        if m.get("solution"):
            iid = m["grade_id"][: -len("-answer")]
            c["source"] = f"{dwn.answer_name(iid)} = {answers[iid]}\n"
    return nb


@pytest.mark.slow
def test_nbgrader_round_trip_grades_right_and_wrong_answers(tmp_path):
    from nbgrader.api import Gradebook

    t0 = time.perf_counter()
    course = tmp_path / "course"
    course.mkdir()
    db = f"sqlite:///{course / 'gradebook.db'}"
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = {db!r}\n"
        "c.Execute.timeout = 300\n"
    )
    assert cli.main(["assignment", "03", str(course), "--lessons", str(LESSONS)]) == 0
    source = next((course / "source" / "lesson03").glob("03_*.ipynb"))

    r = _nbgrader(course, "generate_assignment", "lesson03")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    release_path = course / "release" / "lesson03" / source.name
    release = json.loads(release_path.read_text(encoding="utf-8"))

    asked = dwn.checked_items(json.loads(dwn.lesson_notebook("03", LESSONS).read_text(encoding="utf-8")))
    items = [bank.item(i) for i in asked]
    # the student's copy holds no key and no grading code
    raw = release_path.read_text(encoding="utf-8")
    assert "HIDDEN TESTS" not in raw and "grade_choice(" not in raw and "grade_number(" not in raw
    for it in items:
        solution_cell = next(c for c in release["cells"] if _meta(c).get("grade_id") == f"{it['id']}-answer")
        assert not any(f in _src(solution_cell) for f in _key_forms(it))

    right, wrong = {}, {}
    for it in items:
        if it["kind"] == "choice":
            labels = export.letters(len(it["options"]))
            flags = [o["correct"] for o in it["options"]]
            right[it["id"]] = repr(labels[flags.index(True)])
            wrong[it["id"]] = repr(labels[flags.index(False)])
        else:
            v = bank.answer_value(it)
            right[it["id"]] = repr(v)
            wrong[it["id"]] = repr(v * (1 + 2 * it["answer"]["rtol"]))  # close: half marks
    for student, answers in (("right", right), ("wrong", wrong)):
        target = course / "submitted" / student / "lesson03" / source.name
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(_fill(release, answers)), encoding="utf-8")

    r = _nbgrader(course, "autograde", "lesson03", "--create")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]

    max_score = sum(dwn.POINTS[it["kind"]] for it in items)
    with Gradebook(db) as gb:
        scores = {}
        for student in ("right", "wrong"):
            sub = gb.find_submission("lesson03", student)
            grades = {g.name: g.score for g in sub.notebooks[0].grades}
            scores[student] = (sub.score, sub.max_score, grades)
    elapsed = time.perf_counter() - t0
    print(
        f"nbgrader round trip: right {scores['right'][0]}/{max_score}, "
        f"wrong {scores['wrong'][0]}/{max_score}, {elapsed:.0f} s"
    )
    assert scores["right"][1] == max_score
    assert scores["right"][0] == max_score, scores["right"]
    for it in items:
        got = scores["wrong"][2][f"{it['id']}-test"]
        want = 0.0 if it["kind"] == "choice" else dwn.POINTS["numeric"] * export.PARTIAL_PERCENT / 100
        assert got == want, (it["id"], got)
    assert 0 < scores["wrong"][0] < max_score
