from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.org.roles import INSPECTION_VIEW, INSPECTION_WALK
from anquan.platform.navigation import NavItem


class InspectionsConfig(AppConfig):
    name = "anquan.inspections"
    label = "inspections"
    verbose_name = _("巡检")
    navigation = [
        NavItem(_("巡检"), "inspections:rounds", "bi-qr-code-scan", capability=INSPECTION_WALK, order=40),
        NavItem(_("设备健康"), "inspections:health", "bi-heart-pulse", capability=INSPECTION_VIEW, order=41),
    ]
    # The rounds list and every round page under it open offline once visited (see web/sw.js).
    offline_pages = ["inspections:rounds"]

    def ready(self) -> None:
        # A check item's result owns its photos: seen by whoever sees the round, added by whoever
        # may walk it.
        from anquan.inspections import selectors
        from anquan.inspections.models import DailyReport, ItemResult
        from anquan.org.access import Access, place_of_team
        from anquan.org.roles import INSPECTION_WALK
        from anquan.platform.attachments.registry import register_owner

        register_owner(
            ItemResult,
            visible=lambda user: selectors.results(user),
            may_attach=lambda user, result: Access.of(user).covers(
                INSPECTION_WALK, place_of_team(result.round.team)
            ),
        )
        # A daily report keeps its PDF (sent to the subscribers) as an attachment: seen by whoever
        # sees the report, stored only by the system (reports.pdf_attachment).
        register_owner(
            DailyReport,
            visible=lambda user: selectors.reports(user),
            may_attach=lambda user, report: False,
        )
