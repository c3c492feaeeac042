"""The organisation's services: atomic writes, permission checks, audit entries, events after commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from anquan.conftest import PASSWORD, World, build_world
from anquan.org import events
from anquan.org import services as org
from anquan.org.access import Access
from anquan.org.choices import Role
from anquan.org.models import ApiToken, RoleAssignment, User
from anquan.platform import events as platform_events
from anquan.platform.models import AuditEntry

STRONG = "Zhang-san-2026-anquan"


@pytest.fixture
def w(db: Any) -> World:
    return build_world()


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Events delivered to subscribers (which only ever run after commit)."""
    got: list[Any] = []
    for kind in (events.UserCreated, events.RoleAssigned, events.RoleRevoked, events.UserDeactivated):
        monkeypatch.setitem(platform_events._subscribers, kind, [got.append])
    return got


def counts() -> tuple[int, int, int]:
    return User.objects.count(), RoleAssignment.objects.count(), AuditEntry.objects.count()


@pytest.mark.argon2
@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2() -> None:
    user = org.create_user(None, username="zhangsan", password=STRONG)

    assert user.password.startswith("argon2$")
    assert user.check_password(STRONG)


def test_a_user_and_their_roles_are_created_together_audited_and_announced_after_commit(
    w: World, received: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    admin = w.user("admin_a")
    audit_before = AuditEntry.objects.count()

    with (
        platform_events.captured() as published,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        user = org.create_user(
            admin,
            username="zhangsan",
            password=STRONG,
            name="张三",
            team=w.team_a1,
            roles=[(Role.WORKER, w.team_a1), (Role.OPERATOR, w.site_a)],
        )
        assert received == []  # nothing is delivered inside the transaction

    assignments = list(RoleAssignment.objects.filter(user=user).order_by("role"))
    assert [(a.role, a.level, a.site_id) for a in assignments] == [
        ("operator", "site", w.site_a.pk),
        ("worker", "team", w.site_a.pk),
    ]
    assert published == [
        events.UserCreated(user_id=user.pk, actor_id=admin.pk),
        events.RoleAssigned(
            assignment_id=assignments[1].pk, user_id=user.pk, role="worker", actor_id=admin.pk
        ),
        events.RoleAssigned(
            assignment_id=assignments[0].pk, user_id=user.pk, role="operator", actor_id=admin.pk
        ),
    ]
    assert received == []
    assert len(callbacks) == 3
    for callback in callbacks:
        callback()
    assert received == published

    entries = list(AuditEntry.objects.filter(seq__gt=audit_before).order_by("seq"))
    assert [(e.action, e.model, e.actor_id, e.site_id) for e in entries] == [
        ("create", "org.user", admin.pk, w.site_a.pk),
        ("create", "org.roleassignment", admin.pk, w.site_a.pk),
        ("create", "org.roleassignment", admin.pk, w.site_a.pk),
    ]
    assert entries[0].changes["password"] == "***" and entries[0].changes["name"] == "张三"


def test_one_bad_role_leaves_no_user_no_role_no_audit_and_announces_nothing(
    w: World, received: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    before = counts()

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError) as exc:
        org.create_user(
            w.user("admin_a"),
            username="zhangsan",
            password=STRONG,
            team=w.team_a1,
            roles=[(Role.WORKER, w.team_a1), ("king", w.site_a)],
        )

    assert exc.value.message_dict == {"role": ["未知的角色：king"]}
    assert counts() == before
    assert not User.objects.filter(username="zhangsan").exists()
    assert callbacks == [] and received == []


def test_a_role_outside_the_actors_scope_rolls_the_whole_user_back(w: World, received: list[Any]) -> None:
    before = counts()

    with pytest.raises(PermissionDenied):
        org.create_user(
            w.user("admin_a"),
            username="zhangsan",
            password=STRONG,
            team=w.team_a1,
            roles=[(Role.WORKER, w.team_a1), (Role.WORKER, w.team_b1)],
        )

    assert counts() == before
    assert received == []


def test_password_errors_are_keyed_on_password(w: World) -> None:
    before = counts()

    with pytest.raises(ValidationError) as exc:
        org.create_user(None, username="lisi", password="12345678", name="李四")

    assert list(exc.value.message_dict) == ["password"]
    assert exc.value.message_dict["password"] == ["这个密码太常见了。", "密码只包含数字。"]
    assert counts() == before

    user = w.user("worker_a1")
    with pytest.raises(ValidationError) as exc:
        org.set_password(user, user, "worker_a1")
    assert list(exc.value.message_dict) == ["password"]
    assert user.check_password(PASSWORD)


def test_an_existing_username_is_refused(w: World) -> None:
    with pytest.raises(ValidationError) as exc:
        org.create_user(None, username="worker_a1", password=STRONG)

    assert list(exc.value.message_dict) == ["username"]


def test_creating_people_needs_people_manage_and_superusers_need_a_superuser(w: World) -> None:
    before = counts()

    with pytest.raises(PermissionDenied):
        org.create_user(w.user("officer_a"), username="x1", password=STRONG, team=w.team_a1)
    with pytest.raises(PermissionDenied):
        org.create_user(w.user("admin_a"), username="x2", password=STRONG, team=w.team_b1)
    with pytest.raises(PermissionDenied):
        org.create_user(w.user("admin_a"), username="x3", password=STRONG, team=w.team_a1, is_superuser=True)

    assert counts() == before
    made = org.create_user(w.user("root"), username="x4", password=STRONG, is_superuser=True)
    assert (made.is_superuser, made.is_staff) == (True, True)


def test_assigning_a_role_outside_the_actors_scope_is_denied_and_changes_nothing(
    w: World, received: list[Any]
) -> None:
    worker = w.user("worker_a1")
    before = counts()

    for scope in (w.site_b, w.team_b1, w.enterprise):
        with pytest.raises(PermissionDenied):
            org.assign_role(w.user("admin_a"), user=worker, role=Role.OPERATOR, scope=scope)

    assert counts() == before
    assert received == []


def test_a_duplicate_role_is_refused(w: World) -> None:
    before = counts()

    with pytest.raises(ValidationError) as exc:
        org.assign_role(w.user("admin_a"), user=w.user("worker_a1"), role=Role.WORKER, scope=w.team_a1)

    assert exc.value.message_dict == {"role": ["该用户在此范围内已有这个角色。"]}
    assert counts() == before
    # the same role at another scope is a different assignment
    org.assign_role(w.user("admin_a"), user=w.user("worker_a1"), role=Role.WORKER, scope=w.team_a2)
    assert RoleAssignment.objects.filter(user=w.user("worker_a1"), role=Role.WORKER).count() == 2


def test_revoking_a_role_is_audited_announced_and_takes_effect(
    w: World, received: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    worker = w.user("worker_a1")
    assignment = RoleAssignment.objects.get(user=worker)
    assignment_id = assignment.pk
    assert Access.of(worker).can("plant.view")

    with django_capture_on_commit_callbacks(execute=True):
        org.revoke_role(w.user("admin_a"), assignment)

    assert not RoleAssignment.objects.filter(user=worker).exists()
    assert received == [events.RoleRevoked(user_id=worker.pk, role="worker", actor_id=w.user("admin_a").pk)]
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None and (last.action, last.model, last.object_id) == (
        "delete",
        "org.roleassignment",
        str(assignment_id),
    )
    assert not Access.of(User.objects.get(pk=worker.pk)).can("plant.view")


def test_revoking_outside_scope_is_denied(w: World) -> None:
    assignment = RoleAssignment.objects.get(user=w.user("worker_b1"))
    before = counts()

    with pytest.raises(PermissionDenied):
        org.revoke_role(w.user("admin_a"), assignment)

    assert counts() == before


def test_deactivating_a_user_is_announced_once_after_commit(
    w: World, received: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    worker = w.user("worker_a1")

    with django_capture_on_commit_callbacks(execute=True):
        org.update_user(w.user("admin_a"), worker, is_active=False)
        org.update_user(w.user("admin_a"), worker, is_active=False)  # already inactive: no second event

    assert received == [events.UserDeactivated(user_id=worker.pk, actor_id=w.user("admin_a").pk)]


def test_a_rolled_back_transaction_announces_nothing(w: World, received: list[Any]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        org.create_user(None, username="ghost", password=STRONG, roles=[(Role.WORKER, w.team_a1)])
        raise RuntimeError("the caller's transaction fails after the service returned")

    assert not User.objects.filter(username="ghost").exists()
    assert received == []


def test_api_tokens_are_issued_to_oneself_or_by_a_manager_in_scope(w: World) -> None:
    worker = w.user("worker_a1")

    own, raw = org.issue_api_token(worker, user=worker, name=" 手机 ")
    by_admin, _ = org.issue_api_token(w.user("admin_a"), user=worker, name="集成")

    assert (own.name, own.token_hash, org.authenticate_token(raw)) == ("手机", ApiToken.hash(raw), worker)
    assert by_admin.user == worker
    with pytest.raises(PermissionDenied):
        org.issue_api_token(w.user("worker_a2"), user=worker, name="偷来的")
    with pytest.raises(PermissionDenied):
        org.issue_api_token(w.user("admin_b"), user=worker, name="别的场所")
    with pytest.raises(ValidationError) as blank:
        org.issue_api_token(worker, user=worker, name="  ")
    with pytest.raises(ValidationError) as past:
        org.issue_api_token(
            worker, user=worker, name="过期", expires_at=timezone.now() - dt.timedelta(hours=1)
        )
    assert list(blank.value.message_dict) == ["name"]
    assert list(past.value.message_dict) == ["expires_at"]
    assert ApiToken.objects.filter(user=worker).count() == 2
