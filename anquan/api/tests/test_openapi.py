"""The OpenAPI document served by the app describes every operation, in Chinese, with a tag."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from anquan.api.tests.test_permission_matrix import registered_operations

CJK = re.compile(r"[\u4e00-\u9fff]")


def _paths(document: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), re.sub(r"^/api/v1", "", path))
        for path, item in document["paths"].items()
        for method in item
    }


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_document_loads_and_lists_every_operation(client: Client, language: str) -> None:
    r = client.get("/api/v1/openapi.json", headers={"Accept-Language": language})

    assert r.status_code == 200
    document = r.json()
    assert document["info"]["title"] == "Anquan API"
    assert _paths(document) == registered_operations()
    # the paths this task owns, spelled out so that a renamed route is noticed here too
    assert {
        ("POST", "/auth/token"),
        ("GET", "/auth/me"),
        ("GET", "/org/people"),
        ("POST", "/org/people"),
        ("PATCH", "/org/people/{user_id}"),
        ("GET", "/plant/equipment"),
        ("GET", "/plant/tags/{tag_id}"),
        ("GET", "/plant/sites/{site_id}/topology"),
    } <= _paths(document)


@pytest.mark.django_db
def test_every_operation_has_a_chinese_summary_a_tag_and_a_unique_id(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    problems = []
    ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not CJK.search(operation.get("summary") or ""):
                problems.append(
                    f"{method.upper()} {path}: summary {operation.get('summary')!r} is not Chinese"
                )
            if not operation.get("tags"):
                problems.append(f"{method.upper()} {path}: no tag")
            ids.append(operation["operationId"])

    assert not problems, "\n".join(problems)
    assert len(ids) == len(set(ids))


@pytest.mark.django_db
def test_list_operations_document_their_filters_and_pages(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()

    params = {p["name"] for p in document["paths"]["/api/v1/plant/equipment"]["get"]["parameters"]}

    assert params == {"site", "area", "unit", "type", "status", "q", "page", "page_size"}


@pytest.mark.django_db
def test_the_interactive_docs_are_served(client: Client) -> None:
    r = client.get("/api/v1/docs")

    assert r.status_code == 200
    html = r.content.decode()
    assert "/api/v1/openapi.json" in html
    assert "swagger-ui-bundle" in html and "cdn" not in html.lower()  # served locally (air-gapped plants)
