"""Every lesson in JupyterLab, in headless Chromium: run all cells, move a slider, time the redraw.

A lesson without an explorer (the start page) is only run and checked for errors.
"""

from __future__ import annotations

import pytest
from pages import SIZES, resize, run_axe, scroll_to_top_of, serious

pytestmark = pytest.mark.browser

_JS_RUN_ALL = """async () => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.sessionContext.ready;
    await app.commands.execute('notebook:run-all-cells');
    return true;
}"""

_JS_ERRORS = """() => {
    const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
    const errors = [];
    let unrun = 0;
    for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        if (cell.sharedModel.getSource().trim() && cell.executionCount === null) unrun += 1;
        for (let j = 0; j < cell.outputs.length; j++) {
            const out = cell.outputs.get(j).toJSON();
            if (out.output_type === 'error') errors.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
        }
    }
    return {errors, unrun};
}"""


def open_and_run(page, base: str, name: str) -> None:
    page.goto(f"{base}lab/tree/lessons/{name}?reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
    )
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    page.evaluate(_JS_RUN_ALL)
    state = page.evaluate(_JS_ERRORS)
    assert not state["errors"], f"{name} raised in JupyterLab: {state['errors']}"
    assert state["unrun"] == 0, f"{name}: {state['unrun']} code cell(s) did not run"


#: what axe checks in JupyterLab: the lesson's outputs and text (JupyterLab's own interface is
#: not this package's to fix)
LESSON_PARTS = [[".jp-NotebookPanel .jp-OutputArea"], [".jp-NotebookPanel .jp-MarkdownOutput"]]


def look_at_it(page, lesson, ui, artifacts, axe_script) -> list[str]:
    """Screenshot at 1366×768 with the explorer at the top; axe on the lesson's parts."""
    width, height = SIZES["laptop"]
    resize(page, width, height)
    if ui is not None:
        scroll_to_top_of(ui.root)
    page.screenshot(path=str(artifacts / f"lab-{width}x{height}-{lesson.stem}.png"))
    return serious(run_axe(page, axe_script, f"lab: {lesson.stem}", LESSON_PARTS))


def test_lesson_runs_in_jupyterlab(page, lab, lesson, artifacts, explorer_ui, latency_report, axe_script):
    open_and_run(page, lab, lesson.name)
    if not lesson.explorers:
        bad = look_at_it(page, lesson, None, artifacts, axe_script)
        assert not bad, "axe in JupyterLab:\n" + "\n".join(bad)
        return
    ui = explorer_ui(page)
    paths, readout = ui.paths(), ui.readout()
    assert readout, "the readout is empty"
    assert not ui.message(), f"the explorer opened with a message: {ui.message()}"

    slider, key = ui.move_a_slider()
    assert ui.paths() != paths, "moving a slider did not change the plotted path"
    assert ui.readout() != readout, "moving a slider did not change the readout"
    assert not page.console_errors, page.console_errors

    samples = ui.latency(slider, key, repeats=10)
    latency_report[lesson.stem] = samples
    ms = ", ".join(f"{x:.0f}" for x in samples)
    print(f"{lesson.stem}: slider {slider} ({key}); latency ms: {ms}")
    bad = look_at_it(page, lesson, ui, artifacts, axe_script)
    assert not bad, "axe in JupyterLab:\n" + "\n".join(bad)
