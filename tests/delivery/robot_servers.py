"""Local HTTP servers that speak the push platforms' side of the protocol, on 127.0.0.1.

Each one checks what the real service checks (credential in the address, signature and its
timestamp window, the keyword security option, message size, the per-robot rate limit) and
answers with the platform's own codes (see the docstrings of
``cms.delivery.platforms.wecom`` / ``dingtalk`` / ``feishu``, which cite the
documentation). Written from the documentation, not from our modules: nothing here imports
the code under test, so a signing or encoding mistake on our side fails the check here.

Every request is kept in ``requests`` (with its arrival time, ``at``); what the platform
would have shown in the group (the accepted messages, decoded JSON) in ``received``. A test
configures a server by setting attributes: ``secret``, ``keyword``, ``failure`` ("500",
"429", "sleep", "close") and ``sleep_seconds``. ``WebhookServer`` also fails by path, so
one server can stand for several channels. ``dead_address`` is where nothing listens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    answer: object = None
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def json(self):
        return json.loads(self.body.decode())


def _strings(value, keys=("text", "content", "title")) -> list[str]:
    """The strings a person sees in a message: the values of text-like keys, recursively."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in keys and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_strings(item, keys))
    elif isinstance(value, list):
        for item in value:
            found.extend(_strings(item, keys))
    return found


class RobotServer:
    """A threaded HTTP server in the background; ``handle`` is the platform."""

    def __init__(self):
        self.secret = ""
        self.keyword = ""
        self.failure: str | None = None
        self.sleep_seconds = 2.0
        self.requests: list[Request] = []
        self.received: list[dict] = []
        self._sent: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> RobotServer:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # quiet test output
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                request = Request(parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
                with robot._lock:
                    robot.requests.append(request)
                failure = robot.failure_for(request)
                if failure == "close":
                    self.close_connection = True
                    return  # no answer at all: the peer sees the connection closed
                if failure == "sleep":
                    time.sleep(robot.sleep_seconds)  # outside the lock: other requests go on
                if failure == "500":
                    status, answer, headers = 500, b"<html>502 Bad Gateway</html>", {}
                elif failure == "429":
                    status, answer, headers = 429, b"Too Many Requests", {"Retry-After": "30"}
                else:
                    with robot._lock:
                        status, answer = robot.handle(request)
                    headers = {}
                request.status, request.answer = status, answer
                data = answer if isinstance(answer, bytes) else json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                content_type = "application/json" if not isinstance(answer, bytes) else "text/plain"
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self):
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ helpers for platforms

    def over_limit(self, robot: str, limit: int, window: float) -> bool:
        """Sliding window per robot; a refused message does not count."""
        now = time.monotonic()
        sent = self._sent[(robot, window)]
        while sent and now - sent[0] >= window:
            sent.popleft()
        if len(sent) >= limit:
            return True
        sent.append(now)
        return False

    def failure_for(self, request: Request) -> str | None:
        return self.failure

    def handle(self, request: Request) -> tuple[int, object]:
        raise NotImplementedError


class WeComServer(RobotServer):
    """企业微信群机器人: ``/cgi-bin/webhook/send?key=…``."""

    def __init__(self):
        super().__init__()
        self.keys = {"wecom-key-0001"}

    def address(self, key: str = "wecom-key-0001") -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    @staticmethod
    def _error(code: int, msg: str) -> tuple[int, dict]:
        return 200, {"errcode": code, "errmsg": msg}

    def handle(self, request):
        key = (request.query.get("key") or [""])[0]
        if request.path != "/cgi-bin/webhook/send" or key not in self.keys:
            # WeCom echoes the key it did not recognise in its hint.
            return self._error(93000, f"invalid webhook url, hint: [key {key} not found]")
        try:
            message = request.json
        except ValueError:
            return self._error(40058, "invalid Request Parameter, json error")
        kind = message.get("msgtype")
        if kind == "markdown":
            content = (message.get("markdown") or {}).get("content") or ""
            if not content:
                return self._error(44004, "empty content")
            if len(content.encode()) > 4096:
                return self._error(40058, "markdown.content exceed max length 4096")
        elif kind == "text":
            content = (message.get("text") or {}).get("content") or ""
            if not content:
                return self._error(44004, "empty content")
            if len(content.encode()) > 2048:
                return self._error(40058, "text.content exceed max length 2048")
        elif kind == "news":
            articles = (message.get("news") or {}).get("articles") or []
            if not 1 <= len(articles) <= 8 or not all(a.get("title") and a.get("url") for a in articles):
                return self._error(40058, "invalid news articles")
            # Longer titles and descriptions are cut by WeCom itself; we insist on the limits
            # so a test sees whether our module respected them.
            if any(len(a["title"].encode()) > 128 or len(a.get("description", "").encode()) > 512 for a in articles):
                return self._error(40058, "news article exceed max length")
        else:
            return self._error(40008, "invalid message type")
        if self.over_limit(key, 20, 60.0):
            return self._error(45009, "api freq out of limit")
        self.received.append(message)
        return self._error(0, "ok")


