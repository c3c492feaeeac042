"""Work orders for the tests, built through the services as people would build them."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from anquan.conftest import World
from anquan.workorders import services
from anquan.workorders.choices import OriginKind, Priority
from anquan.workorders.models import WorkOrder


def png(name: str = "现场.png", colour: tuple[int, int, int] = (30, 160, 60)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def tank_order(w: World, **overrides: Any) -> WorkOrder:
    """An order opened by the system from an alarm on T-101 (dispatched to its responsible person,
    leader_a1)."""
    fields: dict[str, Any] = {
        "site": w.site_a,
        "equipment": w.equipment["T-101"],
        "title": "1号罐呼吸阀检修",
        "description": "TI-101 高高报警，检查呼吸阀和阻火器。",
        "priority": Priority.HIGH,
        "origin_kind": OriginKind.ALARM,
        "origin_id": 41,
        "origin_label": "报警 TI-101 高高",
        "origin_url": "/monitoring/alarms/41/",
    }
    fields.update(overrides)
    return services.open_work_order(None, **fields)


def accepted(w: World) -> WorkOrder:
    return services.accept(w.user("leader_a1"), tank_order(w))


def in_progress(w: World) -> WorkOrder:
    return services.start(w.user("leader_a1"), accepted(w))


def done(w: World) -> WorkOrder:
    return services.complete(w.user("leader_a1"), in_progress(w), "已更换呼吸阀垫片", [png()])
