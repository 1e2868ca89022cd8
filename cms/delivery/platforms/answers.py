"""Reading platforms' answers: the parts every ``interpret`` shares."""

from __future__ import annotations

import json

from .base import Outcome
from .text import one_line

MAX_ANSWER = 300  # characters of a platform's message kept for the admin


def json_object(body: bytes) -> dict | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def short(value: object) -> str:
    return one_line(str(value))[:MAX_ANSWER]


def retry_after(headers: dict[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds (the HTTP-date form is rare
    from these services and a guess is as good as parsing it)."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def from_status(status_code: int, body: bytes, headers: dict[str, str] | None = None) -> Outcome:
    """An answer that says nothing in the platform's own terms: judge by the HTTP status.
    429 is throttling; other 4xx (bad address, refused request) repeat identically, so
    retrying cannot help; 5xx, redirects and anything else may pass later."""
    text = body[:200].decode("utf-8", errors="replace")
    answer = f"HTTP {status_code}" + (f": {short(text)}" if text.strip() else "")
    if status_code == 429:
        return Outcome(ok=False, answer=answer, throttled=True, retry_after=retry_after(headers))
    if 400 <= status_code < 500 and status_code != 408:
        return Outcome(ok=False, answer=answer, permanent=True)
    return Outcome(ok=False, answer=answer)


def from_errcode(
    status_code: int,
    body: bytes,
    headers: dict[str, str] | None,
    *,
    throttled: frozenset[int] | set[int],
    permanent: frozenset[int] | set[int],
    pause: float,
) -> Outcome:
    """WeCom's and DingTalk's answer, ``{"errcode": …, "errmsg": …}``: 0 is success (a 200
    with any other code is a failure), ``throttled`` codes wait ``pause`` seconds,
    ``permanent`` ones stop; an answer without errcode is read by its HTTP status."""
    data = json_object(body)
    if data is None or "errcode" not in data:
        if 200 <= status_code < 300:
            return Outcome(ok=False, answer=f"HTTP {status_code}：无法识别的应答")
        return from_status(status_code, body, headers)
    try:
        code = int(data["errcode"])
    except (TypeError, ValueError):
        return Outcome(ok=False, answer=f"无法识别的 errcode：{short(data['errcode'])}")
    answer = f"errcode {code}: {short(data.get('errmsg', ''))}"
    if code == 0:
        return Outcome(ok=True, answer=answer)
    if code in throttled:
        return Outcome(ok=False, answer=answer, throttled=True, retry_after=pause)
    return Outcome(ok=False, answer=answer, permanent=code in permanent)
