"""Generic JSON webhook (通用 Webhook): our own documented format, for systems that are not
one of the chat platforms (an OA system, a message bus, a self-built bot).

Request: ``POST`` to the configured address, ``Content-Type: application/json; charset=utf-8``,
body (compact UTF-8 JSON)::

    {"event": "notice_sent", "title": "…", "text": "…", "url": "https://…",
     "image_url": "https://…" or "", "facts": ["截止时间：…"], "sent_at": "2026-12-02T10:00:00Z"}

Text is plain (no Markdown, no HTML: the receiver escapes for wherever it shows it); ``url``
and ``image_url`` are absolute http(s) addresses or "".

Signature, when a secret is configured::

    X-Dangjian-Timestamp: 1796205600            (Unix seconds)
    X-Dangjian-Signature: sha256=<hex HMAC-SHA256(key=secret, msg=timestamp + "\\n" + body)>

The receiver recomputes the HMAC over the raw body bytes, compares in constant time and
refuses timestamps more than 5 minutes away from its clock (replays).

Answer: any 2xx is delivered; 429 is throttling (``Retry-After`` honoured); other 4xx are
permanent refusals; 5xx and network errors are retried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from .answers import from_status
from .base import Message, Outcome, PreparedRequest
from .text import cut, http_url, one_line, plain

KEY = "webhook"
LABEL = "通用 Webhook"
PER_MINUTE = None
PER_SECOND = None

TEXT_MAX = 60000
TITLE_MAX = 1000
FACT_MAX = 1000
FACTS_MAX = 50
URL_MAX = 2000

TIMESTAMP_HEADER = "X-Dangjian-Timestamp"
SIGNATURE_HEADER = "X-Dangjian-Signature"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _url(value: str) -> str:
    url = http_url(value)
    return url if len(url) <= URL_MAX else ""


def prepare(address: str, secret: str, message: Message, *, now: float) -> PreparedRequest:
    sent_at = dt.datetime.fromtimestamp(int(now), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "event": one_line(message.event)[:100],
        "title": cut(one_line(message.title), TITLE_MAX),
        "text": cut(plain(message.text).strip(), TEXT_MAX),
        "url": _url(message.url),
        "image_url": _url(message.image_url),
        "facts": [cut(one_line(fact), FACT_MAX) for fact in message.facts[:FACTS_MAX]],
        "sent_at": sent_at,
    }
    headers = {"Content-Type": "application/json; charset=utf-8"}
    prepared = PreparedRequest(url=address, json=body, headers=headers)
    if secret:
        timestamp = str(int(now))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = signature(secret, timestamp, prepared.content)
    return prepared


def interpret(status_code: int, body: bytes, headers: dict[str, str] | None = None) -> Outcome:
    if 200 <= status_code < 300:
        return Outcome(ok=True, answer=f"HTTP {status_code}")
    return from_status(status_code, body, headers)
