"""Back office for the organisation. Edits are audited; roles and tokens are changed through the
People pages (the services fill a role's scope ancestors and check who may grant what), so here
they are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from anquan.org.models import ApiToken, Area, Enterprise, RoleAssignment, Site, Team, User
from anquan.platform.admin import AuditedModelAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoleInline(ReadOnlyInline):
    model = RoleAssignment
    fields = ("role", "level", "enterprise", "site", "area", "team")
    readonly_fields = fields
    verbose_name_plural = _("角色分配（在“人员与角色”页面中修改）")


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "industry", "credit_code"]
    search_fields = ["name", "code", "credit_code"]


@admin.register(Site)
class SiteAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "enterprise", "address"]
    list_filter = ["enterprise"]
    search_fields = ["name", "code", "address"]


@admin.register(Area)
class AreaAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "site"]
    list_filter = ["site"]
    search_fields = ["name", "code"]


@admin.register(Team)
class TeamAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "area", "shift"]
    list_filter = ["area__site", "area"]
    search_fields = ["name", "code"]


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    list_display = ["username", "name", "employee_no", "team", "company", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser", "team__area__site", "assignments__role"]
    search_fields = ["username", "name", "employee_no", "phone", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("个人信息"),
            {"fields": ("name", "employee_no", "phone", "email", "team", "company", "preferred_language")},
        ),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "name", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ()
    inlines = [RoleInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "level", "enterprise", "site", "area", "team"]
    list_filter = ["role", "level", "site"]
    search_fields = ["user__username", "user__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    exclude = ["token_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
