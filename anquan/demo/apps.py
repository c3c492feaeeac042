from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.org.roles import MONITOR_CONFIGURE
from anquan.platform.navigation import NavItem


class DemoConfig(AppConfig):
    name = "anquan.demo"
    label = "demo"
    verbose_name = _("演示场所")
    navigation = [NavItem(_("模拟器"), "demo:simulator", "bi-cpu", capability=MONITOR_CONFIGURE, order=90)]
