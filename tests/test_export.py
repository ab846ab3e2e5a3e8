"""Exports of the item bank: Moodle XML parsed back and compared, GIFT through a small parser.

The GIFT parser here is written for the subset the export emits (named questions with an
[html] format, multiple choice with per-option feedback, numerical answers with tolerance and
weights, a catch-all wrong answer, general feedback, categories and comments), following the
rules of Moodle's importer: questions are separated by blank lines, ``\\`` escapes ~ = # { } :
and itself, ``\\n`` is a line break.
"""

from __future__ import annotations

import copy
import html
import math
import re
import xml.etree.ElementTree as ET

import pytest

from dormancy_widgets import cli
from dormancy_widgets.assessment import bank, export

ITEMS = bank.items()
CHOICE = [it for it in ITEMS if it["kind"] == "choice"]
NUMERIC = [it for it in ITEMS if it["kind"] == "numeric"]
#: the grade fractions Moodle's question editor offers (per cent)
MOODLE_FRACTIONS = {
    "100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333",
    "30", "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5", "0",
}  # fmt: skip


def _close(a: float, b: float, rel: float = 1e-5) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def _plain(html_text: str) -> str:
    """Text of a <p>…</p> fragment as the bank wrote it."""
    return html.unescape(re.sub(r"<[^>]+>", " ", html_text)).strip()


# --------------------------------------------------------------------------- Moodle XML
@pytest.fixture(scope="module")
def moodle():
    text = export.export("moodle")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "quiz"
    return root


def _questions(root):
    return {q.findtext("name/text"): q for q in root.findall("question") if q.get("type") != "category"}


def test_moodle_holds_every_item_once_in_its_lesson_category(moodle):
    category = None
    seen = []
    for q in moodle.findall("question"):
        if q.get("type") == "category":
            category = q.findtext("category/text")
            continue
        iid = q.findtext("name/text")
        seen.append(iid)
        assert category == export.CATEGORY.format(lesson=iid[1:3])
        assert q.findtext("idnumber") == iid
    assert seen == [it["id"] for it in ITEMS]
    print(f"Moodle XML: {len(seen)} questions")


def test_moodle_questions_have_what_the_importer_reads(moodle):
    for iid, q in _questions(moodle).items():
        it = bank.item(iid)
        assert q.get("type") == {"choice": "multichoice", "numeric": "numerical"}[it["kind"]]
        qt = q.find("questiontext")
        assert qt.get("format") == "html"
        assert it["stem"] in _plain(qt.findtext("text"))
        general = _plain(q.findtext("generalfeedback/text"))
        assert it["explanation"] in general
        if it.get("citation"):
            assert it["citation"] in general and it["citation"] in _plain(qt.findtext("text"))
        assert _plain(q.findtext("hint/text")) == it["hint"]
        assert float(q.findtext("defaultgrade")) > 0
        assert 0 <= float(q.findtext("penalty")) <= 1
        tags = [t.findtext("text") for t in q.findall("tags/tag")]
        assert set(it["tags"]) <= set(tags) and f"lesson-{it['lesson']}" in tags
        for a in q.findall("answer"):
            assert a.get("fraction") in MOODLE_FRACTIONS, (iid, a.get("fraction"))


@pytest.mark.parametrize("it", CHOICE, ids=lambda i: i["id"])
def test_moodle_choice_answers_fractions_and_feedback(moodle, it):
    q = _questions(moodle)[it["id"]]
    assert q.findtext("single") == "true"
    assert q.findtext("answernumbering") in {"abc", "ABCD", "123", "iii", "IIII", "none"}
    answers = q.findall("answer")
    assert len(answers) == len(it["options"])
    for a, o in zip(answers, it["options"]):
        assert _plain(a.findtext("text")) == o["text"]
        assert a.get("fraction") == ("100" if o["correct"] else "0")
        assert _plain(a.findtext("feedback/text")) == o["feedback"]
        assert a.find("feedback").get("format") == "html"


@pytest.mark.parametrize("it", NUMERIC, ids=lambda i: i["id"])
def test_moodle_numeric_value_tolerance_units_and_feedback(moodle, it):
    q = _questions(moodle)[it["id"]]
    v = bank.answer_value(it)
    rtol = it["answer"]["rtol"]
    full, partial, other = q.findall("answer")
    assert full.get("fraction") == "100" and partial.get("fraction") == str(export.PARTIAL_PERCENT)
    for a, band in ((full, rtol), (partial, min(export.PARTIAL_FACTOR * rtol, export.PARTIAL_CAP))):
        assert _close(float(a.findtext("text")), v)
        assert _close(float(a.findtext("tolerance")), abs(v) * band, rel=1e-4)
        assert _plain(a.findtext("feedback/text"))
    assert other.get("fraction") == "0" and other.findtext("text") == "*"
    assert it["hint"] in _plain(other.findtext("feedback/text"))
    units = [(u.findtext("unit_name"), float(u.findtext("multiplier"))) for u in q.findall("units/unit")]
    assert units[0] == (it["answer"]["unit"], 1.0)
    for (name, mult), (want, factor) in zip(units[1:], it["answer"].get("units", {}).items()):
        assert name == want and _close(mult * factor, 1.0)
    assert q.findtext("unitgradingtype") == "0" and q.findtext("showunits") == "0"


