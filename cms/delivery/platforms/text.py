"""Text helpers the platforms share: plain text from people, Markdown that cannot carry their
syntax, byte-exact cuts, and the only links we put in a message (http and https)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

ELLIPSIS = "…"

# C0/C1 control characters and the invisible format characters that can reorder or hide
# text (bidi overrides, zero-width joiners): a chat client shows them as nothing or worse.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

# Markdown and the platforms' extensions (WeCom ``<@userid>`` and ``<font>``, DingTalk
# ``@mobile``, HTML, autolinks ``<http://…>``, link and image brackets, entities) are made
# inert by their full-width look-alikes: a reader sees the same text, no renderer sees syntax,
# whatever escape rules a platform's Markdown dialect has (WeCom documents none).
_MARKDOWN = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "@": "＠",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        "~": "～",
        "|": "｜",
        "&": "＆",
        "\\": "＼",
        "!": "！",
    }
)


_LINE_START = str.maketrans({".": "．", "-": "－", "+": "＋", "=": "＝"})


def plain(value: str) -> str:
    """People's text without control characters; line breaks kept (as ``\\n``)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub("", value)


def one_line(value: str) -> str:
    """A title: plain text on one line, whitespace runs as one space."""
    return " ".join(plain(value).split())


def markdown_text(value: str) -> str:
    """People's text for a Markdown message: plain, no Markdown syntax, and no line that a
    renderer would take for a list, quote or heading (``-``, ``+``, ``1.`` at its start)."""
    lines = []
    for line in plain(value).translate(_MARKDOWN).split("\n"):
        line = line.strip()
        line = re.sub(r"^(?:[-+=]|\d+\.)", lambda m: m.group().translate(_LINE_START), line)
        lines.append(line)
    # At most one empty line in a row: a paragraph break, not a screen of white.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def utf8_len(value: str) -> int:
    return len(value.encode())


def cut(value: str, max_bytes: int) -> str:
    """``value`` in at most ``max_bytes`` bytes of UTF-8, cut at a character boundary and
    ending with … when something was cut."""
    if utf8_len(value) <= max_bytes:
        return value
    room = max_bytes - utf8_len(ELLIPSIS)
    if room <= 0:
        return ""
    head = value.encode()[:room].decode(errors="ignore").rstrip()
    return head + ELLIPSIS


def http_url(value: str) -> str:
    """``value`` when it is an absolute http(s) address a chat client may open, else "".
    Only our own addresses (the page, the member area, the cover image) ever become links;
    characters that would end a Markdown link target or open another one are percent-encoded."""
    value = (value or "").strip()
    if not value or _CONTROL.search(value) or any(c.isspace() for c in value):
        return ""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username or parts.password:
        return ""
    rest = value[len(parts.scheme) + 3 + len(parts.netloc) :]
    return value[: len(value) - len(rest)] + rest.translate(_URL_QUOTE)


_URL_QUOTE = str.maketrans({c: f"%{ord(c):02X}" for c in "()<>[]\"'`{}|^"})
