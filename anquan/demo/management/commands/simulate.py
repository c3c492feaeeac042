"""``anquan simulate``: the plant simulator.

anquan simulate [--speed N] [--via mqtt|http] [--faults-every 6h]     drive the tags live
anquan simulate inject SCENARIO --equipment CODE [--in MIN] [--duration MIN] [--severity X]
anquan simulate history --days 30 --interval 10 --seed 1 --output DIR [--fault S:EQ:START_H:DUR_H[:SEV]]
(all take --site CODE, default the demo site, and --seed)
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from anquan.demo import simulate
from anquan.demo import site as demo
from anquan.org.models import Site
from anquan.simulator.scenarios import SCENARIOS

BAD_INPUT = 2  # exit code for input the command refuses


def _bad(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(str(m) for messages in exc.message_dict.values() for m in messages)
    return "；".join(exc.messages)


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = _("装置模拟器：实时驱动场所测点（默认），注入故障（inject），或生成历史数据（history）。")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        self._common(parser, top=True)
        parser.add_argument("--speed", type=float, default=1.0, help=_("模拟时钟倍速（默认 1，即实时）"))
        parser.add_argument(
            "--via",
            choices=("mqtt", "http"),
            default="mqtt",
            help=_("发布方式：MQTT（默认）或 HTTP 批量接口"),
        )
        parser.add_argument("--mqtt-url", default=None, help=_("MQTT 代理地址（默认 ANQUAN_MQTT_URL）"))
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/api/v1/ingest", help=_("HTTP 批量接口地址（--via http）")
        )
        parser.add_argument("--key", default="", help=_("网关 API 密钥（--via http）"))
        parser.add_argument(
            "--faults-every", default=None, help=_("每隔多久自动注入一个随机故障，如 6h、30m")
        )
        parser.add_argument("--stop-after", type=float, default=None, help=argparse.SUPPRESS)
        actions = parser.add_subparsers(dest="action", metavar="{inject,history}")

        inject = actions.add_parser("inject", help=_("计划一次故障注入（由运行中的模拟器执行）"))
        self._common(inject)
        inject.add_argument("scenario", help=_("故障场景：%(names)s") % {"names": ", ".join(SCENARIOS)})
        inject.add_argument("--equipment", required=True, help=_("设备位号，如 FV-404"))
        inject.add_argument(
            "--in", dest="in_minutes", type=float, default=0.0, help=_("几分钟后开始（默认立即）")
        )
        inject.add_argument("--duration", type=float, default=None, help=_("持续分钟数（默认按场景）"))
        inject.add_argument("--severity", type=float, default=1.0, help=_("严重程度 0.1～5（默认 1）"))
        inject.add_argument("--tag", default=None, help=_("仪表类故障的测点位号（默认由种子选择）"))
        inject.add_argument("--mode", default=None, help=_("模式：漂移 up/down；仪表故障 high/low/dead"))

        history = actions.add_parser("history", help=_("生成历史数据 CSV 及真实情况 JSON"))
        self._common(history)
        history.add_argument("--days", type=float, default=30.0, help=_("天数（默认 30）"))
        history.add_argument("--interval", type=float, default=10.0, help=_("采样间隔秒数（默认 10）"))
        history.add_argument("--output", required=True, help=_("输出目录"))
        history.add_argument(
            "--start",
            default=None,
            help=_("开始时间（ISO 8601，默认 %(start)s 当地时间）")
            % {"start": simulate.DEFAULT_HISTORY_START},
        )
        history.add_argument(
            "--fault",
            action="append",
            default=[],
            help=_("场景:设备:开始小时:持续小时[:严重程度]，可重复，如 h2_leak:FV-404:48:2"),
        )

    def _common(self, parser: CommandParser, *, top: bool = False) -> None:
        # After a sub-command the options repeat; there they only override what was given before.
        default: Any = None if top else argparse.SUPPRESS
        parser.add_argument("--site", default=default, help=_("场所编码（默认演示场所）"))
        parser.add_argument(
            "--seed",
            type=int,
            default=0 if top else argparse.SUPPRESS,
            help=_("随机种子（同一种子生成相同数据）"),
        )

    # --- dispatch -----------------------------------------------------------------------------
    def handle(self, *args: Any, **options: Any) -> None:
        site = self._site(options["site"])
        action = options.get("action")
        if action == "inject":
            self._inject(site, options)
        elif action == "history":
            self._history(site, options)
        else:
            self._live(site, options)

    def _site(self, code: str | None) -> Site:
        if not code:
            site = simulate.demo_site()
            if site is None:
                raise _bad(_("演示场所尚未加载：请先运行 anquan load-demo，或用 --site 指定场所编码。"))
            return site
        matches = list(Site.objects.filter(code=code).select_related("enterprise")[:2])
        if not matches:
            raise _bad(_("没有编码为 %(code)s 的场所。") % {"code": code})
        if len(matches) > 1:
            demo_match = [s for s in matches if s.enterprise.code == demo.ENTERPRISE["code"]]
            if not demo_match:
                raise _bad(_("多个企业都有编码为 %(code)s 的场所，无法确定是哪一个。") % {"code": code})
            return demo_match[0]
        return matches[0]

    def _inject(self, site: Site, options: dict[str, Any]) -> None:
        try:
            injection = simulate.inject(
                None,
                site=site,
                scenario=options["scenario"],
                equipment=options["equipment"],
                in_minutes=options["in_minutes"],
                duration_minutes=options["duration"],
                severity=options["severity"],
                tag=options["tag"],
                mode=options["mode"],
                seed=options["seed"],
            )
        except ValidationError as exc:
            raise _bad(_messages(exc)) from exc
        label = simulate.SCENARIO_LABELS[injection.scenario]
        self.stdout.write(
            self.style.SUCCESS(
                _("已计划故障注入 #%(id)s：%(label)s @ %(eq)s，%(start)s 开始，持续 %(minutes)g 分钟。")
                % {
                    "id": injection.pk,
                    "label": label,
                    "eq": options["equipment"],
                    "start": injection.start_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                    "minutes": injection.duration_s / 60,
                }
            )
        )

    def _history(self, site: Site, options: dict[str, Any]) -> None:
        if options["days"] <= 0 or options["interval"] <= 0:
            raise _bad(_("天数和采样间隔都必须大于 0。"))
        if options["interval"] * 1000 != int(options["interval"] * 1000):
            raise _bad(_("采样间隔最小精确到毫秒。"))
        rows = int(options["days"] * 86400 / options["interval"])
        bar = tqdm(
            total=rows,
            desc=_("生成历史数据"),
            unit=_("行"),
            disable=options["verbosity"] == 0,
            file=sys.stderr,
            leave=False,
        )
        try:
            with bar:
                result = simulate.write_site_history(
                    site,
                    options["output"],
                    days=options["days"],
                    interval_s=options["interval"],
                    seed=options["seed"],
                    start=options["start"],
                    faults=options["fault"],
                    progress=bar.update,
                )
        except ValidationError as exc:
            raise _bad(_messages(exc)) from exc
        except ValueError as exc:  # a malformed --start
            raise _bad(_("开始时间格式不正确：%(error)s") % {"error": exc}) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("已写入 %(rows)d 行 × %(cols)d 列：%(csv)s（%(seconds).1f 秒）；真实情况：%(truth)s")
                % {
                    "rows": result.rows,
                    "cols": result.columns,
                    "csv": result.csv,
                    "seconds": result.seconds,
                    "truth": result.truth,
                }
            )
        )

    def _live(self, site: Site, options: dict[str, Any]) -> None:
        if options["speed"] <= 0:
            raise _bad(_("--speed 必须大于 0。"))
        every = None
        if options["faults_every"]:
            try:
                every = simulate.parse_every(options["faults_every"])
            except ValueError as exc:
                raise _bad(str(exc)) from exc
        publisher: simulate.Publisher
        try:
            if options["via"] == "http":
                if not options["key"]:
                    raise _bad(_("--via http 需要 --key（网关 API 密钥）。"))
                publisher = simulate.HttpPublisher(options["url"], options["key"])
            else:
                url = options["mqtt_url"] or settings.ANQUAN_MQTT_URL
                if not url:
                    raise _bad(
                        _("未配置 MQTT 代理（ANQUAN_MQTT_URL 为空）：用 --mqtt-url 指定，或 --via http。")
                    )
                publisher = simulate.MqttPublisher(url)
        except ValueError as exc:
            raise _bad(str(exc)) from exc
        if options["verbosity"] >= 2:
            logging.getLogger("anquan").setLevel(logging.DEBUG)
        stop = threading.Event()

        def request_stop(signum: int, frame: Any) -> None:
            stop.set()

        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, request_stop)
        timer = None
        if options["stop_after"] is not None:
            timer = threading.Timer(options["stop_after"], stop.set)
            timer.start()
        try:
            runner = simulate.LiveRunner(
                site,
                publisher,
                seed=options["seed"],
                speed=options["speed"],
                faults_every_s=every,
                out=lambda line: self.stdout.write(line),
            )
            runner.run(stop)
        finally:
            if timer is not None:
                timer.cancel()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write(_("模拟器已停止，共发布 %(n)d 条读数。") % {"n": runner.published})
