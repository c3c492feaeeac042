"""The only module that imports asyncua: sessions, subscriptions and one-off reads for the coordinator
and the "test connection" step. Everything leaving this module is plain Python data (``Sample``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncua import Client, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from asyncua.ua.uaerrors import UaError, UaStatusCodeError
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from anquan.streaming.connectors.asyncloop import run_sync
from anquan.streaming.connectors.opcua.mapping import Sample
from anquan.streaming.connectors.opcua.schema import OpcUaConfig

APPLICATION_URI = "urn:anquan:opcua:client"
CERT_FILE, KEY_FILE = "anquan-client-cert.der", "anquan-client-key.pem"
_cert_lock = threading.Lock()

# Status codes people meet when configuring a server, explained in the message shown in the UI.
EXPLAINED = {
    "BadUserAccessDenied": gettext_noop("用户名或密码错误，或服务器不允许该用户登录"),
    "BadIdentityTokenInvalid": gettext_noop("服务器不接受该登录方式（匿名或用户名密码）"),
    "BadIdentityTokenRejected": gettext_noop("服务器拒绝了登录凭据"),
    "BadSecurityChecksFailed": gettext_noop("安全检查失败：请在服务器上信任本平台的客户端证书"),
    "BadCertificateUntrusted": gettext_noop("服务器不信任本平台的客户端证书"),
    "BadSecurityPolicyRejected": gettext_noop("服务器不支持所选的安全策略"),
    "BadNodeIdUnknown": gettext_noop("节点不存在"),
    "BadNodeIdInvalid": gettext_noop("节点 ID 无效"),
    "BadNotReadable": gettext_noop("节点不可读"),
    "BadTooManySessions": gettext_noop("服务器会话数已满"),
    "BadTimeout": gettext_noop("请求超时"),
}


class ConnectError(Exception):
    """Connecting or opening the session failed; the message is meant for the person configuring it."""


@dataclass(frozen=True, slots=True)
class ProbeResult:
    node_id: str
    tag: str
    value: Any = None
    problem: str = ""  # "" (readable), "missing", or why it could not be read


def default_pki_dir() -> Path:
    """Where the platform keeps its OPC UA client key and certificate (created on first use)."""
    from django.conf import settings

    return Path(settings.DATA_DIR) / "opcua"


def describe(exc: BaseException) -> str:
    """A short, human explanation of a connection or read failure."""
    if isinstance(exc, UaStatusCodeError):
        name = ua.StatusCode(exc.code).name
        explained = EXPLAINED.get(name)
        return f"{name}（{_(explained)}）" if explained else name
    if isinstance(exc, ConnectionRefusedError):
        return _("连接被拒绝（端口未开放或服务未启动）")
    if isinstance(exc, ConnectionError):
        return _("与服务器的连接已断开")
    if isinstance(exc, socket.gaierror):
        return _("无法解析主机名")
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return _("连接超时")
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _ms(value: dt.datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if value.year < 1971:  # OPC UA's "no timestamp" is 1601-01-01
        return None
    return int(value.timestamp() * 1000)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, ua.LocalizedText):
        return value.Text
    return str(value)


def sample_of(dv: ua.DataValue) -> Sample:
    status = dv.StatusCode if dv.StatusCode is not None else ua.StatusCode(ua.UInt32(ua.StatusCodes.Good))
    quality = "bad" if status.is_bad() else "uncertain" if status.is_uncertain() else "good"
    value = dv.Value.Value if dv.Value is not None else None
    return Sample(
        value=_plain(value),
        quality=quality,
        status=status.name,
        source_ts=_ms(dv.SourceTimestamp),
        server_ts=_ms(dv.ServerTimestamp),
    )


def canonical_node_id(node_id: str) -> str:
    return str(ua.NodeId.from_string(node_id).to_string())


async def _secure(client: Client, cfg: OpcUaConfig, pki_dir: Path) -> None:
    with _cert_lock:  # one certificate per installation, made the first time it is needed
        await _ensure_certificate(pki_dir)
    key_file, cert_file = pki_dir / KEY_FILE, pki_dir / CERT_FILE
    mode = (
        ua.MessageSecurityMode.Sign if cfg.security_mode == "sign" else ua.MessageSecurityMode.SignAndEncrypt
    )
    await client.set_security(SecurityPolicyBasic256Sha256, str(cert_file), str(key_file), mode=mode)


async def connect(cfg: OpcUaConfig, *, pki_dir: Path, timeout_s: float = 8.0) -> Client:
    """A connected client with an active session; raises ConnectError with the reason."""
    client = Client(cfg.endpoint, timeout=timeout_s, watchdog_intervall=max(1.0, min(timeout_s, 5.0)))
    client.application_uri = APPLICATION_URI
    client.name = client.description = "Anquan"
    if cfg.username:
        client.set_user(cfg.username)
        client.set_password(cfg.password)
    try:
        async with asyncio.timeout(timeout_s * 2):
            if cfg.security == "basic256sha256":
                await _secure(client, cfg, pki_dir)
            await client.connect()
    except (OSError, UaError, TimeoutError) as exc:
        await _close_quietly(client)
        raise ConnectError(describe(exc)) from exc
    return client


async def _close_quietly(client: Client) -> None:
    try:
        async with asyncio.timeout(3):
            await client.disconnect()
    except Exception:  # closing a half-open or already broken session: nothing more to do
        try:
            client.disconnect_socket()
        except Exception:  # already closed
            return


async def probe(cfg: OpcUaConfig, *, pki_dir: Path, timeout_s: float = 8.0) -> list[ProbeResult]:
    """Connect and read each configured node once."""
    client = await connect(cfg, pki_dir=pki_dir, timeout_s=timeout_s)
    results: list[ProbeResult] = []
    try:
        for mapping in cfg.nodes:
            node = client.get_node(mapping.node_id)
            try:
                async with asyncio.timeout(timeout_s):
                    dv = await node.read_data_value()
            except UaStatusCodeError as exc:
                name = ua.StatusCode(exc.code).name
                problem = "missing" if name == "BadNodeIdUnknown" else describe(exc)
                results.append(ProbeResult(mapping.node_id, mapping.tag, problem=problem))
                continue
            except TimeoutError as exc:
                results.append(ProbeResult(mapping.node_id, mapping.tag, problem=describe(exc)))
                continue
            sample = sample_of(dv)
            if sample.quality == "bad":
                results.append(ProbeResult(mapping.node_id, mapping.tag, problem=sample.status))
            else:
                results.append(ProbeResult(mapping.node_id, mapping.tag, value=sample.value))
    finally:
        await _close_quietly(client)
    return results


class _Handler:
    def __init__(self, session: Session) -> None:
        self.session = session

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        tag = self.session.tags.get(node.nodeid.to_string())
        if tag is not None:
            self.session.on_sample(tag, sample_of(data.monitored_item.Value))

    def status_change_notification(self, status: Any) -> None:
        code = getattr(status, "Status", None)
        if code is not None and code.is_bad():
            self.session.lost.set()


class Session:
    """A connected client with one subscription over the configured nodes.

    ``on_sample(tag, sample)`` is called on the event loop for every data change (including the
    initial value of each node); ``lost`` is set when the server goes away.
    """

    def __init__(self, cfg: OpcUaConfig, on_sample: Callable[[str, Sample], None], *, pki_dir: Path) -> None:
        self.cfg = cfg
        self.on_sample = on_sample
        self.pki_dir = pki_dir
        self.lost = asyncio.Event()
        self.tags = {canonical_node_id(n.node_id): n.tag for n in cfg.nodes}
        self.client: Client | None = None
        self.lost_reason = ""

    async def open(self, timeout_s: float = 8.0) -> list[ProbeResult]:
        """Connect and subscribe; returns the nodes that could not be subscribed, with the reason."""
        self.client = await connect(self.cfg, pki_dir=self.pki_dir, timeout_s=timeout_s)

        async def connection_lost(exc: Exception) -> None:
            self.lost_reason = describe(exc)
            self.lost.set()

        self.client.connection_lost_callback = connection_lost
        try:
            interval = float(self.cfg.publishing_interval_ms)
            subscription = await self.client.create_subscription(interval, _Handler(self))
            nodes = [self.client.get_node(n.node_id) for n in self.cfg.nodes]
            handles = await subscription.subscribe_data_change(nodes, sampling_interval=ua.Double(interval))
        except (OSError, UaError, TimeoutError) as exc:
            await self.close()
            raise ConnectError(describe(exc)) from exc
        failed: list[ProbeResult] = []
        for mapping, handle in zip(self.cfg.nodes, handles, strict=True):
            if isinstance(handle, ua.StatusCode):
                problem = "missing" if handle.name == "BadNodeIdUnknown" else handle.name
                failed.append(ProbeResult(mapping.node_id, mapping.tag, problem=problem))
        return failed

    async def close(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            await _close_quietly(client)


async def _ensure_certificate(pki_dir: Path) -> bytes:
    pki_dir.mkdir(parents=True, exist_ok=True)
    key_file, cert_file = pki_dir / KEY_FILE, pki_dir / CERT_FILE
    await setup_self_signed_certificate(
        key_file,
        cert_file,
        APPLICATION_URI,
        socket.gethostname(),
        [ExtendedKeyUsageOID.CLIENT_AUTH],
        {"commonName": "Anquan OPC UA client", "organizationName": "Anquan"},
    )
    return cert_file.read_bytes()


def client_certificate(pki_dir: Path) -> bytes:
    """The platform's client certificate (DER), made on first use; servers using Basic256Sha256
    must trust it."""
    with _cert_lock:
        return run_sync(_ensure_certificate(pki_dir))
