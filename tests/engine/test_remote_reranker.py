"""RemoteReranker: the protocol against a real infinity-emb server, and the error cases.

infinity serves a randomly initialised cross-encoder (a tiny ``BertForSequenceClassification``
with the bundled MiniLM's tokenizer) built in a fixture, on 127.0.0.1 and the CPU. What no
server here does (TEI's request form, 503 then success, 413) is played by
``httpx.MockTransport`` answering exactly as those servers document.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from engine.errors import KenningError, RerankServerError
from engine.remote_reranker import RemoteReranker, rerank_endpoints
from engine.reranker import RerankCancelled
from tests.engine.serve.test_infinity import INFINITY, _free_port, _wait_until_ready

QUERY = "retry failed uploads"
DOCS = [
    "def upload_with_retries(session, url): retry failed uploads with backoff",
    "Deploy with the blue green strategy and watch the dashboards.",
    "設定ファイルを読み込む関数",
    "x",
    "The watcher debounces file events. " * 20,
]


# -- a real third-party server --------------------------------------------------------------


@pytest.fixture(scope="module")
def cross_encoder_dir(minilm_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        num_labels=1,  # one relevance logit: infinity serves it as a reranker
        architectures=["BertForSequenceClassification"],
    )
    torch.manual_seed(0)
    BertForSequenceClassification(config).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def infinity_root(
    cross_encoder_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if not INFINITY.exists():
        reason = f"{INFINITY} is missing: run tests/servers/setup_infinity.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    port = _free_port()
    log_path = tmp_path_factory.mktemp("infinity-rerank") / "infinity.log"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
        "INFINITY_ANONYMOUS_USAGE_STATS": "0",
        "HF_HOME": str(log_path.parent / "hf"),
        "INFINITY_MAX_CLIENT_BATCH_SIZE": "4",
    }
    command = [
        str(INFINITY),
        "v2",
        "--model-id",
        str(cross_encoder_dir),
        "--served-model-name",
        "tiny-cross-encoder",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--url-prefix",
        "/v1",
        "--device",
        "cpu",
        "--engine",
        "torch",
        "--batch-size",
        "4",
        "--no-model-warmup",
        "--api-key",
        "sesame",
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_until_ready(proc, f"http://127.0.0.1:{port}/health", log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _local_scores(folder: Path, query: str, docs: list[str]) -> np.ndarray:
    """The cross-encoder run here: sigmoid of its one logit, as infinity documents."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForSequenceClassification.from_pretrained(str(folder)).eval()
    batch = tokenizer(
        [[query, d.strip()] for d in docs],
        padding=True,
        truncation="longest_first",
        return_tensors="pt",
    )
    with torch.no_grad():
        logits = model(**batch).logits.flatten()
    return torch.sigmoid(logits).numpy()


@pytest.mark.model
def test_infinity_scores_agree_with_the_model_run_here(infinity_root, cross_encoder_dir):
    # The root URL: /rerank is not there (infinity serves under /v1), /v1/rerank is found.
    remote = RemoteReranker(infinity_root, "tiny-cross-encoder", api_key="sesame", max_batch=2)
    scores = remote.rerank(QUERY, DOCS)
    assert remote.endpoint == f"{infinity_root}/v1/rerank"
    np.testing.assert_allclose(scores, _local_scores(cross_encoder_dir, QUERY, DOCS), atol=1e-4)
    assert len(set(scores)) == len(DOCS)  # really one score per document, in input order
    assert remote.device == "remote" and not remote.strong_on_code


@pytest.mark.model
def test_infinity_refuses_a_wrong_api_key(infinity_root):
    remote = RemoteReranker(f"{infinity_root}/v1", "tiny-cross-encoder", api_key="wrong")
    with pytest.raises(RerankServerError, match="refused the API key"):
        remote.rerank(QUERY, DOCS[:2])


@pytest.mark.model
def test_infinity_batch_limit_halves_the_batch(infinity_root, cross_encoder_dir):
    # The server takes at most 4 documents (INFINITY_MAX_CLIENT_BATCH_SIZE) and says so
    # with a 422; the client halves its batch and still scores everything, in order.
    remote = RemoteReranker(f"{infinity_root}/v1", "tiny-cross-encoder", api_key="sesame")
    docs = DOCS * 2
    scores = remote.rerank(QUERY, docs)
    np.testing.assert_allclose(scores, _local_scores(cross_encoder_dir, QUERY, docs), atol=1e-4)
    assert remote._batches.limit <= 4


def test_nothing_listening_is_one_clear_line_after_retries():
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    remote = RemoteReranker(
        f"http://127.0.0.1:{port}/v1", "m", max_retries=2, sleep=waits.append, timeout=2
    )
    with pytest.raises(RerankServerError, match=r"cannot reach the rerank server .*3 attempts"):
        remote.rerank(QUERY, DOCS)
    assert len(waits) == 2


# -- what other servers answer ---------------------------------------------------------------


def _scores_for(body: dict) -> list[dict]:
    docs = body.get("documents") or body.get("texts")
    return [{"index": i, "relevance_score": 1.0 / (1 + len(d))} for i, d in enumerate(docs)]


