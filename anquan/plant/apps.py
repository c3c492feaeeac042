from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlantConfig(AppConfig):
    name = "anquan.plant"
    label = "plant"
    verbose_name = _("装置与设备")
