"""The lattice lesion (``models.spatial``): time per simulated day and per 120-day run, and
the same rules written as a straightforward per-cell Python loop, timed on one day.

    python benchmarks/bench_spatial.py

The loop reference does what one step of ``simulate`` does, site by site: relaxation sweeps
of the oxygen field (the same number of sweeps the vectorized step took), the state of each
tumour cell from its oxygen, deaths, and divisions that push a run of cells along a row or a
column to the first free site within ``PUSH`` sites, over the same window around the lesion
as the vectorized step (the hole closing and sprouting are left out, which favours the
loop), and once more over the whole lattice. Prints the times and their ratios (target: at
least 100x). Never asserts.
"""

from __future__ import annotations

import math
import time

import numpy as np

from dormancy_widgets.models import spatial as sp

DAYS = 120
#: relaxation sweeps the loop does per day: about what a warm-started vectorized step takes
SWEEPS = 12


def loop_step(
    g: list[list[int]], c: list[list[float]], sweeps: int, rng: np.random.Generator, box: tuple[slice, slice]
) -> None:
    """One day of the lattice rules, one site at a time (no numpy arrays in the inner loops),
    over the same window around the lesion that the vectorized step works on."""
    n = len(g)
    rows = range(box[0].start + 1, box[0].stop - 1)
    cols = range(box[1].start + 1, box[1].stop - 1)
    lam = 150.0 / math.log(1 / sp.C_ANOXIC)
    k_cell = (sp.DX / lam) ** 2
    k_tissue = (sp.DX / (sp.TISSUE_RATIO * lam)) ** 2
    for _ in range(sweeps):
        for colour in (0, 1):
            for i in rows:
                for j in cols:
                    if (i + j) % 2 != colour or g[i][j] == sp.VESSEL:
                        continue
                    s = g[i][j]
                    h2k = k_cell if s in (1, 2) else (k_tissue if s == 0 else 0.0)
                    nb = c[i - 1][j] + c[(i + 1) % n][j] + c[i][j - 1] + c[i][(j + 1) % n]
                    c[i][j] += sp.OMEGA * (nb / (4 + h2k) - c[i][j])
    p_div = 1 - math.exp(-0.8)
    p_apo = 1 - math.exp(-0.1)
    moves = ((0, 1), (0, -1), (1, 0), (-1, 0))
    for i in rows:
        for j in cols:
            s = g[i][j]
            if s in (1, 2):
                g[i][j] = 3 if c[i][j] < sp.C_ANOXIC else (2 if c[i][j] < sp.C_HYPOXIC else 1)
                if rng.random() < p_apo:
                    g[i][j] = 0
    for i in rows:
        for j in cols:
            if g[i][j] != 1 or rng.random() >= p_div:
                continue
            di, dj = moves[int(rng.integers(4))]
            # walk to the first free site, then shift the run one along
            a, b = i + di, j + dj
            path = []
            while 0 <= a < n and 0 <= b < n and g[a][b] != 0 and len(path) < sp.PUSH:
                path.append((a, b))
                a, b = a + di, b + dj
            if not (0 <= a < n and 0 <= b < n) or g[a][b] != 0:
                continue
            for pa, pb in reversed(path):
                g[pa + di][pb + dj] = g[pa][pb]
            g[i + di][j + dj] = 1


def main() -> None:
    t = np.arange(0.0, DAYS + 1.0)
    sp.simulate(np.arange(0.0, 3.0), seed=0)  # warm up
    runs = []
    for seed in range(3):
        start = time.perf_counter()
        r = sp.simulate(t, seed=seed, **sp.PRESETS["switch"].values)
        runs.append(time.perf_counter() - start)
    run_s = float(np.median(runs))
    per_day_ms = run_s / DAYS * 1e3
    print(f"vectorized: {DAYS}-day run on {sp.SIDE}x{sp.SIDE}: {run_s:.2f} s (median of 3; target <= 2.5 s)")
    print(f"vectorized: one simulated day: {per_day_ms:.1f} ms (target <= 20 ms)")
    print(f"  final diameter {r.diameter_mm[-1]:.2f} mm, switched on day {r.t_switch}")

    # one day of the loop, on the lattice of day 60 of a vectorized run
    r = sp.simulate(np.arange(0.0, 61.0), seed=1)
    g0 = r.grid[-1]
    c0, _ = sp.oxygen_field(g0, d_O2=150.0, tol=1e-6, max_sweeps=2000)
    box = sp._box(g0[None], sp.OXYGEN_MARGIN)
    sweeps = SWEEPS
    start = time.perf_counter()
    sp.simulate(np.arange(0.0, 2.0), seed=2)  # two days: includes setup, a fair upper bound
    vec_day = (time.perf_counter() - start) / 1.0
    g = g0.tolist()
    c = c0.tolist()
    start = time.perf_counter()
    loop_step(g, c, sweeps, np.random.default_rng(3), box)
    loop_day = time.perf_counter() - start
    print(f"per-cell Python loop: one day ({sweeps} sweeps, same window): {loop_day * 1e3:.0f} ms")
    print(f"ratio loop / vectorized (one day): {loop_day / (per_day_ms / 1e3):.0f}x (target >= 100x)")
    whole = (slice(0, sp.SIDE), slice(0, sp.SIDE))
    g, c = g0.tolist(), c0.tolist()
    start = time.perf_counter()
    loop_step(g, c, sweeps, np.random.default_rng(3), whole)
    loop_all = time.perf_counter() - start
    print(
        f"per-cell loop over the whole lattice: {loop_all * 1e3:.0f} ms, "
        f"ratio {loop_all / (per_day_ms / 1e3):.0f}x (a loop without the window)"
    )
    print(
        f"  (vectorized day inside a full run: {per_day_ms:.1f} ms; "
        f"a 1-day call with setup: {vec_day * 1e3:.0f} ms)"
    )


if __name__ == "__main__":
    main()
