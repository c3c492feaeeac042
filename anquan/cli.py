"""``anquan``: the platform's command line.

anquan run [--host H] [--port P] [--task-workers N]   serve the platform, its task workers, the stream
                                                      and (for the demo site) the plant simulator
anquan stream [--site CODE]                           the ingest and alarm process (one worker)
anquan simulate [--speed N] [--via mqtt|http]         drive the demo site's tags live (faults from the 模拟器 page)
anquan simulate inject SCENARIO --equipment CODE      schedule a fault (h2_leak, cooling_failure, bearing_wear, …)
anquan simulate history --days 30 --output DIR        write history as CSV with its ground truth
anquan detect train|score ...                        train a detector on a CSV file, score history files
anquan alarms sync                                    make limit alarm rules for every tag's HH/H/L/LL
anquan migrate                                        create or upgrade the database
anquan load-demo                                      load the demo site (once; keeps data)
anquan create-user USERNAME --role ROLE --scope ...   add a person
anquan audit verify                                   check the audit trail's hash chain
anquan worker                                         one background-task worker
anquan <any Django management command>                e.g. anquan shell, anquan check
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

ALIASES = {
    "load-demo": "load_demo",
    "create-user": "create_user",
}


def _django(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anquan.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["anquan", *argv])


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="anquan run", description="Serve the platform with its task workers."
    )
    parser.add_argument("--host", default=os.environ.get("ANQUAN_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ANQUAN_PORT", "8000")))
    parser.add_argument(
        "--task-workers",
        type=int,
        default=int(os.environ.get("ANQUAN_TASK_WORKERS", "1")),
        help="background workers",
    )
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("ANQUAN_WEB_WORKERS", "1")))
    parser.add_argument(
        "--simulator",
        choices=["auto", "on", "off"],
        default=os.environ.get("ANQUAN_SIMULATOR", "auto"),
        help="drive the demo site with the plant simulator (auto: when the demo site is loaded)",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anquan.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    _print_logins()

    exe = sys.executable
    procs = [
        subprocess.Popen(
            [
                exe,
                "-m",
                "uvicorn",
                "anquan.config.asgi:application",
                "--host",
                args.host,
                "--port",
                str(args.port),
                "--workers",
                str(args.web_workers),
                "--no-server-header",
                "--log-level",
                settings.LOG_LEVEL.lower(),
            ]
        )
    ]
    for _ in range(args.task_workers):
        procs.append(
            subprocess.Popen(
                [exe, "-m", "anquan.cli", "worker", "--queue-name", "*", "--no-reload", "--verbosity", "1"]
            )
        )
    procs.append(subprocess.Popen([exe, "-m", "anquan.cli", "stream"]))
    if args.simulator == "on" or (args.simulator == "auto" and _demo_loaded()):
        route = _simulator_route(args)
        _first_fault()
        procs.append(subprocess.Popen([exe, "-m", "anquan.cli", "simulate", "--faults-every", "2h", *route]))
    print(f"Anquan 正在运行 / running: http://{args.host}:{args.port}/  (Ctrl-C 停止 / to stop)", flush=True)

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for p in procs:
                if p.poll() is not None:
                    print(f"process {p.pid} exited with {p.returncode}", flush=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    return max((p.returncode or 0) for p in procs) if not stopping else 0


def _simulator_route(args: argparse.Namespace) -> list[str]:
    """MQTT when the broker answers (as a plant's gateways would publish); otherwise the HTTP batch
    endpoint of this very server, with a fresh key for the demo site's HTTP gateway."""
    from urllib.parse import urlsplit

    from django.conf import settings

    from anquan.demo.site import SITE
    from anquan.streaming import services
    from anquan.streaming.models import Connector

    url = urlsplit(settings.ANQUAN_MQTT_URL or "")
    if url.hostname:
        try:
            socket.create_connection((url.hostname, url.port or 1883), timeout=2).close()
            return []
        except OSError:
            pass
    gateway = Connector.objects.filter(site__code=SITE["code"], protocol="http").first()
    if gateway is None:
        return []
    print(
        "MQTT 服务器不可达，模拟器改用 HTTP 批量接口 / no MQTT broker: the simulator posts over HTTP",
        flush=True,
    )
    key = services.issue_gateway_key(None, gateway)
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    return ["--via", "http", "--url", f"http://{host}:{args.port}/api/v1/ingest", "--key", key]


def _first_fault() -> None:
    """On the demo's first start, a short transmitter drift (TI-402, the compressor's discharge
    temperature) crosses its high limit about a minute after start, so a newcomer sees an alarm come and go.
    Later faults come from the simulator's schedule or the 模拟器 page."""
    from anquan.demo import simulate
    from anquan.demo.models import FaultInjection

    site = simulate.demo_site()
    if site is None or FaultInjection.objects.filter(site=site).exists():
        return
    simulate.inject(
        None,
        site=site,
        scenario="sensor_drift",
        equipment="C-402",
        tag="TI-402",
        in_minutes=0,
        duration_minutes=1,
    )


def _demo_loaded() -> bool:
    from anquan.demo.site import SITE
    from anquan.org.models import Site

    return Site.objects.filter(code=SITE["code"]).exists()


def _print_logins() -> None:
    from anquan.demo.logins import logins_table

    lines = logins_table()
    if lines:
        print("\n" + "\n".join(lines) + "\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "run":
        return _run(rest)
    if command == "detect":  # plain Python: no database, no Django
        from anquan.cli_detect import main as detect

        return detect(rest)
    _django([ALIASES.get(command, command), *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
