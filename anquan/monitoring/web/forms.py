"""Forms of the alarm pages. They convert input; ``anquan.monitoring.services`` decides and writes.

A rule's ``params`` differ by kind (see ``AlarmRule``'s docstring): the rule form shows one group of
fields per kind, builds ``params`` from the group of the chosen kind and puts the service's errors
back on the fields they concern.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from anquan.monitoring.choices import CONFIGURABLE_KINDS, RuleKind, RuleSource
from anquan.monitoring.models import AlarmRule, EscalationPolicy
from anquan.org.choices import Role
from anquan.org.models import Area
from anquan.plant.choices import AlarmPriority
from anquan.plant.models import SensorTag
from anquan.plant.web.forms import ServiceForm

# Shelving: the choices offered (minutes). The longest is the services' limit (12 h).
SHELVE_CHOICES = [
    (15, _("15 分钟")),
    (30, _("30 分钟")),
    (60, _("1 小时")),
    (120, _("2 小时")),
    (240, _("4 小时")),
    (480, _("8 小时")),
    (720, _("12 小时")),
]
TERM_ROWS = 6  # condition rows offered on a compound rule
ESCALATION_STEPS = 4  # roles an escalation policy may name, in order


class ShelveForm(ServiceForm):
    minutes = forms.TypedChoiceField(label=_("搁置时长"), choices=SHELVE_CHOICES, coerce=int, initial=60)
    reason = forms.CharField(
        label=_("原因"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("如：传感器维修中，已安排人员现场巡检")}),
    )


class ReasonForm(ServiceForm):
    reason = forms.CharField(label=_("原因"), max_length=300)


class CommentForm(ServiceForm):
    text = forms.CharField(label=_("备注"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


# --- Rules -------------------------------------------------------------------------------------
COMMON_FIELDS = (
    "area",
    "tag",
    "kind",
    "name",
    "priority",
    "deadband",
    "on_delay_s",
    "off_delay_s",
    "suppress_when_out_of_service",
    "enabled",
    "cause",
    "consequence",
    "action",
    "response_minutes",
)
# Fields a rule made from a tag's limits keeps from the tag (changed on the tag's own page).
FROM_TAG = ("area", "tag", "kind", "name", "priority")
LEVELS = [("HH", "HH"), ("H", "H"), ("L", "L"), ("LL", "LL")]
DIRECTIONS = [("rise", _("上升")), ("fall", _("下降")), ("both", _("双向"))]
OPS = [("and", _("全部满足（AND）")), ("or", _("任一满足（OR）"))]
CONDITIONS = [
    ("", "—"),
    (">", ">"),
    (">=", "≥"),
    ("<", "<"),
    ("<=", "≤"),
    ("rising", _("上升速率超过（每分钟）")),
    ("falling", _("下降速率超过（每分钟）")),
]
COMPARISONS = [(">", ">"), (">=", "≥"), ("<", "<"), ("<=", "≤")]
# The form fields of each kind's params: field name -> params key.
KIND_FIELDS: dict[str, dict[str, str]] = {
    RuleKind.LIMIT: {"limit_level": "level", "limit_value": "value"},
    RuleKind.RATE: {
        "rate_per_minute": "per_minute",
        "rate_direction": "direction",
        "rate_window_s": "window_s",
    },
    RuleKind.DEVIATION: {
        "deviation_reference_tag": "reference_tag",
        "deviation_setpoint": "setpoint",
        "deviation_max_difference": "max_difference",
    },
    RuleKind.STALE: {"stale_seconds": "seconds"},
    RuleKind.FLATLINE: {"flatline_seconds": "seconds", "flatline_tolerance": "tolerance"},
    RuleKind.DISCRETE: {"discrete_alarm_value": "alarm_value"},
    RuleKind.COMPOUND: {"compound_op": "op"},
    RuleKind.INTERLOCK: {
        "interlock_cmp": "cmp",
        "interlock_setpoint": "setpoint",
        "interlock_output_tag": "output_tag",
        "interlock_output_value": "output_value",
        "interlock_tolerance": "tolerance",
        "interlock_response_s": "response_s",
    },
}


def _number(label: Any, **kwargs: Any) -> forms.FloatField:
    return forms.FloatField(
        label=label, required=False, widget=forms.NumberInput(attrs={"step": "any"}), **kwargs
    )


class RuleForm(ServiceForm):
    """An alarm rule: its common fields, and per kind the fields that make up ``params``."""

    area = forms.ModelChoiceField(label=_("区域"), queryset=Area.objects.none(), empty_label=None)
    tag = forms.ModelChoiceField(
        label=_("测点"),
        queryset=SensorTag.objects.none(),
        required=False,
        help_text=_("组合条件可不指定；联锁为触发测点"),
    )
    kind = forms.ChoiceField(label=_("类型"), choices=[(k.value, k.label) for k in CONFIGURABLE_KINDS])
    name = forms.CharField(label=_("名称"), max_length=160)
    priority = forms.ChoiceField(label=_("优先级"), choices=AlarmPriority.choices, initial=AlarmPriority.LOW)
    deadband = forms.FloatField(
        label=_("死区（工程单位）"), initial=0, min_value=0, widget=forms.NumberInput(attrs={"step": "any"})
    )
    on_delay_s = forms.IntegerField(label=_("报警延时（秒）"), initial=0, min_value=0)
    off_delay_s = forms.IntegerField(label=_("恢复延时（秒）"), initial=0, min_value=0)
    suppress_when_out_of_service = forms.BooleanField(
        label=_("设备停用/检修时抑制"), required=False, initial=True
    )
    enabled = forms.BooleanField(label=_("启用"), required=False, initial=True)
    cause = forms.CharField(label=_("可能原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    consequence = forms.CharField(label=_("后果"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    action = forms.CharField(label=_("处置措施"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    response_minutes = forms.IntegerField(label=_("允许响应时间（分钟）"), required=False, min_value=1)

    # limit
    limit_level = forms.ChoiceField(label=_("限值级别"), choices=LEVELS, required=False)
    limit_value = _number(_("限值"))
    # rate
    rate_per_minute = _number(_("每分钟变化超过"), min_value=0)
    rate_direction = forms.ChoiceField(label=_("方向"), choices=DIRECTIONS, required=False, initial="both")
    rate_window_s = forms.IntegerField(
        label=_("计算窗口（秒）"), required=False, min_value=1, help_text=_("留空：按相邻两次读数计算")
    )
    # deviation
    deviation_reference_tag = forms.ModelChoiceField(
        label=_("参比测点"), queryset=SensorTag.objects.none(), required=False, help_text=_("与设定值二选一")
    )
    deviation_setpoint = _number(_("设定值"))
    deviation_max_difference = _number(_("最大偏差"), min_value=0)
    # stale / flatline
    stale_seconds = forms.IntegerField(label=_("无数据超过（秒）"), required=False, min_value=1)
    flatline_seconds = forms.IntegerField(label=_("数值不变超过（秒）"), required=False, min_value=1)
    flatline_tolerance = _number(_("视为不变的波动范围"), min_value=0)
    # discrete
    discrete_alarm_value = _number(_("报警状态值"))
    # compound
    compound_op = forms.ChoiceField(label=_("条件组合"), choices=OPS, required=False, initial="and")
    # interlock: the trigger tag (``tag``) beyond the setpoint must make the output reach its value
    interlock_cmp = forms.ChoiceField(
        label=_("触发条件"),
        choices=COMPARISONS,
        required=False,
        initial=">",
        help_text=_("触发测点与设定值比较"),
    )
    interlock_setpoint = _number(_("联锁设定值"))
    interlock_output_tag = forms.ModelChoiceField(
        label=_("动作反馈测点"),
        queryset=SensorTag.objects.none(),
        required=False,
        help_text=_("如阀位、泵运行状态或电机电流"),
    )
    interlock_output_value = _number(_("动作后的期望值"), help_text=_("如阀位 0 %、电机电流 0 A"))
    interlock_tolerance = _number(
        _("容差"), min_value=0, help_text=_("反馈值与期望值相差不超过此值即视为已动作")
    )
    interlock_response_s = forms.IntegerField(
        label=_("响应时间（秒）"), required=False, min_value=1, help_text=_("触发后超过此时间仍未动作即报警")
    )

    def __init__(
        self,
        *args: Any,
        areas: QuerySet[Area],
        tags: QuerySet[SensorTag],
        instance: AlarmRule | None = None,
        **kwargs: Any,
    ) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", rule_initial(instance))
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        labelled = tags.select_related("equipment").order_by("tag")
        for name in ("tag", "deviation_reference_tag", "interlock_output_tag"):
            field = self.fields[name]
            field.queryset = labelled  # type: ignore[attr-defined]
            field.label_from_instance = _tag_label  # type: ignore[attr-defined]
        for i in range(TERM_ROWS):
            self.fields[f"term_{i}_tag"] = forms.ModelChoiceField(
                label=_("测点"), queryset=labelled, required=False
            )
            self.fields[f"term_{i}_tag"].label_from_instance = _tag_label  # type: ignore[attr-defined]
            self.fields[f"term_{i}_cond"] = forms.ChoiceField(
                label=_("条件"), choices=CONDITIONS, required=False
            )
            self.fields[f"term_{i}_value"] = _number(_("数值"))
        if self.from_tag:
            for name in FROM_TAG:
                del self.fields[name]
            for name in list(self.fields):
                if name.startswith(
                    (
                        "limit_",
                        "rate_",
                        "deviation_",
                        "stale_",
                        "flatline_",
                        "discrete_",
                        "compound_",
                        "interlock_",
                        "term_",
                    )
                ):
                    del self.fields[name]
        self.style()

    @property
    def from_tag(self) -> bool:
        return self.instance is not None and self.instance.source == RuleSource.TAG_LIMITS

    @property
    def kind_groups(self) -> list[dict[str, Any]]:
        """The params fields per kind, for the template (each group shown when its kind is chosen)."""
        if self.from_tag:
            return []
        groups = []
        for kind, label in [(k.value, k.label) for k in CONFIGURABLE_KINDS]:
            groups.append(
                {
                    "kind": kind,
                    "label": label,
                    "fields": [self[name] for name in KIND_FIELDS[kind]],
                    "terms": [
                        (self[f"term_{i}_tag"], self[f"term_{i}_cond"], self[f"term_{i}_value"])
                        for i in range(TERM_ROWS)
                    ]
                    if kind == RuleKind.COMPOUND
                    else [],
                    "errors": self.errors.get(f"params_{kind}", []),
                }
            )
        return groups

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.from_tag:
            return data
        # The parameters themselves are the service's to judge; a half-filled condition row is not
        # dropped silently.
        if data.get("kind") == RuleKind.COMPOUND:
            self._clean_terms(data)
        return data

    def _clean_terms(self, data: dict[str, Any]) -> None:
        for i in range(TERM_ROWS):
            tag, cond, value = (data.get(f"term_{i}_{part}") for part in ("tag", "cond", "value"))
            if tag is None and not cond and value is None:
                continue
            if tag is None:
                self.add_error(f"term_{i}_tag", _("请选择测点。"))
            if not cond:
                self.add_error(f"term_{i}_cond", _("请选择条件。"))
            if value is None:
                self.add_error(f"term_{i}_value", _("请填写数值。"))

    def params(self) -> dict[str, Any]:
        """``params`` of the chosen kind, from the cleaned fields."""
        data = self.cleaned_data
        kind = data["kind"]
        out: dict[str, Any] = {}
        for name, key in KIND_FIELDS[kind].items():
            value = data.get(name)
            if value is None or value == "":
                continue
            if isinstance(value, SensorTag):
                value = value.pk
            out[key] = value
        if kind == RuleKind.COMPOUND:
            terms = []
            for i in range(TERM_ROWS):
                tag, cond, value = (data.get(f"term_{i}_{part}") for part in ("tag", "cond", "value"))
                if tag is None or not cond or value is None:
                    continue
                if cond in ("rising", "falling"):
                    terms.append({"tag": tag.pk, "trend": cond, "per_minute": value})
                else:
                    terms.append({"tag": tag.pk, "cmp": cond, "value": value})
            out["terms"] = terms
        return out

    def values(self) -> dict[str, Any]:
        """The keyword arguments of ``services.create_rule`` / ``update_rule``."""
        data = self.cleaned_data
        out = {name: data[name] for name in COMMON_FIELDS if name in self.fields}
        if not self.from_tag:
            out["params"] = self.params()
        return out

    def changes(self) -> dict[str, Any]:
        """Of ``values()``, those that differ from the rule being edited."""
        assert self.instance is not None
        rule = self.instance
        out = {}
        for name, value in self.values().items():
            current = getattr(rule, name)
            if name in ("area", "tag"):
                current_id = getattr(rule, f"{name}_id")
                if (value.pk if value is not None else None) != current_id:
                    out[name] = value
            elif value != current:
                out[name] = value
        return out

    def apply(self, error: ValidationError) -> None:
        """A service's errors on the fields they name: ``params`` keys on the chosen kind's fields."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        kind = self.data.get("kind") or (self.instance.kind if self.instance else "")
        by_key = {key: name for name, key in KIND_FIELDS.get(kind, {}).items()}
        for raw_name, messages in error.error_dict.items():
            name = raw_name
            for prefix in ("params.", "params__"):
                if name.startswith(prefix):
                    name = name[len(prefix) :]
            target: str | None
            if name in self.fields and name != NON_FIELD_ERRORS:
                target = name
            elif name in by_key and by_key[name] in self.fields:
                target = by_key[name]
            elif (name == "params" or name.startswith("terms")) and kind in KIND_FIELDS:
                # The whole params group: shown above the kind's fields.
                group = self.errors.setdefault(f"params_{kind}", self.error_class())
                for message in messages:
                    group.extend(message.messages)
                continue
            else:
                target = None
            for message in messages:
                self.add_error(target, message)


