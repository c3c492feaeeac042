from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from anquan.org.models import Area
from anquan.plant.choices import (
    KINDS,
    AlarmPriority,
    EquipmentStatus,
    EquipmentType,
    LimitLevel,
    LinkKind,
    MeasurementKind,
)
from anquan.platform.models import TimeStampedModel


class Unit(TimeStampedModel):
    """A process unit (装置/单元) within an area: the grouping early-warning models are built on."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="units", verbose_name=_("区域"))
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=120)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["area__code", "code"]
        constraints = [models.UniqueConstraint(fields=["area", "code"], name="plant_unit_code_unique")]
        verbose_name = _("装置单元")
        verbose_name_plural = _("装置单元")

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.area.site_id


class Equipment(TimeStampedModel):
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="equipment", verbose_name=_("区域"))
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="equipment",
        verbose_name=_("装置单元"),
    )
    code = models.CharField(_("位号"), max_length=40, help_text=_("如 T-101、P-201"))
    name = models.CharField(_("名称"), max_length=120)
    type = models.CharField(_("类型"), max_length=30, choices=EquipmentType.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=EquipmentStatus.choices, default=EquipmentStatus.IN_SERVICE
    )
    model = models.CharField(_("型号"), max_length=80, blank=True)
    manufacturer = models.CharField(_("制造商"), max_length=120, blank=True)
    install_date = models.DateField(_("安装日期"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responsible_for",
        verbose_name=_("责任人"),
    )
    medium = models.CharField(_("介质"), max_length=60, blank=True, help_text=_("如 汽油、氢气、冷却水"))
    # Location on the site map, metres from its top-left corner.
    map_x = models.FloatField(_("平面图 X（米）"), null=True, blank=True)
    map_y = models.FloatField(_("平面图 Y（米）"), null=True, blank=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["area__code", "code"]
        constraints = [models.UniqueConstraint(fields=["area", "code"], name="plant_equipment_code_unique")]
        verbose_name = _("设备")
        verbose_name_plural = _("设备")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def audit_site_id(self) -> int:
        return self.area.site_id

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.unit is not None and self.area_id and self.unit.area_id != self.area_id:
            errors["unit"] = _("装置单元必须属于设备所在的区域。")
        if (self.map_x is None) != (self.map_y is None):
            errors["map_x"] = _("平面图坐标需要同时填写 X 和 Y。")
        elif self.map_x is not None and self.area_id:
            site = self.area.site
            if not (0 <= self.map_x <= site.map_width_m and 0 <= (self.map_y or 0) <= site.map_height_m):
                errors["map_x"] = _("坐标超出了场所平面图的范围（%(w)d × %(h)d 米）。") % {
                    "w": site.map_width_m,
                    "h": site.map_height_m,
                }
        if errors:
            raise ValidationError(errors)


LIMIT_ORDER = (LimitLevel.LL, LimitLevel.L, LimitLevel.H, LimitLevel.HH)


class SensorTag(TimeStampedModel):
    equipment = models.ForeignKey(
        Equipment, on_delete=models.PROTECT, related_name="tags", verbose_name=_("设备")
    )
    tag = models.CharField(_("位号"), max_length=60, help_text=_("如 TI-101，场所内唯一"))
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+", editable=False)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("测量类型"), max_length=30, choices=MeasurementKind.choices)
    unit = models.CharField(_("工程单位"), max_length=20)
    range_low = models.DecimalField(_("量程下限"), max_digits=14, decimal_places=4)
    range_high = models.DecimalField(_("量程上限"), max_digits=14, decimal_places=4)
    sample_interval_s = models.PositiveIntegerField(_("预期采样周期（秒）"), default=10)
    hh = models.DecimalField(_("高高限"), max_digits=14, decimal_places=4, null=True, blank=True)
    h = models.DecimalField(_("高限"), max_digits=14, decimal_places=4, null=True, blank=True)
    l = models.DecimalField(_("低限"), max_digits=14, decimal_places=4, null=True, blank=True)  # noqa: E741
    ll = models.DecimalField(_("低低限"), max_digits=14, decimal_places=4, null=True, blank=True)
    hh_priority = models.CharField(
        _("高高限优先级"), max_length=10, choices=AlarmPriority.choices, default=AlarmPriority.HIGH
    )
    h_priority = models.CharField(
        _("高限优先级"), max_length=10, choices=AlarmPriority.choices, default=AlarmPriority.LOW
    )
    l_priority = models.CharField(
        _("低限优先级"), max_length=10, choices=AlarmPriority.choices, default=AlarmPriority.LOW
    )
    ll_priority = models.CharField(
        _("低低限优先级"), max_length=10, choices=AlarmPriority.choices, default=AlarmPriority.HIGH
    )
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["tag"]
        constraints = [models.UniqueConstraint(fields=["site", "tag"], name="plant_tag_unique_per_site")]
        verbose_name = _("测点")
        verbose_name_plural = _("测点")

    def __str__(self) -> str:
        return f"{self.tag} {self.name}"

    def audit_site_id(self) -> int:
        return self.site_id

    def limits(self) -> list[tuple[str, Decimal, str]]:
        """The configured limits as (level, value, priority), from LL up to HH."""
        out = []
        for level in LIMIT_ORDER:
            value = getattr(self, level.value)
            if value is not None:
                out.append((level.value, value, getattr(self, f"{level.value}_priority")))
        return out

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        spec = KINDS.get(self.kind)
        if spec and self.unit not in spec.units:
            errors["unit"] = _("%(kind)s 的工程单位应为：%(units)s") % {
                "kind": MeasurementKind(self.kind).label,
                "units": "、".join(spec.units),
            }
        if self.range_low is not None and self.range_high is not None:
            if self.range_low >= self.range_high:
                errors["range_high"] = _("量程上限必须大于量程下限。")
            else:
                previous: tuple[str, Decimal] | None = None
                for level in LIMIT_ORDER:
                    value = getattr(self, level.value)
                    if value is None:
                        continue
                    if not (self.range_low <= value <= self.range_high):
                        errors[level.value] = _("报警限必须在量程 %(lo)s ~ %(hi)s 之内。") % {
                            "lo": f"{self.range_low.normalize():f}",
                            "hi": f"{self.range_high.normalize():f}",
                        }
                    elif previous and value <= previous[1]:
                        errors[level.value] = _("报警限须满足 低低 < 低 < 高 < 高高。")
                    previous = (level.value, value)
        if errors:
            raise ValidationError(errors)


class ProcessLink(TimeStampedModel):
    """A directed edge of the process topology: ``source`` feeds ``target``."""

    source = models.ForeignKey(
        Equipment, on_delete=models.CASCADE, related_name="outgoing", verbose_name=_("上游设备")
    )
    target = models.ForeignKey(
        Equipment, on_delete=models.CASCADE, related_name="incoming", verbose_name=_("下游设备")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=LinkKind.choices, default=LinkKind.MATERIAL)
    medium = models.CharField(_("介质"), max_length=60, blank=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["source__code", "target__code"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="plant_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="plant_link_not_self"
            ),
        ]
        verbose_name = _("工艺连接")
        verbose_name_plural = _("工艺连接")

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code}"

    def audit_site_id(self) -> int:
        return self.source.area.site_id

    def clean(self) -> None:
        if self.source_id and self.target_id:
            if self.source_id == self.target_id:
                raise ValidationError({"target": _("设备不能连接到自身。")})
            if self.source.area.site_id != self.target.area.site_id:
                raise ValidationError({"target": _("只能连接同一场所内的设备。")})
