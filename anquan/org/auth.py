"""How API callers authenticate: a bearer token issued per user, or the browser's session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from anquan.org.services import authenticate_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer aq_…``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


API_AUTH = [TokenAuth(), SessionAuth(csrf=True)]
