"""Forms of the work-order pages. They convert input; ``anquan.workorders.services`` decides (its
field errors are put back on the forms)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anquan.org.models import Area, Team, User
from anquan.plant.models import Equipment
from anquan.plant.web.forms import ServiceForm
from anquan.workorders.choices import Priority


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}（{obj.get_username()}）" if obj.name else obj.get_username()


class EquipmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name} · {obj.area.name}"


class AreaChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.site.name} / {obj.name}"


class CreateForm(ServiceForm):
    area = AreaChoice(label=_("区域"), queryset=Area.objects.none(), required=False)
    equipment = EquipmentChoice(
        label=_("设备"),
        queryset=Equipment.objects.none(),
        required=False,
        help_text=_("选择设备时区域可不填"),
    )
    title = forms.CharField(label=_("标题"), required=False, max_length=200)
    description = forms.CharField(
        label=_("描述"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    priority = forms.ChoiceField(label=_("优先级"), choices=Priority.choices, initial=Priority.MEDIUM)
    assignee = PersonChoice(
        label=_("处理人"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("留空则按派单规则派单：设备责任人 → 当班人员 → 区域班组长 → 区域经理或安全员"),
    )

    def __init__(
        self,
        *args: Any,
        areas: QuerySet[Area],
        equipment: QuerySet[Equipment],
        people: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["equipment"].queryset = equipment  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("area") and not data.get("equipment") and not self.errors:
            self.add_error("area", _("请选择区域或设备。"))
        return data


class NoteForm(ServiceForm):
    note = forms.CharField(
        label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(ServiceForm):
    reason = forms.CharField(label=_("原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CompleteForm(ServiceForm):
    note = forms.CharField(
        label=_("处理说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.TypedMultipleChoiceField(
        label=_("已上传的附件"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, attachments: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].choices = [(a.pk, a.download_name) for a in attachments]  # type: ignore[attr-defined]
        self.fields["evidence"].widget.attrs["class"] = "form-check-input"
        self.fields["evidence"].initial = [a.pk for a in attachments]


class ReassignForm(ServiceForm):
    assignee = PersonChoice(label=_("改派给"), queryset=User.objects.none())
    note = forms.CharField(label=_("说明"), required=False, max_length=2000)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people  # type: ignore[attr-defined]


class FollowUpForm(ServiceForm):
    """A work order opened from another record's page (an alarm, a confirmed AI alert): the title
    and priority default to the origin's, so both may stay empty."""

    title = forms.CharField(label=_("工单标题"), max_length=200, required=False)
    priority = forms.ChoiceField(
        label=_("优先级"), choices=[("", _("（按来源）")), *Priority.choices], required=False
    )
    description = forms.CharField(
        label=_("要做什么"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TeamChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.area.site.name} / {obj.area.name} / {obj.name}"


class ShiftForm(ServiceForm):
    """A shift on one day from a start to an end time; an end not after the start is on the next day
    (a night shift, 20:00–08:00)."""

    team = TeamChoice(label=_("班组"), queryset=Team.objects.none())
    user = PersonChoice(label=_("当班人员"), queryset=User.objects.none())
    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.TimeField(label=_("开始"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(
        label=_("结束"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("结束不晚于开始时算作次日（夜班）"),
    )

    # the service's field names → this form's
    FIELD_OF = {"starts_at": "start", "ends_at": "end", "team": "team", "user": "user"}

    def __init__(self, *args: Any, teams: QuerySet[Team], people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["user"].queryset = people  # type: ignore[attr-defined]

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """The shift's start and end as aware datetimes in the site's time zone."""
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        starts_at = dt.datetime.combine(data["day"], data["start"], tzinfo=zone)
        end_day = data["day"] if data["end"] > data["start"] else data["day"] + dt.timedelta(days=1)
        ends_at = dt.datetime.combine(end_day, data["end"], tzinfo=zone)
        return starts_at, ends_at

    def apply(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            error = ValidationError(
                {self.FIELD_OF.get(name, name): messages for name, messages in error.error_dict.items()}
            )
        super().apply(error)


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}（{obj.get_username()}）" if obj.name else obj.get_username()


class PatternForm(ServiceForm):
    """A recurring shift plan: the chosen people take the shifts in turn (in the order listed)."""

    WEEKDAY_CHOICES = [
        (0, _("周一")), (1, _("周二")), (2, _("周三")), (3, _("周四")), (4, _("周五")), (5, _("周六")),
        (6, _("周日")),
    ]  # fmt: skip

    team = TeamChoice(label=_("班组"), queryset=Team.objects.none())
    people = PeopleChoice(
        label=_("轮班人员"),
        queryset=User.objects.none(),
        help_text=_("多选时按列表顺序轮流当班"),
    )
    start_time = forms.TimeField(
        label=_("每日开始"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    hours = forms.DecimalField(
        label=_("时长（小时）"), min_value=Decimal("0.5"), max_value=Decimal("24"), decimal_places=2,
        help_text=_("超过零点的班次结束于次日"),
    )  # fmt: skip
    weekdays = forms.TypedMultipleChoiceField(
        label=_("星期"), choices=WEEKDAY_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    first_day = forms.DateField(
        label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last_day = forms.DateField(
        label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    FIELD_OF = {"duration": "hours"}

    def __init__(self, *args: Any, teams: QuerySet[Team], people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, prefix="pattern", **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["people"].queryset = people  # type: ignore[attr-defined]
        self.fields["weekdays"].widget.attrs["class"] = "form-check-input"

    def style(self) -> None:
        super().style()
        self.fields["people"].widget.attrs["size"] = "5"

    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=round(float(self.cleaned_data["hours"]) * 60))

    def apply(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            error = ValidationError(
                {self.FIELD_OF.get(name, name): messages for name, messages in error.error_dict.items()}
            )
        super().apply(error)
