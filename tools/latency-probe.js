(root) => {
    // Key press (keydown, capture phase) -> first change of a plotted path's `d` in the explorer
    // `root` (default: the page's first explorer). Call before each press; the times are
    // window.__dwLatency.t0 and .t1 (performance.now(), ms). Used by the browser tests and by
    // benchmarks/bench_classroom.py.
    root = root || document.querySelector('.dw-explorer');
    if (!window.__dwLatency) {
        window.__dwLatency = {armed: false, t0: null, t1: null};
        document.addEventListener('keydown', () => {
            const s = window.__dwLatency;
            if (s.armed) { s.t0 = performance.now(); s.armed = false; }
        }, true);
        const obs = new MutationObserver((records) => {
            const s = window.__dwLatency;
            if (s.t0 !== null && s.t1 === null && records.some(m => m.attributeName === 'd')) {
                s.t1 = performance.now();
            }
        });
        root.querySelectorAll('.bqplot').forEach(
            f => obs.observe(f, {subtree: true, attributes: true, attributeFilter: ['d']}));
    }
    Object.assign(window.__dwLatency, {armed: true, t0: null, t1: null});
}
