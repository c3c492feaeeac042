"""Real local servers for the notification tests.

- ``smtp_server``: an aiosmtpd SMTP server on a free port that keeps every message it accepts.
- ``robots``: one HTTP server on a free port that plays WeCom, DingTalk and Feishu group robots:
  it checks each request's payload shape and signature the way the real services do and answers
  with their real success and error bodies. Responses can be scripted to fail first.
- ``run_worker()``: the real django-tasks database worker, in batch mode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return str(part.get_content())
        raise AssertionError(f"no {content_type} part")


class MailHandler:
    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []
        self.reject_with: str = ""  # an SMTP reply to answer DATA with instead of accepting

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject_with:
            return self.reject_with
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class PortZeroController(Controller):
    """aiosmtpd's controller, bound to a free port chosen by the system."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: MailHandler

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    # aiosmtpd logs every connection from its own thread, which can outlive pytest's captured stream.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = MailHandler()
    controller = PortZeroController(handler, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, handler)
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def platform_mail_over_smtp(settings: Any) -> None:
    """The platform's e-mail backend is SMTP here, as ``ANQUAN_EMAIL_URL=smtp://…`` makes it in
    production, not the test runner's in-memory one: a test says where the server is."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def default_smtp(settings: Any, smtp_server: SmtpServer) -> SmtpServer:
    """The platform's SMTP server is the local one."""
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "anquan@plant.example.cn"
    return smtp_server


# --- IM group robots --------------------------------------------------------------------------
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "b6f1c2d3e4"
DINGTALK_SECRET = "SEC1234567890abcdefghijklmnopqrstuvwxyz1234567890abcdef"
FEISHU_HOOK = "8d1bd3b4-0c0b-4bcd-9a3e-1a2b3c4d5e6f"
FEISHU_SECRET = "demo-feishu-secret/+=="
HOUR = 3600

WECOM_OK = {"errcode": 0, "errmsg": "ok"}
DINGTALK_OK = {"errcode": 0, "errmsg": "ok"}
FEISHU_OK = {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}


@dataclass
class RobotRequest:
    service: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Robots:
    base: str
    requests: list[RobotRequest] = field(default_factory=list)
    # Scripted answers per service, used before the real checks: (HTTP status, JSON body).
    script: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)

    @property
    def wecom_url(self) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={WECOM_KEY}"

    @property
    def dingtalk_url(self) -> str:
        return f"{self.base}/robot/send?access_token={DINGTALK_TOKEN}"

    @property
    def feishu_url(self) -> str:
        return f"{self.base}/open-apis/bot/v2/hook/{FEISHU_HOOK}"

    def of(self, service: str) -> list[RobotRequest]:
        return [r for r in self.requests if r.service == service]


def _dingtalk_expected_sign(timestamp: str, secret: str) -> str:
    string_to_sign = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(
        hmac.new(secret.encode(), string_to_sign, digestmod=hashlib.sha256).digest()
    ).decode()


