from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

LOCAL_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Every test stores its attachments on a fresh local disk."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = LOCAL_STORAGES
    return root


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """The world's people get their passwords hashed quickly (the tests log in with force_login)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
