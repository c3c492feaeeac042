"""The only module that imports pymodbus: connecting and reading blocks of registers or bits."""

from __future__ import annotations

import asyncio
import socket

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from anquan.streaming.connectors.asyncloop import run_sync as run_sync  # for schema.test_connection
from anquan.streaming.connectors.modbus import mapping
from anquan.streaming.connectors.modbus.schema import ModbusConfig

# Modbus exception codes (Modbus Application Protocol V1.1b3 §7), as shown in status and dead letters.
EXCEPTION_CODES = {
    1: gettext_noop("非法功能码"),
    2: gettext_noop("非法数据地址"),
    3: gettext_noop("非法数据值"),
    4: gettext_noop("从站设备故障"),
    5: gettext_noop("确认（处理中）"),
    6: gettext_noop("从站设备忙"),
    8: gettext_noop("存储奇偶校验错误"),
    10: gettext_noop("网关路径不可用"),
    11: gettext_noop("网关目标设备无响应"),
}


class ConnectError(Exception):
    """The device could not be reached, or stopped answering: reconnect."""


class ReadError(Exception):
    """The device answered a read with a Modbus exception (e.g. an illegal data address)."""


def exception_text(code: int) -> str:
    meaning = EXCEPTION_CODES.get(code)
    return _("Modbus 异常 %(code)d：%(meaning)s") % {"code": code, "meaning": _(meaning) if meaning else "?"}


async def connect(cfg: ModbusConfig, *, timeout_s: float | None = None) -> AsyncModbusTcpClient:
    timeout = timeout_s or cfg.timeout_s
    client = AsyncModbusTcpClient(
        cfg.host, port=cfg.port, timeout=timeout, retries=1, reconnect_delay=0, name=f"anquan-{cfg.host}"
    )
    try:
        async with asyncio.timeout(timeout + 1):
            ok = await client.connect()
    except (OSError, TimeoutError, ModbusException) as exc:
        client.close()
        raise ConnectError(_describe(exc)) from exc
    if not ok or not client.connected:
        client.close()
        raise ConnectError(await asyncio.to_thread(_refused_or_unreachable, cfg))
    return client


def _refused_or_unreachable(cfg: ModbusConfig) -> str:
    """pymodbus only says "not connected"; find out why with a plain socket, for a useful message."""
    try:
        with socket.create_connection((cfg.host, cfg.port), timeout=cfg.timeout_s):
            return _("连接后立即被关闭")
    except ConnectionRefusedError:
        return _("连接被拒绝（端口未开放或服务未启动）")
    except socket.gaierror:
        return _("无法解析主机名")
    except TimeoutError:
        return _("连接超时")
    except OSError as exc:
        return exc.strerror or str(exc)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return _("连接被拒绝（端口未开放或服务未启动）")
    if isinstance(exc, socket.gaierror):
        return _("无法解析主机名")
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return _("连接超时")
    if isinstance(exc, ModbusIOException):
        return _("设备无响应")
    if isinstance(exc, ConnectionException):
        return _("与设备的连接已断开")
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return f"{type(exc).__name__}: {exc}"


async def read_block(
    client: AsyncModbusTcpClient, block: mapping.Block, unit_id: int
) -> list[int] | list[bool]:
    """The values of ``block``: registers (ints) or bits (bools)."""
    start, count = block.start, block.count
    try:
        if block.register_type == "holding":
            response = await client.read_holding_registers(start, count=count, device_id=unit_id)
        elif block.register_type == "input":
            response = await client.read_input_registers(start, count=count, device_id=unit_id)
        elif block.register_type == "coil":
            response = await client.read_coils(start, count=count, device_id=unit_id)
        else:
            response = await client.read_discrete_inputs(start, count=count, device_id=unit_id)
    except (ModbusException, OSError, TimeoutError) as exc:
        raise ConnectError(_describe(exc)) from exc
    if response.isError():
        raise ReadError(exception_text(int(getattr(response, "exception_code", 0))))
    if block.register_type in ("coil", "discrete"):
        return list(response.bits[: block.count])
    return list(response.registers[: block.count])


async def probe(
    cfg: ModbusConfig, *, timeout_s: float | None = None
) -> tuple[list[tuple[str, float]], list[tuple[list[str], str]]]:
    """Read the whole map once: ([(tag, engineering value)], [(tags of a failed read, why)])."""
    client = await connect(cfg, timeout_s=timeout_s)
    values: list[tuple[str, float]] = []
    failures: list[tuple[list[str], str]] = []
    try:
        for block in mapping.plan(cfg.registers):
            try:
                raw = await read_block(client, block, cfg.unit_id)
            except ReadError as exc:
                failures.append((block.tags, str(exc)))
                continue
            values += [(p.tag, mapping.value_of(p, block, raw)) for p in block.points]
    finally:
        client.close()
    return values, failures