class DingTalkServer(RobotServer):
    """钉钉自定义机器人: ``/robot/send?access_token=…[&timestamp=…&sign=…]``."""

    def __init__(self):
        super().__init__()
        self.tokens = {"ding-token-0001"}

    def address(self, token: str = "ding-token-0001") -> str:
        return f"{self.base}/robot/send?access_token={token}"

    @staticmethod
    def _error(code: int, msg: str) -> tuple[int, dict]:
        return 200, {"errcode": code, "errmsg": msg}

    def expected_sign(self, timestamp: str) -> str:
        digest = hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def handle(self, request):
        token = (request.query.get("access_token") or [""])[0]
        if request.path != "/robot/send" or token not in self.tokens:
            return self._error(300001, "token is not exist")
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return self._error(43004, "无效的HTTP HEADER Content-Type")
        if self.secret:
            timestamp = (request.query.get("timestamp") or [""])[0]
            given = (request.query.get("sign") or [""])[0]  # parse_qs has URL-decoded it
            if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
                return self._error(310000, "invalid timestamp")
            if not hmac.compare_digest(given, self.expected_sign(timestamp)):
                return self._error(310000, "sign not match")
        try:
            message = request.json
        except ValueError:
            return self._error(40035, "缺少参数 json")
        kind = message.get("msgtype")
        part = message.get(kind) if isinstance(message.get(kind), dict) else None
        if kind not in ("text", "markdown", "actionCard", "link", "feedCard") or part is None:
            return self._error(400105, "不支持的消息类型")
        if kind in ("markdown", "actionCard") and not (part.get("title") and part.get("text")):
            return self._error(40035, "缺少参数 title/text")
        if len(request.body) > 20000:
            return self._error(40035, "消息内容过长")  # DingTalk publishes no code for this
        if self.keyword and not any(self.keyword in text for text in _strings(part)):
            return self._error(310000, "keywords not in content")
        if self.over_limit(token, 20, 60.0):
            return self._error(130101, "send too fast, exceed 20 times per minute")
        self.received.append(message)
        return self._error(0, "ok")


class FeishuServer(RobotServer):
    """飞书自定义机器人: ``/open-apis/bot/v2/hook/<token>``, signature in the body."""

    def __init__(self):
        super().__init__()
        self.tokens = {"feishu-hook-0001-abcdef"}

    def address(self, token: str = "feishu-hook-0001-abcdef") -> str:
        return f"{self.base}/open-apis/bot/v2/hook/{token}"

    @staticmethod
    def _error(code: int, msg: str) -> tuple[int, dict]:
        return 200, {"code": code, "msg": msg, "data": {}}

    def expected_sign(self, timestamp: str) -> str:
        digest = hmac.new(f"{timestamp}\n{self.secret}".encode(), b"", hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def handle(self, request):
        prefix = "/open-apis/bot/v2/hook/"
        token = request.path[len(prefix) :] if request.path.startswith(prefix) else ""
        if token not in self.tokens:
            return self._error(19001, "param invalid: incoming webhook access token invalid")
        if len(request.body) > 20 * 1024:
            return self._error(9499, "Bad Request: request body too large")
        try:
            message = request.json
        except ValueError:
            return self._error(9499, "Bad Request")
        if self.secret:
            timestamp = str(message.get("timestamp", ""))
            given = str(message.get("sign", ""))
            fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 3600
            if not fresh or not hmac.compare_digest(given, self.expected_sign(timestamp)):
                return self._error(19021, "sign match fail or timestamp is not within one hour from current time")
        kind = message.get("msg_type")
        if kind == "post":
            shown = ((message.get("content") or {}).get("post") or {}).get("zh_cn")
        elif kind == "interactive":
            shown = message.get("card")
        elif kind == "text":
            shown = message.get("content")
        else:
            shown = None
        if not shown:
            return self._error(9499, "Bad Request")
        if self.keyword and not any(self.keyword in text for text in _strings(shown)):
            return self._error(19024, "Key Words Not Found")
        if self.over_limit(token, 5, 1.0) or self.over_limit(token, 100, 60.0):
            return self._error(11232, "frequency limited psm[lark.oapi.app_platform_runtime]")
        self.received.append(message)
        return self._error(0, "success")


class WebhookServer(RobotServer):
    """A receiver of our generic webhook, checking it as its documentation asks.

    The path also picks a failure, so channels with different fates can share one server:
    /refuse (403, as a receiver that removed the hook), /throttle (429, Retry-After: 30),
    /error (500), /slow (answers after ``sleep_seconds``); any other path is a receiver."""

    PATH_FAILURES = {"/throttle": "429", "/error": "500", "/slow": "sleep"}

    def address(self, path: str = "/hooks/dangjian") -> str:
        return f"{self.base}{path}"

    def failure_for(self, request):
        return self.failure or self.PATH_FAILURES.get(request.path)

    def handle(self, request):
        if request.path == "/refuse":
            return 403, {"error": "webhook removed"}
        body = request.body
        if self.secret:
            timestamp = request.headers.get("X-Dangjian-Timestamp", "")
            given = request.headers.get("X-Dangjian-Signature", "")
            digest = hmac.new(self.secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()
            if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
                return 401, {"error": "stale timestamp"}
            if not hmac.compare_digest(given, f"sha256={digest}"):
                return 401, {"error": "bad signature"}
        try:
            message = request.json
        except ValueError:
            return 400, {"error": "not JSON"}
        self.received.append(message)
        return 200, {"ok": True}


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def dead_address(path: str = "/hook") -> str:
    """An address where nothing listens: connecting is refused at once."""
    return f"http://127.0.0.1:{free_port()}{path}"


SERVERS = {"wecom": WeComServer, "dingtalk": DingTalkServer, "feishu": FeishuServer, "webhook": WebhookServer}
