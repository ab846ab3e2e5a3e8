"""The lesson kit: what keeps the lesson notebooks thin and makes the student do the finding.

A lesson notebook starts with ``L = lesson.start("01")``, which loads the lesson's predictions
and challenges (``dormancy_widgets/activities/l01.py``) and opens its lab record. Then

* ``L.predict(key)`` asks a question before the explorer appears and records the guess;
* ``L.explore(cls, preset=...)`` opens the explorer (a Voila URL query may pick the scenario);
* ``L.reveal(key, explorer)`` brings the guess back beside what the model does at the
  explorer's current settings, and asks for one line reconciling the two;
* ``L.challenge(key, explorer)`` sets a goal on the live explorer and says which way to move;
* ``L.check(item_id)`` asks a graded item from the bank (``assessment/bank/lNN.json``);
* ``L.reproduce(...)`` prints a model number beside a published one and raises if they drift;
* ``L.record()`` offers the lab record for download (Markdown, HTML, JSON) from the page.

The lower-level pieces (``predict``, ``reveal``, ``challenge``, ``check``, ``reproduce``,
``param_table``, ``explore``, ``lesson_index``) work without a lesson module too. No button or
text box raises into the page: a problem is shown as a message next to it.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, quote

import ipywidgets as widgets

from .models.params import param_table as _rows
from .models.params import validate as _validate
from .widgets import fmt

__all__ = [
    "Challenge",
    "Exercise",
    "LabRecord",
    "Lesson",
    "Prediction",
    "RecordView",
    "Reveal",
    "apply_query",
    "binder_url",
    "challenge",
    "check",
    "explore",
    "format_number",
    "how_far",
    "lesson_index",
    "param_table",
    "parse_quantity",
    "predict",
    "reproduce",
    "reveal",
    "start",
]

#: The public repository Binder builds from; a fork sets DORMANCY_WIDGETS_REPO=owner/name.
REPOSITORY = os.environ.get("DORMANCY_WIDGETS_REPO", "dormancy-widgets/dormancy-widgets")
BINDER = "https://mybinder.org/v2/gh"

_OK = "✔"
_NO = "✘"
_WARN = "⚠"
_TEXT = "line-height:1.45;margin:0.3em 0"


# --------------------------------------------------------------------------- small utilities
def _button(description: str, icon: str = "", tooltip: str = "") -> widgets.Button:
    """A button whose label is never cut off (width follows the text)."""
    return widgets.Button(
        description=description,
        icon=icon,
        tooltip=tooltip or description,
        layout=widgets.Layout(width="auto"),
    )


def _status(text: str) -> str:
    """Feedback HTML announced to screen readers when it changes."""
    return f'<div role="status" aria-live="polite" style="{_TEXT}">{text}</div>' if text else ""


def _text(html_text: str) -> widgets.HTML:
    """Prose in a widget, with normal line spacing (widget HTML defaults to a 28 px line)."""
    return widgets.HTML(f'<div style="{_TEXT}">{html_text}</div>')


def _row(*items: widgets.Widget) -> widgets.HBox:
    """Buttons in a row, each as wide as its label (a button alone in a column would stretch)."""
    return widgets.HBox(list(items), layout=widgets.Layout(flex_flow="row wrap"))


def _guarded(action: Callable[[], Any], out: widgets.HTML) -> Callable[..., None]:
    """A widget callback that never raises into the page: a failure becomes a message in ``out``."""

    def handler(*_: Any) -> None:
        try:
            action()
        except Exception as exc:
            out.value = _status(
                f"{_WARN} That did not work: {html.escape(_cut(str(exc), 160))}. "
                "Check the settings and try again."
            )

    return handler


def _cut(text: str, n: int = 40) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


def format_number(x: Any, unit: str = "") -> str:
    """A number as a student writes it, with its unit: 598, 29.9, 12,300, 3×10¹², 10⁹.

    Three significant figures in the explorers' style (``widgets.fmt.number``); an exact power
    of ten is written bare (10⁹); an infinite time is "never". Text is returned unchanged.
    """
    u = f" {unit}" if unit else ""
    if isinstance(x, str):
        return x + u
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x) + u
    if math.isinf(v) and v > 0 and unit in ("days", "years", "months"):
        return "never"
    text = fmt.number(v, 3)
    if math.isfinite(v) and v != 0:
        exp = math.floor(math.log10(abs(v)))
        if text.endswith("×" + fmt.power_of_ten(exp)) and text.lstrip("−").startswith("1×"):
            text = ("−" if v < 0 else "") + fmt.power_of_ten(exp)
    return text + u


def _pct(fraction: float) -> str:
    """The size of a difference as a percentage (``widgets.fmt.percent`` of its magnitude)."""
    return fmt.percent(abs(fraction))


def how_far(given: float, actual: float) -> str:
    """How far a guess is from the answer, in words: 'about 3× too high', 'about 20% too low'."""
    if not (math.isfinite(given) and math.isfinite(actual)) or actual == 0:
        return ""
    ratio = given / actual
    if ratio <= 0:
        return "on the wrong side of zero"
    word = "high" if ratio > 1 else "low"
    factor = ratio if ratio > 1 else 1 / ratio
    if factor < 1.5:
        return f"about {_pct(factor - 1 if ratio > 1 else 1 - ratio)} too {word}"
    if factor < 10:
        f = round(factor * 2) / 2
        return f"about {f:g}× too {word}"
    return f"about {format_number(float(f'{factor:.2g}'))}× too {word}"


def _norm_unit(u: str) -> str:
    u = u.strip().replace("^", "").replace("**", "").replace(" ", "")
    u = re.sub(r"(?<=[a-zA-Zµμ])([23])$", lambda m: "²" if m.group(1) == "2" else "³", u)
    return u.casefold()


_NUMBER = re.compile(
    r"""^\s*(?P<num>[-+−]?(?:\d{1,3}(?:[,\u202f\u2009\u00a0 ]\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?
        |[-+−]?\.\d+(?:[eE][-+]?\d+)?)?
        \s*(?:(?:[×xX*·]\s*)?10\s*(?:\^|\*\*)?\s*(?P<exp>[-+−]?\d+|[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))?
        \s*(?P<unit>.*?)\s*$""",
    re.VERBOSE,
)


def parse_quantity(text: Any, unit: str = "", units: Mapping[str, float] | None = None) -> float:
    """A number typed by a student, in ``unit``: '2500', '2,500', '2 500', '2.5e3', '2.5 × 10³',
    '10^9', '2.5 cm³' or '2500 mm3' (other units from ``units``: name -> factor into ``unit``).

    ``ValueError`` says in plain words what could not be read.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        v = float(text)
        if not math.isfinite(v):
            raise ValueError("give a finite number")
        return v
    s = str(text or "").strip().replace("−", "-")
    if not s:
        raise ValueError("type a number first")
    # '10^9' or '10⁹' alone: a power of ten with no mantissa
    s = re.sub(r"^([-+]?)\s*10(?=\s*(?:\^|\*\*|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]))", r"\g<1>1×10", s)
    m = _NUMBER.match(s)
    if not m or (m.group("num") is None and m.group("exp") is None):
        raise ValueError(f"could not read {_cut(s)!r} as a number (write e.g. 2500, 2.5e3 or 2.5 × 10³)")
    num = m.group("num")
    exp = m.group("exp")
    mant = 1.0 if num is None else float(re.sub(r"[,\u202f\u2009\u00a0 ]", "", num).replace("−", "-"))
    value = mant * (10.0 ** int(exp.translate(_FROM_SUPERSCRIPT))) if exp else mant
    rest = m.group("unit")
    if rest:
        given = _norm_unit(rest)
        accepted = {_norm_unit(unit): 1.0} if unit else {}
        for name, factor in (units or {}).items():
            accepted[_norm_unit(name)] = float(factor)
        match = accepted.get(given)
        if match is None:
            match = accepted.get(given.rstrip("s")) or next(
                (f for k, f in accepted.items() if k.rstrip("s") == given.rstrip("s")), None
            )
        if match is None:
            allowed = ", ".join([unit, *(units or {})]) if unit else "no unit"
            raise ValueError(f"the unit {_cut(rest, 20)!r} is not one this question takes ({allowed})")
        value *= match
    if not math.isfinite(value):
        raise ValueError("give a finite number")
    return value


def _jsonable(v: Any) -> Any:
    """Explorer settings and model values as plain JSON numbers and strings."""
    if isinstance(v, (str, bool)) or v is None:
        return v
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f if math.isfinite(f) else str(f)


def _settings(explorer: Any) -> dict[str, Any]:
    try:
        return _jsonable(explorer.params)
    except Exception:
        return {}


def _settings_text(settings: Mapping[str, Any], explorer: Any = None) -> str:
    """'law = gompertz, Td = 60 days' (units from the model's declaration when known)."""
    params = getattr(getattr(explorer, "model", None), "PARAMS", {})
    parts = []
    for k, v in settings.items():
        unit = getattr(params.get(k), "unit", "") if params else ""
        parts.append(f"{k} = {format_number(v, unit) if not isinstance(v, str) else v}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- predictions
class Prediction(widgets.VBox):
    """A question asked before exploring; ``answer`` holds the locked-in guess (or None).

    Multiple choice when ``options`` are given, else a number in ``unit`` (other units from
    ``units``); the number box accepts '2.5 cm³', '2,500', '1e9'.
    """

    def __init__(
        self,
        question: str,
        options: Sequence[str] | None = None,
        *,
        unit: str = "",
        units: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__()
        self.add_class("dw-predict")
        self.question = question
        self.options = list(options) if options else []
        self.unit = unit
        self.units = dict(units or {})
        self.answer: Any = None
        self.answer_text = ""
        self.listeners: list[Callable[[Prediction], None]] = []
        if self.options:
            self.input = widgets.RadioButtons(options=self.options, value=None, layout={"width": "auto"})
        else:
            self.input = widgets.Text(
                placeholder=f"a number{' in ' + unit if unit else ''}",
                description=unit or "value",
                layout={"width": "auto"},
            )
        self.button = _button("Lock in my prediction", "lock")
        self.feedback = widgets.HTML()
        self.button.on_click(_guarded(self.lock, self.feedback))
        self.children = (
            _text(f"<b>Predict:</b> {html.escape(question)}"),
            self.input,
            _row(self.button),
            self.feedback,
        )

    def lock(self) -> None:
        value = self.input.value
        if value is None or (isinstance(value, str) and not value.strip()):
            self.feedback.value = _status(
                "Choose an answer first." if self.options else "Type a number first."
            )
            return
        if self.options:
            self.answer, self.answer_text = value, value
        else:
            try:
                self.answer = parse_quantity(value, self.unit, self.units)
            except ValueError as exc:
                self.feedback.value = _status(f"{_WARN} {html.escape(str(exc))}.")
                return
            self.answer_text = format_number(self.answer, self.unit)
        self.feedback.value = _status(
            f"Recorded: <b>{html.escape(self.answer_text)}</b>. Now explore below; further down you "
            "will compare your prediction with what the model does."
        )
        for listener in self.listeners:
            listener(self)


def predict(
    question: str,
    options: Sequence[str] | None = None,
    *,
    unit: str = "",
    units: Mapping[str, float] | None = None,
) -> Prediction:
    """A multiple-choice (``options``) or numeric prediction widget that records the guess."""
    return Prediction(question, options, unit=unit, units=units)


# --------------------------------------------------------------------------- reveal
class Reveal(widgets.VBox):
    """The student's prediction beside what the model does, and a line to reconcile them.

    ``actual`` is the model's answer: a callable of the explorer (evaluated on its current
    state each time "Compare with the model" is pressed) or a fixed value.
    """

    def __init__(
        self,
        prediction: Prediction,
        explorer: Any = None,
        actual: Any = None,
        *,
        rtol: float = 0.25,
        unit: str | None = None,
        note: str = "",
    ) -> None:
        super().__init__()
        self.add_class("dw-reveal")
        self.prediction = prediction
        self.explorer = explorer
        self.actual = actual
        self.rtol = rtol
        self.unit = prediction.unit if unit is None else unit
        self.note = note
        self.outcome: dict[str, Any] | None = None
        self.listeners: list[Callable[[Reveal], None]] = []
        self.button = _button("Compare with the model", "balance-scale")
        self.feedback = widgets.HTML()
        self.reconcile = widgets.Textarea(
            placeholder="In one line: why did the model do what it did, and what did your prediction miss?",
            layout=widgets.Layout(width="100%", height="3.2em", display="none"),
        )
        self.save = _button("Save my explanation", "save")
        self.save.layout.display = "none"
        self.saved = widgets.HTML()
        self.button.on_click(_guarded(self.compare, self.feedback))
        self.save.on_click(_guarded(self.save_reconciliation, self.saved))
        self.children = (
            _text(f"<b>Your prediction comes back:</b> {html.escape(prediction.question)}"),
            _row(self.button),
            self.feedback,
            self.reconcile,
            _row(self.save),
            self.saved,
        )

    def model_answer(self) -> Any:
        if callable(self.actual):
            if self.explorer is not None and getattr(self.explorer, "error", None):
                raise ValueError("the explorer's current settings cannot be run; change them first")
            return self.actual(self.explorer)
        return self.actual

    def compare(self) -> dict[str, Any] | None:
        """Show guess and model side by side; returns the outcome (None without a guess)."""
        guess = self.prediction.answer
        if guess is None:
            self.feedback.value = _status(
                f"{_WARN} Lock in your prediction above first "
                "(press <i>Lock in my prediction</i>), then compare."
            )
            return None
        model = self.model_answer()
        numeric = not isinstance(model, str)
        if numeric:
            model = float(model)
            match = math.isclose(float(guess), model, rel_tol=self.rtol)
            far = "" if match else how_far(float(guess), model)
            guess_text = format_number(guess, self.unit)
            model_text = format_number(model, self.unit)
        else:
            match = guess == model
            far = ""
            guess_text, model_text = str(guess), model
        settings = _settings(self.explorer) if self.explorer is not None else {}
        verdict = (
            f"{_OK} <b>They match.</b>"
            if match
            else f"{_NO} <b>They differ</b>{': your prediction is ' + far if far else ''}."
        )
        where = (
            " at the explorer's current settings"
            if self.explorer is not None and callable(self.actual)
            else ""
        )
        note = f"<br>{html.escape(self.note)}" if self.note else ""
        self.feedback.value = _status(
            "<table style='border-collapse:collapse'>"
            f"<tr><td style='padding-right:1em'>Your prediction</td>"
            f"<td><b>{html.escape(guess_text)}</b></td></tr>"
            f"<tr><td style='padding-right:1em'>The model{where}</td>"
            f"<td><b>{html.escape(model_text)}</b></td></tr>"
            f"</table>{verdict}{note}"
        )
        self.reconcile.layout.display = ""
        self.save.layout.display = ""
        self.outcome = {
            "question": self.prediction.question,
            "guess": _jsonable(guess),
            "guess_text": guess_text,
            "model": _jsonable(model),
            "model_text": model_text,
            "match": bool(match),
            "how_far": far,
            "settings": settings,
            "settings_text": _settings_text(settings, self.explorer),
        }
        for listener in self.listeners:
            listener(self)
        return self.outcome

    def save_reconciliation(self) -> None:
        text = self.reconcile.value.strip()
        if not text:
            self.saved.value = _status("Write one line first: what explains the difference, or the match?")
            return
        self.saved.value = _status(f"{_OK} Saved to your lab record.")
        for listener in self.listeners:
            listener(self)


def reveal(
    prediction: Prediction,
    explorer_or_value: Any,
    *,
    actual: Any = None,
    rtol: float = 0.25,
    unit: str | None = None,
    note: str = "",
) -> Reveal:
    """Bring ``prediction`` back beside the model's answer.

    ``explorer_or_value`` is the explorer (then ``actual(explorer)`` computes the answer from its
    current state) or the answer itself (an option or a number).
    """
    if actual is None:
        return Reveal(prediction, None, explorer_or_value, rtol=rtol, unit=unit, note=note)
    return Reveal(prediction, explorer_or_value, actual, rtol=rtol, unit=unit, note=note)


# --------------------------------------------------------------------------- challenges
def _goal_result(value: Any) -> tuple[bool, str]:
    if isinstance(value, tuple):
        met, msg = value
        return bool(met), str(msg)
    return bool(value), ""


class Challenge(widgets.VBox):
    """A goal on the live explorer: "Check my settings" says whether it is met and which way to move.

    ``goal(explorer)`` returns ``(met, feedback)`` (or a bool); ``solution`` is a settings dict
    for ``explorer.set``, shown only when the student asks, with a button to apply it.
    """

    def __init__(
        self,
        explorer: Any,
        goal: Callable[[Any], Any],
        *,
        text: str = "",
        hint: str = "",
        explanation: str = "",
        solution: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.add_class("dw-challenge")
        self.explorer = explorer
        self.goal = goal
        self.text = text
        self.hint = hint
        self.explanation = explanation
        self.solution = dict(solution or {})
        self.attempts: list[dict[str, Any]] = []
        self.solution_shown = False
        self.met = False
        self.listeners: list[Callable[[Challenge], None]] = []
        self.button = _button("Check my settings", "check")
        self.hint_button = _button("Hint", "lightbulb-o")
        self.solution_button = _button("Show a solution", "eye")
        self.apply_button = _button("Apply this solution to the explorer", "magic")
        self.apply_button.layout.display = "none"
        self.feedback = widgets.HTML()
        self.extra = widgets.HTML()
        self.button.on_click(_guarded(self.check, self.feedback))
        self.hint_button.on_click(_guarded(self.show_hint, self.extra))
        self.solution_button.on_click(_guarded(self.show_solution, self.extra))
        self.apply_button.on_click(_guarded(self.apply_solution, self.extra))
        if not hint:
            self.hint_button.layout.display = "none"
        if not self.solution:
            self.solution_button.layout.display = "none"
        head = f"<b>Challenge:</b> {html.escape(text)}" if text else "<b>Challenge</b>"
        self.children = (
            _text(head + " <i>Use the explorer above, then press <b>Check my settings</b>.</i>"),
            _row(self.button, self.hint_button, self.solution_button),
            self.feedback,
            self.extra,
            _row(self.apply_button),
        )

    def evaluate(self) -> tuple[bool, str]:
        """The goal on the explorer's current result: (met, which-way feedback)."""
        if getattr(self.explorer, "error", None):
            return False, "The explorer's current settings cannot be run; change them first."
        return _goal_result(self.goal(self.explorer))

    def check(self) -> bool:
        """Evaluate the goal on the explorer's current state, show feedback, record the attempt."""
        met, msg = self.evaluate()
        self.met = met
        if met:
            expl = f" {html.escape(self.explanation)}" if self.explanation else ""
            self.feedback.value = _status(f"{_OK} <b>Goal met.</b> {html.escape(msg)}{expl}")
        else:
            tip = " Stuck? Press <i>Hint</i>." if self.hint and len(self.attempts) >= 1 else ""
            self.feedback.value = _status(f"{_NO} <b>Not yet.</b> {html.escape(msg)}{tip}")
        self.attempts.append(
            {"settings": _settings(self.explorer), "met": met, "feedback": msg, "time": _now()}
        )
        for listener in self.listeners:
            listener(self)
        return met

    def show_hint(self) -> None:
        self.extra.value = _status(f"<b>Hint:</b> {html.escape(self.hint)}")

    def solution_text(self) -> str:
        return _settings_text(self.solution, self.explorer)

    def show_solution(self) -> None:
        self.solution_shown = True
        expl = f"<br>{html.escape(self.explanation)}" if self.explanation else ""
        self.extra.value = _status(
            f"<b>One solution:</b> {html.escape(self.solution_text())}.{expl}<br>"
            "Apply it, then press <i>Check my settings</i> to see the goal met."
        )
        self.apply_button.layout.display = ""
        for listener in self.listeners:
            listener(self)

    def apply_solution(self) -> None:
        self.explorer.set(**self.solution)
        self.extra.value = _status(f"Applied: {html.escape(self.solution_text())}.")


def challenge(
    explorer: Any,
    goal: Callable[[Any], Any],
    *,
    hint: str,
    explanation: str,
    solution: Mapping[str, Any],
    text: str = "",
) -> Challenge:
    """A goal checked on the explorer's current state; see ``Challenge``."""
    return Challenge(explorer, goal, text=text, hint=hint, explanation=explanation, solution=solution)


# --------------------------------------------------------------------------- graded checks
class Exercise(widgets.VBox):
    """A question with an answer check.

    ``answer`` is the right option (multiple choice) or number; numeric answers are right
    within ``rtol`` (relative) and may be typed with a unit (``unit``, or one of ``units``:
    name -> factor into ``unit``). ``feedback`` maps an option to what it tells the student
    (the misconception a wrong option targets). After a wrong answer the hint is shown; after
    two, a button offers the explanation. ``feedback_html`` holds the last message (in
    ``self.feedback``); ``correct`` whether it was right.
    """

    def __init__(
        self,
        question: str,
        answer: Any,
        *,
        options: Sequence[str] | None = None,
        rtol: float = 0.1,
        unit: str = "",
        units: Mapping[str, float] | None = None,
        hint: str = "",
        explanation: str = "",
        feedback: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.add_class("dw-check")
        self.question = question
        self.answer = answer
        self.options = list(options) if options else None
        self.rtol = rtol
        self.unit = unit
        self.units = dict(units or {})
        self.hint = hint
        self.explanation = explanation
        self.option_feedback = dict(feedback or {})
        self.correct: bool | None = None
        self.wrong_tries = 0
        self.history: list[dict[str, Any]] = []
        self.listeners: list[Callable[[Exercise], None]] = []
        if self.options:
            if answer not in self.options:
                raise ValueError(f"answer = {answer!r} is not one of the options {self.options}")
            self.input = widgets.RadioButtons(options=self.options, value=None, layout={"width": "auto"})
        else:
            if isinstance(answer, bool) or not (isinstance(answer, (int, float)) and math.isfinite(answer)):
                raise ValueError(f"answer = {answer!r} is not allowed: a numeric answer must be finite")
            accepted = ", ".join([unit, *self.units]) if unit else ""
            self.input = widgets.Text(
                placeholder=f"a number{' in ' + accepted if accepted else ''}",
                description=unit or "answer",
                layout={"width": "auto"},
            )
        self.button = _button("Check my answer", "check")
        self.explain_button = _button("Show the explanation", "book")
        self.explain_button.layout.display = "none"
        self.feedback = widgets.HTML()
        self.button.on_click(_guarded(self.submit, self.feedback))
        self.explain_button.on_click(_guarded(self.show_explanation, self.feedback))
        self.children = (
            _text(f"<b>Check:</b> {html.escape(question)}"),
            self.input,
            _row(self.button, self.explain_button),
            self.feedback,
        )

    def value_of(self, raw: Any) -> Any:
        """The student's entry as an option or a number in ``unit`` (``ValueError`` if unreadable)."""
        if self.options:
            return raw
        return parse_quantity(raw, self.unit, self.units)

    def is_right(self, value: Any) -> bool:
        if self.options:
            return value == self.answer
        try:
            v = self.value_of(value)
        except ValueError:
            return False
        return math.isclose(v, float(self.answer), rel_tol=self.rtol, abs_tol=0.0)

    def submit(self, value: Any = None) -> bool:
        """Check ``value`` (or what the student entered); show and return the verdict."""
        if value is not None:
            self.input.value = value if self.options else str(value)
        raw = self.input.value
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            self.feedback.value = _status(
                "Choose an answer first." if self.options else "Type a number first."
            )
            self.correct = None
            return False
        try:
            given = self.value_of(raw)
        except ValueError as exc:
            self.feedback.value = _status(f"{_WARN} {html.escape(str(exc))}.")
            self.correct = None
            return False
        self.correct = self.is_right(given)
        specific = self.option_feedback.get(given, "") if self.options else ""
        if self.correct:
            body = " ".join(x for x in (specific, self.explanation) if x)
            self.feedback.value = _status(f"{_OK} <b>Right.</b> {html.escape(body)}")
        else:
            self.wrong_tries += 1
            far = ""
            if not self.options:
                far = how_far(float(given), float(self.answer))
                far = f"Your answer is {far}. " if far else ""
            hint = f"Hint: {self.hint or 'look again at the explorer.'}"
            parts = [html.escape(specific), html.escape(far), html.escape(hint)]
            more = ""
            if self.wrong_tries >= 2 and self.explanation:
                self.explain_button.layout.display = ""
                more = " If you are stuck, <i>Show the explanation</i>."
            self.feedback.value = _status(f"{_NO} <b>Not yet.</b> " + " ".join(p for p in parts if p) + more)
        self.history.append(
            {
                "answer": _jsonable(given),
                "answer_text": str(raw) if self.options else format_number(given, self.unit),
                "correct": self.correct,
                "time": _now(),
            }
        )
        for listener in self.listeners:
            listener(self)
        return self.correct

    def show_explanation(self) -> None:
        right = self.answer if self.options else format_number(self.answer, self.unit)
        self.feedback.value = _status(
            f"<b>Explanation.</b> {html.escape(self.explanation)} "
            f"(The answer: <b>{html.escape(str(right))}</b>.)"
        )
        self.history.append(
            {"answer": None, "answer_text": "(explanation shown)", "correct": None, "time": _now()}
        )
        for listener in self.listeners:
            listener(self)


def check(question: str, answer: Any, **kwargs: Any) -> Exercise:
    """An exercise with an answer check; see ``Exercise`` for the options."""
    return Exercise(question, answer, **kwargs)


# --------------------------------------------------------------------------- reproduce
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
    diff = abs(value - published) / abs(published) if published else math.inf
    head = (
        f"{what}: model {format_number(value, unit)}; published {format_number(published, unit)} ({citation})"
    )
    if ok:
        line = f"{head}; agrees within {_pct(diff)} (tolerance {_pct(rtol)})"
    else:
        line = f"{head}; DISAGREES: they differ by {_pct(diff)}, more than the tolerance of {_pct(rtol)}"
    printer(line)
    if not ok:
        raise AssertionError(line)
    return value


# --------------------------------------------------------------------------- the lab record
_KINDS = ("prediction", "reveal", "challenge", "check", "reproduce")


@dataclass
class LabRecord:
    """Everything a student predicts, reconciles, tries and answers in one lesson.

    ``entries`` are plain dicts with a ``kind`` (prediction, reveal, challenge, check,
    reproduce) and a ``key``; they are JSON-safe, so ``LabRecord.from_json(r.to_json()) == r``.
    """

    lesson: str
    title: str = ""
    student: str = ""
    entries: list[dict[str, Any]] = field(default_factory=list)
    listeners: list[Callable[[LabRecord], None]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    def add(self, kind: str, key: str, *, replace: bool = False, **data: Any) -> dict[str, Any]:
        """Add an entry (``replace``: instead of an earlier one of the same kind and key)."""
        if kind not in _KINDS:
            raise ValueError(f"kind = {kind!r} is not allowed: choose one of {', '.join(_KINDS)}")
        entry = {"kind": kind, "key": str(key), "time": _now(), **_jsonable(data)}
        if replace:
            for i, old in enumerate(self.entries):
                if old["kind"] == kind and old["key"] == entry["key"]:
                    self.entries[i] = entry
                    break
            else:
                self.entries.append(entry)
        else:
            self.entries.append(entry)
        self.changed()
        return entry

    def changed(self) -> None:
        for listener in list(self.listeners):
            try:
                listener(self)
            except Exception:
                continue

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["kind"] == kind]

    # --- serialisation
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "dormancy-widgets lab record 1",
            "lesson": self.lesson,
            "title": self.title,
            "student": self.student,
            "entries": self.entries,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> LabRecord:
        d = json.loads(text)
        return cls(
            lesson=d["lesson"], title=d.get("title", ""), student=d.get("student", ""), entries=d["entries"]
        )

    def filename(self, ext: str) -> str:
        who = re.sub(r"[^A-Za-z0-9]+", "-", self.student).strip("-").lower()
        return f"lab-record-lesson{self.lesson}{'-' + who if who else ''}.{ext}"

    # --- readable forms
    def _sections(self) -> list[tuple[str, list[tuple[str, list[str]]]]]:
        """(section, [(item heading, [lines])]) in plain text, shared by Markdown and HTML."""
        out: list[tuple[str, list[tuple[str, list[str]]]]] = []
        reveals = {e["key"]: e for e in self.of("reveal")}
        preds = []
        for p in self.of("prediction"):
            lines = [f"My prediction: {p.get('guess_text', p.get('guess'))}"]
            r = reveals.get(p["key"])
            if r:
                where = r.get("settings_text") or _settings_text(r.get("settings", {}))
                match = "they match" if r.get("match") else "they differ"
                far = f" (my prediction was {r['how_far']})" if r.get("how_far") else ""
                lines.append(f"The model: {r.get('model_text', r.get('model'))}; {match}{far}")
                if where:
                    lines.append(f"Explorer settings: {where}")
                lines.append(f"How I reconcile them: {r.get('reconciliation') or '(not written)'}")
            else:
                lines.append("Not yet compared with the model.")
            preds.append((p.get("question", p["key"]), lines))
        if preds:
            out.append(("Predictions and what the model did", preds))
        chals: dict[str, tuple[str, list[str]]] = {}
        for c in self.of("challenge"):
            _head, lines = chals.setdefault(c["key"], (c.get("goal", c["key"]), []))
            if c.get("event") == "solution shown":
                lines.append("I asked to see a solution.")
                continue
            verdict = "goal met" if c.get("met") else "not yet"
            lines.append(
                f"Try {sum(1 for x in lines if x.startswith('Try')) + 1}: "
                f"{c.get('settings_text') or _settings_text(c.get('settings', {}))}: {verdict}. "
                f"{c.get('feedback', '')}".strip()
            )
        if chals:
            out.append(("Challenges", list(chals.values())))
        checks: dict[str, tuple[str, list[str]]] = {}
        for c in self.of("check"):
            _head, lines = checks.setdefault(c["key"], (c.get("question", c["key"]), []))
            if c.get("correct") is None:
                lines.append(str(c.get("answer_text", "")))
            else:
                lines.append(
                    f"Answered {c.get('answer_text')}: {'right' if c.get('correct') else 'not right'}"
                )
        if checks:
            out.append(("Checks", list(checks.values())))
        reps = [(r["key"], [str(r.get("line", ""))]) for r in self.of("reproduce")]
        if reps:
            out.append(("Published numbers reproduced", reps))
        return out

    def _title(self) -> str:
        return f"Lab record · lesson {self.lesson}" + (f": {self.title}" if self.title else "")

    def to_markdown(self) -> str:
        lines = [f"# {self._title()}", ""]
        if self.student:
            lines += [f"Student: {self.student}", ""]
        lines += [f"Saved: {_now()}", ""]
        sections = self._sections()
        if not sections:
            lines.append("Nothing recorded yet.")
        for name, items in sections:
            lines += [f"## {name}", ""]
            for head, body in items:
                lines += [f"### {head}", ""] + [f"- {b}" for b in body] + [""]
        return "\n".join(lines).rstrip() + "\n"

    def to_html(self) -> str:
        esc = html.escape
        parts = [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{esc(self._title())}</title>",
            "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.45}"
            "h3{font-size:1em;margin-bottom:.2em}</style></head><body>",
            f"<h1>{esc(self._title())}</h1>",
        ]
        if self.student:
            parts.append(f"<p>Student: {esc(self.student)}</p>")
        parts.append(f"<p>Saved: {esc(_now())}</p>")
        sections = self._sections()
        if not sections:
            parts.append("<p>Nothing recorded yet.</p>")
        for name, items in sections:
            parts.append(f"<h2>{esc(name)}</h2>")
            for head, body in items:
                parts.append(
                    f"<h3>{esc(head)}</h3><ul>" + "".join(f"<li>{esc(b)}</li>" for b in body) + "</ul>"
                )
        parts.append("</body></html>")
        return "".join(parts)


def _data_link(text: str, mime: str, filename: str, label: str) -> str:
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a download="{html.escape(filename)}" href="data:{mime};charset=utf-8;base64,{payload}" '
        f'style="text-decoration:underline;margin-right:1.2em">{html.escape(label)}</a>'
    )


class RecordView(widgets.VBox):
    """The lab record at the end of a lesson: a name box, a summary, and download links.

    The links are ``data:`` URLs made in the kernel, so the file is saved by the browser and
    nothing leaves the student's machine; they refresh whenever the record changes.
    """

    def __init__(self, record: LabRecord) -> None:
        super().__init__()
        self.add_class("dw-record")
        self.record = record
        self.name = widgets.Text(
            value=record.student,
            description="Your name",
            placeholder="optional: it goes into the file name",
            style={"description_width": "auto"},
            layout={"width": "auto"},
        )
        self.summary = widgets.HTML()
        self.links = widgets.HTML()
        self.preview = widgets.HTML()
        self.show = _button("Show my record here", "list")
        self.show.on_click(_guarded(self.show_preview, self.preview))
        self.name.observe(_guarded(self._rename, self.summary), "value")
        self.children = (
            _text(
                "<b>Your lab record</b>: your predictions, explanations, challenge attempts and answers "
                "in this lesson. Download it and hand it in if your teacher asks."
            ),
            self.name,
            self.summary,
            self.links,
            _row(self.show),
            self.preview,
        )
        record.listeners.append(lambda _: self.refresh())
        self.refresh()

    def _rename(self) -> None:
        self.record.student = self.name.value.strip()
        self.record.changed()

    def refresh(self) -> None:
        r = self.record
        counts = [
            (len(r.of("prediction")), "prediction"),
            (len(r.of("reveal")), "reveal"),
            (sum(1 for e in r.of("challenge") if "met" in e), "challenge"),
            (sum(1 for e in r.of("check") if e.get("correct") is not None), "check"),
        ]
        words = {
            "prediction": "prediction",
            "reveal": "comparison",
            "challenge": "challenge attempt",
            "check": "answer",
        }
        said = ", ".join(f"{n} {words[k]}{'' if n == 1 else 's'}" for n, k in counts)
        self.summary.value = f'<div style="{_TEXT}">So far: {said}.</div>'
        self.links.value = (
            f'<div style="{_TEXT}">Download: '
            + _data_link(r.to_html(), "text/html", r.filename("html"), "web page (HTML)")
            + _data_link(r.to_markdown(), "text/markdown", r.filename("md"), "text (Markdown)")
            + _data_link(r.to_json(), "application/json", r.filename("json"), "data for your teacher (JSON)")
            + "</div>"
        )
        if self.preview.value:
            self.show_preview()

    def show_preview(self) -> None:
        body = self.record.to_html()
        inner = body.split("<body>", 1)[1].rsplit("</body>", 1)[0]
        self.preview.value = f"<div style='border:1px solid #999;padding:0 1em'>{inner}</div>"


# --------------------------------------------------------------------------- the lesson object
class Lesson:
    """One lesson's activities (``activities/lNN.py``), its bank items and its lab record."""

    def __init__(self, number: str | int, module: ModuleType | None = None) -> None:
        from . import activities

        self.number = f"{int(number):02d}"
        self.module = module if module is not None else activities.load(self.number)
        self.record_data = LabRecord(self.number, title=getattr(self.module, "TITLE", ""))
        self.predictions: dict[str, Prediction] = {}
        self.explorer: Any = None

    # --- predict / explore / reveal
    def _ask(self, key: str) -> Any:
        table = getattr(self.module, "PREDICTIONS", {})
        if key not in table:
            raise KeyError(f"lesson {self.number} has no prediction {key!r}; it has: {', '.join(table)}")
        return table[key]

    def predict(self, key: str) -> Prediction:
        ask = self._ask(key)
        p = Prediction(ask.question, ask.options or None, unit=ask.unit, units=ask.units)
        p.listeners.append(
            lambda pr: self.record_data.add(
                "prediction",
                key,
                replace=True,
                question=pr.question,
                guess=pr.answer,
                guess_text=pr.answer_text,
            )
        )
        self.predictions[key] = p
        return p

    def explore(
        self, explorer_cls: Any, preset: str | None = None, *, query: str | None = None, **params: Any
    ) -> Any:
        if isinstance(explorer_cls, str):
            from . import widgets as dw_widgets

            explorer_cls = getattr(dw_widgets, explorer_cls)
        self.explorer = explore(explorer_cls, preset, query=query, **params)
        return self.explorer

    def reveal(self, key: str, explorer: Any = None) -> Reveal:
        ask = self._ask(key)
        explorer = explorer if explorer is not None else self.explorer
        if key not in self.predictions:  # the predict cell was not run: ask here
            self.predict(key)
        r = Reveal(self.predictions[key], explorer, ask.actual, rtol=ask.rtol, unit=ask.unit, note=ask.note)

        def saved(rv: Reveal) -> None:
            if rv.outcome is not None:
                self.record_data.add(
                    "reveal", key, replace=True, **rv.outcome, reconciliation=rv.reconcile.value.strip()
                )

        r.listeners.append(saved)
        return r

    # --- challenge / check / reproduce / record
    def challenge(self, key: str, explorer: Any = None) -> Challenge:
        table = getattr(self.module, "CHALLENGES", {})
        if key not in table:
            raise KeyError(f"lesson {self.number} has no challenge {key!r}; it has: {', '.join(table)}")
        g = table[key]
        c = Challenge(
            explorer if explorer is not None else self.explorer,
            g.goal,
            text=g.text,
            hint=g.hint,
            explanation=g.explanation,
            solution=g.solution,
        )
        seen = {"n": 0, "solution": False}

        def note(ch: Challenge) -> None:
            if len(ch.attempts) > seen["n"]:
                seen["n"] = len(ch.attempts)
                a = ch.attempts[-1]
                self.record_data.add(
                    "challenge",
                    key,
                    goal=g.text,
                    settings=a["settings"],
                    settings_text=_settings_text(a["settings"], ch.explorer),
                    met=a["met"],
                    feedback=a["feedback"],
                )
            if ch.solution_shown and not seen["solution"]:
                seen["solution"] = True
                self.record_data.add("challenge", key, goal=g.text, event="solution shown")

        c.listeners.append(note)
        return c

    def check(self, item_id: str) -> Exercise:
        from .assessment import bank

        it = bank.item(item_id)
        common = {"hint": it["hint"], "explanation": it["explanation"]}
        if it["kind"] == "choice":
            ex = Exercise(
                it["stem"],
                bank.correct_option(it),
                options=[o["text"] for o in it["options"]],
                feedback={o["text"]: o["feedback"] for o in it["options"]},
                **common,
            )
        else:
            ans = it["answer"]
            ex = Exercise(
                it["stem"],
                bank.answer_value(it),
                unit=ans["unit"],
                units=ans.get("units", {}),
                rtol=ans["rtol"],
                **common,
            )
        seen = {"n": 0}

        def note(e: Exercise) -> None:
            for h in e.history[seen["n"] :]:
                self.record_data.add(
                    "check", item_id, question=it["stem"], answer_text=h["answer_text"], correct=h["correct"]
                )
            seen["n"] = len(e.history)

        ex.listeners.append(note)
        return ex

    def reproduce(self, what: str, value: float, published: float, **kwargs: Any) -> float:
        lines: list[str] = []
        printer = kwargs.pop("printer", print)

        def both(line: str) -> None:
            lines.append(line)
            printer(line)

        try:
            return reproduce(what, value, published, printer=both, **kwargs)
        finally:
            if lines:
                self.record_data.add("reproduce", what, replace=True, line=lines[-1])

    def record(self) -> RecordView:
        return RecordView(self.record_data)


def start(number: str | int) -> Lesson:
    """Open lesson ``number`` ("01"): its predictions, challenges and bank items, and a lab record."""
    return Lesson(number)


# --------------------------------------------------------------------------- tables, links
def param_table(model: ModuleType) -> widgets.HTML:
    """The model's parameters as an HTML table: symbol, meaning, unit, default, range, source."""
    rows = _rows(model.PARAMS)
    head = "".join(f"<th style='text-align:left'>{h}</th>" for h in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r.values()) + "</tr>" for r in rows
    )
    return widgets.HTML(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _wait_for_voila_request() -> None:
    """In a preheated Voila kernel (``dormancy-widgets app --pool N``) the page's request comes later.

    The kernel runs the lesson up to its first explorer before anyone opens the page; here
    it waits for the request so that the page's query string (a deep link) still applies.
    Elsewhere (JupyterLab, Voila without a pool) this returns at once.
    """
    env = os.environ
    if env.get("VOILA_PREHEAT") != "True" or "QUERY_STRING" in env:
        return
    # what voila.utils.wait_for_request does, without importing voila.utils (+46 MB per kernel):
    # the server sends the request's variables on /voila/query/<kernel id> once a page takes the kernel
    base = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
    url = (
        f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{env.get('VOILA_APP_IP', '127.0.0.1')}:"
        f"{env.get('VOILA_APP_PORT', '8866')}{base}voila/query/{env.get('VOILA_KERNEL_ID', '')}"
    )
    try:
        from websockets.sync.client import connect

        with connect(url, open_timeout=60) as ws:
            info = json.loads(ws.recv())
        for key, value in info.items():
            env[key] = str(value)
    except Exception:  # no server to ask: open on the lesson's own settings
        pass
    env.setdefault("QUERY_STRING", "")


def query_settings(query: str | None = None) -> dict[str, str]:
    """The ``key=value`` pairs of a URL query string (Voila passes it as ``QUERY_STRING``).

    Only parsed, never evaluated.
    """
    if query is None:
        _wait_for_voila_request()
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
    """Apply a link's ``preset`` and parameter values, all or nothing.

    If anything in the link cannot be used, none of it is applied: the explorer keeps the
    lesson's own scenario and its ``notice`` says what was wrong (echoed values cut short).
    """
    model = explorer.model
    problems: list[str] = []
    base = dict(explorer.params)
    name = settings.get("preset")
    if name:
        if name in model.PRESETS:
            base.update(model.PRESETS[name].values)
        else:
            problems.append(f"unknown preset {_cut(name)!r} (choose one of {', '.join(model.PRESETS)})")
    values: dict[str, Any] = {}
    for key, raw in settings.items():
        if key == "preset":
            continue
        p = model.PARAMS.get(key)
        if p is None:
            problems.append(f"unknown setting {_cut(key)!r}")
            continue
        if p.categorical:
            if raw not in p.choices:
                problems.append(f"{key} = {_cut(raw)!r} is not one of {', '.join(p.choices)}")
                continue
            values[key] = raw
        else:
            try:
                values[key] = float(raw)
            except ValueError:
                problems.append(f"{key} = {_cut(raw)!r} is not a number")
                continue
        try:
            _validate(model.PARAMS, {**base, key: values[key]})
        except ValueError as exc:
            values.pop(key)
            problems.append(_cut(str(exc), 160))
    if problems:
        explorer.notice.value = (
            f"{_WARN} This link's settings could not all be used: "
            + html.escape("; ".join(x.rstrip(" .") for x in problems))
            + ". The lesson's own scenario is shown instead."
        )
        return
    if name:
        explorer.preset(name)
    if values:
        explorer.set(**values)


def binder_url(notebook: str, *, voila: bool = False, query: str = "") -> str:
    """A Binder link that opens ``lessons/<notebook>`` in JupyterLab, or as a Voila app."""
    path = f"lessons/{notebook}"
    target = f"voila/render/{path}" if voila else f"lab/tree/{path}"
    if query:
        target += "?" + query.lstrip("?")
    return f"{BINDER}/{REPOSITORY}/HEAD?urlpath={quote(target, safe='')}"


#: the second line of every lesson: ``*Lesson 3 of 9 · reading about 8 min · exploring about 20 min*``
HEADER = re.compile(r"^\*Lesson (\d+) of (\d+) · reading about (\d+) min · exploring about (\d+) min\*$")


def _inline_markdown(text: str) -> str:
    """Escape, then render **bold**, *italic* and `code` (what the objectives use)."""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", out)
    out = re.sub(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])", r"<i>\1</i>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def _lesson_info(path: Path) -> tuple[str, list[str], tuple[int, int] | None]:
    """Title (first heading), learning objectives (bullets of the objectives cell) and the
    (reading, exploring) minutes of the header line, if there is one."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    title, objectives, minutes = path.stem, [], None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        text = "".join(cell.get("source", ""))
        if title == path.stem:
            m = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
            if m:
                title = m.group(1).strip()
        if minutes is None:
            for line in text.splitlines():
                h = HEADER.match(line.strip())
                if h:
                    minutes = (int(h.group(3)), int(h.group(4)))
                    break
        if not objectives:
            objectives = _objectives(text)
    return title, objectives, minutes


_OBJECTIVES = re.compile(r"^#+\s*(?:learning objectives|objectives|you will be able to)\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")


def _objectives(text: str) -> list[str]:
    """The bullets under an objectives heading ("Learning objectives", "You will be able to")."""
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        if _OBJECTIVES.match(line.strip()):
            inside = True
            continue
        if inside and line.lstrip().startswith("#"):
            break
        if inside and _BULLET.match(line):
            out.append(_BULLET.sub("", line).strip())
    return out


def _link(href: str, label: str, *, new_tab: bool = False) -> str:
    target = " target='_blank' rel='noopener'" if new_tab else ""
    return (
        f"<a href='{html.escape(href)}'{target} "
        "style='text-decoration:underline;color:#0b57a4;white-space:nowrap'>"
        f"{html.escape(label)}</a>"
    )


def lesson_index(directory: str | Path = ".") -> widgets.HTML:
    """A table of the numbered lessons: title, time, objectives, and links to open each one.

    Titles, objectives and times are read from the notebooks themselves (the header line
    ``*Lesson N of 9 · reading about R min · exploring about E min*``), so the index never
    disagrees with the lessons. Every numbered lesson present is listed (08 and 09 included).
    """
    rows = []
    for path in sorted(Path(directory).glob("[0-9][0-9]_*.ipynb")):
        if path.name.startswith("00_"):
            continue
        title, objectives, minutes = _lesson_info(path)
        items = "".join(f"<li>{_inline_markdown(o)}</li>" for o in objectives)
        links = " · ".join(
            (
                _link(path.name, "open here"),
                _link(binder_url(path.name), "Binder (JupyterLab)", new_tab=True),
                _link(binder_url(path.name, voila=True), "Binder (app view)", new_tab=True),
            )
        )
        when = f"{minutes[0]} min reading<br>{minutes[1]} min exploring" if minutes else "not stated"
        rows.append(
            "<tr><td style='vertical-align:top;text-align:left'>"
            f"<b>{_inline_markdown(title)}</b><br>{links}</td>"
            f"<td style='vertical-align:top;text-align:left;white-space:nowrap;padding:0 1em'>{when}</td>"
            f"<td style='text-align:left'><ul style='margin:0'>{items}</ul></td></tr>"
        )
    if not rows:
        return widgets.HTML("No lessons found next to this notebook.")
    return widgets.HTML(
        "<table style='line-height:1.4;border-spacing:0 0.6em'>"
        "<thead><tr><th style='text-align:left'>Lesson</th>"
        "<th style='text-align:left'>Time</th>"
        "<th style='text-align:left'>You will be able to ...</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
