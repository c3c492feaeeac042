"""Keeps one MQTT subscription alive and hands each message to the pipeline.

- MQTT 5 with a persistent session (clean start off, session expiry from the config) and QoS 1: while
  the stream is down or slow, the broker holds the messages; a restarted stream receives them.
- Manual acknowledgement: a message is acknowledged only after the pipeline stored its readings (or
  dead-lettered them). ``sink.submit`` blocks when the pipeline's buffer is full; paho's network
  thread then stops reading, and the broker keeps what it has not delivered.
- Several stream workers (ANQUAN_STREAM_WORKERS > 1) share the topics through MQTT 5 shared
  subscriptions ``$share/<ANQUAN_INSTANCE>-<connector id>/<topic>``, each worker with its own client id.
- Reconnects by itself, 1 s doubling to 30 s between attempts, and reports its status.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from anquan.streaming.choices import ConnectorStatus
from anquan.streaming.connectors.mqtt import client
from anquan.streaming.connectors.mqtt.mapping import map_payload
from anquan.streaming.connectors.mqtt.schema import MqttConfig
from anquan.streaming.types import Sink

logger = logging.getLogger(__name__)


def shared_topic(connector_id: int, topic: str) -> str:
    return f"$share/{settings.ANQUAN_INSTANCE}-{connector_id}/{topic}"


class Coordinator:
    def __init__(
        self,
        connector_id: int,
        site_id: int,
        config: MqttConfig | dict[str, Any],
        sink: Sink,
        *,
        workers: int | None = None,
        worker_index: int | None = None,
    ) -> None:
        self.connector_id = connector_id
        self.site_id = site_id
        self.config = config if isinstance(config, MqttConfig) else MqttConfig.model_validate(config)
        self.sink = sink
        self.workers = workers if workers is not None else settings.ANQUAN_STREAM_WORKERS
        self.worker_index = worker_index if worker_index is not None else settings.ANQUAN_STREAM_WORKER_INDEX
        self.max_bytes = settings.ANQUAN_INGEST_MAX_PAYLOAD_KB * 1024
        self._paused = threading.Event()
        self._connection: client.Connection | None = None
        self.messages = 0

    @property
    def client_id(self) -> str:
        base = self.config.client_id or f"{settings.ANQUAN_INSTANCE}-{self.connector_id}"
        return f"{base}-w{self.worker_index}" if self.workers > 1 else base

    @property
    def topics(self) -> list[str]:
        if self.workers > 1:
            return [shared_topic(self.connector_id, t) for t in self.config.topics]
        return list(self.config.topics)

    # --- lifecycle (called from the stream's main thread) ------------------------------------
    def start(self) -> None:
        if self._connection is not None:
            return
        try:
            broker = client.parse_url(
                self.config.broker_url(), username=self.config.username, password=self.config.password
            )
        except ValueError:
            self._status(
                ConnectorStatus.ERROR,
                _("MQTT 代理服务器地址无效：%(url)s") % {"url": self.config.broker_url()},
            )
            return
        self._broker = broker
        self._connection = client.Connection(
            broker,
            client_id=self.client_id,
            subscriptions=self.topics,
            qos=self.config.qos,
            clean_start=False,
            session_expiry_s=self.config.session_expiry_s,
            on_message=self._on_message,
            on_connected=self._on_connected,
            on_disconnected=self._on_disconnected,
            on_subscribe_refused=self._on_refused,
        )
        self._paused.clear()
        self._connection.start()

    def pause(self) -> None:
        """Stop handing messages on (shutdown): they stay unacknowledged and the broker keeps them."""
        self._paused.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._paused.set()
        if self._connection is not None:
            self._connection.stop()
            self._connection = None

    @property
    def running(self) -> bool:
        return self._connection is not None

    def wait_connected(self, timeout: float) -> bool:
        return self._connection is not None and self._connection.wait_connected(timeout)

    # --- callbacks (paho's network thread) ---------------------------------------------------
    def _on_message(self, message: client.Message) -> None:
        if self._paused.is_set():
            return  # not acknowledged: delivered again after the restart
        received_ms = time.time_ns() // 1_000_000
        readings, rejects = map_payload(message.payload, received_ms=received_ms, max_bytes=self.max_bytes)
        self.messages += 1
        try:
            self.sink.submit(self.connector_id, readings, rejects, ack=message.ack)
        except Exception:
            if self._paused.is_set():
                return  # the pipeline stopped while this waited for room: delivered again after the restart
            raise

    def _on_connected(self, session_present: bool) -> None:
        logger.info(
            "MQTT connector %s connected to %s as %s (session %s)",
            self.connector_id,
            self._broker,
            self.client_id,
            "resumed" if session_present else "new",
        )
        self._status(
            ConnectorStatus.CONNECTED,
            _("已连接到 %(url)s，订阅：%(topics)s")
            % {"url": self._broker, "topics": "，".join(self.config.topics)},
        )

    def _on_disconnected(self, reason: str) -> None:
        logger.warning(
            "MQTT connector %s: not connected to %s (%s)", self.connector_id, self._broker, reason or "-"
        )
        self._status(
            ConnectorStatus.RECONNECTING,
            _("与 %(url)s 的连接中断或无法建立（%(reason)s），将以 1～30 秒的间隔重试。")
            % {"url": self._broker, "reason": reason or _("无法连接")},
        )

    def _on_refused(self, topics: list[str]) -> None:
        logger.error("MQTT connector %s: subscription refused for %s", self.connector_id, topics)
        self._status(ConnectorStatus.ERROR, _("订阅被拒绝：%(topics)s") % {"topics": "，".join(topics)})

    def _status(self, status: str, detail: str = "") -> None:
        try:
            self.sink.set_status(self.connector_id, status, detail[:500])
        except Exception:
            logger.exception("MQTT connector %s: could not record its status", self.connector_id)
