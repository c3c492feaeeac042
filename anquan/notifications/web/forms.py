from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from anquan.notifications.choices import Category, ChannelKind, Medium
from anquan.notifications.models import Channel
from anquan.notifications.selectors import PreferenceCell
from anquan.notifications.services import PreferenceChange
from anquan.org.choices import Role
from anquan.org.models import Site

CHOICE_DEFAULT, CHOICE_ON, CHOICE_OFF = "", "on", "off"
EMAIL_FIELDS = (
    "smtp_host",
    "smtp_port",
    "smtp_username",
    "smtp_password",
    "smtp_use_tls",
    "smtp_use_ssl",
    "from_email",
)
ROBOT_FIELDS = ("webhook_url", "webhook_secret")


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form: on the field it names, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


class PreferenceForm(forms.Form):
    """One select per category × medium: follow the default, on, or off."""

    def __init__(self, *args: Any, cells: list[PreferenceCell], default_label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cells = cells
        choices = [(CHOICE_DEFAULT, default_label), (CHOICE_ON, _("开启")), (CHOICE_OFF, _("关闭"))]
        for cell in cells:
            initial = CHOICE_DEFAULT if cell.enabled is None else CHOICE_ON if cell.enabled else CHOICE_OFF
            self.fields[self.key(cell.category, cell.medium)] = forms.ChoiceField(
                label=f"{cell.category_label} · {cell.medium_label}",
                choices=choices,
                required=False,
                initial=initial,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    @staticmethod
    def key(category: str, medium: str) -> str:
        return f"{category}__{medium}"

    def rows(self) -> list[dict[str, Any]]:
        """The grid for the template: one row per category, one bound field per medium."""
        return [
            {"label": c.label, "fields": [self[self.key(c.value, m.value)] for m in Medium]} for c in Category
        ]

    def changes(self) -> list[PreferenceChange]:
        result = []
        for cell in self.cells:
            value = self.cleaned_data.get(self.key(cell.category, cell.medium), CHOICE_DEFAULT)
            enabled = None if value == CHOICE_DEFAULT else value == CHOICE_ON
            if enabled != cell.enabled:
                result.append(PreferenceChange(cell.category, cell.medium, enabled))
        return result


class RoleScopeForm(forms.Form):
    """Which role at which site the role defaults below are for."""

    site = forms.ModelChoiceField(
        label=_("场所"), queryset=Site.objects.none(), widget=forms.Select(attrs={"class": "form-select"})
    )
    role = forms.ChoiceField(
        label=_("角色"), choices=Role.choices, widget=forms.Select(attrs={"class": "form-select"})
    )

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]


class ChannelForm(forms.Form):
    """Create or edit a channel. Secrets are never shown back: blank keeps the saved value."""

    site = forms.ModelChoiceField(label=_("场所"), queryset=Site.objects.none())
    kind = forms.ChoiceField(label=_("类型"), choices=ChannelKind.choices)
    name = forms.CharField(label=_("名称"), max_length=80)
    enabled = forms.BooleanField(label=_("启用"), required=False, initial=True)
    smtp_host = forms.CharField(
        label=_("SMTP 服务器"), max_length=200, required=False, help_text=_("留空则使用平台默认的邮件服务器")
    )
    smtp_port = forms.IntegerField(label=_("SMTP 端口"), required=False, min_value=1, max_value=65535)
    smtp_username = forms.CharField(label=_("SMTP 用户名"), max_length=200, required=False)
    smtp_password = forms.CharField(
        label=_("SMTP 密码"), max_length=200, required=False, widget=forms.PasswordInput(render_value=False)
    )
    smtp_use_tls = forms.BooleanField(label=_("使用 STARTTLS"), required=False)
    smtp_use_ssl = forms.BooleanField(label=_("使用 SSL/TLS"), required=False)
    from_email = forms.EmailField(label=_("发件人地址"), max_length=200, required=False)
    webhook_url = forms.CharField(
        label=_("Webhook 地址"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("机器人设置中复制的完整地址"),
    )
    webhook_secret = forms.CharField(
        label=_("签名密钥"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("钉钉、飞书机器人开启“加签”时填写（以 SEC 开头的密钥等）"),
    )
    clear_smtp_password = forms.BooleanField(label=_("清除已保存的 SMTP 密码"), required=False)
    clear_webhook_secret = forms.BooleanField(label=_("清除已保存的签名密钥"), required=False)

    def __init__(self, *args: Any, sites: QuerySet[Site], instance: Channel | None = None, **kwargs: Any):
        self.instance = instance
        if instance is not None:
            initial = {f: getattr(instance, f) for f in ("kind", "name", "enabled", *EMAIL_FIELDS)}
            initial["site"] = instance.site_id
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
        if instance is not None:
            # Site and kind are fixed once a channel exists.
            for name in ("site", "kind"):
                self.fields[name].disabled = True
                self.fields[name].required = False
            set_text = _("已设置；留空则保持不变。")
            if instance.smtp_password:
                self.fields["smtp_password"].help_text = set_text
            if instance.webhook_url:
                self.fields["webhook_url"].help_text = _("已设置（%(url)s）；留空则保持不变。") % {
                    "url": instance.webhook_url_masked
                }
            if instance.webhook_secret:
                self.fields["webhook_secret"].help_text = set_text
        else:
            del self.fields["clear_smtp_password"]
            del self.fields["clear_webhook_secret"]

    @property
    def kind_value(self) -> str:
        if self.instance is not None:
            return self.instance.kind
        return str(self.data.get("kind") or self.initial.get("kind") or ChannelKind.EMAIL)

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values for create_channel / update_channel (None keeps a saved secret)."""
        data = self.cleaned_data
        kind = self.kind_value
        fields: dict[str, Any] = {"name": data["name"], "enabled": data["enabled"]}
        if kind == ChannelKind.EMAIL:
            fields |= {
                "smtp_host": data["smtp_host"].strip(),
                "smtp_port": data["smtp_port"],
                "smtp_username": data["smtp_username"].strip(),
                "smtp_use_tls": data["smtp_use_tls"],
                "smtp_use_ssl": data["smtp_use_ssl"],
                "from_email": data["from_email"] or "",
                "smtp_password": self._secret("smtp_password"),
            }
        else:
            url = data["webhook_url"].strip()
            fields["webhook_url"] = url or (None if self.instance is not None else "")
            fields["webhook_secret"] = self._secret("webhook_secret")
        return fields

    def _secret(self, name: str) -> str | None:
        value: str = self.cleaned_data.get(name) or ""
        if self.instance is None:
            return value
        if self.cleaned_data.get(f"clear_{name}"):
            return ""
        return value or None


class SendTestForm(forms.Form):
    to = forms.EmailField(
        label=_("测试收件人"),
        required=False,
        help_text=_("留空则发送到您自己的邮箱"),
        widget=forms.EmailInput(attrs={"class": "form-control"}),
    )
