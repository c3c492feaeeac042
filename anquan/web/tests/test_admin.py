"""The back office: every registered model's pages open for a superuser, and edits are audited."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from anquan.conftest import World
from anquan.plant.models import Equipment, SensorTag
from anquan.platform.models import AuditEntry


@pytest.fixture
def root(world: World) -> Client:
    client = Client()
    client.force_login(world.user("root"))
    return client


def test_every_admin_list_and_add_page_opens(world: World, root: Client) -> None:
    request = RequestFactory().get("/admin/")
    request.user = world.user("root")
    failures = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        pages = [reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")]
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        failures += [(url, r.status_code) for url in pages if (r := root.get(url)).status_code != 200]
    assert failures == []


def test_an_admin_edit_is_audited(world: World, root: Client) -> None:
    pump = world.equipment["P-201"]
    url = reverse("admin:plant_equipment_change", args=[pump.pk])
    form = root.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"area": pump.area_id, "manufacturer": "沈阳水泵厂", "responsible": ""})

    r = root.post(url, data)

    assert r.status_code == 302
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.model, entry.actor_name) == ("update", "plant.equipment", "root")
    assert entry.changes == {"manufacturer": ["", "沈阳水泵厂"]}
    assert Equipment.objects.get(pk=pump.pk).manufacturer == "沈阳水泵厂"


def test_a_duplicate_tag_in_the_admin_is_a_form_error_not_a_crash(world: World, root: Client) -> None:
    before = SensorTag.objects.count()
    r = root.post(
        reverse("admin:plant_sensortag_add"),
        {
            "equipment": world.equipment["P-201"].pk,
            "tag": "TI-101",  # already on T-101 in the same site
            "name": "重复",
            "kind": "temperature",
            "unit": "°C",
            "range_low": "0",
            "range_high": "100",
            "sample_interval_s": "10",
            "hh_priority": "high",
            "h_priority": "low",
            "l_priority": "low",
            "ll_priority": "high",
        },
    )

    assert r.status_code == 200
    assert r.context["adminform"].form.errors["tag"] == ["本场所已有位号为 TI-101 的测点。"]
    assert SensorTag.objects.count() == before
