"""Writes of the streaming domain: connectors (configured per site in the UI), gateway keys, the
"test connection" step and history imports.

Every write checks ``streaming.configure`` at the connector's site and is audited. A connector's
``config`` is validated by its protocol's schema (``connectors/<protocol>/schema.py``); errors come
back as a ValidationError keyed ``config.<field>`` (``config.nodes.0.node_id`` for a row of a list)
with Chinese messages. Secrets in a config (passwords) never appear in the audit trail; on update a
secret given as None keeps the stored one. The stream notices changed connectors by itself.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import logging
import os
import re
import uuid
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

import pydantic
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.org.access import Access, place_of_site
from anquan.org.models import Site
from anquan.org.roles import STREAM_CONFIGURE
from anquan.platform import audit
from anquan.streaming import imports, keys
from anquan.streaming.choices import ConnectorStatus, ImportStatus, Protocol
from anquan.streaming.connectors import PROTOCOLS
from anquan.streaming.models import Connector, HistoryImport

logger = logging.getLogger(__name__)

MASK = "***"
# Runtime fields the stream keeps up to date: not part of the configuration, never audited.
RUNTIME_FIELDS = (
    "status", "status_detail", "status_at", "received", "accepted", "rejected", "last_data_at", "key_hash",
)  # fmt: skip
STAGED_DIR = "imports/staged"
STAGED_MAX_AGE = dt.timedelta(hours=24)
TOKEN = re.compile(r"^[0-9a-f]{32}$")
IMPORT_EXTENSIONS = (".csv", ".txt", ".xlsx", ".xlsm")


# --- protocol schemas -------------------------------------------------------------------------
def schema_module(protocol: str) -> ModuleType | None:
    """``connectors/<protocol>/schema.py`` (through the registry), or None for an unknown protocol."""
    if protocol not in Protocol.values:
        return None
    kind = PROTOCOLS.get(protocol)
    if kind is not None:
        return kind.schema
    try:  # a protocol package not (yet) in the registry
        return importlib.import_module(f"anquan.streaming.connectors.{protocol}.schema")
    except ModuleNotFoundError:
        return None


def config_model(protocol: str) -> type[pydantic.BaseModel] | None:
    module = schema_module(protocol)
    return getattr(module, "Config", None) if module is not None else None


def secret_fields(protocol: str) -> tuple[str, ...]:
    module = schema_module(protocol)
    return tuple(getattr(module, "SECRET_FIELDS", ())) if module is not None else ()


PYDANTIC_MESSAGES = {
    "missing": "此项为必填项。",
    "int_parsing": "请输入整数。",
    "int_type": "请输入整数。",
    "int_from_float": "请输入整数。",
    "float_parsing": "请输入数字。",
    "float_type": "请输入数字。",
    "finite_number": "请输入有限的数值。",
    "bool_parsing": "请选择是或否。",
    "bool_type": "请选择是或否。",
    "literal_error": "请选择有效的选项。",
    "enum": "请选择有效的选项。",
    "string_type": "请输入文本。",
    "list_type": "应为列表。",
    "dict_type": "格式不正确。",
    "model_type": "格式不正确。",
    "model_attributes_type": "格式不正确。",
    "extra_forbidden": "未知的配置项。",
}
PYDANTIC_BOUNDS = {
    "greater_than_equal": ("ge", "不能小于 %(v)s。"),
    "greater_than": ("gt", "必须大于 %(v)s。"),
    "less_than_equal": ("le", "不能大于 %(v)s。"),
    "less_than": ("lt", "必须小于 %(v)s。"),
    "too_short": ("min_length", "至少需要 %(v)s 项。"),
    "too_long": ("max_length", "最多 %(v)s 项。"),
    "string_too_short": ("min_length", "至少 %(v)s 个字符。"),
    "string_too_long": ("max_length", "最多 %(v)s 个字符。"),
}


def error_message(error: Any) -> str:
    """A Chinese message for one pydantic error (our own validators already speak Chinese)."""
    kind = error["type"]
    if kind in PYDANTIC_MESSAGES:
        return _(PYDANTIC_MESSAGES[kind])
    if kind in PYDANTIC_BOUNDS:
        key, text = PYDANTIC_BOUNDS[kind]
        return _(text) % {"v": (error.get("ctx") or {}).get(key, "")}
    if kind == "invalid":
        return str(error["msg"])
    return _("取值无效。")


def config_errors(exc: pydantic.ValidationError) -> dict[str, list[str]]:
    """``{"config.<path>": [messages]}`` from a pydantic validation error."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        key = ".".join(["config", *(str(p) for p in error["loc"])])
        errors.setdefault(key, []).append(error_message(error))
    return errors


