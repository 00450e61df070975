"""The SMS webhook sender against a real HTTP receiver that checks the Standard Webhooks
signature (tests/support/webhook_receiver.py): delivery, retries with back-off, refusals."""

from __future__ import annotations

import base64
import json
import re
import socket
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from authserver.services.senders import Channel, OutgoingMessage, SendFailed, build_senders
from authserver.services.senders.http_transport import Transport, http_transport
from authserver.services.senders.webhook import WebhookSender, sign
from authserver.settings import load_settings
from tests.support.server import free_port
from tests.support.tls import SinkCertificates
from tests.support.webhook_receiver import WebhookReceiver, make_secret

KEY = bytes(range(32))
SECRET = make_secret(KEY)
TEXT = "Your sign-in code is 604218"


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    peer = WebhookReceiver(SECRET).start()
    yield peer
    peer.stop()


@pytest.fixture(autouse=True)
def _fresh(receiver: WebhookReceiver) -> None:
    receiver.reset()


class Sleeps(list[float]):
    """Records the back-off instead of waiting it out."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def sender_for(url: str, secret: str = SECRET, sleeps: Sleeps | None = None,
               transport: Transport = http_transport, **options: float) -> WebhookSender:
    settings = load_settings({"AUTHSERVER_SMS_SENDER": "webhook",
                              "AUTHSERVER_SMS_WEBHOOK_URL": url,
                              "AUTHSERVER_SMS_WEBHOOK_SECRET": secret})
    configured = build_senders(settings).get(Channel.SMS)
    assert isinstance(configured, WebhookSender), "SMS_SENDER=webhook must build one"
    assert settings.sms_webhook_secret is not None
    return WebhookSender(url, settings.sms_webhook_secret.key, transport=transport,
                         sleep=sleeps if sleeps is not None else Sleeps(), **options)


def code_for(to: str) -> OutgoingMessage:
    return OutgoingMessage(to=to, text=TEXT, purpose="sign_in")


def test_the_spec_test_vector_is_reproduced() -> None:
    # The published example of https://www.standardwebhooks.com (and every library's test).
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                b'{"test": 2432232314}') == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_message_is_posted_as_signed_json(receiver: WebhookReceiver) -> None:
    sender_for(receiver.url).send(code_for("+15551234567"))
    delivery = receiver.wait_for("+15551234567")
    assert delivery.json == {"to": "+15551234567", "message": TEXT, "purpose": "sign_in"}
    assert delivery.content_type == "application/json"
    assert delivery.webhook_id is not None and delivery.webhook_id.startswith("msg_")
    assert len(receiver.deliveries) == 1


def test_each_message_has_its_own_webhook_id(receiver: WebhookReceiver) -> None:
    sender = sender_for(receiver.url)
    sender.send(code_for("+15550000001"))
    sender.send(code_for("+15550000002"))
    ids = {d.webhook_id for d in receiver.deliveries}
    assert len(ids) == 2, f"two messages must carry two ids: {ids}"


def test_a_503_is_retried_after_back_off_with_the_same_webhook_id(
    receiver: WebhookReceiver,
) -> None:
    receiver.script(503)
    sleeps = Sleeps()
    sender_for(receiver.url, sleeps=sleeps).send(code_for("+15551230001"))
    first, second = receiver.deliveries
    assert (first.status, second.status) == (503, 200)
    assert first.verified and second.verified, "every attempt is signed"
    assert first.webhook_id == second.webhook_id, "a retry keeps the id so duplicates drop"
    assert sleeps == [0.5]


def test_429_and_5xx_are_retried_until_the_attempts_run_out(
    receiver: WebhookReceiver,
) -> None:
    receiver.script(429, 500, 502)
    sleeps = Sleeps()
    with pytest.raises(SendFailed) as failed:
        sender_for(receiver.url, sleeps=sleeps).send(code_for("+15551230002"))
    assert str(failed.value) == "SMS not sent through the webhook after 3 attempts: HTTP 502"
    assert [d.status for d in receiver.deliveries] == [429, 500, 502]
    assert sleeps == [0.5, 1.0], "exponential back-off: 0.5 s, then 1 s"


@pytest.mark.parametrize("status", [400, 404, 422])
def test_a_4xx_other_than_429_is_final(status: int, receiver: WebhookReceiver) -> None:
    receiver.script(status)
    sleeps = Sleeps()
    with pytest.raises(SendFailed) as failed:
        sender_for(receiver.url, sleeps=sleeps).send(code_for("+15551230003"))
    assert str(failed.value) == f"SMS not sent through the webhook after 1 attempt: HTTP {status}"
    assert len(receiver.deliveries) == 1 and sleeps == []


def test_a_wrong_secret_is_refused_by_the_receiver_and_not_retried(
    receiver: WebhookReceiver,
) -> None:
    other = make_secret(b"\x01" * 32)
    with pytest.raises(SendFailed, match=r"after 1 attempt: HTTP 401$"):
        sender_for(receiver.url, secret=other).send(code_for("+15551230004"))
    (delivery,) = receiver.deliveries
    assert delivery.problem == "no v1 signature matches"


def test_a_redirect_is_not_followed(receiver: WebhookReceiver) -> None:
    receiver.script(302)
    with pytest.raises(SendFailed, match=r"after 1 attempt: HTTP 302$"):
        sender_for(receiver.url).send(code_for("+15551230005"))


def test_a_receiver_that_is_down_fails_after_every_attempt() -> None:
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{free_port()}/sms"
    with pytest.raises(SendFailed) as failed:
        sender_for(url, sleeps=sleeps).send(code_for("+15551230006"))
    assert str(failed.value) == ("SMS not sent through the webhook after 3 attempts: "
                                 "no answer (ConnectionRefusedError)")
    assert sleeps == [0.5, 1.0]


def test_a_receiver_that_never_answers_times_out_and_is_retried() -> None:
    # A listening socket nobody reads: the connection is made, the answer never comes.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/sms"
        sleeps = Sleeps()
        with pytest.raises(SendFailed) as failed:
            sender_for(url, sleeps=sleeps, timeout=0.2).send(code_for("+15551230007"))
    assert str(failed.value) == ("SMS not sent through the webhook after 3 attempts: "
                                 "no answer (TimeoutError)")
    assert sleeps == [0.5, 1.0]


def test_the_body_is_compact_json_signed_exactly_as_sent(receiver: WebhookReceiver) -> None:
    sender_for(receiver.url).send(OutgoingMessage("+15551230008", 'quote " and ü', "sign_in"))
    delivery = receiver.wait_for("+15551230008")
    assert delivery.body == json.dumps({"to": "+15551230008", "message": 'quote " and ü',
                                        "purpose": "sign_in"}, separators=(",", ":")).encode()


def documented_verifier() -> Callable[[str, Mapping[str, str], bytes], bool]:
    """The receiver example of docs/sign-in/senders.md, run as written."""
    doc = (Path(__file__).parents[2] / "docs/sign-in/senders.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    namespace: dict[str, Any] = {}
    exec(block, namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]  # type: ignore[no-any-return]


def test_the_documented_receiver_example_verifies_a_real_delivery(
    receiver: WebhookReceiver,
) -> None:
    sender_for(receiver.url).send(code_for("+15551230009"))
    delivery = receiver.wait_for("+15551230009")
    headers = {"webhook-id": delivery.webhook_id or "",
               "webhook-timestamp": delivery.timestamp or "",
               "webhook-signature": delivery.signature or ""}
    verify = documented_verifier()
    assert verify(SECRET, headers, delivery.body) is True
    assert verify(SECRET, headers, delivery.body + b" ") is False, "a changed body must fail"
    assert verify(make_secret(b"\x02" * 32), headers, delivery.body) is False


def test_the_documented_example_request_carries_a_valid_signature() -> None:
    doc = (Path(__file__).parents[2] / "docs/sign-in/senders.md").read_text()
    example = doc.split("```http\n", 1)[1].split("```", 1)[0]
    head, body = example.split("\n\n", 1)
    fields = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert sign(key, fields["webhook-id"], int(fields["webhook-timestamp"]),
                body.strip().encode()) == fields["webhook-signature"]


@pytest.fixture(scope="module")
def tls_receiver(tmp_path_factory: pytest.TempPathFactory,
                 ) -> Iterator[tuple[WebhookReceiver, SinkCertificates]]:
    certificates = SinkCertificates(tmp_path_factory.mktemp("webhook-tls"))
    peer = WebhookReceiver(SECRET, certificates).start()
    yield peer, certificates
    peer.stop()


def test_an_https_gateway_is_reached_with_its_certificate_verified(
    tls_receiver: tuple[WebhookReceiver, SinkCertificates],
) -> None:
    peer, certificates = tls_receiver
    assert peer.url.startswith("https://127.0.0.1:")
    trusting = partial(http_transport, tls_context=certificates.client_context())
    sender_for(peer.url, transport=trusting).send(code_for("+15551230010"))
    assert peer.wait_for("+15551230010").verified


def test_an_untrusted_gateway_certificate_fails_at_once(
    tls_receiver: tuple[WebhookReceiver, SinkCertificates],
) -> None:
    peer, _ = tls_receiver
    sleeps = Sleeps()
    with pytest.raises(SendFailed) as failed:
        sender_for(peer.url, sleeps=sleeps).send(code_for("+15551230011"))
    assert str(failed.value) == ("SMS not sent through the webhook after 1 attempt: "
                                 "no answer (SSLCertVerificationError)")
    assert sleeps == [], "a certificate that does not verify is not retried"
