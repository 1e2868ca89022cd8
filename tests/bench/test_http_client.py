"""The load generators' HTTP client (bench/http_client.py) against a real server on 127.0.0.1:
what it sends, the cookies it keeps, the answers it reads."""

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.http_client import Client, HTTPError


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, status, body: bytes, headers=(), chunked=False):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (body[:3], body[3:]):
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        self.close_connection = True

    def do_GET(self):
        if self.path == "/login":
            self._answer(200, b"{}", [("Set-Cookie", "csrftoken=abc123; Path=/; SameSite=Lax")])
        elif self.path == "/chunked":
            self._answer(200, "分块的答复".encode(), chunked=True)
        else:
            self._answer(404, b"not here")

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        echo = {
            "path": self.path,
            "cookie": self.headers.get("Cookie"),
            "csrf": self.headers.get("X-CSRFToken"),
            "accept": self.headers.get("Accept"),
            "type": self.headers.get("Content-Type"),
            "body": json.loads(body) if body else None,
        }
        self._answer(201, json.dumps(echo, ensure_ascii=False).encode())


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_it_keeps_the_cookies_it_is_given_and_sends_json(server):
    async def scenario():
        client = Client(server, cookies={"sessionid": "s1"}, headers={"Accept": "application/json"})
        await client.get("/login")
        answer = await client.post("/api/x/", json={"answer": ["B"], "名": "值"}, headers={"X-CSRFToken": "abc123"})
        return client, answer

    client, answer = asyncio.run(scenario())
    assert client.cookies == {"sessionid": "s1", "csrftoken": "abc123"}
    assert answer.status_code == 201
    assert answer.json() == {
        "path": "/api/x/",
        "cookie": "sessionid=s1; csrftoken=abc123",
        "csrf": "abc123",
        "accept": "application/json",
        "type": "application/json",
        "body": {"answer": ["B"], "名": "值"},
    }


def test_it_reads_chunked_and_error_answers(server):
    async def scenario():
        client = Client(server)
        return await client.get("/chunked"), await client.get("/missing")

    chunked, missing = asyncio.run(scenario())
    assert (chunked.status_code, chunked.text) == (200, "分块的答复")
    assert (missing.status_code, missing.text) == (404, "not here")


def test_a_refused_connection_is_an_http_error():
    async def scenario():
        await Client("http://127.0.0.1:9").get("/")  # the discard port: nothing listens

    with pytest.raises(HTTPError):
        asyncio.run(scenario())
