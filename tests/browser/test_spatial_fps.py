"""Lesson 09's lattice animates in a real browser: frames per second while playing, measured
in the page with ``performance.now()`` (printed, never asserted), and a screenshot at
1024 × 768 (a classroom projector) in the artifacts folder.

    pytest tests/browser/test_spatial_fps.py -s -p no:cacheprovider
"""

from __future__ import annotations

import pytest

LESSON = "09_angiogenic_switch.ipynb"

#: records the time of every new lattice picture (a changed source, or a replaced image element)
_JS_WATCH = """() => {
    const fig = document.querySelector('.dw-explorer .dw-lattice');
    const src = () => {
        const i = fig.querySelector('image');
        return i ? (i.getAttribute('href') || i.getAttribute('xlink:href') || '') : '';
    };
    window.__dwFrames = [];
    let last = src();
    const obs = new MutationObserver(() => {
        const now = src();
        if (now !== last) { last = now; window.__dwFrames.push(performance.now()); }
    });
    obs.observe(fig, {subtree: true, childList: true, attributes: true});
    window.__dwFramesObs = obs;
}"""


@pytest.mark.browser
def test_lattice_animates_and_prints_frames_per_second(page, voila_app, artifacts):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{voila_app}voila/render/{LESSON}", wait_until="commit")
    page.wait_for_function(
        "() => { const i = document.querySelector('.dw-explorer .dw-lattice image');"
        " return i && (i.getAttribute('href') || i.getAttribute('xlink:href') || '').length > 0; }",
        timeout=180_000,
    )
    explorer = page.locator(".dw-explorer").first
    explorer.scroll_into_view_if_needed()
    page.wait_for_timeout(1_000)
    page.screenshot(path=str(artifacts / "voila-09_angiogenic_switch-1024x768.png"))

    # rewind to day 0 with the day slider (Home key), then press play and count frames
    handle = explorer.locator(".widget-slider .noUi-handle").first
    handle.focus()
    handle.press("Home")
    page.wait_for_timeout(1_500)
    page.evaluate(_JS_WATCH)
    explorer.locator(".widget-play button").first.click()
    page.wait_for_timeout(5_000)
    frames = page.evaluate("() => window.__dwFrames")
    assert len(frames) > 1, "the lattice image never changed while playing"
    span_s = (frames[-1] - frames[0]) / 1000.0
    fps = (len(frames) - 1) / span_s if span_s > 0 else float("nan")
    print(f"\nlesson 09 lattice while playing: {len(frames)} frames in {span_s:.2f} s = {fps:.1f} frames/s")
    explorer.screenshot(path=str(artifacts / "voila-09_angiogenic_switch-playing.png"))
    assert not page.console_errors, page.console_errors
