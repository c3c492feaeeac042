from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from anquan.platform import audit
from anquan.platform.models import AuditEntry


class Command(BaseCommand):
    help = "Audit trail: `audit verify` checks the hash chain and names the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        total = AuditEntry.objects.count()
        with tqdm(total=total, unit="entry", disable=options["verbosity"] == 0) as bar:
            result = audit.verify(progress=bar.update)
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(_("审计链完整：已校验 %(n)d 条记录。") % {"n": result.checked})
            )
            return
        self.stderr.write(
            self.style.ERROR(
                _("审计链在第 %(seq)d 条记录处断裂（%(reason)s）；之前的 %(n)d 条完好。")
                % {"seq": result.broken_seq, "reason": result.reason, "n": result.checked}
            )
        )
        raise SystemExit(1)
