"""The navigation shell: each installed domain declares its entries on its AppConfig.

    class PlantConfig(AppConfig):
        navigation = [NavItem(_("设备与测点"), "plant:browser", "bi-diagram-3", capability=PLANT_VIEW, order=20)]

(NavItem lives in anquan.platform.navigation.)

Modules that are not built yet declare nothing, so they are simply absent from the menu; an entry
whose url is not (yet) routed is left out the same way rather than breaking every page.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from anquan.platform.navigation import NavItem


def declared() -> list[NavItem]:
    """Every entry declared by an installed app, in menu order."""
    entries: list[NavItem] = []
    for config in apps.get_app_configs():
        entries.extend(getattr(config, "navigation", []))
    return sorted(entries, key=lambda e: (e.order, str(e.label)))


def items_for(user: Any, path: str = "") -> list[dict[str, Any]]:
    """The entries ``user`` may open, each with its url; the one containing ``path`` is active."""
    from anquan.org.access import Access

    access = Access.of(user)
    items: list[dict[str, Any]] = []
    for e in declared():
        if e.capability is not None and not access.can(e.capability):
            continue
        try:
            url = reverse(e.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": e.label, "url": url, "icon": e.icon, "url_name": e.url_name, "active": False})
    # The longest url that prefixes the current path is the active entry ("/" only on the home page).
    best = max(
        (i for i in items if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))),
        key=lambda i: len(i["url"]),
        default=None,
    )
    if best is not None:
        best["active"] = True
    return items
