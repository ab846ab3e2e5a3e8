"""Real-browser fixtures: headless Chromium (Playwright) against real JupyterLab and Voila servers.

Every test in this folder is marked ``browser`` and skipped, with the reason, when Python
Playwright or a Chromium binary is missing (or fails, when ``DW_REQUIRE_BROWSER=1``, so
that CI cannot pass by skipping them). Playwright drives the system Chromium
(``/usr/bin/chromium`` or ``$DW_CHROMIUM``); it never downloads a browser.

Servers listen on 127.0.0.1 on a free port and are stopped afterwards: one JupyterLab per
session (kernels are shut down after every test, so each test gets a fresh kernel) and one
Voila app (``dormancy-widgets app``) per test module. Both serve a temporary copy of the
lessons, so nothing the browser does can save outputs into the repository's notebooks.

Accessibility: axe-core (pinned, installed from npm into a cache folder by
``tools/ensure-axe.sh``) is injected into every lesson page; its serious and critical
findings fail the tests. Screenshots of every lesson at the classroom sizes (``SIZES``) go
to the artifacts folder; look at them.

Environment: ``DW_LESSONS`` (lessons folder, default ``lessons/``), ``DW_ARTIFACTS``
(screenshots and server logs, default ``test-artifacts/``), ``DW_CHROMIUM``, ``DW_AXE``
(path of ``axe.min.js``; default: what ``tools/ensure-axe.sh`` prints).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pages import AXE_COUNTS, latency_table

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LESSONS = Path(os.environ.get("DW_LESSONS", REPO / "lessons"))
ARTIFACTS = Path(os.environ.get("DW_ARTIFACTS", REPO / "test-artifacts"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 90.0


# ---------------------------------------------------------------------- what can run
def chromium_path() -> str | None:
    env = os.environ.get("DW_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def skip_reason() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Python Playwright is not installed (pip install 'dormancy-widgets[browser]')"
    if chromium_path() is None:
        return "no Chromium binary (apt-get install chromium, or set DW_CHROMIUM)"
    for mod, what in (("jupyterlab", "JupyterLab"), ("voila", "Voila")):
        if importlib.util.find_spec(mod) is None:
            return f"{what} is not installed (pip install 'dormancy-widgets[lessons]')"
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True, scope="session")
def _browser_available():
    """Skip with the reason when something is missing; fail instead under ``DW_REQUIRE_BROWSER=1`` (CI)."""
    reason = skip_reason()
    if reason:
        if os.environ.get("DW_REQUIRE_BROWSER", "") not in {"", "0"}:
            pytest.fail(f"DW_REQUIRE_BROWSER is set but {reason}", pytrace=False)
        pytest.skip(reason)


# ---------------------------------------------------------------------- the lessons
@dataclass
class Lesson:
    """What the tests need to know about one lesson notebook, read from its source."""

    name: str  # file name, e.g. 01_below_detection.ipynb
    explorers: list[str] = field(default_factory=list)  # explorer classes it opens
    linked: list[str] = field(default_factory=list)  # those opened by lesson.explore (URL query aware)
    preset: str | None = None  # the preset the first of those opens on
    opens_with: str = ""  # the text of that explore(...) call

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".ipynb")

    def __str__(self) -> str:
        return self.stem


def read_lesson(path: Path) -> Lesson:
    from dormancy_widgets.widgets import EXPLORERS

    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join(
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
        if c["cell_type"] == "code"
    )
    found = [m.group(0) for m in re.finditer(r"\b\w+Explorer\b", code) if m.group(0) in EXPLORERS]
    linked = [m.group(1) for m in re.finditer(r"\bexplore\(\s*(\w+)", code) if m.group(1) in EXPLORERS]
    preset, call = None, ""
    if linked:
        m = re.search(rf"\bexplore\(\s*{linked[0]}\s*,[^)]*?preset\s*=\s*['\"]([^'\"]+)['\"]", code)
        preset = m.group(1) if m else None
        c = re.search(rf"\bexplore\(\s*{linked[0]}\b[^)]*\)", code)
        call = c.group(0) if c else ""
    return Lesson(path.name, list(dict.fromkeys(found)), list(dict.fromkeys(linked)), preset, call)


def all_lessons() -> list[Lesson]:
    if not LESSONS.is_dir():
        return []
    return [read_lesson(p) for p in sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))]


@pytest.fixture(scope="session")
def lesson_list() -> list[Lesson]:
    return all_lessons()


def pytest_generate_tests(metafunc):
    # ``lesson``: every lesson notebook; ``linked_lesson``: those opening an explorer with
    # ``lesson.explore`` (the ones a URL query string can set up)
    if "lesson" in metafunc.fixturenames:
        metafunc.parametrize("lesson", all_lessons(), ids=str)
    if "linked_lesson" in metafunc.fixturenames:
        metafunc.parametrize("linked_lesson", [x for x in all_lessons() if x.linked], ids=str)
    if "unlinked_lesson" in metafunc.fixturenames:
        metafunc.parametrize("unlinked_lesson", [x for x in all_lessons() if not x.linked], ids=str)


# ---------------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def http(method: str, url: str, timeout: float = 10.0) -> int:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


class Server:
    """A server process started for the tests; its output goes to a log file."""

    def __init__(self, name: str, argv: list[str], ready_path: str, cwd: Path, port: int) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.url = f"http://127.0.0.1:{port}/"
        self.log_path = ARTIFACTS / f"{name}.log"
        self._log = open(self.log_path, "w")  # closed in stop()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "JUPYTER_PLATFORM_DIRS": "1"}
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _ = http_get(self.url + ready_path, timeout=2.0)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                limit = f"{SERVER_START_TIMEOUT:.0f} s"
                raise RuntimeError(f"{name} did not answer within {limit}:\n{self.log_tail()}")
            time.sleep(0.25)

    def log_tail(self, n: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


@pytest.fixture(scope="session")
def served_root(tmp_path_factory) -> Path:
    """A temporary folder holding a copy of the lessons in ``lessons/`` (as in the repository)."""
    if not LESSONS.is_dir() or not any(LESSONS.glob("*.ipynb")):
        pytest.skip(f"no lessons in {LESSONS}")
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(LESSONS, root / "lessons", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


def _lab_settings(folder: Path) -> None:
    """User settings for a quiet, fully rendered JupyterLab."""
    settings = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        # render every cell (the default lazy rendering leaves off-screen outputs out of the page)
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for rel, values in settings.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="session")
def lab_server(served_root, tmp_path_factory):
    """A JupyterLab server on the lessons copy; yields its base URL."""
    state = tmp_path_factory.mktemp("lab-state")
    _lab_settings(state / "settings")
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={served_root}",
        f"--LabApp.user_settings_dir={state / 'settings'}",
        f"--LabApp.workspaces_dir={state / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--ServerApp.disable_check_xsrf=True",
    ]
    server = Server("jupyterlab", argv, "api/status", served_root, port)
    yield server.url
    server.stop()


@pytest.fixture
def lab(lab_server):
    """The JupyterLab URL; every session and kernel is shut down after the test."""
    yield lab_server
    shutdown_kernels(lab_server)


def shutdown_kernels(base: str) -> None:
    for kind in ("sessions", "kernels"):
        try:
            _, body = http_get(f"{base}api/{kind}")
            for item in json.loads(body):
                http("DELETE", f"{base}api/{kind}/{item['id']}")
        except (OSError, ValueError):
            pass


@pytest.fixture(scope="module")
def voila_app(served_root):
    """``dormancy-widgets app`` serving the lessons copy; yields its base URL."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "dormancy_widgets.cli",
        "app",
        "--no-browser",
        f"--port={port}",
        f"--lessons={served_root / 'lessons'}",
    ]
    server = Server("voila", argv, "", served_root, port)
    yield server.url
    server.stop()


