from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.org.roles import ORG_VIEW, PEOPLE_VIEW
from anquan.platform.navigation import NavItem


class OrgConfig(AppConfig):
    name = "anquan.org"
    label = "org"
    verbose_name = _("组织与人员")
    navigation = [
        NavItem(_("组织架构"), "org:structure", "bi-diagram-2", capability=ORG_VIEW, order=55),
        NavItem(_("人员与角色"), "org:people", "bi-people", capability=PEOPLE_VIEW, order=60),
    ]
