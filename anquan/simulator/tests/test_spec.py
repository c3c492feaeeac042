"""The simulator's plain strings stay in step with the plant model's choices."""

from __future__ import annotations

import pytest

from anquan.plant.choices import EquipmentStatus, EquipmentType, LinkKind, MeasurementKind
from anquan.simulator import spec as s


def test_equipment_types_kinds_links_and_statuses_match_the_plant_model() -> None:
    assert set(s.EQUIPMENT_TYPES) == set(EquipmentType.values)
    assert set(s.KINDS) == set(MeasurementKind.values)
    assert {s.MATERIAL, s.UTILITY, s.ENERGY, s.SIGNAL} == set(LinkKind.values)
    assert {s.IN_SERVICE, s.STANDBY, s.MAINTENANCE, s.OUT_OF_SERVICE} == set(EquipmentStatus.values)


def test_a_spec_refuses_what_would_make_no_sense() -> None:
    pump = s.Equipment("P-1", s.PUMP)
    tag = s.Tag("PI-1", "P-1", s.PRESSURE, "MPa", 0.0, 2.5)
    with pytest.raises(ValueError, match="unique"):
        s.PlantSpec("x", (pump, pump), ())
    with pytest.raises(ValueError, match="unknown equipment"):
        s.PlantSpec("x", (pump,), (s.Tag("PI-2", "P-9", s.PRESSURE, "MPa", 0.0, 2.5),))
    with pytest.raises(ValueError, match="range_low"):
        s.PlantSpec("x", (pump,), (s.Tag("PI-3", "P-1", s.PRESSURE, "MPa", 2.0, 1.0),))
    with pytest.raises(ValueError, match="link"):
        s.PlantSpec("x", (pump,), (tag,), (s.Link("P-1", "T-9"),))


def test_limits_in_order_and_the_nearest_of_each_side() -> None:
    tag = s.Tag("LI-1", "T-1", s.LEVEL, "m", 0.0, 16.0, ll=1.9, l=2.2, h=13.4, hh=14.2)
    assert tag.limits() == {"ll": 1.9, "l": 2.2, "h": 13.4, "hh": 14.2}
    assert (tag.low, tag.high) == (2.2, 13.4)
    only_hh = s.Tag("LI-2", "T-1", s.LEVEL, "m", 0.0, 16.0, hh=14.2)
    assert (only_hh.low, only_hh.high) == (None, 14.2)