def test_numeric_answers_come_from_the_compute_spec(monkeypatch):
    """Change what the model returns and the export follows: nothing is copied by hand."""
    it = bank.item("l03-inhibitor-size")
    assert "compute" in it["answer"]
    import dormancy_widgets.models.angiogenic as angiogenic

    before = _questions(ET.fromstring(export.export("moodle", ["03"])))["l03-inhibitor-size"]
    assert _close(float(before.findtext("answer/text")), bank.answer_value(it))
    monkeypatch.setattr(angiogenic, "steady_state", lambda **kw: 1234.5)
    after = _questions(ET.fromstring(export.export("moodle", ["03"])))["l03-inhibitor-size"]
    assert after.findtext("answer/text") == "1234.5"
    assert "=1234.5:" in export.export("gift", ["03"])


def test_number_text_is_plain_decimal():
    assert export.number_text(66066178.79) == "66066200"
    assert export.number_text(0.6071428571) == "0.607143"
    assert export.number_text(1.2345e-7) == "0.00000012345"
    assert export.number_text(2.0) == "2"
    with pytest.raises(ValueError, match="finite"):
        export.number_text(float("inf"))


# --------------------------------------------------------------------------- GIFT, parsed back
_BACK = {"\x00": "\\", "\x01": "~", "\x02": "=", "\x03": "#", "\x04": "{", "\x05": "}", "\x06": ":"}
_PLACE = {"\\" + ch: code for code, ch in _BACK.items()}


def _protect(text: str) -> str:
    return re.sub(r"\\[\\~=#{}:]", lambda m: _PLACE[m.group(0)], text)


def _restore(text: str) -> str:
    text = text.replace("\\n", "\n")
    for k, v in _BACK.items():
        text = text.replace(k, v)
    return text


def parse_gift(text: str) -> list[dict]:
    """Questions of a GIFT file (the exported subset), each with its category."""
    out, category = [], None
    for block in re.split(r"\n\s*\n", _protect(text)):
        lines = [ln for ln in block.splitlines() if not ln.strip().startswith("//")]
        body = "\n".join(lines).strip()
        if not body:
            continue
        if body.startswith("$CATEGORY:"):
            category = body[len("$CATEGORY:") :].strip()
            continue
        m = re.fullmatch(r"::(?P<name>[^:]*)::\[html\](?P<text>[^{]*)\{(?P<ans>[^}]*)\}", body, flags=re.S)
        assert m, f"not a question this parser reads: {body[:80]!r}"
        ans = m.group("ans")
        general = None
        if "####" in ans:
            ans, general = ans.rsplit("####", 1)
        q = {
            "name": _restore(m.group("name")),
            "text": _restore(m.group("text")),
            "general": _restore(general.strip()) if general is not None else None,
            "category": category,
        }
        ans = ans.strip()
        if ans.startswith("#"):
            q["kind"], q["answers"] = "numeric", []
            for part in re.split(r"\s*(?=[=~])", ans[1:].strip()):
                if not part:
                    continue
                head, _, fb = part.partition("#")
                if head.startswith("~"):
                    q["answers"].append({"percent": 0, "value": None, "feedback": _restore(fb.strip())})
                    continue
                w = re.match(r"=(?:%(\d+(?:\.\d+)?)%)?(.*)", head)
                value, _, tol = w.group(2).strip().partition(":")
                q["answers"].append(
                    {
                        "percent": float(w.group(1) or 100),
                        "value": float(value),
                        "tolerance": float(tol),
                        "feedback": _restore(fb.strip()),
                    }
                )
        else:
            q["kind"], q["options"] = "choice", []
            for part in re.split(r"\s*(?=[=~])", ans):
                if not part:
                    continue
                text_, _, fb = part[1:].partition("#")
                option = {"text": _restore(text_.strip()), "correct": part[0] == "="}
                q["options"].append({**option, "feedback": _restore(fb.strip())})
        out.append(q)
    return out


