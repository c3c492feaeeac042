"""Forms of the hazard pages. They convert input; ``anquan.hazards.services`` decides (its
ValidationErrors are put back on the fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from anquan.hazards import criteria, grading, services
from anquan.hazards.choices import (
    GradingMethod,
    HazardCategory,
    HazardGrade,
    HazardSource,
    ManageType,
    RiskColour,
)
from anquan.hazards.models import CriteriaSet, RiskMatrix
from anquan.org.models import Area, User
from anquan.plant.models import Equipment
from anquan.plant.web.forms import ServiceForm


def _factor_choices(values: tuple[float, ...]) -> list[tuple[str, str]]:
    return [("", "—")] + [(f"{v:g}", f"{v:g}") for v in values]


def _level_choices(labels: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(n), f"{n} {label}") for n, label in enumerate(labels, start=1)]


class ReportForm(ServiceForm):
    """The report page's fields (隐患随手拍). The page never posts them to itself: the outbox
    (``web/outbox.js``) stores them on the phone and sends them to ``POST /api/v1/hazards/``
    with a client id, so a report made offline is sent once the network is back. Field names are
    the API's."""

    area_id = forms.ModelChoiceField(label=_("区域"), queryset=Area.objects.none(), required=False)
    equipment_id = forms.ModelChoiceField(
        label=_("设备"),
        queryset=Equipment.objects.none(),
        required=False,
        help_text=_("选择设备时区域随设备确定；扫设备二维码会直接选好设备。"),
    )
    description = forms.CharField(
        label=_("隐患描述"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("看到了什么、在哪里、有多严重")}),
        max_length=services.MAX_DESCRIPTION,
    )
    category = forms.ChoiceField(
        label=_("隐患类型"), choices=HazardCategory.choices, initial=HazardCategory.EQUIPMENT
    )
    source = forms.ChoiceField(label=_("隐患来源"), choices=HazardSource.choices, initial=HazardSource.DAILY)

    def __init__(
        self, *args: Any, areas: QuerySet[Area], equipment: QuerySet[Equipment], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area_id"]
        equipment_field = self.fields["equipment_id"]
        assert isinstance(area_field, forms.ModelChoiceField)
        assert isinstance(equipment_field, forms.ModelChoiceField)
        area_field.queryset = areas
        area_field.label_from_instance = lambda a: f"{a.site.name} · {a.name}"  # type: ignore[method-assign, assignment]
        equipment_field.queryset = equipment
        equipment_field.label_from_instance = lambda e: f"{e.code} {e.name}（{e.area.name}）"  # type: ignore[method-assign, assignment]


class NoteForm(ServiceForm):
    note = forms.CharField(
        label=_("说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=services.MAX_NOTE,
    )


class RejectForm(ServiceForm):
    reason = forms.CharField(
        label=_("驳回原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=services.MAX_NOTE
    )
    duplicate_of = forms.TypedChoiceField(
        label=_("重复于"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("作为重复报告驳回时选择。"),
    )

    def __init__(self, *args: Any, duplicates: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["duplicate_of"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("（无效报告，不是重复）")), *duplicates]


class GradeForm(ServiceForm):
    """Grading by the site's method: the LEC factors, or the levels of the site's LS matrix; and
    the items of the determination standards in force on the hazard's day that it meets."""

    grade = forms.ChoiceField(label=_("隐患等级"), choices=HazardGrade.choices)
    manage_type = forms.ChoiceField(label=_("治理类型"), choices=ManageType.choices)
    criteria = forms.TypedMultipleChoiceField(
        label=_("重大隐患判定依据"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("勾选任一条款即判定为重大隐患；判定为重大隐患时，建议勾选所依据的条款。"),
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=services.MAX_NOTE)

    def __init__(
        self, *args: Any, config: RiskMatrix, criteria_sets: list[CriteriaSet], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria_sets = criteria_sets
        if criteria_sets:
            field = self.fields["criteria"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [
                (f"{s.code} {s.title}", [(i.pk, f"{i.number}. {i.text}") for i in s.items.all()])
                for s in criteria_sets
            ]
        else:
            del self.fields["criteria"]
        self.method = config.method
        factors: dict[str, forms.Field]
        if config.method == GradingMethod.LS:
            matrix = config.matrix
            factors = {
                "ls_l": forms.ChoiceField(
                    label=_("L（可能性等级）"), choices=_level_choices(matrix.likelihood), required=False
                ),
                "ls_s": forms.ChoiceField(
                    label=_("S（严重性等级）"), choices=_level_choices(matrix.severity), required=False
                ),
            }
        else:
            factors = {
                "lec_l": forms.ChoiceField(
                    label=_("L（可能性）"), choices=_factor_choices(grading.LEC_L), required=False
                ),
                "lec_e": forms.ChoiceField(
                    label=_("E（暴露频率）"), choices=_factor_choices(grading.LEC_E), required=False
                ),
                "lec_c": forms.ChoiceField(
                    label=_("C（后果）"), choices=_factor_choices(grading.LEC_C), required=False
                ),
            }
        note = self.fields.pop("note")
        self.fields.update(factors)
        self.fields["note"] = note
        self.style()
        for name in factors:
            self.fields[name].widget.attrs["data-grading-factor"] = name
        if "criteria" in self.fields:
            self.fields["criteria"].widget.attrs["class"] = "form-check-input"


class RiskMatrixForm(ServiceForm):
    """A site's grading method and LS matrix: one text box per level, one colour per cell
    (``cell_<l>_<s>``). The size comes from ``rows``/``cols`` (the page's "change size")."""

    method = forms.ChoiceField(label=_("评估方法"), choices=GradingMethod.choices, widget=forms.RadioSelect)

    def __init__(
        self, *args: Any, rows: int, cols: int, initial_matrix: grading.Matrix, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rows, self.cols = rows, cols
        for l_value in range(1, rows + 1):
            label = initial_matrix.likelihood[l_value - 1] if l_value <= initial_matrix.rows else ""
            self.fields[f"l_{l_value}"] = forms.CharField(
                label=f"L{l_value}", initial=label, required=False, max_length=grading.LS_MAX_LABEL
            )
        for s_value in range(1, cols + 1):
            label = initial_matrix.severity[s_value - 1] if s_value <= initial_matrix.cols else ""
            self.fields[f"s_{s_value}"] = forms.CharField(
                label=f"S{s_value}", initial=label, required=False, max_length=grading.LS_MAX_LABEL
            )
        same_size = (initial_matrix.rows, initial_matrix.cols) == (rows, cols)
        defaults = initial_matrix.cells if same_size else grading.default_cells(rows, cols)
        for l_value in range(1, rows + 1):
            for s_value in range(1, cols + 1):
                self.fields[f"cell_{l_value}_{s_value}"] = forms.ChoiceField(
                    label=f"L{l_value} × S{s_value}",
                    choices=[("", "—"), *RiskColour.choices],
                    initial=defaults[l_value - 1][s_value - 1],
                    required=False,
                )
        self.style()
        self.fields["method"].widget.attrs["class"] = "form-check-input"

    def apply(self, error: ValidationError) -> None:
        """The service's errors about the levels and the cells go above the matrix, named."""
        sections = {"likelihood": _("可能性 L"), "severity": _("严重性 S"), "cells": _("矩阵")}
        if not hasattr(error, "error_dict"):
            super().apply(error)
            return
        for name, errors in error.error_dict.items():
            for message in (m for e in errors for m in e.messages):
                if name in sections:
                    self.add_error(None, f"{sections[name]}：{message}")
                else:
                    self.add_error(name if name in self.fields else None, message)

    def values(self) -> dict[str, Any]:
        """What ``services.set_risk_matrix`` takes."""
        data = self.cleaned_data
        return {
            "method": data["method"],
            "likelihood": [data[f"l_{n}"] for n in range(1, self.rows + 1)],
            "severity": [data[f"s_{n}"] for n in range(1, self.cols + 1)],
            "cells": [
                [data[f"cell_{l_value}_{s_value}"] for s_value in range(1, self.cols + 1)]
                for l_value in range(1, self.rows + 1)
            ],
        }

    def grid(self) -> list[dict[str, Any]]:
        """The template's rows, highest likelihood first (as a risk matrix is drawn)."""
        return [
            {
                "level": l_value,
                "label": self[f"l_{l_value}"],
                "cells": [
                    {"field": self[f"cell_{l_value}_{s_value}"], "r": grading.ls_r(l_value, s_value)}
                    for s_value in range(1, self.cols + 1)
                ],
            }
            for l_value in range(self.rows, 0, -1)
        ]

    def severity_fields(self) -> list[Any]:
        return [self[f"s_{n}"] for n in range(1, self.cols + 1)]


class PlanForm(ServiceForm):
    goal = forms.CharField(label=_("治理的目标和任务"), widget=forms.Textarea(attrs={"rows": 2}))
    methods = forms.CharField(label=_("采取的方法和措施"), widget=forms.Textarea(attrs={"rows": 2}))
    funds_materials = forms.CharField(label=_("经费和物资的落实"), widget=forms.Textarea(attrs={"rows": 2}))
    organisation = forms.CharField(label=_("负责治理的机构和人员"), widget=forms.Textarea(attrs={"rows": 2}))
    time_limit = forms.CharField(label=_("治理的时限和要求"), widget=forms.Textarea(attrs={"rows": 2}))
    safety_emergency = forms.CharField(
        label=_("安全措施和应急预案"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(ServiceForm):
    responsible = forms.ModelChoiceField(label=_("整改责任人"), queryset=User.objects.none())
    measures = forms.CharField(
        label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 3}), max_length=services.MAX_NOTE
    )
    funds = forms.DecimalField(
        label=_("整改资金（元）"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    deadline = forms.DateTimeField(
        label=_("整改期限"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["responsible"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people


class RectifyForm(ServiceForm):
    note = forms.CharField(
        label=_("整改说明"), widget=forms.Textarea(attrs={"rows": 3}), max_length=services.MAX_NOTE
    )


class AcceptForm(ServiceForm):
    passed = forms.TypedChoiceField(
        label=_("验收结论"),
        choices=[("1", _("通过")), ("0", _("不通过，退回整改"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    note = forms.CharField(
        label=_("验收意见"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=services.MAX_NOTE,
        help_text=_("不通过时必填。"),
    )

    def style(self) -> None:
        super().style()
        self.fields["passed"].widget.attrs["class"] = "form-check-input"


class FromAlarmForm(ServiceForm):
    description = forms.CharField(
        label=_("隐患描述"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=services.MAX_DESCRIPTION,
        help_text=_("不填则按报警自动生成。"),
    )


class CriteriaSetForm(ServiceForm):
    """A determination standard: its code, title, scope, dates and items — pasted one a line
    ("number text") or uploaded as .xlsx / .csv (number, text). ``read_only``: a cited set, of
    which only the last day may change."""

    code = forms.CharField(
        label=_("文号"), max_length=80, help_text=_("如“安监总管三〔2017〕121号”、“AQ 3067—2026”。")
    )
    title = forms.CharField(label=_("标准名称"), max_length=200)
    scope = forms.CharField(
        label=_("适用行业"),
        max_length=60,
        help_text=_("如“化工和危险化学品”。同一行业的各版本有效期不能重叠。"),
    )
    effective_from = forms.DateField(label=_("施行日期"), widget=forms.DateInput(attrs={"type": "date"}))
    effective_to = forms.DateField(
        label=_("废止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("最后有效的一天；不填为至今有效。新版本施行前，请给旧版本设置废止日期。"),
    )
    items = forms.CharField(
        label=_("条款"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("每行一条：条款号 + 空格 + 内容，如“2 特种作业人员未持证上岗。”"),
    )
    file = forms.FileField(
        label=_("或上传条款表"),
        required=False,
        help_text=_("Excel（.xlsx）或 CSV：第一列条款号，第二列内容；上传后以文件为准。"),
    )

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_only = read_only
        if read_only:
            for name in ("code", "title", "scope", "effective_from", "items"):
                self.fields[name].disabled = True
            del self.fields["file"]

    def values(self) -> dict[str, Any]:
        """What ``services.create_criteria_set`` / ``update_criteria_set`` take (the items parsed;
        a parsing error raises the ValidationError to show)."""
        data = self.cleaned_data
        upload = data.get("file")
        if upload is not None:
            items = criteria.parse_upload(upload.name or "", upload.read())
        else:
            items = criteria.parse_lines(data["items"])
        return {
            "code": data["code"],
            "title": data["title"],
            "scope": data["scope"],
            "effective_from": data["effective_from"],
            "effective_to": data["effective_to"],
            "items": items,
        }
