"""What every push platform module provides (WeCom, DingTalk and Feishu group robots, a
generic signed JSON webhook). A platform turns one ``Message`` into one HTTP request after
its published documentation and reads the platform's answer into an ``Outcome``; it never
touches the database, so delivery (queueing, rate limits, retries) is the same for all.

Email is not a platform here: it goes through Django's mail API."""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass, field


def encode_json(data: dict) -> bytes:
    """The exact bytes posted for ``data``: compact UTF-8 JSON. One encoding for measuring
    size limits, signing (the generic webhook signs the body) and sending."""
    return jsonlib.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@dataclass(frozen=True)
class Message:
    """One message, as neutral as the platforms allow. Plain text only (no HTML, no
    Markdown syntax from people): each platform escapes and shapes it for itself."""

    title: str
    text: str = ""  # summary or body; platforms cut it to their size limits
    url: str = ""  # absolute link to the public page or the member area
    image_url: str = ""  # absolute cover image address, where the platform shows one
    # Lines of key facts shown under the text ("截止时间：12月5日 18:00"), in order.
    facts: tuple[str, ...] = field(default_factory=tuple)
    # What happened, for machines (the generic webhook's ``event``): "page_published",
    # "notice_sent", "notice_reminder" … Robots show people the title and text only.
    event: str = ""


@dataclass(frozen=True)
class PreparedRequest:
    url: str  # the webhook address with any signature query parameters
    json: dict
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        """The body as sent (``send`` posts these bytes, the webhook signs them)."""
        return encode_json(self.json)


@dataclass(frozen=True)
class Outcome:
    """What the platform answered. ``answer`` is shown in the admin as is (errcode and
    errmsg, or the HTTP status), never the secret."""

    ok: bool
    answer: str
    permanent: bool = False  # retrying cannot help: bad key or signature, robot removed, message refused
    throttled: bool = False  # the platform's rate limit: send again later (not an error)
    retry_after: float | None = None  # seconds, when the platform says
