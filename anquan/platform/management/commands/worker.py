"""``anquan worker``: a background-task worker (django-tasks-db) with the periodic-job clock."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorker

from anquan.platform.schedule import Clock


class Command(DbWorker):
    help = "Run background tasks from the database queue, and enqueue periodic jobs when due."

    def handle(self, *args: Any, **options: Any) -> None:
        clock = Clock()
        clock.start()
        try:
            super().handle(*args, **options)
        finally:
            clock.stop()
