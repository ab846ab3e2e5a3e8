"""The ``dormancy-widgets`` command: lessons for students, a code-free app for teachers.

``dormancy-widgets lessons [DIR]``
    Copy the lesson notebooks into DIR (default ``./dormancy-lessons``) and open JupyterLab
    there. A lesson the student has already edited is never overwritten without asking:
    on a terminal the command asks (default no); otherwise it keeps the student's copy
    unless ``--yes`` is given, and says what it did. A replaced copy is first saved under
    ``DIR/backups/``. Run as root (a container), it passes ``--allow-root`` to JupyterLab.

``dormancy-widgets app [--port N] [--no-browser]``
    Serve the lessons as web pages with Voila: no code visible, only the text and the
    explorers. A URL query string opens a scenario, e.g.
    ``/voila/render/01_below_detection.ipynb?preset=speer1984_plateau`` or ``?T0=1e6``;
    the lesson checks the link against the model's parameters and says what was wrong with
    a bad one.

``dormancy-widgets list``
    Print where the lessons are and their names.

Options after ``--`` are passed to JupyterLab or Voila unchanged, e.g.
``dormancy-widgets lessons -- --ServerApp.ip=0.0.0.0``.

The lessons are looked up in a source checkout first (``lessons/`` beside the package),
then among the files installed with the package (``dormancy_widgets/lessons``); ``--lessons``
or the ``DORMANCY_LESSONS`` environment variable points anywhere else.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import quote

__all__ = ["copy_lessons", "find_lessons", "lab_argv", "main", "voila_argv"]

DEFAULT_DIR = "dormancy-lessons"
#: where a replaced (edited) lesson is saved, inside the lessons folder
BACKUP_DIR = "backups"
#: the package's Voila template (``jupyter/voila/templates/dormancy``): Voila's lab template
#: without the icon font it would fetch from a CDN
VOILA_TEMPLATE = "dormancy"
TEMPLATES = Path(__file__).resolve().parent / "jupyter"
EXTRA_HELP = (
    "Options after `--` are passed unchanged to JupyterLab (lessons) or Voila (app), "
    "e.g. `dormancy-widgets lessons -- --ServerApp.ip=0.0.0.0` or `dormancy-widgets app -- --theme=dark`."
)
DEFAULT_PORT = 8866
ENV_LESSONS = "DORMANCY_LESSONS"
_IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".*")


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


# ---------------------------------------------------------------------- lessons on disk
def _has_lessons(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.ipynb"))


def lesson_candidates() -> list[Path]:
    """Where lessons may be, in the order they are tried."""
    here = Path(__file__).resolve().parent
    out = []
    env = os.environ.get(ENV_LESSONS)
    if env:
        out.append(Path(env).expanduser())
    # a clone (editable install or running from the tree): lessons/ beside the package
    if (here.parent / "pyproject.toml").is_file():
        out.append(here.parent / "lessons")
    # a wheel: lessons shipped as package data
    out.append(here / "lessons")
    return out


def find_lessons(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The directory holding the lesson notebooks; ``CliError`` if there is none."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not _has_lessons(path):
            raise CliError(f"no lesson notebooks (*.ipynb) in {path}")
        return path.resolve()
    tried = lesson_candidates()
    for path in tried:
        if _has_lessons(path):
            return path.resolve()
    raise CliError(
        "cannot find the lesson notebooks; looked in "
        + ", ".join(str(p) for p in tried)
        + f". Point --lessons (or {ENV_LESSONS}) at a folder of lessons."
    )


def lesson_names(src: Path) -> list[str]:
    return sorted(p.name for p in src.glob("*.ipynb"))


# ---------------------------------------------------------------------- copying
def _source_files(src: Path) -> list[Path]:
    """Every file of the lessons folder (notebooks and anything they use), relative paths."""
    files = []
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if path.is_file():
            files.append(rel)
    return files


def copy_lessons(
    src: Path,
    dest: Path,
    *,
    overwrite: bool | None = None,
    ask: Callable[[str], bool] | None = None,
    say: Callable[[str], object] = print,
) -> dict[str, list[str]]:
    """Copy the lessons from ``src`` into ``dest``; never silently replace an edited file.

    For a file that exists in ``dest`` and differs from the shipped one: ``overwrite=True``
    replaces it, ``False`` keeps it; ``None`` calls ``ask(question)`` and keeps the file
    unless it returns True (no ``ask``: keep). A replaced file is first saved under
    ``dest/backups/`` with the time in its name. Returns the relative paths by outcome:
    ``copied`` (new), ``replaced``, ``kept`` (differing, left alone), ``same`` (identical),
    and ``backups`` (where replaced files were saved). A folder that cannot be written is a
    ``CliError`` saying so, not a traceback.
    """
    _check_destination(dest)
    try:
        return _copy(src, dest, overwrite=overwrite, ask=ask)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        where = exc.filename or dest
        raise CliError(f"cannot write the lessons into {dest}: {where}: {reason}") from None


def _check_destination(dest: Path) -> None:
    """A clear message for a destination that is a file, lies below a file, or is read-only."""
    if dest.exists() and not dest.is_dir():
        raise CliError(f"{dest} exists and is not a folder")
    parent = dest
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise CliError(f"cannot create {dest}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CliError(f"cannot write the lessons into {dest}: {parent} is read-only; choose another folder")


def _backup_name(dest: Path, rel: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = dest / BACKUP_DIR / rel.parent / f"{rel.stem}-{stamp}{rel.suffix}"
    n = 1
    while target.exists():
        n += 1
        target = dest / BACKUP_DIR / rel.parent / f"{rel.stem}-{stamp}-{n}{rel.suffix}"
    return target


def _copy(
    src: Path,
    dest: Path,
    *,
    overwrite: bool | None,
    ask: Callable[[str], bool] | None,
) -> dict[str, list[str]]:
    outcome: dict[str, list[str]] = {"copied": [], "replaced": [], "kept": [], "same": [], "backups": []}
    for rel in _source_files(src):
        s, d = src / rel, dest / rel
        name = rel.as_posix()
        if d.is_dir():
            raise CliError(f"{d} is a folder where the lesson file {name} should go")
        if d.exists():
            if filecmp.cmp(s, d, shallow=False):
                outcome["same"].append(name)
                continue
            if overwrite is None:
                replace = ask(f"{d} differs from the shipped lesson (edited?). Replace it?") if ask else False
            else:
                replace = overwrite
            if not replace:
                outcome["kept"].append(name)
                continue
            backup = _backup_name(dest, rel)
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(d, backup)
            shutil.copy2(s, d)
            outcome["replaced"].append(name)
            outcome["backups"].append(backup.relative_to(dest).as_posix())
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)
            outcome["copied"].append(name)
    return outcome


def _ask_tty(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------------- servers
def free_port(start: int, host: str = "127.0.0.1", tries: int = 50) -> int:
    """The first port from ``start`` on that nothing listens on."""
    for port in range(start, min(start + tries, 65536)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise CliError(f"no free port between {start} and {start + tries - 1}")


def voila_argv(lessons: Path, port: int, *, ip: str = "127.0.0.1", open_browser: bool = True) -> list[str]:
    """Voila's arguments to serve every lesson in ``lessons``, without code cells."""
    argv = [
        str(lessons),
        f"--port={port}",
        f"--Voila.ip={ip}",
        "--Voila.port_retries=0",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--template={VOILA_TEMPLATE}",
    ]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def room_argv(lessons: Path, pool: int = 0, pool_for: Sequence[str] = (), cull_idle: float = 0) -> list[str]:
    """Voila's arguments for a room: ``pool`` preheated kernels per lesson, idle kernels culled.

    ``pool_for`` limits the pool to the lessons whose names start with one of its entries
    (e.g. ``"03"``); the others start a kernel when a page is opened. ``cull_idle`` (minutes)
    shuts down kernels whose page was closed and that did nothing for that long.
    See docs/deploying.md for the measured figures behind these options.
    """
    argv: list[str] = []
    if pool > 0:
        argv += ["--preheat_kernel=True", f"--pool_size={pool}"]
        # a taken kernel is replaced an hour later, not while the room is loading and exploring
        argv.append("--VoilaKernelManager.fill_delay=3600")
        if pool_for:
            for name in lesson_names(lessons):
                if not any(name.startswith(prefix) for prefix in pool_for):
                    argv.append(f"--VoilaKernelManager.preheat_denylist={name}")
    if cull_idle > 0:
        argv += [
            f"--MappingKernelManager.cull_idle_timeout={int(cull_idle * 60)}",
            "--MappingKernelManager.cull_interval=60",
        ]
    return argv


