"""The angiogenic switch, cell by cell: a lesion on a 2D lattice fed by diffusing oxygen.

A microscopic tumour that cannot recruit blood vessels lives on the oxygen that diffuses to
it from the host's vessels. Oxygen reaches only about 100–200 µm into tumour tissue before
the cells have used it up; beyond that, cells die and leave necrosis (tumour cords with
necrotic centres ringed by intact cells, Thomlinson & Gray 1955, Br J Cancer 9:539).
Avascular tumours therefore stop at about 1–2 mm (Folkman & Hochberg 1973, J Exp Med
138:745, as reviewed by Naumov et al. 2006, Cell Cycle 5:1779). Such a lesion is *dormant*:
its cells divide, but as many die. It grows again only after the *angiogenic switch*, when
the balance of stimulators and inhibitors tips towards new vessels (Hanahan & Folkman 1996,
Cell 86:353). Non-angiogenic human tumour cells in mice stayed microscopic for months
before switching — palpable after a mean of 119 days for a breast cancer line, against
under 20 days for angiogenic cells of the same tumours (Naumov et al. 2006, J Natl Cancer
Inst 98:316).

**The lattice.** ``SIDE × SIDE`` sites of ``DX`` µm (200 × 200 sites of 20 µm, a 4 mm square
of tissue; a tumour cell is 10–20 µm across). Each site holds one state (``STATE_NAMES``):
host tissue, a proliferating tumour cell, a quiescent (hypoxic) tumour cell, necrotic
debris, or a vessel. The lesion starts as a small disc of cells (``SEED_RADIUS``) in tissue
whose capillaries sit on a jittered grid ``spacing`` µm apart.

**Oxygen.** Every step the quasi-steady field ``c`` (1 at a vessel) solves

    D ∇²c = k(x) · c

with consumption ``k`` strong in living tumour cells, weak in host tissue and zero in
debris. Written with lengths, ``√(D/k)`` is ``lam = d_O2 / ln(1/C_ANOXIC)`` in tumour tissue,
so that oxygen from a vessel falls to the anoxic level ``C_ANOXIC`` at the distance
``d_O2`` (in 1D: c = exp(−x/lam)); host tissue uses ``TISSUE_RATIO`` times that length.
The five-point Laplacian on the lattice (periodic edges) is solved by red–black successive
over-relaxation, warm-started from the previous step's field, until no site changes by more
than ``TOL`` (``oxygen_field``; see Numerics). With no cells and a line of vessels this reproduces the
analytic profile cosh((x − W/2)/λ)/cosh(W/2λ) to 10⁻³ (tests).

**Cells, each step of ``DT`` days** (all sites at once, as array operations):

* a tumour cell with c ≥ ``C_HYPOXIC`` is *proliferating*; with ``C_ANOXIC`` ≤ c <
  ``C_HYPOXIC`` it is *quiescent* (it does not divide, and becomes proliferating again if
  oxygen returns); with c < ``C_ANOXIC`` it dies and leaves *necrotic* debris;
* a proliferating cell divides with probability 1 − exp(−r·DT) if there is host tissue
  within ``PUSH`` sites in a random one of four directions: its daughter takes the next
  site and pushes the cells beyond it one site along into that tissue. The lesion grows
  by displacing tissue at its rim, as a spheroid does;
* living tumour cells die by apoptosis at the rate ``a``, and at the rate ``kill`` more
  when they touch host tissue (immune killing at the rim); necrotic debris is cleared at
  the rate ``lysis``. The lesion then closes over the holes they leave: each hole is
  refilled and as many sites at the lesion's edge return to host tissue (the outermost
  first), so the lesion contracts, as a spheroid does when its necrotic core shrinks (the
  refilled sites take their state from oxygen at the next step);
* host capillaries that the lesion has surrounded on three sides regress at the rate
  ``REGRESSION`` until the switch (co-option, then regression: Holash et al. 1999,
  Science 284:1994 [sec]).

Growth needs oxygen, and oxygen comes from outside, so births scale with the lesion's
oxygenated rim while losses scale with its whole area: an avascular lesion stops growing.

**The switch.** While a lesion holds hypoxic cells (the signal for VEGF), it switches with
the probability 1 − exp(−switch_rate·DT) per step, once and for good (``force_at`` forces
it on a given day). After the switch, vessel sites that touch hypoxic or anoxic tissue
sprout when hypoxic tumour lies within ``VEGF_REACH`` sites: each tip grows one site
towards the lowest oxygen around it, into tissue short of oxygen (below ``SPROUT_BELOW``),
with the probability v_sprout·DT/DX per step (``BRANCHING`` of that for sites along a
vessel). New vessels feed the core, co-opted vessels no longer regress, and the lesion
grows again.

**Calibration.** ``d_O2`` is Thomlinson & Gray's oxygen reach; the debris clearance
``lysis`` and apoptosis ``a`` were then set so that a lesion without the switch stops in
the 1–2 mm band of Folkman & Hochberg (about 1.5 mm after four to five months, with a
necrotic core, then holding or shrinking slightly). Smaller ``d_O2`` or faster clearance
give smaller dormant lesions (a few tenths of a mm, the scale of Holmgren's dormant lung
metastases). The switch was not fitted to anything: with it the lesion passes 2 mm.

**Numerics.** The first field is relaxed on the whole lattice; after that only a window
``OXYGEN_MARGIN`` sites around the lesion, its rim held at the field outside, which does
not change there before the switch (only the window's inner sites are swept). Every cell
rule works on a box ``PUSH + 2`` sites around the lesion (divisions move its edge by at
most ``PUSH`` sites a day); the random draws still cover the whole lattice, so a seed gives
the same lesion whatever the box. Divisions work on the dividers alone, not on every site
of their rows. A day costs about 2 ms of processor time on a 200 × 200 lattice, two thirds
of it in the cell rules (``benchmarks/bench_spatial.py``).

**Where the model is too simple.** Two dimensions, not three: a slice through a lesion,
with oxygen that cannot come from above or below (so numbers such as the plateau size are
of the right order, not predictions). One nutrient; no acidity, no glucose. The switch is
one event per lesion, not a slowly shifting balance of VEGF against thrombospondin-1;
vessels are sites, not perfused tubes (every vessel delivers the same oxygen, and new ones
work at once). Cells are pushed along straight rows, and a cleared hole is closed by
taking a site from the lesion's edge rather than by moving every cell in between. A
dormant lesion drifts a little, towards the capillaries it has not yet used up. The
division, apoptosis, lysis and sprouting rates are teaching choices of the right order, not
fits to one tumour line.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ._util import scalar
from .base import Output, Result
from .params import Param, Preset, declare, from_defaults, validate, validate_time
from .params import rng as make_rng

__all__ = [
    "DEFAULT_T",
    "PARAMS",
    "PRESETS",
    "STATES",
    "STOCHASTIC",
    "SpatialResult",
    "initial_grid",
    "oxygen_field",
    "simulate",
]

#: lattice side (sites) and site size (µm): a 4 mm square at about one cell per site
SIDE = 200
DX = 20.0
#: time step (days): at most about one division per cell per step, as a cell cycle takes about a day
DT = 1.0
#: radius of the seeded lesion (µm): about 0.1 mm across, a microscopic deposit
SEED_RADIUS = 60.0
#: oxygen, relative to a vessel: below C_HYPOXIC cells stop dividing, below C_ANOXIC they
#: die. Teaching thresholds; only their ratio enters through ``d_O2`` [convention]
C_HYPOXIC = 0.25
C_ANOXIC = 0.05
#: host tissue's oxygen diffusion length in units of the tumour's (it consumes ten times
#: less per site, so the length is √10 longer) [teaching choice]
TISSUE_RATIO = math.sqrt(10.0)
#: relaxation: over-relaxation factor, stop when no site changes by more than TOL, and the
#: most sweeps one step may take (warm starts need a handful)
OMEGA = 1.5
TOL = 1e-3
MAX_SWEEPS = 40
#: co-opted host vessels, once a tumour surrounds them on at least three sides, regress at
#: this rate (per day) until the switch (Holash et al. 1999, Science 284:1994: co-option,
#: regression, then angiogenesis) [sec]
REGRESSION = 0.5
#: sites around the lesion whose oxygen is relaxed every step (the field beyond is held):
#: 16 sites = 320 µm, two diffusion lengths of host tissue at the widest d_O2
OXYGEN_MARGIN = 16
#: how far (sites) the hypoxic cells' call for vessels reaches: 100 µm [teaching choice]
VEGF_REACH = 5
#: sprouting from a vessel site that is not a tip, as a fraction of a tip's probability
BRANCHING = 0.02
#: sprouts grow only into sites whose oxygen is below this (relative to a vessel)
SPROUT_BELOW = 0.5
#: a dividing cell needs host tissue within this many sites along its direction (60 µm,
#: a few cell diameters): the room it can make by pushing its neighbours [teaching choice]
PUSH = 3
#: lattice states (int8 codes) and their names
TISSUE, PROLIFERATING, QUIESCENT, NECROTIC, VESSEL = 0, 1, 2, 3, 4
STATE_NAMES = ("host tissue", "proliferating", "quiescent (hypoxic)", "necrotic", "vessel")
#: the lesion is called dormant when its diameter changed by less than this fraction over
#: the last DORMANT_WINDOW days
DORMANT_CHANGE = 0.05
DORMANT_WINDOW = 20.0

_SEC = "Thomlinson & Gray 1955, Br J Cancer 9:539 (oxygen reach ~100–200 µm) [sec]"

PARAMS: dict[str, Param] = declare(
    Param(
        "r",
        0.8,
        0.1,
        2.0,
        unit="/day",
        label="r, division rate",
        doc="divisions per day of a well-oxygenated tumour cell with room",
        source="teaching choice: a cell cycle of about a day; Naumov 2006 found similar "
        "proliferation in angiogenic and non-angiogenic cells [src, abstract]",
    ),
    Param(
        "a",
        0.02,
        0.0,
        0.5,
        unit="/day",
        label="a, apoptosis rate",
        doc="basal apoptosis of living tumour cells, per day",
        source="teaching choice; dormant lesions show >3x the apoptosis of growing ones "
        "(Holmgren 1995, Nat Med 1:149) [src, abstract]",
    ),
    Param(
        "d_O2",
        150.0,
        80.0,
        250.0,
        unit="µm",
        label="d_O2, oxygen reach",
        doc="distance from a vessel at which oxygen in tumour tissue falls to the anoxic level",
        source=_SEC,
    ),
    Param(
        "lysis",
        0.02,
        0.01,
        2.0,
        unit="/day",
        log=True,
        label="lysis, debris clearance",
        doc="rate at which necrotic debris is cleared and the lesion closes over it",
        source="teaching choice, set with a so that the avascular plateau falls in the "
        "1–2 mm band of Folkman & Hochberg 1973 [sec]",
    ),
    Param(
        "spacing",
        100.0,
        60.0,
        300.0,
        unit="µm",
        label="spacing, capillary spacing",
        doc="distance between the host's capillaries around the lesion",
        source="teaching choice: tissue capillaries lie tens to a few hundred µm apart [unverified]",
    ),
    Param(
        "switch_rate",
        0.0,
        0.0,
        0.2,
        unit="/day",
        label="switch_rate, angiogenic switch rate",
        doc="chance per day that a lesion holding hypoxic cells switches to the angiogenic "
        "phenotype (0: never)",
        source="teaching choice; non-angiogenic breast cancer cells switched after a mean "
        "of 119 days in mice (Naumov 2006, J Natl Cancer Inst 98:316) [src, abstract]",
    ),
    Param(
        "v_sprout",
        20.0,
        0.0,
        200.0,
        unit="µm/day",
        label="v_sprout, sprout growth speed",
        doc="speed at which a new vessel tip grows towards hypoxic tissue after the switch",
        source="teaching choice: sprouts extend tens of µm a day [unverified]",
    ),
    Param(
        "kill",
        0.0,
        0.0,
        1.0,
        unit="/day",
        label="kill, immune killing at the rim",
        doc="extra death rate of living tumour cells that touch host tissue",
        source="teaching choice (lesson 04 treats immune control in detail)",
    ),
)

PRESETS: dict[str, Preset] = from_defaults(
    PARAMS,
    {
        "no_switch": Preset(
            values={"switch_rate": 0.0},
            citation="Folkman & Hochberg 1973, J Exp Med 138:745 (avascular plateau at 1–2 mm) "
            "[sec]; Thomlinson & Gray 1955, Br J Cancer 9:539 [sec]",
            description="A non-angiogenic lesion: it grows until oxygen runs short, then holds "
            "its size with a necrotic core, dividing and dying in balance.",
        ),
        "switch": Preset(
            values={"switch_rate": 0.03},
            citation="Hanahan & Folkman 1996, Cell 86:353 (the angiogenic switch) [sec]; "
            "Naumov 2006, J Natl Cancer Inst 98:316 [src, abstract]",
            description="The same lesion, now able to switch: once hypoxic it switches at 3% a "
            "day, new vessels grow into the core and the lesion grows again.",
        ),
        "slow_switch": Preset(
            values={"switch_rate": 0.008},
            citation="Naumov 2006, J Natl Cancer Inst 98:316: non-angiogenic breast cancer "
            "cells switched after months (mean 119 days) [src, abstract]",
            description="A rare switch: most lesions stay dormant for months first.",
        ),
        "immune_rim": Preset(
            values={"switch_rate": 0.0, "kill": 0.3},
            citation="Teaching scenario: immune killing at the rim added to the avascular "
            "lesion (Udagawa 2008, APMIS 116:615: dormancy mechanisms acting together) [sec]",
            description="Oxygen limits the lesion, and immune cells kill at its rim.",
        ),
    },
)

STOCHASTIC = True
#: four months of daily frames: long enough for the plateau and a switch
DEFAULT_T = np.arange(0.0, 121.0)
STATES = ("proliferating", "quiescent", "necrotic", "vessels", "diameter_mm")


@dataclass(frozen=True, eq=False)
class SpatialResult(Result):
    """Counts by state and the lesion's diameter over time, plus the lattice itself.

    ``proliferating``, ``quiescent``, ``necrotic``: tumour sites in each state (cells);
    ``vessels``: vessel sites; ``diameter_mm``: diameter of a disc with the lesion's area
    (every tumour site, debris included), in mm. ``grid``: the lattice at each output time,
    shape batch + (len(t), SIDE, SIDE), int8 codes of ``STATE_NAMES``. ``t_switch``: the day
    each lesion switched (inf if it did not). ``oxygen``: the last field (batch + (SIDE, SIDE)).
    ``births``, ``deaths``: daughters born and living cells that died (by apoptosis, killing
    or lack of oxygen) from the start to each output time (cumulative counts).
    """

    proliferating: np.ndarray
    quiescent: np.ndarray
    necrotic: np.ndarray
    vessels: np.ndarray
    diameter_mm: np.ndarray
    grid: np.ndarray
    t_switch: np.ndarray
    oxygen: np.ndarray
    births: np.ndarray
    deaths: np.ndarray

    STATES: ClassVar[tuple[str, ...]] = STATES
    SUMMARY: ClassVar[dict[str, Output]] = {
        "diameter_final_mm": Output("mm", "lesion diameter at the last output time"),
        "diameter_max_mm": Output("mm", "largest diameter over the run"),
        "cells_final": Output("cells", "lattice sites holding tumour cells (living or necrotic) at the end"),
        "necrotic_fraction": Output("", "necrotic share of the tumour sites at the end"),
        "proliferating_fraction": Output("", "proliferating share of the living tumour sites at the end"),
        "growth_mm_per_day_final": Output(
            "mm/day", "diameter change a day over the last DORMANT_WINDOW days"
        ),
        "t_switch": Output("days", "day of the angiogenic switch (inf: none)"),
        "switched": Output("", "the switch happened within the run"),
        "dormant": Output("", "the diameter changed by less than DORMANT_CHANGE over the last window"),
        "extinct": Output("", "no tumour cell is left"),
    }

    @property
    def cells(self) -> np.ndarray:
        """Tumour sites (living and necrotic) at each output time."""
        return self.proliferating + self.quiescent + self.necrotic

    def turnover(self, t0: float, t1: float) -> dict[str, Any]:
        """Births and deaths per living cell per day between output times ``t0`` and ``t1``.

        The quantities Holmgren et al. (1995) measured in lung metastases as proliferation
        (BrdU, PCNA) and apoptosis indices; here exact counts of the simulated events.
        """
        i0, i1 = np.searchsorted(self.t, [t0, t1])
        i1 = min(i1, len(self.t) - 1)
        span = max(float(self.t[i1] - self.t[i0]), 1e-9)
        living = (self.proliferating + self.quiescent)[..., i0 : i1 + 1].mean(axis=-1)
        living = np.maximum(living, 1e-9)
        born = (self.births[..., i1] - self.births[..., i0]) / span / living
        died = (self.deaths[..., i1] - self.deaths[..., i0]) / span / living
        return {"birth_rate": _out(born), "death_rate": _out(died)}

    def summary(self) -> dict[str, Any]:
        t = self.t
        d = self.diameter_mm
        cells = self.cells
        living = self.proliferating + self.quiescent
        with np.errstate(invalid="ignore", divide="ignore"):
            nec = np.where(cells[..., -1] > 0, self.necrotic[..., -1] / np.maximum(cells[..., -1], 1), 0.0)
            prol = np.where(
                living[..., -1] > 0, self.proliferating[..., -1] / np.maximum(living[..., -1], 1), 0.0
            )
        back = np.searchsorted(t, t[-1] - DORMANT_WINDOW, side="left")
        d_then = d[..., back]
        change = np.abs(d[..., -1] - d_then) / np.maximum(d[..., -1], 1e-9)
        span = max(t[-1] - t[back], 1e-9)
        out = {
            "diameter_final_mm": d[..., -1],
            "diameter_max_mm": d.max(axis=-1),
            "cells_final": cells[..., -1],
            "necrotic_fraction": nec,
            "proliferating_fraction": prol,
            "growth_mm_per_day_final": (d[..., -1] - d_then) / span,
            "t_switch": self.t_switch,
            "switched": np.isfinite(self.t_switch),
            "dormant": (change < DORMANT_CHANGE) & (cells[..., -1] > 0) & (t[-1] - t[back] > 0),
            "extinct": cells[..., -1] == 0,
        }
        return {k: _out(v) for k, v in out.items()}


def _out(x: Any) -> Any:
    """A summary value: booleans stay booleans, counts become floats."""
    return scalar(x, bool if np.asarray(x).dtype == bool else float)


# --------------------------------------------------------------------------- oxygen
def _neighbour_sum(c: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Sum of the four neighbours on a periodic lattice (last two axes), into ``out``."""
    np.add(c[..., :-1, :], 0, out=out[..., 1:, :])
    out[..., 0, :] = c[..., -1, :]
    out[..., :-1, :] += c[..., 1:, :]
    out[..., -1, :] += c[..., 0, :]
    out[..., :, 1:] += c[..., :, :-1]
    out[..., :, 0] += c[..., :, -1]
    out[..., :, :-1] += c[..., :, 1:]
    out[..., :, -1] += c[..., :, 0]
    return out


