"""The misconception inventory: its items, reading a class's answers, and the normalised gain."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dormancy_widgets import cli
from dormancy_widgets.assessment import bank, export, inventory
from dormancy_widgets.assessment import nbgrader as dwn

ITEMS = inventory.items()


def test_the_inventory_is_about_fifteen_misconception_items_across_lessons_01_to_07():
    d = inventory.definition()
    assert 12 <= len(ITEMS) <= 18
    assert len(set(inventory.item_ids())) == len(ITEMS)
    assert {it["lesson"] for it in ITEMS} == {f"{n:02d}" for n in range(1, 8)}
    for entry, it in zip(d["items"], ITEMS):
        assert it["kind"] == "choice" and not it.get("explorer"), it["id"]
        assert len(entry["misconception"].split()) >= 4
        wrong = [o for o in it["options"] if not o["correct"]]
        assert wrong and all(o["feedback"].strip() for o in wrong)


def test_the_sheet_letters_the_options_and_gives_no_key():
    text = inventory.sheet()
    for n, it in enumerate(ITEMS, start=1):
        assert f"**{n}.** {it['stem']}" in text
        for lab, o in zip(export.letters(len(it["options"])), it["options"]):
            assert f"{lab}. {o['text']}" in text
            assert o["feedback"] not in text
        assert it["explanation"] not in text
    assert "correct" not in text.lower()


def test_the_inventory_exports_as_a_quiz():
    assert inventory.export("gift").count("::l0") == len(ITEMS)
    assert inventory.export("moodle").count('<question type="multichoice">') == len(ITEMS)
    with pytest.raises(ValueError, match="format"):
        inventory.export("pdf")


def _right(it) -> str:
    return export.letters(len(it["options"]))[[o["correct"] for o in it["options"]].index(True)]


def _wrong(it) -> str:
    return export.letters(len(it["options"]))[[o["correct"] for o in it["options"]].index(False)]


def _csv(rows) -> list[str]:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["student", "phase", "item", "answer"])
    w.writerows(rows)
    return buf.getvalue().splitlines(keepends=True)


def _answers(student, phase, n_right, *, style="letter"):
    """``n_right`` right answers then wrong ones, in the inventory's order."""
    rows = []
    for k, it in enumerate(ITEMS):
        if k < n_right:
            ans = _right(it)
            if style == "text":
                ans = next(o["text"] for o in it["options"] if o["correct"]).upper() + "  "
            elif style == "lower":
                ans = f"({ans.lower()})"
        else:
            ans = _wrong(it)
        rows.append([student, phase, it["id"], ans])
    return rows


def test_summary_and_normalised_gain_by_hand():
    n = len(ITEMS)
    rows = (
        _answers("ann", "pre", 3)
        + _answers("ann", "post", 12, style="text")
        + _answers("bob", "pre", 6, style="lower")
        + _answers("bob", "post", 9)
        + _answers("cy", "pre", 1)  # no post test: not in the class means
    )
    s = inventory.summarise(inventory.read_answers(_csv(rows)))
    assert s.matched == ["ann", "bob"] and s.pre_only == ["cy"] and s.post_only == []
    pre = (100 * 3 / n + 100 * 6 / n) / 2
    post = (100 * 12 / n + 100 * 9 / n) / 2
    assert s.pre_mean == pytest.approx(pre) and s.post_mean == pytest.approx(post)
    assert s.gain == pytest.approx((post - pre) / (100 - pre))
    g_ann = (12 - 3) / (n - 3)
    g_bob = (9 - 6) / (n - 6)
    assert s.students["ann"]["gain"] == pytest.approx(g_ann)
    assert s.mean_individual_gain == pytest.approx((g_ann + g_bob) / 2)
    first, last = ITEMS[0]["id"], ITEMS[-1]["id"]
    assert s.per_item[first] == {"pre": 100.0, "post": 100.0}
    assert s.per_item[ITEMS[5]["id"]] == {"pre": 50.0, "post": 100.0}
    assert s.per_item[last] == {"pre": 0.0, "post": 0.0}
    text = inventory.report(s)
    assert f"{s.gain:.2f}" in text and "pre only: cy" in text
    # the same gain over the items the lessons do not ask: counted from the flags by hand
    unseen = [k for k, e in enumerate(inventory.definition()["items"]) if not e["in_lessons"]]
    assert s.unseen_items == [ITEMS[k]["id"] for k in unseen]

    def share(n_right):
        return 100 * sum(k < n_right for k in unseen) / len(unseen)

    pre_u, post_u = (share(3) + share(6)) / 2, (share(12) + share(9)) / 2
    assert s.unseen_gain == pytest.approx((post_u - pre_u) / (100 - pre_u))
    assert f"{s.unseen_gain:.2f}" in text