def _tag_label(tag: SensorTag) -> str:
    return f"{tag.tag} {tag.name} · {tag.equipment.code}"


def rule_initial(rule: AlarmRule) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(rule, name) for name in COMMON_FIELDS if name not in ("area", "tag")
    }
    initial["area"] = rule.area_id
    initial["tag"] = rule.tag_id
    params = rule.params or {}
    for name, key in KIND_FIELDS.get(rule.kind, {}).items():
        if key in params:
            initial[name] = params[key]
    if rule.kind == RuleKind.COMPOUND:
        for i, term in enumerate((params.get("terms") or [])[:TERM_ROWS]):
            initial[f"term_{i}_tag"] = term.get("tag")
            if "trend" in term:
                initial[f"term_{i}_cond"] = term.get("trend")
                initial[f"term_{i}_value"] = term.get("per_minute")
            else:
                initial[f"term_{i}_cond"] = term.get("cmp")
                initial[f"term_{i}_value"] = term.get("value")
    return initial


# --- Escalation -------------------------------------------------------------------------------
ESCALATION_ROLES = [("", "—")] + [(value, label) for value, label in Role.choices if value != Role.CONTRACTOR]


class EscalationForm(ServiceForm):
    high_minutes = forms.IntegerField(label=_("高优先级（分钟）"), min_value=1, initial=5)
    medium_minutes = forms.IntegerField(label=_("中优先级（分钟）"), min_value=1, initial=15)
    low_minutes = forms.IntegerField(label=_("低优先级（分钟）"), min_value=1, initial=30)

    def __init__(
        self,
        *args: Any,
        instance: EscalationPolicy | None = None,
        default_roles: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        initial: dict[str, Any]
        if instance is not None:
            initial = {
                "high_minutes": instance.high_minutes,
                "medium_minutes": instance.medium_minutes,
                "low_minutes": instance.low_minutes,
            }
            roles = instance.roles or []
        else:
            initial = {}
            roles = default_roles or []
        for i, role in enumerate(roles[:ESCALATION_STEPS]):
            initial[f"role_{i}"] = role
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for i in range(ESCALATION_STEPS):
            self.fields[f"role_{i}"] = forms.ChoiceField(
                label=_("第 %(n)d 级通知") % {"n": i + 1}, choices=ESCALATION_ROLES, required=False
            )
        self.style()

    @property
    def role_fields(self) -> list[Any]:
        return [self[f"role_{i}"] for i in range(ESCALATION_STEPS)]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        roles = [data[f"role_{i}"] for i in range(ESCALATION_STEPS) if data.get(f"role_{i}")]
        return {
            "high_minutes": data["high_minutes"],
            "medium_minutes": data["medium_minutes"],
            "low_minutes": data["low_minutes"],
            "roles": list(dict.fromkeys(roles)),
        }

    def apply(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict") and "roles" in error.error_dict:
            messages = error.error_dict.pop("roles")
            for message in messages:
                self.add_error("role_0", message)
        super().apply(error)
