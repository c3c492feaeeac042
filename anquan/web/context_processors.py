from typing import Any

from django.http import HttpRequest

from anquan.org.models import RoleAssignment
from anquan.web.navigation import items_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the navigation shell of every page needs: the menu and the signed-in user's roles."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "my_assignments": []}
    return {
        "nav_items": items_for(user, request.path),
        "my_assignments": lambda: list(
            RoleAssignment.objects.filter(user=user).select_related("enterprise", "site", "area", "team")
        ),
    }
