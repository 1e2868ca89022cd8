"""DingTalk (钉钉) custom group robot.

After the published documentation, 自定义机器人发送群消息 and 自定义机器人安全设置
(https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages,
https://open.dingtalk.com/document/orgapp/customize-robot-security-settings):

- POST JSON to ``…/robot/send?access_token=TOKEN``.
- 加签 (signing): ``timestamp`` in milliseconds, ``sign`` = URL-encoded
  base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), both appended as query
  parameters; the timestamp must be within one hour of DingTalk's clock. The other security
  options (自定义关键词: a keyword that must appear in the message; IP 地址段) need nothing
  from us but are answered with the same errcode 310000.
- ``markdown``: ``title`` (shown in the conversation list) and ``text``; ``actionCard``:
  ``title``, ``text``, one button (``singleTitle``/``singleURL``). Content up to about 20000
  bytes. ``at.isAtAll`` false: nobody is mentioned, whatever the text says.
- 20 messages a minute per robot; beyond that the robot is throttled for 10 minutes.
- Answers: HTTP 200 ``{"errcode": 0, "errmsg": "ok"}``; 310000 security refusals ("sign not
  match", "invalid timestamp", "keywords not in content", "ip X not in whitelist"), 300001 /
  400101 token missing, 400102 robot stopped, 400106 robot missing, 400013 group dissolved,
  130101 / 410100 sending too fast, 430101–430104 content refused as unsafe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

from .answers import from_errcode
from .base import Message, Outcome, PreparedRequest, encode_json
from .text import cut, http_url, markdown_text, one_line, utf8_len

KEY = "dingtalk"
LABEL = "钉钉自定义机器人"
PER_MINUTE = 20
PER_SECOND = None

CONTENT_MAX = 19000  # bytes of the JSON body; DingTalk's limit is about 20000
TITLE_MAX = 300
FACT_MAX = 300
FACTS_MAX = 12
URL_MAX = 1500
THROTTLE_PAUSE = 600.0  # DingTalk's documented 10-minute throttle after the 21st message

THROTTLED = {130101, 410100}
PERMANENT = {
    310000,
    300001,
    300005,
    400013,
    400101,
    400102,
    400105,
    400106,
    430101,
    430102,
    430103,
    430104,
    40035,
    43004,
}


def sign(secret: str, timestamp_ms: int) -> str:
    """The signature as DingTalk documents it, before URL encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_address(address: str, secret: str, now: float) -> str:
    if not secret:
        return address
    timestamp = int(now * 1000)
    separator = "&" if "?" in address else "?"
    return f"{address}{separator}timestamp={timestamp}&sign={quote_plus(sign(secret, timestamp))}"


def _text(text: str, facts: list[str], image: str) -> str:
    parts = [f"![]({image})"] if image else []
    if text:
        parts.append(text)
    parts.extend(f"> {fact}" for fact in facts)
    return "\n\n".join(parts)


def _body(preview: str, title: str, text: str, facts: list[str], image: str, url: str) -> dict:
    text = f"### {title}\n\n{_text(text, facts, image)}".rstrip()
    if url:
        card = {"title": preview, "text": text, "btnOrientation": "0", "singleTitle": "阅读全文", "singleURL": url}
        body = {"msgtype": "actionCard", "actionCard": card}
    else:
        body = {"msgtype": "markdown", "markdown": {"title": preview, "text": text}}
    body["at"] = {"atMobiles": [], "atUserIds": [], "isAtAll": False}
    return body


def prepare(address: str, secret: str, message: Message, *, now: float) -> PreparedRequest:
    url = http_url(message.url)
    url = url if utf8_len(url) <= URL_MAX else ""
    image = http_url(message.image_url)
    image = image if utf8_len(image) <= URL_MAX else ""
    # ``title`` is both the conversation-list preview and, in ``text``, a Markdown heading:
    # escaped for both, as no documentation promises the preview is never rendered.
    title = cut(markdown_text(one_line(message.title)), TITLE_MAX) or "通知"
    preview = title
    facts = [cut(markdown_text(one_line(fact)), FACT_MAX) for fact in message.facts[:FACTS_MAX]]
    facts = [fact for fact in facts if fact]
    text = markdown_text(message.text)
    room = CONTENT_MAX - len(encode_json(_body(preview, title, "", facts, image, url)))
    kept = cut(text, max(room, 0))
    body = _body(preview, title, kept, facts, image, url)
    # JSON escapes (line breaks, quotes) count too: cut further until the body fits.
    while kept and (excess := len(encode_json(body)) - CONTENT_MAX) > 0:
        kept = cut(text, max(0, utf8_len(kept) - excess - 8))
        body = _body(preview, title, kept, facts, image, url)
    return PreparedRequest(url=signed_address(address, secret, now), json=body)


def interpret(status_code: int, body: bytes, headers: dict[str, str] | None = None) -> Outcome:
    return from_errcode(status_code, body, headers, throttled=THROTTLED, permanent=PERMANENT, pause=THROTTLE_PAUSE)
