"""A pre/post misconception inventory drawn from the item bank, and a summary of a class's answers.

``inventory.json`` (beside this file) lists fifteen multiple-choice bank items, each with the
misconception its wrong options target. A teacher gives the same items before the unit (*pre*)
and after it (*post*) — on paper (``sheet()``), or as a Moodle/GIFT quiz (``export``) — and
collects the answers in a CSV file with one row per answer::

    student,phase,item,answer
    s01,pre,l01-what-sees-what,B
    s01,post,l01-what-sees-what,A

``phase`` is ``pre`` or ``post``; ``item`` a bank id from the inventory; ``answer`` the option's
letter as printed on the sheet (A, B, ...; the bank's order) or the option's full text (what an
LMS report gives when it shuffles the options). An item a student left out counts as wrong.

``summarise(rows)`` scores every student and computes the class's average normalised gain
(Hake 1998, Am J Phys 66:64): ⟨g⟩ = (⟨post⟩ − ⟨pre⟩) / (100 − ⟨pre⟩), with ⟨pre⟩ and ⟨post⟩ the
class's mean percentages over students who took both; also the mean of the students' own
gains (over those below 100% before), the gain over the items the lessons do not ask themselves
(``in_lessons`` false: practice on the very question cannot explain it), and the share correct
per item before and after.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from . import bank
from .export import gift, letters, moodle_xml

__all__ = [
    "INVENTORY_FILE",
    "Summary",
    "definition",
    "export",
    "item_ids",
    "items",
    "read_answers",
    "report",
    "sheet",
    "summarise",
]

INVENTORY_FILE = Path(__file__).resolve().parent / "inventory.json"
PHASES = ("pre", "post")
COLUMNS = ("student", "phase", "item", "answer")


@cache
def definition() -> dict[str, Any]:
    """The inventory as stored: title, version, description and items (id, misconception)."""
    data = json.loads(INVENTORY_FILE.read_text(encoding="utf-8"))
    ids = [e["id"] for e in data["items"]]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{INVENTORY_FILE.name}: an item is listed twice")
    for iid in ids:
        if bank.item(iid)["kind"] != "choice":
            raise ValueError(f"{INVENTORY_FILE.name}: {iid} is not a multiple-choice item")
    return data


def item_ids() -> list[str]:
    return [e["id"] for e in definition()["items"]]


def items() -> list[dict[str, Any]]:
    """The inventory's bank items, in its order."""
    return [bank.item(i) for i in item_ids()]


def sheet() -> str:
    """The inventory as a printable Markdown sheet (options lettered in the bank's order; no key)."""
    d = definition()
    out = [
        f"# {d['title']} (version {d['version']})",
        "",
        "Name or code: ____________________    Before / after the unit (circle one)",
        "",
        "Choose one answer for each question.",
    ]
    for n, it in enumerate(items(), start=1):
        out += ["", f"**{n}.** {it['stem']}", ""]
        out += [f"   {lab}. {o['text']}" for lab, o in zip(letters(len(it["options"])), it["options"])]
        out += ["", f"   Answer: ____    (item {it['id']})"]
    return "\n".join(out) + "\n"


def export(fmt: str) -> str:
    """The inventory as a Moodle XML (``"moodle"``) or GIFT (``"gift"``) quiz."""
    if fmt == "moodle":
        return moodle_xml(items())
    if fmt == "gift":
        return gift(items())
    if fmt in ("sheet", "markdown"):
        return sheet()
    raise ValueError(f"format {fmt!r} is not one of moodle, gift, sheet")


# --------------------------------------------------------------------------- answers
def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def read_answers(source: str | Path | Iterable[str]) -> list[dict[str, str]]:
    """Rows of an answers CSV (a path, or an iterable of lines), checked.

    ``ValueError`` names the line: a missing column, a phase other than pre/post, an item that
    is not in the inventory, or the same student, phase and item twice.
    """
    if isinstance(source, (str, Path)):
        text = Path(source).read_text(encoding="utf-8-sig")
        lines: Iterable[str] = io.StringIO(text)
    else:
        lines = source
    reader = csv.DictReader(lines)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValueError(
            f"the answers file needs the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}"
        )
    known = set(item_ids())
    seen: set[tuple[str, str, str]] = set()
    rows = []
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        student, phase, iid = row["student"], row["phase"].lower(), row["item"]
        if not student:
            raise ValueError(f"line {n}: no student")
        if phase not in PHASES:
            raise ValueError(f"line {n}: phase {row['phase']!r} must be pre or post")
        if iid not in known:
            raise ValueError(f"line {n}: item {iid!r} is not in the inventory")
        key = (student, phase, iid)
        if key in seen:
            raise ValueError(f"line {n}: {student} answered {iid} twice in the {phase} test")
        seen.add(key)
        rows.append({"student": student, "phase": phase, "item": iid, "answer": row["answer"]})
    return rows


def _is_correct(it: Mapping[str, Any], answer: str) -> bool | None:
    """True/False for a readable answer; None when it names no option."""
    opts = it["options"]
    a = answer.strip().strip("().").upper()
    labels = letters(len(opts))
    if a in labels:
        return opts[labels.index(a)]["correct"] is True
    for o in opts:
        if _norm(o["text"]) == _norm(answer):
            return o["correct"] is True
    return None


