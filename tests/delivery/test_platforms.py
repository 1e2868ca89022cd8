"""The push platforms end to end: ``send`` → a local server that speaks the platform's side
(robot_servers.py) → what the group would see. Assertions are on what the server accepted
and recorded, never on what we meant to send."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import time

import httpx
import pytest
from django.core.exceptions import ValidationError

from cms.delivery.platforms import CHOICES, PLATFORMS, send, validate_address
from cms.delivery.platforms.base import Message
from cms.delivery.platforms.text import cut
from tests.hostile import PAYLOADS, URL_PAYLOADS

PAGE = "https://dangjian.example.cn/news/2026/12/dahui/"
COVER = "https://dangjian.example.cn/media/cover.jpg"

NOTICE = Message(
    title="关于召开第一党支部党员大会的通知",
    text="请全体党员准时参加。\n会议议程：学习贯彻全会精神。",
    url=PAGE,
    facts=("时间：12月5日 14:30", "地点：三楼会议室"),
    event="notice_sent",
)

HUGE = "党的建设" * 20000  # 240 000 bytes of UTF-8, 3 bytes a character

HOSTILE = Message(
    title="[点我](javascript:alert(1)) <@all> @all **加粗** <font color='warning'>红</font> \x1b[31m",
    text="\n".join(PAYLOADS) + "\n@all <@all> [钓鱼](http://evil.example/) ![x](http://evil.example/x.png)\n" + HUGE,
    url=PAGE,
    facts=("[截止](javascript:alert(2))", "@all 请回复", "<at id=all></at>"),
    event="notice_sent",
)


def links(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)]*)\)", markdown)


def assert_inert_markdown(content: str, *, allowed_links: list[str]):
    """No syntax from people: the only links are ours, no HTML or mention tags, no ASCII @."""
    assert links(content) == allowed_links
    assert "<" not in content and ">" not in content.replace("\n> ", "\n").removeprefix("> ")
    assert "@" not in content
    assert "javascript:" not in "".join(links(content))
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", content)


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- registry


def test_registry_lists_the_four_platforms_with_their_rate_limits():
    assert (
        dict(CHOICES)
        == {key: module.LABEL for key, module in PLATFORMS.items()}
        == {
            "wecom": "企业微信群机器人",
            "dingtalk": "钉钉自定义机器人",
            "feishu": "飞书自定义机器人",
            "webhook": "通用 Webhook",
        }
    )
    assert PLATFORMS["wecom"].PER_MINUTE == 20
    assert PLATFORMS["dingtalk"].PER_MINUTE == 20
    assert PLATFORMS["feishu"].PER_SECOND == 5
    assert PLATFORMS["webhook"].PER_MINUTE is None and PLATFORMS["webhook"].PER_SECOND is None


# --------------------------------------------------------------------------- WeCom


def test_wecom_markdown_arrives_with_title_text_facts_and_link(wecom_server, http):
    outcome = send("wecom", wecom_server.address(), "", NOTICE, client=http)

    assert outcome.ok, outcome.answer
    assert outcome.answer == "errcode 0: ok"
    [message] = wecom_server.received
    assert message["msgtype"] == "markdown"
    content = message["markdown"]["content"]
    assert content.startswith("**关于召开第一党支部党员大会的通知**")
    assert "请全体党员准时参加。" in content and "> 时间：12月5日 14:30" in content
    assert links(content) == [PAGE]


def test_wecom_sends_a_news_card_when_there_is_a_cover(wecom_server, http):
    message = Message(title="党史学习教育专题" * 10, text="本期导读" * 300, url=PAGE, image_url=COVER)

    assert send("wecom", wecom_server.address(), "", message, client=http).ok

    [received] = wecom_server.received
    assert received["msgtype"] == "news"
    [article] = received["news"]["articles"]
    # The server refuses titles over 128 bytes and descriptions over 512 (WeCom would cut them
    # anywhere, even inside a character).
    assert article["title"].startswith("党史学习教育专题党史") and article["title"].endswith("…")
    assert article["url"] == PAGE and article["picurl"] == COVER
    assert len(article["description"].encode()) <= 512 and article["description"].endswith("…")


def test_wecom_hostile_text_arrives_inert_and_within_4096_bytes(wecom_server, http):
    outcome = send("wecom", wecom_server.address(), "", HOSTILE, client=http)

    assert outcome.ok, outcome.answer  # the server refuses markdown over 4096 bytes
    content = wecom_server.received[0]["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert_inert_markdown(content, allowed_links=[PAGE])
    assert "…" in content
    assert "点我" in content and "XSS01" in content  # the text is shown, only made harmless


def test_wecom_refuses_script_and_foreign_links_as_our_link(wecom_server, http):
    for bad in [*URL_PAYLOADS, "ftp://dangjian.example.cn/x", "//evil.example/x", PAGE + ")[x](javascript:alert(1)"]:
        message = Message(title="标题", text="正文", url=bad)
        assert send("wecom", wecom_server.address(), "", message, client=http).ok
    for received in wecom_server.received:
        assert received["msgtype"] == "markdown"
        found = links(received["markdown"]["content"])
        assert all(link.startswith("https://dangjian.example.cn/") and "(" not in link for link in found), found


def test_wecom_bad_key_is_permanent_and_the_key_is_not_in_the_answer(wecom_server, http):
    outcome = send("wecom", wecom_server.address("removed-robot-key-9"), "", NOTICE, client=http)

    assert not outcome.ok and outcome.permanent and not outcome.throttled
    assert outcome.answer.startswith("errcode 93000: invalid webhook url")
    assert "removed-robot-key-9" not in outcome.answer
    assert wecom_server.received == []


def test_wecom_21st_message_in_a_minute_is_throttled(wecom_server, http):
    outcomes = [send("wecom", wecom_server.address(), "", NOTICE, client=http) for _ in range(21)]

    assert all(outcome.ok for outcome in outcomes[:20])
    assert outcomes[20].throttled and not outcomes[20].permanent
    assert outcomes[20].answer == "errcode 45009: api freq out of limit"
    assert len(wecom_server.received) == 20


def test_wecom_server_error_is_retryable(wecom_server, http):
    wecom_server.failure = "500"

    outcome = send("wecom", wecom_server.address(), "", NOTICE, client=http)

    assert not outcome.ok and not outcome.permanent and not outcome.throttled
    assert outcome.answer.startswith("HTTP 500")


# --------------------------------------------------------------------------- DingTalk

DING_SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"


def test_dingtalk_signed_action_card_arrives(dingtalk_server, http):
    dingtalk_server.secret = DING_SECRET

    outcome = send("dingtalk", dingtalk_server.address(), DING_SECRET, NOTICE, client=http)

    assert outcome.ok, outcome.answer
    [message] = dingtalk_server.received
    assert message["msgtype"] == "actionCard"
    card = message["actionCard"]
    assert card["title"] == "关于召开第一党支部党员大会的通知"
    assert card["text"].startswith("### 关于召开第一党支部党员大会的通知")
    assert "> 地点：三楼会议室" in card["text"]
    assert card["singleURL"] == PAGE
    assert message["at"]["isAtAll"] is False
    # The secret itself never travels: only the timestamp and the signature.
    assert DING_SECRET not in json.dumps(dingtalk_server.requests[0].query)


def test_dingtalk_signature_with_plus_and_slash_survives_url_encoding(dingtalk_server, http):
    """A base64 signature often holds + / =; sent without URL encoding, + arrives as a space
    and DingTalk answers "sign not match". Try timestamps until the signature has them all."""
    from cms.delivery.platforms.dingtalk import sign

    dingtalk_server.secret = DING_SECRET
    now = time.time()
    while not all(c in sign(DING_SECRET, int(now * 1000)) for c in "+/"):
        now += 0.001

    outcome = send("dingtalk", dingtalk_server.address(), DING_SECRET, NOTICE, client=http, now=now)

    assert outcome.ok, outcome.answer


def test_dingtalk_markdown_without_link_and_with_cover(dingtalk_server, http):
    message = Message(title="学习安排", text="第一周：党章", image_url=COVER)

    assert send("dingtalk", dingtalk_server.address(), "", message, client=http).ok

    [received] = dingtalk_server.received
    assert received["msgtype"] == "markdown"
    assert received["markdown"]["title"] == "学习安排"
    assert f"![]({COVER})" in received["markdown"]["text"]


def test_dingtalk_wrong_secret_is_permanent(dingtalk_server, http):
    dingtalk_server.secret = DING_SECRET

    outcome = send("dingtalk", dingtalk_server.address(), "SECwrong", NOTICE, client=http)

    assert outcome.permanent and not outcome.ok
    assert outcome.answer == "errcode 310000: sign not match"
    assert "SECwrong" not in outcome.answer
    assert dingtalk_server.received == []


def test_dingtalk_timestamp_outside_the_hour_is_refused(dingtalk_server, http):
    dingtalk_server.secret = DING_SECRET

    outcome = send("dingtalk", dingtalk_server.address(), DING_SECRET, NOTICE, client=http, now=time.time() - 3700)

    assert outcome.permanent
    assert outcome.answer == "errcode 310000: invalid timestamp"


def test_dingtalk_keyword_security_option(dingtalk_server, http):
    dingtalk_server.keyword = "党建"

    refused = send("dingtalk", dingtalk_server.address(), "", NOTICE, client=http)
    accepted = send("dingtalk", dingtalk_server.address(), "", Message(title="党建动态", text="本周要闻"), client=http)

    assert refused.permanent and refused.answer == "errcode 310000: keywords not in content"
    assert accepted.ok
    assert [m["markdown"]["title"] for m in dingtalk_server.received] == ["党建动态"]


def test_dingtalk_throttling_waits_the_documented_ten_minutes(dingtalk_server, http):
    outcomes = [send("dingtalk", dingtalk_server.address(), "", NOTICE, client=http) for _ in range(21)]

    assert all(outcome.ok for outcome in outcomes[:20])
    assert outcomes[20].throttled and outcomes[20].retry_after == 600
    assert outcomes[20].answer.startswith("errcode 130101")


def test_dingtalk_hostile_text_arrives_inert_and_within_limits(dingtalk_server, http):
    dingtalk_server.secret = DING_SECRET
    message = Message(title=HOSTILE.title, text=HOSTILE.text, facts=HOSTILE.facts, image_url=URL_PAYLOADS[0])

    outcome = send("dingtalk", dingtalk_server.address(), DING_SECRET, message, client=http)

    assert outcome.ok, outcome.answer  # the server refuses bodies over 20000 bytes
    received = dingtalk_server.received[0]
    assert received["msgtype"] == "markdown" and received["at"]["isAtAll"] is False
    text = received["markdown"]["text"]
    assert_inert_markdown(text, allowed_links=[])
    assert "<" not in received["markdown"]["title"] and "@" not in received["markdown"]["title"]
    assert len(dingtalk_server.requests[0].body) <= 20000
    assert text.endswith("…") or "…\n" in text


def test_dingtalk_unknown_token_is_permanent(dingtalk_server, http):
    outcome = send("dingtalk", dingtalk_server.address("gone"), "", NOTICE, client=http)

    assert outcome.permanent and outcome.answer == "errcode 300001: token is not exist"


# --------------------------------------------------------------------------- Feishu

FEISHU_SECRET = "fsSecret0123456789abcdef"


def test_feishu_signed_card_arrives(feishu_server, http):
    feishu_server.secret = FEISHU_SECRET

    outcome = send("feishu", feishu_server.address(), FEISHU_SECRET, NOTICE, client=http)

    assert outcome.ok, outcome.answer
    assert outcome.answer == "code 0: success"
    [message] = feishu_server.received
    assert message["msg_type"] == "interactive"
    card = message["card"]
    assert card["header"]["title"] == {"tag": "plain_text", "content": "关于召开第一党支部党员大会的通知"}
    texts = [e["text"]["content"] for e in card["elements"] if e["tag"] == "div"]
    assert texts == ["请全体党员准时参加。\n会议议程：学习贯彻全会精神。", "时间：12月5日 14:30", "地点：三楼会议室"]
    [action] = [e for e in card["elements"] if e["tag"] == "action"]
    assert action["actions"][0]["url"] == PAGE


def test_feishu_post_without_link(feishu_server, http):
    assert send("feishu", feishu_server.address(), "", Message(title="学习安排", text="第一周：党章"), client=http).ok

    [message] = feishu_server.received
    assert message["msg_type"] == "post"
    post = message["content"]["post"]["zh_cn"]
    assert post["title"] == "学习安排"
    assert post["content"] == [[{"tag": "text", "text": "第一周：党章"}]]


def test_feishu_post_shows_each_line_as_a_paragraph(feishu_server, http):
    message = Message(title="学习安排", text="第一周：党章\n\n\n\n第二周：准则", facts=("截止：周五",))

    assert send("feishu", feishu_server.address(), "", message, client=http).ok

    lines = feishu_server.received[0]["content"]["post"]["zh_cn"]["content"]
    assert [[element["text"] for element in line] for line in lines] == [
        ["第一周：党章"],
        [""],
        ["第二周：准则"],
        ["截止：周五"],
    ]


def test_feishu_wrong_secret_and_stale_timestamp_are_permanent(feishu_server, http):
    feishu_server.secret = FEISHU_SECRET

    wrong = send("feishu", feishu_server.address(), "other-secret", NOTICE, client=http)
    stale = send("feishu", feishu_server.address(), FEISHU_SECRET, NOTICE, client=http, now=time.time() - 3700)

    for outcome in (wrong, stale):
        assert outcome.permanent and not outcome.ok
        assert outcome.answer.startswith("code 19021: sign match fail")
    assert feishu_server.received == []


def test_feishu_keyword_security_option(feishu_server, http):
    feishu_server.keyword = "党建"

    refused = send("feishu", feishu_server.address(), "", NOTICE, client=http)
    accepted = send("feishu", feishu_server.address(), "", Message(title="党建动态", text="本周要闻"), client=http)

    assert refused.permanent and refused.answer == "code 19024: Key Words Not Found"
    assert accepted.ok


def test_feishu_sixth_message_in_a_second_is_throttled(feishu_server, http):
    outcomes = [send("feishu", feishu_server.address(), "", NOTICE, client=http) for _ in range(12)]

    assert all(outcome.ok for outcome in outcomes[:5])
    throttled = [outcome for outcome in outcomes if outcome.throttled]
    assert throttled and not any(outcome.permanent for outcome in throttled)
    assert throttled[0].answer.startswith("code 11232: frequency limited")


def test_feishu_hostile_text_arrives_literal_and_within_20_kb(feishu_server, http):
    feishu_server.secret = FEISHU_SECRET

    outcome = send("feishu", feishu_server.address(), FEISHU_SECRET, HOSTILE, client=http)

    assert outcome.ok, outcome.answer  # the server refuses bodies over 20 KB
    assert len(feishu_server.requests[0].body) <= 20 * 1024
    card = feishu_server.received[0]["card"]
    # Only plain_text: neither lark_md nor an at element, so no mention and no link of theirs.
    tags = re.findall(r"'tag': '([a-z_]+)'", str(card))
    assert set(tags) <= {"plain_text", "div", "action", "button"}
    [text, *facts] = [e["text"]["content"] for e in card["elements"] if e["tag"] == "div"]
    assert text.endswith("…") and "XSS01" in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text + card["header"]["title"]["content"])
    [action] = [e for e in card["elements"] if e["tag"] == "action"]
    assert action["actions"][0]["url"] == PAGE


# --------------------------------------------------------------------------- webhook

HOOK_SECRET = "hook-secret-0123456789"


def test_webhook_delivers_the_documented_signed_body(webhook_server, http):
    webhook_server.secret = HOOK_SECRET
    message = dataclasses.replace(NOTICE, image_url=COVER)

    # The receiver refuses a timestamp more than 5 minutes off its clock (a replay).
    outcome = send("webhook", webhook_server.address(), HOOK_SECRET, message, client=http, now=time.time() - 600)
    assert not outcome.ok and outcome.permanent and outcome.answer.startswith("HTTP 401")

    outcome = send("webhook", webhook_server.address(), HOOK_SECRET, message, client=http)
    assert outcome.ok, outcome.answer
    [body] = webhook_server.received
    assert set(body) == {"event", "title", "text", "url", "image_url", "facts", "sent_at"}
    assert body["event"] == "notice_sent"
    assert body["title"] == NOTICE.title and body["text"] == NOTICE.text
    assert body["url"] == PAGE and body["image_url"] == COVER
    assert body["facts"] == list(NOTICE.facts)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["sent_at"])


def test_webhook_wrong_secret_is_permanent(webhook_server, http):
    webhook_server.secret = HOOK_SECRET

    outcome = send("webhook", webhook_server.address(), "not-the-secret", NOTICE, client=http)

    assert outcome.permanent and outcome.answer.startswith("HTTP 401")
    assert "not-the-secret" not in outcome.answer
    assert webhook_server.received == []


def test_webhook_hostile_values_are_plain_and_links_only_http(webhook_server, http):
    message = Message(title=HOSTILE.title, text=HOSTILE.text, url=URL_PAYLOADS[0], image_url="data:image/png;base64,AA")

    assert send("webhook", webhook_server.address(), "", message, client=http).ok

    body = webhook_server.received[0]
    assert body["url"] == "" and body["image_url"] == ""
    assert "\x1b" not in body["title"] and "\x00" not in body["text"]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [("500", "HTTP 500"), ("close", "连接中断"), ("sleep", "等待应答超时")],
)
def test_webhook_failures_are_retryable(webhook_server, http, failure, expected):
    webhook_server.failure = failure
    webhook_server.sleep_seconds = 2.0

    started = time.monotonic()
    outcome = send(
        "webhook", webhook_server.address(), "", NOTICE, client=http, timeout=httpx.Timeout(0.5, connect=0.5)
    )

    assert not outcome.ok and not outcome.permanent and not outcome.throttled
    assert outcome.answer.startswith(expected), outcome.answer
    assert time.monotonic() - started < 1.8  # a slow endpoint does not hold the worker


def test_webhook_429_is_throttled_with_retry_after(webhook_server, http):
    webhook_server.failure = "429"

    outcome = send("webhook", webhook_server.address(), "", NOTICE, client=http)

    assert outcome.throttled and outcome.retry_after == 30


def test_connection_refused_is_retryable_and_hides_the_address_credentials(http):
    port = refused_port()
    address = f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=very-secret-robot-key"

    outcome = send("wecom", address, "", NOTICE, client=http)

    assert not outcome.ok and not outcome.permanent and not outcome.throttled
    assert outcome.answer.startswith("连接失败")
    assert "very-secret-robot-key" not in outcome.answer


def test_an_address_that_is_no_url_is_a_permanent_failure(http):
    for address in ("https://[broken/hook", "ftp://127.0.0.1/hook", "hook", "http://127.0.0.1:99999/"):
        outcome = send("webhook", address, "", NOTICE, client=http)

        assert outcome.permanent and "地址无效" in outcome.answer


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("value", "max_bytes", "expected"),
    [
        ("党建工作", 12, "党建工作"),  # exactly fits: not cut
        ("党建工作", 11, "党建…"),  # 3 bytes a character, … is 3 bytes too
        ("ab党建", 7, "ab…"),  # never half a character
        ("a😀b", 5, "a…"),  # 4-byte characters too
    ],
)
def test_cut_keeps_whole_characters_and_marks_the_cut(value, max_bytes, expected):
    assert cut(value, max_bytes) == expected
    assert len(cut(value, max_bytes).encode()) <= max_bytes


# --------------------------------------------------------------------------- interpret


@pytest.mark.parametrize(
    ("kind", "status", "body", "ok", "permanent", "throttled"),
    [
        ("wecom", 200, {"errcode": 45033, "errmsg": "api concurrent out of limit"}, False, False, True),
        ("wecom", 200, {"errcode": 93004, "errmsg": "robot disabled"}, False, True, False),
        ("wecom", 200, {"errcode": -1, "errmsg": "system busy"}, False, False, False),
        ("dingtalk", 200, {"errcode": 400102, "errmsg": "机器人已停用"}, False, True, False),
        ("dingtalk", 200, {"errcode": 410100, "errmsg": "发送速度太快而限流"}, False, False, True),
        ("feishu", 200, {"code": 9499, "msg": "too many request"}, False, False, True),
        ("feishu", 400, {"code": 9499, "msg": "Bad Request"}, False, True, False),
        ("feishu", 200, {"code": 19022, "msg": "Ip Not Allowed"}, False, True, False),
        ("feishu", 200, {"StatusCode": 0, "StatusMessage": "success"}, True, False, False),
        ("feishu", 502, "<html>bad gateway</html>", False, False, False),
        ("wecom", 200, "not json", False, False, False),
        ("webhook", 404, "no such hook", False, True, False),
        ("webhook", 204, "", True, False, False),
    ],
)
def test_interpret_maps_documented_codes(kind, status, body, ok, permanent, throttled):
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()

    outcome = PLATFORMS[kind].interpret(status, raw)

    assert (outcome.ok, outcome.permanent, outcome.throttled) == (ok, permanent, throttled), outcome.answer


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("kind", "address"),
    [
        ("wecom", "  https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx \n"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc123"),
        ("dingtalk", "https://zwding.example.gov.cn/robot/send?access_token=abc123"),  # 政务钉钉
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-aaaa"),
        ("feishu", "https://feishu.corp.example.com/open-apis/bot/v2/hook/0f1e2d3c"),  # 私有化
        ("webhook", "http://oa.intranet/hooks/dangjian"),
        ("webhook", "https://hooks.example.com:8443/x?team=1"),
    ],
)
def test_validate_address_accepts(kind, address):
    assert validate_address(kind, address, allowed_http_hosts=["oa.intranet"]) == address.strip()


@pytest.mark.parametrize(
    ("kind", "address", "says"),
    [
        ("wecom", "", "请填写"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "缺少 key 参数"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=", "缺少 key 参数"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?token=abc", "缺少 access_token 参数"),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/", "缺少机器人标识"),
        ("webhook", "http://hooks.example.com/x", "只接受 https"),
        ("webhook", "ftp://hooks.example.com/x", "https://"),
        ("webhook", "javascript:alert(1)", "https://"),
        ("webhook", "https://user:pass@hooks.example.com/x", "用户名或密码"),
        ("webhook", "https://hooks.example.com/x#frag", "#"),
        ("webhook", "https://hooks.example.com/a b", "空格"),
        ("webhook", "https://hooks.example.com:99999/x", "格式不正确"),
    ],
)
def test_validate_address_refuses_in_chinese(kind, address, says):
    with pytest.raises(ValidationError) as error:
        validate_address(kind, address, allowed_http_hosts=["oa.intranet"])

    assert says in error.value.messages[0], error.value.messages
