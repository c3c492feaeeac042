"""The navigation shell: each installed domain declares its entries on its AppConfig.

    class PlantConfig(AppConfig):
        navigation = [NavItem(_("设备与测点"), "plant:browser", "bi-diagram-3", capability=PLANT_VIEW, order=20)]

(NavItem lives in anquan.platform.navigation.)

Modules that are not built yet declare nothing, so they are simply absent from the menu.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.urls import reverse

from anquan.platform.navigation import NavItem


def items_for(user: Any) -> list[dict[str, Any]]:
    from anquan.org.access import Access

    access = Access.of(user)
    entries: list[NavItem] = []
    for config in apps.get_app_configs():
        entries.extend(getattr(config, "navigation", []))
    visible = [
        e for e in sorted(entries, key=lambda e: e.order) if e.capability is None or access.can(e.capability)
    ]
    return [
        {"label": e.label, "url": reverse(e.url_name), "icon": e.icon, "url_name": e.url_name}
        for e in visible
    ]
