"""Push platforms: one module per platform (``KEY``, ``LABEL``, ``PER_MINUTE``/``PER_SECOND``,
``prepare``, ``interpret``), the registry, sending one message over HTTP, and checking a
pasted webhook address. No database here: queueing, rate limits and retries are the
caller's, driven by the ``Outcome`` and the rate limits each module declares."""

from __future__ import annotations

import re
import time
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import httpx
from django.core.exceptions import ValidationError

from . import dingtalk, feishu, webhook, wecom
from .base import Message, Outcome, PreparedRequest

__all__ = [
    "CHOICES",
    "PLATFORMS",
    "TIMEOUT",
    "Message",
    "Outcome",
    "PreparedRequest",
    "network_failure",
    "scrub",
    "send",
    "validate_address",
]

PLATFORMS: dict[str, ModuleType] = {module.KEY: module for module in (wecom, dingtalk, feishu, webhook)}
# For a model field's ``choices``.
CHOICES: list[tuple[str, str]] = [(key, module.LABEL) for key, module in PLATFORMS.items()]

# A robot that takes longer than this is not going to answer; the delivery worker must move on.
TIMEOUT = httpx.Timeout(10.0, connect=3.0)

# Query parameters that are credentials in a webhook address (and must never reach a log).
CREDENTIAL_PARAMS = ("key", "access_token", "token", "sign")


def platform(kind: str) -> ModuleType:
    try:
        return PLATFORMS[kind]
    except KeyError:
        raise ValueError(f"unknown push platform: {kind!r}") from None


def _scrub(text: str, *secrets: str) -> str:
    """``text`` without any of ``secrets`` (the signing secret, the address and its query)."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _address_secrets(address: str) -> list[str]:
    try:
        parts = urlsplit(address)
    except ValueError:
        return [address]
    values = [value for values in parse_qs(parts.query).values() for value in values]
    # Feishu's token is the last path segment; a generic webhook may hide one in its path too.
    path_token = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return [address, parts.query, *values, *([path_token] if len(path_token) >= 16 else [])]


def scrub(text: str, address: str, secret: str, *more_addresses: str) -> str:
    """``text`` without the signing secret or any credential part of the addresses (their
    query, query values, a long last path segment): what may be shown or stored of an answer."""
    secrets = [secret, *(part for value in (address, *more_addresses) for part in _address_secrets(value))]
    return _scrub(text, *secrets)


def network_failure(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "连接超时：对方在规定时间内未接受连接"
    if isinstance(exc, httpx.TimeoutException):
        return "等待应答超时：对方未在规定时间内应答"
    if isinstance(exc, httpx.ConnectError):
        return f"连接失败：{exc}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"连接中断：对方未给出完整应答（{exc}）"
    return f"网络错误：{type(exc).__name__}: {exc}"


def _is_http_address(address: str) -> bool:
    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def send(
    kind: str,
    address: str,
    secret: str,
    message: Message,
    *,
    client: httpx.Client,
    now: float | None = None,
    timeout: httpx.Timeout = TIMEOUT,
) -> Outcome:
    """Deliver ``message`` to one robot and say how it went. Never raises for what the
    network or the platform does: a refused connection, a timeout or a dead endpoint is a
    retryable ``Outcome``. Redirects are not followed (a webhook that moves is a new address
    for the admin to paste, not somewhere to send the message and its signature)."""
    module = platform(kind)
    if not _is_http_address(address):
        # Addresses are validated when saved; one that is not a URL will never become one.
        return Outcome(ok=False, answer="Webhook 地址无效，请重新填写。", permanent=True)
    prepared = module.prepare(address, secret, message, now=time.time() if now is None else now)
    headers = {"Content-Type": "application/json; charset=utf-8", **prepared.headers}
    try:
        response = client.post(
            prepared.url, content=prepared.content, headers=headers, timeout=timeout, follow_redirects=False
        )
    except httpx.HTTPError as exc:
        return Outcome(ok=False, answer=scrub(network_failure(exc), address, secret, prepared.url)[:300])
    outcome = module.interpret(response.status_code, response.content, dict(response.headers))
    answer = scrub(outcome.answer, address, secret, prepared.url)
    if answer != outcome.answer:
        outcome = Outcome(outcome.ok, answer, outcome.permanent, outcome.throttled, outcome.retry_after)
    return outcome


# --------------------------------------------------------------------------- addresses

# The parameter the platform puts in the address it shows, which is the robot's credential.
REQUIRED_PARAM = {"wecom": "key", "dingtalk": "access_token"}


def validate_address(kind: str, address: str, *, allowed_http_hosts: list[str] | tuple[str, ...] = ()) -> str:
    """The webhook address as pasted, cleaned (surrounding whitespace and line breaks from
    copying), or ``ValidationError`` in Chinese. Any https host is accepted: state
    enterprises run 政务钉钉 and private Feishu/WeCom deployments on their own domains; plain
    http only for the hosts the operator lists (an intranet gateway)."""
    platform(kind)
    address = (address or "").strip()
    if not address:
        raise ValidationError("请填写 Webhook 地址。", code="required")
    if re.search(r"[\s\x00-\x1f\x7f]", address):
        raise ValidationError("Webhook 地址中不能有空格或换行，请完整复制平台显示的地址。", code="whitespace")
    try:
        parts = urlsplit(address)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ValidationError("Webhook 地址格式不正确。", code="invalid") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise ValidationError("Webhook 地址必须以 https:// 开头。", code="scheme")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError("Webhook 地址中不能包含用户名或密码。", code="credentials")
    if parts.fragment or "#" in address:
        raise ValidationError("Webhook 地址中不能包含“#”及其后的内容。", code="fragment")
    allowed = {h.strip().lower().rstrip(".") for h in allowed_http_hosts if h.strip()}
    if scheme == "http" and host.lower().rstrip(".") not in allowed:
        raise ValidationError(
            "只接受 https 地址；内网的 http 地址须由管理员在设置中列入允许的主机（%(host)s 不在其中）。",
            code="http_host",
            params={"host": host},
        )
    param = REQUIRED_PARAM.get(kind)
    if param and not any(value.strip() for value in parse_qs(parts.query).get(param, [])):
        label = PLATFORMS[kind].LABEL
        raise ValidationError(
            "这不像%(label)s的 Webhook 地址：缺少 %(param)s 参数，请完整复制平台显示的地址。",
            code="missing_param",
            params={"label": label, "param": param},
        )
    if kind == "feishu" and not parts.path.rsplit("/", 1)[-1]:
        raise ValidationError("这不像飞书自定义机器人的 Webhook 地址：地址末尾缺少机器人标识。", code="missing_token")
    return address
