"""``anquan load-demo``: load the demo site once; later runs keep whatever is there."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from anquan.demo import earlywarning, loader
from anquan.demo import site as demo
from anquan.demo.logins import logins_table
from anquan.earlywarning.models import WarningModel
from anquan.hazards.models import Hazard
from anquan.inspections.models import DailyReport, Plan, Round, Signal
from anquan.org.models import Area, RoleAssignment, Site, Team, User
from anquan.plant.models import Equipment, ProcessLink, SensorTag, Unit
from anquan.workorders.models import WorkOrder


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = _("加载演示场所（危化品储运园区）。已加载时不做任何更改。")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-logins", action="store_true", help=_("不打印演示账号表"))
        parser.add_argument(
            "--history-days",
            type=float,
            default=1.0,
            help=_("写入多少天的模拟历史数据并据此训练各装置单元的 AI 预警模型（0：不写、不训练）"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        if loader.is_loaded():
            if verbosity:
                self.stdout.write(
                    _("演示场所已加载（企业编码 %(code)s），未做任何更改。")
                    % {"code": demo.ENTERPRISE["code"]}
                )
            return
        bar = tqdm(
            total=demo.Counts().total,
            desc=_("加载演示场所"),
            unit=_("条"),
            disable=verbosity == 0,
            file=sys.stderr,
            leave=False,
        )
        try:
            with bar:
                enterprise = loader.load(progress=bar.update)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        site = Site.objects.get(enterprise=enterprise, code=demo.SITE["code"])
        days = options["history_days"]
        if days > 0:
            self._early_warning(site, days, verbosity)
        if verbosity:
            self._summary(site)
            if not options["no_logins"]:
                self._logins()

    def _early_warning(self, site: Site, days: float, verbosity: int) -> None:
        now = timezone.now()
        with tqdm(
            desc=_("写入模拟历史数据"), unit=_("条"), disable=verbosity == 0, file=sys.stderr, leave=False
        ) as bar:
            stored = earlywarning.write_history(site, days=days, now=now, progress=bar.update)
        approver = User.objects.get(username=demo.EHS_DIRECTOR)
        models = earlywarning.train_models(site, approver, days=days, now=now)
        if verbosity:
            self.stdout.write(
                _("已写入 %(n)s 条模拟历史数据（%(days)g 天），训练并投用 %(m)d 个 AI 预警模型。")
                % {
                    "n": f"{stored:,}",
                    "days": days,
                    "m": WarningModel.objects.filter(
                        pk__in=[m.pk for m in models], active_version__isnull=False
                    ).count(),
                }
            )

    def _summary(self, site: Site) -> None:
        counts = [
            (_("区域"), Area.objects.filter(site=site).count()),
            (_("装置单元"), Unit.objects.filter(area__site=site).count()),
            (_("班组"), Team.objects.filter(area__site=site).count()),
            (_("人员"), User.objects.filter(assignments__enterprise=site.enterprise).distinct().count()),
            (_("设备"), Equipment.objects.filter(area__site=site).count()),
            (_("测点"), SensorTag.objects.filter(site=site).count()),
            (_("工艺连接"), ProcessLink.objects.filter(source__area__site=site).count()),
            (_("角色分配"), RoleAssignment.objects.filter(enterprise=site.enterprise).count()),
        ]  # fmt: skip
        self.stdout.write(
            self.style.SUCCESS(
                _("已加载演示场所：%(enterprise)s · %(site)s") % {"enterprise": site.enterprise, "site": site}
            )
        )
        self.stdout.write("  " + " · ".join(f"{label} {n}" for label, n in counts))
        safety_counts = [
            (_("隐患"), Hazard.objects.filter(site=site).count()),
            (_("巡检计划"), Plan.objects.filter(site=site).count()),
            (_("巡检任务"), Round.objects.filter(site=site).count()),
            (_("工单"), WorkOrder.objects.filter(site=site).count()),
            (_("巡检信号"), Signal.objects.filter(site=site).count()),
            (_("设备健康日报"), DailyReport.objects.filter(site=site).count()),
        ]
        self.stdout.write("  " + " · ".join(f"{label} {n}" for label, n in safety_counts))

    def _logins(self) -> None:
        self.stdout.write("")
        for line in logins_table():
            self.stdout.write(line)
