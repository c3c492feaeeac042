"""Forms of the early-warning pages. They convert input; ``anquan.earlywarning.services`` decides
(every rule on the fields is checked there, and its errors are put back on the fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anquan.detectors import registry
from anquan.earlywarning import services
from anquan.earlywarning.choices import NotifyMode
from anquan.earlywarning.models import WarningModel
from anquan.earlywarning.web.presentation import detector_label
from anquan.plant.choices import AlarmPriority
from anquan.plant.models import SensorTag, Unit
from anquan.plant.web.forms import ServiceForm

# What a model's definition form edits (the unit is chosen once, at creation).
DEFINITION_FIELDS = (
    "name",
    "detector",
    "tags",
    "interval_s",
    "training_days",
    "alerts_per_day",
    "notify",
    "priority",
)


def _tag_label(tag: SensorTag) -> str:
    return f"{tag.tag} {tag.name} · {tag.equipment.code}"


def detector_choices() -> list[tuple[str, str]]:
    names = sorted(registry.DETECTORS, key=lambda n: (n != registry.DEFAULT, n))
    return [(name, detector_label(name)) for name in names]


class DefinitionForm(ServiceForm):
    """A warning model's definition: which tags, which detector, on which grid, notifying how."""

    unit = forms.ModelChoiceField(label=_("装置单元"), queryset=Unit.objects.none())
    # Name, tags, days and rate are checked by the service (every error at once), not required here.
    name = forms.CharField(label=_("名称"), required=False)
    detector = forms.ChoiceField(label=_("检测算法"), choices=detector_choices, initial=registry.DEFAULT)
    tags = forms.ModelMultipleChoiceField(
        label=_("测点"),
        queryset=SensorTag.objects.none(),
        required=False,
        help_text=_("选择装置单元后默认选中其设备的全部测点；按住 Ctrl / ⌘ 多选。"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    interval_s = forms.TypedChoiceField(
        label=_("采样间隔（秒）"),
        choices=[(s, str(s)) for s in services.INTERVALS_S],
        coerce=int,
        initial=10,
    )
    training_days = forms.IntegerField(label=_("训练数据（天）"), initial=7, required=False)
    alerts_per_day = forms.FloatField(
        label=_("目标误报（次/天）"),
        initial=1.0,
        required=False,
        help_text=_("阈值按训练数据中留出的正常运行段标定：每天最多出现这么多次 AI 预警。"),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    notify = forms.ChoiceField(
        label=_("通知方式"), choices=NotifyMode.choices, initial=NotifyMode.AFTER_REVIEW
    )
    priority = forms.ChoiceField(
        label=_("确认后报警优先级"), choices=AlarmPriority.choices, initial=AlarmPriority.MEDIUM
    )
    enabled = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit] | None,
        tags: QuerySet[SensorTag],
        instance: WarningModel | None = None,
        **kwargs: Any,
    ) -> None:
        self.instance = instance
        if instance is not None:
            initial = {name: getattr(instance, name) for name in DEFINITION_FIELDS if name != "tags"}
            initial["tags"] = [t.pk for t in instance.tags.all()]
            initial["enabled"] = instance.enabled
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
            self.fields["unit"].label_from_instance = lambda u: f"{u.name} · {u.area.name}"  # type: ignore[attr-defined]
            self.fields["unit"].widget.attrs.update(
                {
                    "autocomplete": "off",
                    "hx-get": reverse("earlywarning:model-tags"),
                    "hx-target": "#ew-tags-field",
                    "hx-swap": "outerHTML",
                    "hx-trigger": "change",
                    "hx-include": "this",
                }
            )
        field = self.fields["tags"]
        field.queryset = tags.select_related("equipment").order_by("tag")  # type: ignore[attr-defined]
        field.label_from_instance = _tag_label  # type: ignore[attr-defined]
        if instance is None:
            del self.fields["enabled"]
        self.style()

    def values(self) -> dict[str, Any]:
        """The keyword arguments of ``services.define_model`` (``update_model`` without ``unit``)."""
        data = self.cleaned_data
        out = {name: data[name] for name in DEFINITION_FIELDS}
        out["tags"] = list(data["tags"])
        if "unit" in self.fields:
            out["unit"] = data["unit"]
        if "enabled" in self.fields:
            out["enabled"] = data["enabled"]
        return out

    def changes(self) -> dict[str, Any]:
        """Of ``values()``, those that differ from the model being edited."""
        assert self.instance is not None
        model = self.instance
        out: dict[str, Any] = {}
        for name, value in self.values().items():
            if name == "tags":
                if {t.pk for t in value} != {t.pk for t in model.tags.all()}:
                    out[name] = value
            elif value != getattr(model, name):
                out[name] = value
        return out


class ConfirmForm(ServiceForm):
    comment = forms.CharField(
        label=_("复核意见（可选）"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如：压力与温度背离，疑似泄漏")}),
    )


class RejectForm(ServiceForm):
    # Required-ness is the service's rule ("请填写驳回原因。"); the form only carries the text.
    reason = forms.CharField(
        label=_("驳回原因"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如：装车作业引起的正常波动")}),
    )


class RecalibrateForm(ServiceForm):
    threshold = forms.FloatField(
        label=_("新阈值"), widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})
    )
