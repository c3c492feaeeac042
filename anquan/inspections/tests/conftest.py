"""Fixtures of the inspections tests: a route of two checkpoints with their checklist and a daily
plan for team_a1, all built through the services as a planner would."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from anquan.conftest import World
from anquan.inspections import services
from anquan.inspections.choices import Cycle, ItemKind, OnFail
from anquan.inspections.models import CheckItem, Checkpoint, Plan, Route

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday morning (local time).
WEDNESDAY_9 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)


@dataclass
class Setup:
    route: Route
    tank: Checkpoint
    dike: Checkpoint
    temperature: CheckItem  # reading 0–40 °C, opens a work order when failed
    leak: CheckItem  # pass/fail, photo required, registers a hazard when failed
    plan: Plan


def build(w: World) -> Setup:
    officer = w.user("officer_a")
    route = services.create_route(officer, area=w.area_a1, name="罐区日常巡检")
    tank = services.add_checkpoint(officer, route, name="1号罐罐顶", equipment=w.equipment["T-101"])
    dike = services.add_checkpoint(officer, route, name="防火堤", area=w.area_a1)
    temperature = services.add_item(
        officer,
        tank,
        name="罐壁温度",
        kind=ItemKind.READING,
        low=0,
        high=40,
        unit="°C",
        on_fail=OnFail.WORK_ORDER,
    )
    leak = services.add_item(
        officer,
        dike,
        name="防火堤无渗漏",
        kind=ItemKind.PASS_FAIL,
        photo_required=True,
        on_fail=OnFail.HAZARD,
    )
    plan = services.create_plan(
        officer, route=route, team=w.team_a1, name="罐区白班巡检", cycle=Cycle.DAY,
        start_time=dt.time(8, 0), window_minutes=120,
    )  # fmt: skip
    return Setup(route, tank, dike, temperature, leak, plan)


@pytest.fixture
def setup(world: World) -> Setup:
    return build(world)


def photo(name: str = "leak.jpg") -> Any:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (30, 200, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()