@dataclass
class Summary:
    """A class's inventory results (percentages 0-100; gains as fractions)."""

    n_items: int
    students: dict[str, dict[str, float | None]] = field(default_factory=dict)  # name -> pre, post, gain
    matched: list[str] = field(default_factory=list)
    pre_only: list[str] = field(default_factory=list)
    post_only: list[str] = field(default_factory=list)
    pre_mean: float | None = None
    post_mean: float | None = None
    gain: float | None = None  # Hake's <g> from the class means
    mean_individual_gain: float | None = None
    #: the same gain over the items the lessons do not ask themselves (``in_lessons`` false)
    unseen_items: list[str] = field(default_factory=list)
    unseen_gain: float | None = None
    per_item: dict[str, dict[str, float | None]] = field(default_factory=dict)
    unreadable: list[dict[str, str]] = field(default_factory=list)


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _class_gain(correct: Mapping[tuple[str, str], set[str]], matched: Sequence[str], ids: Sequence[str]):
    """Hake's gain over the items ``ids`` for the ``matched`` students (None if undefined)."""
    if not matched or not ids:
        return None
    means = []
    for phase in PHASES:
        means.append(
            _mean([100.0 * len(correct.get((m, phase), set()) & set(ids)) / len(ids) for m in matched])
        )
    pre, post = means
    return (post - pre) / (100.0 - pre) if pre < 100 else None


def summarise(rows: Iterable[Mapping[str, str]]) -> Summary:
    """Scores, class means, normalised gain and per-item shares for answer ``rows``."""
    its = {it["id"]: it for it in items()}
    n = len(its)
    correct: dict[tuple[str, str], set[str]] = {}
    took: dict[str, set[str]] = {p: set() for p in PHASES}
    s = Summary(n_items=n)
    for r in rows:
        took[r["phase"]].add(r["student"])
        verdict = _is_correct(its[r["item"]], r["answer"])
        if verdict is None and r["answer"].strip():
            s.unreadable.append(dict(r))
        if verdict:
            correct.setdefault((r["student"], r["phase"]), set()).add(r["item"])
    s.matched = sorted(took["pre"] & took["post"])
    s.pre_only = sorted(took["pre"] - took["post"])
    s.post_only = sorted(took["post"] - took["pre"])

    def pct(student: str, phase: str) -> float:
        return 100.0 * len(correct.get((student, phase), set())) / n

    for st in sorted(took["pre"] | took["post"]):
        pre = pct(st, "pre") if st in took["pre"] else None
        post = pct(st, "post") if st in took["post"] else None
        g = (post - pre) / (100.0 - pre) if pre is not None and post is not None and pre < 100 else None
        s.students[st] = {"pre": pre, "post": post, "gain": g}
    s.pre_mean = _mean([s.students[m]["pre"] for m in s.matched])
    s.post_mean = _mean([s.students[m]["post"] for m in s.matched])
    if s.pre_mean is not None and s.post_mean is not None and s.pre_mean < 100:
        s.gain = (s.post_mean - s.pre_mean) / (100.0 - s.pre_mean)
    s.unseen_items = [e["id"] for e in definition()["items"] if not e.get("in_lessons")]
    s.unseen_gain = _class_gain(correct, s.matched, s.unseen_items)
    s.mean_individual_gain = _mean(
        [s.students[m]["gain"] for m in s.matched if s.students[m]["gain"] is not None]
    )
    for iid in its:
        share = {}
        for phase in PHASES:
            if s.matched:
                right = sum(iid in correct.get((m, phase), set()) for m in s.matched)
                share[phase] = 100.0 * right / len(s.matched)
            else:
                share[phase] = None
        s.per_item[iid] = share
    return s


def _f(x: float | None, pct: bool = True) -> str:
    if x is None:
        return "n/a"
    x = round(x, 0 if pct else 2) + 0.0  # no "-0.00"
    return f"{x:.0f}%" if pct else f"{x:.2f}"


def report(s: Summary) -> str:
    """The summary as plain text for a teacher."""
    d = definition()
    mis = {e["id"]: e["misconception"] for e in d["items"]}
    out = [
        f"{d['title']} (version {d['version']}, {s.n_items} items)",
        f"Students with both tests: {len(s.matched)}"
        + (f"; pre only: {', '.join(s.pre_only)}" if s.pre_only else "")
        + (f"; post only: {', '.join(s.post_only)}" if s.post_only else ""),
        f"Class mean before: {_f(s.pre_mean)}   after: {_f(s.post_mean)}",
        f"Normalised gain <g> = (post - pre) / (100 - pre) = {_f(s.gain, pct=False)}",
        f"Mean of the students' own gains: {_f(s.mean_individual_gain, pct=False)}",
        f"Gain on the {len(s.unseen_items)} items the lessons do not ask themselves: "
        f"{_f(s.unseen_gain, pct=False)}",
        "",
        "Per item (share correct, students with both tests):",
    ]
    for iid, share in s.per_item.items():
        out.append(f"  {iid:<24} {_f(share['pre']):>5} -> {_f(share['post']):>5}   {mis[iid]}")
    out += ["", "Per student:"]
    for st, v in s.students.items():
        out.append(
            f"  {st:<16} pre {_f(v['pre']):>5}  post {_f(v['post']):>5}  gain {_f(v['gain'], pct=False)}"
        )
    if s.unreadable:
        out += ["", f"{len(s.unreadable)} answers named no option and were counted wrong:"]
        out += [f"  {r['student']} {r['phase']} {r['item']}: {r['answer']!r}" for r in s.unreadable[:20]]
    return "\n".join(out) + "\n"
