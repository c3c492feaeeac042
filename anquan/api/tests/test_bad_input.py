"""Bad input is a 4xx with field errors in the caller's language (Chinese unless the request asks for
English), never a 500, and a refused multi-record write leaves nothing behind."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from anquan.api.tests.conftest import as_user, state
from anquan.api.tests.test_permission_matrix import API, MATRIX, UNSAFE, Op
from anquan.conftest import World
from anquan.org.models import User
from anquan.platform import events

LANGUAGES = [
    ({"Accept-Language": "zh-hans"}, "zh-hans"),
    ({"Accept-Language": "en"}, "en"),
    ({"Cookie": "django_language=en"}, "en"),
]
IDS = ["zh", "en-header", "en-cookie"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def tr(message: str, language: str) -> str:
    """``message`` (a Chinese message id) as the catalogue renders it in ``language``."""
    with translation.override(language):
        return translation.gettext(message)


def _errors(r: Any, language: str = "zh-hans") -> dict[str, list[str]]:
    body = r.json()
    assert set(body) == {"detail", "errors"}, body
    texts = [body["detail"], *(m for messages in body["errors"].values() for m in messages)]
    assert all(body["errors"].values()), body
    # Chinese answers are Chinese; English ones carry no Chinese at all.
    assert all(bool(CJK.search(t)) == (language == "zh-hans") for t in texts), body
    return body["errors"]


@pytest.mark.parametrize(("headers", "language"), LANGUAGES, ids=IDS)
def test_malformed_json_is_400(api_world: World, headers: dict[str, str], language: str) -> None:
    r = as_user(api_world, "admin_a").post(
        f"{API}/plant/equipment", raw_body='{"code": "T-1",', headers=headers
    )

    assert r.status_code == 400
    assert _errors(r, language) == {"__all__": [tr("请求体不是有效的 JSON。", language)]}


@pytest.mark.parametrize(("headers", "language"), LANGUAGES, ids=IDS)
def test_wrong_types_unknown_choices_and_missing_fields_are_422_per_field(
    api_world: World, headers: dict[str, str], language: str
) -> None:
    client = as_user(api_world, "admin_a")
    before = state()
    r = client.post(
        f"{API}/plant/equipment",
        {"area_id": "东区", "code": "T-9", "type": "rocket", "map_x": "far", "install_date": "yesterday"},
        headers=headers,
    )

    assert r.status_code == 422
    errors = _errors(r, language)
    assert errors["area_id"] == [tr("请输入整数。", language)]
    assert errors["name"] == [tr("此字段为必填项。", language)]
    choices = tr("无效的选项，可选值：%(v)s", language) % {"v": "'storage_tank', 'pressure_vessel'"}
    assert errors["type"][0].startswith(choices)
    assert " or " not in errors["type"][0]
    assert errors["map_x"] == [tr("请输入数字。", language)]
    assert errors["install_date"] == [tr("请输入有效的日期（YYYY-MM-DD）。", language)]
    assert state() == before


def test_a_bad_filter_or_page_is_422(api_world: World) -> None:
    client = as_user(api_world, "worker_a1")

    bad_type = client.get(f"{API}/plant/equipment?type=rocket")
    bad_site = client.get(f"{API}/plant/tags?site=east")
    bad_page = client.get(f"{API}/plant/tags?page=0")

    assert (bad_type.status_code, list(_errors(bad_type))) == (422, ["type"])
    assert (bad_site.status_code, _errors(bad_site)) == (422, {"site": ["请输入整数。"]})
    assert (bad_page.status_code, _errors(bad_page)) == (422, {"page": ["必须大于或等于 1。"]})


@pytest.mark.parametrize(("headers", "language"), LANGUAGES, ids=IDS)
def test_limits_out_of_order_are_400_on_the_limit(
    api_world: World, headers: dict[str, str], language: str
) -> None:
    tag = api_world.tags["TI-101"]  # range -20..80, H 40, HH 50
    client = as_user(api_world, "admin_a")
    before = state()

    r = client.patch(f"{API}/plant/tags/{tag.pk}", {"h": "60"}, headers=headers)

    assert r.status_code == 400
    assert _errors(r, language) == {"hh": [tr("报警限须满足 低低 < 低 < 高 < 高高。", language)]}
    assert state() == before


def test_a_limit_outside_the_range_and_too_many_digits_are_400(api_world: World) -> None:
    client = as_user(api_world, "admin_a")
    payload = {
        "equipment_id": api_world.equipment["T-101"].pk,
        "tag": "LI-101",
        "name": "1号罐液位",
        "kind": "level",
        "unit": "m",
        "range_low": "0",
        "range_high": "25",
    }

    outside = client.post(f"{API}/plant/tags", {**payload, "hh": "26"})
    huge = client.post(f"{API}/plant/tags", {**payload, "range_high": "1e20"})
    not_finite = client.post(f"{API}/plant/tags", {**payload, "range_high": "NaN"})
    wrong_unit = client.post(f"{API}/plant/tags", {**payload, "unit": "°C"})

    assert (outside.status_code, _errors(outside)) == (400, {"hh": ["报警限必须在量程 0 ~ 25 之内。"]})
    assert (huge.status_code, list(_errors(huge))) == (400, ["range_high"])
    assert (not_finite.status_code, list(_errors(not_finite))) == (422, ["range_high"])
    assert (wrong_unit.status_code, _errors(wrong_unit)) == (400, {"unit": ["液位 的工程单位应为：m、mm、%"]})


def test_duplicate_codes_are_400(api_world: World) -> None:
    client = as_user(api_world, "admin_a")
    before = state()

    equipment = client.post(
        f"{API}/plant/equipment",
        {"area_id": api_world.area_a1.pk, "code": "T-101", "name": "重复", "type": "storage_tank"},
    )
    tag = client.post(
        f"{API}/plant/tags",
        {
            "equipment_id": api_world.equipment["P-201"].pk,
            "tag": "TI-101",
            "name": "重复",
            "kind": "temperature",
            "unit": "°C",
            "range_low": "0",
            "range_high": "100",
        },
    )
    area = client.post(
        f"{API}/org/areas", {"site_id": api_world.site_a.pk, "code": "tank-farm", "name": "重复"}
    )
    link = client.post(
        f"{API}/plant/links",
        {"source_id": api_world.equipment["T-101"].pk, "target_id": api_world.equipment["P-201"].pk},
    )

    assert (equipment.status_code, _errors(equipment)) == (400, {"code": ["该区域已有位号为 T-101 的设备。"]})
    assert (tag.status_code, _errors(tag)) == (400, {"tag": ["本场所已有位号为 TI-101 的测点。"]})
    assert area.status_code == 400 and list(_errors(area)) == ["__all__"]
    assert (link.status_code, _errors(link)) == (400, {"target_id": ["这两台设备之间已有同类型的连接。"]})
    assert state() == before


def test_a_person_with_one_bad_role_is_not_created_at_all(
    api_world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = as_user(api_world, "admin_a")
    before = state()
    team = api_world.team_a1
    role = {"role": "worker", "scope": {"level": "team", "id": team.pk}}

    with events.captured() as published, django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = client.post(
            f"{API}/org/people",
            {
                "username": "newbie",
                "password": "Xin-yuan-gong-2026",
                "team_id": team.pk,
                "roles": [role, role],
            },
        )

    assert r.status_code == 400
    assert _errors(r) == {"roles": ["该用户在此范围内已有这个角色。"]}
    assert not User.objects.filter(username="newbie").exists()
    assert state() == before
    assert callbacks == []  # nothing runs after a rolled-back write...
    assert [type(e).__name__ for e in published] == [
        "UserCreated",
        "RoleAssigned",
    ]  # ...though it was published


def test_a_person_named_with_a_role_out_of_scope_or_a_weak_password_is_refused(api_world: World) -> None:
    client = as_user(api_world, "admin_a")
    before = state()

    out_of_scope = client.post(
        f"{API}/org/people",
        {
            "username": "newbie",
            "roles": [{"role": "worker", "scope": {"level": "team", "id": api_world.team_b1.pk}}],
        },
    )
    weak = client.post(
        f"{API}/org/people", {"username": "newbie", "password": "12345678", "team_id": api_world.team_a1.pk}
    )
    unknown_role = client.post(
        f"{API}/org/people",
        {"username": "newbie", "roles": [{"role": "king", "scope": {"level": "site", "id": 1}}]},
    )
    nowhere = client.post(f"{API}/org/people", {"username": "newbie"})
    taken = client.post(f"{API}/org/people", {"username": "worker_a2", "team_id": api_world.team_a1.pk})

    assert (out_of_scope.status_code, _errors(out_of_scope)) == (
        400,
        {"roles.0.scope": ["未找到该记录，或您无权访问。"]},
    )
    assert (
        weak.status_code == 400
        and list(_errors(weak)) == ["password"]
        and len(_errors(weak)["password"]) == 2
    )
    assert unknown_role.status_code == 422 and list(_errors(unknown_role)) == ["roles.0.role"]
    assert (nowhere.status_code, list(_errors(nowhere))) == (400, ["roles"])
    assert (taken.status_code, list(_errors(taken))) == (400, ["username"])
    assert state() == before


def test_a_partial_update_may_not_null_a_required_field(api_world: World) -> None:
    client = as_user(api_world, "admin_a")
    before = state()
    r = client.patch(
        f"{API}/plant/equipment/{api_world.equipment['T-101'].pk}", {"code": None, "unit_id": None}
    )

    assert (r.status_code, _errors(r)) == (400, {"code": ["此字段不能为空值。"]})
    assert state() == before


def test_equipment_with_tags_cannot_be_deleted(api_world: World) -> None:
    client = as_user(api_world, "admin_a")
    before = state()
    r = client.delete(f"{API}/plant/equipment/{api_world.equipment['T-101'].pk}")

    assert (r.status_code, _errors(r)) == (400, {"equipment": ["该设备仍有测点，请先删除或迁移测点。"]})
    assert state() == before


GARBAGE: list[tuple[str, str]] = [
    ("array", "[1, 2]"),
    ("string", '"text"'),
    ("number", "42"),
    ("null", "null"),
    ("empty object", "{}"),
    ("nested nonsense", '{"name": {"a": [1]}, "code": [], "area_id": 1.5, "roles": "all"}'),
    ("lone surrogate", '{"name": "\\ud800", "code": "\\udfff"}'),
    ("not a number", '{"range_low": NaN, "h": Infinity}'),
]


def _unsafe_ops() -> list[tuple[str, str]]:
    return sorted(k for k in MATRIX if k[0] in UNSAFE and k[0] != "DELETE")


@pytest.mark.parametrize("key", _unsafe_ops(), ids=lambda k: f"{k[0]} {k[1]}")
def test_no_garbage_body_makes_a_write_fail_with_a_500(api_world: World, key: tuple[str, str]) -> None:
    method, path = key
    op: Op = MATRIX[key]
    target = op.target(api_world) if op.target else None
    url = API + (re.sub(r"\{\w+\}", str(target.pk), path) if target is not None else path)
    client = as_user(api_world, None if op.public else op.right)

    for label, body in GARBAGE:
        r = client.call(method, url, raw_body=body)
        assert r.status_code < 500, (label, r.status_code, r.content)
        if r.status_code >= 400:
            assert r.json()["detail"], (label, r.content)


def test_numbers_beyond_any_database_column_are_422_not_500(api_world: World) -> None:
    client = as_user(api_world, "admin_a")
    huge = 10**20
    before = state()

    page = client.get(f"{API}/plant/equipment?page={huge}")
    site = client.get(f"{API}/plant/equipment?site={huge}")
    zero = client.get(f"{API}/org/people?team=0")
    body = client.post(
        f"{API}/plant/equipment", {"area_id": huge, "code": "X-1", "name": "x", "type": "pump"}
    )
    path = client.get(f"{API}/plant/equipment/{huge}")

    assert (page.status_code, _errors(page)) == (422, {"page": ["必须小于或等于 1000000。"]})
    assert (site.status_code, list(_errors(site))) == (422, ["site"])
    assert (zero.status_code, _errors(zero)) == (422, {"team": ["必须大于或等于 1。"]})
    assert (body.status_code, _errors(body)) == (422, {"area_id": ["数值超出范围。"]})
    assert path.status_code == 404
    assert state() == before
