"""Session sign-in and out, login throttling, password change and the language switch."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from anquan.conftest import PASSWORD, World, client_for
from anquan.org import services
from anquan.platform.models import AuditEntry

pytestmark = [pytest.mark.django_db]


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


def test_login_page_is_served_in_chinese_by_default(world: World) -> None:
    response = Client().get(reverse("login"))

    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in body
    assert "登录" in body


def test_login_signs_in_and_goes_home(world: World) -> None:
    client = Client()

    response = sign_in(client, "worker_a1")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(world.user("worker_a1").pk)


def test_login_follows_a_safe_next(world: World) -> None:
    response = sign_in(Client(), "admin_a", next=reverse("org:people"))

    assert response["Location"] == reverse("org:people")


def test_login_ignores_an_offsite_next(world: World) -> None:
    response = sign_in(Client(), "admin_a", next="https://evil.example.com/")

    assert response["Location"] == reverse("home")


def test_wrong_password_answers_400_with_an_error(world: World) -> None:
    client = Client()

    response = sign_in(client, "worker_a1", "wrong-password")

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_inactive_person_cannot_sign_in(world: World) -> None:
    services.update_user(None, world.user("worker_a1"), is_active=False)
    client = Client()

    response = sign_in(client, "worker_a1")

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_login_is_locked_after_repeated_failures(world: World) -> None:
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT

    statuses = [sign_in(client, "worker_a1", f"wrong-{i}").status_code for i in range(limit)]
    locked = sign_in(client, "worker_a1", PASSWORD)

    body = locked.content.decode()
    assert statuses == [400] * (limit - 1) + [429]
    assert locked.status_code == 429
    assert "登录已暂时锁定" in body
    assert f"请在 {round(settings.AXES_COOLOFF_TIME * 60)} 分钟后再试" in body
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_lockout_is_per_username(world: World) -> None:
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "worker_a1", f"wrong-{i}")

    response = sign_in(client, "worker_a2")

    assert response.status_code == 302


def test_logout_needs_post_and_returns_to_login(world: World) -> None:
    client = client_for(world.user("worker_a1"))

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_pages_send_anonymous_visitors_to_login(world: World) -> None:
    response = Client().get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


# --- Password change -----------------------------------------------------------------------------
def test_change_own_password(world: World) -> None:
    worker = world.user("worker_a1")
    client = client_for(worker)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Fresh-Passw0rd-77",
            "new_password2": "Fresh-Passw0rd-77",
        },
    )

    worker.refresh_from_db()
    assert response.status_code == 302
    assert worker.check_password("Fresh-Passw0rd-77")
    assert client.get(reverse("home")).status_code == 200  # the session survives the change
    assert AuditEntry.objects.filter(model="org.user", object_id=str(worker.pk), action="update").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"old_password": "not-it", "new_password1": "Fresh-Passw0rd-77", "new_password2": "Fresh-Passw0rd-77"}, "old_password"),
        ({"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}, "new_password2"),
        ({"old_password": PASSWORD, "new_password1": "Fresh-Passw0rd-77", "new_password2": "other"}, "new_password2"),
    ],
)  # fmt: skip
def test_password_change_errors_answer_400_and_keep_the_password(
    world: World, data: dict[str, str], field: str
) -> None:
    worker = world.user("worker_a1")

    response = client_for(worker).post(reverse("password_change"), data)

    worker.refresh_from_db()
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert worker.check_password(PASSWORD)


# --- Language --------------------------------------------------------------------------------------
def test_switching_language_sets_the_cookie_and_the_preference(world: World) -> None:
    worker = world.user("worker_a1")
    client = client_for(worker)

    response = client.post(reverse("language"), {"language": "en", "next": reverse("org:structure")})

    worker.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("org:structure")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert worker.preferred_language == "en"
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


def test_switching_to_an_unknown_language_changes_nothing(world: World) -> None:
    worker = world.user("worker_a1")

    response = client_for(worker).post(reverse("language"), {"language": "xx", "next": "/"})

    worker.refresh_from_db()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert worker.preferred_language == "zh-hans"


def test_language_switch_needs_post(world: World) -> None:
    assert client_for(world.user("worker_a1")).get(reverse("language")).status_code == 405


def test_login_applies_the_preferred_language(world: World) -> None:
    services.update_user(None, world.user("worker_a2"), preferred_language="en")
    client = Client()

    response = sign_in(client, "worker_a2")

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


def test_a_language_picked_before_login_becomes_the_preference(world: World) -> None:
    worker = world.user("worker_a1")
    client = Client()
    client.post(reverse("language"), {"language": "en", "next": reverse("login")})

    response = sign_in(client, "worker_a1")

    worker.refresh_from_db()
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert worker.preferred_language == "en"


def test_english_login_page_uses_django_translations(world: World) -> None:
    client = Client()
    client.post(reverse("language"), {"language": "en", "next": reverse("login")})

    response = sign_in(client, "worker_a1", "wrong-password")

    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Please enter a correct" in body
