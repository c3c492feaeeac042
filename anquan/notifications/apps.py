from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "anquan.notifications"
    label = "notifications"
    verbose_name = _("通知中心")

    def ready(self) -> None:
        from anquan.notifications import receivers  # noqa: F401