@functools.lru_cache(maxsize=1)
def _board() -> np.ndarray:
    i, j = np.indices((SIDE, SIDE))
    return (i + j) % 2 == 0


def _checkerboard(shape: tuple[int, int]) -> np.ndarray:
    """Red sites ((i + j) even) of a lattice of ``shape``, counted from its own corner."""
    if shape[0] <= SIDE and shape[1] <= SIDE:
        return _board()[: shape[0], : shape[1]]
    i, j = np.indices(shape)
    return (i + j) % 2 == 0


def _scale(g: np.ndarray, lam: np.ndarray, dx: float, tissue_ratio: float, dtype: Any) -> np.ndarray:
    """1 / (4 + h²k) at every site: k from the site's state (cells, host tissue, none)."""
    h2k_cell = (dx / lam) ** 2
    h2k_tissue = (dx / (tissue_ratio * lam)) ** 2
    if lam.size == 1:
        # one oxygen reach: a table of the five states, looked up (the same float64 values,
        # rounded once to ``dtype``, as the elementwise formula below)
        h2k = np.array([h2k_tissue.flat[0], h2k_cell.flat[0], h2k_cell.flat[0], 0.0, 0.0])
        table = (1.0 / (4.0 + h2k)).astype(dtype)
        return table[g]
    living = (g == PROLIFERATING) | (g == QUIESCENT)
    h2k_all = np.where(living, h2k_cell, np.where(g == TISSUE, h2k_tissue, 0.0))
    return (1.0 / (4.0 + h2k_all)).astype(dtype)


