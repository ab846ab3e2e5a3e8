"""The mechanisms of this package, declared once: model module, explorer class, lesson.

Everything that lists the mechanisms derives from ``MECHANISMS`` here: ``models.MECHANISMS``
(the model modules, in lesson order), ``widgets.EXPLORERS`` (explorer class -> module), the
package's ``__all__``, the generic contract tests, the README lesson-table test and the
lesson index. Adding a mechanism means one line here (see ``docs/architecture.md``).

Pure data: importing this module imports no model, widget or plotting library.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LESSONS", "MECHANISMS", "START_HERE", "Entry", "by_name", "explorers", "lesson_of"]


@dataclass(frozen=True)
class Entry:
    """One mechanism: ``name`` is its module under both ``dormancy_widgets.models`` and
    ``dormancy_widgets.widgets``; ``explorer`` the explorer class in that widget module;
    ``lesson`` the notebook under ``lessons/`` that teaches it."""

    name: str
    explorer: str
    lesson: str

    @property
    def number(self) -> str:
        """The lesson number as the notebooks write it: ``"03"``."""
        return self.lesson[:2]


#: every mechanism, in lesson order
MECHANISMS: tuple[Entry, ...] = (
    Entry("growth", "GrowthExplorer", "01_below_detection.ipynb"),
    Entry("cellcycle", "CellularDormancyExplorer", "02_cellular_dormancy.ipynb"),
    Entry("angiogenic", "AngiogenicExplorer", "03_angiogenic_dormancy.ipynb"),
    Entry("immune", "ImmuneExplorer", "04_immune_dormancy.ipynb"),
    Entry("cascade", "CascadeExplorer", "05_metastatic_inefficiency.ipynb"),
    Entry("heterogeneity", "HeterogeneityExplorer", "06_heterogeneity_and_selection.ipynb"),
    Entry("escape", "EscapeExplorer", "07_escape_and_therapy.ipynb"),
    Entry("niche", "NicheExplorer", "08_seed_soil_niche.ipynb"),
    Entry("spatial", "SwitchExplorer", "09_angiogenic_switch.ipynb"),
)

#: the index notebook, which teaches no mechanism of its own
START_HERE = "00_start_here.ipynb"
#: every lesson notebook, in order
LESSONS: tuple[str, ...] = (START_HERE, *(m.lesson for m in MECHANISMS))


def by_name(name: str) -> Entry:
    """The mechanism called ``name``; ``ValueError`` lists the names there are."""
    for m in MECHANISMS:
        if m.name == name:
            return m
    names = ", ".join(m.name for m in MECHANISMS)
    raise ValueError(f"mechanism = {name!r} is not allowed: choose one of {names}.")


def explorers() -> dict[str, str]:
    """Explorer class name -> its module under ``dormancy_widgets.widgets``, in lesson order."""
    return {m.explorer: m.name for m in MECHANISMS}


def lesson_of(explorer: str) -> str:
    """The lesson notebook that opens ``explorer`` (a class name)."""
    for m in MECHANISMS:
        if m.explorer == explorer:
            return m.lesson
    raise ValueError(f"explorer = {explorer!r} is not allowed: choose one of {', '.join(explorers())}.")
