"""Feishu (飞书) custom bot.

After the published documentation, 自定义机器人使用指南
(https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot):

- POST JSON to ``…/open-apis/bot/v2/hook/TOKEN``.
- 签名校验 (signing): ``timestamp`` in seconds and ``sign`` =
  base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) go into the JSON body; the
  timestamp must be within one hour of Feishu's clock. 自定义关键词 (the message must contain
  a keyword) and IP 白名单 are the other security options.
- ``post`` (rich text: ``zh_cn.title`` and lines of ``text``/``a`` elements) and
  ``interactive`` (a card: a ``plain_text`` header, ``plain_text`` blocks and a link
  button). Text elements are literal: only ``at`` elements and ``lark_md`` mention anyone,
  and we use neither. Images need an ``image_key`` uploaded through an app, which a custom
  bot cannot do, so the cover is not shown.
- The request body is at most 20 KB; 100 requests a minute and 5 a second per bot.
- Answers: ``{"code": 0, "msg": "success"}`` (older answers also carry ``StatusCode``);
  19001 bad webhook token, 19002 malformed message, 19007 bot disabled, 19021 "sign match
  fail or timestamp is not within one hour from current time", 19022 "Ip Not Allowed",
  19024 "Key Words Not Found", 11232 "frequency limited", 9499 "too many request" (throttled)
  or "Bad Request" (malformed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from .answers import from_status, json_object, short
from .base import Message, Outcome, PreparedRequest
from .text import cut, http_url, one_line, plain, utf8_len

KEY = "feishu"
LABEL = "飞书自定义机器人"
PER_MINUTE = 100
PER_SECOND = 5

BODY_MAX = 20 * 1024
TITLE_MAX = 300
FACT_MAX = 300
FACTS_MAX = 12
URL_MAX = 1500

THROTTLED = {11232}
PERMANENT = {19001, 19002, 19007, 19021, 19022, 19024}


def sign(secret: str, timestamp: int) -> str:
    """The signature as Feishu documents it: the string to sign is the HMAC key."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _body(title: str, text: str, facts: list[str], url: str) -> dict:
    if url:
        elements = []
        if text:
            elements.append({"tag": "div", "text": {"tag": "plain_text", "content": text}})
        elements.extend({"tag": "div", "text": {"tag": "plain_text", "content": fact}} for fact in facts)
        button = {"tag": "button", "text": {"tag": "plain_text", "content": "查看详情"}, "type": "primary", "url": url}
        elements.append({"tag": "action", "actions": [button]})
        header = {"title": {"tag": "plain_text", "content": title}, "template": "red"}
        return {
            "msg_type": "interactive",
            "card": {"config": {"wide_screen_mode": True}, "header": header, "elements": elements},
        }
    # One paragraph per line: a post shows its paragraphs one under the other.
    lines = [[{"tag": "text", "text": line}] for line in (text.split("\n") if text else []) + facts]
    return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": title, "content": lines}}}}


def prepare(address: str, secret: str, message: Message, *, now: float) -> PreparedRequest:
    url = http_url(message.url)
    url = url if utf8_len(url) <= URL_MAX else ""
    title = cut(one_line(message.title), TITLE_MAX) or "通知"
    facts = [cut(one_line(fact), FACT_MAX) for fact in message.facts[:FACTS_MAX]]
    facts = [fact for fact in facts if fact]
    text = re.sub(r"\n{3,}", "\n\n", plain(message.text).strip())
    signature = {}
    if secret:
        timestamp = int(now)
        signature = {"timestamp": str(timestamp), "sign": sign(secret, timestamp)}
    body = {**signature, **_body(title, text, facts, url)}
    # JSON escapes (quotes, backslashes, line breaks) make the text's share of the body
    # longer than the text: measure the encoded body and cut until it fits. Each byte cut
    # from the text takes at least one byte off the body, so this ends in a step or two.
    kept = text
    while kept and (excess := len(PreparedRequest(address, body).content) - BODY_MAX) > 0:
        kept = cut(text, max(0, utf8_len(kept) - excess - 8))
        body = {**signature, **_body(title, kept, facts, url)}
    return PreparedRequest(url=address, json=body)


def interpret(status_code: int, body: bytes, headers: dict[str, str] | None = None) -> Outcome:
    data = json_object(body)
    field = next((name for name in ("code", "StatusCode") if data is not None and name in data), None)
    if field is None:
        if 200 <= status_code < 300:
            return Outcome(ok=False, answer=f"HTTP {status_code}：无法识别的应答")
        return from_status(status_code, body, headers)
    try:
        code = int(data[field])
    except (TypeError, ValueError):
        return Outcome(ok=False, answer=f"无法识别的 code：{short(data[field])}")
    msg = str(data.get("msg", data.get("StatusMessage", "")))
    answer = f"code {code}: {short(msg)}"
    if code == 0:
        return Outcome(ok=True, answer=answer)
    if code in THROTTLED or (code == 9499 and "too many" in msg.lower()):
        return Outcome(ok=False, answer=answer, throttled=True, retry_after=1.0)
    if code == 9499:  # Bad Request: the same request fails again
        return Outcome(ok=False, answer=answer, permanent=True)
    return Outcome(ok=False, answer=answer, permanent=code in PERMANENT)
