"""nbgrader assignments built from the lessons and the item bank.

``write_assignment("03", course_dir)`` writes ``course_dir/source/lesson03/03_….ipynb``, an
nbgrader *source* notebook: the lesson's own cells, locked (read-only, restored from the source
when grading), with each ``L.check("…")`` cell replaced by a graded question drawn from the
bank:

* a locked Markdown cell with the stem, lettered options (or the unit to answer in), its source;
* an answer cell (an nbgrader solution cell) where the student writes
  ``answer_l03_… = "B"`` or ``answer_l03_… = "6.1 cm³"``;
* a locked autograder test cell worth ``POINTS[kind]`` points. Its visible part only checks the
  form of the answer; the key sits in a hidden-test region, which ``nbgrader generate_assignment``
  removes from the student's copy and ``nbgrader autograde`` puts back.

Numeric keys are evaluated from the bank (``bank.answer_value``), never written by hand. A
numeric answer within the item's ``rtol`` earns full points, within ``PARTIAL_FACTOR`` × rtol
half of them (the rule of the Moodle and GIFT exports); the test cell prints the feedback of the
chosen option, so nbgrader's feedback report shows the misconception it targets.

``check_form``, ``grade_choice`` and ``grade_number`` are what the test cells call.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import bank
from .export import PARTIAL_CAP, PARTIAL_FACTOR, PARTIAL_PERCENT, letters, number_text

__all__ = [
    "POINTS",
    "answer_name",
    "answers_for",
    "build_assignment",
    "check_form",
    "checked_items",
    "grade_choice",
    "grade_number",
    "graded_ids",
    "lesson_notebook",
    "write_assignment",
]

#: points per item kind
POINTS = {"choice": 1.0, "numeric": 2.0}
SCHEMA = 3
_CHECK = re.compile(r"""^\s*\w+\.check\(\s*["']([^"']+)["']\s*\)\s*;?\s*$""")


# --------------------------------------------------------------------------- what the test cells call
def _letter(given: Any, n: int) -> str:
    text = str(given).strip().strip("()[]. ").upper()
    return text if len(text) == 1 and text in letters(n) else ""


def check_form(kind: str, given: Any, n_options: int = 0) -> None:
    """Raise ``AssertionError`` saying what to write when ``given`` is not an answer of the
    right form (a letter among ``n_options``, or a number, perhaps with a unit)."""
    if kind == "choice":
        allowed = ", ".join(letters(n_options))
        assert _letter(given, n_options), f'write one letter ({allowed}) in quotes, e.g. "B"; got {given!r}'
        return
    if isinstance(given, bool) or given is None:
        raise AssertionError(f'write a number, e.g. 2500 or "2.5e3"; got {given!r}')
    if isinstance(given, (int, float)):
        assert math.isfinite(given), f"write a finite number; got {given!r}"
        return
    assert isinstance(given, str) and given.strip(), f'write a number, e.g. 2500 or "2.5e3"; got {given!r}'
    assert re.search(r"\d", given), f'write a number, e.g. 2500 or "2.5e3"; got {given!r}'


def grade_choice(given: Any, key: str, feedback: Mapping[str, str], points: float) -> float:
    """Points for a choice answer (``key`` is the right letter); prints the chosen option's feedback."""
    letter = _letter(given, len(feedback))
    right = letter == key
    print(("Right. " if right else "Not right. ") + feedback.get(letter, "That is not one of the options."))
    return float(points) if right else 0.0


def grade_number(
    given: Any,
    value: float,
    rtol: float,
    unit: str,
    units: Mapping[str, float] | None,
    points: float,
    hint: str = "",
) -> float:
    """Points for a numeric answer: all within ``rtol`` of ``value``, half within PARTIAL_FACTOR × rtol."""
    from ..lesson import how_far, parse_quantity

    try:
        v = parse_quantity(given, unit, units or {})
    except ValueError as exc:
        print(f"Could not read the answer: {exc}.")
        return 0.0
    off = abs(v - value) / abs(value)
    if off <= rtol:
        print(f"Right: within {number_text(100 * rtol, 3)}%.")
        return float(points)
    far = how_far(v, value)
    if off <= min(PARTIAL_FACTOR * rtol, PARTIAL_CAP):
        print(f"Close ({far}): half marks. Hint: {hint}")
        return float(points) * PARTIAL_PERCENT / 100
    print(f"Not right ({far}). Hint: {hint}")
    return 0.0


