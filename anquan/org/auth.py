"""API callers authenticate with a bearer token issued per user (the session is the other way in;
anquan/api/auth.py checks it with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from anquan.org.services import authenticate_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer aq_…``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user
