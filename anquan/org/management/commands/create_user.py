"""``anquan create-user``: add a person from the command line, with their roles, in one transaction.

    anquan create-user zhangsan --name 张三 --role worker --scope team:east/tank-farm/t1
    anquan create-user admin --superuser            (asks for the password twice)

Scopes: ``enterprise:CODE``, ``site:CODE`` (or ``site:ENTERPRISE/CODE`` when two enterprises share
a site code), ``area:SITE/AREA``, ``team:SITE/AREA/TEAM``. Errors exit with status 2.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from anquan.org import services
from anquan.org.choices import Role
from anquan.org.models import Area, Enterprise, Site, Team, User

USAGE_ERROR = 2


def fail(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def _one(queryset: QuerySet[Any], what: str, spec: str) -> Any:
    found = list(queryset[:2])
    if not found:
        raise fail(_("找不到%(what)s：%(spec)s") % {"what": what, "spec": spec})
    if len(found) > 1:
        raise fail(
            _("%(what)s“%(spec)s”不唯一，请写成 site:企业编码/场所编码。") % {"what": what, "spec": spec}
        )
    return found[0]


def parse_scope(spec: str) -> Enterprise | Site | Area | Team:
    """``level:path`` -> the enterprise, site, area or team it names."""
    level, sep, path = spec.partition(":")
    parts = path.split("/") if path else []
    if not sep or not all(parts):
        raise fail(_("范围格式不正确：%(spec)s（示例：site:east、area:east/tank-farm）") % {"spec": spec})
    found: Model
    if level == "enterprise" and len(parts) == 1:
        found = _one(Enterprise.objects.filter(code=parts[0]), _("企业"), spec)
    elif level == "site" and len(parts) in (1, 2):
        sites = Site.objects.filter(code=parts[-1])
        if len(parts) == 2:
            sites = sites.filter(enterprise__code=parts[0])
        found = _one(sites, _("场所"), spec)
    elif level == "area" and len(parts) == 2:
        found = _one(Area.objects.filter(site__code=parts[0], code=parts[1]), _("区域"), spec)
    elif level == "team" and len(parts) == 3:
        teams = Team.objects.filter(area__site__code=parts[0], area__code=parts[1], code=parts[2])
        found = _one(teams, _("班组"), spec)
    else:
        raise fail(
            _("未知的范围：%(spec)s（可用 enterprise:编码、site:编码、area:场所/区域、team:场所/区域/班组）")
            % {"spec": spec}
        )
    return found  # type: ignore[return-value]


class Command(BaseCommand):
    help = "Create a user with roles (anquan create-user USERNAME --role ROLE --scope LEVEL:PATH ...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", help="the password (asked for twice when left out)")
        parser.add_argument("--name", default="", help="the person's full name")
        parser.add_argument("--email", default="")
        parser.add_argument("--superuser", action="store_true", help="may do everything everywhere")
        parser.add_argument(
            "--role",
            action="append",
            default=[],
            help=f"a role ({', '.join(Role.values)}); each --role is paired with the --scope that follows it",
        )
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            help="enterprise:CODE | site:CODE | area:SITE/AREA | team:SITE/AREA/TEAM",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        if len(options["role"]) != len(options["scope"]):
            raise fail(_("每个 --role 都需要一个对应的 --scope。"))
        for role in options["role"]:
            if role not in Role.values:
                raise fail(
                    _("未知的角色：%(r)s（可选：%(all)s）") % {"r": role, "all": "、".join(Role.values)}
                )
        if User.objects.filter(username=username).exists():
            raise fail(_("用户名 %(u)s 已存在。") % {"u": username})
        roles = [
            (role, parse_scope(spec)) for role, spec in zip(options["role"], options["scope"], strict=True)
        ]
        password = options["password"]
        if password is None:
            password = self._ask_password()
        try:
            user = services.create_user(
                None,
                username=username,
                password=password,
                name=options["name"],
                email=options["email"],
                is_superuser=options["superuser"],
                roles=roles,
            )
        except ValidationError as exc:
            raise fail(_format(exc)) from exc
        granted = "、".join(f"{Role(role).label} @ {scope}" for role, scope in roles) or _("无")
        kind = _("超级管理员") if user.is_superuser else _("用户")
        self.stdout.write(
            self.style.SUCCESS(
                _("已创建%(kind)s %(u)s；角色：%(roles)s")
                % {"kind": kind, "u": user.username, "roles": granted}
            )
        )

    def _ask_password(self) -> str:
        try:
            first = getpass.getpass(_("密码："))
            second = getpass.getpass(_("再次输入密码："))
        except (EOFError, KeyboardInterrupt) as exc:
            raise fail(_("没有输入密码：请在终端中输入，或用 --password 提供。")) from exc
        if first != second:
            raise fail(_("两次输入的密码不一致。"))
        return first


def _format(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "\n".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
    return " ".join(exc.messages)
