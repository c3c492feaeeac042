"""The simulator's tests run on the demo plant (``anquan.demo.site``), without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from anquan.simulator.spec import PlantSpec

CST = dt.timezone(dt.timedelta(hours=8))


def ms(*args: int) -> int:
    """Epoch ms of a local (UTC+8) date and time."""
    return int(dt.datetime(*args, tzinfo=CST).timestamp() * 1000)


SUMMER = ms(2026, 7, 15)
WINTER = ms(2026, 1, 20)
DAY_MS = 86_400_000


@pytest.fixture(scope="session")
def spec() -> PlantSpec:
    from anquan.demo.simulate import DEMO_NORMAL_WINDOWS, demo_spec

    built = demo_spec()
    assert built.utc_offset_h == 8.0  # settings.TIME_ZONE is Asia/Shanghai
    assert DEMO_NORMAL_WINDOWS
    return built