def oxygen_field(
    grid: np.ndarray,
    *,
    d_O2: Any = 150.0,
    dx: float = DX,
    c0: np.ndarray | None = None,
    tol: float = TOL,
    max_sweeps: int = MAX_SWEEPS,
    tissue_ratio: float = TISSUE_RATIO,
    frame: bool = False,
) -> tuple[np.ndarray, int]:
    """The quasi-steady oxygen field on ``grid`` (states, shape batch + (H, W)).

    Solves ∇²c = c/ℓ² with ℓ = lam = d_O2/ln(1/C_ANOXIC) in living tumour cells, ℓ =
    tissue_ratio·lam in host tissue, no consumption in debris, and c = 1 on vessel sites;
    five-point Laplacian with periodic edges, red–black over-relaxation from ``c0`` (or from
    1 everywhere) until no site changes by more than ``tol``. ``frame=True`` holds the
    outermost ring of sites at ``c0`` (a window cut from a larger, converged field): only
    the inner sites are relaxed, and the periodic wrap never enters. ``d_O2`` (µm) may be an
    array of the batch shape. Returns the field (float32; float64 when ``tol`` < 1e-5) and
    the sweeps taken.
    """
    g = np.asarray(grid)
    lam = np.asarray(d_O2, dtype=float) / math.log(1.0 / C_ANOXIC)
    lam = lam.reshape(lam.shape + (1, 1))
    dtype = np.float64 if tol < 1e-5 else np.float32
    scale = _scale(g, lam, dx, tissue_ratio, dtype)
    vessel = g == VESSEL
    c: np.ndarray[Any, np.dtype[np.floating[Any]]] = (
        np.ones(g.shape, dtype) if c0 is None else np.array(np.broadcast_to(c0, g.shape), dtype=dtype)
    )
    c[vessel] = 1.0
    red = _checkerboard(g.shape[-2:])
    # per half-sweep: c += w_m * (nb / (4 + h²k) - c), with w_m = OMEGA on the sites being
    # updated and 0 elsewhere (vessels stay at 1)
    free = ~vessel
    if frame:
        # the ring is held: work on the inner sites only, their neighbours read from c
        inner = (..., slice(1, -1), slice(1, -1))
        cv = c[inner]
        scale = np.ascontiguousarray(scale[inner])
        free = free[inner]
        red = red[1:-1, 1:-1]
    else:
        cv = c
    if cv.size == 0:  # a window with no inner sites: nothing to relax
        return c, 0
    weights = [np.where(free & m, dtype(OMEGA), dtype(0.0)) for m in (red, ~red)]
    nb = np.empty_like(cv)
    new = np.empty_like(cv)
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 - the count is returned
        change = 0.0
        for w in weights:
            if frame:
                # the same sum, in the same order, as _neighbour_sum on the inner sites
                np.add(c[..., :-2, 1:-1], c[..., 2:, 1:-1], out=nb)
                nb += c[..., 1:-1, :-2]
                nb += c[..., 1:-1, 2:]
            else:
                _neighbour_sum(c, nb)
            np.multiply(nb, scale, out=new)
            new -= cv
            new *= w
            cv += new
            change = max(change, float(new.max()), -float(new.min()))
        if change <= tol:
            break
    np.clip(c, 0.0, 1.0, out=c)
    return c, sweeps


