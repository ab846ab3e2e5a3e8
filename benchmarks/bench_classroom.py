"""A class in the served app: N students open a lesson at once and drag a slider (prints, never asserts).

Starts ``dormancy-widgets app`` on 127.0.0.1 (a free port, a temporary copy of the lessons),
then N simulated students, each a headless Chromium page in its own browser context
(``--per-browser`` pages share one Chromium process), open the same lesson within a few
seconds of each other, as a room does after "click the link on the slide". For each
student it measures:

* time to first interactive explorer: from the start of the page load until the first
  explorer's plot holds a drawn bqplot path;
* slider-to-redraw: once every student has an explorer ("now move the slider"), each
  presses an arrow key on a slider ``--moves`` times, with a think time between presses;
  the time runs from the key press to the first change of a plotted path's ``d``
  (MutationObserver + ``performance.now()`` in the page, as the browser tests do);
* failures: a page whose explorer never drew, that had no slider moving the plot, or
  whose slider press was not redrawn within ``--move-timeout``.

Memory is sampled every half second from /proc (psutil) for the kernel processes the
server started: peak RSS per kernel and the peak of all kernels plus the server together.
CPU seconds are reported for the kernels, the server and the browsers (the browsers run
on the same two cores here; in a real room they run on the students' machines).

Per-lesson figures (``--lessons-table``, on by default): one student per lesson; the peak
RSS of the kernel running that lesson and its CPU seconds per slider move.

Every run is bounded: ``--deadline`` seconds per class, page timeouts, and the server and
browsers are stopped afterwards (also on errors). Only 127.0.0.1 is contacted.

    python benchmarks/bench_classroom.py                  # per-lesson table, then N = 10 and 30
    python benchmarks/bench_classroom.py --students 3     # a quick look
    python benchmarks/bench_classroom.py --students 30 --no-lessons-table -- --pool 0

Arguments after ``--`` go to ``dormancy-widgets app`` (e.g. ``--pool 0`` to compare with
kernels started on demand). The last line reads
``N students: first explorer p95 X s, slider p95 Y ms, failures F, peak kernel RSS Z MB``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LESSONS = Path(os.environ.get("DW_LESSONS", REPO / "lessons"))
DEFAULT_LESSON = "01_below_detection.ipynb"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]
PATHS = ".dw-explorer .bqplot svg g.curve path.line"
MB = 1024 * 1024

_JS_DRAWN = (
    f"() => Array.from(document.querySelectorAll({PATHS!r}))"
    ".some(p => (p.getAttribute('d') || '').length > 10)"
)
# what the explorer shows once drawn: its messages and every slider's aria-valuetext
_JS_SHOWN = """() => {
    const root = document.querySelector('.dw-explorer');
    const msg = Array.from(root.querySelectorAll('.dw-message')).map(e => e.innerText.trim()).join(' ');
    const values = Array.from(root.querySelectorAll('.noUi-handle')).map(
        h => h.getAttribute('aria-valuetext') || '');
    return [msg.trim(), values];
}"""
# key press -> first redraw of a plotted path (the browser tests' probe)
_JS_ARM = (Path(__file__).resolve().parents[1] / "tools" / "latency-probe.js").read_text()
_JS_NAV = (
    "() => { const n = performance.getEntriesByType('navigation')[0];"
    " return [n.responseEnd / 1000, n.domContentLoadedEventEnd / 1000]; }"
)
_JS_DONE = "() => window.__dwLatency.t0 !== null && window.__dwLatency.t1 !== null"
_JS_READ = "() => window.__dwLatency.t1 - window.__dwLatency.t0"


# ---------------------------------------------------------------------- small helpers
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_path() -> str | None:
    env = os.environ.get("DW_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank; q in 0-100); NaN for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-q * len(s) // 100)) - 1))
    return s[k]


# ---------------------------------------------------------------------- the server
class App:
    """``dormancy-widgets app`` on 127.0.0.1, on a copy of the lessons; stopped by ``stop()``."""

    def __init__(self, extra: list[str], log: Path, timeout: float = 120.0) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="dw-classroom-"))
        shutil.copytree(LESSONS, self.tmp / "lessons", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        argv = [
            sys.executable,
            "-m",
            "dormancy_widgets.cli",
            "app",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            f"--lessons={self.tmp / 'lessons'}",
            *extra,
        ]
        self.argv = argv
        self.log_path = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log, "w")  # closed in stop()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "JUPYTER_PLATFORM_DIRS": "1"}
        self.proc = subprocess.Popen(
            argv, cwd=self.tmp, stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"the app exited with {self.proc.returncode}; see {log}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the app did not answer within {timeout:.0f} s; see {log}")
            time.sleep(0.25)

    def wait_for_pool(self, kernels: int, timeout: float) -> float:
        """Wait until ``kernels`` kernels have run their lesson up to the explorer; seconds waited.

        A pooled kernel that got there waits for its page on a websocket to the server
        (``/voila/query/<kernel id>``): count the kernels holding a connection to its port.
        """
        import psutil

        t0 = time.monotonic()
        me = psutil.Process(self.proc.pid)
        while time.monotonic() - t0 < timeout:
            waiting = 0
            for p in kernel_processes(me):
                try:
                    conns = p.net_connections(kind="tcp")
                except Exception:
                    continue
                waiting += any(c.raddr and c.raddr.port == self.port for c in conns)
            if waiting >= kernels:
                break
            time.sleep(1.0)
        return time.monotonic() - t0

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)
            except OSError:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=5)
        self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _cpu(p) -> float:
    try:
        t = p.cpu_times()
        return t.user + t.system
    except Exception:  # gone
        return 0.0


def kernel_processes(server) -> list:
    out = []
    try:
        children = server.children(recursive=True)
    except Exception:
        return out
    for p in children:
        try:
            if any("ipykernel" in part for part in p.cmdline()):
                out.append(p)
        except Exception:
            continue
    return out


class Sampler(threading.Thread):
    """Peak RSS per kernel and of kernels + server, sampled from /proc every ``every`` seconds."""

    def __init__(self, server_pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        import psutil

        self.server = psutil.Process(server_pid)
        self.every = every
        self.peak: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.peak_total = 0
        self._halt = threading.Event()

    def sample(self) -> None:
        total = 0
        try:
            total += self.server.memory_info().rss
        except Exception:
            pass
        for p in kernel_processes(self.server):
            try:
                rss = p.memory_info().rss
            except Exception:
                continue
            total += rss
            self.peak[p.pid] = max(self.peak.get(p.pid, 0), rss)
            self.cpu[p.pid] = _cpu(p)
        self.peak_total = max(self.peak_total, total)

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
        self.sample()


# ---------------------------------------------------------------------- one student
@dataclass
class Student:
    i: int
    first: float | None = None  # s to first drawn explorer
    moves: list[float] = field(default_factory=list)  # ms
    failed: str = ""
    html: float = float("nan")  # s from navigation start to the last byte of the page's HTML
    loaded: float = float("nan")  # s to DOMContentLoaded (the page's scripts parsed and run)
    js_errors: list[str] = field(default_factory=list)
    message: str = ""  # the explorer's messages once drawn (a link problem, a run problem)
    values: list[str] = field(default_factory=list)  # its sliders' aria-valuetext once drawn


async def find_slider(page, timeout_ms: float) -> int:
    """Index of the first slider whose arrow key redraws a plotted path (the press is not counted)."""
    handles = page.locator(".dw-explorer .widget-slider .noUi-handle")
    for i in range(await handles.count()):
        h = handles.nth(i)
        await h.scroll_into_view_if_needed()
        await h.focus()
        for key in ("ArrowRight", "ArrowLeft"):
            await page.evaluate(_JS_ARM)
            await h.press(key)
            try:
                await page.wait_for_function(_JS_DONE, timeout=timeout_ms)
                return i
            except Exception as exc:
                if "Timeout" not in type(exc).__name__:
                    raise
    raise RuntimeError("no slider redraws the plot")


async def open_lesson(st: Student, browser, url: str, timeout_s: float, delay: float) -> tuple:
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda exc: st.js_errors.append(str(exc)))
    t0 = time.monotonic()
    try:
        await page.goto(url, timeout=timeout_s * 1000, wait_until="commit")
        left = max(1.0, timeout_s - (time.monotonic() - t0))
        await page.wait_for_function(_JS_DRAWN, timeout=left * 1000, polling=50)
        st.first = time.monotonic() - t0
        st.html, st.loaded = await page.evaluate(_JS_NAV)
        st.message, st.values = await page.evaluate(_JS_SHOWN)
    except Exception as exc:
        st.failed = f"explorer not drawn: {type(exc).__name__}"
    return context, page


async def drag(st: Student, page, moves: int, move_timeout: float, rng: random.Random) -> None:
    if st.failed:
        return
    try:
        slider = await find_slider(page, move_timeout * 1000)
    except Exception as exc:
        st.failed = f"slider: {exc}"[:120]
        return
    h = page.locator(".dw-explorer .widget-slider .noUi-handle").nth(slider)
    await h.focus()
    for k in range(moves):
        await asyncio.sleep(rng.uniform(0.4, 1.2))  # think time between presses
        await page.evaluate(_JS_ARM)
        await h.press("ArrowLeft" if k % 2 else "ArrowRight")
        try:
            await page.wait_for_function(_JS_DONE, timeout=move_timeout * 1000, polling=20)
        except Exception as exc:
            st.failed = f"move {k + 1} not redrawn within {move_timeout:.0f} s ({type(exc).__name__})"
            return
        st.moves.append(await page.evaluate(_JS_READ))


async def _class(urls: list[str], args, mark=None) -> list[Student]:
    """Student i opens ``urls[i]``; all within ``args.spread`` s, then all drag a slider.

    ``mark()``, if given, is called when everyone has an explorer and when the dragging ends.
    """
    from playwright.async_api import async_playwright

    n = len(urls)
    rng = random.Random(n)
    students = [Student(i) for i in range(n)]
    async with async_playwright() as pw:
        browsers = []
        for _ in range(-(-n // args.per_browser)):
            browsers.append(
                await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
            )
        try:
            opened = await asyncio.gather(
                *(
                    open_lesson(
                        st,
                        browsers[st.i // args.per_browser],
                        urls[st.i],
                        args.page_timeout,
                        rng.uniform(0, args.spread),
                    )
                    for st in students
                )
            )
            # everyone has an explorer (or gave up): "now move the slider"
            if mark:
                mark()
            await asyncio.gather(
                *(
                    drag(st, page, args.moves, args.move_timeout, random.Random(1000 * n + st.i))
                    for st, (_, page) in zip(students, opened)
                )
            )
            if mark:
                mark()
            for context, _ in opened:
                await context.close()
        finally:
            for b in browsers:
                await b.close()
    return students


def cpu_snapshot(server) -> dict[str, float]:
    """CPU seconds so far: kernels, the server itself, browsers (the other children of this process)."""
    import psutil

    kernels = kernel_processes(server)
    skip = {server.pid} | {p.pid for p in kernels}
    try:
        skip |= {p.pid for p in server.children(recursive=True)}
        mine = psutil.Process().children(recursive=True)
    except Exception:
        mine = []
    return {
        "kernels": sum(_cpu(p) for p in kernels),
        "server": _cpu(server),
        "browsers": sum(_cpu(p) for p in mine if p.pid not in skip),
        "wall": time.monotonic(),
    }


def _pool_args(extra: list[str]) -> int:
    """The pool size passed to the app (``--pool N``), 0 if none."""
    for k, a in enumerate(extra):
        if a == "--pool" and k + 1 < len(extra):
            return int(extra[k + 1])
        if a.startswith("--pool="):
            return int(a.split("=", 1)[1])
    return 0


def run_class(n: int, args, extra: list[str]) -> dict:
    """One class of ``n`` students; returns the figures and prints them."""
    lesson = args.lesson
    pool = _pool_args(extra)
    app = App(extra, Path(args.logs) / f"classroom-{n}.log")
    try:
        waited = app.wait_for_pool(pool, timeout=args.deadline / 2) if pool else 0.0
        sampler = Sampler(app.proc.pid)
        sampler.start()
        marks = [cpu_snapshot(sampler.server)]
        load0 = load_average()
        t0 = time.monotonic()
        urls = [app.url + "voila/render/" + lesson] * n
        mark = lambda: marks.append(cpu_snapshot(sampler.server))  # noqa: E731
        students_run = _class(urls, args, mark)
        try:
            students = asyncio.run(asyncio.wait_for(students_run, args.deadline))
        except TimeoutError:
            why = f"class did not finish within {args.deadline:.0f} s"
            students = [Student(i, failed=why) for i in range(n)]
        wall = time.monotonic() - t0
        sampler.stop()
        phases = [
            {k: b[k] - a[k] for k in a} for a, b in itertools.pairwise(marks)
        ]  # arriving (up to everyone's explorer), dragging
    finally:
        app.stop()
    firsts = [s.first for s in students if s.first is not None]
    moves = [m for s in students for m in s.moves]
    failures = [s for s in students if s.failed]
    peaks = sorted(v / MB for v in sampler.peak.values())
    res = {
        "n": n,
        "lesson": lesson,
        "app_args": extra,
        "pool_ready_s": round(waited, 1),
        "load_before": load0,
        "load_after": load_average(),
        "wall_s": round(wall, 1),
        "first_median_s": statistics.median(firsts) if firsts else float("nan"),
        "first_p95_s": pct(firsts, 95),
        "slider_median_ms": statistics.median(moves) if moves else float("nan"),
        "slider_p95_ms": pct(moves, 95),
        "moves": len(moves),
        "failures": len(failures),
        "why": sorted({s.failed for s in failures}),
        "js_errors": sum(len(s.js_errors) for s in students),
        "kernels": len(peaks),
        "kernel_rss_max_mb": peaks[-1] if peaks else float("nan"),
        "kernel_rss_median_mb": statistics.median(peaks) if peaks else float("nan"),
        "total_rss_peak_mb": sampler.peak_total / MB,
        "cpu_phases": phases,
    }
    print(
        f"\nN = {n} on {lesson}, students in headless Chromium (app args: {' '.join(extra) or 'none'}; "
        f"load average before {res['load_before']}, after {res['load_after']})"
    )
    if pool:
        print(f"  pool of {pool} preheated kernels ready after {waited:.0f} s")
    print(
        f"  first interactive explorer: median {res['first_median_s']:.1f} s, p95 {res['first_p95_s']:.1f} s "
        f"({len(firsts)} of {n} pages)"
    )
    if firsts:
        html = statistics.median(s.html for s in students if s.first is not None)
        loaded = statistics.median(s.loaded for s in students if s.first is not None)
        res.update(html_median_s=html, dom_loaded_median_s=loaded)
        print(
            f"    of which: page HTML complete after {html:.1f} s, scripts run after {loaded:.1f} s (medians)"
        )
    print(
        f"  slider -> redraw: median {res['slider_median_ms']:.0f} ms, p95 {res['slider_p95_ms']:.0f} ms "
        f"({len(moves)} moves)"
    )
    print(f"  failures: {len(failures)}" + (f" ({'; '.join(res['why'])})" if failures else ""))
    if res["js_errors"]:
        print(f"  uncaught JavaScript errors in the pages: {res['js_errors']}")
    print(
        f"  memory: {len(peaks)} kernels, peak RSS per kernel median {res['kernel_rss_median_mb']:.0f} MB, "
        f"max {res['kernel_rss_max_mb']:.0f} MB; "
        f"kernels + server together peak {res['total_rss_peak_mb']:.0f} MB"
    )
    for name, ph in zip(("arriving", "dragging"), phases):
        moves_done = max(1, len(moves))
        per = (
            f"{ph['kernels'] / moves_done * 1000:.0f} ms kernel CPU per move"
            if name == "dragging"
            else f"{(ph['kernels'] + ph['server']) / n:.2f} s server-side CPU per student"
        )
        print(
            f"  CPU while {name} ({ph['wall']:.0f} s): kernels {ph['kernels']:.1f} s, "
            f"server {ph['server']:.1f} s, browsers {ph['browsers']:.1f} s ({per})"
        )
    return res


# ---------------------------------------------------------------------- per-lesson figures
async def _one_lesson(url: str, moves: int, server) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            before = {p.pid for p in kernel_processes(server)}
            st = Student(0)
            context, page = await open_lesson(st, browser, url, 120.0, 0.0)
            out = {"first_s": st.first, "failed": st.failed}
            if st.failed:
                await context.close()
                return out
            mine = [p for p in kernel_processes(server) if p.pid not in before]
            kernel = mine[0] if mine else None
            slider = await find_slider(page, 15_000)
            h = page.locator(".dw-explorer .widget-slider .noUi-handle").nth(slider)
            await h.focus()
            await asyncio.sleep(1.0)
            c0 = _cpu(kernel) if kernel else 0.0
            lat = []
            for k in range(moves):
                await page.evaluate(_JS_ARM)
                await h.press("ArrowLeft" if k % 2 else "ArrowRight")
                await page.wait_for_function(_JS_DONE, timeout=15_000, polling=20)
                lat.append(await page.evaluate(_JS_READ))
                await asyncio.sleep(0.3)
            await asyncio.sleep(0.5)
            c1 = _cpu(kernel) if kernel else float("nan")
            out.update(pid=kernel.pid if kernel else None, cpu_per_move=(c1 - c0) / moves, latency=lat)
            await context.close()
            return out
        finally:
            await browser.close()


def lessons_table(args, extra: list[str]) -> list[dict]:
    """One student per lesson, one after another, on one server."""
    names = sorted(p.name for p in LESSONS.glob("[0-9][0-9]_*.ipynb"))
    own = [a for a in extra if not a.startswith("--pool")] + ["--pool", "0"]
    app = App(own, Path(args.logs) / "lessons.log")
    rows = []
    try:
        sampler = Sampler(app.proc.pid, every=0.25)
        sampler.start()
        for name in names:
            url = app.url + "voila/render/" + name
            r = asyncio.run(asyncio.wait_for(_one_lesson(url, 20, sampler.server), 180))
            sampler.sample()
            r["lesson"] = name
            r["rss_mb"] = sampler.peak.get(r.get("pid"), 0) / MB
            rows.append(r)
        sampler.stop()
        for r in rows:  # the final peak (the kernel kept its memory after the moves)
            if r.get("pid") in sampler.peak:
                r["rss_mb"] = sampler.peak[r["pid"]] / MB
    finally:
        app.stop()
    print(f"\nPer lesson: one student, 20 slider moves (load average {load_average()})")
    head = ("lesson", "first explorer", "kernel peak RSS", "CPU per move", "redraw p95")
    print(f"  {head[0]:<40} {head[1]:>15} {head[2]:>16} {head[3]:>13} {head[4]:>11}")
    for r in rows:
        if r.get("failed"):
            print(f"  {r['lesson']:<40} failed: {r['failed']}")
            continue
        print(
            f"  {r['lesson']:<40} {r['first_s']:>13.1f} s {r['rss_mb']:>13.0f} MB "
            f"{1000 * r['cpu_per_move']:>10.0f} ms {pct(r['latency'], 95):>8.0f} ms"
        )
    return rows


# ---------------------------------------------------------------------- main
def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--students", type=int, action="append", help="class size; repeat for several (default 10, 30)"
    )
    p.add_argument(
        "--lesson", default=DEFAULT_LESSON, help=f"the lesson everyone opens (default {DEFAULT_LESSON})"
    )
    p.add_argument("--moves", type=int, default=10, help="slider presses per student (default 10)")
    p.add_argument(
        "--spread", type=float, default=3.0, help="students arrive within this many seconds (default 3)"
    )
    p.add_argument("--per-browser", type=int, default=10, help="pages per Chromium process (default 10)")
    p.add_argument(
        "--page-timeout", type=float, default=120.0, help="s for a page's explorer to draw (default 120)"
    )
    p.add_argument(
        "--move-timeout", type=float, default=15.0, help="s for a slider press to redraw (default 15)"
    )
    p.add_argument("--deadline", type=float, default=600.0, help="s for a whole class before it is stopped")
    p.add_argument(
        "--no-lessons-table", dest="lessons_table", action="store_false", help="skip the per-lesson run"
    )
    p.add_argument("--lessons-only", action="store_true", help="only the per-lesson run")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.add_argument("--logs", default=str(REPO / "test-artifacts"), help="where the server logs go")
    args = p.parse_args(argv)
    for n in args.students or []:
        if not 1 <= n <= 100:
            p.error(f"--students = {n} is not allowed: choose 1 to 100")
    return args, extra


def default_app_args(n: int, lesson: str) -> list[str]:
    """What a teacher would type for a room of ``n`` on ``lesson``: a pool as large as the room."""
    return ["--pool", str(n), "--pool-for", lesson[:2]]


def main(argv: list[str] | None = None) -> list[dict]:
    args, extra = parse(list(argv or []))
    # stopped from outside (SIGTERM): unwind, so that the server and the browsers are stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # progress shows when piped to a file
    if chromium_path() is None:
        print("skipped: no Chromium binary (apt-get install chromium, or set DW_CHROMIUM)")
        return []
    try:
        import playwright  # noqa: F401
        import psutil  # noqa: F401
    except ImportError as exc:
        print(f"skipped: {exc} (pip install playwright psutil)")
        return []
    results: list[dict] = []
    if args.lessons_table and (not args.students or args.lessons_only):
        results.append({"lessons": lessons_table(args, extra)})
    last = None
    for n in [] if args.lessons_only else args.students or [10, 30]:
        app_args = extra or default_app_args(n, args.lesson)
        last = run_class(n, args, app_args)
        results.append(last)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    if last:
        print(
            f"{last['n']} students: first explorer p95 {last['first_p95_s']:.1f} s, "
            f"slider p95 {last['slider_p95_ms']:.0f} ms, failures {last['failures']}, "
            f"peak kernel RSS {last['kernel_rss_max_mb']:.0f} MB"
        )
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
