"""The demo logins, for ``anquan run`` and ``anquan load-demo`` to print."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.db import transaction
from django.db.utils import OperationalError, ProgrammingError
from django.utils.translation import gettext as _

from anquan.demo import safety
from anquan.demo import site as demo
from anquan.org.models import Enterprise, RoleAssignment, User


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(username, name, role, scope) of each active demo user, in the order of ``site.PEOPLE``.

    Empty when the demo site is not loaded, and also when the database has no tables yet.
    Roles and scopes are what the user holds now in the demo enterprise (an administrator may
    have changed them since loading).
    """
    try:
        # A savepoint, so that a missing table does not break a surrounding transaction (PostgreSQL).
        with transaction.atomic():
            return _logins()
    except (OperationalError, ProgrammingError):  # not migrated yet
        return []


def _logins() -> list[tuple[str, str, str, str]]:
    enterprise = Enterprise.objects.filter(code=demo.ENTERPRISE["code"]).first()
    if enterprise is None:
        return []
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[p.username for p in demo.PEOPLE], is_active=True)
    }
    assignments: dict[int, list[RoleAssignment]] = {}
    held = RoleAssignment.objects.filter(enterprise=enterprise, user__in=users.values())
    for a in held.select_related("enterprise", "site", "area", "team").order_by("pk"):
        assignments.setdefault(a.user_id, []).append(a)
    out = []
    for spec in demo.PEOPLE:
        user = users.get(spec.username)
        mine = assignments.get(user.pk, []) if user else []
        if user is None or not mine:
            continue
        roles = _unique(str(a.get_role_display()) for a in mine)
        scopes = _unique(str(a.scope) for a in mine)
        out.append((user.username, user.name, "、".join(roles), "、".join(scopes)))
    return out


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def logins_table() -> list[str]:
    """The demo logins as aligned terminal lines (CJK characters take two columns); [] if none."""
    rows = demo_logins()
    if not rows:
        return []
    header = (_("用户名"), _("姓名"), _("角色"), _("范围"))
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [_("演示账号（密码均为 %(password)s）：") % {"password": demo.DEMO_PASSWORD}]
    for row in [header, *rows]:
        cells = [_pad(row[i], widths[i]) for i in range(3)]
        lines.append("  " + "  ".join([*cells, row[3]]))
    return lines + walkthrough()


def walkthrough() -> list[str]:
    """Who to log in as to follow a hazard to closure and to walk a round (the demo's story)."""
    names = {p.username: p.name for p in demo.PEOPLE}

    def who(*usernames: str) -> str:
        return _("、").join(_("%(user)s（%(name)s）") % {"user": u, "name": names[u]} for u in usernames)

    return [
        "",
        _("隐患闭环演示（手机浏览器即可）："),
        "  " + _("1 上报隐患：%(who)s") % {"who": who(safety.REPORTER, safety.CONTRACTOR_REPORTER)},
        "  " + _("2 核实、评估分级、安排整改，验收后销号：%(who)s") % {"who": who(safety.SAFETY_OFFICER)},
        "  " + _("3 整改并上传整改照片：%(who)s") % {"who": who(safety.RECTIFIER)},
        "  " + _("4 验收：%(who)s") % {"who": who(safety.ACCEPTOR, safety.HYDROGEN_ACCEPTOR)},
        "  " + _("重大隐患治理方案审批：%(who)s") % {"who": who(safety.MAJOR_APPROVER)},
        "  " + _("巡检（今日任务）：%(who)s") % {"who": who(*safety.WALKERS.values())},
        "  " + _("设备健康日报：%(who)s") % {"who": who(demo.EHS_DIRECTOR, safety.SAFETY_OFFICER)},
    ]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
