"""The item bank in the formats learning management systems import: Moodle XML and GIFT.

``moodle_xml(items)`` and ``gift(items)`` return the text of one import file. Every item keeps
what the bank gives it: the stem, each option with its own feedback (the misconception a wrong
option targets), the hint, the explanation as general feedback, the citation, and the tags.
Numeric answers are evaluated from the bank (``bank.answer_value``: a ``compute`` spec runs the
model), never copied by hand; the tolerance is the item's relative ``rtol`` turned into the
absolute margin both formats use. A numeric answer within ``PARTIAL_FACTOR`` times that margin
earns ``PARTIAL_PERCENT`` per cent (the same rule the nbgrader assignments use).

Moodle XML keeps the other accepted units (``units``: name -> factor into ``unit``) as Moodle
units with multiplier ``1 / factor``; GIFT has no units, so its stem names the unit to answer in.
Questions are filed under one category per lesson, ``dormancy-widgets/Lesson NN``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from . import bank

__all__ = [
    "CATEGORY",
    "FORMATS",
    "PARTIAL_FACTOR",
    "PARTIAL_PERCENT",
    "answer_bands",
    "export",
    "gift",
    "gift_escape",
    "letters",
    "moodle_xml",
    "number_text",
    "select",
]

#: the Moodle category the questions of lesson NN are filed under
CATEGORY = "$course$/top/dormancy-widgets/Lesson {lesson}"
#: a numeric answer within PARTIAL_FACTOR × the item's tolerance earns PARTIAL_PERCENT %
PARTIAL_FACTOR = 3.0
PARTIAL_PERCENT = 50
#: the widest relative margin partial credit may reach
PARTIAL_CAP = 0.5
FORMATS = ("moodle", "gift")


# --------------------------------------------------------------------------- shared pieces
def select(lessons: Sequence[str | int] | None = None) -> list[dict[str, Any]]:
    """The bank items of ``lessons`` ("03", 3, ...), in bank order; every item when none given.

    ``ValueError`` names a lesson that has no items.
    """
    if not lessons:
        return bank.items()
    out: list[dict[str, Any]] = []
    for lesson in lessons:
        try:
            key = f"{int(lesson):02d}"
        except (TypeError, ValueError):
            raise ValueError(f"lesson {lesson!r} is not a lesson number such as 03") from None
        found = bank.items(key)
        if not found:
            have = sorted({it["lesson"] for it in bank.items()})
            raise ValueError(f"lesson {key} has no bank items; lessons with items: {', '.join(have)}")
        out += found
    return out


def letters(n: int) -> list[str]:
    """Option labels A, B, C, ... for ``n`` options."""
    return [chr(ord("A") + i) for i in range(n)]


def number_text(x: float, digits: int = 6) -> str:
    """A number in plain decimals (no exponent) to ``digits`` significant figures: 66066200, 0.607143."""
    if not math.isfinite(x):
        raise ValueError(f"number {x!r} must be finite")
    text = format(Decimal(f"{x:.{digits}g}"), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def answer_bands(it: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The graded answers of a numeric item: value, absolute tolerance, percent and feedback.

    The first band is the full-credit answer (``rtol`` of the evaluated value); the second
    gives ``PARTIAL_PERCENT`` % within ``PARTIAL_FACTOR`` times that (capped at 50 %).
    """
    ans = it["answer"]
    value = bank.answer_value(it)
    rtol = float(ans["rtol"])
    wide = min(PARTIAL_FACTOR * rtol, PARTIAL_CAP)
    unit = ans["unit"]
    return [
        {
            "percent": 100,
            "value": value,
            "tolerance": abs(value) * rtol,
            "feedback": f"Right: within {number_text(100 * rtol, 3)}% of the answer ({unit}).",
        },
        {
            "percent": PARTIAL_PERCENT,
            "value": value,
            "tolerance": abs(value) * wide,
            "feedback": f"Close, but not within {number_text(100 * rtol, 3)}%. Hint: {it['hint']}",
        },
    ]


def wrong_feedback(it: Mapping[str, Any]) -> str:
    """What any other numeric answer is told."""
    return f"Not yet. Hint: {it['hint']}"


def _source(it: Mapping[str, Any]) -> str:
    return f"Source: {it['citation']}" if it.get("citation") else ""


def _general(it: Mapping[str, Any]) -> str:
    return " ".join(x for x in (it["explanation"], _source(it)) if x)


def _stem(it: Mapping[str, Any]) -> str:
    """The stem, with the unit to answer in for numeric items."""
    if it["kind"] != "numeric":
        return it["stem"]
    ans = it["answer"]
    others = [u for u in ans.get("units", {}) if u != ans["unit"]]
    also = f" (or in {', '.join(others)})" if others else ""
    return f"{it['stem']} Answer in {ans['unit']}{also}."


