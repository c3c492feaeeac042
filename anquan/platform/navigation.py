"""Menu entries a domain declares on its AppConfig (``navigation = [NavItem(...)]``).

The web shell (anquan.web.navigation) collects them; domains never import the shell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy translation
    url_name: str
    icon: str = "bi-circle"
    capability: str | None = None  # None: every signed-in user
    order: int = 100
