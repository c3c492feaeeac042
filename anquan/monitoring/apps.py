from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "anquan.monitoring"
    label = "monitoring"
    verbose_name = _("实时监测与报警")
    navigation: list = []
