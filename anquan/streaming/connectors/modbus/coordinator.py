"""Polls one Modbus TCP device and hands the engineering values to the pipeline.

The coordinator runs its own asyncio loop on its own thread and reads the register map at a fixed
rate (every ``poll_interval_s``, measured from the start of each poll). All values of a poll carry
the same timestamp. A read the device refuses (a Modbus exception such as an illegal address) is
recorded once as dead letters for its tags when it starts failing and shown in the connector's
status until it recovers; a lost connection is retried after 1 s, 2 s, 4 s … up to 30 s.
"""

from __future__ import annotations

import time
from typing import Any

from django.utils.translation import gettext as _

from anquan.streaming.choices import ConnectorStatus
from anquan.streaming.connectors.asyncloop import AsyncCoordinator, Backoff
from anquan.streaming.connectors.modbus import client, mapping
from anquan.streaming.connectors.modbus.schema import ModbusConfig
from anquan.streaming.types import RawReading, Reject, Sink


class Coordinator(AsyncCoordinator):
    protocol, label = "modbus", "Modbus"

    def __init__(
        self,
        connector_id: int,
        site_id: int,
        config: ModbusConfig | dict[str, Any],
        sink: Sink,
        *,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(connector_id, site_id, sink, backoff)
        self.config = config if isinstance(config, ModbusConfig) else ModbusConfig.model_validate(config)
        self.blocks = mapping.plan(self.config.registers)
        self.failing: dict[int, str] = {}  # block index → why its last read failed
        self.polls = 0

    async def _session(self) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            try:
                device = await client.connect(self.config)
            except client.ConnectError as exc:
                await self._retry_later(_("无法连接：%(error)s") + _("；%(s)s 秒后重试。"), exc)
                continue
            self.backoff.reset()
            self.failing.clear()
            await self._status(ConnectorStatus.CONNECTED, "")
            try:
                await self._poll_forever(device)
            except client.ConnectError as exc:
                device.close()
                await self._retry_later(_("连接中断：%(error)s") + _("；%(s)s 秒后重试。"), exc)
                continue
            device.close()

    async def _poll_forever(self, device: Any) -> None:
        assert self._stop is not None
        interval = self.config.poll_interval_s
        next_at = time.monotonic()
        while not self._stop.is_set():
            await self.poll_once(device)
            next_at += interval
            now = time.monotonic()
            if next_at < now:  # a slow device: skip the polls that are already late
                next_at = now
            await self._sleep(next_at - now)

    async def poll_once(self, device: Any) -> None:
        """Read every block once and submit the readings (and the rejects of reads that began failing)."""
        if self._paused.is_set():
            return
        ts = int(time.time() * 1000)
        readings: list[RawReading] = []
        rejects: list[Reject] = []
        changed = False
        for index, block in enumerate(self.blocks):
            try:
                values = await client.read_block(device, block, self.config.unit_id)
            except client.ReadError as exc:
                if self.failing.get(index) != str(exc):
                    rejects += mapping.failed(block, ts, str(exc))
                    self.failing[index] = str(exc)
                    changed = True
                continue
            if self.failing.pop(index, None) is not None:
                changed = True
            readings += mapping.readings(block, values, ts)
        self.polls += 1
        if readings or rejects:
            await self._submit(readings, rejects)
        if changed:
            await self._status(ConnectorStatus.CONNECTED, self.problems_text())

    def problems_text(self) -> str:
        parts = [
            _("读取失败（%(tags)s）：%(error)s") % {"tags": "，".join(self.blocks[i].tags), "error": error}
            for i, error in sorted(self.failing.items())
        ]
        return "；".join(parts)
