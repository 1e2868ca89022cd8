"""The delivery app's one door to the push platforms (``platforms/``); the contract it relies
on is small (``PLATFORMS`` with ``KEY``/``LABEL``/``PER_MINUTE``/``PER_SECOND``/``prepare``/
``interpret`` per module, ``send``, ``validate_address``, ``Message``, ``Outcome``).

``asend`` is the asyncio twin of ``platforms.send`` for the delivery task, which sends to
all channels at once on one ``httpx.AsyncClient`` so that a slow robot never holds up
another. Like ``send`` it never raises for what the network or the platform does, does not
follow redirects, and scrubs the signing secret and the address's token out of every
answer it returns (the answer is stored in ``Delivery.last_error`` and shown in the admin).
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import time
from urllib.parse import parse_qs, urlsplit

import httpx
from django.conf import settings

from . import platforms
from .platforms import base

# httpx logs each request's full URL at INFO; a robot's URL is a credential. Settings.LOGGING
# says so too; this holds where another logging set-up replaced it (tests, scripts).
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def _platforms():
    return platforms


def _base():
    return base


def module(kind: str):
    return _platforms().PLATFORMS[kind]


def limits(kind: str) -> tuple[int | None, int | None]:
    """(messages per minute, messages per second) one robot accepts; None: no limit."""
    platform = module(kind)
    return getattr(platform, "PER_MINUTE", None), getattr(platform, "PER_SECOND", None)


def validate_address(kind: str, address: str) -> str:
    """The cleaned address, or django's ValidationError in Chinese."""
    return _platforms().validate_address(kind, address, allowed_http_hosts=tuple(settings.DELIVERY_ALLOWED_HTTP_HOSTS))


# Messages ----------------------------------------------------------------------------


def make_message(*, title: str, text: str = "", url: str = "", image_url: str = "", facts=(), event: str = ""):
    Message = _base().Message
    fields = {"title": title, "text": text, "url": url, "image_url": image_url, "facts": tuple(facts)}
    if "event" in {f.name for f in dataclasses.fields(Message)}:
        fields["event"] = event
    return Message(**fields)


def message_to_json(message) -> dict:
    data = dataclasses.asdict(message)
    data["facts"] = list(data.get("facts") or ())
    return data


def message_from_json(data: dict):
    Message = _base().Message
    known = {f.name for f in dataclasses.fields(Message)}
    fields = {key: value for key, value in data.items() if key in known}
    fields["facts"] = tuple(fields.get("facts") or ())
    return Message(**fields)


# Sending -----------------------------------------------------------------------------


def timeout() -> httpx.Timeout:
    return httpx.Timeout(settings.DELIVERY_TIMEOUT_SECONDS, connect=settings.DELIVERY_CONNECT_TIMEOUT_SECONDS)


def headers() -> dict[str, str]:
    return {"User-Agent": settings.DELIVERY_USER_AGENT}


def _credentials(address: str, secret: str, *more: str) -> list[str]:
    """Every string that must not appear in an answer: the secret, the address, its query
    and query values (WeCom's key, DingTalk's access_token, a signature) and a long last
    path segment (Feishu's hook token)."""
    found = [secret]
    for value in (address, *more):
        found.append(value)
        try:
            parts = urlsplit(value)
        except ValueError:
            continue
        found.append(parts.query)
        found += [v for values in parse_qs(parts.query).values() for v in values]
        segment = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if len(segment) >= 16:
            found.append(segment)
    return [s for s in found if s and len(s) >= 4]


def scrub(text: str, address: str, secret: str, *more: str) -> str:
    for value in sorted(_credentials(address, secret, *more), key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def _network_failure(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "连接超时：对方在规定时间内未接受连接"
    if isinstance(exc, httpx.TimeoutException):
        return "等待应答超时：对方未在规定时间内应答"
    if isinstance(exc, httpx.ConnectError):
        return "连接失败：无法连接到对方服务器"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "连接中断：对方未给出完整应答"
    return f"网络错误：{type(exc).__name__}"


def outcome(**fields):
    return _base().Outcome(**fields)


def _body(prepared) -> bytes:
    content = getattr(prepared, "content", None)
    if content is None:  # a PreparedRequest without the encoded body
        import json

        content = json.dumps(prepared.json, ensure_ascii=False, separators=(",", ":")).encode()
    return content


async def asend(kind: str, address: str, secret: str, message, *, client: httpx.AsyncClient, now: float | None = None):
    platform = module(kind)
    try:
        prepared = platform.prepare(address, secret, message, now=time.time() if now is None else now)
    except Exception as exc:  # noqa: BLE001 - a message the platform cannot shape will never pass
        return outcome(ok=False, answer=f"消息无法转换为该平台的格式：{type(exc).__name__}", permanent=True)
    request_headers = {"Content-Type": "application/json; charset=utf-8", **prepared.headers, **headers()}
    try:
        response = await client.post(
            prepared.url, content=_body(prepared), headers=request_headers, timeout=timeout(), follow_redirects=False
        )
    except httpx.HTTPError as exc:
        return outcome(ok=False, answer=_network_failure(exc))
    result = platform.interpret(response.status_code, response.content, dict(response.headers))
    return dataclasses.replace(result, answer=scrub(result.answer, address, secret, prepared.url)[:500])


def send_now(kind: str, address: str, secret: str, message):
    """One message, synchronously, with short timeouts (the admin's 发送测试消息)."""
    short = httpx.Timeout(5.0, connect=3.0)
    send = _platforms().send
    extra = {"timeout": short} if "timeout" in inspect.signature(send).parameters else {}
    with httpx.Client(headers=headers(), timeout=short) as client:
        result = send(kind, address, secret, message, client=client, **extra)
    return dataclasses.replace(result, answer=scrub(result.answer, address, secret)[:500])
