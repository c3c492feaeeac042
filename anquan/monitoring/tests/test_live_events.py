"""The live alarm feed (Server-Sent Events): an open console hears of a new alarm within a second,
only of alarms in its viewer's scope, catches up on reconnect (Last-Event-ID), and the hub reads
the journal once per tick however many consoles are open. Driven through Django's ASGI handler
and through a real uvicorn server on a free port."""

from __future__ import annotations

import asyncio
import gc
import json
import queue
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings as django_settings
from django.db import connections
from django.test import AsyncClient, Client
from django.urls import reverse

from anquan.conftest import World
from anquan.monitoring import services
from anquan.monitoring.choices import JournalKind
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence
from anquan.monitoring.tests.test_web_monitoring import T0, S, feed, limit_rules
from anquan.monitoring.web import events

pytestmark = pytest.mark.django_db(transaction=True)  # the feed reads from its own thread


@pytest.fixture(autouse=True)
def _close_feed() -> Iterator[None]:
    yield
    events.close_all()


def parse(chunk: bytes | str) -> dict[str, str]:
    """One SSE message as {field: value}; {} for comments and a bare ``retry``."""
    text = chunk.decode() if isinstance(chunk, bytes) else chunk
    fields: dict[str, str] = {}
    for line in text.strip("\n").split("\n"):
        if line and not line.startswith(":"):
            name, _sep, value = line.partition(": ")
            fields[name] = value
    return fields if {"id", "event", "data"} & set(fields) else {}


