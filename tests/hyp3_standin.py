"""A loopback stand-in of the ASF HyP3 API, for offline tests of the hyp3 engine.

It answers what ``hyp3_sdk`` asks, with responses of the shapes of hyp3_sdk's own test
fixtures (``tests/conftest.py``: ``get_mock_job``) and of the API's job records: ``POST /jobs``
creates jobs (``PENDING``), each ``GET /jobs/{id}`` moves a job one step on (``RUNNING``, then
``SUCCEEDED`` with its product in ``files``), ``GET /jobs?name=&job_type=`` finds jobs, and
``/products/{job_id}/{file}`` serves product zips that ``make_product(job)`` builds. Every API
call needs the bearer token. Submissions are counted.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class HyP3StandIn:
    """HyP3's job API on 127.0.0.1."""

    def __init__(self, make_product: Callable[[dict[str, Any]], tuple[str, bytes]], token: str) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.products: dict[str, bytes] = {}
        self.submitted: list[dict[str, Any]] = []
        self.token = token
        # every request that reached an authorised endpoint (whether it carried credentials)
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header(
                    "Content-Type", "application/json" if not isinstance(body, bytes) else "application/zip"
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                server.requests.append(self.path)
                if self.headers.get("Authorization") == f"Bearer {server.token}":
                    return True
                self._send(401, {"detail": "Unauthorized"})
                return False

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                parts = url.path.strip("/").split("/")
                if parts[0] == "products" and len(parts) == 3:
                    body = server.products.get(f"{parts[1]}/{parts[2]}")
                    self._send(200, body) if body is not None else self._send(404, {"detail": "gone"})
                    return
                if not self._authorised():
                    return
                if parts == ["jobs"]:
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    found = [
                        job
                        for job in server.jobs.values()
                        if all(job.get(key) == query[key] for key in ("name", "job_type") if key in query)
                    ]
                    self._send(200, {"jobs": found})
                elif len(parts) == 2 and parts[0] == "jobs" and parts[1] in server.jobs:
                    self._send(200, server.advance(parts[1], f"http://{self.headers['Host']}"))
                else:
                    self._send(404, {"detail": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                if not self._authorised():
                    return
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length))
                created = [server.create(job) for job in payload["jobs"]]
                self._send(200, {"jobs": created})

        self.make_product = make_product
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the API."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def create(self, prepared: dict[str, Any]) -> dict[str, Any]:
        """A new job record from a prepared job (as the API answers a submission)."""
        self.submitted.append(prepared)
        now = dt.datetime.now(dt.UTC)
        job = {
            "job_id": str(uuid.uuid4()),
            "job_type": prepared["job_type"],
            "job_parameters": {**prepared["job_parameters"], "apply_water_mask": False},
            "name": prepared.get("name"),
            "request_time": now.isoformat(timespec="seconds"),
            "status_code": "PENDING",
            "user_id": "massmove-test",
            "credit_cost": 10,
            "priority": 9999,
        }
        self.jobs[job["job_id"]] = job
        return dict(job)

    def advance(self, job_id: str, base_url: str) -> dict[str, Any]:
        """The job one step further on: PENDING -> RUNNING -> SUCCEEDED (with its product)."""
        job = self.jobs[job_id]
        if job["status_code"] == "PENDING":
            job["status_code"] = "RUNNING"
        elif job["status_code"] == "RUNNING":
            filename, body = self.make_product(job)
            self.products[f"{job_id}/{filename}"] = body
            stem = filename.removesuffix(".zip")
            job.update(
                {
                    "status_code": "SUCCEEDED",
                    "files": [
                        {
                            "filename": filename,
                            "size": len(body),
                            "url": f"{base_url}/products/{job_id}/{filename}",
                            "s3": {"bucket": "hyp3-standin", "key": f"{job_id}/{filename}"},
                        }
                    ],
                    "browse_images": [f"{base_url}/products/{job_id}/{stem}.png"],
                    "thumbnail_images": [f"{base_url}/products/{job_id}/{stem}_thumb.png"],
                    "logs": [f"{base_url}/products/{job_id}/{job_id}.log"],
                    "expiration_time": (dt.datetime.now(dt.UTC) + dt.timedelta(days=14)).isoformat(
                        timespec="seconds"
                    ),
                    "processing_times": [812.3],
                }
            )
        return dict(job)

    def __enter__(self) -> HyP3StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
