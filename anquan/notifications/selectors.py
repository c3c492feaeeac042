"""Reads of the notification centre, scoped to the viewer (pages, API and admin alike)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from anquan.notifications.choices import Category, Medium
from anquan.notifications.models import Channel, Delivery, Notification, Preference
from anquan.org.access import Access, Paths
from anquan.org.choices import Role
from anquan.org.models import Site
from anquan.org.roles import NOTIFY_MANAGE

SITE_PATHS = Paths(site="site")


def inbox(user: Any, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's own notifications, newest first (``unread=True``: only unread ones)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs


def unread_count(user: Any) -> int:
    return inbox(user, unread=True).count()


def can_manage(user: Any) -> bool:
    return Access.of(user).can(NOTIFY_MANAGE)


def manageable_sites(user: Any) -> QuerySet[Site]:
    """Sites whose channels and role defaults the user may configure."""
    ids = Access.of(user).site_ids(NOTIFY_MANAGE)
    qs = Site.objects.select_related("enterprise")
    return qs if ids is None else qs.filter(pk__in=ids)


def channels(viewer: Any) -> QuerySet[Channel]:
    return Access.of(viewer).filter(Channel.objects.select_related("site"), NOTIFY_MANAGE, SITE_PATHS)


def deliveries(viewer: Any, *, status: str = "", channel_id: int | None = None) -> QuerySet[Delivery]:
    """The delivery log of the sites the viewer manages (platform e-mail without a site: superusers)."""
    qs = Delivery.objects.select_related("channel", "site")
    if status:
        qs = qs.filter(status=status)
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    return Access.of(viewer).filter(qs, NOTIFY_MANAGE, SITE_PATHS)


@dataclass(frozen=True)
class PreferenceCell:
    category: str
    category_label: str
    medium: str
    medium_label: str
    enabled: bool | None  # None: not set here (the role default or the built-in one applies)


def preference_table(*, user: Any = None, role: str = "", site: Site | None = None) -> list[PreferenceCell]:
    """Every category × medium with the value set by ``user`` (or by ``role`` at ``site``)."""
    if user is not None:
        rows = Preference.objects.filter(user=user)
    elif role and site is not None:
        rows = Preference.objects.filter(user__isnull=True, role=role, site=site)
    else:
        rows = Preference.objects.none()
    values = {(p.category, p.medium): p.enabled for p in rows}
    return [
        PreferenceCell(c.value, str(c.label), m.value, str(m.label), values.get((c.value, m.value)))
        for c in Category
        for m in Medium
    ]


def role_choices() -> list[tuple[str, str]]:
    return [(r.value, str(r.label)) for r in Role]
