"""Real local servers for the delivery tests: a webhook endpoint (the generic JSON webhook's
side: any 2xx delivered, 429 throttling, 4xx refusal, 5xx failure) that can also be slow,
and addresses where nothing listens. 127.0.0.1 only; port 0."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: dict
    at: float  # time.monotonic() when the request arrived


@dataclass
class RobotServer:
    """Paths: /ok, /slow (sleeps ``delay`` s first), /throttle (429, Retry-After: 30),
    /refuse (403 with a platform-like message), /error (500)."""

    delay: float = 5.0
    received: list[Received] = field(default_factory=list)

    def start(self) -> RobotServer:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                robot.received.append(
                    Received(self.path.split("?")[0], dict(self.headers), json.loads(raw or b"{}"), time.monotonic())
                )
                path = self.path.split("?")[0]
                if path.startswith("/slow"):
                    time.sleep(robot.delay)
                    self._answer(200, {"ok": True})
                elif path.startswith("/throttle"):
                    self._answer(429, {"error": "too many requests"}, {"Retry-After": "30"})
                elif path.startswith("/refuse"):
                    self._answer(403, {"error": "robot removed"})
                elif path.startswith("/error"):
                    self._answer(500, {"error": "internal"})
                else:
                    self._answer(200, {"ok": True})

            def _answer(self, status, body, headers=None):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def paths(self) -> list[str]:
        return [r.path for r in self.received]


def dead_address(path: str = "/hook") -> str:
    """An address where nothing listens: connecting is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}{path}"


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