# --------------------------------------------------------------------------- building the notebook
def answer_name(item_id: str) -> str:
    """The variable a student assigns: ``answer_l03_inhibitor_size``."""
    return "answer_" + item_id.replace("-", "_")


def lesson_notebook(lesson: str | int, lessons_dir: str | Path | None = None) -> Path:
    """The notebook of lesson ``lesson`` ("03") in ``lessons_dir`` (default: where the CLI finds them)."""
    from ..cli import find_lessons

    number = f"{int(lesson):02d}"
    src = find_lessons(lessons_dir)
    found = sorted(src.glob(f"{number}_*.ipynb"))
    if not found:
        raise ValueError(f"no notebook for lesson {number} in {src}")
    return found[0]


def checked_items(nb: Mapping[str, Any]) -> list[str]:
    """The bank ids the notebook asks with ``L.check("…")``, in order."""
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            m = _CHECK.match(_source(cell))
            if m:
                out.append(m.group(1))
    return out


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False, points=None):
    m = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA,
        "solution": solution,
        "task": False,
    }
    if grade:
        m["points"] = float(points)
    return {"nbgrader": m}


def _cell(kind: str, source: str, grade_id: str, **flags: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": kind,
        "id": grade_id,
        "metadata": _meta(grade_id, **flags),
        "source": source,
    }
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def _question_cells(it: Mapping[str, Any], number: int) -> list[dict[str, Any]]:
    iid, kind = it["id"], it["kind"]
    var = answer_name(iid)
    pts = POINTS[kind]
    plural = "" if pts == 1 else "s"
    head = f"**Question {number}** ({number_text(pts)} point{plural}; `{iid}`)\n\n{it['stem']}\n"
    if kind == "choice":
        labels = letters(len(it["options"]))
        body = "\n".join(f"- **{lab}.** {o['text']}" for lab, o in zip(labels, it["options"]))
        how = (
            f"Write the letter of your choice ({labels[0]}–{labels[-1]}) in quotes "
            f'in the cell below: `{var} = "…"`.'
        )
        key = labels[[o["correct"] is True for o in it["options"]].index(True)]
        solution = f'{var} = "{key}"'
        feedback = {lab: o["feedback"] for lab, o in zip(labels, it["options"])}
        visible = f'check_form("choice", {var}, n_options={len(labels)})'
        hidden = f"grade_choice({var}, {key!r}, {json.dumps(feedback, ensure_ascii=False)}, points={pts})"
        imports = "check_form, grade_choice"
    else:
        ans = it["answer"]
        units = dict(ans.get("units", {}))
        others = f" (or in {', '.join(units)})" if units else ""
        body = ""
        how = (
            f"Answer in {ans['unit']}{others}. Write your number in the cell below, `{var} = …`, "
            f'or put it in quotes with a unit: `{var} = "… {ans["unit"]}"`.'
        )
        value = bank.answer_value(it)
        solution = f"{var} = {number_text(value, 8)}"
        visible = f'check_form("numeric", {var})'
        hidden = (
            f"grade_number({var}, {value!r}, {float(ans['rtol'])!r}, {ans['unit']!r}, "
            f"{json.dumps(units, ensure_ascii=False)}, points={pts}, hint={it['hint']!r})"
        )
        imports = "check_form, grade_number"
    src = f"\n\n*Source: {it['citation']}*" if it.get("citation") else ""
    md = head + ("\n" + body + "\n" if body else "") + "\n" + how + src
    test = (
        f"# Autograder test for {iid} ({number_text(pts)} point{'' if pts == 1 else 's'}). "
        "Running it checks only the form of your answer.\n"
        f"from dormancy_widgets.assessment.nbgrader import {imports}\n\n"
        f"{visible}\n"
        "### BEGIN HIDDEN TESTS\n"
        f"{hidden}\n"
        "### END HIDDEN TESTS"
    )
    return [
        _cell("markdown", md, f"{iid}-question", locked=True),
        _cell("code", f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION", f"{iid}-answer", solution=True),
        _cell("code", test, f"{iid}-test", grade=True, locked=True, points=pts),
    ]


def _written(value: float) -> list[str]:
    """How an answer might be written in a lesson's text: 17,300 / 17300 / 17,346 / 8.0."""
    v = abs(value)
    forms = {f"{v:.3g}"}
    for c in {v, float(f"{v:.3g}")}:
        if c >= 100 or float(c).is_integer():
            n = round(c)
            forms |= {str(n), f"{n:,}"}
    return sorted(forms)


def _states(text: str, value: float) -> bool:
    return any(re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d]|[.,]\d)", text) for f in _written(value))


