"""Binder, checked here: the environment ``binder/`` describes installs and runs every lesson.

``test_binder_environment_runs_every_lesson`` builds a fresh virtual environment the way
repo2docker does for a ``binder/requirements.txt`` + ``binder/runtime.txt`` repository (pip
install from the repository root, then ``binder/postBuild`` if there is one) and executes
every lesson in it with nbval. ``test_repo2docker_reads_the_spec`` asks repo2docker itself
for the Dockerfile (no container engine needed) and checks that it installs the pinned
requirements after the repository is copied in. Both need the network (PyPI) or
repo2docker respectively, and take minutes: they are marked ``slow``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
REQUIREMENTS = BINDER / "requirements.txt"
# what the test adds to the Binder environment to run the lessons (not part of the image)
HARNESS = ["pytest", "nbval"]


def runtime_version() -> str:
    """``3.11`` from ``binder/runtime.txt`` (``python-3.11``); repo2docker's default otherwise."""
    path = BINDER / "runtime.txt"
    if not path.is_file():
        return "3.10"
    m = re.fullmatch(r"python-(\d+\.\d+)(\.\d+)?", path.read_text().strip())
    assert m, f"binder/runtime.txt should read python-X.Y, not {path.read_text()!r}"
    return m.group(1)


def interpreter(version: str) -> str | None:
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    return shutil.which(f"python{version}")


def clean_env(venv: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


def run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
        pytest.fail(f"{' '.join(argv)} exited with {proc.returncode}:\n{tail}")
    return proc


def postbuild_command(path: Path) -> list[str]:
    """How repo2docker runs ``postBuild``: as an executable, i.e. through its shebang line."""
    first = path.read_text().splitlines()[0] if path.read_text() else ""
    if first.startswith("#!"):
        return [*first[2:].split(), str(path)]
    return ["/bin/sh", str(path)]


@pytest.fixture(scope="module")
def binder_venv(tmp_path_factory) -> Path:
    if not REQUIREMENTS.is_file():
        pytest.skip("no binder/requirements.txt")
    version = runtime_version()
    python = interpreter(version)
    if python is None:
        pytest.skip(f"binder/runtime.txt asks for Python {version}, which is not installed here")
    venv = tmp_path_factory.mktemp("binder") / "env"
    run([python, "-m", "venv", str(venv)], cwd=REPO, env=clean_env(), timeout=300)
    env = clean_env(venv)
    py = str(venv / "bin" / "python")
    # repo2docker: `pip install --no-cache-dir -r binder/requirements.txt` from the repository root
    run([py, "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"], cwd=REPO, env=env, timeout=1200)
    postbuild = BINDER / "postBuild"
    if postbuild.is_file():
        run(postbuild_command(postbuild), cwd=REPO, env=env, timeout=1200)
    run([py, "-m", "pip", "install", "-q", *HARNESS], cwd=REPO, env=env, timeout=600)
    return venv


def test_binder_environment_runs_every_lesson(binder_venv):
    lessons = sorted((REPO / "lessons").glob("*.ipynb"))
    if not lessons:
        pytest.skip("no lessons yet")
    py = str(binder_venv / "bin" / "python")
    env = clean_env(binder_venv)
    # the package comes from the environment, not from the checkout
    where = run(
        [py, "-c", "import dormancy_widgets; print(dormancy_widgets.__file__)"],
        cwd=binder_venv,
        env=env,
        timeout=120,
    ).stdout.strip()
    assert Path(where).is_relative_to(binder_venv), f"dormancy_widgets imported from {where}"
    proc = run(
        [
            py,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-q",
            "lessons/",
        ],
        cwd=REPO,
        env=env,
        timeout=1200,
    )
    summary = proc.stdout.strip().splitlines()[-1]
    print(f"nbval in the Binder environment: {summary}")
    m = re.search(r"(\d+) passed", summary)
    assert m and int(m.group(1)) >= len(lessons), summary


def test_binder_environment_serves_the_app_and_voila_extension(binder_venv):
    """Voila and the server extension behind Binder's ``urlpath=voila/render/...`` are installed."""
    env = clean_env(binder_venv)
    jupyter = str(binder_venv / "bin" / "jupyter")
    out = run([jupyter, "server", "extension", "list"], cwd=binder_venv, env=env, timeout=120)
    text = out.stdout + out.stderr
    for ext in ("voila.server_extension", "jupyterlab"):
        assert re.search(rf"{re.escape(ext)}\s+\S*enabled", text), f"{ext} not enabled:\n{text}"
    lab = run([jupyter, "labextension", "list"], cwd=binder_venv, env=env, timeout=120)
    labtext = lab.stdout + lab.stderr
    for ext in ("bqplot", "@jupyter-widgets/jupyterlab-manager"):
        assert ext in labtext, f"JupyterLab extension {ext} missing:\n{labtext}"


def test_installed_package_finds_its_lessons(binder_venv):
    """Outside a checkout (a pip install) the command must find the lessons shipped with the package."""
    lessons = sorted(p.name for p in (REPO / "lessons").glob("*.ipynb"))
    if not lessons:
        pytest.skip("no lessons yet")
    env = clean_env(binder_venv)
    env.pop("DORMANCY_LESSONS", None)
    proc = subprocess.run(
        [str(binder_venv / "bin" / "dormancy-widgets"), "list"],
        cwd=binder_venv,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, (
        "a pip-installed dormancy-widgets cannot find its lessons (ship lessons/ in the wheel "
        f"as dormancy_widgets/lessons):\n{proc.stderr}"
    )
    for name in lessons:
        assert name in proc.stdout


def test_repo2docker_reads_the_spec():
    exe = shutil.which("jupyter-repo2docker") or str(Path(sys.executable).parent / "jupyter-repo2docker")
    if not Path(exe).is_file():
        pytest.skip("jupyter-repo2docker is not installed (pip install jupyter-repo2docker)")
    if not REQUIREMENTS.is_file():
        pytest.skip("no binder/requirements.txt")
    argv = [exe, "--no-build", "--debug", "--user-id", "1000", "--user-name", "jovyan", "."]
    proc = run(argv, cwd=REPO, env=clean_env(), timeout=300)
    dockerfile, log = proc.stdout, proc.stderr
    assert "FROM " in dockerfile, f"no Dockerfile in the output:\n{log}"
    assert f"python={runtime_version()}" in log, (
        f"repo2docker did not pick Python {runtime_version()}:\n{log}"
    )
    install = re.search(r'^RUN .*pip install .*-r "?binder/requirements\.txt"?', dockerfile, re.M)
    assert install, "the Dockerfile does not pip-install binder/requirements.txt"
    # requirements.txt installs the repository itself (`.`): the repository must be copied in first
    copy = re.search(r"^COPY .*\bsrc/ \$\{REPO_DIR\}/", dockerfile, re.M)
    assert copy and copy.start() < install.start(), (
        "requirements are installed before the repository is copied"
    )
    if (BINDER / "postBuild").is_file():
        assert "postBuild" in dockerfile[install.end() :], "binder/postBuild is not run after the install"
