"""Tables the explorers and lessons show: the mechanism-by-intervention comparison.

``comparison_table`` was first written in ``widgets.escape``, which still re-exports it.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from ..models import comparison
from . import palette

__all__ = ["comparison_table"]


def _fold_text(x: float) -> str:
    if x >= 1000:
        return "&gt; 1000×"
    if x < 0.001:
        return "&lt; 0.001×"
    return f"{x:.2g}×"


def _verdict(fold: float, nadir: float) -> str:
    if fold > 2.0:
        return "grows"
    if fold < 0.5:
        return "shrinks"
    if nadir < 0.5:
        return "shrinks, then regrows"
    return "about the same"


def comparison_table(result: comparison.Comparison | None = None) -> widgets.HTML:
    """The mechanism-by-intervention table of ``models.comparison.compare()`` as an HTML widget.

    Each cell gives the lesion's size one year after the intervention over its dormant size, in
    words and numbers (with the lowest size on the way when it dipped), and a note number where
    the mechanism's model had to approximate the intervention; the notes follow the table.
    """
    r = result if result is not None else comparison.compare()
    notes: list[str] = []
    head = "".join(
        f"<th scope='col' style='text-align:left;padding:4px 10px'>{html.escape(w)}</th>"
        for w in r.interventions
    )
    body = []
    for i, mech in enumerate(r.mechanisms):
        cells = [f"<th scope='row' style='text-align:left;padding:4px 10px'>{html.escape(mech)}</th>"]
        for j, what in enumerate(r.interventions):
            fold, nadir = float(r.fold[i, j]), float(r.nadir[i, j])
            text = f"<b>{_verdict(fold, nadir)}</b><br>{_fold_text(fold)}"
            if nadir < 0.5 * min(fold, 1.0):
                text += f" (lowest {_fold_text(nadir)})"
            note = r.notes.get((mech, what))
            if note:
                notes.append(note)
                text += f"<sup>{len(notes)}</sup>"
            cells.append(f"<td style='padding:4px 10px;vertical-align:top'>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = (
        "Size of a dormant lesion one year after each intervention, over its size on day 0 "
        "(1× = unchanged). Each row is one mechanism's model, started in its dormant state."
    )
    foot = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return widgets.HTML(
        f"<table style='border-collapse:collapse;font-size:{palette.FONT_TEXT}'>"
        f"<caption style='text-align:left;padding:4px'>{html.escape(caption)}</caption>"
        f"<thead><tr><th scope='col'>mechanism</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<p style='margin:0.4em 0 0.2em'>Notes: how each model met the intervention.</p><ol>{foot}</ol>"
    )
