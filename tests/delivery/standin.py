"""A minimal stand-in for ``cms.notifications.platforms`` (the generic webhook kind only),
installed by conftest.py ONLY when that package is not importable yet (it is written on
another branch). It follows the real package's documented contract and the webhook's
documented answers; once the real package is merged this file is unused."""

from __future__ import annotations

import time
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from cms.notifications.platforms.base import Outcome, PreparedRequest


def prepare(address, secret, message, *, now):
    body = {
        "event": getattr(message, "event", ""),
        "title": message.title,
        "text": message.text,
        "url": message.url,
        "image_url": message.image_url,
        "facts": list(message.facts),
    }
    return PreparedRequest(url=address, json=body, headers={})


def interpret(status_code, body, headers=None):
    answer = f"HTTP {status_code}: {body[:200].decode('utf-8', 'replace')}"
    if 200 <= status_code < 300:
        return Outcome(ok=True, answer=f"HTTP {status_code}")
    if status_code == 429:
        retry = {k.lower(): v for k, v in (headers or {}).items()}.get("retry-after")
        return Outcome(ok=False, answer=answer, throttled=True, retry_after=float(retry) if retry else None)
    if 400 <= status_code < 500:
        return Outcome(ok=False, answer=answer, permanent=True)
    return Outcome(ok=False, answer=answer)


webhook = SimpleNamespace(
    KEY="webhook", LABEL="通用 Webhook", PER_MINUTE=None, PER_SECOND=None, prepare=prepare, interpret=interpret
)
PLATFORMS = {"webhook": webhook}


def send(kind, address, secret, message, *, client, now=None, timeout=None):
    import httpx

    module = PLATFORMS[kind]
    prepared = module.prepare(address, secret, message, now=time.time() if now is None else now)
    try:
        response = client.post(prepared.url, json=prepared.json, headers=prepared.headers)
    except httpx.HTTPError as exc:
        return Outcome(ok=False, answer=f"网络错误：{type(exc).__name__}")
    return module.interpret(response.status_code, response.content, dict(response.headers))


def validate_address(kind, address, *, allowed_http_hosts=()):
    address = (address or "").strip()
    parts = urlsplit(address)
    if parts.scheme == "https" and parts.hostname:
        return address
    if parts.scheme == "http" and parts.hostname in set(allowed_http_hosts):
        return address
    raise ValidationError("只接受 https 地址。")
