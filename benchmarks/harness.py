"""What every benchmark needs: the services, a fresh database, and the real processes around it.

- ``postgres_problem()`` / ``mqtt_problem()``: why PostgreSQL or the MQTT broker does not answer
  (a missing service is named in the tables, never skipped silently);
- ``BenchDB``: a fresh database — a SQLite file in a temp dir, or the PostgreSQL database
  ``anquan_bench_<run id>`` created and dropped — migrated with ``anquan migrate``, set up by
  ``benchmarks.fixture`` (a subprocess with the bench environment), and read directly with the
  driver (``query``) while the stream writes;
- ``Proc``: a subprocess (``anquan stream``, uvicorn, a publisher) with its log in the temp dir,
  stopped with SIGTERM and, failing that, killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get("ANQUAN_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "anquan_bench"  # each run gets its own: anquan_bench_<run id>, dropped at the end
MQTT_URL = os.environ.get("ANQUAN_BENCH_MQTT_URL", "mqtt://127.0.0.1:1883")


# --- services -----------------------------------------------------------------------------------
def mqtt_address() -> tuple[str, int]:
    parts = urlsplit(MQTT_URL)
    return parts.hostname or "127.0.0.1", parts.port or 1883


def pg_url(database: str) -> str:
    parts = urlsplit(PG_ADMIN_URL)
    return parts._replace(path=f"/{database}").geturl()


def postgres_problem() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__})"
    return None


def mqtt_problem() -> str | None:
    host, port = mqtt_address()
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        return f"MQTT broker not reachable at {host}:{port} ({exc.strerror or exc})"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive:
            raise RuntimeError(f"{proc.name} exited: {proc.tail()}")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f} s")


# --- processes ----------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


class Proc:
    """A subprocess with stdout/stderr in a log file (or a pipe, for publishers)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: dict[str, str],
        log: Path | None = None,
        pipe: bool = False,
    ) -> None:
        self.name = name
        self.log = log
        self._log_file = open(log, "ab") if log is not None else None  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE if pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe else self._log_file,
            stderr=self._log_file if self._log_file is not None else None,
            text=pipe,
        )

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def cpu(self) -> float:
        """CPU seconds the process has used so far."""
        return cpu_seconds(self.popen.pid)

    def tail(self, n: int = 15) -> str:
        if self.log is None or not self.log.exists():
            return ""
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def readline(self, timeout: float) -> str:
        """The next line the process prints (publishers), or raises after ``timeout``."""
        import selectors

        assert self.popen.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.popen.stdout, selectors.EVENT_READ)
        try:
            if not sel.select(timeout):
                raise TimeoutError(f"{self.name}: no answer in {timeout:.0f} s")
        finally:
            sel.close()
        line = self.popen.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} exited ({self.popen.poll()}): {self.tail()}")
        return line.strip()

    def send(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def stop(self, timeout: float = 30) -> None:
        if self.alive:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


class Publisher(Proc):
    """``benchmarks.publish`` with its spec: prepared (``ready``) on creation, started by ``go()``."""

    def __init__(self, spec: dict[str, Any], env: dict[str, str], log: Path, prepare_timeout: float = 300):
        super().__init__(
            f"publisher {spec.get('via')}",
            [PYTHON, "-m", "benchmarks.publish", json.dumps(spec)],
            env,
            log=log,
            pipe=True,
        )
        line = self.readline(prepare_timeout)
        if line != "ready":
            raise RuntimeError(f"{self.name}: {line}")

    def go(self) -> None:
        self.send("go")

    def result(self, timeout: float) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(self.readline(timeout))
        self.popen.wait(30)
        return out


# --- the database -------------------------------------------------------------------------------
class BenchDB:
    """A fresh, migrated database of one kind (``sqlite`` or ``postgresql``) with its data dir."""

    def __init__(self, kind: str, keep: bool = False) -> None:
        if kind not in ("sqlite", "postgresql"):
            raise ValueError(kind)
        self.kind = kind
        self.keep = keep
        self.dir = Path(tempfile.mkdtemp(prefix=f"anquan-bench-{kind}-"))
        if kind == "sqlite":
            self.path = self.dir / "bench.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            self.database = f"{PG_DATABASE}_{uuid.uuid4().hex[:8]}"
            self.url = pg_url(self.database)
            self._recreate_pg()
        self._conn: Any = None

    @property
    def label(self) -> str:
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    def _recreate_pg(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {self.database}")

    def _drop_pg(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "anquan.config.settings",
                "ANQUAN_DATABASE_URL": self.url,
                "ANQUAN_DATA_DIR": str(self.dir),
                "ANQUAN_MQTT_URL": MQTT_URL,
                "ANQUAN_LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra)
        return env

    def migrate(self) -> None:
        subprocess.run(
            [PYTHON, "-m", "anquan.cli", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
        )

    def fixture(self, command: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        out = subprocess.run(
            [PYTHON, "-m", "benchmarks.fixture", command, json.dumps(args or {})],
            cwd=ROOT,
            env=self.env(ANQUAN_LOG_LEVEL="WARNING"),
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise RuntimeError(f"benchmarks.fixture {command} failed: {out.stderr.strip()[-1500:]}")
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        return result

    # --- reading it directly while the stream writes --------------------------------------------
    def open(self) -> Any:
        """A new connection of the driver, in autocommit (each thread reading needs its own)."""
        if self.kind == "sqlite":
            return sqlite3.connect(self.path, isolation_level=None, timeout=20, check_same_thread=False)
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def query(self, sql: str, params: Sequence[Any] = (), conn: Any = None) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (``%s`` placeholders on both databases) on ``conn`` or this thread's own."""
        if conn is None:
            if self._conn is None:
                self._conn = self.open()
            conn = self._conn
        if self.kind == "sqlite":
            return list(conn.execute(sql.replace("%s", "?"), tuple(params)).fetchall())
        return list(conn.execute(sql, tuple(params)).fetchall())

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.query(sql, params)[0][0]

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        if self.keep:
            print(f"  (kept: {self.dir}{'' if self.kind == 'sqlite' else ', database ' + self.database})")
            return
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.kind == "postgresql":
            with contextlib.suppress(Exception):
                self._drop_pg()


def start_stream(db: BenchDB, workers: int = 1, **env: str) -> list[Proc]:
    """``anquan stream``: one process, or ``workers`` of them sharing the load (MQTT shared
    subscriptions, alarm partitions forwarded over the broker)."""
    if workers == 1:
        argv = [PYTHON, "-m", "anquan.cli", "stream"]
        return [Proc("anquan stream", argv, db.env(**env), log=db.dir / "stream.log")]
    return [
        Proc(
            f"anquan stream {k}",
            [PYTHON, "-m", "anquan.cli", "stream", "--workers", str(workers), "--worker-index", str(k)],
            db.env(**env),
            log=db.dir / f"stream-{k}.log",
        )
        for k in range(workers)
    ]


def start_web(db: BenchDB) -> tuple[Proc, int]:
    port = free_port()
    proc = Proc(
        "uvicorn",
        [
            PYTHON, "-m", "uvicorn", "anquan.config.asgi:application", "--host", "127.0.0.1",
            "--port", str(port), "--no-access-log", "--log-level", "warning", "--no-server-header",
        ],
        db.env(),
        log=db.dir / "web.log",
    )  # fmt: skip
    wait_port(port, 60, proc)
    return proc, port


def wait_connected(db: BenchDB, connector_id: int, streams: Sequence[Proc], timeout: float = 60) -> None:
    """Until the stream reports the MQTT connector connected (and has had a moment to subscribe)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for stream in streams:
            if not stream.alive:
                raise RuntimeError(f"the stream exited: {stream.tail()}")
        status = db.scalar("SELECT status FROM streaming_connector WHERE id = %s", [connector_id])
        if status == "connected":
            time.sleep(1.0 if len(streams) == 1 else 3.0)  # every worker subscribed
            return
        time.sleep(0.2)
    raise RuntimeError(f"the MQTT connector did not connect in {timeout:.0f} s: {streams[0].tail()}")
