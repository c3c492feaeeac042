from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    """Pages render `{% static %}` and tests run without `collectstatic`, so without a manifest;
    the `world` creates a dozen users, and Argon2 on each makes every test seconds slower."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
