"""Forms of the people pages. They validate input; the org services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from anquan.org import selectors
from anquan.org.access import Access, Place, place_of_area, place_of_site, place_of_team
from anquan.org.choices import Role
from anquan.org.models import Area, Enterprise, Site, Team, User
from anquan.org.roles import PEOPLE_MANAGE

LANGUAGE_CHOICES = User._meta.get_field("preferred_language").choices or []
Scope = Enterprise | Site | Area | Team
_SCOPE_MODELS: dict[str, type[Scope]] = {"enterprise": Enterprise, "site": Site, "area": Area, "team": Team}


def apply_errors(form: forms.Form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form: each field's messages on that field, the rest on top."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field_map.get(field, field)
            messages = [m for e in errors for m in e.messages]
            form.add_error(target if target in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


# --- Scopes the actor may manage ------------------------------------------------------------
def manageable_teams(actor: Any) -> QuerySet[Team]:
    access = Access.of(actor)
    ids = [t.pk for t in selectors.teams(actor) if access.covers(PEOPLE_MANAGE, place_of_team(t))]
    return Team.objects.filter(pk__in=ids).select_related("area__site").order_by("area__site__name", "code")


def scope_choices(actor: Any) -> list[tuple[str, Any]]:
    """Every enterprise, site, area and team where ``actor`` may hand out roles, grouped by site."""
    access = Access.of(actor)
    choices: list[tuple[str, Any]] = []
    enterprises = [
        (f"enterprise:{e.pk}", e.name)
        for e in selectors.enterprises(actor)
        if access.covers(PEOPLE_MANAGE, Place(enterprise_id=e.pk))
    ]
    if enterprises:
        choices.append((str(_("企业")), enterprises))
    areas = list(selectors.areas(actor))
    teams = list(selectors.teams(actor))
    for site in selectors.sites(actor):
        group: list[tuple[str, str]] = []
        if access.covers(PEOPLE_MANAGE, place_of_site(site)):
            group.append((f"site:{site.pk}", str(_("整个场所：%(name)s") % {"name": site.name})))
        for area in (a for a in areas if a.site_id == site.pk):
            if access.covers(PEOPLE_MANAGE, place_of_area(area)):
                group.append((f"area:{area.pk}", str(_("区域：%(name)s") % {"name": area.name})))
            for team in (t for t in teams if t.area_id == area.pk):
                if access.covers(PEOPLE_MANAGE, place_of_team(team)):
                    group.append(
                        (f"team:{team.pk}", str(_("班组：%(name)s") % {"name": f"{area.name} / {team.name}"}))
                    )
        if group:
            choices.append((site.name, group))
    return choices


def resolve_scope(value: str) -> Scope:
    """The scope object behind a choice value such as ``"area:3"`` (already validated by the form)."""
    level, _sep, pk = value.partition(":")
    model = _SCOPE_MODELS[level]
    return model.objects.get(pk=int(pk))


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.area.site.name} / {obj.area.name} / {obj.name}"


class ScopedForm(forms.Form):
    """A form whose team and scope choices are what its actor may manage."""

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        if "team" in self.fields:
            self.fields["team"].queryset = manageable_teams(actor)  # type: ignore[attr-defined]
        if "scope" in self.fields:
            self.fields["scope"].choices = [("", "---------"), *scope_choices(actor)]  # type: ignore[attr-defined]

    def clean_scope(self) -> Scope | None:
        value = self.cleaned_data.get("scope")
        return resolve_scope(value) if value else None


_ROLE_CHOICES = [("", "---------"), *Role.choices]


class PersonFieldsMixin(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=60)
    employee_no = forms.CharField(label=_("工号"), max_length=30, required=False)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    company = forms.CharField(
        label=_("所属单位"), max_length=120, required=False, help_text=_("承包商人员填写其单位")
    )
    team = TeamChoiceField(label=_("班组"), queryset=Team.objects.none(), required=False)
    preferred_language = forms.ChoiceField(label=_("界面语言"), choices=LANGUAGE_CHOICES, initial="zh-hans")


class PasswordPairMixin(forms.Form):
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位，不能过于简单，也不能全是数字。"),
    )
    password2 = forms.CharField(
        label=_("确认密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_password2(self) -> str:
        p1, p2 = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if p1 and p2 and p1 != p2:
            raise ValidationError(_("两次输入的密码不一致。"))
        return p2 or ""


class PersonCreateForm(ScopedForm, PersonFieldsMixin, PasswordPairMixin):
    username = forms.CharField(
        label=_("用户名"), max_length=150, help_text=_("登录用，可使用字母、数字和 @/./+/-/_")
    )
    role = forms.ChoiceField(label=_("角色"), choices=_ROLE_CHOICES, required=False)
    scope = forms.ChoiceField(label=_("角色范围"), required=False)

    field_order = [
        "username",
        "name",
        "employee_no",
        "phone",
        "email",
        "company",
        "team",
        "preferred_language",
        "role",
        "scope",
        "password1",
        "password2",
    ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, scope = data.get("role"), data.get("scope")
        if role and not scope and "scope" not in self.errors:
            self.add_error("scope", _("请选择角色的范围。"))
        if scope and not role and "role" not in self.errors:
            self.add_error("role", _("请选择角色。"))
        if not data.get("team") and not role and not self.errors:
            raise ValidationError(_("请选择班组或分配一个角色，否则您之后将看不到这个人员。"))
        return data


class PersonEditForm(ScopedForm, PersonFieldsMixin):
    pass


class RoleAssignForm(ScopedForm):
    role = forms.ChoiceField(label=_("角色"), choices=_ROLE_CHOICES)
    scope = forms.ChoiceField(label=_("范围"))


class SetPasswordForm(PasswordPairMixin):
    pass


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=60)
    site = forms.ModelChoiceField(label=_("场所"), queryset=Site.objects.none(), required=False)
    area = forms.ModelChoiceField(label=_("区域"), queryset=Area.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("班组"), queryset=Team.objects.none(), required=False)
    role = forms.ChoiceField(label=_("角色"), choices=[("", _("全部角色")), *Role.choices], required=False)
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[("active", _("在职")), ("inactive", _("已停用")), ("all", _("全部"))],
        required=False,
    )

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = selectors.sites(viewer)  # type: ignore[attr-defined]
        self.fields["area"].queryset = selectors.areas(viewer)  # type: ignore[attr-defined]
        self.fields["team"].queryset = selectors.teams(viewer)  # type: ignore[attr-defined]
        self.fields["site"].empty_label = _("全部场所")  # type: ignore[attr-defined]
        self.fields["area"].empty_label = _("全部区域")  # type: ignore[attr-defined]
        self.fields["team"].empty_label = _("全部班组")  # type: ignore[attr-defined]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=80, help_text=_("说明用途，例如“DCS 数据网关”。"))
    expires_in_days = forms.TypedChoiceField(
        label=_("有效期"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[
            ("30", _("30 天")),
            ("90", _("90 天")),
            ("365", _("1 年")),
            ("", _("永不过期")),
        ],
        initial="90",
    )
