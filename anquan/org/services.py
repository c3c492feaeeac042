"""Writes to the organisation. Each use case owns its transaction, checks the rules, audits
and publishes its event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.org import events
from anquan.org.access import Access, Place, place_of_area, place_of_site, place_of_team
from anquan.org.choices import Role, ScopeLevel
from anquan.org.models import ApiToken, Area, Enterprise, RoleAssignment, Site, Team, User
from anquan.org.roles import PEOPLE_MANAGE
from anquan.platform import audit
from anquan.platform.events import publish

USER_FIELDS = ("name", "email", "phone", "employee_no", "company", "preferred_language", "team")


def _require(actor: Any, capability: str, place: Place | None) -> None:
    if actor is None:  # the system itself (CLI, demo loader)
        return
    Access.of(actor).require(capability, place)


def _user_place(user: User) -> Place | None:
    return place_of_team(user.team) if user.team_id else None


# --- Organisation structure ------------------------------------------------------------------
def create_enterprise(actor: Any, *, code: str, name: str, **extra: Any) -> Enterprise:
    if actor is not None and not Access.of(actor).is_superuser:
        raise_denied()
    with transaction.atomic():
        ent = Enterprise(code=code, name=name, **extra)
        ent.full_clean()
        ent.save()
        audit.record_create(actor, ent)
    return ent


def create_site(actor: Any, *, enterprise: Enterprise, code: str, name: str, **extra: Any) -> Site:
    _require(actor, PEOPLE_MANAGE, Place(enterprise_id=enterprise.pk))
    with transaction.atomic():
        site = Site(enterprise=enterprise, code=code, name=name, **extra)
        site.full_clean()
        site.save()
        audit.record_create(actor, site)
    return site


def create_area(actor: Any, *, site: Site, code: str, name: str, **extra: Any) -> Area:
    _require(actor, PEOPLE_MANAGE, place_of_site(site))
    with transaction.atomic():
        area = Area(site=site, code=code, name=name, **extra)
        area.full_clean()
        area.save()
        audit.record_create(actor, area)
    return area


def create_team(actor: Any, *, area: Area, code: str, name: str, **extra: Any) -> Team:
    _require(actor, PEOPLE_MANAGE, place_of_area(area))
    with transaction.atomic():
        team = Team(area=area, code=code, name=name, **extra)
        team.full_clean()
        team.save()
        audit.record_create(actor, team)
    return team


# --- People ----------------------------------------------------------------------------------
def create_user(
    actor: Any,
    *,
    username: str,
    password: str | None,
    roles: Sequence[tuple[str, Enterprise | Site | Area | Team]] = (),
    is_superuser: bool = False,
    **fields: Any,
) -> User:
    """Create a user with their roles in one transaction.

    ``password=None`` creates a user who cannot log in with a password (e.g. a robot account)."""
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"unknown user fields: {sorted(unknown)}")
    team = fields.get("team")
    _require(actor, PEOPLE_MANAGE, place_of_team(team) if team else None)
    if is_superuser and actor is not None and not Access.of(actor).is_superuser:
        raise_denied()
    with transaction.atomic():
        user = User(username=username, is_superuser=is_superuser, is_staff=is_superuser, **fields)
        if password is None:
            user.set_unusable_password()
        else:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ValidationError({"password": exc.messages}) from exc
            user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        audit.record_create(actor, user)
        publish(events.UserCreated(user_id=user.pk, actor_id=getattr(actor, "pk", None)))
        for role, scope in roles:
            assign_role(actor, user=user, role=role, scope=scope)
    return user


def update_user(actor: Any, user: User, **changes: Any) -> User:
    unknown = set(changes) - set(USER_FIELDS) - {"is_active"}
    if unknown:
        raise TypeError(f"unknown user fields: {sorted(unknown)}")
    _require(actor, PEOPLE_MANAGE, _user_place(user) or _any_assignment_place(user))
    if "team" in changes and changes["team"] is not None:
        _require(actor, PEOPLE_MANAGE, place_of_team(changes["team"]))
    with transaction.atomic():
        before = audit.snapshot(user)
        for field, value in changes.items():
            setattr(user, field, value)
        user.full_clean(exclude=["password"])
        user.save()
        audit.record_update(actor, user, before)
        if changes.get("is_active") is False and before["is_active"]:
            publish(events.UserDeactivated(user_id=user.pk, actor_id=getattr(actor, "pk", None)))
    return user


def set_password(actor: Any, user: User, password: str) -> None:
    if actor is None or actor.pk != user.pk:
        _require(actor, PEOPLE_MANAGE, _user_place(user) or _any_assignment_place(user))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(actor, audit.AuditAction.UPDATE, user, {"password": ["***", "***"]})


def set_preferred_language(actor: Any, user: User, language: str) -> User:
    """A person's UI language: their own choice, or set for them by a PEOPLE_MANAGE holder."""
    if actor is None or actor.pk != user.pk:
        _require(actor, PEOPLE_MANAGE, _user_place(user) or _any_assignment_place(user))
    if language not in dict(User._meta.get_field("preferred_language").choices or []):
        raise ValidationError({"preferred_language": _("不支持的界面语言：%(v)s") % {"v": language}})
    with transaction.atomic():
        before = audit.snapshot(user)
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
        audit.record_update(actor, user, before)
    return user


