"""Fixtures of the site-shell tests: plain static files (no collectstatic manifest) and a quick hasher."""

from __future__ import annotations

from django.test import Client

from anquan.org.models import User


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
