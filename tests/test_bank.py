"""The item bank: every file is sound, every item can be asked, and the validator catches bad items."""

import copy
import html
import json
import math

import pytest

from dormancy_widgets import lesson
from dormancy_widgets.assessment import bank

FILES = sorted(bank.BANK_DIR.glob("l[0-9][0-9].json"))
ITEMS = [it for path in FILES for it in json.loads(path.read_text(encoding="utf-8"))]


def _ids(items):
    return [it.get("id", "?") for it in items]


def test_there_is_a_bank():
    assert FILES and ITEMS


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_bank_file_loads_and_validates(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, list) and data
    problems = {it.get("id"): bank.validate(it) for it in data}
    assert all(not p for p in problems.values()), problems
    assert bank.load_file(path) == data
    assert {it["lesson"] for it in data} == {path.stem[1:]}


def test_ids_are_unique_across_the_bank():
    ids = _ids(ITEMS)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert [it["id"] for it in bank.items()] == ids


@pytest.mark.parametrize("it", [i for i in ITEMS if i.get("kind") == "choice"], ids=lambda i: i.get("id"))
def test_choice_items_have_one_answer_and_feedback_for_every_wrong_option(it):
    options = it["options"]
    assert sum(o.get("correct") is True for o in options) == 1
    for o in options:
        assert isinstance(o.get("feedback"), str) and len(o["feedback"].split()) >= 5, o["text"]
    wrong = [o["feedback"] for o in options if not o.get("correct")]
    assert len(set(wrong)) == len(wrong), "each wrong option needs its own feedback"


@pytest.mark.parametrize("it", [i for i in ITEMS if i.get("kind") == "numeric"], ids=lambda i: i.get("id"))
def test_numeric_answers_are_finite_with_unit_and_tolerance(it):
    v = bank.answer_value(it)
    ans = it["answer"]
    assert math.isfinite(v) and v != 0
    assert ans["unit"].strip() and 0 < ans["rtol"] < 1
    for name, factor in ans.get("units", {}).items():
        assert name.strip() and math.isfinite(factor) and factor > 0


@pytest.mark.parametrize("it", [i for i in ITEMS if "data" in i.get("tags", [])], ids=lambda i: i.get("id"))
def test_items_on_published_data_cite_their_source(it):
    assert len(it.get("citation", "").strip()) >= 8


@pytest.mark.parametrize("it", ITEMS, ids=_ids(ITEMS))
def test_every_item_can_be_asked_and_answered_in_the_page(it):
    """Built as a lesson builds it: the right answer is accepted (in every accepted unit), each
    wrong option shows its own feedback, and a wrong number says how far off it is."""
    ex = lesson.Lesson(it["lesson"], module=_Empty()).check(it["id"])
    if it["kind"] == "choice":
        for o in it["options"]:
            assert ex.submit(o["text"]) is bool(o["correct"])
            assert html.escape(o["feedback"]) in ex.feedback.value
    else:
        v = bank.answer_value(it)
        unit = it["answer"]["unit"]
        assert ex.submit(f"{v:.6g} {unit}") is True
        assert ex.submit(f"{v:.6g}") is True
        for name, factor in it["answer"].get("units", {}).items():
            assert ex.submit(f"{v / factor:.6g} {name}") is True, name
        assert ex.submit(f"{3 * v:.6g}") is False and "about 3× too" in ex.feedback.value


class _Empty:
    """A lesson module with no activities: enough for ``Lesson.check``."""


GOOD_CHOICE = {
    "id": "l01-example",
    "lesson": "01",
    "kind": "choice",
    "stem": "Which?",
    "options": [
        {"text": "a", "correct": True, "feedback": "right because"},
        {"text": "b", "correct": False, "feedback": "tempting because"},
    ],
    "hint": "h",
    "explanation": "e",
    "tags": ["concept"],
    "explorer": False,
}
GOOD_NUMERIC = {
    "id": "l01-number",
    "lesson": "01",
    "kind": "numeric",
    "stem": "How many?",
    "answer": {"value": 6130, "unit": "mm³", "rtol": 0.05, "units": {"cm³": 1000}},
    "hint": "h",
    "explanation": "e",
    "tags": ["numeric"],
    "explorer": False,
}


def _broken(base, change):
    it = copy.deepcopy(base)
    change(it)
    return it


