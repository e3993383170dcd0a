"""Promises 17-19: the HTTP server keeps answering whatever its clients do.

A server with few file descriptors keeps answering searches on new connections (readers do
not pile up per connection) and ``/health`` tells when search cannot read the index; slow
or odd clients (trickled bodies, bodies on a GET, bursts of connections, text that is not
Unicode) get clear answers and do not take the server from anyone else.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.serve.http_api import KenningServer, ServeConfig, make_server
from tests.fake_embedder import HashingEmbedder
from tests.reliability.conftest import REPO, fresh_index
from tests.reliability.corpus import write_corpus
from tests.reliability.index_runner import DIM

TOKEN = "reliability-limits-token-0123456789"
NOFILE = 128
SEARCHES = 3 * NOFILE  # each on a new connection, so each on a new server thread


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("serve-limits")
    write_corpus(base / "tree", 10, seed=171)
    return fresh_index(base / "data", base / "tree")


def post(port: int, path: str, body: object, timeout: float = 60) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        conn.request(
            "POST",
            path,
            body=raw,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def get(port: int, path: str, timeout: float = 60) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def test_searches_on_many_connections_do_not_run_out_of_descriptors(indexed):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reliability.serve_runner",
            str(indexed),
            TOKEN,
            "--nofile",
            str(NOFILE),
        ],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(proc.stdout.readline())
        failures = []
        for i in range(SEARCHES):
            mode = ("hybrid", "lexical", "semantic")[i % 3]
            status, answer = post(port, "/v1/search", {"query": "render upload", "mode": mode})
            if status != 200:
                failures.append((i, mode, status, answer))
        assert failures == [], f"{len(failures)} of {SEARCHES} failed, first: {failures[:1]}"
        assert get(port, "/health") == (200, {"status": "ok"})
    finally:
        _, err = proc.communicate(timeout=60)  # closes stdin: the server stops
    assert proc.returncode == 0, err[-2000:]


@pytest.fixture
def server(indexed, tmp_path) -> KenningServer:
    data = tmp_path / "data"
    shutil.copytree(indexed, data)
    served = make_server(
        ServeConfig(token=TOKEN, port=0, max_concurrent=4, body_timeout_s=3.0),
        HashingEmbedder(dim=DIM),
        data_dir=data,
    )
    served.start()
    try:
        yield served
    finally:
        served.stop()


def test_health_says_503_when_search_cannot_read_the_index(server):
    assert get(server.port, "/health") == (200, {"status": "ok"})
    assert post(server.port, "/v1/search", {"query": "render", "mode": "lexical"})[0] == 200
    db = server.search.data_dir / "index.sqlite3"
    # Overwritten in place: the server's open readers see the damage too.
    db.write_bytes(b"this is not a database" * 1000)
    status, answer = get(server.port, "/health")
    assert status == 503, answer
    assert "search is unavailable" in answer["error"]["message"]
    status, answer = post(server.port, "/v1/search", {"query": "render", "mode": "lexical"})
    assert status == 503, answer
    assert "search is unavailable" in answer["error"]["message"]


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "lexical"])
def test_a_lone_surrogate_gets_a_clear_400_in_every_mode(server, mode):
    # Written by hand: json.dumps would not produce a lone surrogate escape from a str.
    body = b'{"query": "\\ud800 retry", "mode": "%s"}' % mode.encode()
    status, answer = post(server.port, "/v1/search", body)
    assert status == 400, answer
    assert answer["error"]["message"] == (
        "query is not valid Unicode (a lone surrogate at position 0)"
    )


def test_a_nul_in_a_filter_gets_a_clear_400(server):
    body = {"query": "render", "filters": {"folder": "/tmp/a\x00b"}}
    status, answer = post(server.port, "/v1/search", body)
    assert status == 400, answer
    assert answer["error"]["message"] == "filter 'folder' contains a NUL character"
    assert answer["error"]["param"] == "filters"


def test_a_get_body_on_a_keep_alive_connection_is_not_a_second_request(server):
    host = f"127.0.0.1:{server.port}"
    smuggled = f"GET /v1/models HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    head = f"GET /health HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(smuggled)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode() + smuggled)
        received = b""
        while chunk := sock.recv(65536):  # the server closes after its one answer
            received += chunk
    assert received.count(b"HTTP/1.1 ") == 1, received
    assert received.startswith(b"HTTP/1.1 200 ")
    assert b"Connection: close" in received


def test_a_burst_of_connections_is_queued_not_dropped(indexed):
    burst = 64
    served = make_server(ServeConfig(token=TOKEN, port=0), HashingEmbedder(dim=DIM))
    sockets: list[socket.socket] = []
    try:
        # Not accepting yet: every connection must wait in the kernel's queue. Beyond the
        # listen backlog the kernel drops the handshake and the client retries seconds later.
        for _ in range(burst):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", served.port))
            sockets.append(sock)
        pending = list(sockets)
        deadline = time.monotonic() + 10  # a bound on the wait, not on how fast it is
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], pending, [], 0.2)
            pending = [s for s in pending if s not in writable]
        assert pending == [], f"{len(pending)} of {burst} connections were not queued"
    finally:
        for sock in sockets:
            sock.close()
        served.server_close()


def test_slow_bodies_do_not_make_other_requests_busy(server):
    slow = server.config.max_concurrent + 2
    host = f"127.0.0.1:{server.port}"
    head = (
        f"POST /v1/search HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    ).encode()
    sockets = [
        socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(slow)
    ]
    stop = threading.Event()

    def trickle() -> None:
        for sock in sockets:
            sock.sendall(head)
        while not stop.wait(0.2):
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(b" ")

    trickler = threading.Thread(target=trickle)
    trickler.start()
    try:
        # Every slow client's handler is waiting in its body by now or soon; either way
        # the answers below must not be "busy".
        for _ in range(3):
            assert get(server.port, "/health") == (200, {"status": "ok"})
            status, answer = post(server.port, "/v1/search", {"query": "render", "mode": "lexical"})
            assert status == 200, answer
        # A body that does not arrive in time is answered, and its connection closed.
        answer = b""
        while chunk := sockets[0].recv(65536):  # until the server closes the connection
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert b"did not arrive within 3 s" in answer
    finally:
        stop.set()
        trickler.join()
        for sock in sockets:
            sock.close()
