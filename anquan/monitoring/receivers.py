"""Reactions of the alarm system to the plant's events (run after their transaction commits)."""

from __future__ import annotations

from anquan.monitoring import services
from anquan.plant.events import EquipmentChanged, SensorTagChanged
from anquan.platform.events import subscribe


@subscribe(SensorTagChanged)
def tag_changed(event: SensorTagChanged) -> None:
    """A tag's HH/H/L/LL limits are its limit rules (a deleted tag's rules went with it)."""
    if event.change != "deleted":
        services.sync_limit_rules(event.tag_id)


@subscribe(EquipmentChanged)
def equipment_changed(event: EquipmentChanged) -> None:
    """Equipment out of service, in maintenance or on standby: its rules are suppressed by design."""
    if "status" in event.fields:
        services.apply_designed_suppression(event.equipment_id)