def _feishu_expected_sign(timestamp: str, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", digestmod=hashlib.sha256).digest()).decode()


def _wecom(query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
    if query.get("key") != [WECOM_KEY]:
        return 200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000_1_abc]"}
    if (
        not isinstance(body, dict)
        or body.get("msgtype") != "markdown"
        or set(body) != {"msgtype", "markdown"}
    ):
        return 200, {"errcode": 40008, "errmsg": "invalid message type, hint: [1700000000_2_abc]"}
    markdown = body["markdown"]
    if set(markdown) != {"content"} or not isinstance(markdown["content"], str) or not markdown["content"]:
        return 200, {"errcode": 44004, "errmsg": "empty content, hint: [1700000000_3_abc]"}
    if len(markdown["content"].encode()) > 4096:
        return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
    return 200, WECOM_OK


def _dingtalk(query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
    if query.get("access_token") != [DINGTALK_TOKEN]:
        return 200, {"errcode": 300001, "errmsg": "token is not exist"}
    timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
    if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > HOUR * 1000:
        return 200, {"errcode": 310000, "errmsg": "invalid timestamp, more: [https://ding-doc.dingtalk.com]"}
    if not hmac.compare_digest(sign, _dingtalk_expected_sign(timestamp, DINGTALK_SECRET)):
        return 200, {"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com]"}
    if not isinstance(body, dict) or body.get("msgtype") != "markdown":
        return 200, {"errcode": 40035, "errmsg": "缺少参数 msgtype"}
    markdown = body.get("markdown")
    if not isinstance(markdown, dict) or set(markdown) != {"title", "text"} or not all(markdown.values()):
        return 200, {"errcode": 40035, "errmsg": "缺少参数 markdown"}
    return 200, DINGTALK_OK


def _feishu(path: str, body: Any) -> tuple[int, Any]:
    if path != f"/open-apis/bot/v2/hook/{FEISHU_HOOK}":
        return 200, {"code": 19001, "data": {}, "msg": "param invalid: incoming webhook access token invalid"}
    if not isinstance(body, dict):
        return 400, {"code": 9499, "data": {}, "msg": "Bad Request"}
    timestamp, sign = body.get("timestamp"), body.get("sign")
    if (
        not isinstance(timestamp, str)
        or not timestamp.isdigit()
        or abs(time.time() - int(timestamp)) > HOUR
        or not isinstance(sign, str)
        or not hmac.compare_digest(sign, _feishu_expected_sign(timestamp, FEISHU_SECRET))
    ):
        return 200, {
            "code": 19021,
            "data": {},
            "msg": "sign match fail or timestamp is not within one hour from current time",
        }
    kind, content = body.get("msg_type"), body.get("content")
    if kind == "text" and isinstance(content, dict) and isinstance(content.get("text"), str):
        return 200, FEISHU_OK
    if kind == "post" and isinstance(content, dict):
        post = content.get("post")
        locales = list(post.values()) if isinstance(post, dict) else []
        if locales and all(
            isinstance(p, dict)
            and isinstance(p.get("title"), str)
            and isinstance(p.get("content"), list)
            and all(
                isinstance(line, list)
                and all(isinstance(el, dict) and el.get("tag") in {"text", "a", "at", "img"} for el in line)
                for line in p["content"]
            )
            for p in locales
        ):
            return 200, FEISHU_OK
    return 400, {"code": 9499, "data": {}, "msg": "Bad Request"}


@pytest.fixture
def robots() -> Iterator[Robots]:
    state = Robots(base="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
            pass

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                body = None
            if parts.path == "/cgi-bin/webhook/send":
                service = "wecom"
            elif parts.path == "/robot/send":
                service = "dingtalk"
            elif parts.path.startswith("/open-apis/bot/v2/hook/"):
                service = "feishu"
            else:
                self.send_error(404)
                return
            state.requests.append(RobotRequest(service, parts.path, query, dict(self.headers), body))
            scripted = state.script.get(service)
            if scripted:
                status, answer = scripted.pop(0)
            elif not self.headers.get("Content-Type", "").startswith("application/json"):
                status, answer = 400, {"errcode": 40035, "errmsg": "content-type must be application/json"}
            elif service == "wecom":
                status, answer = _wecom(query, body)
            elif service == "dingtalk":
                status, answer = _dingtalk(query, body)
            else:
                status, answer = _feishu(parts.path, body)
            data = (
                json.dumps(answer, ensure_ascii=False).encode() if not isinstance(answer, bytes) else answer
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- the task worker --------------------------------------------------------------------------
def run_worker() -> None:
    """Run every task that is due, with the real database worker, then return."""
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    saved = {s: signal.getsignal(s) for s in signals}
    try:
        call_command(
            "db_worker",
            batch=True,
            queue_name="*",
            startup_delay=False,
            reload=False,
            interval=0,
            verbosity=0,
        )
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
