"""Kernel-side latency of every explorer: one control change -> model run -> marks updated.

Widgets get a stand-in comm that serializes each state update to JSON (binary buffers
counted, not copied) the way the kernel would, so the time includes building the messages
that carry the new mark data to the browser. Every control of every explorer in
``dormancy_widgets.widgets.EXPLORERS`` is moved to random positions over its whole range (log
sliders sampled in exponent space), from the defaults and from every preset. Prints per
explorer the median and 95th percentile of the continuously updating controls (target 30 ms)
and of the controls that report on release (target 500 ms), with the machine's load average.
Asserts nothing (timings on a shared machine are noisy).

    python benchmarks/bench_explorers.py [ExplorerName ...]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
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


def _moves(widget, param, n):  # kept for other benchmarks
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


#: targets from issue 13: a continuously updating control must follow the pointer, a control
#: that reports on release must answer before the student looks away
LIVE_TARGET_MS = 30.0
RELEASE_TARGET_MS = 500.0


def _random_value(param, rng):
    """A random position of the control over its whole range, drawn in the slider's own space
    (the exponent for log sliders); categorical controls pick one of their choices."""
    if param.categorical:
        return param.choices[int(rng.integers(len(param.choices)))]
    if param.log:
        value = 10 ** rng.uniform(np.log10(param.low), np.log10(param.high))
    else:
        value = rng.uniform(param.low, param.high)
    return int(round(value)) if param.integer else float(value)


def _random_view_value(widget, rng):
    value = rng.uniform(widget.min, widget.max)
    return int(round(value)) if isinstance(widget.value, int) else float(value)


def _p95(times):
    if len(times) < 2:
        return times[0] if times else float("nan")
    return statistics.quantiles(times, n=20)[-1]


def measure(name: str, moves: int = 4, seed: int = 13) -> dict[str, float]:
    """Random full-range moves of every control, from the defaults and from every preset.

    Each move starts from the opening state (``reset`` or ``preset``) and jumps the control
    to a random position over its whole range; the time is from the control change to the
    updated marks with their messages serialized. Controls that update continuously and
    controls that report on release are counted apart (their targets differ).
    """
    import dormancy_widgets

    rng = np.random.default_rng(seed)
    explorer = getattr(dormancy_widgets, name)()
    model_cpu = [0.0]  # processor time inside the model call (``Explorer.run``)
    run = explorer.run

    def timed_run(params):
        c0 = time.process_time()
        try:
            return run(params)
        finally:
            model_cpu[0] += time.process_time() - c0

    explorer.run = timed_run
    live_model: list[float] = []
    live: list[float] = []
    release: list[float] = []
    live_cpu: list[float] = []  # processor time of the same moves: what the code costs,
    # whatever else the shared machine is running
    slowest = {"live": ("", 0.0), "release": ("", 0.0)}
    for start in [None, *explorer.model.PRESETS]:
        controls = [(n, w, explorer.model.PARAMS[n]) for n, w in explorer.controls.items()]
        controls += [(n, w, None) for n, w in explorer.view_controls.items() if hasattr(w, "min")]
        for pname, widget, param in controls:
            for _ in range(moves):
                explorer.reset() if start is None else explorer.preset(start)
                value = _random_value(param, rng) if param is not None else _random_view_value(widget, rng)
                # a dropdown changes on release of the choice; a slider per its continuous_update
                kind = "live" if getattr(widget, "continuous_update", False) else "release"
                model_cpu[0] = 0.0
                c0, t0 = time.process_time(), time.perf_counter()
                widget.value = value
                dt = (time.perf_counter() - t0) * 1e3
                (live if kind == "live" else release).append(dt)
                if kind == "live":
                    live_cpu.append((time.process_time() - c0) * 1e3)
                    live_model.append(model_cpu[0] * 1e3)
                if dt > slowest[kind][1]:
                    slowest[kind] = (f"{pname}@{start or 'defaults'}", dt)
    explorer.reset()
    return {
        "live_n": len(live),
        "live_median_ms": statistics.median(live) if live else float("nan"),
        "live_p95_ms": _p95(live),
        "live_cpu_p95_ms": _p95(live_cpu),
        "live_model_share": sum(live_model) / sum(live_cpu) if sum(live_cpu) > 0 else float("nan"),
        "release_n": len(release),
        "release_median_ms": statistics.median(release) if release else float("nan"),
        "release_p95_ms": _p95(release),
        "slowest_live": slowest["live"][0],
        "slowest_live_ms": slowest["live"][1],
        "slowest_release": slowest["release"][0],
        "slowest_release_ms": slowest["release"][1],
    }


def _load() -> str:
    try:
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def main(names=None) -> dict[str, dict[str, float]]:
    comm.create_comm = lambda *a, **k: _SerializingComm()
    from dormancy_widgets.widgets import EXPLORERS

    out = {}
    print("Explorer latency, kernel side: control change -> model run -> marks updated -> messages")
    print("serialized. Random full-range moves (log sliders in exponent space) of every control,")
    print(f"from the defaults and from every preset; {os.cpu_count()} cores, {_load()}.")
    print(
        f"{'explorer':26s} {'live n':>6s} {'median':>8s} {'p95':>8s} {'target':>7s}  "
        f"{'on-release n':>12s} {'median':>8s} {'p95':>8s} {'target':>7s}  "
        f"{'live CPU p95':>12s} {'model':>5s}  slowest live move"
    )
    for name in names or EXPLORERS:
        r = measure(name)
        out[name] = r

        def flag(p95, target):
            return "ok" if p95 <= target else "OVER"

        live = (
            f"{r['live_n']:6d} {r['live_median_ms']:6.1f}ms {r['live_p95_ms']:6.1f}ms "
            f"{LIVE_TARGET_MS:4.0f}ms {flag(r['live_p95_ms'], LIVE_TARGET_MS):4s}"
            if r["live_n"]
            else f"{0:6d} {'-':>8s} {'-':>8s} {LIVE_TARGET_MS:4.0f}ms     "
        )
        rel = (
            f"{r['release_n']:12d} {r['release_median_ms']:6.1f}ms {r['release_p95_ms']:6.1f}ms "
            f"{RELEASE_TARGET_MS:5.0f}ms {flag(r['release_p95_ms'], RELEASE_TARGET_MS):4s}"
            if r["release_n"]
            else f"{0:12d} {'-':>8s} {'-':>8s} {RELEASE_TARGET_MS:5.0f}ms     "
        )
        cpu = (
            f"{r['live_cpu_p95_ms']:10.1f}ms {r['live_model_share']:5.0%}  "
            f"{r['slowest_live']} ({r['slowest_live_ms']:.0f} ms)"
            if r["live_n"]
            else f"{'-':>12s} {'-':>5s}  (no control updates while dragged)"
        )
        print(f"{name:26s} {live} {rel} {cpu}", flush=True)
    print(f"after: {_load()}")
    print("live CPU p95: processor time of the live moves (wall time minus waiting for a shared core);")
    print("model: the share of that processor time spent in the model call (the rest: marks, text, messages)")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
