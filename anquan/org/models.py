from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from anquan.org.choices import Role, ScopeLevel
from anquan.platform.models import TimeStampedModel


class Enterprise(TimeStampedModel):
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    industry = models.CharField(_("行业"), max_length=60, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name


class Site(TimeStampedModel):
    """A plant or park: the unit that may run on its own server."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="sites", verbose_name=_("企业")
    )
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=120)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    # The site map is a plan in metres; areas are polygons and equipment points on it.
    map_width_m = models.PositiveIntegerField(_("平面图宽度（米）"), default=400)
    map_height_m = models.PositiveIntegerField(_("平面图高度（米）"), default=300)

    class Meta:
        ordering = ["enterprise__name", "name"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "code"], name="org_site_code_unique")]
        verbose_name = _("场所")
        verbose_name_plural = _("场所")

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.pk


class Area(TimeStampedModel):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="areas", verbose_name=_("场所"))
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    # Polygon on the site map: [[x, y], ...] in metres from the map's top-left corner.
    map_polygon = models.JSONField(_("平面图轮廓"), default=list, blank=True)

    class Meta:
        ordering = ["site__name", "code"]
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="org_area_code_unique")]
        verbose_name = _("区域")
        verbose_name_plural = _("区域")

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.site_id

    def clean(self) -> None:
        validate_polygon(self.map_polygon, self.site if self.site_id else None)


def validate_polygon(polygon: object, site: Site | None) -> None:
    if polygon in (None, []):
        return
    if not isinstance(polygon, list) or len(polygon) < 3:
        raise ValidationError({"map_polygon": _("轮廓至少需要三个点，格式为 [[x, y], …]。")})
    for point in polygon:
        if not (
            isinstance(point, list | tuple)
            and len(point) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
        ):
            raise ValidationError({"map_polygon": _("每个点必须是两个数字 [x, y]。")})
        if site and not (0 <= point[0] <= site.map_width_m and 0 <= point[1] <= site.map_height_m):
            raise ValidationError({"map_polygon": _("轮廓点超出了场所平面图的范围。")})


class Team(TimeStampedModel):
    """A team (班组) works in one area."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="teams", verbose_name=_("区域"))
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=120)
    shift = models.CharField(_("班次"), max_length=40, blank=True)

    class Meta:
        ordering = ["area__site__name", "code"]
        constraints = [models.UniqueConstraint(fields=["area", "code"], name="org_team_code_unique")]
        verbose_name = _("班组")
        verbose_name_plural = _("班组")

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.area.site_id


class User(AbstractUser):
    name = models.CharField(_("姓名"), max_length=60, blank=True)
    employee_no = models.CharField(_("工号"), max_length=30, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members", verbose_name=_("班组")
    )
    company = models.CharField(_("所属单位"), max_length=120, blank=True, help_text=_("承包商人员填写其单位"))
    preferred_language = models.CharField(
        _("界面语言"), max_length=10, choices=[("zh-hans", "简体中文"), ("en", "English")], default="zh-hans"
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.name or self.username

    def audit_site_id(self) -> int | None:
        return self.team.area.site_id if self.team is not None else None


class RoleAssignment(TimeStampedModel):
    """A role held by a user within one scope: an enterprise, a site, an area or a team.

    The scope's ancestors are filled in too (a team-level assignment also names the team's area,
    site and enterprise), so one lookup path per level reaches every assignment below it.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("用户")
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    level = models.CharField(_("范围级别"), max_length=20, choices=ScopeLevel.choices)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, verbose_name=_("企业"))
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("场所"))
    area = models.ForeignKey(Area, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("区域"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("班组"))

    class Meta:
        ordering = ["user__username", "role"]
        constraints = [
            models.CheckConstraint(
                name="org_assignment_scope_matches_level",
                condition=(
                    models.Q(level="enterprise", site__isnull=True, area__isnull=True, team__isnull=True)
                    | models.Q(level="site", site__isnull=False, area__isnull=True, team__isnull=True)
                    | models.Q(level="area", site__isnull=False, area__isnull=False, team__isnull=True)
                    | models.Q(level="team", site__isnull=False, area__isnull=False, team__isnull=False)
                ),
            ),
        ]
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.scope}"

    @property
    def scope(self) -> Enterprise | Site | Area | Team:
        return getattr(self, self.level)

    def audit_site_id(self) -> int | None:
        return self.site_id


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户")
    )
    name = models.CharField(_("名称"), max_length=80)
    prefix = models.CharField(_("前缀"), max_length=8, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return "aq_" + secrets.token_urlsafe(32)
