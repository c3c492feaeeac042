from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.org.roles import STREAM_CONFIGURE
from anquan.platform.navigation import NavItem


class StreamingConfig(AppConfig):
    name = "anquan.streaming"
    label = "streaming"
    verbose_name = _("数据接入")
    navigation = [
        NavItem(_("数据接入"), "streaming:connectors", "bi-plug", capability=STREAM_CONFIGURE, order=80),
    ]
