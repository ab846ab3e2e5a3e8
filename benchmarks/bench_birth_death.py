"""Exact batched birth-death sampling (``solvers.birth_death``) against a stochastic simulation
algorithm (GillesPy2's ``NumPySSASolver``) on the same linear birth-death process.

    python benchmarks/bench_birth_death.py

The process: lesions of ``N0`` cells whose cells divide at rate ``b`` and die at rate ``d``
per day, followed for ten years with weekly outputs. Division and death balance (``b = d``),
as in a dormant micrometastasis whose proliferation is matched by apoptosis (Holmgren 1995,
Nat Med 1:149), so lesions stay small on average and the event-by-event simulation
finishes. Prints the time per trajectory of each and their ratio, and compares the
final-time distributions (mean, variance, extinct fraction) with each other and with the
exact values. Never asserts.

Why the ratio is large: an event-by-event simulation pays for every division and death
(here about (b + d) · N0 · 3654 days = 36,500 events per lesion), the exact sampler only for
each weekly output of each lesion still alive.

If GillesPy2 is not installed, a plain-numpy Gillespie direct method written below stands in
for it (and the output says so). The package's own event-by-event sampler,
``solvers.gillespie`` (batched: every lesion one event per pass), runs the same process on
``N_BATCHED`` lesions as well: its time per trajectory and its final-time statistics are
printed beside the others.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from dormancy_widgets.models import solvers

N0 = 50
B = 0.1  # divisions per cell per day
D = 0.1  # deaths per cell per day: balanced, so the mean size stays N0
WEEKS = 522  # ten years of weekly outputs (3654 days)
T = 7.0 * np.arange(WEEKS + 1)
N_LESIONS = 10_000  # lesions sampled by solvers.birth_death
N_SSA = 40  # SSA trajectories, timed and then compared
#: trajectories of the batched SSA: one pass per event of the busiest lesion, so a pass's
#: fixed cost is shared by every lesion of the batch
N_BATCHED = 200


def exact_final() -> dict[str, float]:
    """Mean, variance and extinct fraction at the last time (Kendall 1948; Bailey 1964)."""
    r, t = B - D, float(T[-1])
    growth = math.exp(r * t)
    phi = t if r == 0 else math.expm1(r * t) / r  # (e^(rt) - 1) / r, which is t when b = d
    alpha = D * phi / (1.0 + B * phi)  # one cell's lineage extinct by t
    var = N0 * (B + D) * growth * phi  # = N0 (b+d)/(b-d) e^(rt) (e^(rt) - 1); 2 N0 b t if b = d
    return {"mean": N0 * growth, "var": var, "extinct": alpha**N0}


def stats(x: np.ndarray) -> dict[str, float]:
    x = np.asarray(x, dtype=float)
    return {"mean": float(x.mean()), "var": float(x.var(ddof=1)), "extinct": float((x == 0).mean())}


def ssa_gillespy2(n: int, seed: int) -> np.ndarray:
    """Final-time counts of ``n`` trajectories from GillesPy2's NumPySSASolver."""
    import gillespy2

    model = gillespy2.Model(name="linear_birth_death")
    b = gillespy2.Parameter(name="b", expression=B)
    d = gillespy2.Parameter(name="d", expression=D)
    model.add_parameter([b, d])
    cells = gillespy2.Species(name="N", initial_value=N0, mode="discrete")
    model.add_species([cells])
    model.add_reaction(
        [
            gillespy2.Reaction(name="division", reactants={cells: 1}, products={cells: 2}, rate=b),
            gillespy2.Reaction(name="death", reactants={cells: 1}, products={}, rate=d),
        ]
    )
    model.timespan(gillespy2.TimeSpan(T))
    solver = gillespy2.NumPySSASolver(model=model)
    results = model.run(solver=solver, number_of_trajectories=n, seed=seed)
    return np.array([r["N"][-1] for r in results], dtype=float)


