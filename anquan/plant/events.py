from dataclasses import dataclass

from anquan.platform.events import Event


@dataclass(frozen=True)
class EquipmentCreated(Event):
    equipment_id: int
    actor_id: int | None


@dataclass(frozen=True)
class EquipmentChanged(Event):
    equipment_id: int
    fields: tuple[str, ...]
    actor_id: int | None


@dataclass(frozen=True)
class EquipmentDeleted(Event):
    equipment_id: int
    site_id: int
    actor_id: int | None


@dataclass(frozen=True)
class ResponsiblePersonAssigned(Event):
    equipment_id: int
    user_id: int
    actor_id: int | None


@dataclass(frozen=True)
class SensorTagChanged(Event):
    """A tag was created, changed or removed: the stream reloads its configuration on this."""

    tag_id: int
    site_id: int
    change: str  # "created" | "updated" | "deleted"


@dataclass(frozen=True)
class TopologyChanged(Event):
    site_id: int
    link_id: int
    change: str  # "linked" | "unlinked"
