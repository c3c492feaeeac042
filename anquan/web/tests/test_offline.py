"""The service worker and the outbox script the phone pages use offline."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from anquan.web.views import offline_pages


@pytest.mark.django_db
def test_the_service_worker_is_served_from_the_root_for_anyone() -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    pages = json.loads(re.search(r"const OFFLINE_PAGES = (\[.*?\]);", body).group(1))  # type: ignore[union-attr]
    assert pages == offline_pages()
    assert re.search(r'const CACHE = "anquan-[0-9a-f]{12}";', body)
    assert 'const STATIC = "/static/";' in body
