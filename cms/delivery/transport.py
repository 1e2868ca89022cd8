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
import logging
import time

import httpx
from django.conf import settings

from . import platforms
from .platforms import base

# httpx logs each request's full URL at INFO; a robot's URL is a credential. Settings.LOGGING
# says so too; this holds where another logging set-up replaced it (tests, scripts).
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def module(kind: str):
    return platforms.PLATFORMS[kind]


def limits(kind: str) -> tuple[int | None, int | None]:
    """(messages per minute, messages per second) one robot accepts; None: no limit."""
    platform = module(kind)
    return getattr(platform, "PER_MINUTE", None), getattr(platform, "PER_SECOND", None)


def validate_address(kind: str, address: str) -> str:
    """The cleaned address, or django's ValidationError in Chinese."""
    return platforms.validate_address(kind, address, allowed_http_hosts=tuple(settings.DELIVERY_ALLOWED_HTTP_HOSTS))


# Messages ----------------------------------------------------------------------------


def make_message(*, title: str, text: str = "", url: str = "", image_url: str = "", facts=(), event: str = ""):
    Message = base.Message
    fields = {"title": title, "text": text, "url": url, "image_url": image_url, "facts": tuple(facts)}
    if "event" in {f.name for f in dataclasses.fields(Message)}:
        fields["event"] = event
    return Message(**fields)


def message_to_json(message) -> dict:
    data = dataclasses.asdict(message)
    data["facts"] = list(data.get("facts") or ())
    return data


def message_from_json(data: dict):
    Message = base.Message
    known = {f.name for f in dataclasses.fields(Message)}
    fields = {key: value for key, value in data.items() if key in known}
    fields["facts"] = tuple(fields.get("facts") or ())
    return Message(**fields)


# Sending -----------------------------------------------------------------------------


def timeout() -> httpx.Timeout:
    return httpx.Timeout(settings.DELIVERY_TIMEOUT_SECONDS, connect=settings.DELIVERY_CONNECT_TIMEOUT_SECONDS)


def headers() -> dict[str, str]:
    return {"User-Agent": settings.DELIVERY_USER_AGENT}


def outcome(**fields):
    return base.Outcome(**fields)


async def asend(kind: str, address: str, secret: str, message, *, client: httpx.AsyncClient, now: float | None = None):
    platform = module(kind)
    try:
        prepared = platform.prepare(address, secret, message, now=time.time() if now is None else now)
    except Exception as exc:  # noqa: BLE001 - a message the platform cannot shape will never pass
        return outcome(ok=False, answer=f"消息无法转换为该平台的格式：{type(exc).__name__}", permanent=True)
    request_headers = {"Content-Type": "application/json; charset=utf-8", **prepared.headers, **headers()}
    try:
        response = await client.post(
            prepared.url, content=prepared.content, headers=request_headers, timeout=timeout(), follow_redirects=False
        )
    except httpx.HTTPError as exc:
        return outcome(ok=False, answer=platforms.scrub(platforms.network_failure(exc), address, secret, prepared.url))
    result = platform.interpret(response.status_code, response.content, dict(response.headers))
    return dataclasses.replace(result, answer=platforms.scrub(result.answer, address, secret, prepared.url)[:500])


def send_now(kind: str, address: str, secret: str, message):
    """One message, synchronously, with short timeouts (the admin's 发送测试消息)."""
    short = httpx.Timeout(5.0, connect=3.0)
    with httpx.Client(headers=headers(), timeout=short) as client:
        result = platforms.send(kind, address, secret, message, client=client, timeout=short)
    return dataclasses.replace(result, answer=platforms.scrub(result.answer, address, secret)[:500])
