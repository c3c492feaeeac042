"""Writes to the plant model: equipment, sensor tags and the process topology."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from anquan.org.access import Access, place_of_area
from anquan.org.choices import ScopeLevel
from anquan.org.models import Area, User
from anquan.org.roles import PLANT_CHANGE
from anquan.plant import events
from anquan.plant.models import Equipment, ProcessLink, SensorTag, Unit
from anquan.platform import audit
from anquan.platform.attachments import services as attachments
from anquan.platform.events import publish

EQUIPMENT_FIELDS = (
    "unit", "code", "name", "type", "status", "model", "manufacturer", "install_date",
    "responsible", "medium", "map_x", "map_y", "description",
)  # fmt: skip
TAG_FIELDS = (
    "tag", "name", "kind", "unit", "range_low", "range_high", "sample_interval_s",
    "hh", "h", "l", "ll", "hh_priority", "h_priority", "l_priority", "ll_priority", "description",
)  # fmt: skip


def _require(actor: Any, area: Area) -> None:
    if actor is not None:
        Access.of(actor).require(PLANT_CHANGE, place_of_area(area))


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None)


def _check_fields(given: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(given) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


def _check_responsible(responsible: User | None, area: Area) -> None:
    if responsible is None:
        return
    if not responsible.is_active:
        raise ValidationError({"responsible": _("责任人账号已停用。")})
    sites = set(responsible.assignments.values_list("site_id", flat=True))
    team_site = responsible.team.area.site_id if responsible.team is not None else None
    # Every assignment names its enterprise; only an enterprise-level one spans all its sites.
    enterprises = set(
        responsible.assignments.filter(level=ScopeLevel.ENTERPRISE).values_list("enterprise_id", flat=True)
    )
    if area.site_id not in sites and team_site != area.site_id and area.site.enterprise_id not in enterprises:
        raise ValidationError({"responsible": _("责任人必须是本场所的人员。")})


def _full_clean(obj: Equipment | SensorTag, check_free: Callable[[], None]) -> None:
    """Validate ``obj`` and run ``check_free`` (its uniqueness, with a message on the field) at
    once, so that a form shows every field error together."""
    errors: dict[str, Any] = {}
    for check in (lambda: obj.full_clean(validate_constraints=False), check_free):
        try:
            check()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _check_code_free(eq: Equipment) -> None:
    taken = Equipment.objects.filter(area_id=eq.area_id, code=eq.code).exclude(pk=eq.pk)
    if eq.code and taken.exists():
        raise ValidationError({"code": _("该区域已有位号为 %(code)s 的设备。") % {"code": eq.code}})


def _check_tag_free(tag: SensorTag) -> None:
    taken = SensorTag.objects.filter(site_id=tag.site_id, tag=tag.tag).exclude(pk=tag.pk)
    if tag.tag and taken.exists():
        raise ValidationError({"tag": _("本场所已有位号为 %(tag)s 的测点。") % {"tag": tag.tag}})


# --- Units -----------------------------------------------------------------------------------
def create_unit(actor: Any, *, area: Area, code: str, name: str, description: str = "") -> Unit:
    _require(actor, area)
    with transaction.atomic():
        unit = Unit(area=area, code=code, name=name, description=description)
        unit.full_clean()
        unit.save()
        audit.record_create(actor, unit)
    return unit


# --- Equipment -------------------------------------------------------------------------------
def create_equipment(actor: Any, *, area: Area, **fields: Any) -> Equipment:
    _check_fields(fields, EQUIPMENT_FIELDS)
    _require(actor, area)
    _check_responsible(fields.get("responsible"), area)
    with transaction.atomic():
        eq = Equipment(area=area, **fields)
        _full_clean(eq, lambda: _check_code_free(eq))
        eq.save()
        audit.record_create(actor, eq)
        publish(events.EquipmentCreated(equipment_id=eq.pk, actor_id=_actor_id(actor)))
        if eq.responsible_id:
            publish(
                events.ResponsiblePersonAssigned(
                    equipment_id=eq.pk, user_id=eq.responsible_id, actor_id=_actor_id(actor)
                )
            )
    return eq


def update_equipment(actor: Any, eq: Equipment, **changes: Any) -> Equipment:
    _check_fields(changes, (*EQUIPMENT_FIELDS, "area"))
    _require(actor, eq.area)
    if "area" in changes:
        _require(actor, changes["area"])
    with transaction.atomic():
        before = audit.snapshot(eq)
        for field, value in changes.items():
            setattr(eq, field, value)
        if "responsible" in changes:
            _check_responsible(eq.responsible, eq.area)
        if eq.area.site_id != Area.objects.get(pk=before["area"]).site_id:
            raise ValidationError({"area": _("设备不能移动到其他场所。")})
        _full_clean(eq, lambda: _check_code_free(eq))
        eq.save()
        entry = audit.record_update(actor, eq, before)
        if entry:
            publish(
                events.EquipmentChanged(
                    equipment_id=eq.pk, fields=tuple(entry.changes), actor_id=_actor_id(actor)
                )
            )
            if "responsible" in entry.changes and eq.responsible_id:
                publish(
                    events.ResponsiblePersonAssigned(
                        equipment_id=eq.pk, user_id=eq.responsible_id, actor_id=_actor_id(actor)
                    )
                )
    return eq


def delete_equipment(actor: Any, eq: Equipment) -> None:
    _require(actor, eq.area)
    if eq.tags.exists():
        raise ValidationError({"equipment": _("该设备仍有测点，请先删除或迁移测点。")})
    with transaction.atomic():
        for link in ProcessLink.objects.filter(source=eq) | ProcessLink.objects.filter(target=eq):
            _unlink(actor, link)
        attachments.delete_all_for(actor, eq)  # photos and documents go with their equipment
        audit.record_delete(actor, eq)
        equipment_id, site_id = eq.pk, eq.area.site_id
        eq.delete()
        publish(
            events.EquipmentDeleted(equipment_id=equipment_id, site_id=site_id, actor_id=_actor_id(actor))
        )


# --- Sensor tags -----------------------------------------------------------------------------
def create_tag(actor: Any, *, equipment: Equipment, **fields: Any) -> SensorTag:
    _check_fields(fields, TAG_FIELDS)
    _require(actor, equipment.area)
    with transaction.atomic():
        tag = SensorTag(equipment=equipment, site_id=equipment.area.site_id, **fields)
        _full_clean(tag, lambda: _check_tag_free(tag))
        tag.save()
        audit.record_create(actor, tag)
        publish(events.SensorTagChanged(tag_id=tag.pk, site_id=tag.site_id, change="created"))
    return tag


def update_tag(actor: Any, tag: SensorTag, /, **changes: Any) -> SensorTag:
    """Change ``tag``; ``changes`` may rename it (``tag="TI-102"``), hence positional-only."""
    _check_fields(changes, (*TAG_FIELDS, "equipment"))
    _require(actor, tag.equipment.area)
    if "equipment" in changes:
        _require(actor, changes["equipment"].area)
        if changes["equipment"].area.site_id != tag.site_id:
            raise ValidationError({"equipment": _("测点不能移动到其他场所的设备。")})
    with transaction.atomic():
        before = audit.snapshot(tag)
        for field, value in changes.items():
            setattr(tag, field, value)
        _full_clean(tag, lambda: _check_tag_free(tag))
        tag.save()
        if audit.record_update(actor, tag, before):
            publish(events.SensorTagChanged(tag_id=tag.pk, site_id=tag.site_id, change="updated"))
    return tag


def delete_tag(actor: Any, tag: SensorTag) -> None:
    _require(actor, tag.equipment.area)
    with transaction.atomic():
        audit.record_delete(actor, tag)
        tag_id, site_id = tag.pk, tag.site_id
        tag.delete()
        publish(events.SensorTagChanged(tag_id=tag_id, site_id=site_id, change="deleted"))


# --- Topology --------------------------------------------------------------------------------
def link(
    actor: Any,
    *,
    source: Equipment,
    target: Equipment,
    kind: str = "material",
    medium: str = "",
    description: str = "",
) -> ProcessLink:
    _require(actor, source.area)
    _require(actor, target.area)
    with transaction.atomic():
        pl = ProcessLink(source=source, target=target, kind=kind, medium=medium, description=description)
        if ProcessLink.objects.filter(source=source, target=target, kind=kind).exists():
            raise ValidationError({"target": _("这两台设备之间已有同类型的连接。")})
        pl.full_clean()
        pl.save()
        audit.record_create(actor, pl)
        publish(events.TopologyChanged(site_id=source.area.site_id, link_id=pl.pk, change="linked"))
    return pl


def unlink(actor: Any, pl: ProcessLink) -> None:
    _require(actor, pl.source.area)
    with transaction.atomic():
        _unlink(actor, pl)


def _unlink(actor: Any, pl: ProcessLink) -> None:
    audit.record_delete(actor, pl)
    site_id, link_id = pl.source.area.site_id, pl.pk
    pl.delete()
    publish(events.TopologyChanged(site_id=site_id, link_id=link_id, change="unlinked"))
