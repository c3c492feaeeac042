"""Background tasks of work orders (django-tasks, run by ``anquan worker``)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from anquan.platform.schedule import periodic
from anquan.workorders import services


@periodic(every=dt.timedelta(minutes=5))
@task(queue_name="default")
def escalate_overdue() -> int:
    """Escalate overdue work orders (each level once per order); the number of levels raised."""
    return services.escalate_overdue()
