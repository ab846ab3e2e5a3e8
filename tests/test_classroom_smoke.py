"""The room set-up without a browser: the app's pool and culling flags, and deep links in a preheated kernel.

The browser half (three students on preheated kernels, no page fails) is
tests/browser/test_classroom.py; the measurements are benchmarks/bench_classroom.py.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from dormancy_widgets import cli, lesson

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


def test_no_pool_and_no_culling_by_default():
    assert cli.room_argv(LESSONS) == []
    args = cli.build_parser().parse_args(["app"])
    assert (args.pool, args.pool_for, args.cull_idle) == (0, None, 0)


def test_pool_for_one_lesson_denies_every_other_lesson():
    argv = cli.room_argv(LESSONS, pool=30, pool_for=["03"], cull_idle=20)
    assert "--preheat_kernel=True" in argv and "--pool_size=30" in argv
    denied = [a.split("=", 1)[1] for a in argv if a.startswith("--VoilaKernelManager.preheat_denylist=")]
    names = cli.lesson_names(LESSONS)
    assert sorted(denied) == [n for n in names if not n.startswith("03")]
    assert "--MappingKernelManager.cull_idle_timeout=1200" in argv
    assert "--MappingKernelManager.cull_interval=60" in argv


def test_voila_accepts_the_room_flags():
    """Voila's own command-line parser reads every flag into its configuration."""
    pytest.importorskip("voila")
    from voila.app import Voila

    app = Voila()
    app.parse_command_line(
        [str(LESSONS), *cli.room_argv(LESSONS, pool=4, pool_for=["01", "03"], cull_idle=10)]
    )
    c = app.config  # the kernel managers' values stay strings until their class reads them
    assert c.VoilaConfiguration.preheat_kernel is True
    assert c.VoilaConfiguration.default_pool_size == 4
    assert str(c.VoilaKernelManager.fill_delay) == "3600"
    assert len(c.VoilaKernelManager.preheat_denylist) == len(cli.lesson_names(LESSONS)) - 2
    assert str(c.MappingKernelManager.cull_idle_timeout) == "600"


def _serve_request_info(payload: dict) -> tuple[int, list[str], threading.Thread]:
    """A stand-in for Voila's /voila/query/<kernel id> socket: sends ``payload`` once."""
    from websockets.sync.server import serve

    paths: list[str] = []

    def handler(ws):
        paths.append(ws.request.path)
        ws.send(json.dumps(payload))

    server = serve(handler, "127.0.0.1", 0)
    port = server.socket.getsockname()[1]

    def run():
        with server:
            server.serve_forever()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.server = server  # type: ignore[attr-defined]
    return port, paths, t


def test_a_preheated_kernel_waits_for_the_page_and_reads_its_query(monkeypatch):
    pytest.importorskip("websockets.sync.server")
    port, paths, t = _serve_request_info({"QUERY_STRING": "preset=speer1984_plateau&Td=60"})
    try:
        monkeypatch.delenv("QUERY_STRING", raising=False)
        for key, value in {
            "VOILA_PREHEAT": "True",
            "VOILA_APP_IP": "127.0.0.1",
            "VOILA_APP_PORT": str(port),
            "VOILA_SERVER_URL": "/base/",
            "VOILA_KERNEL_ID": "k-123",
        }.items():
            monkeypatch.setenv(key, value)
        assert lesson.query_settings() == {"preset": "speer1984_plateau", "Td": "60"}
        assert paths == ["/base/voila/query/k-123"]
        assert lesson.query_settings() == {"preset": "speer1984_plateau", "Td": "60"}
        assert len(paths) == 1, "the kernel asked twice"
    finally:
        t.server.shutdown()  # type: ignore[attr-defined]


def test_outside_a_preheated_kernel_nothing_waits(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "Td=60")
    assert lesson.query_settings() == {"Td": "60"}
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.delenv("QUERY_STRING")
    assert lesson.query_settings() == {}