def ssa_numpy(n: int, seed: int) -> np.ndarray:
    """Gillespie's direct method, one event at a time, one trajectory at a time (the fallback)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    t_end = float(T[-1])
    for i in range(n):
        cells, t = N0, 0.0
        while cells > 0:
            total = (B + D) * cells
            t += rng.exponential(1.0 / total)
            if t > t_end:
                break
            cells += 1 if rng.random() * (B + D) < B else -1
        out[i] = cells
    return out


def ssa_batched(n: int, seed: int) -> np.ndarray:
    """Final-time counts of ``n`` trajectories from ``solvers.gillespie`` (one batch)."""

    def rates(rows: np.ndarray, t: np.ndarray, x: np.ndarray) -> np.ndarray:
        return x * np.array([B, D])

    counts = solvers.gillespie(np.full((n, 1), N0), [[1], [-1]], rates, T, seed=seed)
    return counts[:, 0, -1].astype(float)


def main(n_ssa: int = N_SSA) -> dict[str, Any]:
    try:
        import gillespy2  # noqa: F401

        ssa, ssa_name = ssa_gillespy2, "GillesPy2 NumPySSASolver"
    except ImportError:
        ssa, ssa_name = ssa_numpy, "plain-numpy Gillespie direct method (GillesPy2 not installed)"

    n0 = np.full(N_LESIONS, N0)
    solvers.birth_death(n0[:100], B, D, T, seed=0)  # warm up
    runs = []
    for k in range(3):
        start = time.perf_counter()
        ours = solvers.birth_death(n0, B, D, T, seed=k)
        runs.append(time.perf_counter() - start)
    ours_total = min(runs)
    ours_per = ours_total / N_LESIONS

    ssa(1, seed=99)  # warm up (imports, model checks)
    start = time.perf_counter()
    ssa_final = ssa(n_ssa, seed=1)
    ssa_total = time.perf_counter() - start
    ssa_per = ssa_total / n_ssa
    ratio = ssa_per / ours_per

    start = time.process_time()
    batched_final = ssa_batched(N_BATCHED, seed=2)
    batched_per = (time.process_time() - start) / N_BATCHED

    exact = exact_final()
    ours_stats, ssa_stats = stats(ours[:, -1]), stats(ssa_final)
    batched_stats = stats(batched_final)

    print(f"linear birth-death: N0 = {N0}, b = {B}/day, d = {D}/day, {WEEKS} weekly outputs (10 years)")
    print(
        f"solvers.birth_death: {N_LESIONS:,} lesions in {ours_total * 1e3:.1f} ms "
        f"= {ours_per * 1e6:.2f} µs each"
    )
    print(f"{ssa_name}: {n_ssa} trajectories in {ssa_total:.2f} s = {ssa_per * 1e3:.2f} ms each")
    print(
        f"solvers.gillespie (batched SSA): {N_BATCHED} trajectories, {batched_per * 1e3:.2f} ms each (CPU); "
        f"{ssa_per / batched_per:.1f}x the {ssa_name.split(' (')[0]}"
    )
    print(f"speed-up per trajectory: {ratio:,.0f}x (target >= 3000x)")
    print(f"final time (day {T[-1]:g}):      mean      variance   extinct")
    print(f"  exact                    {exact['mean']:8.3f}  {exact['var']:10.1f}   {exact['extinct']:.4f}")
    rows = (
        ("solvers.birth_death", ours_stats, N_LESIONS),
        ("SSA", ssa_stats, n_ssa),
        ("solvers.gillespie", batched_stats, N_BATCHED),
    )
    for name, s, n in rows:
        se_mean = math.sqrt(exact["var"] / n)
        se_ext = math.sqrt(exact["extinct"] * (1 - exact["extinct"]) / n)
        z_mean = (s["mean"] - exact["mean"]) / se_mean
        z_ext = (s["extinct"] - exact["extinct"]) / se_ext
        print(
            f"  {name:<24} {s['mean']:8.3f}  {s['var']:10.1f}   {s['extinct']:.4f}"
            f"   (n = {n}; z mean {z_mean:+.1f}, z extinct {z_ext:+.1f})"
        )
    diff_se = math.sqrt(exact["var"] / N_LESIONS + exact["var"] / n_ssa)
    z_between = (ours_stats["mean"] - ssa_stats["mean"]) / diff_se
    print(f"  the two samplers' means differ by {z_between:+.1f} standard errors")
    return {
        "ssa": ssa_name,
        "ours_seconds_per_trajectory": ours_per,
        "ssa_seconds_per_trajectory": ssa_per,
        "speedup": ratio,
        "exact": exact,
        "ours": ours_stats,
        "ssa_stats": ssa_stats,
        "gillespie_seconds_per_trajectory": batched_per,
        "gillespie_stats": batched_stats,
        "z_means_between": z_between,
    }


if __name__ == "__main__":
    main()
