"""Peak memory of every model at its largest settings (a Binder user has 1-2 GB).

For each mechanism, one ``simulate`` call over its default times with every whole-number
parameter (cell counts, lesions, doses) at the top of its range, and the same over a
horizon four times longer; for stochastic models also a batch of 20 such runs (one seed,
the size a "run again" comparison might ask for); for the cascade and niche models also one
run whose every cell founds a lesion that never shrinks (``_MOST_LESIONS``). Each case runs
in a fresh Python process, so that two numbers are clean:

* ``tracemalloc``: the peak of memory allocated by Python and numpy during the call;
* ``RSS``: the process's peak resident memory (``ru_maxrss``) minus what it held before the
  call (the interpreter, numpy and the package).

Target (issue 13): one explorer update at the largest settings under about 300 MB. Prints a
table, never asserts: ``python benchmarks/bench_memory.py [model ...]`` (all models when none
is named).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

TARGET_MB = 300.0

_CHILD = r"""
import json, resource, sys, tracemalloc
import numpy as np
from dormancy_widgets.models import mechanism

name, horizon, batch, extra = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
model = mechanism(name)
t = np.asarray(model.DEFAULT_T, dtype=float)
t = t[0] + (t - t[0]) * horizon
values = {}
for key, p in model.PARAMS.items():
    if not p.categorical and p.integer:
        values[key] = p.high
values.update(extra)
if batch > 1 and values:
    first = next(iter(values))
    values[first] = np.full(batch, values[first])
elif batch > 1:
    key, p = next((k, p) for k, p in model.PARAMS.items() if not p.categorical)
    values[key] = np.full(batch, p.default)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
model.simulate(t, seed=1, **values)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"traced_mb": peak / 2**20, "rss_mb": (after - before) / 1024, "settings": {
    k: (float(np.ravel(v)[0]) if not isinstance(v, str) else v) for k, v in values.items()}}))
"""


#: settings that found the most lesions, on top of the largest counts (for the models whose
#: memory follows the lesions): every injected cell leaves the vessel at once and starts a
#: lesion that never loses a cell
_MOST_LESIONS: dict[str, dict[str, Any]] = {
    "cascade": {"k_m": 10.0, "k_w": 1.0, "b": 3.0, "d": 0.0, "k_ex": 20.0, "mu_v": 0.001},
    "niche": {"arrest": 1.0, "k_m": 10.0, "k_w": 1.0, "b": 3.0, "d": 0.0, "k_ex": 20.0, "mu_v": 0.001},
}


def measure(name: str, horizon: float, batch: int, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, name, str(horizon), str(batch), json.dumps(extra or {})],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(names: list[str] | None = None) -> dict[str, Any]:
    from dormancy_widgets.models import MECHANISMS, mechanism

    print(f"Peak memory per model at its largest settings (target: one update under {TARGET_MB:.0f} MB)")
    print(f"{'model':14s} {'case':22s} {'tracemalloc MB':>15s} {'RSS MB':>8s}  settings")
    out: dict[str, Any] = {}
    for name in names or MECHANISMS:
        model = mechanism(name)
        cases: list[tuple[str, float, int, dict[str, Any]]] = [
            ("default times", 1.0, 1, {}),
            ("4x horizon", 4.0, 1, {}),
        ]
        if model.STOCHASTIC:
            cases.append(("batch of 20, 4x horizon", 4.0, 20, {}))
        if name in _MOST_LESIONS:
            cases.append(("most lesions", 1.0, 1, _MOST_LESIONS[name]))
        for label, horizon, batch, extra in cases:
            r = out[f"{name}/{label}"] = measure(name, horizon, batch, extra)
            if "error" in r:
                print(f"{name:14s} {label:22s} failed: {r['error']}")
                continue
            flag = "" if batch > 1 or r["rss_mb"] <= TARGET_MB else "  over target"
            settings = ", ".join(f"{k}={v:g}" for k, v in r["settings"].items()) or "defaults"
            print(f"{name:14s} {label:22s} {r['traced_mb']:15.1f} {r['rss_mb']:8.1f}  {settings}{flag}")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
