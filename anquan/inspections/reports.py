"""The daily health report of a site: built once per site and day at the site's configured time
(``ReportSetting.send_at``, local time; 07:30 when not configured), kept as figures (``content``)
and rendered as a page and as a PDF (WeasyPrint, Noto Sans CJK embedded); subscribers are told.
The PDF sent to the subscribers is rendered once per report and kept as the report's attachment
(``pdf_attachment``, ``日报-<site>-<date>.pdf``), so every e-mail and every retry sends that file.

A report dated D covers the local day D (00:00–24:00): the alarms raised, AI alerts raised, rounds
due and check items failed that day, hazards reported and closed that day; asset health is each
equipment's newest score, and open hazards and work orders are counted, when built.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from anquan.earlywarning.models import AIAlert
from anquan.hazards import selectors as hazard_selectors
from anquan.hazards.choices import HazardGrade, HazardState, RiskColour
from anquan.hazards.models import Hazard
from anquan.inspections import cycles
from anquan.inspections.choices import HealthBand, Outcome, RoundStatus
from anquan.inspections.events import DailyReportBuilt
from anquan.inspections.models import DailyReport, HealthScore, ItemResult, ReportSetting, Round
from anquan.monitoring import kpis
from anquan.monitoring.models import AlarmOccurrence
from anquan.org.access import Access, place_of_site
from anquan.org.models import Site, User
from anquan.org.roles import INSPECTION_PLAN, INSPECTION_VIEW
from anquan.plant.choices import AlarmPriority
from anquan.platform import audit
from anquan.platform.attachments.models import Attachment, AttachmentKind
from anquan.platform.attachments.services import store_upload
from anquan.platform.events import publish
from anquan.workorders.choices import ACTIVE_STATES
from anquan.workorders.models import WorkOrder

DEFAULT_SEND_AT = dt.time(7, 30)
# The site's alarm rate of the day against EEMUA 191 / ISA-18.2 (monitoring.kpis.TARGETS: ≤ 1 per
# 10 minutes acceptable, ≤ 2 manageable); the day's figure for the whole site, not per console.
RATE_GRADES = {"ok": _lazy("可接受"), "warn": _lazy("可管理"), "bad": _lazy("超出可管理")}
MAX_ROWS = 50  # rows of each list in a report


def configure(actor: Any, site: Site, *, send_at: dt.time, subscribers: Iterable[User]) -> ReportSetting:
    """When the site's report is built and who is told; subscribers must see the site's reports."""
    if actor is not None:
        Access.of(actor).require(INSPECTION_PLAN, place_of_site(site))
    people = list(subscribers)
    blind = [u for u in people if not Access.of(u).covers(INSPECTION_VIEW, place_of_site(site))]
    if blind:
        raise ValidationError(
            {
                "subscribers": [
                    _("以下人员无权查看本场所的日报：%(names)s。")
                    % {"names": "、".join(str(u) for u in blind)}
                ]
            }
        )
    if not isinstance(send_at, dt.time):
        raise ValidationError({"send_at": [_("请输入有效的时间。")]})
    with transaction.atomic():
        setting, created = ReportSetting.objects.get_or_create(site=site)
        before = audit.snapshot(setting)
        setting.send_at = send_at
        setting.save()
        setting.subscribers.set(people)
        if created:
            audit.record_create(actor, setting)
        else:
            audit.record_update(actor, setting, before)
        audit.record(actor, "update", setting, {"subscribers": sorted(u.pk for u in people)})
    return setting


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = cycles.zone()
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(1), dt.time(0, 0), tzinfo=tz)


def content_of(site: Site, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """The figures of ``site``'s report for ``day`` (JSON-safe)."""
    start, end = _day_bounds(day)
    newest: dict[int, HealthScore] = {}
    for score in (
        HealthScore.objects.filter(site=site, at__lte=now)
        .select_related("equipment")
        .order_by("equipment_id", "-at", "-pk")
    ):
        newest.setdefault(score.equipment_id, score)
    scores = sorted(newest.values(), key=lambda s: (s.score, s.equipment.code))
    bands = Counter(s.band for s in scores)
    assets = {
        "counts": [{"band": b.value, "label": str(b.label), "count": bands.get(b.value, 0)} for b in HealthBand],
        "items": [
            {"code": s.equipment.code, "name": s.equipment.name, "score": s.score, "band": s.band,
             "label": str(HealthBand(s.band).label), "action": s.action, "reasons": [r["text"] for r in s.reasons]}
            for s in scores[:MAX_ROWS]
        ],
    }  # fmt: skip
    rounds = Round.objects.filter(site=site, due_at__gte=start, due_at__lt=end)
    failed = (
        ItemResult.objects.filter(
            round__site=site, outcome=Outcome.FAIL, recorded_at__gte=start, recorded_at__lt=end
        )
        .select_related("item__checkpoint", "round__plan")
        .order_by("recorded_at", "pk")
    )
    alerts = AIAlert.objects.filter(site=site, started_at__gte=start, started_at__lt=end).select_related(
        "model"
    )
    anomalies = {
        "ai_alerts": [
            {"model": a.model.name, "started_at": timezone.localtime(a.started_at).strftime("%H:%M"),
             "score": round(a.score, 2)}
            for a in alerts.order_by("started_at", "pk")[:MAX_ROWS]
        ],
        "ai_alert_count": alerts.count(),
        "failed_items": [
            {"plan": r.round.plan.name, "checkpoint": r.item.checkpoint.name, "item": r.item.name,
             "value": r.value, "unit": r.item.unit}
            for r in failed[:MAX_ROWS]
        ],
        "failed_count": failed.count(),
        "low_health": sum(1 for s in scores if s.score < 60),
    }  # fmt: skip
    inspections = {
        "due": rounds.count(),
        "completed": rounds.filter(status=RoundStatus.COMPLETED).count(),
        "missed": rounds.filter(status=RoundStatus.MISSED).count(),
        "late": rounds.filter(late=True).count(),
    }
    raised = AlarmOccurrence.objects.filter(site=site, raised_at__gte=start, raised_at__lt=end)
    priorities = Counter(raised.values_list("priority", flat=True))
    times = [kpis.to_ms(t) for t in raised.values_list("raised_at", flat=True)]
    rate = kpis.rate_summary(times, kpis.to_ms(start), kpis.to_ms(end) - 1)
    alarms = {
        "total": raised.count(),
        "by_priority": [
            {"priority": p.value, "label": str(p.label), "count": priorities.get(p.value, 0)}
            for p in AlarmPriority
        ],
        "unacknowledged": raised.filter(acked_at__isnull=True).count(),
        "per_hour": round(rate.per_hour, 2),
        "per_10min": round(rate.per_interval, 2),
        "peak_10min": rate.peak_interval,
        "rate_grade": str(RATE_GRADES[kpis.grade_rate(rate.per_interval)]),
        "standing": AlarmOccurrence.objects.filter(
            site=site, cleared_at__isnull=True, raised_at__lt=end - dt.timedelta(hours=24)
        ).count(),
    }
    open_orders = WorkOrder.objects.filter(site=site, state__in=ACTIVE_STATES)
    work_orders = {
        "open": open_orders.count(),
        "overdue": open_orders.filter(due_at__lt=now).count(),
        "opened": WorkOrder.objects.filter(site=site, created_at__gte=start, created_at__lt=end).count(),
    }
    site_hazards = Hazard.objects.filter(site=site)
    open_hazards = hazard_selectors.open_hazards(site_hazards)
    colours = Counter(open_hazards.exclude(risk_colour="").values_list("risk_colour", flat=True))
    hazards = {
        "open": open_hazards.count(),
        "overdue": hazard_selectors.overdue(site_hazards, now).count(),
        "reported": site_hazards.filter(reported_at__gte=start, reported_at__lt=end).count(),
        "closed": site_hazards.filter(
            state=HazardState.CLOSED, closed_at__gte=start, closed_at__lt=end
        ).count(),
        "major": open_hazards.filter(grade=HazardGrade.MAJOR).count(),
        "by_colour": [
            {"colour": str(label), "count": colours.get(value, 0)} for value, label in RiskColour.choices
        ],
    }
    return {
        "site": site.name,
        "work_orders": work_orders,
        "hazards": hazards,
        "date": day.isoformat(),
        "built_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        "assets": assets,
        "anomalies": anomalies,
        "inspections": inspections,
        "alarms": alarms,
    }


