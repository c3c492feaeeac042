"""The live alarm feed: new alarm-journal rows pushed to open consoles as Server-Sent Events.

One ``JournalHub`` per web process (per event loop) polls ``AlarmJournal`` for rows after its
cursor every ``POLL_INTERVAL_S`` — one query per tick, however many consoles are open — and hands
each row to the connected clients whose scope (the areas monitoring.view reaches for them) holds
it. Each event carries the journal id as its SSE id, so a browser that reconnects sends
``Last-Event-ID`` and is first sent what it missed. The database work runs in one thread of the
hub's own, never on the event loop.

Under WSGI (no long-lived responses) the view answers what is new since ``Last-Event-ID`` and
closes; the browser's EventSource reconnects after ``retry`` and so polls instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from anquan.monitoring import selectors
from anquan.monitoring.models import AlarmJournal
from anquan.monitoring.web.common import int_param
from anquan.org.access import Access
from anquan.org.roles import MONITOR_VIEW

log = logging.getLogger(__name__)
T = TypeVar("T")

POLL_INTERVAL_S = 0.02  # how often the hub looks for new journal rows
BATCH = 500  # rows per poll; a fuller batch is followed at once by the next
HEARTBEAT_S = 15.0  # an SSE comment on a quiet connection keeps proxies from closing it
STREAM_MAX_S = 600.0  # a connection ends after this; the browser reconnects (and access is re-checked)
IDLE_STOP_S = 5.0  # the hub stops polling (and closes its connection) this long after its last client
RETRY_MS = 2000  # the EventSource reconnect delay the stream asks for
WSGI_RETRY_MS = 1000  # the polling interval of the WSGI fallback
QUEUE_LIMIT = 2000  # a client this far behind is disconnected; it resumes by Last-Event-ID
BACKLOG_LIMIT = 500  # at most this many missed rows are replayed on reconnect
RETRY_MAX_S = 2.0  # a failing read is retried after 0.1 s, doubling up to this
FAILURES_LOGGED = 5  # consecutive failures before a warning (a brief lock is not news)


@dataclass(frozen=True)
class JournalEvent:
    id: int
    kind: str
    site: int
    area: int
    rule: int
    occurrence: int | None
    priority: str
    message: str
    at: str

    def sse(self) -> str:
        data = json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))
        return f"id: {self.id}\nevent: journal\ndata: {data}\n\n"


_FIELDS = (
    "pk",
    "kind",
    "site_id",
    "area_id",
    "rule_id",
    "occurrence_id",
    "occurrence__priority",
    "rule__priority",
    "occurrence__message",
    "rule__name",
    "at",
)


def _events(rows: Iterator[tuple[Any, ...]]) -> list[JournalEvent]:
    out = []
    for pk, kind, site, area, rule, occ, occ_priority, rule_priority, message, rule_name, at in rows:
        out.append(
            JournalEvent(
                id=pk,
                kind=kind,
                site=site,
                area=area,
                rule=rule,
                occurrence=occ,
                priority=occ_priority or rule_priority,
                message=message or rule_name,
                at=at.isoformat(),
            )
        )
    return out


def fetch_after(cursor: int, limit: int = BATCH) -> list[JournalEvent]:
    """Journal rows after ``cursor``, oldest first (every site: the hub filters per client)."""
    qs = AlarmJournal.objects.filter(pk__gt=cursor).order_by("pk").values_list(*_FIELDS)[:limit]
    return _events(iter(qs))


def latest_id() -> int:
    return AlarmJournal.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def backlog(areas: frozenset[int] | None, site: int | None, after: int, through: int) -> list[JournalEvent]:
    """The rows a reconnecting client missed: after ``after`` up to ``through``, in its scope."""
    qs = AlarmJournal.objects.filter(pk__gt=after, pk__lte=through)
    if areas is not None:
        qs = qs.filter(area_id__in=areas)
    if site:
        qs = qs.filter(site_id=site)
    # The newest BACKLOG_LIMIT rows, oldest first.
    rows = list(qs.order_by("-pk").values_list(*_FIELDS)[:BACKLOG_LIMIT])
    return _events(iter(reversed(rows)))


def _close_connection() -> None:
    """Close the calling thread's database connection (run it in the hub's thread)."""
    connection.close()


class Subscriber:
    """One connected client: what it may see and the rows waiting for it."""

    def __init__(self, areas: frozenset[int] | None, site: int | None = None) -> None:
        self.areas = areas  # None: every area (a superuser)
        self.site = site
        self.queue: asyncio.Queue[JournalEvent] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self.overflowed = False

    def wants(self, event: JournalEvent) -> bool:
        if self.site and event.site != self.site:
            return False
        return self.areas is None or event.area in self.areas

    def offer(self, event: JournalEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True


class JournalHub:
    """Polls the alarm journal for its clients: one query per tick, fanned out in memory."""

    def __init__(
        self,
        fetch: Callable[[int, int], list[JournalEvent]] = fetch_after,
        latest: Callable[[], int] = latest_id,
        interval: float = POLL_INTERVAL_S,
    ) -> None:
        self.fetch = fetch
        self.latest = latest
        self.interval = interval
        self.subscribers: set[Subscriber] = set()
        self.cursor: int | None = None
        self.task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._executor: ThreadPoolExecutor | None = None

    # --- the database thread ------------------------------------------------------------
    async def run_sync(self, func: Callable[..., T], *args: Any) -> T:
        """Run ``func`` in the hub's own thread (it keeps one database connection)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="anquan-alarm-feed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    async def stop(self) -> None:
        """Stop polling now (a server shutting down, a test ending) and close the database thread."""
        task = self.task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.close()

    def close(self) -> None:
        """Close the hub thread's database connection and the thread (from any thread)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.submit(_close_connection).result()
            executor.shutdown(wait=True)

    # --- clients ------------------------------------------------------------------------
    async def subscribe(self, subscriber: Subscriber) -> int:
        """Register a client; returns the id through which rows will NOT come from the hub."""
        async with self._lock:
            if self.cursor is None:
                self.cursor = await self.run_sync(self.latest)
            self.subscribers.add(subscriber)
            if self.task is None or self.task.done():
                self.task = asyncio.get_running_loop().create_task(self._run(), name="anquan-alarm-feed")
            return self.cursor

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    # --- the poller ---------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        idle_since: float | None = None
        failures = 0
        try:
            while True:
                if not self.subscribers:
                    idle_since = idle_since or loop.time()
                    if loop.time() - idle_since >= IDLE_STOP_S:
                        break
                else:
                    idle_since = None
                assert self.cursor is not None
                try:
                    events = await self.run_sync(self.fetch, self.cursor, BATCH)
                except Exception:  # a lock or the database away: keep the clients, try again soon
                    failures += 1
                    level = logging.WARNING if failures == FAILURES_LOGGED else logging.DEBUG
                    log.log(
                        level, "alarm feed: reading the journal failed (%d in a row)", failures, exc_info=True
                    )
                    await self._reset_connection()
                    await asyncio.sleep(min(RETRY_MAX_S, self.interval * 2 ** min(failures - 1, 10)))
                    continue
                failures = 0
                for event in events:
                    self.cursor = event.id
                    for subscriber in list(self.subscribers):
                        if subscriber.wants(event):
                            subscriber.offer(event)
                if len(events) < BATCH:
                    await asyncio.sleep(self.interval)
        finally:
            # No await between the last check and these: a new client either saw the running
            # task (and is served) or finds none and starts a fresh one from the latest id.
            if not self.subscribers:
                self.cursor = None
            self.task = None
            executor, self._executor = self._executor, None
            if executor is not None:
                executor.submit(_close_connection)
                executor.shutdown(wait=False)

    async def _reset_connection(self) -> None:
        try:
            await self.run_sync(_close_connection)
        except Exception:
            log.debug("alarm feed: closing the broken connection failed", exc_info=True)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, JournalHub] = weakref.WeakKeyDictionary()


def hub() -> JournalHub:
    """The hub of the running event loop (one per web process under uvicorn)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = JournalHub()
    return found


