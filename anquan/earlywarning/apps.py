from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EarlyWarningConfig(AppConfig):
    name = "anquan.earlywarning"
    label = "earlywarning"
    verbose_name = _("AI 预警")
