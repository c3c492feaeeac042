from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreamingConfig(AppConfig):
    name = "anquan.streaming"
    label = "streaming"
    verbose_name = _("数据接入")
    navigation: list = []
