"""The senders against real local servers: exact payloads, signatures, success and error bodies."""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import unquote

import pytest

from anquan.notifications import channels
from anquan.notifications.channels import DeliveryError, MailFile, Message, SmtpSettings
from anquan.notifications.tests.conftest import (
    DINGTALK_SECRET,
    FEISHU_SECRET,
    Robots,
    SmtpServer,
)

MESSAGE = Message(
    title="1号罐温度高高报警",
    body="T-101 温度 52 °C，超过高高限 50 °C。\n请立即确认。",
    level="critical",
    level_label="严重",
    category_label="系统与测试",
    link="https://anquan.example.cn/plant/equipment/1/",
)


def test_wecom_posts_markdown_and_accepts_errcode_zero(robots: Robots) -> None:
    answer = channels.send_wecom(robots.wecom_url, MESSAGE)

    [request] = robots.of("wecom")
    assert request.headers["Content-Type"] == "application/json"
    assert set(request.body) == {"msgtype", "markdown"}
    assert request.body["msgtype"] == "markdown"
    content = request.body["markdown"]["content"]
    assert content.startswith("### 1号罐温度高高报警\n")
    assert '<font color="warning">严重</font>' in content
    assert "T-101 温度 52 °C" in content
    assert content.endswith("[查看详情](https://anquan.example.cn/plant/equipment/1/)")
    assert answer == '{"errcode": 0, "errmsg": "ok"}'


def test_wecom_keeps_content_within_its_4096_byte_limit(robots: Robots) -> None:
    long = Message("长消息", "隐患描述" * 2000, "warning", "警告", "系统与测试", "")

    channels.send_wecom(robots.wecom_url, long)

    [request] = robots.of("wecom")
    assert len(request.body["markdown"]["content"].encode()) <= 4096


def test_wecom_error_body_is_raised_with_the_code_and_response(robots: Robots) -> None:
    with pytest.raises(DeliveryError) as err:
        channels.send_wecom(f"{robots.base}/cgi-bin/webhook/send?key=wrong", MESSAGE)

    assert str(err.value) == "企业微信拒绝了消息：93000 invalid webhook url, hint: [1700000000_1_abc]"
    assert '"errcode": 93000' in err.value.response


