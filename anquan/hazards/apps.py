from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.org.roles import HAZARD_REPORT
from anquan.platform.navigation import NavItem


class HazardsConfig(AppConfig):
    name = "anquan.hazards"
    label = "hazards"
    verbose_name = _("隐患排查治理")
    offline_pages = ["hazards:report"]  # 隐患随手拍 opens without a network (the service worker keeps it)
    navigation = [
        NavItem(_("隐患"), "hazards:list", "bi-exclamation-diamond", capability=HAZARD_REPORT, order=36),
    ]

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from anquan.hazards import selectors, services, shipped
        from anquan.hazards.models import Hazard
        from anquan.platform.attachments.registry import register_owner

        # Photos, voice notes, videos and evidence: added only by the hazard services (a report
        # cannot be altered afterwards), seen by whoever sees the hazard.
        register_owner(Hazard, visible=selectors.hazards, may_attach=services.may_attach)
        # The shipped determination standards exist in every database (reference data).
        post_migrate.connect(shipped.ensure_shipped, sender=self, dispatch_uid="hazards.ensure_shipped")
