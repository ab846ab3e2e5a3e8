"""The item bank: graded questions per lesson, stored as JSON in ``assessment/bank/lNN.json``.

Lessons draw their checks from here (``lesson.start("NN").check("lNN-...")``), so an answer
lives in one place and never in a notebook. Each file is a JSON list of items:

* ``id`` (unique, ``lNN-`` prefix), ``lesson`` ("NN"), ``kind`` ("choice" or "numeric"), ``stem``;
* choice: ``options``, a list of ``{"text", "correct", "feedback"}`` with exactly one correct;
  every option has feedback (for a wrong one: the misconception it targets);
* numeric: ``answer`` with ``unit``, ``rtol`` and either ``value`` or ``compute``
  (``{"function": "module:name", "kwargs": {...}}``, evaluated by ``answer_value``), and
  optionally ``units`` (other accepted units -> factor into ``unit``);
* ``hint``, ``explanation``, ``tags`` (concept, numeric, data, explorer, misconception),
  ``explorer`` (true when only the explorer answers it) and ``citation`` (required for
  items tagged ``data``).

``validate(item)`` lists what is wrong with an item; loading raises ``ValueError`` on the first
bad file, naming the file, the item and the problem.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["BANK_DIR", "TAGS", "answer_value", "correct_option", "item", "items", "load_file", "validate"]

#: where the JSON files live (shipped inside the package)
BANK_DIR = Path(__file__).resolve().parent / "bank"
TAGS = ("concept", "numeric", "data", "explorer", "misconception")
_KINDS = ("choice", "numeric")


def validate(it: Mapping[str, Any]) -> list[str]:
    """Every problem with one item, as sentences (an empty list when it is sound)."""
    problems: list[str] = []
    iid = it.get("id")
    if not isinstance(iid, str) or not re.fullmatch(r"l\d\d-[a-z0-9-]+", iid):
        problems.append(f"id {iid!r} must look like 'l01-some-name' (lower case, digits, dashes)")
    lesson = it.get("lesson")
    if not (isinstance(lesson, str) and re.fullmatch(r"\d\d", lesson)):
        problems.append(f"lesson {lesson!r} must be a two-digit string such as '01'")
    elif isinstance(iid, str) and not iid.startswith(f"l{lesson}-"):
        problems.append(f"id {iid!r} must start with 'l{lesson}-'")
    kind = it.get("kind")
    if kind not in _KINDS:
        problems.append(f"kind {kind!r} must be one of {_KINDS}")
    if not (isinstance(it.get("stem"), str) and it["stem"].strip()):
        problems.append("stem must be a non-empty string")
    for key in ("hint", "explanation"):
        if not (isinstance(it.get(key), str) and it[key].strip()):
            problems.append(f"{key} must be a non-empty string")
    tags = it.get("tags", [])
    if not isinstance(tags, list) or any(t not in TAGS for t in tags):
        problems.append(f"tags {tags!r} must be a list drawn from {TAGS}")
    elif "data" in tags and not (isinstance(it.get("citation"), str) and it["citation"].strip()):
        problems.append("an item tagged 'data' needs a citation")
    if not isinstance(it.get("explorer", False), bool):
        problems.append("explorer must be true or false")
    if kind == "choice":
        problems += _choice_problems(it)
    elif kind == "numeric":
        problems += _numeric_problems(it)
    return problems


def _choice_problems(it: Mapping[str, Any]) -> list[str]:
    options = it.get("options")
    if not isinstance(options, list) or len(options) < 2:
        return ["a choice item needs a list of at least two options"]
    problems = []
    texts = [o.get("text") if isinstance(o, dict) else None for o in options]
    if any(not (isinstance(t, str) and t.strip()) for t in texts):
        problems.append("every option needs a non-empty text")
    elif len(set(texts)) != len(texts):
        problems.append("option texts must differ")
    correct = [o for o in options if isinstance(o, dict) and o.get("correct") is True]
    if len(correct) != 1:
        problems.append(f"exactly one option must be correct (found {len(correct)})")
    for o in options:
        if isinstance(o, dict) and not (isinstance(o.get("feedback"), str) and o["feedback"].strip()):
            problems.append(f"option {o.get('text')!r} has no feedback")
    if "answer" in it:
        problems.append("a choice item marks its answer with 'correct', not 'answer'")
    return problems


def _numeric_problems(it: Mapping[str, Any]) -> list[str]:
    ans = it.get("answer")
    if not isinstance(ans, dict):
        return ["a numeric item needs an 'answer' object"]
    problems = []
    if ("value" in ans) == ("compute" in ans):
        problems.append("answer needs exactly one of 'value' and 'compute'")
    if not (isinstance(ans.get("unit"), str) and ans["unit"].strip()):
        problems.append("answer needs a unit (write 'cells' or 'doublings' for counts)")
    rtol = ans.get("rtol")
    if not (isinstance(rtol, (int, float)) and 0 < rtol < 1):
        problems.append(f"answer rtol {rtol!r} must be a number in (0, 1)")
    units = ans.get("units", {})
    if not isinstance(units, dict) or any(
        not (isinstance(f, (int, float)) and math.isfinite(f) and f > 0) for f in units.values()
    ):
        problems.append("answer units must map unit names to finite positive factors")
    if "options" in it:
        problems.append("a numeric item has no options")
    if not problems:
        try:
            v = answer_value(it)
        except Exception as exc:
            problems.append(f"answer cannot be evaluated: {exc}")
        else:
            if not math.isfinite(v) or v == 0:
                problems.append(f"answer value {v!r} must be finite and non-zero")
    return problems


def answer_value(it: Mapping[str, Any]) -> float:
    """The numeric answer of an item in its ``unit``: ``value``, or ``compute`` evaluated.

    ``compute`` names a function as ``"package.module:function"`` inside this package and its
    keyword arguments; the function's result (or its ``key`` entry when ``"key"`` is given,
    e.g. a ``summary()`` field) is the answer.
    """
    ans = it["answer"]
    if "value" in ans:
        return float(ans["value"])
    spec = ans["compute"]
    module_name, _, func_name = spec["function"].partition(":")
    if not module_name.startswith("dormancy_widgets."):
        raise ValueError(f"compute function {spec['function']!r} must be inside dormancy_widgets")
    func = getattr(importlib.import_module(module_name), func_name)
    out = func(**spec.get("kwargs", {}))
    if "key" in spec:
        out = out[spec["key"]]
    return float(out)


def correct_option(it: Mapping[str, Any]) -> str:
    """The text of the correct option of a choice item."""
    return next(o["text"] for o in it["options"] if o.get("correct") is True)


def load_file(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate one bank file; ``ValueError`` names the file, item and problem."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name}: not valid JSON ({exc})") from None
    if not isinstance(data, list):
        raise ValueError(f"{path.name}: must hold a JSON list of items")
    for it in data:
        if not isinstance(it, dict):
            raise ValueError(f"{path.name}: every item must be a JSON object, got {it!r}")
        problems = validate(it)
        if problems:
            raise ValueError(f"{path.name}, item {it.get('id')!r}: " + "; ".join(problems))
        if path.stem != f"l{it['lesson']}":
            raise ValueError(f"{path.name}, item {it['id']!r}: lesson {it['lesson']!r} is in the wrong file")
    return data


@cache
def _all() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(BANK_DIR.glob("l[0-9][0-9].json")):
        for it in load_file(path):
            if it["id"] in out:
                raise ValueError(f"{path.name}: item id {it['id']!r} is used twice")
            out[it["id"]] = it
    return out


def items(lesson: str | int | None = None) -> list[dict[str, Any]]:
    """All items, or those of one lesson (``"01"`` or ``1``), in file order."""
    everything = list(_all().values())
    if lesson is None:
        return everything
    key = f"{int(lesson):02d}"
    return [it for it in everything if it["lesson"] == key]


def item(item_id: str) -> dict[str, Any]:
    """One item by id; ``KeyError`` lists the ids of that lesson when it is unknown."""
    bank = _all()
    if item_id not in bank:
        prefix = item_id[:4]
        near = [i for i in bank if i.startswith(prefix)]
        raise KeyError(f"no bank item {item_id!r}; items of that lesson: {', '.join(near) or 'none'}")
    return bank[item_id]
