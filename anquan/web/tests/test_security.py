"""Password hashing, cookie flags and CSRF, as the settings really configure them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from anquan.conftest import PASSWORD
from anquan.org import services
from anquan.org.models import User

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({k: getattr(s, k, None) for k in [
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF",
]}))
"""


def settings_with(tmp_path: Path, **env: str) -> dict[str, Any]:
    """The settings a fresh process builds from this environment."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ANQUAN_")}
    environment.update(
        {"DJANGO_SETTINGS_MODULE": "anquan.config.settings", "ANQUAN_DATA_DIR": str(tmp_path), **env}
    )
    out = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.argon2
@pytest.mark.django_db
def test_new_passwords_are_hashed_with_argon2() -> None:
    user = services.create_user(None, username="hashed", password=PASSWORD, name="哈希")

    user.refresh_from_db()
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)


@pytest.mark.argon2
@pytest.mark.django_db
def test_an_older_hash_is_upgraded_to_argon2_at_login() -> None:
    user = services.create_user(None, username="legacy", password=None, name="旧账号")
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))

    response = Client().post(reverse("login"), {"username": "legacy", "password": PASSWORD})

    user.refresh_from_db()
    assert response.status_code == 302
    assert user.password.startswith("argon2$")


def test_cookie_flags_over_plain_http(tmp_path: Path) -> None:
    values = settings_with(tmp_path)

    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True


def test_cookie_flags_behind_https(tmp_path: Path) -> None:
    values = settings_with(tmp_path, ANQUAN_HTTPS="true")

    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.django_db
def test_session_and_csrf_cookies_carry_their_flags() -> None:
    services.create_user(None, username="cookie", password=PASSWORD, name="饼干")
    client = Client()

    page = client.get(reverse("login"))
    response = client.post(reverse("login"), {"username": "cookie", "password": PASSWORD})

    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_forms_refuse_a_post_without_the_csrf_token() -> None:
    services.create_user(None, username="csrf", password=PASSWORD, name="跨站")
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "csrf", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
