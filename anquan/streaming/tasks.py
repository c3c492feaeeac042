"""Background tasks of the streaming domain (django-tasks, run by ``anquan worker``)."""

from __future__ import annotations

from django_tasks import task

from anquan.streaming import imports


@task(queue_name="default")
def import_history(import_id: int) -> str:
    """Import an uploaded history file into readings; returns the import's status afterwards.

    Safe to run twice: only a queued import is claimed (compare-and-set to running)."""
    return imports.run(import_id)