def test_tei_request_form_is_used_when_the_server_asks_for_texts():
    seen: list[dict] = []

    def tei(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if "texts" not in body:  # TEI's own validation error for its request type
            return httpx.Response(
                422, text="Failed to deserialize the JSON body: missing field `texts`"
            )
        # TEI answers a bare list, best first, with "score".
        ranked = sorted(_scores_for(body), key=lambda r: -r["relevance_score"])
        return httpx.Response(
            200, json=[{"index": r["index"], "score": r["relevance_score"]} for r in ranked]
        )

    remote = RemoteReranker("http://tei:8080/rerank", "bge", transport=httpx.MockTransport(tei))
    scores = remote.rerank(QUERY, DOCS)
    assert scores == [1.0 / (1 + len(d)) for d in DOCS]  # back in input order
    assert "documents" in seen[0] and "texts" in seen[1]
    remote.rerank(QUERY, DOCS[:1])
    assert "texts" in seen[2]  # remembered for the session


def test_retries_then_succeeds_honouring_retry_after():
    calls: list[int] = []
    waits: list[float] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(503, headers={"Retry-After": "2"}, json={"detail": "loading"})
        return httpx.Response(200, json={"results": _scores_for(json.loads(request.content))})

    remote = RemoteReranker(
        "http://vllm:8000/v1",
        "Qwen/Qwen3-Reranker-4B",
        sleep=waits.append,
        transport=httpx.MockTransport(flaky),
        qwen3_template=False,
    )
    assert remote.rerank(QUERY, DOCS[:2]) == [1.0 / (1 + len(d)) for d in DOCS[:2]]
    assert waits == [2.0, 2.0]
    assert remote.strong_on_code  # a 4B reranker is trusted with code


def test_a_batch_too_large_is_halved_for_the_session():
    sizes: list[int] = []

    def small_server(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sizes.append(len(body["documents"]))
        if len(body["documents"]) > 2:
            return httpx.Response(413, text="payload too large")
        return httpx.Response(200, json={"results": _scores_for(body)})

    remote = RemoteReranker("http://s/v1", "m", transport=httpx.MockTransport(small_server))
    assert remote.rerank(QUERY, DOCS) == [1.0 / (1 + len(d)) for d in DOCS]
    assert max(sizes[1:]) <= 2


def test_answers_that_are_not_rerank_responses():
    def bad(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": [{"index": 0, "relevance_score": 0.5}]})

    remote = RemoteReranker("http://s/v1", "m", transport=httpx.MockTransport(bad))
    with pytest.raises(RerankServerError, match="scored 1 of 2 documents"):
        remote.rerank(QUERY, DOCS[:2])

    def garbage(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>hello</html>")

    remote = RemoteReranker("http://s/v1", "m", transport=httpx.MockTransport(garbage))
    with pytest.raises(RerankServerError, match="not a rerank response"):
        remote.rerank(QUERY, DOCS[:2])


def test_cancelled_between_requests():
    def ok(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": _scores_for(json.loads(request.content))})

    remote = RemoteReranker("http://s/v1", "m", max_batch=2, transport=httpx.MockTransport(ok))
    checks: list[int] = []

    def cancelled() -> bool:
        checks.append(1)
        return len(checks) > 1

    with pytest.raises(RerankCancelled):
        remote.rerank(QUERY, DOCS, cancelled=cancelled)


def test_endpoints_from_what_the_user_typed():
    assert rerank_endpoints("http://h:7997/") == ["http://h:7997/rerank", "http://h:7997/v1/rerank"]
    assert rerank_endpoints("http://h:8000/v1") == ["http://h:8000/v1/rerank"]
    assert rerank_endpoints("http://h:8080/rerank") == ["http://h:8080/rerank"]
    with pytest.raises(KenningError, match="not an http"):
        rerank_endpoints("h:8080")


def test_qwen3_reranker_gets_its_template_from_the_client():
    from engine.local_reranker import PREFIX, SUFFIX, format_pair
    from engine.reranker import RERANK_INSTRUCTIONS

    sent: list[dict] = []

    def vllm(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        return httpx.Response(200, json={"results": _scores_for(body)})

    remote = RemoteReranker(
        "http://vllm:8000/v1", "Qwen/Qwen3-Reranker-0.6B", transport=httpx.MockTransport(vllm)
    )
    remote.rerank(QUERY, DOCS[:2], task="code")
    body = sent[0]
    # What vLLM concatenates (query, then document) is exactly LocalReranker's prompt.
    for doc, sent_doc in zip(DOCS[:2], body["documents"], strict=True):
        full = body["query"] + sent_doc
        assert full == PREFIX + format_pair(RERANK_INSTRUCTIONS["code"], QUERY, doc) + SUFFIX
    plain = RemoteReranker(
        "http://vllm:8000/v1",
        "Qwen/Qwen3-Reranker-0.6B",
        qwen3_template=False,
        transport=httpx.MockTransport(vllm),
    )
    plain.rerank(QUERY, DOCS[:2])
    assert sent[1]["query"] == QUERY and sent[1]["documents"] == DOCS[:2]
