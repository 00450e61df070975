"""A relying party's back-channel logout endpoint (OIDC Back-Channel Logout 1.0 §2.5):
a real HTTP server (pytest-httpserver on 127.0.0.1) that keeps every POST it gets.

``LogoutReceiver()`` picks a free port but does not listen until ``start()``, so a test
can have the outbox try a closed port first ("the RP is down") and then bring the very
same URL up. ``script(503, 302)`` answers the next requests with those statuses (a 302
points at ``/elsewhere``, which must never be asked), then 200.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from urllib.parse import parse_qs

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.server import free_port

PATH = "/backchannel-logout"
ELSEWHERE = "/elsewhere"


@dataclass(frozen=True)
class LogoutDelivery:
    path: str
    content_type: str | None
    form: dict[str, list[str]]
    status: int  # what the receiver answered

    @property
    def logout_token(self) -> str:
        values = self.form.get("logout_token", [])
        assert len(values) == 1, f"expected one logout_token form field, got {self.form}"
        return values[0]


class LogoutReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self._server: HTTPServer | None = None
        self._lock = threading.Condition()
        self._deliveries: list[LogoutDelivery] = []
        self._script: deque[int] = deque()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    def start(self) -> LogoutReceiver:
        self._server = HTTPServer(host="127.0.0.1", port=self.port)
        self._server.start()
        for path in (PATH, ELSEWHERE):
            self._server.expect_request(path).respond_with_handler(self._handle)
        return self

    def stop(self) -> None:
        if self._server is not None and self._server.is_running():
            self._server.clear()
            self._server.stop()
        self._server = None

    def script(self, *statuses: int) -> None:
        with self._lock:
            self._script.extend(statuses)

    def _handle(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        with self._lock:
            status = self._script.popleft() if self._script else 200
            self._deliveries.append(LogoutDelivery(
                request.path, request.headers.get("Content-Type"), parse_qs(body), status))
            self._lock.notify_all()
        if status in (301, 302, 303, 307, 308):
            return Response("", status=status,
                            headers={"Location": f"http://127.0.0.1:{self.port}{ELSEWHERE}"})
        # §2.8: the RP answers 200 (a body is allowed; no-store is what it should send).
        return Response("" if status < 300 else "refused", status=status,
                        headers={"Cache-Control": "no-store"})

    @property
    def deliveries(self) -> list[LogoutDelivery]:
        with self._lock:
            return list(self._deliveries)

    def accepted(self) -> list[LogoutDelivery]:
        """The deliveries answered 200 at the registered path."""
        with self._lock:
            return self._accepted()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[LogoutDelivery]:
        """At least ``count`` accepted deliveries, waiting up to ``timeout`` s for a
        worker that runs on its own (a live server's thread)."""
        with self._lock:
            self._lock.wait_for(lambda: len(self._accepted()) >= count, timeout)
            found = self._accepted()
        assert len(found) >= count, (
            f"expected {count} logout token(s) within {timeout} s, got {self._deliveries}")
        return found

    def _accepted(self) -> list[LogoutDelivery]:
        return [d for d in self._deliveries if d.status == 200 and d.path == PATH]
