"""Token login for the API, the caller's own identity, and how a browser session authenticates.

``POST /auth/token`` checks the password with ``django.contrib.auth.authenticate``, so django-axes
counts failures and locks a username out of an address after too many (429 with a clear message).
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.security import SessionAuth
from ninja.utils import check_csrf

from anquan.org import selectors, services
from anquan.org.access import Access
from anquan.org.api import AssignmentOut, doc, ordered
from anquan.org.models import ApiToken, User
from anquan.org.roles import CAPABILITIES
from anquan.platform.api import Page

router = Router(tags=["auth"])


class SessionCsrfAuth(SessionAuth):
    """The browser's session, with Django's CSRF check on unsafe methods.

    The check runs only once the session really names a user: an anonymous call is a 401 (not a
    CSRF 403), and a session write without the CSRF token is a 403 with a localised message.
    (``csrf`` stays True so the interactive docs send the token.)
    """

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, _("CSRF 校验失败：请刷新页面后重试。"))
        return request.user


# --- Schemas ---------------------------------------------------------------------------------
class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=4096, json_schema_extra={"format": "password"})
    name: str = Field(min_length=1, max_length=80)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None


class IssuedTokenOut(TokenOut):
    token: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    team_id: int | None
    preferred_language: str
    is_superuser: bool
    roles: list[AssignmentOut]
    capabilities: list[str]


# --- Routes ----------------------------------------------------------------------------------
@router.post(
    "/token",
    auth=None,
    response={201: IssuedTokenOut},
    summary=doc(gettext_lazy("用户名和密码换取 API 令牌")),
    description=doc(
        gettext_lazy(
            "令牌只在此返回一次，之后以 `Authorization: Bearer <令牌>` 调用接口。"
            "连续多次密码错误后，该用户名在此地址被暂时锁定（429）。"
        )
    ),
    operation_id="auth_token_issue",
)
def issue_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        # Answer here, in the API's shape, instead of letting the middleware render a page.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        minutes = round(settings.AXES_COOLOFF_TIME * 60)
        raise HttpError(429, _("登录失败次数过多，已暂时锁定，请 %(m)d 分钟后再试。") % {"m": minutes})
    if user is None:
        raise HttpError(401, _("用户名或密码错误，或账号已停用。"))
    expires_at = None
    if payload.expires_in_days is not None:
        expires_at = timezone.now() + dt.timedelta(days=payload.expires_in_days)
    token, raw = services.issue_api_token(user, user=user, name=payload.name, expires_at=expires_at)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.get("/me", response=MeOut, summary=doc(gettext_lazy("当前用户、角色与权限")), operation_id="auth_me")
def me(request: HttpRequest) -> dict[str, Any]:
    user: User = request.auth  # type: ignore[attr-defined]
    access = Access.of(user)
    if access.is_superuser:
        caps = set().union(*CAPABILITIES.values())
    else:
        caps = {c for role in access.roles for c in CAPABILITIES.get(role, frozenset())}
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "team_id": user.team_id,
        "preferred_language": user.preferred_language,
        "is_superuser": access.is_superuser,
        "roles": list(user.assignments.select_related("user", "enterprise", "site", "area", "team")),
        "capabilities": sorted(caps),
    }


@router.get(
    "/tokens",
    response=list[TokenOut],
    summary=doc(gettext_lazy("我的有效 API 令牌")),
    operation_id="auth_tokens",
)
@paginate(Page)
def my_tokens(request: HttpRequest) -> Any:
    return ordered(selectors.api_tokens(request.auth))  # type: ignore[attr-defined]


@router.delete(
    "/token/{token_id}",
    response={204: None},
    summary=doc(gettext_lazy("吊销我的 API 令牌")),
    operation_id="auth_token_revoke",
)
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    actor = request.auth  # type: ignore[attr-defined]
    token: ApiToken = get_object_or_404(selectors.api_tokens(actor), pk=token_id)
    services.revoke_api_token(actor, token)
    return Status(204, None)