def _any_assignment_place(user: User) -> Place | None:
    a = user.assignments.first()
    return _assignment_place(a) if a else None


def _assignment_place(a: RoleAssignment) -> Place:
    return Place(enterprise_id=a.enterprise_id, site_id=a.site_id, area_id=a.area_id, team_id=a.team_id)


def _scope_fields(scope: Enterprise | Site | Area | Team) -> dict[str, Any]:
    if isinstance(scope, Team):
        return {
            "level": ScopeLevel.TEAM,
            "team": scope,
            "area": scope.area,
            "site": scope.area.site,
            "enterprise": scope.area.site.enterprise,
        }
    if isinstance(scope, Area):
        return {
            "level": ScopeLevel.AREA,
            "area": scope,
            "site": scope.site,
            "enterprise": scope.site.enterprise,
        }
    if isinstance(scope, Site):
        return {"level": ScopeLevel.SITE, "site": scope, "enterprise": scope.enterprise}
    return {"level": ScopeLevel.ENTERPRISE, "enterprise": scope}


def assign_role(
    actor: Any, *, user: User, role: str, scope: Enterprise | Site | Area | Team
) -> RoleAssignment:
    if role not in Role.values:
        raise ValidationError({"role": _("未知的角色：%(role)s") % {"role": role}})
    fields = _scope_fields(scope)
    assignment = RoleAssignment(user=user, role=role, **fields)
    _require(actor, PEOPLE_MANAGE, _assignment_place(assignment))
    with transaction.atomic():
        exists = RoleAssignment.objects.filter(
            user=user,
            role=role,
            level=fields["level"],
            enterprise=fields["enterprise"],
            site=fields.get("site"),
            area=fields.get("area"),
            team=fields.get("team"),
        ).exists()
        if exists:
            raise ValidationError({"role": _("该用户在此范围内已有这个角色。")})
        assignment.save()
        audit.record_create(actor, assignment)
        publish(
            events.RoleAssigned(
                assignment_id=assignment.pk, user_id=user.pk, role=role, actor_id=getattr(actor, "pk", None)
            )
        )
    user.__dict__.pop("_anquan_access", None)  # the user's cached access is stale now
    return assignment


def revoke_role(actor: Any, assignment: RoleAssignment) -> None:
    _require(actor, PEOPLE_MANAGE, _assignment_place(assignment))
    with transaction.atomic():
        audit.record_delete(actor, assignment)
        user_id, role = assignment.user_id, assignment.role
        assignment.delete()
        publish(events.RoleRevoked(user_id=user_id, role=role, actor_id=getattr(actor, "pk", None)))
    assignment.user.__dict__.pop("_anquan_access", None)


# --- API tokens ------------------------------------------------------------------------------
def issue_api_token(
    actor: Any, *, user: User, name: str, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``; the raw token is returned once and never stored."""
    if actor is not None and actor.pk != user.pk:
        _require(actor, PEOPLE_MANAGE, _user_place(user) or _any_assignment_place(user))
    if not name.strip():
        raise ValidationError({"name": _("请填写令牌名称。")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("过期时间必须晚于现在。")})
    raw = ApiToken.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip(),
            prefix=raw[3:11],
            token_hash=ApiToken.hash(raw),
            expires_at=expires_at,
        )
        audit.record_create(actor, token)
    return token, raw


def revoke_api_token(actor: Any, token: ApiToken) -> None:
    if actor is not None and actor.pk != token.user_id:
        _require(actor, PEOPLE_MANAGE, _user_place(token.user))
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record_transition(actor, token, "revoked_at", None, token.revoked_at)


def authenticate_token(raw: str) -> User | None:
    """The active user behind a bearer token, or None. Records the last use (at most once a minute)."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=ApiToken.hash(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or not token.user.is_active or (token.expires_at and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def raise_denied() -> None:
    raise PermissionDenied(_("您没有执行此操作的权限。"))
