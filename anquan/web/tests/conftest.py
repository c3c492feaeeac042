"""Fixtures of the site-shell tests: plain static files (no collectstatic manifest) and a quick hasher."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from anquan.org.models import User


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Any) -> None:
    """Pages render `{% static %}`; tests run without `collectstatic`, so without a manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def fast_hasher(settings: Any) -> None:
    """Argon2 is deliberately slow; tests that are not about hashing build their accounts quicker.

    (test_security.py checks that Argon2 is the hasher really in use.)
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
