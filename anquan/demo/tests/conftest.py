"""Fixtures of the demo tests.

Loading the demo site goes through every service and takes a few seconds, so the tests that only
read it (or change it inside their own savepoint) share one load per module: ``demo_site`` loads it
inside a transaction that is rolled back when the module's tests are done.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from anquan.conftest import FAST_HASHERS
from anquan.demo import loader
from anquan.org.models import Enterprise


@pytest.fixture(scope="module")
def demo_site(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Enterprise]:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        yield loader.load()
        transaction.set_rollback(True)
