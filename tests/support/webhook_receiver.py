"""An SMS gateway stand-in: a real HTTP server (pytest-httpserver on 127.0.0.1, a free port)
that checks every POST's Standard Webhooks signature with the shared secret.

The check is written here from the spec (https://www.standardwebhooks.com), apart from our
sender, because it plays the peer: if the sender signed wrongly, this is what notices.
A bad or missing signature is answered 401 and kept (``deliveries[i].verified`` False);
``script(503, 503)`` makes the next requests answer those statuses, then 200 again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.tls import SinkCertificates

WAIT_SECONDS = 5.0
TOLERANCE_SECONDS = 5 * 60  # the spec's suggested replay window
PATH = "/sms"


def make_secret(key: bytes) -> str:
    return "whsec_" + base64.b64encode(key).decode()


def verify(secret: str, headers: Any, body: bytes, now: float) -> str | None:
    """None when the request carries a valid signature, else what is wrong with it."""
    if not secret.startswith("whsec_"):
        raise ValueError("not a whsec_ secret")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return f"timestamp {timestamp!r} outside the tolerance"
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    # Space-delimited "version,signature" pairs; only v1 is defined.
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return "no v1 signature matches"


@dataclass(frozen=True)
class Delivery:
    webhook_id: str | None
    timestamp: str | None
    signature: str | None
    content_type: str | None
    body: bytes
    problem: str | None  # None: signature verified
    status: int  # what the receiver answered

    @property
    def verified(self) -> bool:
        return self.problem is None

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """See the module docstring; ``start()`` once per module, ``stop()`` at the end."""

    def __init__(self, secret: str, certificates: SinkCertificates | None = None) -> None:
        """With ``certificates``, the receiver speaks https (``url`` says so)."""
        self.secret = secret
        self._server = HTTPServer(host="127.0.0.1", port=0, ssl_context=(
            certificates.server_context() if certificates is not None else None))
        self._lock = threading.Condition()
        self._deliveries: list[Delivery] = []
        self._script: deque[int] = deque()

    def start(self) -> WebhookReceiver:
        self._server.start()
        self._server.expect_request(PATH, method="POST").respond_with_handler(self._handle)
        return self

    def stop(self) -> None:
        if self._server.is_running():
            self._server.clear()
            self._server.stop()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._server.url_for(PATH)

    def environ(self) -> dict[str, str]:
        """The settings that send SMS here: for ``load_settings`` or a server's env."""
        return {"AUTHSERVER_SMS_SENDER": "webhook", "AUTHSERVER_SMS_WEBHOOK_URL": self.url,
                "AUTHSERVER_SMS_WEBHOOK_SECRET": self.secret}

    def script(self, *statuses: int) -> None:
        """Answer the next requests with ``statuses`` (signature still checked first)."""
        with self._lock:
            self._script.extend(statuses)

    def reset(self) -> None:
        with self._lock:
            self._deliveries.clear()
            self._script.clear()

    def _handle(self, request: Request) -> Response:
        body = request.get_data()
        problem = verify(self.secret, request.headers, body, time.time())
        with self._lock:
            status = 401 if problem else (self._script.popleft() if self._script else 200)
            header = request.headers.get
            self._deliveries.append(Delivery(
                header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"),
                header("content-type"), body, problem, status))
            self._lock.notify_all()
        return Response("{}" if status < 300 else '{"error": "refused"}', status=status,
                        content_type="application/json")

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def wait_for(self, to: str, timeout: float = WAIT_SECONDS) -> Delivery:
        """The latest verified, accepted delivery for ``to``, waiting up to ``timeout`` s."""
        def found() -> Delivery | None:
            return next((d for d in reversed(self._deliveries)
                         if d.verified and d.status == 200 and d.json.get("to") == to), None)
        with self._lock:
            delivery = self._lock.wait_for(found, timeout)
        if delivery is None:
            raise AssertionError(f"no signed SMS for {to} reached the receiver within "
                                 f"{timeout} s; deliveries: {self.deliveries}")
        return delivery