def build_report(site: Site, day: dt.date, now: dt.datetime | None = None) -> tuple[DailyReport, bool]:
    """The report of ``site`` for ``day``, built now unless it exists (idempotent). (report, new)."""
    now = now or timezone.now()
    existing = DailyReport.objects.filter(site=site, date=day).first()
    if existing is not None:
        return existing, False
    content = content_of(site, day, now)
    try:
        with transaction.atomic():
            report = DailyReport.objects.create(site=site, date=day, built_at=now, content=content)
            audit.record_create(None, report)
            publish(DailyReportBuilt(report_id=report.pk, site_id=site.pk, date=day.isoformat()))
    except IntegrityError:
        return DailyReport.objects.get(site=site, date=day), False
    return report, True


def build_due(now: dt.datetime | None = None) -> list[DailyReport]:
    """Build the report of every site whose time of the day has come: at ``send_at`` on day D+1
    the report of day D. (The periodic job; a missed slot catches up at the next.)"""
    now = now or timezone.now()
    local = now.astimezone(cycles.zone())
    times = dict(ReportSetting.objects.values_list("site_id", "send_at"))
    built = []
    for site in Site.objects.order_by("pk"):
        send_at = times.get(site.pk, DEFAULT_SEND_AT)
        if local.time().replace(tzinfo=None) < send_at:
            continue
        report, new = build_report(site, local.date() - dt.timedelta(1), now)
        if new:
            built.append(report)
    return built


