"""``anquan stream``: run a stream worker (connectors → pipeline → storage and alarms) until stopped."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from anquan.org.models import Site
from anquan.streaming.runtime import StreamRuntime


class Command(BaseCommand):
    help = (
        "Run a stream worker: ingest from the configured connectors, store, evaluate alarms (Ctrl-C to stop)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--site", action="append", default=[], help="site code (repeatable); default: all sites"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="how many workers share the load (ANQUAN_STREAM_WORKERS)",
        )
        parser.add_argument(
            "--worker-index",
            type=int,
            default=None,
            help="this worker's index, 0…workers-1 (ANQUAN_STREAM_WORKER_INDEX)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        site_ids = None
        if options["site"]:
            sites = dict(Site.objects.filter(code__in=options["site"]).values_list("code", "id"))
            unknown = sorted(set(options["site"]) - set(sites))
            if unknown:
                raise CommandError(f"unknown site code(s): {', '.join(unknown)}")
            site_ids = list(sites.values())
        workers = options["workers"] if options["workers"] is not None else settings.ANQUAN_STREAM_WORKERS
        index = (
            options["worker_index"]
            if options["worker_index"] is not None
            else settings.ANQUAN_STREAM_WORKER_INDEX
        )
        if workers < 1 or not 0 <= index < workers:
            raise CommandError(f"--worker-index must be 0…{workers - 1}")
        # Coordinators read these (client ids, shared subscriptions).
        settings.ANQUAN_STREAM_WORKERS = workers
        settings.ANQUAN_STREAM_WORKER_INDEX = index
        if options["verbosity"] >= 2:
            logging.getLogger("anquan").setLevel(logging.DEBUG)

        stop = threading.Event()

        def request_stop(signum: int, frame: Any) -> None:
            logging.getLogger(__name__).info("signal %s received: stopping", signum)
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        if not StreamRuntime(site_ids=site_ids, workers=workers, worker_index=index).run(stop):
            raise CommandError("the stream stopped after an internal error (see the log); restart it")
