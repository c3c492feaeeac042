"""Who hears of inspection rounds, asset health and daily reports (the inspections domain's events).

Until the notification centre has an "inspection" (巡检) category these go out as ``SYSTEM``.
"""

from __future__ import annotations

import logging

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anquan.inspections import reports
from anquan.inspections.events import DailyReportBuilt, RoundMissed
from anquan.inspections.models import DailyReport, Round
from anquan.notifications.choices import Category, Level, Medium
from anquan.notifications.services import notify
from anquan.org.choices import Role
from anquan.org.models import User
from anquan.platform.attachments.models import Attachment
from anquan.platform.events import subscribe

logger = logging.getLogger(__name__)


@subscribe(DailyReportBuilt)
def daily_report_built(event: DailyReportBuilt) -> None:
    """The subscribers get the report: by e-mail with its PDF attached (on by default for them, as
    they subscribed; rendered once for all of them), in the inbox and the group robots with its link.
    A PDF that cannot be rendered or stored is logged; the notification still goes with the link."""
    report = DailyReport.objects.select_related("site").filter(pk=event.report_id).first()
    if report is None:
        return
    subscribers = reports.subscribers_of(report)
    if not subscribers:
        return
    attachments: list[Attachment] = []
    try:
        attachments.append(reports.pdf_attachment(report))
    except Exception:
        logger.exception("the PDF of daily report %s could not be made; sending the link only", report.pk)
    link = reverse("inspections:report", args=[report.pk])
    for user in subscribers:
        with translation.override(user.preferred_language):
            notify(
                [user],
                Category.INSPECTION,
                title=_("设备健康日报：%(site)s %(date)s") % {"site": report.site.name, "date": event.date},
                body=_("%(site)s %(date)s 的设备健康日报已生成，可在线查看或下载 PDF。")
                % {"site": report.site.name, "date": event.date},
                link=link,
                level=Level.INFO,
                site_id=report.site_id,
                attachments=attachments,
                defaults={Medium.EMAIL: True},
            )


@subscribe(RoundMissed)
def round_missed(event: RoundMissed) -> None:
    made = Round.objects.select_related("plan", "team").filter(pk=event.round_id).first()
    if made is None:
        return
    leaders = User.objects.filter(
        is_active=True, assignments__role=Role.TEAM_LEADER, assignments__team_id=made.team_id
    ).distinct()
    link = reverse("inspections:round", args=[made.pk])
    for user in leaders.order_by("pk"):
        with translation.override(user.preferred_language):
            notify(
                [user],
                Category.INSPECTION,
                title=_("漏检：%(plan)s") % {"plan": made.plan.name},
                body=_("%(team)s 的巡检任务“%(plan)s”（截止 %(due)s）未按时开始，已标记为漏检。")
                % {
                    "team": made.team.name,
                    "plan": made.plan.name,
                    "due": timezone.localtime(made.due_at).strftime("%m-%d %H:%M"),
                },
                link=link,
                level=Level.WARNING,
                site_id=made.site_id,
            )
