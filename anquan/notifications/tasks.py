"""The background delivery task: one attempt per run, retried with exponential back-off.

A failed attempt records the error, counts the attempt and re-enqueues the task with ``run_after``
30 s, 2 min, 8 min, 30 min, then 2 h later, until ``ANQUAN_NOTIFY_MAX_ATTEMPTS`` attempts were made;
then the delivery is marked failed. A delivery that is already sent (or failed) is never sent again,
and two workers running the same task cannot both send: the attempt is claimed with a
compare-and-set on the attempt counter.

A worker that dies in the middle of an attempt (or a queue row lost with its database) leaves the
delivery open with nothing queued for it: ``requeue_stuck`` (a periodic job) enqueues it again once
it has been quiet for ``STUCK_AFTER``. Delivery is at least once: a send that went out just before
its worker died may go out again.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from anquan.notifications import dispatch
from anquan.notifications.channels import DeliveryError, excerpt
from anquan.notifications.choices import DeliveryStatus
from anquan.notifications.models import Delivery
from anquan.platform.schedule import periodic

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = (30, 120, 480, 1800, 7200)
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
STUCK_AFTER = dt.timedelta(minutes=15)  # open, due and untouched this long: its task was lost


def backoff(attempt: int) -> dt.timedelta:
    """How long to wait after failed attempt number ``attempt`` (1-based)."""
    return dt.timedelta(seconds=BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1])


def max_attempts() -> int:
    return max(1, int(getattr(settings, "ANQUAN_NOTIFY_MAX_ATTEMPTS", 6)))


@task(queue_name="notifications")
def deliver(delivery_id: int) -> str:
    """Make one attempt at a delivery; returns its status afterwards."""
    delivery = Delivery.objects.select_related("channel").filter(pk=delivery_id).first()
    if delivery is None or delivery.status not in OPEN:
        return delivery.status if delivery else "missing"
    attempt = delivery.attempts + 1
    claimed = Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts, status__in=OPEN).update(
        attempts=attempt, updated_at=timezone.now()
    )
    if not claimed:  # another worker took this attempt
        return "skipped"
    delivery.attempts = attempt
    try:
        response = dispatch.send(delivery)
    except dispatch.PermanentError as exc:
        _failed(delivery, str(exc), exc.response, final=True)
    except DeliveryError as exc:
        _failed(delivery, str(exc), exc.response, final=attempt >= max_attempts())
    except Exception as exc:  # a bug or an unexpected library error: recorded and retried like the rest
        logger.exception("delivery %s failed unexpectedly", delivery.pk)
        _failed(delivery, f"{type(exc).__name__}: {exc}", "", final=attempt >= max_attempts())
    else:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.response = excerpt(response)
        delivery.last_error = ""
        delivery.next_attempt_at = None
        delivery.save(
            update_fields=["status", "sent_at", "response", "last_error", "next_attempt_at", "updated_at"]
        )
    return delivery.status


def _failed(delivery: Delivery, error: str, response: str, *, final: bool) -> None:
    delivery.last_error = error[:2000]
    delivery.response = excerpt(response)
    next_at = None if final else timezone.now() + backoff(delivery.attempts)
    delivery.status = DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING
    delivery.next_attempt_at = next_at
    delivery.save(update_fields=["status", "last_error", "response", "next_attempt_at", "updated_at"])
    logger.warning(
        "delivery %s attempt %s failed (%s): %s", delivery.pk, delivery.attempts, delivery.status, error
    )
    if next_at is not None:
        deliver.using(run_after=next_at).enqueue(delivery.pk)


@periodic(every=dt.timedelta(minutes=5))
@task(queue_name="notifications")
def requeue_stuck() -> int:
    """Enqueue again every open delivery that is due and untouched for STUCK_AFTER; how many."""
    quiet = timezone.now() - STUCK_AFTER
    stuck = list(
        Delivery.objects.filter(status__in=OPEN, updated_at__lt=quiet)
        .exclude(next_attempt_at__gte=quiet)  # a retry waiting for its back-off is not stuck
        .values_list("pk", flat=True)[:1000]
    )
    for delivery_id in stuck:
        deliver.enqueue(delivery_id)
    if stuck:
        logger.warning("%s stuck deliveries enqueued again", len(stuck))
    return len(stuck)
