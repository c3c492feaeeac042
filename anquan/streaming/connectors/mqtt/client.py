"""The only module that imports paho-mqtt: an MQTT 5 connection with a persistent session and manual acks.

``Connection`` runs paho's network loop on its own thread (``loop_start``), reconnects by itself with
a bounded back-off (1 s doubling to 30 s) and reports what happens through plain callbacks. Messages
are acknowledged only when ``ack`` is called — after the pipeline has stored them — and an ack made
for a message of an earlier connection is dropped (the broker delivers that message again after a
reconnect, and its packet id may by then name another message).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

logger = logging.getLogger(__name__)

SCHEMES = {"mqtt": (1883, False), "tcp": (1883, False), "mqtts": (8883, True), "ssl": (8883, True)}
BACKOFF_FIRST_S = 1
BACKOFF_MAX_S = 30
# How many unacknowledged messages the broker may send us at once (MQTT 5 "Receive Maximum"). The
# broker's own default for clients that do not say is tiny (Mosquitto: 20), which caps the rate at
# 20 messages per pipeline flush; the pipeline's bounded buffer is the real limit.
RECEIVE_MAXIMUM = 65535


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool = False
    username: str = ""
    password: str = ""

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_url(url: str, *, username: str = "", password: str = "") -> Broker:
    """``mqtt://[user[:password]@]host[:port]`` (also ``mqtts://`` for TLS). Raises ValueError."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise ValueError("scheme")
    if not parts.hostname:
        raise ValueError("host")
    default_port, tls = SCHEMES[parts.scheme]
    port = parts.port or default_port  # raises ValueError on a malformed port
    return Broker(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=username or unquote(parts.username or ""),
        password=password or unquote(parts.password or ""),
    )


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    qos: int
    ack: Callable[[], None] | None  # acknowledge it (QoS ≥ 1); a no-op once the connection changed


