"""Promise 16: what Kenning serves over HTTP binds to loopback only, requires a token, and
rejects foreign ``Host`` and ``Origin`` headers (DNS rebinding, pages in the browser).

The real server (``engine.serve.http_api.make_server``) on a real socket, asked with raw HTTP
so every header is exactly what the test sends.
"""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from desktop.cli import build_parser
from engine.serve.http_api import ServeConfig, make_server
from tests.fake_embedder import HashingEmbedder
from tests.reliability.conftest import fresh_index
from tests.reliability.corpus import write_corpus

TOKEN = "reliability-test-token-0123456789"
BODIES = {
    "/v1/embeddings": {"model": "test/hashing", "input": ["hello"]},
    "/v1/search": {"query": "render upload", "mode": "lexical", "limit": 3},
}
PROTECTED = [
    ("GET", "/v1/models"),
    ("GET", "/v1/models/test%2Fhashing"),
    ("POST", "/v1/embeddings"),
    ("POST", "/v1/search"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve")
    write_corpus(base / "tree", 10, seed=101)
    data = fresh_index(base / "data", base / "tree")
    served = make_server(ServeConfig(token=TOKEN, port=0), HashingEmbedder(dim=64), data_dir=data)
    served.start()
    try:
        yield served
    finally:
        served.stop()


def request(server, method: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    body = json.dumps(BODIES[path]).encode() if path in BODIES else b""
    for name, value in headers.items():
        conn.putheader(name, value)
    if method == "POST":
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body if method == "POST" else None)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def good(server) -> dict[str, str]:
    return {"Host": f"127.0.0.1:{server.port}", "Authorization": f"Bearer {TOKEN}"}


def test_it_listens_on_loopback_only_and_the_cli_defaults_to_it(server):
    assert server.socket.getsockname()[0] == "127.0.0.1"
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    # From another address of this machine (when it has one), nothing answers.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        own = probe.getsockname()[0]
    except OSError:
        own = None
    finally:
        probe.close()
    if own and not own.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((own, server.port), timeout=5).close()


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_api_route_needs_the_token(server, method, path):
    host = {"Host": f"127.0.0.1:{server.port}"}
    assert request(server, method, path, host).status == 401
    for wrong in ("Bearer not-the-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "):
        assert request(server, method, path, {**host, "Authorization": wrong}).status == 401
    assert request(server, method, path, good(server)).status == 200


FOREIGN_HOSTS = [
    "evil.example",
    "evil.example:{port}",
    "127.0.0.1.evil.example:{port}",
    "localhost.evil.example:{port}",
    "127.0.0.1:{other}",
    "localhost:{other}",
    "127.0.0.1",  # a port-less Host is not how a client reaches this server
    "10.0.0.5:{port}",
]


@pytest.mark.parametrize(("method", "path"), [("GET", "/health"), *PROTECTED])
@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_a_foreign_host_is_refused_even_with_the_token(server, method, path, host):
    value = host.format(port=server.port, other=server.port + 1)
    response = request(server, method, path, {**good(server), "Host": value})
    assert response.status == 403
    assert response.getheader("Access-Control-Allow-Origin") is None


FOREIGN_ORIGINS = [
    "http://evil.example",
    "http://evil.example:{port}",
    "null",
    "http://localhost:{other}",
    "https://127.0.0.1:{port}",
    "http://127.0.0.1:{port}.evil.example",
]


@pytest.mark.parametrize(("method", "path"), [("GET", "/health"), *PROTECTED])
@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_a_foreign_origin_is_refused_even_with_the_token(server, method, path, origin):
    value = origin.format(port=server.port, other=server.port + 1)
    response = request(server, method, path, {**good(server), "Origin": value})
    assert response.status == 403
    assert response.getheader("Access-Control-Allow-Origin") is None


def test_a_dns_rebinding_page_gets_nothing(server):
    """A page on attacker.example whose name now resolves to 127.0.0.1: its requests carry
    its own name in Host and Origin, and are refused whatever they hold."""
    rebound = {
        "Host": f"attacker.example:{server.port}",
        "Origin": f"http://attacker.example:{server.port}",
        "Authorization": f"Bearer {TOKEN}",
    }
    for method, path in [("GET", "/health"), *PROTECTED]:
        assert request(server, method, path, rebound).status == 403
    preflight = request(
        server, "OPTIONS", "/v1/embeddings", {**rebound, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status == 403
    assert all(not h.lower().startswith("access-control-") for h, _ in preflight.getheaders())


def test_the_servers_own_origin_and_a_missing_host(server):
    own = {**good(server), "Origin": f"http://127.0.0.1:{server.port}"}
    assert request(server, "POST", "/v1/embeddings", own).status == 200
    assert request(server, "GET", "/health", {"Host": f"localhost:{server.port}"}).status == 200
    assert request(server, "GET", "/v1/models", {"Authorization": f"Bearer {TOKEN}"}).status == 400