# --------------------------------------------------------------------------- lattice
def initial_grid(spacing: Any, rng: np.random.Generator, batch: int = 1) -> np.ndarray:
    """Host capillaries on a jittered grid ``spacing`` µm apart and a seeded lesion at the centre."""
    sp = np.broadcast_to(np.asarray(spacing, dtype=float).reshape(-1), (batch,))
    g = np.zeros((batch, SIDE, SIDE), dtype=np.int8)
    ii, jj = np.indices((SIDE, SIDE))
    centre = (SIDE - 1) / 2.0
    # vessels: one per cell of a square grid of side spacing/DX sites, placed at random in it
    for b in range(batch):  # per batch member: a few hundred draws, not a loop over cells
        step = max(sp[b] / DX, 1.0)
        n = int(math.ceil(SIDE / step))
        gi = (np.arange(n)[:, None] * step + rng.random((n, n)) * step).astype(int)
        gj = (np.arange(n)[None, :] * step + rng.random((n, n)) * step).astype(int)
        ok = (gi < SIDE) & (gj < SIDE)
        g[b, gi[ok], gj[ok]] = VESSEL
    seed = (ii - centre) ** 2 + (jj - centre) ** 2 <= (SEED_RADIUS / DX) ** 2
    # the deposit sits between capillaries: none inside it or touching it
    clear = (ii - centre) ** 2 + (jj - centre) ** 2 <= (SEED_RADIUS / DX + 1.5) ** 2
    g[:, clear] = TISSUE
    g[:, seed] = PROLIFERATING
    return g


