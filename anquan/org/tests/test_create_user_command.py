"""``anquan create-user``: the console script adds a person with roles, or exits 2 saying why not."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import connections

from anquan.cli import main
from anquan.conftest import World, build_world
from anquan.org import services as org
from anquan.org.models import RoleAssignment, User
from anquan.platform.models import AuditEntry

STRONG = "Zhang-san-2026-anquan"


@pytest.fixture
def w(db: Any) -> World:
    return build_world()


def run(*argv: str) -> int:
    """The console script's real path. Django closes every database connection after a command
    run from the command line; the test's own transaction lives on that connection, so the close is
    skipped here (on PostgreSQL it would end the test's transaction)."""
    with mock.patch.object(connections, "close_all", lambda: None):
        try:
            return main(["create-user", *argv])
        except SystemExit as exc:
            return int(exc.code or 0)


def test_a_person_is_created_with_roles_at_each_kind_of_scope(w: World, capsys: Any) -> None:
    code = run(
        "zhangsan", "--password", STRONG, "--name", "张三", "--email", "zs@example.com",
        "--role", "worker", "--scope", "team:east/tank-farm/t1",
        "--role", "operator", "--scope", "site:east",
        "--role", "area_manager", "--scope", "area:west/tank-farm",
        "--role", "ehs_director", "--scope", "enterprise:acme",
    )  # fmt: skip

    assert code == 0
    user = User.objects.get(username="zhangsan")
    assert (user.name, user.email, user.is_superuser, user.check_password(STRONG)) == (
        "张三",
        "zs@example.com",
        False,
        True,
    )
    assert sorted(RoleAssignment.objects.filter(user=user).values_list("role", "level")) == [
        ("area_manager", "area"),
        ("ehs_director", "enterprise"),
        ("operator", "site"),
        ("worker", "team"),
    ]
    assert RoleAssignment.objects.get(user=user, role="area_manager").area == w.area_b1
    assert "已创建用户 zhangsan" in capsys.readouterr().out
    assert AuditEntry.objects.filter(model="org.user", object_id=str(user.pk)).get().actor_name == "system"


@pytest.mark.argon2
@pytest.mark.django_db
def test_a_superuser_is_created_with_the_password_asked_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: Iterator[str] = iter([STRONG, STRONG])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))

    assert run("admin", "--superuser") == 0

    admin = User.objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff) == (True, True)
    assert admin.password.startswith("argon2$") and admin.check_password(STRONG)


@pytest.mark.django_db
def test_passwords_that_do_not_match_or_are_not_given_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    answers: Iterator[str] = iter([STRONG, STRONG + "x"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert run("admin") == 2
    assert "两次输入的密码不一致" in capsys.readouterr().err

    def no_terminal(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(getpass, "getpass", no_terminal)
    assert run("admin") == 2
    assert "--password" in capsys.readouterr().err
    assert not User.objects.filter(username="admin").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--role", "king", "--scope", "site:east"], "未知的角色：king"),
        (["--role", "worker", "--scope", "site:nowhere"], "找不到场所：site:nowhere"),
        (["--role", "worker", "--scope", "area:east"], "未知的范围：area:east"),
        (["--role", "worker", "--scope", "east"], "范围格式不正确：east"),
        (["--role", "worker", "--scope", "team:east/tank-farm/t9"], "找不到班组"),
        (["--role", "worker"], "每个 --role 都需要一个对应的 --scope"),
        (["--password", "12345678"], "password: "),
    ],
)
def test_bad_input_exits_2_with_a_clear_message_and_creates_nothing(
    w: World, capsys: Any, argv: list[str], message: str
) -> None:
    users, audit = User.objects.count(), AuditEntry.objects.count()
    if "--password" not in argv:
        argv = [*argv, "--password", STRONG]

    assert run("zhangsan", *argv) == 2

    assert message in capsys.readouterr().err
    assert (User.objects.count(), AuditEntry.objects.count()) == (users, audit)


def test_an_existing_username_exits_2(w: World, capsys: Any) -> None:
    assert run("worker_a1", "--password", STRONG) == 2

    assert "用户名 worker_a1 已存在" in capsys.readouterr().err


def test_a_site_code_two_enterprises_share_must_name_the_enterprise(w: World, capsys: Any) -> None:
    beta = org.create_enterprise(None, code="beta", name="贝塔化工")
    org.create_site(None, enterprise=beta, code="east", name="贝塔东区")

    ambiguous = run("zhangsan", "--password", STRONG, "--role", "worker", "--scope", "site:east")
    assert ambiguous == 2 and "不唯一" in capsys.readouterr().err

    assert run("zhangsan", "--password", STRONG, "--role", "worker", "--scope", "site:beta/east") == 0
    assert RoleAssignment.objects.get(user__username="zhangsan").site.name == "贝塔东区"  # type: ignore[union-attr]