def lab_argv(
    folder: Path, port: int | None = None, *, open_browser: bool = True, start: str | None = None
) -> list[str]:
    """JupyterLab's arguments to serve ``folder``, opening the lesson ``start`` if given."""
    argv = [f"--ServerApp.root_dir={folder}"]
    if port is not None:
        argv.append(f"--port={port}")
    if not open_browser:
        argv.append("--no-browser")
    if start is not None:
        argv.append(str(folder / start))
    return argv


def _launch_voila(argv: list[str]) -> int:
    try:
        from voila.app import Voila
    except ImportError as exc:
        raise CliError(
            "the app needs Voila: pip install 'dormancy-widgets[lessons]' (or pip install voila)"
        ) from exc
    # Voila finds templates on the Jupyter data path: put the package's folder first
    paths = [str(TEMPLATES), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    Voila.launch_instance(argv=argv)
    return 0


def _launch_lab(argv: list[str]) -> int:
    try:
        from jupyterlab.labapp import LabApp
    except ImportError as exc:
        raise CliError(
            "opening the lessons needs JupyterLab: pip install 'dormancy-widgets[lessons]'"
        ) from exc
    LabApp.launch_instance(argv=argv)
    return 0


# ---------------------------------------------------------------------- commands
def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port = {text!r} is not a whole number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port = {port} is not allowed: choose 1 to 65535")
    return port


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _root_args(extra: list[str]) -> list[str]:
    """``--allow-root`` when running as root (containers, CI), where JupyterLab refuses otherwise."""
    if _is_root() and "--allow-root" not in extra:
        print("Running as root (a container?): starting JupyterLab with --allow-root.")
        return ["--allow-root"]
    return []


def _cmd_list(args: argparse.Namespace) -> int:
    src = find_lessons(args.lessons)
    print(f"Lessons in {src}:")
    for name in lesson_names(src):
        print(f"  {name}")
    return 0


def _cmd_lessons(args: argparse.Namespace) -> int:
    src = find_lessons(args.lessons)
    dest = Path(args.dir).expanduser().resolve()
    if dest == src:
        raise CliError(f"{dest} is where the lessons come from; choose another folder")
    ask = None
    if args.overwrite is None:
        if _stdin_is_tty():
            ask = _ask_tty
        else:
            print("No terminal to ask on: lessons you have edited are kept (use --yes to replace them).")
    done = copy_lessons(src, dest, overwrite=args.overwrite, ask=ask)
    print(f"Lessons in {dest}:")
    saved = dict(zip(done["replaced"], done["backups"]))
    for key, text in (
        ("copied", "copied"),
        ("replaced", "replaced with the shipped version"),
        ("kept", "kept your edited copy"),
        ("same", "already up to date"),
    ):
        for name in done[key]:
            note = f" (your copy is saved as {saved[name]})" if name in saved else ""
            print(f"  {name}: {text}{note}")
    if args.no_launch:
        return 0
    start = next((n for n in lesson_names(dest) if n.startswith("00_")), None)
    if start:
        print(f"Opening JupyterLab; start with {start}.")
    extra = _root_args(args.extra) + args.extra
    argv = lab_argv(dest, args.port, open_browser=not args.no_browser, start=start)
    return _launch_lab(argv[:-1] + extra + argv[-1:] if start else argv + extra)


def _cmd_app(args: argparse.Namespace) -> int:
    src = find_lessons(args.lessons)
    port = free_port(args.port, args.ip)
    if port != args.port:
        print(f"Port {args.port} is busy; using {port}.")
    host = "localhost" if args.ip in {"127.0.0.1", "0.0.0.0"} else args.ip
    print(f"Serving the lessons in {src} as an app. Links (add ?preset=NAME or ?PARAM=VALUE):")
    for name in lesson_names(src):
        print(f"  http://{host}:{port}/voila/render/{quote(name)}")
    room = room_argv(src, args.pool, args.pool_for or (), args.cull_idle)
    if args.pool > 0:
        # a preheated kernel asks the server for its page's query string (deep links) here
        os.environ.setdefault("VOILA_APP_IP", "127.0.0.1" if args.ip == "0.0.0.0" else args.ip)
        which = ", ".join(args.pool_for) if args.pool_for else "every lesson"
        print(f"Keeping {args.pool} preheated kernel(s) ready for {which}.")
    print("Stop with Ctrl+C.")
    sys.stdout.flush()
    argv = voila_argv(src, port, ip=args.ip, open_browser=not args.no_browser)
    return _launch_voila(argv + room + args.extra)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dormancy-widgets",
        usage="%(prog)s [-h] [--version] COMMAND [options] [-- OPTIONS FOR JUPYTERLAB/VOILA]",
        description="Interactive lessons on tumour dormancy and metastasis.",
        epilog=EXTRA_HELP,
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def lessons_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--lessons",
            metavar="SRC",
            help=f"folder to take the lessons from (default: the installed ones, or ${ENV_LESSONS})",
        )

    p = sub.add_parser(
        "lessons",
        help="copy the lessons into a folder and open JupyterLab there",
        description="Copy the lessons into DIR and open JupyterLab there. A lesson you have "
        "edited is not replaced unless you agree (asked on a terminal; --yes/--no decide "
        "without asking; without a terminal your copy is kept); a replaced copy is saved "
        f"in DIR/{BACKUP_DIR}/ first. As root, JupyterLab is started with --allow-root.",
        epilog="Options after `--` are passed to JupyterLab unchanged, "
        "e.g. `dormancy-widgets lessons -- --ServerApp.ip=0.0.0.0`.",
    )
    p.add_argument("dir", nargs="?", default=DEFAULT_DIR, metavar="DIR", help=f"default: ./{DEFAULT_DIR}")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--yes", "-y", dest="overwrite", action="store_const", const=True,
        help="replace edited lessons with the shipped version without asking",
    )  # fmt: skip
    group.add_argument(
        "--no", "-n", dest="overwrite", action="store_const", const=False,
        help="keep edited lessons without asking",
    )  # fmt: skip
    p.add_argument("--no-launch", action="store_true", help="copy only; do not start JupyterLab")
    p.add_argument("--no-browser", action="store_true", help="start JupyterLab without opening a browser")
    p.add_argument("--port", type=_port, default=None, help="JupyterLab's port")
    lessons_opt(p)
    p.set_defaults(func=_cmd_lessons)

    p = sub.add_parser(
        "app",
        help="serve the lessons as a code-free web app (Voila)",
        description="Serve the lessons with Voila. A link such as "
        "/voila/render/01_below_detection.ipynb?preset=NAME or ?PARAM=VALUE opens a scenario.",
        epilog="Options after `--` are passed to Voila unchanged, "
        "e.g. `dormancy-widgets app -- --theme=dark`.",
    )
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument(
        "--pool", type=int, default=0, metavar="N",
        help="keep N kernels per lesson started and run up to the explorer, so that a room "
        "opening a lesson at once does not wait for kernels (default 0: start one per page)",
    )  # fmt: skip
    p.add_argument(
        "--pool-for", action="append", metavar="NN",
        help="only pool kernels for lessons starting with NN (repeatable; default: every lesson)",
    )  # fmt: skip
    p.add_argument(
        "--cull-idle", type=float, default=0, metavar="MIN",
        help="shut down kernels whose page was closed after MIN idle minutes (default 0: never)",
    )  # fmt: skip
    lessons_opt(p)
    p.set_defaults(func=_cmd_app)

    p = sub.add_parser("list", help="show where the lessons are and their names")
    lessons_opt(p)
    p.set_defaults(func=_cmd_list)

    # quiz export, assignment, inventory (dormancy_widgets/assessment/cli.py)
    from .assessment.cli import add_commands

    add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # everything after `--` goes to JupyterLab or Voila unchanged (e.g. -- --allow-root)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    args.extra = extra
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"dormancy-widgets {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
