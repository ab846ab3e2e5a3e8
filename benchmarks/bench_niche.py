"""Kernel-side latency of the NicheExplorer at its default settings, and what a run costs.

Small drags (1% of a slider's range) of every continuous control from the defaults, each
timed from the control change to the updated marks, with every state message serialized as
the kernel would (the stand-in comm of ``bench_explorers``). Prints the median and the 95th
percentile against the 30 ms target, and the model alone for comparison. Asserts nothing.

    python benchmarks/bench_niche.py
"""

from __future__ import annotations

import importlib.util
import statistics
import time
import warnings
from pathlib import Path

import comm
import numpy as np

warnings.filterwarnings("ignore", category=DeprecationWarning)

TARGET_MS = 30.0
NUDGES = 6  # per control


def _bench_explorers():
    path = Path(__file__).resolve().parent / "bench_explorers.py"
    spec = importlib.util.spec_from_file_location("bench_explorers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> dict[str, float]:
    helper = _bench_explorers()
    comm.create_comm = lambda *a, **k: helper._SerializingComm()
    from dormancy_widgets import NicheExplorer
    from dormancy_widgets.models import niche

    explorer = NicheExplorer()
    times = []
    for name, widget in explorer.controls.items():
        param = niche.PARAMS[name]
        if param.categorical or not widget.continuous_update:
            continue
        for value in helper._nudges(widget, param, NUDGES):
            explorer.reset()
            t0 = time.perf_counter()
            widget.value = value
            times.append((time.perf_counter() - t0) * 1e3)
    explorer.reset()
    model = []
    for k in range(40):
        t0 = time.perf_counter()
        niche.simulate(explorer.t, seed=k)
        model.append((time.perf_counter() - t0) * 1e3)
    p95 = statistics.quantiles(times, n=20)[-1]
    out = {
        "updates": len(times),
        "median_ms": statistics.median(times),
        "p95_ms": p95,
        "model_median_ms": statistics.median(model),
        "ratio_to_target": p95 / TARGET_MS,
    }
    print("NicheExplorer at default settings: 1% drags of every continuous control")
    print(
        f"  {out['updates']} updates: median {out['median_ms']:.1f} ms, p95 {p95:.1f} ms "
        f"(target {TARGET_MS:.0f} ms: p95/target = {out['ratio_to_target']:.2f}); "
        f"the model alone: median {out['model_median_ms']:.1f} ms for {len(explorer.t)} output times "
        f"and {int(np.asarray(explorer.params['n_cells']))} cells"
    )
    return out


if __name__ == "__main__":
    main()
