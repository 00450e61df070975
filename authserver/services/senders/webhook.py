"""SMS through an HTTP gateway: a JSON POST signed per Standard Webhooks.

Body ``{"to", "message", "purpose"}``; headers ``webhook-id`` (one id per message, the
same on every retry so the gateway can drop duplicates), ``webhook-timestamp`` (integer
Unix seconds of this attempt) and ``webhook-signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">`` keyed with the decoded ``whsec_`` secret
(https://www.standardwebhooks.com, "Signature scheme").

Retries: no answer (refused, reset, timeout), 429 and 5xx are retried with exponential
back-off (ATTEMPTS tries, BACKOFF seconds doubling); any other status but 2xx, and a
certificate that does not verify, are final at once (asking again would not change
them). ``sleep`` and ``clock`` are injected so tests neither wait nor depend on the time
of day.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import logging
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from authserver.services.senders.base import OutgoingMessage, SendFailed
from authserver.services.senders.http_transport import (
    Transport,
    WebhookRequest,
    http_transport,
)

log = logging.getLogger(__name__)
ATTEMPTS = 3
BACKOFF = 0.5  # seconds before the second attempt; doubles after each further one
TIMEOUT = 3.0  # per attempt: worst case 3 x 3 s + 1.5 s of back-off on a request thread


def sign(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


class Result(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # no answer, 429 or 5xx: worth another attempt
    REFUSED = "refused"  # any other answer: final


@dataclass(frozen=True, slots=True)
class _Attempt:
    result: Result
    problem: str = ""  # safe to log: a status or an exception's type, never the message


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


class WebhookSender:
    """Posts each message to ``url``; raises :class:`SendFailed` when it was not accepted."""

    def __init__(self, url: str, key: bytes, *, transport: Transport = http_transport,
                 attempts: int = ATTEMPTS, backoff: float = BACKOFF, timeout: float = TIMEOUT,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = url
        self._key = key
        self._transport = transport
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = timeout
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"WebhookSender({self.url!r})"  # never the key

    def _request(self, webhook_id: str, body: bytes) -> WebhookRequest:
        timestamp = int(self._clock())
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._key, webhook_id, timestamp, body),
        }
        return WebhookRequest(self.url, headers, body, self._timeout)

    def _attempt(self, webhook_id: str, body: bytes) -> _Attempt:
        try:
            status = self._transport(self._request(webhook_id, body)).status
        except ssl.SSLCertVerificationError:
            # The gateway's certificate will not become valid in a second: final.
            return _Attempt(Result.REFUSED, "no answer (SSLCertVerificationError)")
        except OSError as exc:  # TimeoutError and ConnectionError are OSErrors
            return _Attempt(Result.RETRY, f"no answer ({type(exc).__name__})")
        if 200 <= status < 300:
            return _Attempt(Result.DELIVERED)
        return _Attempt(Result.RETRY if _retryable(status) else Result.REFUSED,
                        f"HTTP {status}")

    def send(self, message: OutgoingMessage) -> None:
        body = json.dumps({"to": message.to, "message": message.text,
                           "purpose": message.purpose}, separators=(",", ":")).encode()
        webhook_id = "msg_" + secrets.token_urlsafe(18)
        for attempt in range(1, self._attempts + 1):
            if attempt > 1:
                self._sleep(self._backoff * 2 ** (attempt - 2))
            outcome = self._attempt(webhook_id, body)
            if outcome.result is Result.DELIVERED:
                return
            if outcome.result is Result.REFUSED:
                break
            log.warning("SMS webhook attempt %d of %d for %s failed: %s",
                        attempt, self._attempts, webhook_id, outcome.problem)
        raise SendFailed(f"SMS not sent through the webhook after {attempt} "
                         f"attempt{'s' if attempt > 1 else ''}: {outcome.problem}")
