"""RetryingPoster against a real HTTP server on 127.0.0.1, scripted answer by answer.

Each scripted answer is a status with a JSON body and headers, a hang-up (the connection
closes without an answer: a transport error) or a held answer (the client times out).
``sleep`` is the only seam: waits are recorded instead of slept.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from engine.errors import EmbeddingServerError, RerankServerError
from engine.http_retry import (
    MAX_RETRY_AFTER_S,
    BatchTooLarge,
    EndpointNotFound,
    RetryingPoster,
    parse_retry_after,
    server_message,
)
from tests.loopback_http import LoopbackServer, QuietHandler


@dataclass
class Answer:
    status: int = 200
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    hang_up: bool = False  # close the connection without answering
    hold: threading.Event | None = None  # answer only once this is set


class ScriptedServer:
    """Answers POSTs from a queue (200 ``{"ok": 1}`` when it is empty); records bodies."""

    def __init__(self) -> None:
        self.answers: deque[Answer] = deque()
        self.bodies: list[object] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.http = LoopbackServer(self._handler())
        self.url = f"{self.http.root}/v1/thing"

    def script(self, *answers: Answer) -> None:
        with self.lock:
            self.answers.extend(answers)

    def _handler(self) -> type[QuietHandler]:
        server = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.read_json()
                with server.lock:
                    server.bodies.append(body)
                    server.headers.append(dict(self.headers))
                    answer = server.answers.popleft() if server.answers else Answer(body={"ok": 1})
                if answer.hang_up:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if answer.hold is not None:
                    answer.hold.wait(10)
                self.send_json(answer.status, json.dumps(answer.body).encode(), answer.headers)

        return Handler


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.http.close()


def poster(
    sleeps: list[float] | None = None,
    *,
    server: str = "embedding",
    error: type = EmbeddingServerError,
    **kwargs: object,
) -> RetryingPoster:
    options: dict[str, object] = {
        "api_key": None,
        "timeout": 5.0,
        "max_retries": 3,
        "backoff_s": 0.25,
        "sleep": (sleeps if sleeps is not None else []).append,
        "transport": None,
    }
    options.update(kwargs)
    return RetryingPoster(server=server, error=error, **options)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- answers that are passed on ------------------------------------------------------------


def test_a_200_is_returned_with_the_payload_sent_as_json_and_the_key_as_bearer(server):
    client = poster(api_key="sesame")
    response = client.post(server.url, lambda: {"input": ["é"], "n": 1})
    assert response.json() == {"ok": 1}
    assert server.bodies == [{"input": ["é"], "n": 1}]
    assert server.headers[0]["Authorization"] == "Bearer sesame"
    assert server.headers[0]["User-Agent"] == "kenning"
    client.close()


def test_a_404_is_endpoint_not_found_with_the_server_message_and_not_retried(server):
    server.script(Answer(404, {"error": {"message": "no route /v1/thing"}}))
    sleeps: list[float] = []
    with pytest.raises(EndpointNotFound) as info:
        poster(sleeps).post(server.url, lambda: {})
    assert info.value.message == "no route /v1/thing"
    assert len(server.bodies) == 1 and not sleeps


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (413, "payload too large"),
        (422, "batch size 64 > maximum allowed"),  # vLLM
        (400, "Too many inputs in one request"),
        (422, "at most 32 items"),
        (400, "ensure this value has max_client_batch_size 4"),  # infinity
    ],
)
def test_a_request_refused_for_its_size_is_batch_too_large(server, status, message):
    server.script(Answer(status, {"detail": message}))
    sleeps: list[float] = []
    with pytest.raises(BatchTooLarge) as info:
        poster(sleeps).post(server.url, lambda: {})
    assert info.value.message == f"HTTP {status}: {message}"
    assert len(server.bodies) == 1 and not sleeps


def test_another_400_is_an_error_in_the_callers_class_without_retries(server):
    server.script(Answer(400, {"message": "input must be a list"}))
    with pytest.raises(RerankServerError) as info:
        poster(server="rerank", error=RerankServerError).post(server.url, lambda: {})
    assert str(info.value) == (
        f"the rerank server at {server.url} answered HTTP 400: input must be a list"
    )
    assert len(server.bodies) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_says_how_to_pass_one_and_is_not_retried(server, status):
    server.script(Answer(status, {"error": "invalid api key"}))
    sleeps: list[float] = []
    with pytest.raises(EmbeddingServerError) as info:
        poster(sleeps).post(server.url, lambda: {})
    assert str(info.value) == (
        f"the embedding server at {server.url} refused the API key (HTTP {status}: invalid api "
        "key); pass --api-key or set KENNING_API_KEY"
    )
    assert len(server.bodies) == 1 and not sleeps


# -- retries ---------------------------------------------------------------------------------


def test_429_and_5xx_are_retried_honouring_retry_after_with_jittered_backoff(server, caplog):
    server.script(
        Answer(429, {"error": {"message": "slow down"}}, {"Retry-After": "2"}),
        Answer(503, {"message": "warming up"}),
        Answer(408, {"detail": "request timeout"}),
        Answer(500, {"detail": "oops"}, {"Retry-After": "100000"}),
    )
    sleeps: list[float] = []
    caplog.set_level(logging.WARNING, logger="engine.http_retry")
    response = poster(sleeps, max_retries=4).post(server.url, lambda: {"x": 1})
    assert response.json() == {"ok": 1}
    assert len(server.bodies) == 5
    assert sleeps[0] == 2.0
    # Full jitter: within [0, backoff * 2**attempt].
    assert 0 <= sleeps[1] <= 0.5 and 0 <= sleeps[2] <= 1.0
    assert sleeps[3] == MAX_RETRY_AFTER_S  # a server's Retry-After is capped
    first = caplog.records[0].getMessage()
    assert first == (f"Embedding server {server.url}: HTTP 429; retrying in 2.0 s (attempt 2 of 5)")


def test_retries_give_up_with_the_last_status_and_message(server):
    server.script(*[Answer(503, {"error": {"message": "model is\n loading"}})] * 3)
    sleeps: list[float] = []
    with pytest.raises(EmbeddingServerError) as info:
        poster(sleeps, max_retries=2).post(server.url, lambda: {})
    assert str(info.value) == (
        f"the embedding server at {server.url} answered HTTP 503 after 3 attempts: model is loading"
    )
    assert len(server.bodies) == 3 and len(sleeps) == 2


def test_a_hang_up_is_retried_and_then_the_answer_is_returned(server):
    server.script(Answer(hang_up=True), Answer(hang_up=True))
    sleeps: list[float] = []
    response = poster(sleeps).post(server.url, lambda: {"x": 1})
    assert response.json() == {"ok": 1}
    assert len(server.bodies) == 3 and len(sleeps) == 2


def test_nothing_listening_is_one_line_naming_the_url_after_every_attempt():
    url = f"http://127.0.0.1:{free_port()}/rerank"
    sleeps: list[float] = []
    with pytest.raises(RerankServerError) as info:
        poster(sleeps, server="rerank", error=RerankServerError, max_retries=2).post(
            url, lambda: {}
        )
    message = str(info.value)
    assert message.startswith(f"cannot reach the rerank server at {url}: ")
    assert message.endswith("(3 attempts)") and "\n" not in message
    assert len(sleeps) == 2


def test_a_server_that_never_answers_in_time_is_one_line(server):
    release = threading.Event()
    server.script(*[Answer(body={"late": 1}, hold=release)] * 2)
    try:
        with pytest.raises(EmbeddingServerError) as info:
            poster(timeout=0.2, max_retries=1).post(server.url, lambda: {})
    finally:
        release.set()
    assert str(info.value) == (
        f"the embedding server at {server.url} did not answer within 0.2 s (2 attempts)"
    )


def test_a_slow_answer_times_out_and_the_retry_gets_through(server):
    release = threading.Event()
    server.script(Answer(body={"late": 1}, hold=release))
    sleeps: list[float] = []
    try:
        response = poster(sleeps, timeout=0.2).post(server.url, lambda: {})
    finally:
        release.set()
    assert response.json() == {"ok": 1} and len(sleeps) == 1


# -- adapting the request to the server ------------------------------------------------------


def test_adapt_resends_the_new_payload_without_spending_an_attempt(server):
    server.script(
        Answer(503, {"detail": "busy"}),
        Answer(422, {"detail": "missing field `texts`"}),
        Answer(503, {"detail": "busy"}),
    )
    form = {"key": "documents"}
    seen: list[tuple[int, str]] = []

    def adapt(status: int, message: str) -> bool:
        seen.append((status, message))
        if status == 422 and form["key"] == "documents":
            form["key"] = "texts"
            return True
        return False

    sleeps: list[float] = []
    # Two retries allowed: the 422 re-send must not count, or the last 503 would be fatal.
    response = poster(sleeps, max_retries=2).post(
        server.url, lambda: {form["key"]: ["a"]}, adapt=adapt
    )
    assert response.json() == {"ok": 1}
    assert server.bodies == [{"documents": ["a"]}, {"documents": ["a"]}] + [{"texts": ["a"]}] * 2
    assert seen == [(503, "busy"), (422, "missing field `texts`"), (503, "busy")]
    assert len(sleeps) == 2


def test_adapt_declining_leaves_the_answer_to_the_usual_rules(server):
    server.script(Answer(401, {"detail": "no"}))
    with pytest.raises(EmbeddingServerError, match="refused the API key"):
        poster().post(server.url, lambda: {}, adapt=lambda status, message: False)


# -- helpers ---------------------------------------------------------------------------------


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None and parse_retry_after("") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": {"message": "openai style"}}, "openai style"),
        ({"error": "tei style"}, "tei style"),
        ({"message": "sglang style"}, "sglang style"),
        ({"detail": [{"msg": "fastapi"}]}, '[{"msg": "fastapi"}]'),
    ],
)
def test_server_message_reads_the_error_bodies_servers_send(body, message):
    assert server_message(httpx.Response(400, json=body)) == message


def test_server_message_falls_back_to_the_text_on_one_line_and_cut_short():
    assert server_message(httpx.Response(502, text="bad\n  gateway")) == "bad gateway"
    assert server_message(httpx.Response(502, text="")) == "Bad Gateway"
    assert len(server_message(httpx.Response(500, text="x" * 1000))) == 300
