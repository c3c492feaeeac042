"""Fixtures for the API tests: the shared world plus the callers the permission matrix needs,
and clients that authenticate the two ways the API accepts (bearer token, session + CSRF)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from anquan.conftest import PASSWORD, World
from anquan.org import services as org
from anquan.org.choices import Role
from anquan.org.models import User
from anquan.platform import audit

CSRF_TOKEN = "0123456789abcdefghijklmnopqrstuv"  # 32 characters: Django accepts an unmasked secret


@pytest.fixture
def api_world(world: World) -> World:
    """The shared world, plus: a signed-in user holding no role, an enterprise-wide administrator,
    and a second enterprise (one site) with its own administrator."""

    def person(key: str, role: str | None = None, scope: Any = None) -> None:
        roles = [(role, scope)] if role else []
        world.users[key] = org.create_user(None, username=key, password=PASSWORD, name=key, roles=roles)

    person("nobody")
    person("admin_ent", Role.ADMINISTRATOR, world.enterprise)
    beta = org.create_enterprise(None, code="beta", name="贝塔化工")
    org.create_site(None, enterprise=beta, code="north", name="北区")
    person("admin_x", Role.ADMINISTRATOR, beta)
    return world


class ApiClient:
    """A test client speaking JSON to the API as one caller."""

    def __init__(self, user: User | None, transport: str = "bearer"):
        self.user = user
        self.transport = transport
        self.client = Client(enforce_csrf_checks=True)
        self.headers: dict[str, str] = {}
        if user is None:
            return
        if transport == "bearer":
            _, raw = org.issue_api_token(user, user=user, name="pytest")
            self.headers["Authorization"] = f"Bearer {raw}"
        else:
            self.client.force_login(user)
            self.client.cookies["csrftoken"] = CSRF_TOKEN

    def call(
        self,
        method: str,
        url: str,
        payload: Any = None,
        *,
        csrf: bool = True,
        raw_body: str | None = None,
        headers: dict[str, str] | None = None,
        multipart: bool = False,
    ) -> Any:
        hdrs = {**self.headers, **(headers or {})}
        if self.transport == "session" and csrf and self.user is not None:
            hdrs["X-CSRFToken"] = CSRF_TOKEN
        if multipart:  # a form with files (uploads)
            assert method == "POST"
            return self.client.post(url, payload, headers=hdrs)
        body = raw_body if raw_body is not None else ("" if payload is None else json.dumps(payload))
        return self.client.generic(method, url, body, content_type="application/json", headers=hdrs)

    def get(self, url: str, **kw: Any) -> Any:
        return self.call("GET", url, **kw)

    def post(self, url: str, payload: Any = None, **kw: Any) -> Any:
        return self.call("POST", url, payload, **kw)

    def patch(self, url: str, payload: Any = None, **kw: Any) -> Any:
        return self.call("PATCH", url, payload, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.call("DELETE", url, **kw)


def as_user(world: World, key: str | None, transport: str = "bearer") -> ApiClient:
    return ApiClient(world.users[key] if key else None, transport)


def state() -> dict[str, list[tuple[Any, dict[str, Any]]]]:
    """Every row of every Anquan model (audit trail included), as comparable snapshots.

    The one field a read legitimately writes, a token's ``last_used_at``, is left out.
    """
    out: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
    for model in apps.get_models():
        if not model.__module__.startswith("anquan."):
            continue
        rows = []
        for obj in model._default_manager.order_by("pk"):
            snap = audit.snapshot(obj)
            snap.pop("last_used_at", None)
            rows.append((obj.pk, snap))
        out[model._meta.label_lower] = rows
    return out
