"""A small class in the served app: three students on preheated kernels, no page fails.

Runs ``benchmarks/bench_classroom.py`` with N = 3 against ``dormancy-widgets app --pool 3``
(the room set-up docs/deploying.md recommends): every page draws its explorer and redraws
on every slider press. One of the three opens a deep link (``?preset=NAME``), which must
still apply although its kernel ran the lesson before the page was requested. Timings are
printed by the benchmark, never asserted here.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from argparse import Namespace
from pathlib import Path
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
LESSON = "01_below_detection.ipynb"
LINKED = "speer1984_plateau"  # pauses growth at day 365 for 1095 days (the sliders show it)


def bench():
    pytest.importorskip("psutil")
    spec = importlib.util.spec_from_file_location(
        "bench_classroom", REPO / "benchmarks" / "bench_classroom.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_classroom", module)
    spec.loader.exec_module(module)
    return module


def linked_preset() -> str:
    """A preset of lesson 01's explorer that moves sliders away from its opening settings."""
    from dormancy_widgets.widgets import GrowthExplorer

    if LINKED not in GrowthExplorer.model.PRESETS:
        pytest.skip(f"lesson 01's explorer has no preset {LINKED}")
    return LINKED


def test_three_students_on_preheated_kernels(artifacts):
    b = bench()
    preset = linked_preset()
    args = Namespace(per_browser=3, page_timeout=90.0, move_timeout=15.0, moves=3, spread=1.0)
    app = b.App(["--pool", "3", "--pool-for", LESSON[:2]], artifacts / "classroom-smoke.log")
    try:
        app.wait_for_pool(3, timeout=90.0)
        base = f"{app.url}voila/render/{LESSON}"
        urls = [f"{base}?{urlencode({'preset': preset})}", base, base]
        students = asyncio.run(asyncio.wait_for(b._class(urls, args), 150))
        log = app.log_path
    finally:
        app.stop()
    failed = {s.i: s.failed for s in students if s.failed}
    assert not failed, f"pages failed: {failed}; server log: {log}"
    assert all(len(s.moves) == args.moves for s in students)
    text = log.read_text(errors="replace")
    assert text.count("Using pre-heated kernel") == 3, "the pages did not get the preheated kernels"
    linked, plain = students[0], students[1]
    assert not linked.message, linked.message
    assert any(v.startswith("365") for v in linked.values), (preset, linked.values)
    assert not any(v.startswith("365") for v in plain.values), plain.values
