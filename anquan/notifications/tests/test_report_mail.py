"""The daily health report reaches its subscribers: by e-mail with the PDF attached (rendered once,
read from the attachment storage when the mail goes out, left out above the size limit), and with
its link where there is no e-mail (inbox, group robots)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from pypdf import PdfReader

from anquan.conftest import World
from anquan.inspections import reports
from anquan.inspections.models import DailyReport
from anquan.inspections.tests.conftest import build
from anquan.inspections.tests.test_reports import a_day_at_the_tank_farm, at
from anquan.notifications import services
from anquan.notifications.choices import Category, ChannelKind, DeliveryStatus, Medium
from anquan.notifications.models import Delivery, Notification
from anquan.notifications.tests.conftest import Robots, SmtpServer, run_worker
from anquan.platform.attachments.models import Attachment

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = "https://anquan.example.cn"
PDF_NAME = "日报-东区储运园区-2026-11-24.pdf"


def _built(world: World) -> DailyReport:
    """Tuesday's figures at the tank farm; the report built at 07:30 on Wednesday for two subscribers."""
    a_day_at_the_tank_farm(world, build(world))
    reports.configure(
        world.user("officer_a"),
        world.site_a,
        send_at=dt.time(7, 30),
        subscribers=[world.user("ehs"), world.user("officer_a")],
    )
    (report,) = [r for r in reports.build_due(at(25, 7, 30)) if r.site == world.site_a]
    return report


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _report_mails(server: SmtpServer) -> list[Any]:
    return [m for m in server.received if "设备健康日报" in m.subject]


def _attachments_of(report: DailyReport) -> list[Attachment]:
    owner_type = ContentType.objects.get_for_model(DailyReport)
    return list(Attachment.objects.filter(owner_type=owner_type, owner_id=report.pk))


def test_subscribers_receive_the_pdf_by_email(world: World, default_smtp: SmtpServer, settings: Any) -> None:
    settings.ANQUAN_PUBLIC_URL = PUBLIC

    report = _built(world)
    run_worker()

    (stored,) = _attachments_of(report)  # rendered once for both subscribers
    assert (stored.original_name, stored.content_type, stored.kind) == (PDF_NAME, "application/pdf", "pdf")
    mails = Delivery.objects.filter(
        kind=ChannelKind.EMAIL, category=Category.INSPECTION, title__startswith="设备健康日报"
    ).order_by("to_address")
    assert [(d.to_address, d.status, [a.pk for a in d.attachments.all()]) for d in mails] == [
        ("ehs@example.com", DeliveryStatus.SENT, [stored.pk]),
        ("officer_a@example.com", DeliveryStatus.SENT, [stored.pk]),
    ]
    received = sorted(_report_mails(default_smtp), key=lambda m: m.rcpt_tos[0])
    assert [m.rcpt_tos for m in received] == [["ehs@example.com"], ["officer_a@example.com"]]
    for mail in received:
        assert mail.subject.strip() == "[提示] 设备健康日报：东区储运园区 2026-11-24"
        assert f"{PUBLIC}/inspections/reports/{report.pk}/" in mail.part("text/plain")
        (attached,) = list(mail.message.iter_attachments())
        assert (attached.get_content_type(), attached.get_filename()) == ("application/pdf", PDF_NAME)
        text = _pdf_text(attached.get_content())
        for expected in (
            "东区储运园区",
            "设备健康日报",
            "2026-11-24",
            "T-101",
            "1号汽油储罐",
            "关注：加密巡检，跟踪趋势",
        ):
            assert expected in text, expected


def test_a_pdf_over_the_size_limit_is_left_out_and_the_mail_says_so(
    world: World, default_smtp: SmtpServer, settings: Any
) -> None:
    settings.ANQUAN_PUBLIC_URL = PUBLIC
    settings.ANQUAN_NOTIFY_MAX_ATTACHMENT_MB = 0.01  # 10 KB: less than any report with its fonts

    report = _built(world)
    run_worker()

    (stored,) = _attachments_of(report)
    assert stored.size > 10 * 1024
    report_deliveries = Delivery.objects.filter(
        category=Category.INSPECTION, title__startswith="设备健康日报"
    )
    assert sorted(d.status for d in report_deliveries) == [DeliveryStatus.SENT, DeliveryStatus.SENT]
    assert len(_report_mails(default_smtp)) == 2
    for mail in _report_mails(default_smtp):
        assert list(mail.message.iter_attachments()) == []
        text = mail.part("text/plain")
        assert f"附件 {PDF_NAME}（" in text
        assert "超过邮件大小上限 10.2\xa0KB，未随邮件发送，请通过链接查看或下载。" in text
        assert f"{PUBLIC}/inspections/reports/{report.pk}/" in text


def test_without_email_the_report_still_goes_with_its_link(
    world: World, default_smtp: SmtpServer, robots: Robots, settings: Any
) -> None:
    settings.ANQUAN_PUBLIC_URL = PUBLIC
    admin = world.user("admin_a")
    # The site's only e-mail channel is switched off; its WeCom group robot is on, and the officer
    # wants inspection news there.
    services.create_channel(admin, site=world.site_a, kind="email", name="园区邮箱", enabled=False)
    services.create_channel(
        admin, site=world.site_a, kind="wecom", name="罐区群", webhook_url=robots.wecom_url
    )
    services.set_preference(
        world.user("officer_a"), category=Category.INSPECTION, medium=Medium.IM, enabled=True,
        user=world.user("officer_a"),
    )  # fmt: skip

    report = _built(world)
    run_worker()

    link = f"/inspections/reports/{report.pk}/"
    notes = Notification.objects.filter(
        category=Category.INSPECTION, title__startswith="设备健康日报"
    ).order_by("recipient__username")
    assert [(n.recipient.username, n.link) for n in notes] == [("ehs", link), ("officer_a", link)]
    assert _report_mails(default_smtp) == []
    (post,) = Delivery.objects.filter(category=Category.INSPECTION, title__startswith="设备健康日报")
    assert (post.kind, post.status, post.attachments.count()) == (ChannelKind.WECOM, DeliveryStatus.SENT, 0)
    (request,) = robots.of("wecom")
    content = request.body["markdown"]["content"]
    assert "设备健康日报：东区储运园区 2026-11-24" in content
    assert f"[查看详情]({PUBLIC}{link})" in content
