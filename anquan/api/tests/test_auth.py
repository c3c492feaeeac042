"""Token login (throttled by django-axes), the caller's identity, revoking tokens, session + CSRF."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone, translation

from anquan.api.tests.conftest import as_user
from anquan.conftest import PASSWORD, World
from anquan.org import services as org
from anquan.org.models import ApiToken
from anquan.org.roles import CAPABILITIES
from anquan.platform.models import AuditEntry

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"


def login(world: World, username: str, password: str, **extra: object) -> object:
    return as_user(world, None).post(
        TOKEN, {"username": username, "password": password, "name": "巡检平板", **extra}
    )


def test_a_token_issued_for_the_password_authenticates_the_api_and_is_stored_only_as_a_hash(
    api_world: World,
) -> None:
    audit_before = AuditEntry.objects.count()

    r = login(api_world, "worker_a1", PASSWORD, expires_in_days=30)

    assert r.status_code == 201, r.content
    body = r.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert (token.user, token.name, token.prefix) == (api_world.user("worker_a1"), "巡检平板", body["prefix"])
    assert body["token"].startswith("aq_") and token.token_hash == ApiToken.hash(body["token"])
    assert body["token"] not in str(list(ApiToken.objects.values_list()))
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(minutes=1)
    assert AuditEntry.objects.count() == audit_before + 1
    me = as_user(api_world, None).get(ME, headers={"Authorization": f"Bearer {body['token']}"})
    assert (me.status_code, me.json()["username"]) == (200, "worker_a1")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_wrong_password_is_401_and_issues_nothing(api_world: World, language: str) -> None:
    r = as_user(api_world, None).post(
        TOKEN,
        {"username": "worker_a1", "password": "wrong-password", "name": "x"},
        headers={"Accept-Language": language},
    )

    assert r.status_code == 401
    with translation.override(language):
        assert r.json()["detail"] == translation.gettext("用户名或密码错误，或账号已停用。")
    assert not ApiToken.objects.exists()


def test_a_deactivated_person_cannot_get_a_token(api_world: World) -> None:
    org.update_user(None, api_world.user("worker_a1"), is_active=False)

    r = login(api_world, "worker_a1", PASSWORD)

    assert r.status_code == 401
    assert not ApiToken.objects.exists()


def test_repeated_failures_lock_the_username_out_with_429_even_for_the_right_password(
    api_world: World,
) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [login(api_world, "officer_a", f"guess-{i}").status_code for i in range(limit - 1)]
    assert statuses == [401] * (limit - 1)

    locking = login(api_world, "officer_a", "guess-last")
    after = login(api_world, "officer_a", PASSWORD)

    assert locking.status_code == 429
    assert after.status_code == 429
    assert after["Content-Type"].startswith("application/json")
    assert "锁定" in after.json()["detail"]
    assert not ApiToken.objects.exists()
    # another person is not locked out by it
    assert login(api_world, "worker_a1", PASSWORD).status_code == 201


def test_token_request_validation_names_the_fields(api_world: World) -> None:
    r = as_user(api_world, None).post(
        TOKEN, {"username": "worker_a1", "password": PASSWORD, "expires_in_days": 0}
    )

    assert r.status_code == 422
    assert r.json()["errors"] == {"name": ["此字段为必填项。"], "expires_in_days": ["必须大于或等于 1。"]}


def test_an_unknown_or_expired_or_revoked_token_is_401(api_world: World) -> None:
    user = api_world.user("worker_a1")
    expired, raw_expired = org.issue_api_token(user, user=user, name="旧")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    revoked, raw_revoked = org.issue_api_token(user, user=user, name="丢失的手机")
    org.revoke_api_token(user, revoked)

    for raw in ("aq_not-a-token", raw_expired, raw_revoked):
        r = as_user(api_world, None).get(ME, headers={"Authorization": f"Bearer {raw}"})
        assert r.status_code == 401, raw
        assert r.json() == {"detail": "请先登录或提供有效的 API 令牌。"}


def test_revoking_my_token_ends_it_and_other_peoples_tokens_are_not_found(api_world: World) -> None:
    me = as_user(api_world, "worker_a1")
    mine = ApiToken.objects.get(user=api_world.user("worker_a1"))
    theirs, _ = org.issue_api_token(None, user=api_world.user("worker_a2"), name="他的")

    assert me.delete(f"{TOKEN}/{theirs.pk}").status_code == 404
    assert me.delete(f"{TOKEN}/{mine.pk}").status_code == 204

    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.revoked_at is None and mine.revoked_at is not None
    assert me.get(ME).status_code == 401


def test_me_lists_roles_with_scopes_and_the_capabilities_they_give(api_world: World) -> None:
    body = as_user(api_world, "leader_a1").get(ME).json()

    assert [(r["role"], r["level"], r["team_id"], r["scope_name"]) for r in body["roles"]] == [
        ("team_leader", "team", api_world.team_a1.pk, "罐区一班")
    ]
    assert body["capabilities"] == sorted(CAPABILITIES["team_leader"])
    assert body["is_superuser"] is False

    root = as_user(api_world, "root").get(ME).json()
    assert root["is_superuser"] is True
    assert root["capabilities"] == sorted(set().union(*CAPABILITIES.values()))
    assert as_user(api_world, "nobody").get(ME).json()["capabilities"] == []


def test_my_tokens_lists_only_my_live_tokens(api_world: World) -> None:
    user = api_world.user("worker_a1")
    client = as_user(api_world, "worker_a1")
    gone, _ = org.issue_api_token(user, user=user, name="已吊销")
    org.revoke_api_token(user, gone)
    org.issue_api_token(None, user=api_world.user("worker_a2"), name="别人的")

    body = client.get("/api/v1/auth/tokens").json()

    assert [t["name"] for t in body["items"]] == ["pytest"]
    assert "token" not in body["items"][0] and "token_hash" not in body["items"][0]


def test_the_session_authenticates_reads_without_and_writes_only_with_the_csrf_token(
    api_world: World,
) -> None:
    session = as_user(api_world, "admin_a", "session")
    url = f"/api/v1/plant/equipment/{api_world.equipment['T-101'].pk}"

    assert session.get(url, csrf=False).status_code == 200
    refused = session.patch(url, {"name": "改名"}, csrf=False)
    accepted = session.patch(url, {"name": "改名"})

    assert (refused.status_code, refused.json()["detail"]) == (403, "CSRF 校验失败：请刷新页面后重试。")
    assert (accepted.status_code, accepted.json()["name"]) == (200, "改名")


def test_a_bearer_token_needs_no_csrf_token(api_world: World) -> None:
    r = as_user(api_world, "admin_a").patch(
        f"/api/v1/plant/equipment/{api_world.equipment['T-101'].pk}", {"medium": "汽油"}
    )

    assert (r.status_code, r.json()["medium"]) == (200, "汽油")
