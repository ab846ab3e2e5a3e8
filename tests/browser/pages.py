"""What the browser tests look at in a page: classroom sizes, axe-core, layout, latency tables.

Imported by ``conftest.py`` and the browser test modules (this folder is on ``sys.path``).
"""

from __future__ import annotations

#: viewport sizes a lesson is checked at: a laptop, a classroom projector, a phone
SIZES = {"laptop": (1366, 768), "projector": (1024, 768), "phone": (390, 844)}
#: slider-to-redraw target in the browser (ms, 95th percentile); printed, never asserted
LATENCY_TARGET_MS = 60.0


def summarize(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank) of latency samples in ms."""
    xs = sorted(samples)
    n = len(xs)
    median = xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])
    p95 = xs[min(n - 1, max(0, int(-(-0.95 * n // 1)) - 1))]
    return median, p95


#: axe findings per page (``lab: 03_...``, ``app: 03_...``) -> {impact: count}, for the summary
AXE_COUNTS: dict[str, dict[str, int]] = {}


def latency_table(samples: dict[str, list[float]], target: float = LATENCY_TARGET_MS) -> list[str]:
    """The per-lesson latency lines: a table with the target as a column, not alarms."""
    head = f"{'lesson':<40} {'median':>8} {'p95':>8} {'target':>8} {'n':>4}"
    lines = [head, "-" * len(head)]
    for name, xs in samples.items():
        median, p95 = summarize(xs)
        lines.append(f"{name:<40} {median:8.1f} {p95:8.1f} {target:8.0f} {len(xs):4d}")
    return lines


_JS_AXE = """async (include) => {
    const context = include ? {include: include} : document;
    const res = await axe.run(context, {resultTypes: ['violations']});
    return res.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.html.slice(0, 160))}));
}"""


def run_axe(pg, script: str, name: str, include: list[list[str]] | None = None) -> list[dict]:
    """axe's violations on the page (or inside ``include``); records counts by impact under ``name``."""
    if not pg.evaluate("() => typeof window.axe !== 'undefined'"):
        pg.add_script_tag(path=script)
    found = pg.evaluate(_JS_AXE, include)
    counts: dict[str, int] = {}
    for v in found:
        counts[v["impact"] or "none"] = counts.get(v["impact"] or "none", 0) + len(v["nodes"])
    AXE_COUNTS[name] = counts
    return found


def serious(violations: list[dict]) -> list[str]:
    """The serious and critical findings, one line each (rule, help, first elements)."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: " + " | ".join(v["nodes"][:3])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


# ---------------------------------------------------------------------- layout at classroom sizes
_JS_RECT = "(el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"
_JS_OVERFLOW = """() => {
    const vw = document.documentElement.clientWidth;
    const sel = '.widget-slider, .widget-dropdown, .widget-button, .widget-toggle-buttons, .widget-checkbox,'
        + ' .widget-text, .widget-textarea, .widget-radio, .noUi-handle, select, .dw-control';
    const out = [];
    document.querySelectorAll(sel).forEach(el => {
        if (el.closest('.dw-sr')) return;
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) return;
        if (r.right > vw + 1 || r.left < -1) {
            const label = el.querySelector('.widget-label');
            out.push(`${el.className.toString().slice(0, 60)} "${(label ? label.textContent : el.textContent)
                .trim().slice(0, 40)}" spans ${Math.round(r.left)}..${Math.round(r.right)} px`);
        }
    });
    return {vw, out, scroll: document.documentElement.scrollWidth};
}"""


def scroll_to_top_of(locator) -> None:
    locator.evaluate("(el) => el.scrollIntoView({block: 'start', inline: 'nearest'})")
    locator.page.wait_for_timeout(200)


def inside_viewport(locator) -> tuple[bool, list[float]]:
    page = locator.page
    vp = page.viewport_size
    left, top, right, bottom = locator.evaluate(_JS_RECT)
    ok = left >= -1 and top >= -1 and right <= vp["width"] + 1 and bottom <= vp["height"] + 1
    return ok, [round(left), round(top), round(right), round(bottom)]


def overflowing_controls(page) -> list[str]:
    return page.evaluate(_JS_OVERFLOW)["out"]


_JS_FIGURES_FIT = """() => Array.from(document.querySelectorAll('.dw-figure .bqplot')).every(b => {
    const svg = b.querySelector('svg');
    if (!svg || b.getBoundingClientRect().width === 0) return true;
    return Math.abs(b.getBoundingClientRect().width - svg.getBoundingClientRect().width) < 2;
})"""


def resize(page, width: int, height: int, timeout_ms: float = 6_000) -> None:
    """Set the viewport and wait until every figure has redrawn at its new width."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(300)
    try:
        page.wait_for_function(_JS_FIGURES_FIT, timeout=timeout_ms)
    except Exception as exc:  # a figure that never fits shows in the screenshot
        if "Timeout" not in type(exc).__name__:
            raise
    page.wait_for_timeout(300)


_JS_PLOTS = """() => {
    const vw = document.documentElement.clientWidth;
    return Array.from(document.querySelectorAll('.dw-figure svg.svg-figure')).map(svg => {
        const r = svg.getBoundingClientRect();
        const area = svg.querySelector('rect.plotarea_background');
        const right = area ? area.getBoundingClientRect().right : r.right;
        return right > vw + 1 ? `a plot's drawing area spans to ${Math.round(right)} px` : '';
    }).filter(x => x);
}"""


def overflowing_plots(page) -> list[str]:
    """Figures whose drawing area runs past the right edge of the screen."""
    return page.evaluate(_JS_PLOTS)
