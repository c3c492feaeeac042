from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.platform.navigation import NavItem


class WebConfig(AppConfig):
    name = "anquan.web"
    label = "web"
    verbose_name = _("站点外壳")
    navigation = [NavItem(_("首页"), "home", "bi-speedometer2", order=0)]
