"""WeCom (企业微信) group robot.

After the published documentation, 群机器人配置说明
(https://developer.work.weixin.qq.com/document/path/91770) and the global error codes
(https://developer.work.weixin.qq.com/document/path/90313):

- POST JSON to the address the group shows, ``…/cgi-bin/webhook/send?key=KEY``; the key is
  the only credential (WeCom robots have no signing secret).
- ``markdown``: ``content`` at most 4096 bytes of UTF-8; ``<@userid>`` mentions, ``<font>``
  colours and ``[text](url)`` links are its syntax, so people's text must carry none of it.
  ``text``: at most 2048 bytes. ``news``: 1–8 articles, ``title`` ≤ 128 bytes and
  ``description`` ≤ 512 bytes, ``url`` required, ``picurl`` the cover (JPG/PNG).
- At most 20 messages a minute per robot.
- Answers are HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; 93000 invalid webhook url
  (bad key, or the robot was removed from its group), 93004 robot disabled, 93008 not in
  the group, 45009 (api freq out of limit) and 45033 (concurrency) throttling, 40008 invalid
  message type, 40058/44004/45002 the message itself refused.
"""

from __future__ import annotations

from .answers import from_errcode
from .base import Message, Outcome, PreparedRequest
from .text import cut, http_url, markdown_text, one_line, plain, utf8_len

KEY = "wecom"
LABEL = "企业微信群机器人"
PER_MINUTE = 20
PER_SECOND = None

MARKDOWN_MAX = 4096
TEXT_MAX = 2048
NEWS_TITLE_MAX = 128
NEWS_DESCRIPTION_MAX = 512
TITLE_MAX = 300  # bytes of the title in a Markdown message: a heading, not the message
FACT_MAX = 300
FACTS_MAX = 12
URL_MAX = 1500  # a longer address is not one of ours; the message goes without a link

THROTTLED = {45009, 45033}
PERMANENT = {93000, 93004, 93008, 40008, 40058, 44004, 45002}


def _markdown(title: str, text: str, facts: list[str], url: str) -> str:
    parts = [f"**{title}**"] if title else []
    if text:
        parts.append(text)
    parts.extend(f"> {fact}" for fact in facts)
    if url:
        parts.append(f"[查看详情]({url})")
    return "\n\n".join(parts)


def prepare(address: str, secret: str, message: Message, *, now: float) -> PreparedRequest:
    url = http_url(message.url)
    url = url if utf8_len(url) <= URL_MAX else ""
    image = http_url(message.image_url)
    image = image if utf8_len(image) <= URL_MAX else ""
    if url and image:
        description = "\n".join(part for part in [plain(message.text).strip(), *map(one_line, message.facts)] if part)
        article = {
            "title": cut(one_line(message.title), NEWS_TITLE_MAX),
            "description": cut(description, NEWS_DESCRIPTION_MAX),
            "url": url,
            "picurl": image,
        }
        return PreparedRequest(url=address, json={"msgtype": "news", "news": {"articles": [article]}})

    title = cut(markdown_text(one_line(message.title)), TITLE_MAX)
    facts = [cut(markdown_text(one_line(fact)), FACT_MAX) for fact in message.facts[:FACTS_MAX]]
    facts = [fact for fact in facts if fact]
    while facts and utf8_len(_markdown(title, "", facts, url)) > MARKDOWN_MAX // 2:
        facts.pop()  # the text matters more than the tenth fact
    text = markdown_text(message.text)
    room = MARKDOWN_MAX - utf8_len(_markdown(title, "", facts, url)) - len("\n\n")
    content = _markdown(title, cut(text, room), facts, url)
    return PreparedRequest(url=address, json={"msgtype": "markdown", "markdown": {"content": content}})


def interpret(status_code: int, body: bytes, headers: dict[str, str] | None = None) -> Outcome:
    return from_errcode(status_code, body, headers, throttled=THROTTLED, permanent=PERMANENT, pause=60.0)