def test_left_out_items_count_wrong_and_unreadable_answers_are_reported():
    it = ITEMS[0]
    rows = [["dee", "pre", it["id"], "Z"], ["dee", "post", it["id"], _right(it)]]
    s = inventory.summarise(inventory.read_answers(_csv(rows)))
    assert s.students["dee"]["pre"] == 0.0
    assert s.students["dee"]["post"] == pytest.approx(100 / len(ITEMS))
    assert [r["answer"] for r in s.unreadable] == ["Z"]
    assert "named no option" in inventory.report(s)


def test_a_class_already_at_full_marks_has_no_gain():
    rows = _answers("eve", "pre", len(ITEMS)) + _answers("eve", "post", len(ITEMS))
    s = inventory.summarise(inventory.read_answers(_csv(rows)))
    assert s.pre_mean == 100.0 and s.gain is None and s.mean_individual_gain is None
    assert "n/a" in inventory.report(s)


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ([["a", "during", ITEMS[0]["id"], "A"]], "phase 'during'"),
        ([["a", "pre", "l99-nothing", "A"]], "not in the inventory"),
        ([["a", "pre", ITEMS[0]["id"], "A"], ["a", "pre", ITEMS[0]["id"], "B"]], "twice"),
        ([["", "pre", ITEMS[0]["id"], "A"]], "no student"),
    ],
)
def test_bad_answer_files_name_the_line(rows, words):
    with pytest.raises(ValueError, match=words):
        inventory.read_answers(_csv(rows))


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="missing: answer"):
        inventory.read_answers(["student,phase,item\n", "a,pre,x\n"])


def test_summarise_command(tmp_path, capsys):
    path = tmp_path / "answers.csv"
    path.write_text("".join(_csv(_answers("ann", "pre", 5) + _answers("ann", "post", 10))), encoding="utf-8")
    assert cli.main(["inventory", "summarise", str(path)]) == 0
    out = capsys.readouterr().out
    g = (10 - 5) / (len(ITEMS) - 5)
    assert f"= {g:.2f}" in out and "Students with both tests: 1" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("student,phase,item,answer\na,later,l01-what-sees-what,A\n", encoding="utf-8")
    assert cli.main(["inventory", "summarise", str(bad)]) == 1
    assert "line 2" in capsys.readouterr().err
    assert cli.main(["inventory", "summarise", str(tmp_path / "none.csv")]) == 1
    assert cli.main(["inventory", "sheet"]) == 0
    assert ITEMS[0]["stem"] in capsys.readouterr().out


def test_in_lessons_flags_match_the_lesson_notebooks():
    """The flag says whether a lesson asks the item in its Check section; it must not go stale."""
    lessons = Path(__file__).resolve().parents[1] / "lessons"
    asked = set()
    for path in lessons.glob("[0-9][0-9]_*.ipynb"):
        asked |= set(dwn.checked_items(json.loads(path.read_text(encoding="utf-8"))))
    for e in inventory.definition()["items"]:
        assert e["in_lessons"] == (e["id"] in asked), e["id"]
    assert any(not e["in_lessons"] for e in inventory.definition()["items"])


def test_inventory_items_are_in_the_bank():
    for iid in inventory.item_ids():
        assert bank.item(iid)["id"] == iid
