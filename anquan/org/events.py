from dataclasses import dataclass

from anquan.platform.events import Event


@dataclass(frozen=True)
class UserCreated(Event):
    user_id: int
    actor_id: int | None


@dataclass(frozen=True)
class UserDeactivated(Event):
    user_id: int
    actor_id: int | None


@dataclass(frozen=True)
class RoleAssigned(Event):
    assignment_id: int
    user_id: int
    role: str
    actor_id: int | None


@dataclass(frozen=True)
class RoleRevoked(Event):
    user_id: int
    role: str
    actor_id: int | None
