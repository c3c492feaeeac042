from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from anquan.monitoring import services
from anquan.plant.models import Equipment, SensorTag


class Command(BaseCommand):
    help = (
        "Alarm rules: `alarms sync` makes every tag's HH/H/L/LL limits its limit rules (creating, "
        "updating or disabling them) and re-applies designed suppression for every equipment."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sync"])

    def handle(self, *args: Any, **options: Any) -> None:
        tags = list(SensorTag.objects.order_by("pk").values_list("pk", flat=True))
        for tag_id in tags:
            services.sync_limit_rules(tag_id)
        suppressed = sum(
            services.apply_designed_suppression(eq) for eq in Equipment.objects.values_list("pk", flat=True)
        )
        self.stdout.write(
            self.style.SUCCESS(
                _("已同步 %(tags)d 个测点的限值报警规则；设计抑制变更 %(n)d 个报警点。")
                % {"tags": len(tags), "n": suppressed}
            )
        )