def validate_config(protocol: str, config: dict[str, Any] | None) -> dict[str, Any]:
    """The normalised config (defaults filled in), or a ValidationError keyed ``config.<path>``."""
    if protocol not in Protocol.values:
        raise ValidationError({"protocol": _("未知的协议：%(p)s") % {"p": protocol}})
    model = config_model(protocol)
    config = dict(config or {})
    if model is None:
        if config:
            raise ValidationError({"config": _("该协议没有可配置项。")})
        return {}
    try:
        return model.model_validate(config).model_dump(mode="json")
    except pydantic.ValidationError as exc:
        raise ValidationError(config_errors(exc)) from exc


def masked_config(protocol: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config with every secret that is set replaced by ***."""
    data = dict(config)
    for name in secret_fields(protocol):
        if data.get(name):
            data[name] = MASK
    return data


def keep_secrets(protocol: str, config: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """A secret given as None keeps the stored value."""
    merged = dict(config)
    for name in secret_fields(protocol):
        if name in merged and merged[name] is None:
            if stored.get(name):
                merged[name] = stored[name]
            else:
                merged.pop(name)
    return merged


# --- permissions and audit --------------------------------------------------------------------
def _require(actor: Any, site: Site) -> None:
    if actor is not None:
        Access.of(actor).require(STREAM_CONFIGURE, place_of_site(site))


def _snapshot(connector: Connector) -> dict[str, Any]:
    data = audit.snapshot(connector)
    for name in RUNTIME_FIELDS:
        data.pop(name, None)
    data["config"] = masked_config(connector.protocol, connector.config or {})
    return data


def _check_name(connector: Connector) -> None:
    name = connector.name
    if not name:
        raise ValidationError({"name": _("请填写名称。")})
    if len(name) > 120:
        raise ValidationError({"name": _("名称最多 120 个字符。")})
    taken = Connector.objects.filter(site_id=connector.site_id, name=name).exclude(pk=connector.pk)
    if taken.exists():
        raise ValidationError({"name": _("本场所已有名为“%(name)s”的数据接入。") % {"name": name}})


def _combined(*checks: Any) -> None:
    """Run every check and raise their field errors together, so a form shows them all at once."""
    errors: dict[str, Any] = {}
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


# --- connectors -------------------------------------------------------------------------------
def create_connector(
    actor: Any,
    *,
    site: Site,
    name: str,
    protocol: str,
    config: dict[str, Any] | None = None,
    enabled: bool = True,
) -> Connector:
    _require(actor, site)
    connector = Connector(site=site, name=(name or "").strip(), protocol=protocol, enabled=enabled)
    if not enabled:
        connector.status = ConnectorStatus.DISABLED
    result: dict[str, Any] = {}

    def check_config() -> None:
        result["config"] = validate_config(protocol, config)

    _combined(lambda: _check_name(connector), check_config)
    connector.config = result["config"]
    with transaction.atomic():
        connector.save()
        audit.record(actor, audit.AuditAction.CREATE, connector, _snapshot(connector))
    return connector


def update_connector(
    actor: Any,
    connector: Connector,
    *,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    enabled: bool | None = None,
) -> Connector:
    """Change a connector's name, config or switch. In ``config`` a secret given as None is kept."""
    _require(actor, connector.site)
    before = _snapshot(connector)
    old_config = dict(connector.config or {})
    if name is not None:
        connector.name = name.strip()
    result: dict[str, Any] = {"config": old_config}

    def check_config() -> None:
        if config is not None:
            merged = keep_secrets(connector.protocol, config, old_config)
            result["config"] = validate_config(connector.protocol, merged)

    try:
        _combined(lambda: _check_name(connector), check_config)
    except ValidationError:
        connector.refresh_from_db()
        raise
    connector.config = result["config"]
    if enabled is not None and enabled != connector.enabled:
        connector.enabled = enabled
        connector.status = ConnectorStatus.UNKNOWN if enabled else ConnectorStatus.DISABLED
        connector.status_detail = ""
        connector.status_at = timezone.now()
    with transaction.atomic():
        connector.save()
        changes = audit.diff(before, _snapshot(connector))
        for secret in secret_fields(connector.protocol):
            if old_config.get(secret) != connector.config.get(secret):
                hide = [MASK if old_config.get(secret) else "", MASK if connector.config.get(secret) else ""]
                changes[f"config.{secret}"] = hide
        if changes:
            audit.record(actor, audit.AuditAction.UPDATE, connector, changes)
    return connector


def set_enabled(actor: Any, connector: Connector, enabled: bool) -> Connector:
    """Switch a connector on or off (the stream starts or stops its coordinator)."""
    return update_connector(actor, connector, enabled=enabled)


def delete_connector(actor: Any, connector: Connector) -> None:
    """Remove a connector with its dead letters and inbox; the readings it delivered stay."""
    _require(actor, connector.site)
    with transaction.atomic():
        audit.record(actor, audit.AuditAction.DELETE, connector, _snapshot(connector))
        connector.delete()


def issue_gateway_key(actor: Any, connector: Connector) -> str:
    """A new API key for an HTTP gateway, returned once in plain text (only its hash is kept).
    The previous key stops working at once."""
    _require(actor, connector.site)
    if connector.protocol != Protocol.HTTP:
        raise ValidationError({"protocol": _("只有 HTTP 批量接口需要网关密钥。")})
    old_prefix = connector.key_prefix
    with transaction.atomic():
        plain = keys.issue_gateway_key(connector)
        audit.record_transition(actor, connector, "key_prefix", old_prefix, connector.key_prefix)
    return plain


@dataclass(frozen=True)
class TestResult:
    ok: bool
    message: str


def test_connection(
    actor: Any,
    *,
    site: Site,
    protocol: str,
    config: dict[str, Any] | None,
    connector: Connector | None = None,
) -> TestResult:
    """Try a configuration (saved or not) against the real source. Secrets given as None are taken
    from ``connector``. An invalid config raises ValidationError; a failed test is a result, not an error."""
    _require(actor, site)
    if connector is not None:
        if connector.site_id != site.pk or connector.protocol != protocol:
            raise ValidationError({"protocol": _("测试的配置与该数据接入不符。")})
        config = keep_secrets(protocol, dict(config or {}), connector.config or {})
    cleaned = validate_config(protocol, config)
    module = schema_module(protocol)
    probe = getattr(module, "test_connection", None) if module is not None else None
    if probe is None:
        return TestResult(True, _("该协议由设备主动推送数据，无需测试连接。"))
    model = config_model(protocol)
    assert model is not None
    try:
        ok, message = probe(model.model_validate(cleaned))
    except Exception as exc:  # a library surprise must reach the person as a message, never a 500
        logger.exception("test_connection for %s failed unexpectedly", protocol)
        return TestResult(False, _("测试时出错：%(error)s") % {"error": f"{type(exc).__name__}: {exc}"[:300]})
    return TestResult(bool(ok), str(message))


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


# --- history imports --------------------------------------------------------------------------
@dataclass(frozen=True)
class StagedImport:
    token: str
    filename: str
    preview: imports.Preview


def _staged_paths(site: Site, token: str) -> tuple[str, str]:
    if not TOKEN.match(token or ""):
        raise ValidationError({"token": _("导入文件已失效，请重新上传。")})
    base = f"{STAGED_DIR}/{site.pk}/{token}"
    return f"{base}.data", f"{base}.json"


def _clean_filename(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    return name[-200:] or "upload.csv"


def _sweep_staged(site: Site) -> None:
    """Remove uploads of this site that were previewed but never confirmed (older than a day)."""
    folder = f"{STAGED_DIR}/{site.pk}"
    try:
        _, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    limit = timezone.now() - STAGED_MAX_AGE
    for name in files:
        path = f"{folder}/{name}"
        try:
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
        except (FileNotFoundError, NotImplementedError, OSError):
            continue


def stage_import(actor: Any, *, site: Site, upload: Any) -> StagedImport:
    """Keep an uploaded file aside and preview it; nothing is imported until ``start_import``."""
    _require(actor, site)
    if upload is None:
        raise ValidationError({"file": _("请选择要导入的文件。")})
    filename = _clean_filename(getattr(upload, "name", ""))
    if not filename.lower().endswith(IMPORT_EXTENSIONS):
        raise ValidationError({"file": _("只支持 CSV（.csv）和 Excel（.xlsx）文件。")})
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise ValidationError({"file": _("文件是空的。")})
    if size > imports.max_upload_bytes():
        limit = imports.max_upload_bytes() // (1024 * 1024)
        raise ValidationError({"file": _("文件过大：最大 %(mb)d MB。") % {"mb": limit}})
    _sweep_staged(site)
    token = uuid.uuid4().hex
    data_path, meta_path = _staged_paths(site, token)
    default_storage.save(data_path, upload)
    meta = {"filename": filename, "user_id": getattr(actor, "pk", None), "site_id": site.pk, "size": size}
    default_storage.save(meta_path, _json_file(meta))
    return StagedImport(token, filename, staged_preview(actor, site=site, token=token))


def _json_file(data: dict[str, Any]) -> File:
    return File(io.BytesIO(json.dumps(data, ensure_ascii=False).encode()), name="meta.json")


def _staged_meta(actor: Any, site: Site, token: str) -> tuple[str, dict[str, Any]]:
    data_path, meta_path = _staged_paths(site, token)
    if not default_storage.exists(meta_path) or not default_storage.exists(data_path):
        raise ValidationError({"token": _("导入文件已失效，请重新上传。")})
    with default_storage.open(meta_path, "rb") as fh:
        meta = json.loads(fh.read().decode())
    if meta.get("site_id") != site.pk or (
        actor is not None and meta.get("user_id") != getattr(actor, "pk", None)
    ):
        raise PermissionDenied(_("您没有执行此操作的权限。"))
    return data_path, meta


def staged_preview(actor: Any, *, site: Site, token: str) -> imports.Preview:
    _require(actor, site)
    data_path, meta = _staged_meta(actor, site, token)
    with default_storage.open(data_path, "rb") as fh:
        return imports.preview(fh, meta["filename"], site.pk)


def discard_staged(actor: Any, *, site: Site, token: str) -> None:
    _require(actor, site)
    _data_path, _meta = _staged_meta(actor, site, token)
    for path in _staged_paths(site, token):
        default_storage.delete(path)


def start_import(actor: Any, *, site: Site, token: str) -> HistoryImport:
    """Turn a previewed upload into a queued import; the background task runs it after commit."""
    _require(actor, site)
    data_path, meta = _staged_meta(actor, site, token)
    history = HistoryImport(
        site=site,
        filename=meta["filename"],
        status=ImportStatus.QUEUED,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    with transaction.atomic():
        with default_storage.open(data_path, "rb") as fh:
            history.file.save(meta["filename"], File(fh), save=False)
        history.save()
        audit.record_create(actor, history)
        transaction.on_commit(partial(_enqueue_import, history.pk), robust=True)
    for path in _staged_paths(site, token):
        default_storage.delete(path)
    return history


def _enqueue_import(import_id: int) -> None:
    from anquan.streaming.tasks import import_history

    try:
        import_history.enqueue(import_id)
    except Exception:  # the queue being down must not lose the import silently
        logger.exception("could not enqueue history import %s", import_id)
        HistoryImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.FAILED, detail=_("无法提交后台任务，请稍后重试。"), updated_at=timezone.now()
        )
