"""Background tasks of hazards (django-tasks, run by ``anquan worker``)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from anquan.hazards import services
from anquan.platform.schedule import periodic


@periodic(every=dt.timedelta(minutes=5))
@task(queue_name="default")
def hazard_deadlines() -> dict[str, int]:
    """Deadline reminders and overdue escalations (each once; a missed run catches up)."""
    return services.run_deadlines()