def _p(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


def _stem_html(it: Mapping[str, Any]) -> str:
    src = _source(it)
    return _p(_stem(it)) + (f"<p><small>{html.escape(src, quote=False)}</small></p>" if src else "")


# --------------------------------------------------------------------------- Moodle XML
def _text_el(parent: ET.Element, tag: str, text: str, fmt: str | None = "html") -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text").text = text
    return el


def _category_xml(quiz: ET.Element, lesson: str) -> None:
    q = ET.SubElement(quiz, "question", {"type": "category"})
    cat = ET.SubElement(q, "category")
    ET.SubElement(cat, "text").text = CATEGORY.format(lesson=lesson)


def _question_xml(quiz: ET.Element, it: Mapping[str, Any]) -> None:
    kind = "multichoice" if it["kind"] == "choice" else "numerical"
    q = ET.SubElement(quiz, "question", {"type": kind})
    name = ET.SubElement(q, "name")
    ET.SubElement(name, "text").text = it["id"]
    _text_el(q, "questiontext", _stem_html(it))
    _text_el(q, "generalfeedback", _p(_general(it)))
    ET.SubElement(q, "defaultgrade").text = "1" if it["kind"] == "choice" else "2"
    ET.SubElement(q, "penalty").text = "0.3333333"
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = it["id"]
    if it["kind"] == "choice":
        ET.SubElement(q, "single").text = "true"
        ET.SubElement(q, "shuffleanswers").text = "true"
        ET.SubElement(q, "answernumbering").text = "ABCD"
        ET.SubElement(q, "showstandardinstruction").text = "0"
        _text_el(q, "correctfeedback", _p("Right."))
        _text_el(q, "partiallycorrectfeedback", _p("Partly right."))
        _text_el(q, "incorrectfeedback", _p("Not yet."))
        for o in it["options"]:
            a = _text_el(q, "answer", _p(o["text"]))
            a.set("fraction", "100" if o["correct"] is True else "0")
            _text_el(a, "feedback", _p(o["feedback"]))
    else:
        for band in answer_bands(it):
            a = ET.SubElement(q, "answer", {"fraction": str(band["percent"]), "format": "plain_text"})
            ET.SubElement(a, "text").text = number_text(band["value"])
            ET.SubElement(a, "tolerance").text = number_text(band["tolerance"])
            _text_el(a, "feedback", _p(band["feedback"]))
        a = ET.SubElement(q, "answer", {"fraction": "0", "format": "plain_text"})
        ET.SubElement(a, "text").text = "*"
        ET.SubElement(a, "tolerance").text = "0"
        _text_el(a, "feedback", _p(wrong_feedback(it)))
        ans = it["answer"]
        units = ET.SubElement(q, "units")
        for unit_name, factor in [(ans["unit"], 1.0), *ans.get("units", {}).items()]:
            u = ET.SubElement(units, "unit")
            ET.SubElement(u, "multiplier").text = number_text(1.0 / float(factor), 12)
            ET.SubElement(u, "unit_name").text = unit_name
        ET.SubElement(q, "unitgradingtype").text = "0"  # the unit is optional and not graded
        ET.SubElement(q, "unitpenalty").text = "0.1"
        ET.SubElement(q, "showunits").text = "0"  # typed in the answer box, e.g. '6.1 cm³'
        ET.SubElement(q, "unitsleft").text = "0"
    _text_el(q, "hint", _p(it["hint"]))
    tags = ET.SubElement(q, "tags")
    for tag in [*it.get("tags", []), f"lesson-{it['lesson']}"]:
        t = ET.SubElement(tags, "tag")
        ET.SubElement(t, "text").text = tag


def moodle_xml(items: Iterable[Mapping[str, Any]]) -> str:
    """A Moodle XML question file (UTF-8 text) holding ``items``, one category per lesson."""
    quiz = ET.Element("quiz")
    lesson = None
    for it in items:
        if it["lesson"] != lesson:
            lesson = it["lesson"]
            _category_xml(quiz, lesson)
        _question_xml(quiz, it)
    ET.indent(quiz, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- GIFT
_GIFT_SPECIAL = "\\~=#{}:"


def gift_escape(text: str) -> str:
    """Text made safe inside GIFT: backslash before \\ ~ = # { } :, line breaks as \\n."""
    out = "".join("\\" + ch if ch in _GIFT_SPECIAL else ch for ch in text)
    return out.replace("\r", "").replace("\n", "\\n")


def _g(text: str) -> str:
    """HTML-escaped (for the [html] format), then GIFT-escaped."""
    return gift_escape(html.escape(text, quote=False))


def _gift_question(it: Mapping[str, Any]) -> str:
    lines = [f"// {it['id']} ({it['kind']}; tags: {', '.join(it.get('tags', [])) or 'none'})"]
    lines.append(f"::{gift_escape(it['id'])}::[html]{gift_escape(_stem_html(it))}" + "{")
    if it["kind"] == "choice":
        for o in it["options"]:
            mark = "=" if o["correct"] is True else "~"
            lines.append(f"\t{mark}{_g(o['text'])}#{_g(o['feedback'])}")
    else:
        lines[-1] += "#"
        for band in answer_bands(it):
            weight = "" if band["percent"] == 100 else f"%{band['percent']}%"
            lines.append(
                f"\t={weight}{number_text(band['value'])}:{number_text(band['tolerance'])}"
                f"#{_g(band['feedback'])}"
            )
        lines.append(f"\t~#{_g(wrong_feedback(it))}")
    lines.append(f"\t####{_g(_general(it))}")
    lines.append("}")
    return "\n".join(lines)


def gift(items: Iterable[Mapping[str, Any]]) -> str:
    """A GIFT question file holding ``items``: questions separated by blank lines, a
    ``$CATEGORY`` per lesson. Per-option feedback after ``#``, general feedback after ``####``."""
    blocks = ["// dormancy-widgets item bank (GIFT). Import in Moodle: Question bank > Import > GIFT."]
    lesson = None
    for it in items:
        if it["lesson"] != lesson:
            lesson = it["lesson"]
            blocks.append(f"$CATEGORY: {CATEGORY.format(lesson=lesson)}")
        blocks.append(_gift_question(it))
    return "\n\n".join(blocks) + "\n"


def export(fmt: str, lessons: Sequence[str | int] | None = None) -> str:
    """The import file for ``lessons`` (every lesson when empty) in ``fmt`` ("moodle" or "gift")."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    chosen = select(lessons)
    return moodle_xml(chosen) if fmt == "moodle" else gift(chosen)
