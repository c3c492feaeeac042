"""The navigation shell: each installed domain declares its entries on its AppConfig.

    class PlantConfig(AppConfig):
        navigation = [NavItem(_("设备与测点"), "plant:browser", "bi-diagram-3", capability=PLANT_VIEW, order=20)]

Modules that are not built yet declare nothing, so they are simply absent from the menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy translation
    url_name: str
    icon: str = "bi-circle"
    capability: str | None = None  # None: every signed-in user
    order: int = 100


def items_for(user: Any) -> list[dict[str, Any]]:
    from anquan.org.access import Access

    access = Access.of(user)
    entries: list[NavItem] = []
    for config in apps.get_app_configs():
        entries.extend(getattr(config, "navigation", []))
    visible = [e for e in sorted(entries, key=lambda e: e.order) if e.capability is None or access.can(e.capability)]
    return [{"label": e.label, "url": reverse(e.url_name), "icon": e.icon, "url_name": e.url_name} for e in visible]
