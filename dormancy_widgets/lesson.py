"""Small helpers that keep the lesson notebooks thin.

* ``predict`` asks a question before the explorer appears and records the guess;
* ``check`` is an exercise with an answer check that gives feedback (right, or a hint);
* ``reproduce`` prints a model-computed number beside the published one and raises
  ``AssertionError`` when they drift apart, so that running the lessons tests them;
* ``param_table`` shows a model's parameter declaration as a table;
* ``explore`` opens a mechanism's explorer, honouring a preset or settings given in the URL
  query string when the lesson runs as a Voila app.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, quote

import ipywidgets as widgets

from .models.params import param_table as _rows

__all__ = [
    "Exercise",
    "Prediction",
    "binder_url",
    "check",
    "explore",
    "lesson_index",
    "param_table",
    "predict",
    "reproduce",
]

#: The public repository Binder builds from; a fork sets DORMANCY_WIDGETS_REPO=owner/name.
REPOSITORY = os.environ.get("DORMANCY_WIDGETS_REPO", "dormancy-widgets/dormancy-widgets")
BINDER = "https://mybinder.org/v2/gh"

_OK = "✔"
_NO = "✘"


class Prediction(widgets.VBox):
    """A question asked before exploring; ``answer`` holds the locked-in guess (or None)."""

    def __init__(self, question: str, options: Sequence[str] | None = None, *, unit: str = "") -> None:
        super().__init__()
        self.question = question
        self.answer: Any = None
        if options:
            self.input = widgets.RadioButtons(options=list(options), value=None, layout={"width": "auto"})
        else:
            self.input = widgets.FloatText(description=unit or "value", value=0.0)
        self.button = widgets.Button(description="Lock in my prediction", icon="lock")
        self.feedback = widgets.HTML()
        self.button.on_click(lambda _: self.lock())
        self.children = (widgets.HTML(f"<b>Predict:</b> {question}"), self.input, self.button, self.feedback)

    def lock(self) -> None:
        value = self.input.value
        if value is None:
            self.feedback.value = "Choose an answer first."
            return
        self.answer = value
        self.feedback.value = (
            f"Recorded: <b>{html.escape(str(value))}</b>. Now explore below, then come back and compare."
        )


def predict(question: str, options: Sequence[str] | None = None, *, unit: str = "") -> Prediction:
    """A multiple-choice (``options``) or numeric prediction widget that records the guess."""
    return Prediction(question, options, unit=unit)


class Exercise(widgets.VBox):
    """A question with an answer check.

    ``answer`` is the right option (multiple choice) or number; numeric answers are right
    within ``rtol`` (relative). ``hint`` is shown after a wrong answer, ``explanation`` after
    a right one. ``feedback`` holds the last message; ``correct`` whether it was right.
    """

    def __init__(
        self,
        question: str,
        answer: Any,
        *,
        options: Sequence[str] | None = None,
        rtol: float = 0.1,
        unit: str = "",
        hint: str = "",
        explanation: str = "",
    ) -> None:
        super().__init__()
        self.answer = answer
        self.options = list(options) if options else None
        self.rtol = rtol
        self.hint = hint
        self.explanation = explanation
        self.correct: bool | None = None
        if self.options:
            if answer not in self.options:
                raise ValueError(f"answer = {answer!r} is not one of the options {self.options}")
            self.input = widgets.RadioButtons(options=self.options, value=None, layout={"width": "auto"})
        else:
            if not (isinstance(answer, (int, float)) and math.isfinite(answer)):
                raise ValueError(f"answer = {answer!r} is not allowed: a numeric answer must be finite")
            self.input = widgets.FloatText(description=unit or "answer", value=0.0)
        self.button = widgets.Button(description="Check my answer", icon="check")
        self.feedback = widgets.HTML()
        self.button.on_click(lambda _: self.submit())
        self.children = (
            widgets.HTML(f"<b>Exercise:</b> {question}"),
            self.input,
            self.button,
            self.feedback,
        )

    def is_right(self, value: Any) -> bool:
        if self.options:
            return value == self.answer
        try:
            v = float(value)
        except (TypeError, ValueError):
            return False
        return math.isclose(v, float(self.answer), rel_tol=self.rtol, abs_tol=0.0)

    def submit(self, value: Any = None) -> bool:
        """Check ``value`` (or what the student entered); show and return the verdict."""
        if value is not None:
            self.input.value = value
        value = self.input.value
        if value is None:
            self.feedback.value = "Choose an answer first."
            self.correct = None
            return False
        self.correct = self.is_right(value)
        if self.correct:
            self.feedback.value = f"{_OK} <b>Right.</b> {self.explanation}"
        else:
            self.feedback.value = f"{_NO} <b>Not yet.</b> Hint: {self.hint or 'look again at the explorer.'}"
        return self.correct


def check(question: str, answer: Any, **kwargs: Any) -> Exercise:
    """An exercise with an answer check; see ``Exercise`` for the options."""
    return Exercise(question, answer, **kwargs)


def reproduce(
    what: str,
    value: float,
    published: float,
    *,
    rtol: float,
    citation: str,
    unit: str = "",
    printer: Callable[[str], Any] = print,
) -> float:
    """Print a model-computed number next to the published one; raise if they disagree.

    ``rtol`` is the relative tolerance the comparison allows (state it honestly: a number
    digitised from a figure deserves a wider one than an arithmetic identity).
    """
    if not math.isfinite(value):
        raise AssertionError(f"{what}: the model returned {value}")
    ok = math.isclose(value, published, rel_tol=rtol, abs_tol=0.0)
    u = f" {unit}" if unit else ""
    line = (
        f"{what}: model {value:.4g}{u}; published {published:.4g}{u} ({citation}); "
        f"{'agrees' if ok else 'DISAGREES'} within {100 * rtol:g}%"
    )
    printer(line)
    if not ok:
        raise AssertionError(line)
    return value


def param_table(model: ModuleType) -> widgets.HTML:
    """The model's parameters as an HTML table: symbol, meaning, unit, default, range, source."""
    rows = _rows(model.PARAMS)
    head = "".join(f"<th style='text-align:left'>{h}</th>" for h in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r.values()) + "</tr>" for r in rows
    )
    return widgets.HTML(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def query_settings(query: str | None = None) -> dict[str, str]:
    """The ``key=value`` pairs of a URL query string (Voila passes it as ``QUERY_STRING``).

    Only parsed, never evaluated.
    """
    if query is None:
        query = os.environ.get("QUERY_STRING", "")
    return dict(parse_qsl(query, keep_blank_values=True))


def explore(explorer_cls: type, preset: str | None = None, *, query: str | None = None, **params: Any) -> Any:
    """Open an explorer on ``preset``/``params``; a URL query string (Voila) may override them.

    A bad query string never raises: the explorer opens on the lesson's own settings and
    shows a message saying what was wrong with the link.
    """
    explorer = explorer_cls(preset=preset, **params)
    settings = query_settings(query)
    if settings:
        apply_query(explorer, settings)
    return explorer


def apply_query(explorer: Any, settings: Mapping[str, str]) -> None:
    """Apply ``preset`` and parameter values from a parsed query string, or explain why not."""
    model = explorer.model
    problems = []
    name = settings.get("preset")
    if name:
        if name in model.PRESETS:
            explorer.preset(name)
        else:
            problems.append(f"unknown preset {name!r} (choose one of {', '.join(model.PRESETS)})")
    values: dict[str, Any] = {}
    for key, raw in settings.items():
        if key == "preset":
            continue
        p = model.PARAMS.get(key)
        if p is None:
            problems.append(f"unknown setting {key!r}")
            continue
        if p.categorical:
            values[key] = raw
            continue
        try:
            values[key] = float(raw)
        except ValueError:
            problems.append(f"{key} = {raw!r} is not a number")
    for key, value in values.items():
        try:
            explorer.set(**{key: value})
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        explorer.notice.value = "⚠ The link's settings could not all be used: " + html.escape(
            "; ".join(problems)
        )


def binder_url(notebook: str, *, voila: bool = False, query: str = "") -> str:
    """A Binder link that opens ``lessons/<notebook>`` in JupyterLab, or as a Voila app."""
    path = f"lessons/{notebook}"
    target = f"voila/render/{path}" if voila else f"lab/tree/{path}"
    if query:
        target += "?" + query.lstrip("?")
    return f"{BINDER}/{REPOSITORY}/HEAD?urlpath={quote(target, safe='')}"


def _lesson_info(path: Path) -> tuple[str, list[str]]:
    """Title (first heading) and learning objectives (bullets of the objectives cell)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    title, objectives = path.stem, []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        text = "".join(cell.get("source", ""))
        if title == path.stem:
            m = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
            if m:
                title = m.group(1).strip()
        if not objectives and "objectives" in text.lower():
            objectives = [
                re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line).strip()
                for line in text.splitlines()
                if re.match(r"^\s*(?:[-*]|\d+\.)\s+", line)
            ]
    return title, objectives


def lesson_index(directory: str | Path = ".") -> widgets.HTML:
    """A table of the numbered lessons: title, objectives, and links to open each one.

    Titles and objectives are read from the notebooks themselves, so the index never
    disagrees with the lessons.
    """
    rows = []
    for path in sorted(Path(directory).glob("[0-9][0-9]_*.ipynb")):
        if path.name.startswith("00_"):
            continue
        title, objectives = _lesson_info(path)
        items = "".join(f"<li>{html.escape(o)}</li>" for o in objectives)
        links = (
            f"<a href='{html.escape(path.name)}'>open here</a> · "
            f"<a href='{html.escape(binder_url(path.name))}' target='_blank'>Binder (JupyterLab)</a> · "
            f"<a href='{html.escape(binder_url(path.name, voila=True))}' target='_blank'>"
            "Binder (app view)</a>"
        )
        rows.append(
            f"<tr><td style='vertical-align:top'><b>{html.escape(title)}</b><br>{links}</td>"
            f"<td style='text-align:left'><ul style='margin:0'>{items}</ul></td></tr>"
        )
    if not rows:
        return widgets.HTML("No lessons found next to this notebook.")
    return widgets.HTML(
        "<table><thead><tr><th style='text-align:left'>Lesson</th>"
        "<th style='text-align:left'>You will be able to ...</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
