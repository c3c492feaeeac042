"""Reads of the streaming domain, scoped to the viewer (pages, API and admin alike).

Everything here needs ``streaming.configure`` at the record's site."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from anquan.org.access import Access, Paths
from anquan.org.models import Site
from anquan.org.roles import STREAM_CONFIGURE
from anquan.streaming.choices import RejectReason
from anquan.streaming.imports import dead_letter_prefix
from anquan.streaming.models import Connector, DeadLetter, HistoryImport

SITE_PATHS = Paths(site="site")
IMPORTS = "imports"  # the dead-letter filter value for rows refused by history imports (no connector)


def can_configure(user: Any) -> bool:
    return Access.of(user).can(STREAM_CONFIGURE)


def configurable_sites(user: Any) -> QuerySet[Site]:
    """Sites whose connectors and imports the user may configure."""
    ids = Access.of(user).site_ids(STREAM_CONFIGURE)
    qs = Site.objects.select_related("enterprise").order_by("name")
    return qs if ids is None else qs.filter(pk__in=ids)


def connectors(viewer: Any, *, site: Site | None = None) -> QuerySet[Connector]:
    qs = Connector.objects.select_related("site")
    if site is not None:
        qs = qs.filter(site=site)
    return Access.of(viewer).filter(qs, STREAM_CONFIGURE, SITE_PATHS).order_by("site__name", "name")


def dead_letters(
    viewer: Any,
    *,
    site: Site | None = None,
    connector: str | int | None = None,
    reason: str = "",
    history_import: int | None = None,
) -> QuerySet[DeadLetter]:
    """Refused readings and payloads, newest first. ``connector`` is a connector id, or ``"imports"``
    for those refused by history imports; ``history_import`` narrows to the rows of one import."""
    qs = DeadLetter.objects.select_related("connector", "site")
    if history_import is not None:
        qs = qs.filter(connector__isnull=True, detail__startswith=dead_letter_prefix(history_import))
    if site is not None:
        qs = qs.filter(Q(site=site) | Q(connector__site=site))
    if connector == IMPORTS:
        qs = qs.filter(connector__isnull=True)
    elif connector not in (None, ""):
        qs = qs.filter(connector_id=int(connector))
    if reason:
        qs = qs.filter(reason=reason)
    access = Access.of(viewer)
    q = access.q(STREAM_CONFIGURE, SITE_PATHS)
    if q is not None:  # a dead letter belongs to its site, or to its connector's site
        by_connector = access.q(STREAM_CONFIGURE, Paths(site="connector__site"))
        qs = qs.filter(q | by_connector) if by_connector is not None else qs.filter(q)
    return qs.order_by("-id")


def reason_counts(letters: QuerySet[DeadLetter]) -> list[tuple[str, str, int]]:
    """(reason, label, count) for every reason present in ``letters``, most frequent first."""
    labels = dict(RejectReason.choices)
    rows = letters.order_by().values("reason").annotate(n=Count("id")).order_by("-n", "reason")
    return [(r["reason"], str(labels.get(r["reason"], r["reason"])), r["n"]) for r in rows]


def imports(viewer: Any, *, site: Site | None = None) -> QuerySet[HistoryImport]:
    qs = HistoryImport.objects.select_related("site", "created_by")
    if site is not None:
        qs = qs.filter(site=site)
    return Access.of(viewer).filter(qs, STREAM_CONFIGURE, SITE_PATHS).order_by("-id")
