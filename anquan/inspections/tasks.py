"""Background jobs of inspections (django-tasks, run by ``anquan worker``; periodic ones by its clock)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from anquan.inspections import assistant, reports, services
from anquan.platform.schedule import periodic


@periodic(every=dt.timedelta(minutes=5))
@task(queue_name="default")
def make_rounds() -> int:
    """Make the due rounds of the current period, then flag missed and late ones."""
    created = services.generate_rounds()
    services.flag_overdue()
    return len(created)


@periodic(every=dt.timedelta(minutes=15))
@task(queue_name="default")
def assess_health() -> int:
    """Score every equipment with recent inspection signals or live tags."""
    return assistant.assess_all()


@periodic(every=dt.timedelta(minutes=5))
@task(queue_name="default")
def build_daily_reports() -> int:
    """Build the daily health reports whose time has come (idempotent per site and day)."""
    return len(reports.build_due())
