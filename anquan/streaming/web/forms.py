from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from anquan.org.models import Site


def apply_errors(form: forms.Form, exc: ValidationError) -> dict[str, list[str]]:
    """Put a service's ValidationError onto ``form`` (fields it has, else the form itself) and return
    the errors about the connector's config (``config.…`` keys), which the config form shows."""
    config_errors: dict[str, list[str]] = {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return config_errors
    for key, errors in exc.message_dict.items():
        if key == "config" or key.startswith("config."):
            config_errors.setdefault(key, []).extend(errors)
        elif key in form.fields:
            for error in errors:
                form.add_error(key, error)
        else:
            for error in errors:
                form.add_error(None, error)
    return config_errors


def _style(form: forms.Form) -> None:
    for f in form.fields.values():
        widget = f.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class ConnectorForm(forms.Form):
    """What every connector has besides its protocol's configuration."""

    site = forms.ModelChoiceField(label=_("场所"), queryset=Site.objects.none())
    name = forms.CharField(label=_("名称"), max_length=120)
    enabled = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(
        self, *args: Any, sites: QuerySet[Site], fixed_site: Site | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        if fixed_site is not None:  # a connector never moves to another site
            self.fields["site"].disabled = True
            self.fields["site"].required = False
            self.initial.setdefault("site", fixed_site.pk)
        _style(self)


class ImportUploadForm(forms.Form):
    site = forms.ModelChoiceField(label=_("场所"), queryset=Site.objects.none())
    file = forms.FileField(
        label=_("数据文件"),
        help_text=_(
            "CSV（逗号或分号分隔）或 Excel .xlsx；宽表（时间列 + 每个测点一列）或长表（时间、位号、数值三列）"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,.xlsm"}),
    )

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        if sites.count() == 1:
            self.initial.setdefault("site", sites.first())
        _style(self)


class ImportConfirmForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), widget=forms.HiddenInput)
    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
