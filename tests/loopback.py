"""A loopback HTTP file server with fault injection, for offline download tests.

Paths: ``/{mode}/{name}`` serves the registered file ``name``:
``ok`` (honours Range), ``norange`` (ignores Range), ``truncate`` (first response stops half
way), ``flaky`` (two 503 answers first), ``corrupt`` (one byte changed), ``auth`` (needs the
bearer token, else 401), ``missing`` (404), ``redirect`` (302 to ``redirect_to`` + ``/ok/{name}``).
Every request is recorded (method, path, headers).
"""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FileServer:
    """Serve byte strings on 127.0.0.1 with injected faults."""

    def __init__(self, token: str = "s3cret-token") -> None:
        self.files: dict[str, bytes] = {}
        self.token = token
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.hits: Counter[str] = Counter()
        self.redirect_to = ""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append(("GET", self.path, dict(self.headers)))
                server.hits[self.path] += 1
                parts = self.path.strip("/").split("/", 1)
                mode, name = (parts + [""])[:2]
                if mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", f"{server.redirect_to}/ok/{name}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "missing" or name not in server.files:
                    self.send_error(404)
                    return
                if mode == "auth" and self.headers.get("Authorization") != f"Bearer {server.token}":
                    self.send_error(401)
                    return
                if mode == "flaky" and server.hits[self.path] <= 2:
                    self.send_error(503)
                    return
                body = server.files[name]
                if mode == "corrupt":
                    body = body[:10] + bytes([body[10] ^ 0xFF]) + body[11:]
                start = 0
                range_header = self.headers.get("Range")
                if range_header and mode != "norange":
                    start = int(range_header.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                payload = body[start:]
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if mode == "truncate" and server.hits[self.path] == 1:
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