def build_assignment(
    lesson: str | int, *, all_items: bool = False, lessons_dir: str | Path | None = None
) -> dict[str, Any]:
    """The nbgrader source notebook (as a JSON dict) for lesson ``lesson``.

    The graded questions are the items the lesson checks; ``all_items`` adds the lesson's other
    bank items, except numeric ones whose answer the lesson's text states.
    """
    path = lesson_notebook(lesson, lessons_dir)
    number = f"{int(lesson):02d}"
    nb = json.loads(path.read_text(encoding="utf-8"))
    asked = checked_items(nb)
    extra: list[dict[str, Any]] = []
    if all_items:
        text = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
        for it in bank.items(number):
            if it["id"] in asked:
                continue
            if it["kind"] == "numeric" and _states(text, bank.answer_value(it)):
                continue
            extra.append(it)
    graded = [bank.item(i) for i in asked] + extra
    if not graded:
        raise ValueError(f"lesson {number} asks no bank items, so there is nothing to grade")
    total = sum(POINTS[it["kind"]] for it in graded)
    intro = (
        f"**Graded version of lesson {int(number)}.** Work through the lesson as usual. "
        f"The {len(graded)} questions under *Check* are graded ({number_text(total)} points). "
        "Write each answer in the cell below its question (replace the two lines in it), then run "
        "the test cell under it: that checks only that your answer has the right form. "
        "Your grade and the feedback on each question come back after you submit."
    )
    cells = [_cell("markdown", intro, f"lesson{number}-graded-intro", locked=True)]
    count = 0
    placed = False
    for i, cell in enumerate(nb["cells"]):
        src = _source(cell)
        if cell["cell_type"] == "code" and _CHECK.match(src):
            count += 1
            cells += _question_cells(bank.item(_CHECK.match(src).group(1)), count)
            if count == len(asked):
                for it in extra:
                    count += 1
                    cells += _question_cells(it, count)
                placed = True
            continue
        kind = cell["cell_type"]
        if kind not in ("markdown", "code"):
            continue
        cells.append(_cell(kind, src, f"lesson{number}-cell-{i:02d}", locked=True))
    if not placed:  # the lesson asks nothing itself: the questions go at the end
        for it in extra:
            count += 1
            cells += _question_cells(it, count)
    meta = copy.deepcopy(nb.get("metadata", {}))
    meta.setdefault(
        "kernelspec", {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    )
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def write_assignment(
    lesson: str | int,
    course_dir: str | Path,
    *,
    name: str | None = None,
    all_items: bool = False,
    lessons_dir: str | Path | None = None,
) -> Path:
    """Write the source notebook of lesson ``lesson`` to ``course_dir/source/NAME/`` (NAME
    defaults to ``lessonNN``) and return its path."""
    number = f"{int(lesson):02d}"
    name = name or f"lesson{number}"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"assignment name {name!r} may use only letters, digits, '.', '_' and '-'")
    nb = build_assignment(number, all_items=all_items, lessons_dir=lessons_dir)
    src = lesson_notebook(number, lessons_dir)
    out = Path(course_dir).expanduser() / "source" / name / src.name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def graded_ids(nb: Mapping[str, Any]) -> list[str]:
    """The grade_ids of the graded test cells of an assignment notebook."""
    return [
        c["metadata"]["nbgrader"]["grade_id"]
        for c in nb["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
    ]


def answers_for(items: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The right answer of each item as the student would write it (for teachers' checks)."""
    out = {}
    for it in items:
        if it["kind"] == "choice":
            labels = letters(len(it["options"]))
            out[it["id"]] = labels[[o["correct"] is True for o in it["options"]].index(True)]
        else:
            out[it["id"]] = number_text(bank.answer_value(it), 8)
    return out
