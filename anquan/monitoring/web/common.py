"""What every monitoring page shares: the permission gate, HTMX detection and small parsers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from anquan.org.access import Access
from anquan.org.roles import MONITOR_CONFIGURE, MONITOR_VIEW

View = Callable[..., HttpResponse]


def capability_page(capability: str, message: Any) -> Callable[[View], View]:
    """Signed-in users holding ``capability`` somewhere (anonymous: the login page; others: 403).

    Where it reaches is the selectors' business: a record out of scope is a 404."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not Access.of(request.user).can(capability):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def monitoring_page(view: View) -> View:
    return capability_page(MONITOR_VIEW, _("您没有查看实时监测与报警的权限。"))(view)


def configure_page(view: View) -> View:
    return capability_page(MONITOR_CONFIGURE, _("您没有配置报警规则的权限。"))(view)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def int_param(value: Any) -> int | None:
    """A positive id from a query string (anything else: None)."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 18:
        return None
    number = int(text)
    return number or None


def int_list(values: list[str]) -> list[int]:
    """Positive ids from a repeated form field, in order, without duplicates."""
    out: list[int] = []
    for value in values:
        number = int_param(value)
        if number is not None and number not in out:
            out.append(number)
    return out
