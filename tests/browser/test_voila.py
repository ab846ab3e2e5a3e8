"""The code-free app (``dormancy-widgets app``, Voila) and its deep links, in headless Chromium.

For every lesson that opens an explorer with ``lesson.explore``: the page renders; a good
link (``?preset=NAME``) opens another scenario (plot and readout differ from the lesson's
own settings, no message);
a bad link (an unknown setting and an out-of-range value) shows a readable message while
the explorer still renders on the lesson's own settings. The same link also works through
the Jupyter server's Voila extension, i.e. Binder's ``urlpath=voila/render/lessons/NAME.ipynb?...``.
"""

from __future__ import annotations

import importlib
import math
from urllib.parse import urlencode

import pytest

from dormancy_widgets.widgets import EXPLORERS

pytestmark = pytest.mark.browser


def explorer_model(cls_name: str):
    module = importlib.import_module(f"dormancy_widgets.widgets.{EXPLORERS[cls_name]}")
    return getattr(module, cls_name).model


def good_query(lesson) -> dict[str, str]:
    """A preset of the lesson's first explorer other than the one the lesson opens on."""
    model = explorer_model(lesson.linked[0])
    own = {name: p.default for name, p in model.PARAMS.items()}
    if lesson.preset in model.PRESETS:
        own.update(model.PRESETS[lesson.preset].values)
    for name, preset in model.PRESETS.items():
        if name != lesson.preset and {**own, **preset.values} != own:
            return {"preset": name}
    pytest.skip(f"{lesson.linked[0]} has no second preset to link to")


def bad_query(lesson) -> dict[str, str]:
    """An out-of-range value of the first numeric parameter, and a setting that does not exist."""
    model = explorer_model(lesson.linked[0])
    p = next(p for p in model.PARAMS.values() if not p.categorical)
    value = -5.0 if p.low > -5 else (p.high + abs(p.high) + 1 if math.isfinite(p.high) else float("nan"))
    return {p.name: f"{value:g}", "bogus": "1"}


def render_all(page, urls: list[str], explorer_ui) -> list:
    """Open the URLs in tabs at once (Voila runs a kernel for each) and wait for every explorer."""
    pages = [page] + [explorer_ui.watch_errors(page.context.new_page()) for _ in urls[1:]]
    for pg, url in zip(pages, urls):
        pg.goto(url, wait_until="commit")
    return [explorer_ui(pg) for pg in pages]


def test_app_deep_links(page, voila_app, linked_lesson, explorer_ui, artifacts, latency_report):
    lesson = linked_lesson
    base = f"{voila_app}voila/render/{lesson.name}"
    good, bad = good_query(lesson), bad_query(lesson)
    default, linked, broken = render_all(
        page, [base, f"{base}?{urlencode(good)}", f"{base}?{urlencode(bad)}"], explorer_ui
    )

    paths, readout = default.paths(), default.readout()
    assert readout and not default.message(), default.message()
    if lesson.preset:  # rendering must not nudge the preset's values (e.g. onto a slider's grid)
        assert "Modified" not in default.citation(), (
            f"{lesson.preset} changed on rendering: {default.citation()}"
        )
    default.root.screenshot(path=str(artifacts / f"voila-{lesson.stem}.png"))

    link = f"?{urlencode(good)}"
    assert not linked.message(), f"a good link ({link}) showed: {linked.message()}"
    citation = linked.citation()
    assert good["preset"] in citation and "Modified" not in citation, citation
    assert linked.readout() != readout, f"{link} did not change the readout"
    assert linked.paths() != paths, f"{link} did not change the plot"

    link = f"?{urlencode(bad)}"
    message = broken.message()
    assert "could not all be used" in message, f"{link} gave no readable message: {message!r}"
    for name in bad:
        assert name in message, f"the message does not name {name!r}: {message!r}"
    assert "Traceback" not in broken.page.content()
    # the explorer still renders, on the lesson's own settings
    assert broken.readout() == readout
    assert broken.paths() == paths
    broken.root.screenshot(path=str(artifacts / f"voila-{lesson.stem}-bad-link.png"))
    for ui in (default, linked, broken):
        assert not ui.page.console_errors, ui.page.console_errors

    # the app's own slider-to-redraw latency, as a teacher's audience sees it (printed, not asserted);
    # only in the front tab: Chromium throttles timers and animation frames in background tabs
    linked.page.close()
    broken.page.close()
    default.page.bring_to_front()
    slider, key = default.move_a_slider()
    latency_report[f"app: {lesson.stem}"] = default.latency(slider, key, repeats=10)


def test_binder_style_voila_link(page, lab, lesson_list, explorer_ui):
    """``voila/render/lessons/NAME.ipynb?preset=...`` on the Jupyter server (Binder's urlpath)."""
    lessons = [x for x in lesson_list if x.linked]
    if not lessons:
        pytest.skip("no lesson opens an explorer with lesson.explore")
    lesson = lessons[0]
    good = good_query(lesson)
    base = f"{lab}voila/render/lessons/{lesson.name}"
    default, ui = render_all(page, [base, f"{base}?{urlencode(good)}"], explorer_ui)
    readout = default.readout()
    assert not ui.message(), ui.message()
    link = f"?{urlencode(good)}"
    assert ui.readout() != readout, f"{link} did not reach the kernel through the server extension"