def test_dingtalk_signs_the_url_and_posts_markdown(robots: Robots) -> None:
    before_ms = int(time.time() * 1000)

    channels.send_dingtalk(robots.dingtalk_url, DINGTALK_SECRET, MESSAGE)

    [request] = robots.of("dingtalk")
    timestamp = request.query["timestamp"][0]
    assert before_ms <= int(timestamp) <= int(time.time() * 1000)
    expected = base64.b64encode(
        hmac.new(
            DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert request.query["sign"] == [expected]
    assert request.body == {
        "msgtype": "markdown",
        "markdown": {
            "title": "1号罐温度高高报警",
            "text": "### 1号罐温度高高报警\n\n**级别**：严重　**类别**：系统与测试\n\n"
            "T-101 温度 52 °C，超过高高限 50 °C。\n请立即确认。\n\n"
            "[查看详情](https://anquan.example.cn/plant/equipment/1/)",
        },
    }


def test_dingtalk_sign_is_url_encoded() -> None:
    # A signature with "+", "/" and "=" must reach DingTalk intact.
    url = channels.dingtalk_url(
        "https://oapi.dingtalk.com/robot/send?access_token=x", "SECabc", 1700000000000
    )
    sign = url.split("&sign=", 1)[1]
    assert "+" not in sign and "/" not in sign and "=" not in sign
    assert unquote(sign) == channels.dingtalk_sign(1700000000000, "SECabc")
    assert url.startswith("https://oapi.dingtalk.com/robot/send?access_token=x&timestamp=1700000000000&sign=")


def test_dingtalk_wrong_secret_is_refused_like_the_real_service(robots: Robots) -> None:
    with pytest.raises(DeliveryError) as err:
        channels.send_dingtalk(robots.dingtalk_url, "SECwrong", MESSAGE)

    assert str(err.value).startswith("钉钉拒绝了消息：310000 sign not match")


def test_dingtalk_stale_timestamp_is_refused(robots: Robots) -> None:
    with pytest.raises(DeliveryError) as err:
        channels.send_dingtalk(robots.dingtalk_url, DINGTALK_SECRET, MESSAGE, now=time.time() - 2 * 3600)

    assert "310000 invalid timestamp" in str(err.value)


def test_feishu_signs_the_body_and_posts_rich_text(robots: Robots) -> None:
    before = int(time.time())

    channels.send_feishu(robots.feishu_url, FEISHU_SECRET, MESSAGE)

    [request] = robots.of("feishu")
    body = request.body
    assert before <= int(body["timestamp"]) <= int(time.time())
    assert isinstance(body["timestamp"], str)
    key = f"{body['timestamp']}\n{FEISHU_SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "post"
    assert body["content"] == {
        "post": {
            "zh_cn": {
                "title": "1号罐温度高高报警",
                "content": [
                    [{"tag": "text", "text": "级别：严重　类别：系统与测试"}],
                    [{"tag": "text", "text": "T-101 温度 52 °C，超过高高限 50 °C。"}],
                    [{"tag": "text", "text": "请立即确认。"}],
                    [
                        {
                            "tag": "a",
                            "text": "查看详情",
                            "href": "https://anquan.example.cn/plant/equipment/1/",
                        }
                    ],
                ],
            }
        }
    }


def test_feishu_bad_signature_answers_19021(robots: Robots) -> None:
    with pytest.raises(DeliveryError) as err:
        channels.send_feishu(robots.feishu_url, "not-the-secret", MESSAGE)

    assert str(err.value) == (
        "飞书拒绝了消息：19021 sign match fail or timestamp is not within one hour from current time"
    )


def test_feishu_older_statuscode_only_answer_counts_as_success(robots: Robots) -> None:
    robots.script["feishu"] = [(200, {"Extra": None, "StatusCode": 0, "StatusMessage": "success"})]

    answer = channels.send_feishu(robots.feishu_url, FEISHU_SECRET, MESSAGE)

    assert '"StatusCode": 0' in answer


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (502, {"error": "bad gateway"}, "服务返回 HTTP 502"),
        (200, b"<html>busy</html>", "服务的响应不是 JSON"),
        (
            200,
            {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
            "钉钉拒绝了消息：130101",
        ),
    ],
)
def test_non_success_answers_raise_a_clear_error(robots: Robots, status: int, body: Any, error: str) -> None:
    robots.script["dingtalk"] = [(status, body)]

    with pytest.raises(DeliveryError) as err:
        channels.send_dingtalk(robots.dingtalk_url, DINGTALK_SECRET, MESSAGE)

    assert str(err.value).startswith(error)


def test_unreachable_robot_raises_a_connection_error() -> None:
    with pytest.raises(DeliveryError) as err:
        channels.send_wecom("http://127.0.0.1:9/cgi-bin/webhook/send?key=x", MESSAGE)

    assert str(err.value).startswith("无法连接")


def test_email_goes_through_the_channels_own_smtp_server(smtp_server: SmtpServer, settings: Any) -> None:
    settings.EMAIL_HOST, settings.EMAIL_PORT = "192.0.2.1", 2525  # never used: the channel has its own
    smtp = SmtpSettings(host=smtp_server.host, port=smtp_server.port, from_email="ehs@plant.example.cn")

    answer = channels.send_email(smtp, "leader@example.com", MESSAGE, default_from="anquan@localhost")

    [mail] = smtp_server.received
    assert mail.mail_from == "ehs@plant.example.cn"
    assert mail.rcpt_tos == ["leader@example.com"]
    assert mail.subject == "[严重] 1号罐温度高高报警"
    text = mail.part("text/plain")
    assert "T-101 温度 52 °C，超过高高限 50 °C。" in text
    assert "查看详情：https://anquan.example.cn/plant/equipment/1/" in text
    assert '<a href="https://anquan.example.cn/plant/equipment/1/">查看详情</a>' in mail.part("text/html")
    assert answer == "邮件服务器已接收（leader@example.com）"


def test_email_with_blank_host_uses_the_platform_defaults(default_smtp: SmtpServer) -> None:
    channels.send_email(SmtpSettings(), "worker@example.com", MESSAGE, default_from="anquan@plant.example.cn")

    [mail] = default_smtp.received
    assert mail.mail_from == "anquan@plant.example.cn"
    assert mail.rcpt_tos == ["worker@example.com"]


def test_without_a_mail_server_the_platform_can_write_e_mails_to_files(settings: Any, tmp_path: Any) -> None:
    """``ANQUAN_EMAIL_URL=filemail:///mail`` (the demo of ``make run``): each e-mail is a file under
    the data folder, attachments included."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    message = dataclasses.replace(MESSAGE, files=(MailFile("日报.pdf", b"%PDF-1.7 test", "application/pdf"),))

    answer = channels.send_email(
        SmtpSettings(), "worker@example.com", message, default_from="anquan@localhost"
    )

    [written] = list((tmp_path / "mail").iterdir())
    mail = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert (mail["To"], mail["Subject"]) == ("worker@example.com", "[严重] 1号罐温度高高报警")
    [pdf] = [part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert (pdf.get_filename(), pdf.get_content()) == ("日报.pdf", b"%PDF-1.7 test")
    assert answer == "邮件服务器已接收（worker@example.com）"


def test_email_rejected_by_the_server_raises(smtp_server: SmtpServer) -> None:
    smtp_server.handler.reject_with = "554 5.7.1 Message rejected as spam"
    smtp = SmtpSettings(host=smtp_server.host, port=smtp_server.port)

    with pytest.raises(DeliveryError) as err:
        channels.send_email(smtp, "worker@example.com", MESSAGE, default_from="anquan@localhost")

    assert str(err.value).startswith("邮件发送失败：")
    assert "Message rejected as spam" in str(err.value)
