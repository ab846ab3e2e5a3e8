"""What each lesson asks: its predictions (``Ask``) and challenges (``Goal``), one module per lesson.

A lesson's module ``activities/lNN.py`` declares

* ``EXPLORER``: the explorer class name (a key of ``dormancy_widgets.widgets.EXPLORERS``);
* ``OPENS_WITH``: the keyword arguments the notebook's ``L.explore(...)`` passes;
* ``KEY_NUMBERS``: the published numbers the predictions and checks ask about, which must not
  appear in the lesson's text before its first prediction;
* ``PREDICTIONS``: key -> ``Ask``; ``CHALLENGES``: key -> ``Goal``.

``dormancy_widgets.lesson.start("NN")`` loads it with ``load``. Nothing here imports a widget
library, so the declarations can be tested headless.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

__all__ = ["Ask", "Goal", "available", "load", "module_name"]


@dataclass(frozen=True)
class Ask:
    """A prediction made before exploring.

    ``options`` makes it multiple choice; with ``options=()`` the answer is a number in
    ``unit`` (``units`` maps other accepted units to a factor into ``unit``, e.g.
    ``{"years": 365.25}`` when ``unit`` is days). ``actual(explorer)`` computes the model's
    answer from the explorer's current state: one of ``options``, or a number. ``rtol`` is the
    relative tolerance within which a numeric guess counts as a match. ``note`` is shown with
    the reveal (where to look on the plot).
    """

    question: str
    options: tuple[str, ...] = ()
    actual: Callable[[Any], Any] | None = None
    unit: str = ""
    units: Mapping[str, float] = field(default_factory=dict)
    rtol: float = 0.25
    note: str = ""

    def __post_init__(self) -> None:
        if self.options and len(set(self.options)) != len(self.options):
            raise ValueError(f"Ask options must differ from each other: {self.options}")
        if not 0 < self.rtol < 10:
            raise ValueError(f"Ask rtol = {self.rtol} is not allowed: choose a value in (0, 10).")


@dataclass(frozen=True)
class Goal:
    """A challenge on the live explorer.

    ``goal(explorer)`` returns ``(met, feedback)``: whether the explorer's current result
    meets the goal, and a sentence saying which way to move (never the answer). A plain
    ``bool`` is accepted too. ``solution`` is a settings dict for ``explorer.set(**solution)``
    that meets the goal; the state the lesson opens in must not.
    """

    text: str
    goal: Callable[[Any], Any]
    hint: str = ""
    explanation: str = ""
    solution: Mapping[str, Any] = field(default_factory=dict)


def module_name(number: str | int) -> str:
    """``"3"``, ``3`` or ``"03"`` -> ``"dormancy_widgets.activities.l03"``."""
    text = str(number).strip()
    if not text.isdigit() or len(text) > 2:
        raise ValueError(f"lesson = {number!r} is not allowed: give a two-digit lesson number such as '03'.")
    return f"{__name__}.l{int(text):02d}"


def load(number: str | int) -> ModuleType:
    """The activities module of lesson ``number`` (``ValueError`` if the lesson has none)."""
    name = module_name(number)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise ValueError(
            f"lesson = {number!r} has no activities module ({name.rsplit('.', 1)[1]}.py); "
            f"lessons with one: {', '.join(available()) or 'none'}."
        ) from None


def available() -> list[str]:
    """Two-digit numbers of the lessons that have an activities module, in order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        name = info.name
        if len(name) == 3 and name[0] == "l" and name[1:].isdigit():
            found.append(name[1:])
    return sorted(found)
