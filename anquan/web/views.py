"""The site shell's own pages: sign-in and out, password change, language switch and the home page."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any, TypeGuard, cast

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from anquan.notifications import selectors as notification_selectors
from anquan.org import selectors as org_selectors
from anquan.org import services as org_services
from anquan.org.access import Access
from anquan.org.models import User
from anquan.org.roles import PEOPLE_VIEW, PLANT_VIEW
from anquan.plant import selectors as plant_selectors
from anquan.web.navigation import items_for

# Set when someone picks a language before signing in; their sign-in then keeps that choice.
LANGUAGE_CHOSEN_KEY = "anquan_language_chosen"
LATEST_NOTIFICATIONS = 5


def _language_cookie(response: HttpResponseBase, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _supported(language: Any) -> TypeGuard[str]:
    return isinstance(language, str) and language in dict(settings.LANGUAGES) and check_for_language(language)


class LoginView(auth_views.LoginView):
    """Session sign-in (throttled by django-axes); the person's preferred language comes with it."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        chosen = self.request.session.get(LANGUAGE_CHOSEN_KEY)
        response = super().form_valid(form)
        user: User = form.get_user()
        self.request.session.pop(LANGUAGE_CHOSEN_KEY, None)
        if _supported(chosen) and chosen != user.preferred_language:
            org_services.set_preferred_language(user, user, chosen)
        _language_cookie(response, chosen if _supported(chosen) else user.preferred_language)
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    """Checks the old password, then sets the new one through the org service (audited)."""

    template_name = "web/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        user = cast(User, self.request.user)
        try:
            org_services.set_password(user, user, form.cleaned_data["new_password1"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("new_password1", message)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("密码已修改。"))
        return redirect(self.get_success_url())

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


@require_POST
def language(request: HttpRequest) -> HttpResponseBase:
    """Django's set_language (the cookie and the redirect), remembered as the person's preference."""
    response = set_language(request)
    chosen = request.POST.get("language")
    if _supported(chosen):
        user = request.user
        if user.is_authenticated:
            if user.preferred_language != chosen:
                org_services.set_preferred_language(user, user, chosen)
        else:
            request.session[LANGUAGE_CHOSEN_KEY] = chosen
    return response


def offline_pages() -> list[str]:
    """The pages a phone may open offline: each AppConfig's ``offline_pages`` (URL names)."""
    pages: list[str] = []
    for config in apps.get_app_configs():
        pages.extend(reverse(name) for name in getattr(config, "offline_pages", []))
    return sorted(pages)


@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """``/sw.js``: the service worker (its scope is the whole site because it is served from the
    root). Its cache name changes with the offline pages; pages are fetched network-first and
    static files refreshed in the background, so a release reaches phones on their next visit."""
    pages = offline_pages()
    version = hashlib.sha256(f"{pages}|{settings.STATIC_URL}".encode()).hexdigest()[:12]
    return render(
        request,
        "web/sw.js",
        {"version": version, "offline_pages": json.dumps(pages), "static_url": settings.STATIC_URL},
        content_type="application/javascript; charset=utf-8",
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: the viewer's sites and areas with what the plant model holds there."""
    user = request.user
    access = Access.of(user)
    can_plant = access.can(PLANT_VIEW)
    sites = list(org_selectors.sites(user))
    areas = list(org_selectors.areas(user))

    equipment_by_area: Counter[int] = Counter()
    tags_by_area: Counter[int] = Counter()
    if can_plant:
        # The selectors may be DISTINCT, so each row keeps its own pk before it is counted.
        equipment_by_area.update(a for _pk, a in plant_selectors.equipment(user).values_list("pk", "area_id"))
        tags_by_area.update(
            a for _pk, a in plant_selectors.tags(user).values_list("pk", "equipment__area_id")
        )

    site_rows = []
    for site in sites:
        site_areas = [a for a in areas if a.site_id == site.pk]
        site_rows.append(
            {
                "site": site,
                "areas": [
                    {"area": a, "equipment": equipment_by_area[a.pk], "tags": tags_by_area[a.pk]}
                    for a in site_areas
                ],
                "equipment": sum(equipment_by_area[a.pk] for a in site_areas),
                "tags": sum(tags_by_area[a.pk] for a in site_areas),
            }
        )

    chart = None
    if can_plant and len(areas) > 1 and any(equipment_by_area.values()):  # one bar compares nothing
        labels = [f"{a.site.name} · {a.name}" if len(sites) > 1 else a.name for a in areas]
        chart = {
            "labels": labels,
            "series": [
                {"name": _("设备"), "data": [equipment_by_area[a.pk] for a in areas]},
                {"name": _("测点"), "data": [tags_by_area[a.pk] for a in areas]},
            ],
        }

    context: dict[str, Any] = {
        "site_rows": site_rows,
        "can_plant": can_plant,
        "totals": {
            "sites": len(sites),
            "areas": len(areas),
            "equipment": sum(equipment_by_area.values()),
            "tags": sum(tags_by_area.values()),
        },
        "people_count": (
            org_selectors.people(user).filter(is_active=True).count() if access.can(PEOPLE_VIEW) else None
        ),
        "quick_links": [i for i in items_for(user) if i["url_name"] != "home"],
        "chart": chart,
        "notifications": {
            "unread": notification_selectors.unread_count(user),
            "latest": list(notification_selectors.inbox(user)[:LATEST_NOTIFICATIONS]),
        },
    }
    return render(request, "web/home.html", context)