def subscribers_of(report: DailyReport) -> list[User]:
    setting = ReportSetting.objects.filter(site_id=report.site_id).first()
    if setting is None:
        return []
    people = setting.subscribers.filter(is_active=True).order_by("pk")
    return [u for u in people if Access.of(u).covers(INSPECTION_VIEW, place_of_site(report.site))]


def render_pdf(report: DailyReport) -> bytes:
    """The report as a PDF (A4, Noto Sans CJK embedded)."""
    from PIL import ImageFile

    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    # Importing WeasyPrint switches Pillow to loading truncated images for the whole process; the
    # attachment checks (a photo cut off in upload is refused) must keep Pillow's strict default.
    ImageFile.LOAD_TRUNCATED_IMAGES = truncated

    html = render_to_string("inspections/report_pdf.html", {"report": report, "c": report.content})
    return bytes(HTML(string=html).write_pdf())


def pdf_name(report: DailyReport) -> str:
    return f"日报-{report.site.name}-{report.date.isoformat()}.pdf"


def pdf_attachment(report: DailyReport) -> Attachment:
    """The report's PDF kept as its attachment: rendered and stored the first time, then reused."""
    owner_type = ContentType.objects.get_for_model(DailyReport)
    stored = (
        Attachment.objects.filter(owner_type=owner_type, owner_id=report.pk, kind=AttachmentKind.PDF)
        .order_by("pk")
        .first()
    )
    if stored is not None:
        return stored
    return store_upload(None, report, ContentFile(render_pdf(report), name=pdf_name(report)))


def pdf_bytes(report: DailyReport) -> bytes:
    """The report's PDF as downloaded from its page and the API: the same stored file the
    subscribers were sent."""
    with pdf_attachment(report).file.open("rb") as stream:
        return bytes(stream.read())
