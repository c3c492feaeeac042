"""Publisher processes of the benchmarks (one process each, so they do not share the GIL with the
measuring side). The spec comes as JSON on the command line:

    python -m benchmarks.publish '{"via": "mqtt", "style": "batch", "size": 1000, ...}'

The process prepares every payload first (encoding is not what is measured), connects, prints
``ready`` and waits for a line on stdin; then it publishes everything as fast as the transport lets
it and prints one JSON line: ``{"first": wall time of the first publish, "sent": …, "acked": wall
time the last acknowledgement came, "messages": n, "readings": n, "errors": n}``.

``via``: ``mqtt`` (QoS 1, ``window`` messages in flight), ``http`` (``POST /api/v1/ingest`` with the
gateway key, ``threads`` connections, each owning its share of the tags) or ``paced`` (MQTT at
``rate`` readings/s in scans of all tags stamped with the time of sending, until stdin closes or says
``stop``: the background load of the latency benchmark).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import orjson

from benchmarks import workload


def _mqtt_client(spec: dict[str, Any], name: str) -> Any:
    import paho.mqtt.client as paho

    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2, client_id=name, protocol=paho.MQTTv311, clean_session=True
    )
    client.max_inflight_messages_set(int(spec.get("window", 100)))
    client.max_queued_messages_set(0)
    connected = threading.Event()
    client.on_connect = lambda *a: connected.set()
    client.connect(spec["host"], int(spec["port"]), keepalive=60)
    client.loop_start()
    if not connected.wait(10):
        raise SystemExit(f"publisher {name}: no connection to the broker")
    return client


def _payloads(spec: dict[str, Any], part: int, parts: int) -> list[bytes]:
    return workload.batches(
        workload.tag_codes(int(spec["tags"])),
        int(spec["steps"]),
        int(spec["ts0"]),
        int(spec["spacing_ms"]),
        int(spec.get("size", 1000)),
        part=part,
        parts=parts,
        style=str(spec.get("style", "batch")),
    )


def _go() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


class Credit:
    """How many messages the publisher may have sent: ``credit`` in the spec at first, then
    ``credit N`` lines on stdin from the benchmark (messages stored + the window). Without it the
    publisher sends as fast as it can. The broker holds only so many unacknowledged messages for a
    slow subscriber (Mosquitto's ``max_queued_messages``, 1000 by default) and drops the rest, so an
    unbounded publisher would measure the broker's losses, not the stream."""

    def __init__(self, initial: int | None) -> None:
        self.allowed = initial
        self._cond = threading.Condition()
        if initial is not None:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in sys.stdin:
            word, _, value = line.strip().partition(" ")
            if word == "credit":
                with self._cond:
                    self.allowed = max(self.allowed or 0, int(value))
                    self._cond.notify_all()

    def wait(self, i: int) -> None:
        """Until message ``i`` (0-based) may be sent."""
        if self.allowed is None:
            return
        with self._cond:
            while self.allowed is not None and i >= self.allowed:
                self._cond.wait(1.0)


def run_mqtt(spec: dict[str, Any]) -> dict[str, Any]:
    part, parts = int(spec.get("part", 0)), int(spec.get("parts", 1))
    payloads = _payloads(spec, part, parts)
    readings = _count(spec, part, parts)
    credit = spec.get("credit")
    if spec.get("client") == "mosquitto_pub":
        return _mosquitto_pub(spec, payloads, readings, part, credit)
    client = _mqtt_client(spec, f"anquan-bench-pub-{spec['run']}-{part}")
    topic = f"{spec['topic']}/p{part}"
    done = threading.Event()
    acked = [0]
    last = [0.0]
    n = len(payloads)

    def on_publish(*_: Any) -> None:
        acked[0] += 1
        if acked[0] == n:
            last[0] = time.time()
            done.set()

    client.on_publish = on_publish
    _go()
    allowance = Credit(credit)
    first = time.time()
    for i, payload in enumerate(payloads):
        allowance.wait(i)
        client.publish(topic, payload, qos=1)
    sent = time.time()
    done.wait(float(spec.get("timeout", 600)))
    client.disconnect()
    client.loop_stop()
    return {
        "first": first,
        "sent": sent,
        "acked": last[0] or None,
        "messages": n,
        "readings": readings,
        "errors": n - acked[0],
    }


def _mosquitto_pub(
    spec: dict[str, Any], payloads: list[bytes], readings: int, part: int, credit: int | None
) -> dict[str, Any]:
    """The same messages through Mosquitto's own C client (``mosquitto_pub -l``: one message per
    line, QoS 1, ``window`` in flight): a publisher that needs little of the machine's CPU."""
    import subprocess

    if any(b"\n" in payload for payload in payloads):
        raise SystemExit("mosquitto_pub -l sends one message per line: a payload holds a newline")
    argv = [
        "mosquitto_pub", "-h", str(spec["host"]), "-p", str(spec["port"]), "-t", f"{spec['topic']}/p{part}",
        "-q", "1", "-l", "-M", str(spec.get("window", 100)), "-i", f"anquan-bench-pub-{spec['run']}-{part}",
    ]  # fmt: skip
    _go()
    allowance = Credit(credit)
    first = time.time()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    step = 100
    for i in range(0, len(payloads), step):
        allowance.wait(min(i + step, len(payloads)) - 1)
        proc.stdin.write(b"".join(p + b"\n" for p in payloads[i : i + step]))
        proc.stdin.flush()
    proc.stdin.close()
    sent = time.time()
    code = proc.wait(float(spec.get("timeout", 600)))
    acked = time.time()
    stderr = proc.stderr.read() if proc.stderr is not None else b""
    return {
        "first": first,
        "sent": sent,
        "acked": acked if code == 0 else None,
        "messages": len(payloads),
        "readings": readings,
        "errors": 0 if code == 0 else len(payloads),
        "error_sample": stderr.decode(errors="replace")[:200],
    }


def _count(spec: dict[str, Any], part: int, parts: int) -> int:
    tags, steps = int(spec["tags"]), int(spec["steps"])
    return steps * len([t for t in range(tags) if t % parts == part])


def run_http(spec: dict[str, Any]) -> dict[str, Any]:
    import httpx

    threads = int(spec.get("threads", 4))
    work = [_payloads(spec, k, threads) for k in range(threads)]
    readings = sum(_count(spec, k, threads) for k in range(threads))
    headers = {"Authorization": f"Bearer {spec['key']}", "Content-Type": "application/json"}
    errors: list[str] = []
    last = [0.0]
    lock = threading.Lock()
    start = threading.Event()

    def post_all(payloads: list[bytes]) -> None:
        with httpx.Client(base_url=spec["url"], headers=headers, timeout=60) as client:
            start.wait()
            for body in payloads:
                try:
                    r = client.post("/api/v1/ingest", content=body)
                    if r.status_code != 202:
                        errors.append(f"{r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
        with lock:
            last[0] = max(last[0], time.time())

    pool = [threading.Thread(target=post_all, args=(w,)) for w in work]
    for t in pool:
        t.start()
    _go()
    first = time.time()
    start.set()
    for t in pool:
        t.join()
    return {
        "first": first,
        "sent": last[0],
        "acked": last[0],
        "messages": sum(len(w) for w in work),
        "readings": readings,
        "errors": len(errors),
        "error_sample": errors[:3],
    }


def run_paced(spec: dict[str, Any]) -> dict[str, Any]:
    """Scans of all tags at ``rate`` readings/s, each stamped with the time it is sent, in messages
    of ``size`` readings; until stdin says ``stop`` (or closes)."""
    codes = workload.tag_codes(int(spec["tags"]))
    size = int(spec.get("size", 1000))
    rate = float(spec["rate"])
    client = _mqtt_client(spec, f"anquan-bench-load-{spec['run']}")
    topic = f"{spec['topic']}/load"
    stop = threading.Event()

    def wait_stop() -> None:
        sys.stdin.readline()
        stop.set()

    _go()
    threading.Thread(target=wait_stop, daemon=True).start()
    first = time.time()
    scan_s = len(codes) / rate
    next_at = time.monotonic()
    messages = readings = step = last_ts = 0
    while not stop.is_set():
        ts = max(time.time_ns() // 1_000_000, last_ts + 1)
        last_ts = ts
        for i in range(0, len(codes), size):
            chunk = [
                {"tag": code, "ts": ts, "value": workload.normal(step, i + j)}
                for j, code in enumerate(codes[i : i + size])
            ]
            client.publish(topic, orjson.dumps(chunk), qos=1)
            messages += 1
            readings += len(chunk)
        step += 1
        next_at += scan_s
        delay = next_at - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        elif delay < -10 * scan_s:
            next_at = time.monotonic()  # fell far behind: do not burst to catch up
    client.disconnect()
    client.loop_stop()
    elapsed = time.time() - first
    return {"first": first, "messages": messages, "readings": readings, "rate": readings / max(elapsed, 1e-9)}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    via = spec["via"]
    if via == "mqtt":
        result = run_mqtt(spec)
    elif via == "http":
        result = run_http(spec)
    elif via == "paced":
        result = run_paced(spec)
    else:
        print(f"unknown via {via!r}", file=sys.stderr)
        return 2
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
