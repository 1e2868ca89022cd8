"""A lean HTTP/1.1 client for the load generators (bench/quiz_load.py, bench/form_submissions.py).

The load generator runs on the same two cores as the server it measures, so every
millisecond of client CPU is taken from the server: httpx spent ~3.3 ms of CPU per request
in bench/quiz_load.py (its request and response models, cookie jar, connection pool), as
much as a third of the server's own. This client does only what the benchmarks need — one
request per connection (gunicorn's sync workers close the connection after each answer),
a cookie jar of name → value for one host, JSON bodies, Content-Length or chunked answers —
for a fraction of that.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit


class HTTPError(Exception):
    """The connection failed or the answer was not HTTP."""


@dataclass
class Response:
    status_code: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return jsonlib.loads(self.content)


@dataclass
class Client:
    """``base_url`` is http://host:port; ``cookies`` are sent with every request and updated
    from every Set-Cookie (no paths, domains or expiry: one host, one session)."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 120.0

    def __post_init__(self):
        parts = urlsplit(self.base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http://host:port is supported, not {self.base_url!r}")
        self.host, self.port = parts.hostname, parts.port or 80

    async def request(self, method: str, path: str, *, json=None, headers: dict[str, str] | None = None) -> Response:
        try:
            return await asyncio.wait_for(self._exchange(method, path, json, headers or {}), self.timeout)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            raise HTTPError(f"{method} {path}: {error!r}") from error

    async def get(self, path: str, **options) -> Response:
        return await self.request("GET", path, **options)

    async def post(self, path: str, **options) -> Response:
        return await self.request("POST", path, **options)

    async def aclose(self) -> None:
        """Nothing is kept open between requests; here for the callers' symmetry with httpx."""

    async def _exchange(self, method, path, json, extra) -> Response:
        body = b"" if json is None else jsonlib.dumps(json).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in {**self.headers, **extra}.items()]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        if json is not None:
            lines.append("Content-Type: application/json")
        if body or method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(body)}")
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            status = int(status_line.split(" ", 2)[1])
            headers: dict[str, str] = {}
            for line in header_lines:
                if not line:
                    continue
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip()
                if name == "set-cookie":
                    for morsel in SimpleCookie(value).values():
                        self.cookies[morsel.key] = morsel.value
                headers[name] = value
            if headers.get("transfer-encoding", "").lower() == "chunked":
                content = await _read_chunked(reader)
            elif "content-length" in headers:
                content = await reader.readexactly(int(headers["content-length"]))
            else:
                content = await reader.read()
            return Response(status, headers, content)
        finally:
            writer.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # the empty trailer
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