def _first_at_or_after(mask: np.ndarray, ar: np.ndarray) -> np.ndarray:
    """Index of the first site at or after each site (last axis) where ``mask`` holds, or w."""
    w = mask.shape[-1]
    idx = np.where(mask, ar, np.int16(w))
    return np.minimum.accumulate(idx[..., ::-1], axis=-1)[..., ::-1]


def _push(g: np.ndarray, div: np.ndarray, ar: np.ndarray | None = None) -> np.ndarray:
    """Divide the cells marked in ``div`` towards larger index on the last axis, in place.

    Each dividing cell puts its daughter on the next site and the sites after it in its run
    of occupied sites (cells, debris or vessels, bounded by host tissue) move one site on per
    daughter inserted before them; the run spreads into the host tissue beyond its end. A
    cell divides only with host tissue within ``PUSH`` sites, and a run takes at most as many
    daughters as that stretch of tissue has sites (those of the cells nearest its end
    divide). Returns the daughters born in each lattice of the batch.

    Works on the dividers alone (a few hundred a step, against tens of thousands of sites):
    each finds its run's end by a search among the tissue sites, and only the sites between
    the dividers and the run's end move.
    """
    if not g.flags.c_contiguous:
        tmp = np.ascontiguousarray(g)
        born = _push(tmp, div)
        g[...] = tmp
        return born
    w = g.shape[-1]
    lead = g.shape[:-2] if g.ndim >= 2 else ()
    plane = g.size // max(int(np.prod(lead)), 1) if g.size else 1
    flat = g.reshape(-1)
    size = flat.size

    def tally(sites: np.ndarray) -> np.ndarray:
        return np.bincount(sites // plane, minlength=size // plane).reshape(lead)

    cand = np.flatnonzero(div & (g != TISSUE))
    tis = np.flatnonzero(flat == TISSUE)
    if cand.size == 0 or tis.size == 0:
        return tally(cand[:0])
    # the run's end: the first tissue site after the cell, in its row and within PUSH sites
    e = np.searchsorted(tis, cand)
    end = tis[np.minimum(e, tis.size - 1)]
    ok = (e < tis.size) & (end // w == cand // w) & (end - cand <= PUSH)
    cand, end = cand[ok], end[ok]
    if cand.size == 0:
        return tally(cand)
    # room: tissue sites from the end on, in the row (counted up to PUSH: a run never has
    # more than PUSH dividers, all within PUSH sites of its end)
    room = np.ones(cand.size, dtype=np.int64)
    free = np.ones(cand.size, dtype=bool)
    col = end % w
    for o in range(1, PUSH):
        free &= col + o < w
        free &= flat[np.minimum(end + o, size - 1)] == TISSUE
        room += free
    # rank: dividers from the cell to its run's end (the cells are sorted, a run's together)
    idx = np.arange(cand.size)
    last = np.searchsorted(end, end, side="right") - 1
    keep = last - idx + 1 <= room
    cand, end = cand[keep], end[keep]
    born = tally(cand)
    if cand.size == 0:
        return born
    # the i-th divider of a run (from 1) moves the sites after it, up to and including the
    # next divider (or the run's last site), i sites on; its daughter lands at cell + i
    idx = np.arange(cand.size)
    first = np.searchsorted(end, end, side="left")
    last = np.searchsorted(end, end, side="right") - 1
    i = idx - first + 1
    bound = np.where(idx == last, end - 1, np.roll(cand, -1))
    src = [cand + o for o in range(1, PUSH + 1)]
    ins = [(s <= bound) for s in src]
    sources = np.concatenate([s[m] for s, m in zip(src, ins, strict=True)])
    dests = np.concatenate([(s + i)[m] for s, m in zip(src, ins, strict=True)])
    moved = flat[sources]
    flat[dests] = moved
    flat[cand + i] = PROLIFERATING
    return born


_VIEWS = (
    (lambda a: a, lambda a: a),
    (lambda a: a[..., ::-1], lambda a: a[..., ::-1]),
    (lambda a: np.swapaxes(a, -1, -2), lambda a: np.swapaxes(a, -1, -2)),
    (lambda a: np.swapaxes(a, -1, -2)[..., ::-1], lambda a: np.swapaxes(a[..., ::-1], -1, -2)),
)


def _divide(g: np.ndarray, p_div: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One round of divisions, each daughter placed in a random one of four directions.

    Returns the number of daughters of each batch member."""
    d = rng.integers(0, 4, size=g.shape, dtype=np.int8)
    u = rng.random(g.shape, dtype=np.float32)
    born = np.zeros(g.shape[0], dtype=np.int64)
    # the draws stay with the sites (not the cells) through the four directions
    d[u >= p_div] = -1
    for k, (fwd, back) in enumerate(_VIEWS):
        view = np.ascontiguousarray(fwd(g))
        div = (view == PROLIFERATING) & (fwd(d) == k)
        born = born + _push(view, div)
        g[...] = back(view)
    return born


def _enclosed(g: np.ndarray) -> np.ndarray:
    """Host-tissue sites inside the lesion: tumour somewhere along their row and their column
    on all four sides and next to at least two tumour sites (holes left by dead and cleared
    cells, and the inner edge of deep bays)."""
    tumour = (g == PROLIFERATING) | (g == QUIESCENT) | (g == NECROTIC)
    inside = np.logical_or.accumulate(tumour, axis=-1)
    inside &= np.logical_or.accumulate(tumour[..., ::-1], axis=-1)[..., ::-1]
    inside &= np.logical_or.accumulate(tumour, axis=-2)
    inside &= np.logical_or.accumulate(tumour[..., ::-1, :], axis=-2)[..., ::-1, :]
    return inside & (g == TISSUE)


def _close_holes(g: np.ndarray, rng: np.random.Generator) -> None:
    """The lesion closes over its holes: each is refilled and as many edge sites return to
    host tissue (the lesion contracts; the refilled sites take their state from oxygen)."""
    holes = _enclosed(g)
    n = holes.sum(axis=(-2, -1))
    if not n.any():
        return
    g[holes] = QUIESCENT
    tumour = (g == PROLIFERATING) | (g == QUIESCENT) | (g == NECROTIC)
    edge = tumour & _touches(g == TISSUE)
    # the outermost edge sites go first (weight: distance from the lesion's centre, to the
    # fourth power), which keeps the lesion compact as it contracts
    m = np.maximum(tumour.sum(axis=(-2, -1)), 1)
    ii = np.arange(g.shape[-2])
    jj = np.arange(g.shape[-1])
    ci = (tumour.sum(axis=-1) * ii).sum(axis=-1) / m
    cj = (tumour.sum(axis=-2) * jj).sum(axis=-1) / m
    r2 = (ii[:, None] - ci[:, None, None]) ** 2 + (jj[None, :] - cj[:, None, None]) ** 2
    w = np.where(edge, r2 * r2, 0.0)
    p = np.minimum(w * (n / np.maximum(w.sum(axis=(-2, -1)), 1e-9))[:, None, None], 1.0)
    g[edge & (rng.random(g.shape) < p)] = TISSUE


def _extent(g: np.ndarray, offset: tuple[int, int] = (0, 0)) -> tuple[int, int, int, int] | None:
    """First and last row and column holding a tumour site anywhere in the batch (None if
    none), counted from ``offset`` when ``g`` is a box cut from the lattice."""
    # tumour codes 1, 2, 3: one unsigned comparison (host tissue wraps round to 255)
    tumour = (g.view(np.uint8) - np.uint8(PROLIFERATING)) <= np.uint8(NECROTIC - PROLIFERATING)
    rows = np.flatnonzero(tumour.any(axis=-1).reshape(-1, g.shape[-2]).any(axis=0))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(
        tumour[..., rows[0] : rows[-1] + 1, :].any(axis=-2).reshape(-1, g.shape[-1]).any(axis=0)
    )
    return (
        int(rows[0]) + offset[0],
        int(rows[-1]) + offset[0],
        int(cols[0]) + offset[1],
        int(cols[-1]) + offset[1],
    )


def _pad(ext: tuple[int, int, int, int] | None, m: int) -> tuple[slice, slice]:
    """Rows and columns of the lattice around an extent, ``m`` sites to spare (empty for None)."""
    if ext is None:
        return slice(0, 0), slice(0, 0)
    return (
        slice(max(ext[0] - m, 0), min(ext[1] + m + 1, SIDE)),
        slice(max(ext[2] - m, 0), min(ext[3] + m + 1, SIDE)),
    )


def _box(g: np.ndarray, m: int = PUSH + 2) -> tuple[slice, slice]:
    """Rows and columns around every tumour site of the batch, ``m`` sites to spare."""
    tumour = (g == PROLIFERATING) | (g == QUIESCENT) | (g == NECROTIC)
    rows = np.flatnonzero(tumour.any(axis=(0, 2)))
    cols = np.flatnonzero(tumour.any(axis=(0, 1)))
    if rows.size == 0:
        return slice(0, 0), slice(0, 0)
    return (
        slice(max(rows[0] - m, 0), min(rows[-1] + m + 1, g.shape[-2])),
        slice(max(cols[0] - m, 0), min(cols[-1] + m + 1, g.shape[-1])),
    )


def _touches(mask: np.ndarray) -> np.ndarray:
    """Sites with at least one of their four neighbours in ``mask`` (non-periodic)."""
    out = np.zeros_like(mask)
    out[..., 1:, :] |= mask[..., :-1, :]
    out[..., :-1, :] |= mask[..., 1:, :]
    out[..., :, 1:] |= mask[..., :, :-1]
    out[..., :, :-1] |= mask[..., :, 1:]
    return out


def _count(mask: np.ndarray) -> np.ndarray:
    """How many of each site's four neighbours are in ``mask`` (non-periodic)."""
    out = np.zeros(mask.shape, dtype=np.int8)
    out[..., 1:, :] += mask[..., :-1, :]
    out[..., :-1, :] += mask[..., 1:, :]
    out[..., :, 1:] += mask[..., :, :-1]
    out[..., :, :-1] += mask[..., :, 1:]
    return out


def _sprout(
    g: np.ndarray, c: np.ndarray, p_tip: np.ndarray, on: np.ndarray, rng: np.random.Generator
) -> None:
    """Vessel sites within ``VEGF_REACH`` of hypoxic tumour grow one site towards the lowest
    oxygen around them (hypoxic cells signal for vessels, e.g. through VEGF)."""
    vessel = g == VESSEL
    signal = (g == QUIESCENT) | (g == NECROTIC)
    for _ in range(VEGF_REACH):
        signal = signal | _touches(signal)
    nbr_v = np.zeros(g.shape, dtype=np.int8)
    for shift, axis in ((1, -1), (-1, -1), (1, -2), (-1, -2)):
        nbr_v += np.roll(vessel, shift, axis=axis)
    # oxygen of the four neighbours (vessel neighbours count as fully oxygenated)
    cn = np.where(vessel, 2.0, c)
    stack = np.stack(
        [np.roll(cn, -1, -2), np.roll(cn, 1, -2), np.roll(cn, -1, -1), np.roll(cn, 1, -1)], axis=0
    )
    k = np.argmin(stack, axis=0)
    low = np.take_along_axis(stack, k[None], axis=0)[0]
    prob = np.where(nbr_v <= 1, p_tip, p_tip * BRANCHING)
    # a sprout grows only into tissue that is short of oxygen (below SPROUT_BELOW)
    grow = vessel & signal & (low < SPROUT_BELOW) & (rng.random(g.shape, dtype=np.float32) < prob) & on
    if not grow.any():
        return
    idx = np.nonzero(grow)
    di = np.array([1, -1, 0, 0])[k[idx]]
    dj = np.array([0, 0, 1, -1])[k[idx]]
    ti = (idx[-2] + di) % g.shape[-2]
    tj = (idx[-1] + dj) % g.shape[-1]
    g[idx[:-2] + (ti, tj)] = VESSEL


def _p(rate: np.ndarray) -> np.ndarray:
    """Probability of at least one event in a step at ``rate`` per day."""
    return (-np.expm1(-rate * DT)).astype(np.float32)


def simulate(t: Any = DEFAULT_T, *, seed: Any = None, force_at: Any = None, **params: Any) -> SpatialResult:
    """Run the lattice lesion; any parameter may be an array (a batch of lesions).

    ``force_at`` (days, optional; an array joins the batch, inf for never): force the
    angiogenic switch on that day if it has not happened. Outputs are the lattice at the
    first step at or after each output time.
    """
    t = validate_time(t, high=2000.0)
    p = validate(PARAMS, params)
    extra = () if force_at is None else (np.shape(force_at),)
    shape = np.broadcast_shapes(*(np.shape(v) for v in p.values()), *extra)
    bsz = int(np.prod(shape)) if shape else 1
    flat = {k: np.broadcast_to(v, shape).reshape(bsz).astype(float) for k, v in p.items()}
    if force_at is None:
        force = np.full(bsz, np.inf)
    else:
        force = np.broadcast_to(np.asarray(force_at, dtype=float), shape).reshape(bsz).copy()
        if np.any(np.isnan(force)) or np.any(force < 0):
            raise ValueError(f"force_at = {force_at!r} is not allowed: give a day from 0 (or None).")
    rng = make_rng(seed)
    g = initial_grid(flat["spacing"], rng, bsz)

    col = (slice(None), None, None)
    p_div = _p(flat["r"])[col]
    p_apo = _p(flat["a"])[col]
    p_kill = _p(flat["kill"])[col]
    p_lys = _p(flat["lysis"])[col]
    p_sw = _p(flat["switch_rate"])
    p_tip = np.minimum(flat["v_sprout"] * DT / DX, 1.0).astype(np.float32)[col]
    p_reg = _p(np.asarray(REGRESSION))
    d_o2 = flat["d_O2"]

    n_steps = int(math.ceil(t[-1] / DT - 1e-9))
    # output j shows the state after step ceil(t_j / DT)
    out_step = np.ceil(t / DT - 1e-9).astype(int)
    frames = np.empty((bsz, len(t), SIDE, SIDE), dtype=np.int8)
    #: cumulative daughters born and living cells that died (apoptosis, killing, anoxia)
    births = np.zeros((bsz, len(t)))
    deaths = np.zeros((bsz, len(t)))
    born = np.zeros(bsz, dtype=np.int64)
    died = np.zeros(bsz, dtype=np.int64)
    t_switch = np.full(bsz, np.inf)
    c: np.ndarray | None = None
    #: sites of each state in each output frame (counted as the frame is stored)
    tally = np.zeros((bsz, len(t), VESSEL + 1))
    j = 0
    for k in range(n_steps + 1):
        # every tumour site lies in this box (rows, cols); all the cell rules work on it
        ext = _extent(g)
        if c is None:
            c, _ = oxygen_field(g, d_O2=d_o2)
        elif ext is not None:  # no lesion left: the field no longer changes
            # the field changes only near the lesion (and new vessels): relax a window around
            # it, its rim held at the converged field outside
            rows, cols = _pad(ext, OXYGEN_MARGIN)
            whole = rows == slice(0, SIDE) and cols == slice(0, SIDE)
            c[:, rows, cols], _ = oxygen_field(
                g[:, rows, cols], d_O2=d_o2, c0=c[:, rows, cols], frame=not whole
            )
        rows, cols = _pad(ext, PUSH + 2)
        gb, cb = g[:, rows, cols], c[:, rows, cols]
        tumour_living = (gb == PROLIFERATING) | (gb == QUIESCENT)
        starving = tumour_living & (cb < C_ANOXIC)
        died += starving.sum(axis=(-2, -1))
        gb[starving] = NECROTIC
        gb[tumour_living & (cb >= C_ANOXIC) & (cb < C_HYPOXIC)] = QUIESCENT
        gb[tumour_living & (cb >= C_HYPOXIC)] = PROLIFERATING
        while j < len(t) and out_step[j] == k:
            frames[:, j] = g
            for b in range(bsz):
                tally[b, j] = np.bincount(g[b].reshape(-1), minlength=VESSEL + 1)
            births[:, j] = born
            deaths[:, j] = died
            j += 1
        if k == n_steps:
            break
        now = (k + 1) * DT
        on_before = np.isfinite(t_switch)[col]
        # the draws cover the whole lattice (the same stream for any lesion size); the
        # rules read them in the box
        u = rng.random(g.shape, dtype=np.float32)[:, rows, cols]
        living = (gb == PROLIFERATING) | (gb == QUIESCENT)
        rim = _touches(gb == TISSUE)
        dies = living & ((u < p_apo) | (rim & (u > 1 - p_kill)))
        lysed = (gb == NECROTIC) & (u < p_lys)
        died += dies.sum(axis=(-2, -1))
        gb[dies | lysed] = TISSUE
        # divisions and contraction only touch the lesion and its surroundings: work on the
        # box around every lesion of the batch (a view of the lattice, updated in place)
        ext = None if ext is None else _extent(gb, (rows.start, cols.start))
        rows, cols = _pad(ext, PUSH + 2)
        gb = g[:, rows, cols]
        if rows.stop > rows.start:
            _close_holes(gb, rng)
            born += _divide(gb, p_div, rng)
        # divisions move the lesion's edge by at most PUSH sites in each direction: the box
        # still holds every tumour site and every vessel next to one
        tumour = (gb == PROLIFERATING) | (gb == QUIESCENT) | (gb == NECROTIC)
        enclosed = (
            (gb == VESSEL)
            & (_count(tumour) >= 3)
            & ~on_before
            & (rng.random(g.shape, dtype=np.float32)[:, rows, cols] < p_reg)
        )
        gb[enclosed] = NECROTIC
        hypoxic = ((gb == QUIESCENT) | (gb == NECROTIC)).any(axis=(-2, -1))
        waiting = ~np.isfinite(t_switch)
        flips = waiting & ((hypoxic & (rng.random(bsz) < p_sw)) | (force <= now))
        t_switch[flips] = now
        on = np.isfinite(t_switch)[col]
        if on.any():
            rows, cols = _box(g, VEGF_REACH + 2)
            if rows.stop > rows.start:
                _sprout(g[:, rows, cols], c[:, rows, cols], p_tip, on, rng)

    counts = {
        name: tally[..., code]
        for name, code in (
            ("proliferating", PROLIFERATING),
            ("quiescent", QUIESCENT),
            ("necrotic", NECROTIC),
            ("vessels", VESSEL),
        )
    }
    cells = counts["proliferating"] + counts["quiescent"] + counts["necrotic"]
    diameter = 2.0 * np.sqrt(cells / math.pi) * DX / 1000.0
    rs = shape + (len(t),)
    return SpatialResult(
        t=t,
        params=p,
        proliferating=counts["proliferating"].reshape(rs),
        quiescent=counts["quiescent"].reshape(rs),
        necrotic=counts["necrotic"].reshape(rs),
        vessels=counts["vessels"].reshape(rs),
        diameter_mm=diameter.reshape(rs),
        grid=frames.reshape(shape + (len(t), SIDE, SIDE)),
        t_switch=t_switch.reshape(shape) if shape else np.asarray(t_switch[0]),
        births=births.reshape(rs),
        deaths=deaths.reshape(rs),
        oxygen=(c if c is not None else np.ones((bsz, SIDE, SIDE))).reshape(shape + (SIDE, SIDE)),
    )
