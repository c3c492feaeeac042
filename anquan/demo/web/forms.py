"""The simulator page's form: it converts input; ``anquan.demo.simulate.inject`` decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from anquan.demo import simulate
from anquan.plant.models import Equipment
from anquan.plant.web.forms import ServiceForm
from anquan.simulator import scenarios as sc


class EquipmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class InjectForm(ServiceForm):
    scenario = forms.ChoiceField(label=_("故障场景"))
    equipment = EquipmentChoice(
        label=_("设备"), queryset=Equipment.objects.none(), empty_label=_("请选择设备")
    )
    in_minutes = forms.FloatField(
        label=_("几分钟后开始"), initial=0, min_value=0, max_value=simulate.MAX_DELAY_MINUTES,
        help_text=_("0 表示立即开始（模拟器在一秒内执行）。"),
    )  # fmt: skip
    duration_minutes = forms.FloatField(
        label=_("持续时间（分钟）"), required=False, min_value=1, max_value=sc.DURATION_RANGE_S[1] / 60,
        help_text=_("留空按场景默认。"),
    )  # fmt: skip
    severity = forms.FloatField(
        label=_("严重程度"), initial=1.0, min_value=sc.SEVERITY_RANGE[0], max_value=sc.SEVERITY_RANGE[1],
        help_text=_("1 为典型情况；0.5 发展一半，2 发展两倍。"),
    )  # fmt: skip
    tag = forms.CharField(
        label=_("测点（仪表类故障）"), required=False, max_length=60,
        help_text=_("漂移、卡死、仪表故障作用的测点位号；留空由模拟器选择。"),
    )  # fmt: skip
    mode = forms.ChoiceField(label=_("模式"), required=False)

    def __init__(self, *args: Any, equipment: QuerySet[Equipment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scenario = self.fields["scenario"]
        assert isinstance(scenario, forms.ChoiceField)
        scenario.choices = list(simulate.SCENARIO_LABELS.items())
        self.fields["equipment"].queryset = equipment  # type: ignore[attr-defined]
        mode = self.fields["mode"]
        assert isinstance(mode, forms.ChoiceField)
        mode.choices = [("", _("自动")), *simulate.MODE_LABELS.items()]
        self.fields["in_minutes"].widget.attrs.update(step="any", inputmode="decimal")
        self.fields["duration_minutes"].widget.attrs.update(step="any", inputmode="decimal")
        self.fields["severity"].widget.attrs.update(step="0.1", inputmode="decimal")
        self.style()