def close_all() -> None:
    """Close every hub's database thread (tests, and a server shutting down)."""
    for found in list(_hubs.values()):
        found.close()


# --- The view ---------------------------------------------------------------------------------
def _scope(user: Any) -> tuple[bool, frozenset[int] | None]:
    access = Access.of(user)
    if not access.can(MONITOR_VIEW):
        return False, frozenset()
    return True, selectors.area_ids(user, MONITOR_VIEW)


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_id")
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


async def _stream(
    feed: JournalHub, subscriber: Subscriber, last_id: int | None, max_s: float
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    try:
        yield f"retry: {RETRY_MS}\n: {_('报警实时推送已连接')}\n\n"
        since = await feed.subscribe(subscriber)
        if last_id is None or last_id > since:
            # A fresh client starts from now; the id lets a reconnect resume from here.
            yield f"id: {since}\nevent: ready\ndata: {since}\n\n"
            sent = since
        else:
            sent = last_id
            if last_id < since:
                for event in await feed.run_sync(backlog, subscriber.areas, subscriber.site, last_id, since):
                    yield event.sse()
            sent = since
        deadline = loop.time() + max_s
        while not subscriber.overflowed:
            wait = min(HEARTBEAT_S, deadline - loop.time())
            if wait <= 0:
                break
            try:
                event = await asyncio.wait_for(subscriber.queue.get(), wait)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event.id <= sent:
                continue
            sent = event.id
            yield event.sse()
    finally:
        feed.unsubscribe(subscriber)


async def events(request: HttpRequest) -> HttpResponseBase:
    """``text/event-stream`` of the alarm journal rows the viewer may see (``?site=`` narrows it)."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    user = await request.auser()
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    allowed, areas = await sync_to_async(_scope)(user)
    if not allowed:
        raise PermissionDenied(_("您没有查看实时监测与报警的权限。"))
    site = int_param(request.GET.get("site"))
    last_id = _last_event_id(request)
    if not isinstance(request, ASGIRequest):
        return await _poll_response(areas, site, last_id)
    response = StreamingHttpResponse(
        _stream(hub(), Subscriber(areas, site), last_id, STREAM_MAX_S), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


async def _poll_response(areas: frozenset[int] | None, site: int | None, last_id: int | None) -> HttpResponse:
    """WSGI: what is new since ``last_id`` in one short response; EventSource polls by reconnecting."""

    def collect() -> str:
        latest = latest_id()
        parts = [f"retry: {WSGI_RETRY_MS}\n\n"]
        if last_id is None or last_id > latest:
            parts.append(f"id: {latest}\nevent: ready\ndata: {latest}\n\n")
        else:
            parts.extend(event.sse() for event in backlog(areas, site, last_id, latest))
            parts.append(f"id: {latest}\n\n")  # resume after everything looked at, seen or not
        return "".join(parts)

    body = await sync_to_async(collect)()
    response = HttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    return response
