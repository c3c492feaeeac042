from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.org.roles import NOTIFY_MANAGE
from anquan.platform.navigation import NavItem


class NotificationsConfig(AppConfig):
    name = "anquan.notifications"
    label = "notifications"
    verbose_name = _("通知中心")
    navigation = [
        NavItem(_("消息通知"), "notifications:inbox", "bi-bell", order=90),
        NavItem(_("通知渠道"), "notifications:channels", "bi-broadcast", capability=NOTIFY_MANAGE, order=95),
    ]

    def ready(self) -> None:
        from anquan.notifications import (  # noqa: F401
            receivers,
            receivers_hazards,
            receivers_inspections,
            receivers_workorders,
        )
