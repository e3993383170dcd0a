"""RequestBatches: batch bounds, and halving what a server refuses as too large.

The splitting is driven by a real HTTP server on 127.0.0.1 that takes at most ``capacity``
texts per request and answers more with a 413, through the real RetryingPoster.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import pytest

from engine.errors import EmbeddingServerError, RerankServerError
from engine.http_retry import RetryingPoster
from engine.request_batches import RequestBatches
from tests.loopback_http import LoopbackServer, QuietHandler


class SmallServer:
    """Echoes each text's length; more than ``capacity`` texts in a request get a 413."""

    def __init__(self) -> None:
        self.capacity = 3
        self.sizes: list[int] = []
        self.lock = threading.Lock()
        self.http = LoopbackServer(self._handler())
        self.url = f"{self.http.root}/lengths"

    def _handler(self) -> type[QuietHandler]:
        server = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                texts = self.read_json()["texts"]
                with server.lock:
                    server.sizes.append(len(texts))
                if len(texts) > server.capacity:
                    status, body = 413, {"error": f"{len(texts)} texts is too large"}
                else:
                    status, body = 200, {"lengths": [len(t) for t in texts]}
                self.send_json(status, json.dumps(body).encode())

        return Handler


@pytest.fixture
def server() -> Iterator[SmallServer]:
    small = SmallServer()
    yield small
    small.http.close()


def batches(max_batch: int = 64, max_request_bytes: int = 1_000_000, **kwargs) -> RequestBatches:
    options = {"noun": "input", "server": "embedding", "error": EmbeddingServerError}
    options.update(kwargs)
    return RequestBatches(
        max_batch=max_batch,
        max_request_bytes=max_request_bytes,
        where=lambda: "http://127.0.0.1:1/lengths",
        **options,
    )


def lengths_from(server: SmallServer):
    poster = RetryingPoster(
        server="embedding",
        error=EmbeddingServerError,
        api_key=None,
        timeout=5.0,
        max_retries=0,
        backoff_s=0.0,
        sleep=lambda seconds: None,
        transport=None,
    )

    def request(texts: list[str]) -> list[int]:
        return poster.post(server.url, lambda: {"texts": texts}).json()["lengths"]

    return request


def test_batches_are_bounded_by_count_and_by_json_bytes():
    texts = [f"t{i}" for i in range(10)]
    assert [len(b) for b in batches(max_batch=4).batches(texts)] == [4, 4, 2]
    # json.dumps escapes "é" to 6 bytes, so the first text alone is over the bound, and a
    # text over the bound still goes alone rather than never.
    big = ["é" * 300, "b" * 300, "c" * 300]
    assert list(batches(max_request_bytes=700).batches(big)) == [big[:1], big[1:]]
    assert list(batches().batches([])) == []


def test_a_limit_lowered_while_sending_shapes_the_next_batch():
    plan = batches(max_batch=4)
    produced = plan.batches([str(i) for i in range(9)])
    assert next(produced) == ["0", "1", "2", "3"]
    plan.limit = 2
    assert list(produced) == [["4", "5"], ["6", "7"], ["8"]]


def test_a_refused_batch_is_halved_in_order_and_the_limit_kept(server, caplog):
    plan = batches(max_batch=8)
    request = lengths_from(server)
    texts = ["a" * n for n in range(1, 9)]
    caplog.set_level(logging.INFO, logger="engine.request_batches")
    assert plan.send(texts, request) == list(range(1, 9))
    assert server.sizes == [8, 4, 2, 2, 2, 2]
    assert plan.limit == 2
    assert caplog.records[0].getMessage() == (
        "http://127.0.0.1:1/lengths refused 8 inputs (HTTP 413: 8 texts is too large); "
        "sending at most 4 per request from now on"
    )
    # The limit learned is kept for the next batches: no more refusals.
    server.sizes.clear()
    assert [plan.send(b, request) for b in plan.batches(texts[:5])] == [[1, 2], [3, 4], [5]]
    assert server.sizes == [2, 2, 1]


def test_an_odd_split_resends_what_is_left_at_the_lowered_limit(server):
    server.capacity = 2
    plan = batches(max_batch=7)
    assert plan.send(["x"] * 7, lengths_from(server)) == [1] * 7
    # 7 refused -> 3 refused -> 1, 1, 1 (limit now 1), then the other 4 one by one.
    assert server.sizes == [7, 3, 1, 1, 1, 1, 1, 1, 1]
    assert plan.limit == 1


def test_a_single_text_refused_is_one_line_in_the_callers_words(server):
    server.capacity = 0
    plan = batches(noun="document", server="rerank", error=RerankServerError)
    with pytest.raises(RerankServerError) as info:
        plan.send(["abc", "de"], lengths_from(server))
    assert str(info.value) == (
        "the rerank server at http://127.0.0.1:1/lengths refuses even a single document "
        "(3 characters): HTTP 413: 1 texts is too large"
    )