@pytest.mark.parametrize(
    ("item", "words"),
    [
        (_broken(GOOD_CHOICE, lambda i: i.update(id="L1 example")), "id"),
        (_broken(GOOD_CHOICE, lambda i: i.update(id="l02-example")), "must start with 'l01-'"),
        (_broken(GOOD_CHOICE, lambda i: i["options"][1].update(correct=True)), "exactly one option"),
        (_broken(GOOD_CHOICE, lambda i: i["options"][0].update(correct=False)), "exactly one option"),
        (_broken(GOOD_CHOICE, lambda i: i["options"][1].pop("feedback")), "has no feedback"),
        (_broken(GOOD_CHOICE, lambda i: i["options"][1].update(text="a")), "differ"),
        (_broken(GOOD_CHOICE, lambda i: i.update(tags=["data"])), "citation"),
        (_broken(GOOD_CHOICE, lambda i: i.update(tags=["trivia"])), "tags"),
        (_broken(GOOD_CHOICE, lambda i: i.update(kind="essay")), "kind"),
        (_broken(GOOD_CHOICE, lambda i: i.update(hint="")), "hint"),
        (_broken(GOOD_NUMERIC, lambda i: i["answer"].update(value=float("inf"))), "finite"),
        (_broken(GOOD_NUMERIC, lambda i: i["answer"].update(unit="")), "unit"),
        (_broken(GOOD_NUMERIC, lambda i: i["answer"].pop("rtol")), "rtol"),
        (
            _broken(GOOD_NUMERIC, lambda i: i["answer"].update(compute={"function": "os:getcwd"})),
            "exactly one",
        ),
        (
            _broken(
                GOOD_NUMERIC,
                lambda i: i.update(answer={"compute": {"function": "os:getcwd"}, "unit": "x", "rtol": 0.1}),
            ),
            "inside dormancy_widgets",
        ),
        (_broken(GOOD_NUMERIC, lambda i: i["answer"].update(units={"cm³": -1})), "positive"),
    ],
)
def test_the_validator_catches_bad_items(item, words):
    problems = bank.validate(item)
    assert any(words in p for p in problems), problems


def test_good_items_pass_and_compute_is_evaluated():
    assert bank.validate(GOOD_CHOICE) == [] and bank.validate(GOOD_NUMERIC) == []
    it = _broken(
        GOOD_NUMERIC,
        lambda i: i.update(
            answer={
                "compute": {
                    "function": "dormancy_widgets.models.growth:doublings",
                    "kwargs": {"cells": 1024.0},
                },
                "unit": "doublings",
                "rtol": 0.01,
            }
        ),
    )
    assert bank.validate(it) == [] and bank.answer_value(it) == pytest.approx(10.0)


def test_a_bad_file_is_named_with_its_item(tmp_path):
    path = tmp_path / "l01.json"
    path.write_text(
        json.dumps([_broken(GOOD_CHOICE, lambda i: i["options"][1].pop("feedback"))]), encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"l01.json, item 'l01-example': .*no feedback"):
        bank.load_file(path)
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        bank.load_file(path)
    wrong = tmp_path / "l02.json"
    wrong.write_text(json.dumps([GOOD_CHOICE]), encoding="utf-8")
    with pytest.raises(ValueError, match="wrong file"):
        bank.load_file(wrong)


def test_lookup_by_id_and_lesson():
    assert len(bank.items("01")) >= 8 and bank.items(1) == bank.items("01")
    assert bank.item("l01-law-changes-time")["kind"] == "choice"
    with pytest.raises(KeyError, match="l01-law-changes-time"):
        bank.item("l01-no-such-item")


def test_the_bank_ships_in_the_wheel():
    """hatchling packs every file under the listed packages unless told to exclude some: the
    JSON bank is inside the package and nothing excludes it (checked once by building a wheel:
    dormancy_widgets/assessment/bank/l01.json is in it)."""
    import tomllib

    conf = tomllib.loads((bank.BANK_DIR.parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = conf["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "dormancy_widgets" in wheel["packages"]
    assert not any("json" in str(x) or "bank" in str(x) for x in wheel.get("exclude", []))
    assert bank.BANK_DIR.relative_to(bank.BANK_DIR.parents[2]).parts[:2] == ("dormancy_widgets", "assessment")
