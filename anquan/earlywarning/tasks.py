"""Background tasks of early warning (django-tasks, run by ``anquan worker``)."""

from __future__ import annotations

from django_tasks import task

from anquan.earlywarning import services


@task(queue_name="default")
def train_version(version_id: int) -> str:
    """Train a queued model version; returns its status afterwards (safe to run twice)."""
    return services.run_training(version_id)
