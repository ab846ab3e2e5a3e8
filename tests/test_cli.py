"""The ``dormancy-widgets`` command, without starting any server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dormancy_widgets import cli


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """A lessons folder: two notebooks, a data file in a subfolder, and clutter to skip."""
    d = tmp_path / "shipped"
    (d / "data").mkdir(parents=True)
    (d / "00_start_here.ipynb").write_text('{"cells": [], "start": 1}')
    (d / "01_below_detection.ipynb").write_text('{"cells": [], "lesson": 1}')
    (d / "data" / "table.csv").write_text("a,b\n1,2\n")
    (d / ".ipynb_checkpoints").mkdir()
    (d / ".ipynb_checkpoints" / "00_start_here-checkpoint.ipynb").write_text("{}")
    return d


@pytest.fixture
def no_tty(monkeypatch):
    monkeypatch.setattr(cli, "_stdin_is_tty", lambda: False)


@pytest.fixture
def no_servers(monkeypatch):
    """Record what would be launched instead of launching it."""
    launched: dict[str, list[str]] = {}
    monkeypatch.setattr(cli, "_launch_lab", lambda argv: launched.setdefault("lab", argv) and 0)
    monkeypatch.setattr(cli, "_launch_voila", lambda argv: launched.setdefault("voila", argv) and 0)
    return launched


def edit(path: Path, text: str = '{"cells": ["my notes"]}') -> str:
    path.write_text(text)
    return text


# ---------------------------------------------------------------------- finding the lessons
def test_find_lessons_explicit_folder(src):
    assert cli.find_lessons(src) == src.resolve()


def test_find_lessons_rejects_a_folder_without_notebooks(tmp_path):
    with pytest.raises(cli.CliError, match="no lesson notebooks"):
        cli.find_lessons(tmp_path)


def test_environment_variable_comes_first(src, monkeypatch):
    monkeypatch.setenv(cli.ENV_LESSONS, str(src))
    assert cli.lesson_candidates()[0] == src
    assert cli.find_lessons() == src.resolve()


def test_candidates_cover_a_clone_and_an_installed_package(monkeypatch):
    monkeypatch.delenv(cli.ENV_LESSONS, raising=False)
    package = Path(cli.__file__).resolve().parent
    candidates = cli.lesson_candidates()
    assert candidates[-1] == package / "lessons"  # shipped as package data in a wheel
    if (package.parent / "pyproject.toml").is_file():  # this test runs from a clone
        assert candidates[0] == package.parent / "lessons"


def test_no_lessons_anywhere_is_a_readable_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "lesson_candidates", lambda: [tmp_path / "a", tmp_path / "b"])
    assert cli.main(["list"]) == 1
    err = capsys.readouterr().err
    assert "cannot find the lesson notebooks" in err and str(tmp_path / "a") in err
    assert "Traceback" not in err


def test_list_names_the_lessons(src, capsys):
    assert cli.main(["list", "--lessons", str(src)]) == 0
    out = capsys.readouterr().out
    assert "00_start_here.ipynb" in out and "01_below_detection.ipynb" in out
    assert "checkpoint" not in out


# ---------------------------------------------------------------------- copying
def test_copy_into_a_new_folder(src, tmp_path):
    dest = tmp_path / "student"
    done = cli.copy_lessons(src, dest)
    assert sorted(done["copied"]) == ["00_start_here.ipynb", "01_below_detection.ipynb", "data/table.csv"]
    assert (dest / "data" / "table.csv").read_text() == "a,b\n1,2\n"
    assert not (dest / ".ipynb_checkpoints").exists()
    again = cli.copy_lessons(src, dest)
    assert again["copied"] == [] and len(again["same"]) == 3


def test_an_edited_lesson_is_kept_by_default(src, tmp_path):
    dest = tmp_path / "student"
    cli.copy_lessons(src, dest)
    mine = edit(dest / "01_below_detection.ipynb")
    (dest / "00_start_here.ipynb").unlink()  # a deleted lesson comes back
    done = cli.copy_lessons(src, dest)
    assert done["kept"] == ["01_below_detection.ipynb"]
    assert done["copied"] == ["00_start_here.ipynb"]
    assert (dest / "01_below_detection.ipynb").read_text() == mine


@pytest.mark.parametrize("overwrite", [True, False])
def test_explicit_decision(src, tmp_path, overwrite):
    dest = tmp_path / "student"
    cli.copy_lessons(src, dest)
    mine = edit(dest / "01_below_detection.ipynb")

    def ask(question):  # pragma: no cover - must not be called
        raise AssertionError("asked although the decision was given")

    done = cli.copy_lessons(src, dest, overwrite=overwrite, ask=ask)
    text = (dest / "01_below_detection.ipynb").read_text()
    if overwrite:
        assert done["replaced"] == ["01_below_detection.ipynb"]
        assert text == (src / "01_below_detection.ipynb").read_text()
    else:
        assert done["kept"] == ["01_below_detection.ipynb"]
        assert text == mine


@pytest.mark.parametrize("answer", [True, False])
def test_asks_about_each_edited_file(src, tmp_path, answer):
    dest = tmp_path / "student"
    cli.copy_lessons(src, dest)
    mine = edit(dest / "01_below_detection.ipynb")
    questions = []
    done = cli.copy_lessons(src, dest, ask=lambda q: questions.append(q) or answer)
    assert len(questions) == 1 and "01_below_detection.ipynb" in questions[0]
    text = (dest / "01_below_detection.ipynb").read_text()
    assert (text != mine) is answer
    assert done["replaced" if answer else "kept"] == ["01_below_detection.ipynb"]


def test_destination_that_is_a_file(src, tmp_path, no_tty, capsys):
    target = tmp_path / "afile"
    target.write_text("x")
    assert cli.main(["lessons", str(target), "--no-launch", "--lessons", str(src)]) == 1
    assert "is not a folder" in capsys.readouterr().err
    assert target.read_text() == "x"


def test_refuses_to_copy_onto_the_source(src, capsys):
    assert cli.main(["lessons", str(src), "--no-launch", "--lessons", str(src)]) == 1
    assert "choose another folder" in capsys.readouterr().err


# ---------------------------------------------------------------------- `lessons` command
def test_lessons_command_without_a_terminal_keeps_edits_and_says_so(src, tmp_path, no_tty, capsys):
    dest = tmp_path / "student"
    assert cli.main(["lessons", str(dest), "--no-launch", "--lessons", str(src)]) == 0
    mine = edit(dest / "01_below_detection.ipynb")
    assert cli.main(["lessons", str(dest), "--no-launch", "--lessons", str(src)]) == 0
    out = capsys.readouterr().out
    assert "No terminal to ask on" in out and "--yes" in out
    assert "01_below_detection.ipynb: kept your edited copy" in out
    assert (dest / "01_below_detection.ipynb").read_text() == mine


@pytest.mark.parametrize("flag,replaced", [("--yes", True), ("-y", True), ("--no", False), ("-n", False)])
def test_lessons_command_flags(src, tmp_path, monkeypatch, capsys, flag, replaced):
    monkeypatch.setattr(cli, "_stdin_is_tty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked despite " + flag))
    dest = tmp_path / "student"
    cli.copy_lessons(src, dest)
    mine = edit(dest / "01_below_detection.ipynb")
    assert cli.main(["lessons", str(dest), flag, "--no-launch", "--lessons", str(src)]) == 0
    out = capsys.readouterr().out
    assert ((dest / "01_below_detection.ipynb").read_text() != mine) is replaced
    assert ("replaced with the shipped version" if replaced else "kept your edited copy") in out


@pytest.mark.parametrize("typed,replaced", [("y\n", True), ("yes", True), ("", False), ("n", False)])
def test_lessons_command_asks_on_a_terminal(src, tmp_path, monkeypatch, typed, replaced):
    monkeypatch.setattr(cli, "_stdin_is_tty", lambda: True)
    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or typed)
    dest = tmp_path / "student"
    cli.copy_lessons(src, dest)
    mine = edit(dest / "01_below_detection.ipynb")
    assert cli.main(["lessons", str(dest), "--no-launch", "--lessons", str(src)]) == 0
    assert len(prompts) == 1 and prompts[0].endswith("[y/N] ")
    assert ((dest / "01_below_detection.ipynb").read_text() != mine) is replaced


def test_end_of_input_counts_as_no(src, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_stdin_is_tty", lambda: True)

    def eof(prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", eof)
    dest = tmp_path / "student"
    cli.copy_lessons(src, dest)
    mine = edit(dest / "01_below_detection.ipynb")
    assert cli.main(["lessons", str(dest), "--no-launch", "--lessons", str(src)]) == 0
    assert (dest / "01_below_detection.ipynb").read_text() == mine


def test_default_folder_and_launch(src, tmp_path, monkeypatch, no_tty, no_servers, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lessons", "--lessons", str(src), "--no-browser", "--port", "9999"]) == 0
    dest = tmp_path / cli.DEFAULT_DIR
    assert (dest / "00_start_here.ipynb").is_file()
    argv = no_servers["lab"]
    assert f"--ServerApp.root_dir={dest}" in argv
    assert "--port=9999" in argv and "--no-browser" in argv
    assert argv[-1] == str(dest / "00_start_here.ipynb")  # the start page opens first
    assert "start with 00_start_here.ipynb" in capsys.readouterr().out


def test_options_after_double_dash_go_to_the_server(src, tmp_path, no_tty, no_servers):
    dest = tmp_path / "s"
    argv = ["lessons", str(dest), "--lessons", str(src), "--", "--allow-root", "--ServerApp.ip=0.0.0.0"]
    assert cli.main(argv) == 0
    lab = no_servers["lab"]
    assert lab[-3:] == ["--allow-root", "--ServerApp.ip=0.0.0.0", str(dest / "00_start_here.ipynb")]
    assert cli.main(["app", "--lessons", str(src), "--", "--theme=dark"]) == 0
    assert no_servers["voila"][-1] == "--theme=dark"


def test_no_launch_starts_nothing(src, tmp_path, no_tty, no_servers):
    assert cli.main(["lessons", str(tmp_path / "x"), "--no-launch", "--lessons", str(src)]) == 0
    assert no_servers == {}


# ---------------------------------------------------------------------- `app` command
def test_app_serves_the_lessons_with_voila(src, no_servers, capsys):
    port = cli.free_port(18866)
    assert cli.main(["app", "--port", str(port), "--no-browser", "--lessons", str(src)]) == 0
    argv = no_servers["voila"]
    assert argv[0] == str(src.resolve())
    assert f"--port={port}" in argv and "--no-browser" in argv and "--Voila.ip=127.0.0.1" in argv
    out = capsys.readouterr().out
    assert f"http://localhost:{port}/voila/render/01_below_detection.ipynb" in out
    assert "?preset=" in out


def test_app_opens_a_browser_unless_told_not_to(src, no_servers):
    assert cli.main(["app", "--port", str(cli.free_port(18866)), "--lessons", str(src)]) == 0
    assert "--no-browser" not in no_servers["voila"]


def test_app_moves_off_a_busy_port(src, no_servers, capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["app", "--port", str(port), "--no-browser", "--lessons", str(src)]) == 0
    chosen = next(a for a in no_servers["voila"] if a.startswith("--port="))
    assert chosen != f"--port={port}"
    assert f"Port {port} is busy" in capsys.readouterr().out


def test_missing_voila_is_a_readable_error(src, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "voila.app", None)  # makes `from voila.app import ...` fail
    assert cli.main(["app", "--no-browser", "--lessons", str(src)]) == 1
    err = capsys.readouterr().err
    assert "dormancy-widgets[lessons]" in err and "Traceback" not in err


def test_missing_jupyterlab_is_a_readable_error(src, tmp_path, monkeypatch, no_tty, capsys):
    monkeypatch.setitem(sys.modules, "jupyterlab.labapp", None)
    assert cli.main(["lessons", str(tmp_path / "s"), "--lessons", str(src)]) == 1
    assert "dormancy-widgets[lessons]" in capsys.readouterr().err


# ---------------------------------------------------------------------- argument errors
@pytest.mark.parametrize(
    "argv,message",
    [
        (["lessons", "--yes", "--no"], "not allowed with"),
        (["app", "--port", "70000"], "choose 1 to 65535"),
        (["app", "--port", "abc"], "not a whole number"),
        (["lessons", "a", "b"], "unrecognized arguments"),
        (["serve"], "invalid choice"),
    ],
)
def test_argument_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "lessons" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert "dormancy-widgets" in capsys.readouterr().out


def test_runs_as_a_module(src):
    out = subprocess.run(
        [sys.executable, "-m", "dormancy_widgets.cli", "list", "--lessons", str(src)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "01_below_detection.ipynb" in out


# ---------------------------------------------------------------------- the first hour
def test_replacing_an_edited_lesson_keeps_a_backup(src, tmp_path):
    dest = tmp_path / "mine"
    cli.copy_lessons(src, dest)
    mine = edit(dest / "01_below_detection.ipynb")
    done = cli.copy_lessons(src, dest, overwrite=True)
    assert done["replaced"] == ["01_below_detection.ipynb"]
    (backup,) = done["backups"]
    assert backup.startswith(f"{cli.BACKUP_DIR}/01_below_detection-") and backup.endswith(".ipynb")
    assert (dest / backup).read_text() == mine
    assert (dest / "01_below_detection.ipynb").read_text() == (src / "01_below_detection.ipynb").read_text()
    # a second replacement in the same second does not overwrite the first backup
    edit(dest / "01_below_detection.ipynb", '{"cells": ["more notes"]}')
    again = cli.copy_lessons(src, dest, overwrite=True)
    assert again["backups"][0] != backup and (dest / backup).read_text() == mine
    # backups are not lessons: the start page is still the one that opens
    assert cli.lesson_names(dest)[0] == "00_start_here.ipynb"


def test_answering_yes_says_where_the_backup_is(src, tmp_path, monkeypatch, capsys):
    dest = tmp_path / "mine"
    cli.copy_lessons(src, dest)
    edit(dest / "01_below_detection.ipynb")
    monkeypatch.setattr(cli, "_stdin_is_tty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    assert cli.main(["lessons", str(dest), "--no-launch", "--lessons", str(src)]) == 0
    out = capsys.readouterr().out
    assert "replaced with the shipped version (your copy is saved as backups/01_below_detection-" in out


def test_a_folder_below_a_file_is_a_clear_message(src, tmp_path, no_tty, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    assert cli.main(["lessons", str(blocker / "sub"), "--no-launch", "--lessons", str(src)]) == 1
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "Traceback" not in err


def test_a_read_only_folder_is_a_clear_message(src, tmp_path, no_tty, capsys, monkeypatch):
    dest = tmp_path / "ro"
    dest.mkdir()
    dest.chmod(0o555)
    try:
        if os.access(dest, os.W_OK):  # root may write anywhere: make the write fail as it would
            real_access = os.access
            monkeypatch.setattr(
                cli.os, "access", lambda p, mode: False if Path(p) == dest else real_access(p, mode)
            )
        assert cli.main(["lessons", str(dest / "lessons"), "--no-launch", "--lessons", str(src)]) == 1
    finally:
        dest.chmod(0o755)
    err = capsys.readouterr().err
    assert "read-only" in err and "Traceback" not in err


def test_a_failing_write_is_a_clear_message(src, tmp_path, no_tty, capsys, monkeypatch):
    """Errors the checks cannot foresee (a full disk, a read-only mount) are still no traceback."""

    def fail(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "x" / "00_start_here.ipynb"))

    monkeypatch.setattr(cli.shutil, "copy2", fail)
    assert cli.main(["lessons", str(tmp_path / "x"), "--no-launch", "--lessons", str(src)]) == 1
    err = capsys.readouterr().err
    assert "cannot write the lessons into" in err and "Permission denied" in err and "Traceback" not in err


@pytest.mark.parametrize("root", [True, False])
def test_root_passes_allow_root_itself(src, tmp_path, no_tty, no_servers, monkeypatch, capsys, root):
    monkeypatch.setattr(cli, "_is_root", lambda: root)
    assert cli.main(["lessons", str(tmp_path / "d"), "--lessons", str(src)]) == 0
    argv = no_servers["lab"]
    assert ("--allow-root" in argv) is root
    assert argv.count("--allow-root") <= 1
    if root:
        assert "--allow-root" in capsys.readouterr().out


def test_root_and_an_explicit_allow_root_pass_it_once(src, tmp_path, no_tty, no_servers, monkeypatch):
    monkeypatch.setattr(cli, "_is_root", lambda: True)
    assert cli.main(["lessons", str(tmp_path / "d"), "--lessons", str(src), "--", "--allow-root"]) == 0
    assert no_servers["lab"].count("--allow-root") == 1


@pytest.mark.parametrize("argv", [["--help"], ["lessons", "--help"], ["app", "--help"]])
def test_help_says_where_options_after_double_dash_go(argv, capsys):
    with pytest.raises(SystemExit):
        cli.main(argv)
    out = " ".join(capsys.readouterr().out.split())
    assert "Options after `--` are passed" in out
    assert ("JupyterLab" in out) or ("Voila" in out)


def test_the_sdist_ships_every_script_the_makefile_runs():
    """``make test`` from an unpacked sdist needs tools/ensure-chromium.sh and tools/ensure-axe.sh."""
    tomllib = pytest.importorskip("tomllib")
    repo = Path(cli.__file__).resolve().parents[1]
    if not (repo / "Makefile").is_file():
        pytest.skip("not a source checkout")
    include = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"][
        "sdist"
    ]["include"]
    used = set(re.findall(r"\btools/[\w.-]+", (repo / "Makefile").read_text()))
    assert used, "the Makefile runs no script from tools/"
    for path in sorted(used):
        assert (repo / path).is_file(), path
        assert any(path == inc or path.startswith(inc.rstrip("/") + "/") for inc in include), (
            f"{path} is not in the sdist"
        )


def test_the_app_uses_the_template_without_a_cdn_icon_font():
    assert f"--template={cli.VOILA_TEMPLATE}" in cli.voila_argv(Path("x"), 8866)
    ours = cli.TEMPLATES / "voila" / "templates" / cli.VOILA_TEMPLATE / "index.html.j2"
    assert ours.is_file()
    strip = re.findall(r"'(<link [^']+fontawesome[^']+)'", ours.read_text())
    assert len(strip) == 2
    paths = pytest.importorskip("voila.paths")
    lab = next(
        (
            Path(p) / "index.html.j2"
            for p in paths.collect_template_paths(["voila"], "lab")
            if p.endswith("lab")
        ),
        None,
    )
    if lab is None or not lab.is_file():
        pytest.skip("Voila's lab template is not installed")
    text = lab.read_text()
    # the links the template strips are the ones Voila's lab template has (else the font is fetched)
    assert all(link in text for link in strip) or "fontawesome" not in text
