from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.org.roles import MONITOR_VIEW
from anquan.platform.navigation import NavItem


class EarlyWarningConfig(AppConfig):
    name = "anquan.earlywarning"
    label = "earlywarning"
    verbose_name = _("AI 预警")
    navigation = [
        NavItem(_("AI 预警"), "earlywarning:alerts", "bi-stars", capability=MONITOR_VIEW, order=32),
    ]
