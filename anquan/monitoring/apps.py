from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.org.roles import MONITOR_CONFIGURE, MONITOR_VIEW
from anquan.platform.navigation import NavItem


class MonitoringConfig(AppConfig):
    name = "anquan.monitoring"
    label = "monitoring"
    verbose_name = _("实时监测与报警")
    navigation = [
        NavItem(_("实时监测"), "monitoring:overview", "bi-activity", capability=MONITOR_VIEW, order=30),
        NavItem(_("报警台"), "monitoring:console", "bi-bell", capability=MONITOR_VIEW, order=31),
        NavItem(_("报警规则"), "monitoring:rules", "bi-sliders", capability=MONITOR_CONFIGURE, order=33),
    ]

    def ready(self) -> None:
        from anquan.monitoring import receivers  # noqa: F401
