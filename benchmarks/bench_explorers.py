"""Kernel-side latency of every explorer: one control change -> model run -> marks updated.

Widgets get a stand-in comm that serializes each state update to JSON (binary buffers
counted, not copied) the way the kernel would, so the time includes building the messages
that carry the new mark data to the browser. Prints median and 95th percentile per
explorer; asserts nothing (timings on a shared machine are noisy).

    python benchmarks/bench_explorers.py
"""

from __future__ import annotations

import json
import statistics
import time
import warnings

import comm
import numpy as np

warnings.filterwarnings("ignore", category=DeprecationWarning)


class _SerializingComm:
    comm_id = "bench"
    kernel = "bench"

    def __init__(self, *args, **kwargs):
        self.bytes = 0

    def open(self, *args, **kwargs):
        pass

    def on_msg(self, *args, **kwargs):
        pass

    def close(self, *args, **kwargs):
        pass

    def send(self, data=None, buffers=None, **kwargs):
        self.bytes += len(json.dumps(data, default=str))
        self.bytes += sum(memoryview(b).nbytes for b in buffers or ())


def _moves(widget, param, n):
    if param.categorical:
        return [param.choices[i % len(param.choices)] for i in range(1, n + 1)]
    if param.log:
        grid = np.logspace(np.log10(param.low), np.log10(param.high), n)
    else:
        grid = np.linspace(param.low, param.high, n)
    if param.integer:
        grid = np.round(grid)
    return list(grid)


def _nudges(widget, param, n):
    """n small drags from the current value: 1% of the slider's range each, in the open direction."""
    if param.log:
        lo, hi, v = np.log10(param.low), np.log10(param.high), np.log10(widget.value)
        sign = 1 if v + n * 0.01 * (hi - lo) <= hi else -1
        out = [10 ** (v + sign * (k + 1) * 0.01 * (hi - lo)) for k in range(n)]
    else:
        lo, hi, v = param.low, param.high, widget.value
        sign = 1 if v + n * 0.01 * (hi - lo) <= hi else -1
        out = [v + sign * (k + 1) * 0.01 * (hi - lo) for k in range(n)]
    return [round(x) for x in out] if param.integer else out


def measure(name: str, moves_per_control: int = 12) -> dict[str, float]:
    import dormancy_widgets

    explorer = getattr(dormancy_widgets, name)()
    times = []
    slowest = ("", 0.0)
    for pname, widget in explorer.controls.items():
        param = explorer.model.PARAMS[pname]
        start_value = widget.value
        for value in _moves(widget, param, moves_per_control):
            t0 = time.perf_counter()
            widget.value = value
            dt = (time.perf_counter() - t0) * 1e3
            times.append(dt)
            if dt > slowest[1]:
                slowest = (pname, dt)
        widget.value = start_value
    # the latency that matters most: dragging a slider a little, from where the explorer
    # opens (defaults) and from every preset a lesson may open on
    drag_times = []
    for start in [None, *explorer.model.PRESETS]:
        for pname, widget in explorer.controls.items():
            param = explorer.model.PARAMS[pname]
            if param.categorical:
                continue  # dropdowns do not drag
            explorer.reset() if start is None else explorer.preset(start)
            if not widget.continuous_update:
                continue  # controls that report only on release do not run during a drag
            for value in _nudges(widget, param, 4):
                t0 = time.perf_counter()
                widget.value = value
                drag_times.append((time.perf_counter() - t0) * 1e3)
    q = statistics.quantiles(times, n=20)
    qd = statistics.quantiles(drag_times, n=20)
    return {
        "median_ms": statistics.median(times),
        "p95_ms": q[-1],
        "default_median_ms": statistics.median(drag_times),
        "default_p95_ms": qd[-1],
        "updates": len(times),
        "slowest_control": slowest[0],
        "slowest_ms": slowest[1],
    }


def main() -> dict[str, dict[str, float]]:
    comm.create_comm = lambda *a, **k: _SerializingComm()
    from dormancy_widgets.widgets import EXPLORERS

    out = {}
    print("Explorer latency (kernel side: model run + mark update + message serialization)")
    print("sweep: every control across its whole range; dragging: 1% nudges of every continuous")
    print("control from the defaults and from each preset (controls that report on release excluded)")
    print(
        f"{'explorer':28s} {'updates':>7s} {'median':>8s} {'p95':>8s}  "
        f"{'dragging: median':>20s} {'p95':>7s}  slowest in sweep"
    )
    for name in EXPLORERS:
        r = measure(name)
        out[name] = r
        print(
            f"{name:28s} {r['updates']:7d} {r['median_ms']:7.1f}ms {r['p95_ms']:7.1f}ms  "
            f"{r['default_median_ms']:19.1f}ms {r['default_p95_ms']:6.1f}ms  "
            f"{r['slowest_control']} ({r['slowest_ms']:.0f} ms)"
        )
    return out


if __name__ == "__main__":
    main()