# ---------------------------------------------------------------------- the browser
def watch_errors(pg):
    """Collect the page's uncaught JavaScript errors in ``pg.console_errors``."""
    if not hasattr(pg, "console_errors"):
        pg.console_errors = []
        pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    return pg


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    context.set_default_timeout(60_000)
    pg = watch_errors(context.new_page())
    yield pg
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# ---------------------------------------------------------------------- an explorer in a page
PATHS = ".bqplot svg g.curve path.line"

_JS_PATHS = f"(root) => Array.from(root.querySelectorAll({PATHS!r})).map(p => p.getAttribute('d') || '')"
_JS_TEXT = "(el) => el ? el.innerText.trim() : ''"
_JS_ANY_CHANGE = f"""([root, paths, readout]) => {{
    const now = Array.from(root.querySelectorAll({PATHS!r})).map(p => p.getAttribute('d') || '');
    const r = root.querySelector('.dw-readout');
    const text = r ? r.innerText.trim() : '';
    return JSON.stringify(now) !== JSON.stringify(paths) || text !== readout;
}}"""
# time from the key press to the first redraw of a plotted path (shared with bench_classroom)
_JS_ARM_LATENCY = (REPO / "tools" / "latency-probe.js").read_text()


class ExplorerUI:
    """The first explorer (``.dw-explorer``) on a page: its paths, readout, message, sliders."""

    watch_errors = staticmethod(watch_errors)

    def __init__(self, page, timeout_ms: float = 90_000) -> None:
        self.page = page
        self.root = page.locator(".dw-explorer").first
        # a plotted line with data means the explorer has rendered
        page.wait_for_function(
            f"() => Array.from(document.querySelectorAll('.dw-explorer {PATHS}'))"
            ".some(p => (p.getAttribute('d') || '').length > 10)",
            timeout=timeout_ms,
        )
        self.handle = self.root.element_handle()
        self.settle()

    def state(self) -> tuple[list[str], str, str]:
        return self.paths(), self.readout(), self.message()

    def settle(self, quiet_ms: int = 500, timeout_ms: int = 8_000) -> None:
        """Wait until plot, readout and message stop changing (widgets sync after first render)."""
        waited, last, since = 0, self.state(), 0
        while since < quiet_ms and waited < timeout_ms:
            self.page.wait_for_timeout(100)
            waited += 100
            now = self.state()
            since = since + 100 if now == last else 0
            last = now

    def paths(self) -> list[str]:
        return self.handle.evaluate(_JS_PATHS)

    def readout(self) -> str:
        return self.root.locator(".dw-readout").first.inner_text().strip()

    def message(self) -> str:
        """Every message the explorer shows (a run problem, a link problem), joined."""
        return " ".join(t.strip() for t in self.root.locator(".dw-message").all_inner_texts() if t.strip())

    def citation(self) -> str:
        return " ".join(t.strip() for t in self.root.locator(".dw-citation").all_inner_texts())

    def sliders(self):
        return self.root.locator(".widget-slider .noUi-handle")

    def wait_for(self, js: str, arg, timeout_ms: float) -> bool:
        try:
            self.page.wait_for_function(js, arg=arg, timeout=timeout_ms)
        except Exception as exc:  # playwright's TimeoutError
            if "Timeout" in type(exc).__name__:
                return False
            raise
        return True

    def move_a_slider(self, presses: int = 6) -> tuple[int, str]:
        """Move sliders with the keyboard until one changes both the plot and the readout.

        Returns (slider index, key). Each slider is pushed right (then left if nothing
        moved, e.g. at its maximum); a slider that changes only the plot (a view control)
        or nothing (a parameter switched off by another) is passed over.
        """
        handles = self.sliders()
        for i in range(handles.count()):
            h = handles.nth(i)
            h.scroll_into_view_if_needed()
            h.focus()
            for key in ("ArrowRight", "ArrowLeft"):
                paths, readout = self.paths(), self.readout()
                for _ in range(presses if key == "ArrowRight" else 2 * presses):
                    h.press(key)
                if not self.wait_for(_JS_ANY_CHANGE, [self.handle, paths, readout], 3_000):
                    continue  # nothing moved: try the other direction
                self.settle(quiet_ms=300)
                if self.paths() != paths and self.readout() != readout:
                    return i, key
                break  # only the plot (or only the text) changed: next slider
        raise AssertionError("no slider changed both the plotted path and the readout")

    def latency(self, slider: int, key: str, repeats: int = 10, settle_ms: int = 150) -> list[float]:
        """Key press -> first redraw of a plotted path, in ms, ``repeats`` times.

        Every press moves the slider one step further in the same direction, so every sample
        is a setting the explorer has not run before (pressing back and forth would measure
        runs the explorer keeps, which a student dragging on does not meet)."""
        h = self.sliders().nth(slider)
        h.focus()
        # towards the end with room for every press (noUiSlider's handle states its range)
        low, now, high = (float(h.get_attribute(f"aria-value{a}") or "nan") for a in ("min", "now", "max"))
        if now - low > high - now:
            key = "ArrowLeft"
        elif high - now > now - low:
            key = "ArrowRight"
        out = []
        for _ in range(repeats):
            self.page.wait_for_timeout(settle_ms)
            self.handle.evaluate(_JS_ARM_LATENCY)
            h.press(key)
            self.page.wait_for_function(
                "() => window.__dwLatency.t1 !== null && window.__dwLatency.t0 !== null", timeout=10_000
            )
            t0, t1 = self.page.evaluate("() => [window.__dwLatency.t0, window.__dwLatency.t1]")
            out.append(t1 - t0)
        return out


