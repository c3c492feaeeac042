"""A connector's configuration as a form, built from its protocol's pydantic schema.

Every protocol gets its fields rendered the same way: text, password (never shown back; blank keeps
the saved one), number, select (``Literal`` choices, labels from ``json_schema_extra["labels"]``),
checkbox, a textarea with one item per line (``list[str]``) and an editable table of rows
(``list[SubModel]``, e.g. node or register maps) with "add row" and "remove" buttons. The form only
collects what was posted; all validation is the schema's (through ``services.validate_config``),
and its errors — keyed ``config.<field>`` or ``config.<field>.<row>.<column>`` — are shown at the
field or cell they name.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic
from django.http import QueryDict
from django.utils.translation import gettext as _

PREFIX = "cfg"


@dataclass
class Spec:
    """How one schema field is edited."""

    name: str
    label: str
    help: str
    kind: str  # text | password | number | select | checkbox | lines | rows
    required: bool
    default: Any = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    literal: dict[str, Any] = field(default_factory=dict)  # posted text → the Literal's value
    step: str = "any"
    min: Any = None
    max: Any = None
    columns: list[Spec] = field(default_factory=list)  # rows


def _bounds(info: Any) -> tuple[Any, Any]:
    low = high = None
    for item in getattr(info, "metadata", ()):
        low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
    return low, high


def _spec(name: str, info: Any) -> Spec:
    annotation = info.annotation
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    label = _(info.title) if info.title else name
    help_text = _(info.description) if info.description else ""
    required = info.is_required()
    default = None if required else info.get_default(call_default_factory=True)
    spec = Spec(name, label, help_text, "text", required, default)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        labels = extra.get("labels", {}) or {}
        spec.kind = "select"
        spec.choices = [(str(v), _(str(labels.get(str(v), v)))) for v in args]
        spec.literal = {str(v): v for v in args}
    elif annotation is bool:
        spec.kind = "checkbox"
    elif annotation in (int, float):
        spec.kind = "number"
        spec.step = "1" if annotation is int else "any"
        spec.min, spec.max = _bounds(info)
    elif origin in (list, typing.List) and args:  # noqa: UP006 - matching either spelling
        item = args[0]
        if isinstance(item, type) and issubclass(item, pydantic.BaseModel):
            spec.kind = "rows"
            spec.columns = specs(item)
        else:
            spec.kind = "lines"
    elif extra.get("secret"):
        spec.kind = "password"
    elif origin in (typing.Union, types.UnionType):
        spec.kind = "text"
    return spec


def specs(model: type[pydantic.BaseModel]) -> list[Spec]:
    return [_spec(name, info) for name, info in model.model_fields.items()]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def _posted(spec: Spec, raw: str | None, *, editing: bool) -> tuple[bool, Any]:
    """(give it to the schema?, value) for one posted scalar."""
    if spec.kind == "checkbox":
        return True, raw is not None and raw not in ("", "0", "false", "off")
    value = (raw or "").strip()
    if spec.kind == "password":
        if not value:
            return (True, None) if editing else (False, None)
        return True, raw or ""
    if not value:
        return False, None
    if spec.kind == "select":
        return True, spec.literal.get(value, value)
    return True, value


def collect(model: type[pydantic.BaseModel], data: QueryDict, *, editing: bool = False) -> dict[str, Any]:
    """The raw config posted by the form (for ``services``: validation happens there)."""
    config: dict[str, Any] = {}
    for spec in specs(model):
        key = f"{PREFIX}-{spec.name}"
        if spec.kind == "lines":
            config[spec.name] = [line.strip() for line in data.get(key, "").splitlines() if line.strip()]
        elif spec.kind == "rows":
            config[spec.name] = _collect_rows(spec, data)
        else:
            give, value = _posted(spec, data.get(key), editing=editing)
            if give:
                config[spec.name] = value
    return config


def _collect_rows(spec: Spec, data: QueryDict) -> list[dict[str, Any]]:
    pattern = re.compile(rf"^{PREFIX}-{re.escape(spec.name)}-(\d+)-(\w+)$")
    indices = sorted({int(m.group(1)) for key in data for m in [pattern.match(key)] if m})
    rows = []
    for i in indices:
        row: dict[str, Any] = {}
        filled = False
        for column in spec.columns:
            raw = data.get(f"{PREFIX}-{spec.name}-{i}-{column.name}")
            give, value = _posted(column, raw, editing=False)
            if give:
                row[column.name] = value
                filled = filled or (column.kind not in ("checkbox", "select") and value not in (None, ""))
        if filled:
            rows.append(row)
    return rows


@dataclass
class Cell:
    spec: Spec
    name: str
    value: str
    checked: bool
    errors: list[str]


@dataclass
class Row:
    index: int
    cells: list[Cell]
    errors: list[str]


@dataclass
class BoundField:
    spec: Spec
    name: str
    value: str = ""
    checked: bool = False
    is_set: bool = False  # a secret that is stored (shown as "已设置")
    errors: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    template: list[Cell] = field(default_factory=list)  # the blank row "add row" copies (index __i__)
    row_errors: list[str] = field(default_factory=list)  # about the list as a whole


class ConfigForm:
    """The config fields of one protocol, bound to values (saved or posted) and service errors."""

    def __init__(
        self,
        model: type[pydantic.BaseModel],
        values: dict[str, Any] | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        stored_secrets: set[str] | None = None,
    ) -> None:
        self.model = model
        self.values = values or {}
        self.errors = errors or {}
        self.stored_secrets = stored_secrets or set()
        self.fields = [self._bind(spec) for spec in specs(model)]
        names = {spec.name for spec in specs(model)}
        self.non_field_errors: list[str] = []
        for key, messages in self.errors.items():
            parts = key.split(".")
            if parts[0] == "config" and (len(parts) == 1 or parts[1] not in names):
                self.non_field_errors += messages

    def _errors(self, key: str) -> list[str]:
        return list(self.errors.get(key, []))

    def _cell(self, spec: Spec, field_name: str, index: Any, value: Any) -> Cell:
        name = f"{PREFIX}-{field_name}-{index}-{spec.name}"
        if value is None:
            value = spec.default
        return Cell(
            spec=spec,
            name=name,
            value=_text(value),
            checked=bool(value),
            errors=self._errors(f"config.{field_name}.{index}.{spec.name}") if isinstance(index, int) else [],
        )

    def _bind(self, spec: Spec) -> BoundField:
        name = f"{PREFIX}-{spec.name}"
        bound = BoundField(spec=spec, name=name, errors=self._errors(f"config.{spec.name}"))
        value = self.values.get(spec.name, spec.default)
        if spec.kind == "rows":
            items = value if isinstance(value, list) else []
            for i, item in enumerate(items):
                item = item if isinstance(item, dict) else {}
                cells = [self._cell(col, spec.name, i, item.get(col.name)) for col in spec.columns]
                row_errors = self._errors(f"config.{spec.name}.{i}")
                bound.rows.append(Row(i, cells, row_errors))
            if not bound.rows:
                bound.rows.append(Row(0, [self._cell(col, spec.name, 0, None) for col in spec.columns], []))
            bound.template = [self._cell(col, spec.name, "__i__", None) for col in spec.columns]
        elif spec.kind == "lines":
            bound.value = "\n".join(str(v) for v in value) if isinstance(value, list) else ""
        elif spec.kind == "checkbox":
            bound.checked = bool(value)
        elif spec.kind == "password":
            bound.is_set = spec.name in self.stored_secrets
            bound.value = ""
        else:
            bound.value = _text(value)
        return bound

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)


def describe(model: type[pydantic.BaseModel], key: str) -> str:
    """A readable name for an error key: "config.nodes.0.node_id" → "节点映射 第 1 行 · 节点 ID"."""
    parts = key.split(".")
    if parts[0] != "config":
        return {"name": _("名称"), "site": _("场所"), "protocol": _("协议")}.get(parts[0], parts[0])
    if len(parts) == 1:
        return _("配置")
    by_name = {s.name: s for s in specs(model)}
    spec = by_name.get(parts[1])
    if spec is None:
        return parts[1]
    text = spec.label
    if len(parts) >= 3 and parts[2].isdigit():
        text += " " + _("第 %(n)d 行") % {"n": int(parts[2]) + 1}
        columns = {c.name: c for c in spec.columns}
        if len(parts) >= 4 and parts[3] in columns:
            text += " · " + columns[parts[3]].label
    return text
