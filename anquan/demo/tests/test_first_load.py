"""``anquan load-demo`` on a database without the demo site."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from anquan.demo import site as demo
from anquan.demo.logins import demo_logins
from anquan.earlywarning.models import WarningModel
from anquan.monitoring.models import Reading
from anquan.org import services as org
from anquan.org.models import Enterprise, User
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_command_loads_the_site_and_prints_a_summary_and_the_logins() -> None:
    assert demo_logins() == []
    out = StringIO()

    call_command("load_demo", stdout=out, history_days=0.05)  # 72 simulated minutes

    text = out.getvalue()
    counts = demo.Counts()
    assert (
        f"已写入 {Reading.objects.count():,} 条模拟历史数据（0.05 天），训练并投用 8 个 AI 预警模型。" in text
    )
    assert WarningModel.objects.filter(active_version__approved_by__username=demo.EHS_DIRECTOR).count() == 8
    assert "已加载演示场所：安泉危化品储运有限公司 · 滨海化工园区储运基地" in text
    assert (
        f"区域 6 · 装置单元 {counts.units} · 班组 5 · 人员 {counts.people} · 设备 {counts.equipment}" in text
    )
    assert f"测点 {counts.tags} · 工艺连接 {counts.links}" in text
    assert "隐患 12 · 巡检计划 5 · 巡检任务 " in text
    assert " · 工单 5 · 巡检信号 962 · 设备健康日报 1" in text
    assert f"演示账号（密码均为 {demo.DEMO_PASSWORD}）" in text
    for username, name, role, scope in demo_logins():
        line = next(line for line in text.splitlines() if line.strip().startswith(username + " "))
        assert line.split() == [username, name, *role.split(), *scope.split()]
    assert len(demo_logins()) == len(demo.PEOPLE)


def test_taken_usernames_stop_the_load_and_nothing_is_written() -> None:
    org.create_user(None, username="admin", password="Another-pass-2026")
    entries = AuditEntry.objects.count()

    with pytest.raises(CommandError, match="admin"):
        call_command("load_demo", stdout=StringIO(), stderr=StringIO(), history_days=0)

    assert not Enterprise.objects.exists()
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]
    assert AuditEntry.objects.count() == entries


def test_demo_logins_is_empty_when_the_tables_do_not_exist() -> None:
    table = connection.ops.quote_name(Enterprise._meta.db_table)
    hidden = connection.ops.quote_name("demo_test_hidden_enterprise")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {hidden}")
    try:
        assert demo_logins() == []
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {hidden} RENAME TO {table}")
    assert Enterprise.objects.count() == 0
