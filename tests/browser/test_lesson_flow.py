"""A student's path through lesson 01 in a real browser, in the Voila app and in JupyterLab.

Lock in a numeric prediction, compare it with the model and save a reconciliation; check a
challenge (directional feedback), ask for the solution, apply it and see the goal met; then
download the lab record through its ``data:`` link and read it back. No code is typed.
"""

from __future__ import annotations

import base64
import json

import pytest

from dormancy_widgets.lesson import LabRecord

pytestmark = pytest.mark.browser

LESSON = "01_below_detection.ipynb"


def _button(root, label: str):
    return root.locator("button", has_text=label).first


def _wait_text(page, root, text: str, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "([el, text]) => el.innerText.includes(text)", arg=[root.element_handle(), text], timeout=timeout
    )


def walk_the_lesson(page, artifacts, name: str) -> None:
    page.set_viewport_size({"width": 1024, "height": 768})
    page.locator(".dw-explorer .bqplot").first.wait_for(timeout=90_000)

    predict = page.locator(".dw-predict").first
    predict.scroll_into_view_if_needed()
    predict.locator("input").first.fill("13 years")
    _button(predict, "Lock in my prediction").click()
    _wait_text(page, predict, "Recorded")

    reveal = page.locator(".dw-reveal").first
    reveal.scroll_into_view_if_needed()
    _button(reveal, "Compare with the model").click()
    _wait_text(page, reveal, "They differ")
    assert "4.35 years" in reveal.inner_text() and "about 3× too high" in reveal.inner_text()
    reveal.locator("textarea").fill("Growth slows, but not that much.")
    _button(reveal, "Save my explanation").click()
    _wait_text(page, reveal, "Saved to your lab record")
    reveal.screenshot(path=str(artifacts / f"{name}-reveal.png"))

    challenge = page.locator(".dw-challenge").first
    challenge.scroll_into_view_if_needed()
    _button(challenge, "Check my settings").click()
    _wait_text(page, challenge, "Not yet")
    assert "too early" in challenge.inner_text() and "50" not in challenge.inner_text()
    _button(challenge, "Show a solution").click()
    _wait_text(page, challenge, "One solution")
    _button(challenge, "Apply this solution").click()
    _wait_text(page, challenge, "Applied")
    _button(challenge, "Check my settings").click()
    _wait_text(page, challenge, "Goal met")
    challenge.screenshot(path=str(artifacts / f"{name}-challenge.png"))
    page.screenshot(path=str(artifacts / f"{name}-1024x768.png"))

    record = page.locator(".dw-record").first
    record.scroll_into_view_if_needed()
    _wait_text(page, record, "1 prediction, 1 comparison, 2 challenge attempts")
    link = record.locator("a[download$='.json']").first
    href = link.get_attribute("href")
    assert href.startswith("data:application/json;charset=utf-8;base64,")
    rec = LabRecord.from_json(base64.b64decode(href.split(",", 1)[1]).decode("utf-8"))
    with page.expect_download() as download:
        link.click()
    saved = LabRecord.from_json(open(download.value.path(), encoding="utf-8").read())
    assert saved == rec and download.value.suggested_filename == "lab-record-lesson01.json"
    kinds = [e["kind"] for e in rec.entries]
    assert kinds.count("prediction") == 1 and kinds.count("reveal") == 1
    assert [e.get("met") for e in rec.of("challenge") if "met" in e] == [False, True]
    assert rec.of("reveal")[0]["reconciliation"] == "Growth slows, but not that much."
    _button(record, "Show my record here").click()
    _wait_text(page, record, "Predictions and what the model did")
    assert json.loads(rec.to_json())["lesson"] == "01"
    assert not page.console_errors, page.console_errors


def test_lesson_flow_in_voila(page, voila_app, artifacts):
    page.goto(f"{voila_app}voila/render/{LESSON}")
    walk_the_lesson(page, artifacts, "voila-flow-01")
    # an app view shows no code: the student never sees an answer in a cell
    assert page.locator(".jp-InputArea-editor, .CodeMirror, .cm-editor").count() == 0


def test_lesson_flow_in_jupyterlab(page, lab, artifacts):
    page.goto(f"{lab}lab/tree/lessons/{LESSON}?reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
    )
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    page.evaluate(
        "async () => { const app = window.jupyterapp; await app.shell.currentWidget.sessionContext.ready;"
        " await app.commands.execute('notebook:run-all-cells'); }"
    )
    walk_the_lesson(page, artifacts, "lab-flow-01")
