"""Keeps one OPC UA subscription alive and hands its data changes to the pipeline.

The coordinator runs its own asyncio loop on its own thread. Data changes are collected by the
subscription handler and handed to ``sink.submit`` in batches (every ``flush_interval_s``), off the
loop so that back-pressure from the pipeline never stalls the session's keep-alives. When the
server cannot be reached or the session is lost, it says so through ``sink.set_status`` and tries
again after 1 s, 2 s, 4 s … up to 30 s between attempts.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from anquan.streaming.choices import ConnectorStatus
from anquan.streaming.connectors.asyncloop import AsyncCoordinator, Backoff
from anquan.streaming.connectors.opcua import client
from anquan.streaming.connectors.opcua.mapping import Sample, split
from anquan.streaming.connectors.opcua.schema import OpcUaConfig
from anquan.streaming.types import Sink


def problems_text(failed: list[client.ProbeResult]) -> str:
    missing = [f"{r.node_id}（{r.tag}）" for r in failed if r.problem == "missing"]
    other = [f"{r.node_id}（{r.tag}）：{r.problem}" for r in failed if r.problem != "missing"]
    parts = []
    if missing:
        parts.append(_("节点不存在：%(nodes)s") % {"nodes": "，".join(missing)})
    if other:
        parts.append(_("节点无法订阅：%(nodes)s") % {"nodes": "，".join(other)})
    return "；".join(parts)


class Coordinator(AsyncCoordinator):
    protocol, label = "opcua", "OPC UA"

    def __init__(
        self,
        connector_id: int,
        site_id: int,
        config: OpcUaConfig | dict[str, Any],
        sink: Sink,
        *,
        pki_dir: Path | None = None,
        flush_interval_s: float | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(connector_id, site_id, sink, backoff)
        self.config = config if isinstance(config, OpcUaConfig) else OpcUaConfig.model_validate(config)
        self.pki_dir = pki_dir
        interval = self.config.publishing_interval_ms / 1000
        self.flush_interval_s = flush_interval_s or min(max(interval, 0.05), 0.5)
        self._pending: list[tuple[str, Sample]] = []

    async def _session(self) -> None:
        flusher = asyncio.create_task(self._flush_forever())
        try:
            await self._connect_forever()
        finally:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
            await self._flush()

    async def _connect_forever(self) -> None:
        assert self._stop is not None
        pki_dir = self.pki_dir or client.default_pki_dir()
        while not self._stop.is_set():
            session = client.Session(self.config, self._on_sample, pki_dir=pki_dir)
            try:
                failed = await session.open()
            except client.ConnectError as exc:
                await self._retry_later(_("无法连接：%(error)s；%(s)s 秒后重试。"), exc)
                continue
            self.backoff.reset()
            await self._status(ConnectorStatus.CONNECTED, problems_text(failed))
            waiters = [asyncio.ensure_future(self._stop.wait()), asyncio.ensure_future(session.lost.wait())]
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            reason = session.lost_reason
            await session.close()
            if self._stop.is_set():
                break
            await self._retry_later(_("连接中断：%(error)s；%(s)s 秒后重连。"), reason or _("服务器无响应"))

    def _on_sample(self, tag: str, sample: Sample) -> None:
        self._pending.append((tag, sample))

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval_s)
            await self._flush()

    async def _flush(self) -> None:
        if not self._pending or self._paused.is_set():
            return
        items, self._pending = self._pending, []
        await self._submit(*split(items))
