"""Domain events, published after commit.

A service publishes a frozen dataclass (ids and primitives, past-tense name) with `publish`.
Subscribers registered with `@subscribe(EventType)` run once the surrounding transaction has
committed — never for a rolled-back write — and a failing subscriber is logged without stopping
the others or the caller. Subscribers live in each domain's ``receivers.py`` and are imported by
that domain's AppConfig.ready().
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

E = TypeVar("E", bound="Event")


@dataclass(frozen=True)
class Event:
    """Base class of every domain event."""


_subscribers: dict[type[Event], list[Callable[[Any], None]]] = defaultdict(list)
_captures: list[list[Event]] = []


def subscribe(event_type: type[E]) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    def register(handler: Callable[[E], None]) -> Callable[[E], None]:
        if handler not in _subscribers[event_type]:
            _subscribers[event_type].append(handler)
        return handler

    return register


def subscribers(event_type: type[Event]) -> list[Callable[[Any], None]]:
    return list(_subscribers.get(event_type, []))


def publish(event: Event) -> None:
    """Deliver ``event`` to its subscribers after the current transaction commits."""
    for capture in _captures:
        capture.append(event)
    for handler in subscribers(type(event)):
        transaction.on_commit(_runner(handler, event), robust=True)


def _runner(handler: Callable[[Event], None], event: Event) -> Callable[[], None]:
    def run() -> None:
        try:
            handler(event)
        except Exception:
            logger.exception("subscriber %s failed on %s", handler.__qualname__, event)
            raise

    return run


@contextmanager
def captured() -> Iterator[list[Event]]:
    """Collect the events published inside the block (for tests and the audit of scripts)."""
    bucket: list[Event] = []
    _captures.append(bucket)
    try:
        yield bucket
    finally:
        _captures.remove(bucket)
