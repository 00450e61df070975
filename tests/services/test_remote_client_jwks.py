"""A private_key_jwt client registered with a jwks_uri: its keys are fetched over https,
from public addresses only (server-side request forgery, RFC 9700 §4.16).

The local https server here listens on 127.0.0.1, which the fetcher refuses by default;
the tests that need it to answer use the development allowance (``allow_private``, the
``AUTHSERVER_JWKS_URI_ALLOW_PRIVATE`` setting). What the fetcher decides about an answer
(status, size, shape) and about addresses is tested through an injected fake transport;
the real one, over the local server, for what only it does (TLS to the pinned address,
no redirects, the bounded read, the address rule on its default path). Nothing here needs
the internet.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import json
import logging
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import update

from authserver.runtime import Runtime
from authserver.services.client_directory import ClientDirectoryCache
from authserver.services.clients import ClientSpec
from authserver.services.remote_jwks import (
    MAX_BYTES,
    JwksFetchError,
    JwksRequest,
    JwksResponse,
    Refusal,
    address_allowed,
    download_jwks,
    fetch_jwks,
)
from authserver.services.tenants import create_tenant
from authserver.storage.models import Client
from tests.support.tokens import add_client, tenant_id

JWKS = {"keys": [{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                  "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "kid": "k1"}]}
# A name under .test (RFC 6761) never resolves through real DNS: only our injected resolver
# knows it, so a fetch that reaches the server connected to the address we resolved.
NAME = "jwks.test"


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName(NAME)]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def https_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:  # type: ignore[type-arg]
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust our test CA, nothing else changes
    state: dict = {"body": json.dumps(JWKS).encode(), "hits": 0, "hosts": []}  # type: ignore[type-arg]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state["hits"] += 1
            state["hosts"].append(self.headers.get("Host"))
            if state.get("redirect"):
                self.send_response(302)
                self.send_header("Location", state["redirect"])
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["port"] = server.server_address[1]
    state["url"] = f"https://127.0.0.1:{state['port']}/jwks"
    yield state
    server.shutdown()


class FakeTransport:
    """The transport seam of remote_jwks (httpx's MockTransport habit): answers every
    request with ``status`` and ``body``, or raises ``error``; records what was asked."""

    def __init__(self, body: bytes = json.dumps(JWKS).encode(), status: int = 200,
                 error: dict[str, OSError] | None = None) -> None:
        self.body, self.status, self.error = body, status, error or {}
        self.requests: list[JwksRequest] = []

    def __call__(self, request: JwksRequest) -> JwksResponse:
        self.requests.append(request)
        if request.address in self.error:
            raise self.error[request.address]
        return JwksResponse(self.status, self.body)


def public(host: str, port: int) -> list[str]:
    return ["8.8.8.8"]


def refusal(uri: str, **kwargs: object) -> Refusal:
    with pytest.raises(JwksFetchError) as caught:
        download_jwks(uri, **kwargs)  # type: ignore[arg-type]
    return caught.value.reason


# --- fetching (with the development allowance, since the server is on loopback) -------------


def test_the_key_set_is_fetched_over_https(https_server: dict) -> None:  # type: ignore[type-arg]
    assert fetch_jwks(https_server["url"], allow_private=True) == JWKS


def test_plain_http_is_never_fetched() -> None:
    transport = FakeTransport()
    url = f"http://{NAME}/jwks"
    assert refusal(url, allow_private=True, resolve=public, transport=transport) == (
        Refusal.NOT_HTTPS)
    assert fetch_jwks(url, allow_private=True, transport=transport) is None
    assert transport.requests == []


@pytest.mark.parametrize(("body", "reason"), [
    (b"not json", Refusal.NOT_A_KEY_SET),
    (b"[1, 2]", Refusal.NOT_A_KEY_SET),
    (b'{"keys": 3}', Refusal.NOT_A_KEY_SET),
    (b'{"keys": []' + b" " * MAX_BYTES + b"}", Refusal.TOO_LARGE),
])
def test_bad_or_oversized_key_sets_are_refused(body: bytes, reason: Refusal) -> None:
    transport = FakeTransport(body)
    assert refusal(f"https://{NAME}/jwks", resolve=public, transport=transport) == reason


def test_the_real_transport_stops_reading_an_oversized_key_set(
    https_server: dict,  # type: ignore[type-arg]
) -> None:
    https_server["body"] = b'{"keys": []' + b" " * MAX_BYTES + b"}"
    assert refusal(https_server["url"], allow_private=True) == Refusal.TOO_LARGE
    assert fetch_jwks(https_server["url"], allow_private=True) is None


@pytest.mark.parametrize("status", [301, 302, 404, 500])
def test_any_status_but_200_is_refused(status: int) -> None:
    transport = FakeTransport(status=status)
    assert refusal(f"https://{NAME}/jwks", resolve=public, transport=transport) == (
        Refusal.NOT_OK)


def test_an_unreachable_address_falls_back_to_the_next_one_resolved() -> None:
    transport = FakeTransport(error={"8.8.8.8": ConnectionRefusedError()})

    def two(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "1.1.1.1"]

    assert download_jwks(f"https://{NAME}/jwks", resolve=two, transport=transport) == JWKS
    assert [r.address for r in transport.requests] == ["8.8.8.8", "1.1.1.1"]
    assert {(r.host, r.port, r.target) for r in transport.requests} == {(NAME, 443, "/jwks")}, (
        "every attempt keeps the name, for SNI, the certificate and Host")
    transport = FakeTransport(status=404)
    assert refusal(f"https://{NAME}/jwks", resolve=two, transport=transport) == Refusal.NOT_OK
    assert len(transport.requests) == 1, "an answer, even a refusal, is not retried elsewhere"


def test_an_unreachable_endpoint_is_refused() -> None:
    assert refusal("https://127.0.0.1:1/jwks", allow_private=True) == Refusal.UNREACHABLE
    assert fetch_jwks("https://127.0.0.1:1/jwks", allow_private=True) is None


def test_redirects_are_not_followed(https_server: dict) -> None:  # type: ignore[type-arg]
    # https -> http (or an internal address) via a redirect would dodge the https-only rule.
    https_server["redirect"] = "http://127.0.0.1:1/jwks"
    assert refusal(https_server["url"], allow_private=True) == Refusal.NOT_OK
    assert https_server["hits"] == 1


def test_the_connection_goes_to_the_resolved_address_with_the_name_kept(
    https_server: dict,  # type: ignore[type-arg]
) -> None:
    # DNS rebinding needs a second lookup between the check and the connect; there is
    # none: the name is resolved once, and the socket opened to that very address, while
    # TLS (SNI, certificate name) and Host still use the name.
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    url = f"https://{NAME}:{https_server['port']}/jwks"
    assert download_jwks(url, allow_private=True, resolve=resolve) == JWKS
    assert lookups == [NAME], f"one resolution per fetch: {lookups}"
    assert https_server["hosts"] == [f"{NAME}:{https_server['port']}"], https_server["hosts"]


# --- the address rule (on by default) ---------------------------------------------------------


def test_a_loopback_jwks_uri_is_refused_before_connecting(
    https_server: dict, caplog: pytest.LogCaptureFixture,  # type: ignore[type-arg]
) -> None:
    assert refusal(https_server["url"]) == Refusal.ADDRESS_NOT_ALLOWED
    with caplog.at_level(logging.WARNING, logger="authserver.services.remote_jwks"):
        assert fetch_jwks(https_server["url"]) is None
    assert https_server["hits"] == 0, "nothing may be sent to a refused address"
    assert "address_not_allowed: 127.0.0.1" in caplog.text, caplog.text


def test_a_name_resolving_to_loopback_is_refused(https_server: dict) -> None:  # type: ignore[type-arg]
    assert refusal(f"https://localhost:{https_server['port']}/jwks") == (
        Refusal.ADDRESS_NOT_ALLOWED)
    assert https_server["hits"] == 0


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "127.0.0.1"]

    transport = FakeTransport()
    url = f"https://{NAME}/jwks"
    assert refusal(url, resolve=resolve, transport=transport) == Refusal.ADDRESS_NOT_ALLOWED
    assert transport.requests == [], "nothing may be sent to any of them"


def test_a_name_that_does_not_resolve_is_refused() -> None:
    def resolve(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    assert refusal(f"https://{NAME}/jwks", resolve=resolve) == Refusal.UNRESOLVABLE


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT (shared address space)
    "0.0.0.0",  # noqa: S104 (an address to classify, not to bind)
    "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "192.0.2.1", "198.18.0.1",
    "::1", "::", "fe80::1", "fec0::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not address_allowed(ipaddress.ip_address(address)), (
        f"{address} is not a public unicast address; a jwks_uri must not reach it")


@pytest.mark.parametrize("address", [
    "8.8.8.8", "93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::1",
    "::ffff:8.8.8.8",  # the IPv4 address itself
])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address)), f"{address} is public"


# --- wiring: the client directory applies the setting ------------------------------------------


def test_the_client_directory_refuses_a_private_jwks_uri_unless_allowed(
    runtime: Runtime,
) -> None:
    with runtime.database.session() as session:
        create_tenant(session, runtime.master_key, runtime.key_timing, "acme", "Acme", "test",
                      runtime.clock())
    add_client(runtime, ClientSpec(name="Remote", client_id="remote",
                                   grant_types=("client_credentials",), scopes=("stores:read",),
                                   auth_method="private_key_jwt",
                                   jwks_uri="https://jwks.example/jwks"))
    tid = tenant_id(runtime)
    # Registration refuses a literal loopback address, but a registered name can resolve
    # to one later (DNS changes, rebinding): the row stands in for that.
    with runtime.database.session() as session:
        session.execute(update(Client).where(Client.tenant_id == tid,
                                             Client.client_id == "remote")
                        .values(jwks_uri="https://127.0.0.1:8443/jwks"))
    transport = FakeTransport()
    default = ClientDirectoryCache(runtime.database, 30, jwks_transport=transport).get(
        tid, "remote")
    assert default is not None and default.jwks is None, (
        "by default a loopback jwks_uri yields no keys (the client cannot authenticate)")
    assert transport.requests == []
    allowed = ClientDirectoryCache(runtime.database, 30, jwks_uri_allow_private=True,
                                   jwks_transport=transport)
    record = allowed.get(tid, "remote")
    assert record is not None and record.jwks == JWKS, "the development allowance fetches it"
    assert [r.address for r in transport.requests] == ["127.0.0.1"]