@pytest.fixture
def explorer_ui():
    """``explorer_ui(page)``: wait for the first explorer on the page and wrap it."""
    return ExplorerUI


LATENCIES: dict[str, list[float]] = {}


@pytest.fixture(scope="session")
def latency_report() -> dict[str, list[float]]:
    """Per-lesson slider-to-redraw samples (ms), summarized at the end of the run; never asserted."""
    return LATENCIES


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if LATENCIES:
        tr.section("slider -> redraw in Chromium: key press to first path update (ms)")
        lines = latency_table(LATENCIES)
        for line in lines:
            tr.write_line(line)
        (ARTIFACTS / "latency.txt").write_text("\n".join(lines) + "\n")
    if AXE_COUNTS:
        tr.section("axe-core findings per page (serious and critical fail the tests)")
        lines = []
        for name, counts in AXE_COUNTS.items():
            text = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
            lines.append(f"{name:<44} {text}")
        for line in lines:
            tr.write_line(line)
        (ARTIFACTS / "axe.txt").write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------- accessibility (axe-core)
@pytest.fixture(scope="session")
def axe_script() -> str:
    """Path of axe.min.js: ``$DW_AXE``, or installed by ``tools/ensure-axe.sh`` (pinned version)."""
    path = os.environ.get("DW_AXE")
    if not path:
        try:
            out = subprocess.run(
                ["sh", str(REPO / "tools" / "ensure-axe.sh")], capture_output=True, text=True, timeout=300
            )
            path = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
        except (OSError, subprocess.SubprocessError):
            path = ""
    if not path or not Path(path).is_file():
        reason = "axe-core is not available (tools/ensure-axe.sh needs npm and the npm registry)"
        if os.environ.get("DW_REQUIRE_BROWSER", "") not in {"", "0"}:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path
