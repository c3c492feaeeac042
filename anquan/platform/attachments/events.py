from dataclasses import dataclass

from anquan.platform.events import Event


@dataclass(frozen=True)
class AttachmentAdded(Event):
    attachment_id: int
    owner_type: str  # e.g. "plant.equipment"
    owner_id: int
    site_id: int | None
    kind: str
    actor_id: int | None


@dataclass(frozen=True)
class AttachmentDeleted(Event):
    attachment_id: int
    owner_type: str
    owner_id: int
    site_id: int | None
    actor_id: int | None
