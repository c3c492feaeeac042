"""``anquan load-demo`` on a database where the demo site is already loaded, and the logins."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command, load_command_class

from anquan.demo import site as demo
from anquan.demo.logins import demo_logins
from anquan.org import services as org
from anquan.org.models import Area, Enterprise, RoleAssignment, Site, Team, User
from anquan.plant import services as plant
from anquan.plant.models import Equipment, ProcessLink, SensorTag, Unit
from anquan.platform import audit
from anquan.platform.models import AuditEntry, AuditHead

pytestmark = pytest.mark.django_db

MODELS = (
    Enterprise,
    Site,
    Area,
    Unit,
    Team,
    User,
    RoleAssignment,
    Equipment,
    SensorTag,
    ProcessLink,
    AuditEntry,
)


def row_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def load(**options: object) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("load_demo", stdout=out, stderr=err, **{"history_days": 0, **options})
    return out.getvalue(), err.getvalue()


def test_a_second_load_changes_nothing(demo_site: Enterprise) -> None:
    before, head = row_counts(), AuditHead.objects.get().hash

    out, _err = load()

    assert out == "演示场所已加载（企业编码 anquan-demo），未做任何更改。\n"
    assert row_counts() == before
    assert AuditHead.objects.get().hash == head
    assert audit.verify().ok


def test_a_second_load_keeps_what_users_changed(demo_site: Enterprise) -> None:
    org.update_user(None, User.objects.get(username="wulei"), name="吴磊磊", phone="13900000000")
    plant.update_tag(None, SensorTag.objects.get(tag="AI-105"), h=Decimal(20))

    load()

    user = User.objects.get(username="wulei")
    assert (user.name, user.phone) == ("吴磊磊", "13900000000")
    assert SensorTag.objects.get(tag="AI-105").h == 20


def test_a_second_load_with_verbosity_0_prints_nothing(demo_site: Enterprise) -> None:
    before = row_counts()

    assert load(verbosity=0) == ("", "")
    assert row_counts() == before


def test_help_is_translated_text() -> None:
    parser = load_command_class("anquan.demo", "load_demo").create_parser("anquan", "load_demo")

    assert "演示场所" in parser.format_help()


def test_demo_logins_lists_every_demo_user_in_order(demo_site: Enterprise) -> None:
    logins = demo_logins()

    assert [row[0] for row in logins] == [p.username for p in demo.PEOPLE]
    assert logins[0] == ("admin", "周建国", "系统管理员", "滨海化工园区储运基地")
    assert ("chenhaitao", "陈海涛", "区域经理", "储罐区、泵房、装车站") in logins
    assert ("lintao", "林涛", "一线员工", "罐区运行一班") in logins
    assert ("liuzhiqiang", "刘志强", "EHS 总监", "安泉危化品储运有限公司") in logins
    assert ("maqiang", "马强", "承包商", "滨海化工园区储运基地") in logins


def test_demo_logins_follow_later_changes(demo_site: Enterprise) -> None:
    org.update_user(None, User.objects.get(username="maqiang"), is_active=False)
    lintao = User.objects.get(username="lintao")
    org.assign_role(None, user=lintao, role="safety_officer", scope=Area.objects.get(code="tank-farm"))

    logins = {row[0]: row for row in demo_logins()}

    assert "maqiang" not in logins
    assert logins["lintao"] == ("lintao", "林涛", "一线员工、安全员", "罐区运行一班、储罐区")