class Connection:
    """One MQTT 5 client. Callbacks run on paho's network thread and must not raise."""

    def __init__(
        self,
        broker: Broker,
        *,
        client_id: str,
        subscriptions: Sequence[str] = (),
        qos: int = 1,
        clean_start: bool = False,
        session_expiry_s: int = 86400,
        keepalive_s: int = 30,
        on_message: Callable[[Message], None] | None = None,
        on_connected: Callable[[bool], None] | None = None,
        on_disconnected: Callable[[str], None] | None = None,
        on_subscribe_refused: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.broker = broker
        self.client_id = client_id
        self.subscriptions = list(subscriptions)
        self.qos = qos
        self.session_expiry_s = session_expiry_s
        self.clean_start = clean_start
        self.keepalive_s = keepalive_s
        self._on_message = on_message
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._on_subscribe_refused = on_subscribe_refused
        self._generation = 0
        self._connected = threading.Event()
        self._sub_mids: dict[int, list[str]] = {}
        self._lock = threading.Lock()
        self._started = False

        c = paho.Client(
            paho.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5,
            manual_ack=True,
        )
        c.reconnect_delay_set(BACKOFF_FIRST_S, BACKOFF_MAX_S)
        c.max_inflight_messages_set(1000)  # our own publishes (partition forwarding)
        c.max_queued_messages_set(0)
        if broker.username:
            c.username_pw_set(broker.username, broker.password or None)
        if broker.tls:
            c.tls_set_context(ssl.create_default_context())
        c.on_connect = self._handle_connect
        c.on_disconnect = self._handle_disconnect
        c.on_connect_fail = self._handle_connect_fail
        c.on_message = self._handle_message
        c.on_subscribe = self._handle_subscribe
        self._client = c
        self.last_error = ""

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry_s
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        self._client.connect_async(
            self.broker.host,
            self.broker.port,
            keepalive=self.keepalive_s,
            clean_start=self.clean_start,
            properties=props,
        )
        self._client.loop_start()
        self._started = True

    def stop(self) -> None:
        """Disconnect (the broker keeps the session and unacknowledged messages) and end the loop."""
        if not self._started:
            return
        self._started = False
        with self._lock:
            self._generation += 1  # acks arriving from now on belong to no connection
        try:
            self._client.disconnect()
        except Exception:  # already down
            logger.debug("MQTT %s: disconnect failed", self.client_id, exc_info=True)
        self._client.loop_stop()
        self._connected.clear()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # --- publishing ----------------------------------------------------------------------------
    def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, timeout: float = 10.0, expiry_s: int | None = None
    ) -> bool:
        """Publish and wait for the broker's acknowledgement (QoS 1). False when it did not come.
        ``expiry_s``: the broker drops the message if no subscriber took it by then (MQTT 5)."""
        props = None
        if expiry_s is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.MessageExpiryInterval = expiry_s
        info = self._client.publish(topic, payload, qos=qos, properties=props)
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

    # --- paho callbacks (network thread) -------------------------------------------------------
    def _handle_connect(self, client: Any, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        if reason.is_failure:
            self.last_error = str(reason)
            self._notify_disconnected(str(reason))
            return
        with self._lock:
            self._generation += 1
        self._connected.set()
        self.last_error = ""
        if self.subscriptions:
            result, mid = client.subscribe([(t, self.qos) for t in self.subscriptions])
            if result == paho.MQTT_ERR_SUCCESS and mid is not None:
                self._sub_mids[mid] = list(self.subscriptions)
        if self._on_connected is not None:
            self._safe(self._on_connected, bool(getattr(flags, "session_present", False)))

    def _handle_subscribe(
        self, client: Any, userdata: Any, mid: int, reasons: list[ReasonCode], props: Any
    ) -> None:
        topics = self._sub_mids.pop(mid, [])
        refused = [t for t, r in zip(topics, reasons, strict=False) if r.is_failure]
        if refused and self._on_subscribe_refused is not None:
            self._safe(self._on_subscribe_refused, refused)

    def _handle_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        self._connected.clear()
        if self._started:
            self._notify_disconnected(str(reason))

    def _handle_connect_fail(self, client: Any, userdata: Any) -> None:
        self._connected.clear()
        self._notify_disconnected("")

    def _notify_disconnected(self, reason: str) -> None:
        if self._on_disconnected is not None:
            self._safe(self._on_disconnected, reason)

    def _handle_message(self, client: Any, userdata: Any, msg: Any) -> None:
        ack: Callable[[], None] | None = None
        if msg.qos > 0:
            generation, mid, qos = self._generation, msg.mid, msg.qos

            def ack() -> None:
                with self._lock:
                    if generation != self._generation:
                        return
                    self._client.ack(mid, qos)

        message = Message(topic=msg.topic, payload=msg.payload, qos=msg.qos, ack=ack)
        if self._on_message is not None:
            self._safe(self._on_message, message)

    def _safe(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # never let a callback kill paho's network thread
            logger.exception("MQTT %s: callback failed", self.client_id)


def probe(
    broker: Broker, topics: Sequence[str], *, qos: int = 1, timeout_s: float = 5.0
) -> tuple[bool, str, list[str]]:
    """Connect with a throwaway clean session and subscribe once.

    Returns (connected, error text, refused topics)."""
    done = threading.Event()
    state: dict[str, Any] = {"error": "", "refused": [], "connected": False}

    def on_connect(client: Any, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        if reason.is_failure:
            state["error"] = str(reason)
            done.set()
            return
        state["connected"] = True
        if not topics:
            done.set()
            return
        client.subscribe([(t, qos) for t in topics])

    def on_subscribe(client: Any, userdata: Any, mid: int, reasons: list[ReasonCode], props: Any) -> None:
        state["refused"] = [t for t, r in zip(topics, reasons, strict=False) if r.is_failure]
        done.set()

    def on_connect_fail(client: Any, userdata: Any) -> None:
        state["error"] = "connection refused or unreachable"
        done.set()

    c = paho.Client(
        paho.CallbackAPIVersion.VERSION2,
        client_id=f"anquan-probe-{time.monotonic_ns() % 10**9}",
        protocol=paho.MQTTv5,
    )
    if broker.username:
        c.username_pw_set(broker.username, broker.password or None)
    if broker.tls:
        c.tls_set_context(ssl.create_default_context())
    c.on_connect = on_connect
    c.on_subscribe = on_subscribe
    c.on_connect_fail = on_connect_fail
    try:
        c.connect(broker.host, broker.port, keepalive=10, clean_start=True)
    except (OSError, ValueError) as exc:
        return False, str(exc) or exc.__class__.__name__, []
    c.loop_start()
    try:
        if not done.wait(timeout_s):
            return state["connected"], "timeout", []
        return state["connected"], state["error"], state["refused"]
    finally:
        c.disconnect()
        c.loop_stop()
