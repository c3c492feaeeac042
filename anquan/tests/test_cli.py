"""The `anquan` console script, run as a user runs it: in a fresh data directory, as processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ANQUAN = [sys.executable, "-m", "anquan.cli"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("ANQUAN_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env["ANQUAN_DATA_DIR"] = str(data_dir)
    if os.environ.get("ANQUAN_DATABASE_URL", "").startswith("postgres"):
        # The process tests own a database of their own; they never touch the test database.
        env["ANQUAN_DATABASE_URL"] = "sqlite:///" + str(data_dir / "cli.sqlite3")
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_help_lists_the_commands() -> None:
    out = subprocess.run([*ANQUAN, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("run", "migrate", "load-demo", "create-user", "audit verify", "worker"):
        assert command in out


def test_run_serves_the_platform_and_stops_cleanly(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([*ANQUAN, "migrate", "--no-input", "-v", "0"], env=env, check=True, timeout=300)
    port = _free_port()
    proc = subprocess.Popen(
        [*ANQUAN, "run", "--port", str(port), "--task-workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert response is not None, "the server did not answer within 60 s"
        assert response.status_code == 200
        assert response.headers["x-frame-options"] == "DENY"
        static = httpx.get(f"http://127.0.0.1:{port}/static/vendor/htmx.min.js", timeout=5)
        assert static.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("anquan run did not stop within 20 s of SIGTERM")
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
