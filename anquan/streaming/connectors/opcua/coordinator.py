"""Keeps one OPC UA subscription alive and hands its data changes to the pipeline.

The coordinator runs its own asyncio loop on its own thread. Data changes are collected by the
subscription handler and handed to ``sink.submit`` in batches (every ``flush_interval_s``), off the
loop so that back-pressure from the pipeline never stalls the session's keep-alives. When the
server cannot be reached or the session is lost, it says so through ``sink.set_status`` and tries
again after 1 s, 2 s, 4 s … up to 30 s between attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from anquan.streaming.choices import ConnectorStatus
from anquan.streaming.connectors.opcua import client
from anquan.streaming.connectors.opcua.mapping import Sample, split
from anquan.streaming.connectors.opcua.schema import OpcUaConfig
from anquan.streaming.types import Sink

logger = logging.getLogger(__name__)

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0


class Backoff:
    """1 s, 2 s, 4 s … capped at 30 s; reset after a successful connection."""

    def __init__(self, first: float = BACKOFF_FIRST_S, cap: float = BACKOFF_MAX_S) -> None:
        self.first, self.cap, self.current = first, cap, first

    def next(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.cap)
        return delay

    def reset(self) -> None:
        self.current = self.first


def problems_text(failed: list[client.ProbeResult]) -> str:
    missing = [f"{r.node_id}（{r.tag}）" for r in failed if r.problem == "missing"]
    other = [f"{r.node_id}（{r.tag}）：{r.problem}" for r in failed if r.problem != "missing"]
    parts = []
    if missing:
        parts.append(_("节点不存在：%(nodes)s") % {"nodes": "，".join(missing)})
    if other:
        parts.append(_("节点无法订阅：%(nodes)s") % {"nodes": "，".join(other)})
    return "；".join(parts)


class Coordinator:
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
        self.connector_id = connector_id
        self.site_id = site_id
        self.config = config if isinstance(config, OpcUaConfig) else OpcUaConfig.model_validate(config)
        self.sink = sink
        self.pki_dir = pki_dir
        interval = self.config.publishing_interval_ms / 1000
        self.flush_interval_s = flush_interval_s or min(max(interval, 0.05), 0.5)
        self.backoff = backoff or Backoff()
        self._pending: list[tuple[str, Sample]] = []
        self._thread: threading.Thread | None = None
        self._stop_requested = threading.Event()
        self._paused = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    # --- lifecycle (called from the stream's main thread) ------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"opcua-{self.connector_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_requested.set()
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def pause(self) -> None:
        """Stop handing readings to the pipeline (the stream is shutting down); ``stop`` follows."""
        self._paused.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the loop (on the coordinator's thread) ----------------------------------------------
    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:  # a bug: say so rather than dying silently
            logger.exception("OPC UA coordinator %s crashed", self.connector_id)
            self._set_status(ConnectorStatus.ERROR, _("采集线程异常退出，请查看日志。"))

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._stop_requested.is_set():
            return
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
                delay = self.backoff.next()
                await self._status(
                    ConnectorStatus.RECONNECTING,
                    _("无法连接：%(error)s；%(s)s 秒后重试。") % {"error": exc, "s": f"{delay:g}"},
                )
                await self._sleep(delay)
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
            delay = self.backoff.next()
            await self._status(
                ConnectorStatus.RECONNECTING,
                _("连接中断：%(error)s；%(s)s 秒后重连。")
                % {"error": reason or _("服务器无响应"), "s": f"{delay:g}"},
            )
            await self._sleep(delay)

    async def _sleep(self, seconds: float) -> None:
        assert self._stop is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

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
        readings, rejects = split(items)
        try:
            await asyncio.to_thread(self.sink.submit, self.connector_id, readings, rejects)
        except Exception:
            logger.exception("OPC UA connector %s: the pipeline refused a batch", self.connector_id)

    async def _status(self, status: str, detail: str = "") -> None:
        await asyncio.to_thread(self._set_status, status, detail)

    def _set_status(self, status: str, detail: str = "") -> None:
        try:
            self.sink.set_status(self.connector_id, status, detail[:500])
        except Exception:
            logger.exception("OPC UA connector %s: could not record its status", self.connector_id)