def test_gift_round_trips_every_item():
    parsed = parse_gift(export.export("gift"))
    assert [q["name"] for q in parsed] == [it["id"] for it in ITEMS]
    print(f"GIFT: {len(parsed)} questions")
    for q in parsed:
        it = bank.item(q["name"])
        assert q["category"] == export.CATEGORY.format(lesson=it["lesson"])
        assert q["kind"] == it["kind"]
        assert it["stem"] in _plain(q["text"])
        assert it["explanation"] in _plain(q["general"])
        if it.get("citation"):
            assert it["citation"] in _plain(q["general"]) and it["citation"] in _plain(q["text"])
        if it["kind"] == "choice":
            assert [html.unescape(o["text"]) for o in q["options"]] == [o["text"] for o in it["options"]]
            assert [o["correct"] for o in q["options"]] == [o["correct"] for o in it["options"]]
            got = [html.unescape(o["feedback"]) for o in q["options"]]
            assert got == [o["feedback"] for o in it["options"]]
        else:
            v = bank.answer_value(it)
            rtol = it["answer"]["rtol"]
            full, partial, other = q["answers"]
            assert full["percent"] == 100 and _close(full["value"], v)
            assert _close(full["tolerance"], abs(v) * rtol, rel=1e-4)
            assert partial["percent"] == export.PARTIAL_PERCENT and _close(partial["value"], v)
            wide = min(export.PARTIAL_FACTOR * rtol, export.PARTIAL_CAP)
            assert _close(partial["tolerance"], abs(v) * wide, rel=1e-4)
            assert other["percent"] == 0 and it["hint"] in html.unescape(other["feedback"])
            assert it["answer"]["unit"] in _plain(q["text"])


def test_gift_escapes_every_special_character():
    nasty = "a~b=c#d{e}f:g\\h\nline two & <i>"
    it = copy.deepcopy(bank.item("l03-holmgren-indices"))
    it["stem"] = "Stem " + nasty
    it["options"][0]["text"] = "right " + nasty
    it["options"][1]["feedback"] = "why not " + nasty
    it["explanation"] = "explained " + nasty
    it["citation"] = "Someone 2001, J 1:2 {x}"
    q = parse_gift(export.gift([it]))[0]
    assert nasty in html.unescape(q["text"])
    assert html.unescape(q["options"][0]["text"]) == "right " + nasty
    assert html.unescape(q["options"][1]["feedback"]) == "why not " + nasty
    assert ("explained " + nasty) in html.unescape(q["general"])
    assert q["options"][0]["correct"] and not q["options"][1]["correct"]
    # nothing special survives unescaped between the braces
    raw = export.gift([it])
    body = raw[raw.index("[html]") :]
    inner = _protect(body)
    assert inner.count("{") == 1 and inner.count("}") == 1


def test_gift_escape_function():
    assert export.gift_escape("a:b") == "a\\:b"
    assert export.gift_escape("~=#{}") == "\\~\\=\\#\\{\\}"
    assert export.gift_escape("back\\slash") == "back\\\\slash"
    assert export.gift_escape("two\nlines") == "two\\nlines"


@pytest.mark.parametrize("it", CHOICE, ids=lambda i: i["id"])
def test_every_wrong_option_has_its_own_feedback_in_the_export(it):
    q = parse_gift(export.gift([it]))[0]
    wrong = [html.unescape(o["feedback"]) for o in q["options"] if not o["correct"]]
    assert all(len(f.split()) >= 3 for f in wrong)
    assert len(set(wrong)) == len(wrong)


# --------------------------------------------------------------------------- selection and command
def test_select_lessons_and_errors():
    assert export.select(None) == ITEMS
    assert [it["lesson"] for it in export.select(["3"])] == ["03"] * len(bank.items("03"))
    with pytest.raises(ValueError, match="lesson 99 has no bank items"):
        export.select(["99"])
    with pytest.raises(ValueError, match="not a lesson number"):
        export.select(["three"])
    with pytest.raises(ValueError, match="format"):
        export.export("qti")


def test_quiz_export_command_writes_stdout_or_a_file(capsys, tmp_path):
    assert cli.main(["quiz", "export", "--format", "gift", "03", "05"]) == 0
    out = capsys.readouterr().out
    names = [q["name"] for q in parse_gift(out)]
    assert names == [it["id"] for it in bank.items("03") + bank.items("05")]
    target = tmp_path / "bank.xml"
    assert cli.main(["quiz", "export", "--format", "moodle", "-o", str(target)]) == 0
    root = ET.fromstring(target.read_text(encoding="utf-8"))
    assert len(_questions(root)) == len(ITEMS)
    assert f"{len(ITEMS)} questions" in capsys.readouterr().err
    assert cli.main(["quiz", "export", "--format", "gift", "42"]) == 1
    assert "lesson 42 has no bank items" in capsys.readouterr().err