async def _next_message(stream: AsyncIterator[bytes], timeout: float) -> dict[str, str]:
    """The next message that is not a comment, within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        chunk = await asyncio.wait_for(anext(stream), max(0.001, deadline - time.monotonic()))
        message = parse(chunk)
        if message:
            return message


async def _open(user: Any, **headers: str) -> tuple[Any, AsyncIterator[bytes]]:
    client = AsyncClient()
    await client.aforce_login(user)
    response = await client.get(reverse("monitoring:events"), headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    return response, aiter(response.streaming_content)


async def _stop() -> None:
    await events.hub().stop()


# --- through Django's ASGI handler ------------------------------------------------------------
def test_a_new_alarm_reaches_an_open_console_within_a_second(world: World) -> None:
    limit_rules(world, "TI-101")

    async def scenario() -> tuple[dict[str, str], dict[str, str], float]:
        _response, stream = await _open(world.user("operator_a"))
        ready = await _next_message(stream, 2.0)
        raised = time.monotonic()
        await sync_to_async(feed)(world, "TI-101", 45.0)  # H (40) crossed: an alarm is raised
        message = await _next_message(stream, 1.0)
        heard = time.monotonic() - raised
        await stream.aclose()  # type: ignore[attr-defined]
        await _stop()
        return ready, message, heard

    ready, message, heard = async_to_sync(scenario)()

    assert ready["event"] == "ready"
    occurrence = AlarmOccurrence.objects.get()
    entry = AlarmJournal.objects.get(kind=JournalKind.ACTIVATED)
    assert (message["event"], message["id"]) == ("journal", str(entry.pk))
    data = json.loads(message["data"])
    assert data == {
        "id": entry.pk,
        "kind": "activated",
        "site": world.site_a.pk,
        "area": world.area_a1.pk,
        "rule": occurrence.rule_id,
        "occurrence": occurrence.pk,
        "priority": "low",
        "message": occurrence.message,
        "at": entry.at.isoformat(),
    }
    assert int(ready["id"]) < entry.pk
    assert heard < 1.0


def test_a_console_hears_only_of_alarms_in_its_scope(world: World) -> None:
    limit_rules(world, "TI-101")  # 罐区 (area a1)
    limit_rules(world, "PI-201")  # 泵房 (area a2)

    async def scenario() -> dict[str, str]:
        _response, stream = await _open(world.user("worker_a2"))  # a worker of the pump house
        await _next_message(stream, 2.0)
        await sync_to_async(feed)(world, "TI-101", 45.0)
        await sync_to_async(feed)(world, "PI-201", 2.0, start=T0 + 5 * S)
        message = await _next_message(stream, 2.0)
        await stream.aclose()  # type: ignore[attr-defined]
        await _stop()
        return message

    message = async_to_sync(scenario)()

    assert json.loads(message["data"])["area"] == world.area_a2.pk  # the tank farm's alarm was not sent


def test_a_reconnecting_console_is_sent_what_it_missed(world: World) -> None:
    rules = limit_rules(world, "TI-101")
    feed(world, "TI-101", 45.0)
    seen = AlarmJournal.objects.get(kind=JournalKind.ACTIVATED).pk
    occurrence = AlarmOccurrence.objects.get(rule=rules["h"])
    services.acknowledge(world.user("operator_a"), [occurrence.pk], "收到")
    services.comment(world.user("operator_a"), occurrence.pk, "已派人")

    async def scenario() -> list[dict[str, str]]:
        _response, stream = await _open(world.user("operator_a"), **{"Last-Event-ID": str(seen)})
        messages = [await _next_message(stream, 2.0), await _next_message(stream, 2.0)]
        await stream.aclose()  # type: ignore[attr-defined]
        await _stop()
        return messages

    messages = async_to_sync(scenario)()

    missed = list(AlarmJournal.objects.filter(pk__gt=seen).order_by("pk"))
    assert [(m["id"], json.loads(m["data"])["kind"]) for m in messages] == [
        (str(missed[0].pk), "acknowledged"),
        (str(missed[1].pk), "commented"),
    ]


def test_the_hub_reads_the_journal_once_per_tick_for_every_console(world: World) -> None:
    limit_rules(world, "TI-101")
    calls: list[int] = []

    async def scenario() -> list[dict[str, str]]:
        hub = events.hub()
        real = hub.fetch

        def counting(cursor: int, limit: int) -> list[events.JournalEvent]:
            calls.append(cursor)
            return real(cursor, limit)

        hub.fetch = counting
        began = time.monotonic()
        opened = [await _open(world.user(key)) for key in ("operator_a", "admin_a", "ehs", "leader_a1")]
        for _response, stream in opened:
            await _next_message(stream, 2.0)
        await asyncio.sleep(0.5)
        ticks, elapsed = len(calls), time.monotonic() - began
        await sync_to_async(feed)(world, "TI-101", 45.0)
        messages = [await _next_message(stream, 1.0) for _response, stream in opened]
        for _response, stream in opened:
            await stream.aclose()  # type: ignore[attr-defined]
        await _stop()
        # one poll per tick for the four consoles together, not one per console
        assert 2 <= ticks <= elapsed / events.POLL_INTERVAL_S + 2, (ticks, elapsed)
        return messages

    messages = async_to_sync(scenario)()

    assert {m["event"] for m in messages} == {"journal"}
    assert len({m["id"] for m in messages}) == 1


def test_the_feed_needs_monitoring_view(world: World) -> None:
    assert Client().get(reverse("monitoring:events")).status_code == 302
    assert world.client("contractor_a").get(reverse("monitoring:events")).status_code == 403


def test_without_asgi_the_feed_answers_what_is_new_and_closes(world: World) -> None:
    limit_rules(world, "TI-101")
    client = world.client("operator_a")

    first = client.get(reverse("monitoring:events"))
    assert first.status_code == 200
    parts = [parse(p) for p in first.content.decode().split("\n\n") if parse(p)]
    assert parts[-1]["event"] == "ready"
    last_id = parts[-1]["id"]

    feed(world, "TI-101", 45.0)
    second = client.get(reverse("monitoring:events"), headers={"Last-Event-ID": last_id})
    messages = [parse(p) for p in second.content.decode().split("\n\n") if parse(p)]
    entry = AlarmJournal.objects.get(kind=JournalKind.ACTIVATED)
    assert [(m.get("event"), m["id"]) for m in messages] == [
        ("journal", str(entry.pk)),
        (None, str(entry.pk)),
    ]
    assert "retry: 1000" in second.content.decode()


# --- under uvicorn --------------------------------------------------------------------------
@pytest.fixture
def live_uvicorn() -> Iterator[str]:
    """The project's ASGI application served by uvicorn on a free loopback port."""
    import uvicorn

    from anquan.config.asgi import application

    # Under ASGI each request has its own connection: closed when it ends, as Django advises for
    # ASGI (persistent connections would outlive the test and keep its database from being dropped).
    database = connections.settings["default"]
    max_age = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(application, lifespan="off", log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        database["CONN_MAX_AGE"] = max_age
        gc.collect()  # the requests' connections live in their (ended) contexts until collected


def test_under_uvicorn_a_new_alarm_is_pushed_within_a_second(world: World, live_uvicorn: str) -> None:
    limit_rules(world, "TI-101")
    browser = Client()
    browser.force_login(world.user("operator_a"))
    cookie = browser.cookies[django_settings.SESSION_COOKIE_NAME].value
    lines: queue.Queue[str] = queue.Queue()
    http = httpx.Client(
        base_url=live_uvicorn, cookies={django_settings.SESSION_COOKIE_NAME: cookie}, timeout=30
    )

    def listen() -> None:
        try:
            with http.stream(
                "GET", reverse("monitoring:events"), headers={"Accept": "text/event-stream"}
            ) as r:
                lines.put(f"status: {r.status_code} {r.headers['content-type']}")
                for line in r.iter_lines():
                    lines.put(line)
        except httpx.HTTPError:
            pass  # closed by the test

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()

    def next_line(timeout: float, prefix: str) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = lines.get(timeout=max(0.001, deadline - time.monotonic()))
            if line.startswith(prefix):
                return line

    assert next_line(5, "status:") == "status: 200 text/event-stream"
    assert next_line(5, "event:") == "event: ready"
    raised = time.monotonic()
    feed(world, "TI-101", 45.0)
    assert next_line(1.0, "event:") == "event: journal"
    data = json.loads(next_line(1.0, "data:")[len("data: ") :])
    heard = time.monotonic() - raised
    http.close()  # the browser leaves: the server ends the stream
    reader.join(timeout=5)

    assert (data["kind"], data["area"]) == ("activated", world.area_a1.pk)
    assert heard < 1.0
