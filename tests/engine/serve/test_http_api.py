"""``kenning serve``'s HTTP API, through the official openai client and through raw HTTP."""

from __future__ import annotations

import base64
import http.client
import json
import socket

import httpx
import numpy as np
import openai
import pytest

from engine.search import Searcher
from engine.serve.http_api import KenningServer, ServeConfig, make_server
from tests.engine.serve.conftest import TOKEN


def client(server: KenningServer, api_key: str = TOKEN) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=api_key, max_retries=0)


def raw(
    server: KenningServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict, dict]:
    """One request with exactly the headers given (http.client adds Host unless we do)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        payload = json.loads(response.read() or b"null")
        return response.status, dict(response.getheaders()), payload
    finally:
        conn.close()


def auth(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", **(extra or {})}


# -- /v1/embeddings with the openai client ---------------------------------------------------


def test_openai_client_embeddings_match_the_local_model(server, tiny_embedder):
    texts = ["def parse_config(path): ...", "retry failed uploads", "設定ファイルを読む"]
    answer = client(server).embeddings.create(model=tiny_embedder.model_id, input=texts)
    got = np.array([d.embedding for d in answer.data], dtype=np.float32)
    want = tiny_embedder.embed_documents(texts)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert [d.index for d in answer.data] == [0, 1, 2]
    assert answer.model == tiny_embedder.model_id
    assert answer.usage.prompt_tokens == sum(tiny_embedder.count_tokens(texts)) > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens


def test_float_and_base64_and_a_single_string(server, tiny_embedder):
    c = client(server)
    as_float = c.embeddings.create(
        model="Qwen3-Embedding-tiny", input="hello", encoding_format="float"
    )
    as_b64 = c.embeddings.with_raw_response.create(
        model="Qwen3-Embedding-tiny", input="hello", encoding_format="base64"
    )
    encoded = json.loads(as_b64.text)["data"][0]["embedding"]
    decoded = np.frombuffer(base64.b64decode(encoded), dtype="<f4")
    np.testing.assert_allclose(decoded, as_float.data[0].embedding, rtol=1e-6)
    np.testing.assert_allclose(
        decoded, tiny_embedder.embed_documents(["hello"])[0], rtol=1e-5, atol=1e-6
    )


def test_dimensions_truncate_and_renormalise(server, tiny_embedder):
    answer = client(server).embeddings.create(
        model=tiny_embedder.model_id, input=["hello world"], dimensions=16
    )
    got = np.array(answer.data[0].embedding)
    full = tiny_embedder.embed_documents(["hello world"])[0]
    assert got.shape == (16,)
    np.testing.assert_allclose(got, full[:16] / np.linalg.norm(full[:16]), rtol=1e-5, atol=1e-6)
    with pytest.raises(openai.BadRequestError, match="more than the model's 64"):
        client(server).embeddings.create(model=tiny_embedder.model_id, input="x", dimensions=65)


def test_models_endpoint(server, tiny_embedder):
    c = client(server)
    models = c.models.list()
    assert [m.id for m in models.data] == [tiny_embedder.model_id]
    assert c.models.retrieve("Qwen3-Embedding-tiny").id == tiny_embedder.model_id


def test_openai_client_errors(server, tiny_embedder):
    with pytest.raises(openai.AuthenticationError, match="invalid API key"):
        client(server, api_key="wrong-token-wrong-token").embeddings.create(
            model=tiny_embedder.model_id, input="x"
        )
    with pytest.raises(openai.NotFoundError, match="is not served here"):
        client(server).embeddings.create(model="text-embedding-3-small", input="x")
    with pytest.raises(openai.APIStatusError, match="too many inputs: 9") as info:
        client(server).embeddings.create(model=tiny_embedder.model_id, input=["x"] * 9)
    assert info.value.status_code == 413
    with pytest.raises(openai.BadRequestError, match="token-id input is not supported"):
        client(server).embeddings.create(model=tiny_embedder.model_id, input=[[1, 2, 3]])
    with pytest.raises(openai.BadRequestError, match=r"input\[1\] is empty"):
        client(server).embeddings.create(model=tiny_embedder.model_id, input=["a", ""])
    with pytest.raises(openai.BadRequestError, match="more than the model's maximum of 128"):
        client(server).embeddings.create(model=tiny_embedder.model_id, input="word " * 400)


def test_error_bodies_have_the_openai_shape(server):
    status, _, body = raw(
        server, "POST", "/v1/embeddings", json.dumps({"input": 5}).encode(), auth()
    )
    assert status == 400
    assert body == {
        "error": {
            "message": "input must be a string or a non-empty list of strings",
            "type": "invalid_request_error",
            "param": "input",
            "code": None,
        }
    }


# -- security --------------------------------------------------------------------------------


def test_health_needs_no_token_but_everything_else_does(server):
    assert raw(server, "GET", "/health")[::2] == (200, {"status": "ok"})
    status, headers, body = raw(server, "GET", "/v1/models")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert "missing API key" in body["error"]["message"]
    assert raw(server, "GET", "/v1/models", headers={"Authorization": "Bearer nope"})[0] == 401
    assert raw(server, "GET", "/v1/models", headers={"Authorization": TOKEN})[0] == 401


@pytest.mark.parametrize(
    "host", ["evil.example:{port}", "127.0.0.1:1", "attacker.test", "localhost.evil.example:{port}"]
)
def test_foreign_host_is_refused(server, host):
    status, _, body = raw(
        server, "GET", "/v1/models", headers=auth({"Host": host.format(port=server.port)})
    )
    assert status == 403
    assert body["error"]["code"] == "foreign_host"


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_own_host_names_are_accepted(server, host):
    assert (
        raw(server, "GET", "/v1/models", headers=auth({"Host": host.format(port=server.port)}))[0]
        == 200
    )


def test_foreign_origin_is_refused_and_own_origin_accepted(server):
    status, _, body = raw(
        server, "GET", "/v1/models", headers=auth({"Origin": "https://evil.example"})
    )
    assert status == 403 and body["error"]["code"] == "foreign_origin"
    assert raw(server, "GET", "/v1/models", headers=auth({"Origin": "null"}))[0] == 403
    own = f"http://localhost:{server.port}"
    assert raw(server, "GET", "/v1/models", headers=auth({"Origin": own}))[0] == 200
    # A browser's CORS preflight is refused too.
    assert (
        raw(server, "OPTIONS", "/v1/embeddings", headers={"Origin": "https://evil.example"})[0]
        == 403
    )


def test_body_limits_and_content_type(server):
    huge = json.dumps({"input": ["x" * 70_000]}).encode()
    status, headers, body = raw(server, "POST", "/v1/embeddings", huge, auth())
    assert status == 413 and "over the limit of 65536" in body["error"]["message"]
    assert headers.get("Connection") == "close"

    ok_body = json.dumps({"input": "x"}).encode()
    plain = auth({"Content-Type": "text/plain"})
    assert raw(server, "POST", "/v1/embeddings", ok_body, plain)[0] == 415
    assert raw(server, "POST", "/v1/embeddings", b"{not json", auth())[0] == 400
    assert raw(server, "POST", "/v1/embeddings", b"[1, 2]", auth())[0] == 400


def test_chunked_body_is_refused(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(
            "POST",
            "/v1/embeddings",
            body=iter([b'{"input": "x"}']),
            headers=auth(),
            encode_chunked=True,
        )
        response = conn.getresponse()
        assert response.status == 411
        response.read()
    finally:
        conn.close()


def test_refused_body_is_drained_so_the_client_reads_the_answer(server):
    # A client that sends a whole over-limit body before reading must get the 413, not a
    # connection reset: the server reads and drops the body it refused before closing.
    body = b"x" * (8 * 1024 * 1024)
    head = (
        f"POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"over the limit" in answer


def test_unknown_paths_and_methods(server):
    assert raw(server, "GET", "/v1/nothing", headers=auth())[0] == 404
    status, _, body = raw(server, "GET", "/v1/embeddings", headers=auth())
    assert status == 405 and "accepts POST only" in body["error"]["message"]


def test_busy_server_answers_503(tiny_embedder):
    srv = make_server(ServeConfig(token=TOKEN, port=0, max_concurrent=1), tiny_embedder)
    srv.start()
    try:
        assert srv.try_enter()  # one request "in flight"
        status, headers, _ = raw(srv, "GET", "/v1/models", headers=auth())
        assert status == 503 and headers["Retry-After"] == "1"
        srv.leave()
        assert raw(srv, "GET", "/v1/models", headers=auth())[0] == 200
    finally:
        srv.stop()


def test_keep_alive_connection_serves_several_requests(server):
    with httpx.Client(base_url=server.url, headers=auth()) as c:
        for _ in range(3):
            assert c.post("/v1/embeddings", json={"input": "x"}).status_code == 200
        # An error before the body is read closes the connection instead of misreading it.
        assert c.post("/v1/embeddings", content=b"x" * 70_000, headers=auth()).status_code == 413
        assert c.post("/v1/embeddings", json={"input": "y"}).status_code == 200


# -- /v1/search --------------------------------------------------------------------------------


def search(server: KenningServer, body: dict) -> tuple[int, dict]:
    r = httpx.post(f"{server.url}/v1/search", json=body, headers=auth())
    return r.status_code, r.json()


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "lexical"])
def test_search_answers_like_the_cli_json(server, tiny_embedder, indexed_data_dir, mode):
    status, body = search(server, {"query": "retry failed uploads", "limit": 3, "mode": mode})
    assert status == 200
    searcher = Searcher(indexed_data_dir, tiny_embedder)
    try:
        want = searcher.search("retry failed uploads", mode=mode, limit=3)
    finally:
        searcher.close()
    assert body == {"query": "retry failed uploads", "results": [r.to_json() for r in want]}
    assert body["results"], "the index has matching chunks"
    assert set(body["results"][0]) == {
        "path",
        "start_line",
        "end_line",
        "score",
        "kind",
        "language",
        "symbol",
        "snippet",
        "similarity",
        "lexical_rank",
        "semantic_rank",
    }


def test_search_filters(server, tiny_embedder, indexed_data_dir, project_tree):
    status, body = search(
        server,
        {"query": "settings file", "filters": {"kind": "text", "path": "*.md"}, "mode": "lexical"},
    )
    assert status == 200 and body["results"]
    assert all(r["kind"] == "text" and r["path"].endswith("notes.md") for r in body["results"])
    status, body = search(server, {"query": "checksum", "filters": {"lang": "markdown"}})
    assert status == 200
    assert all(r["language"] == "markdown" for r in body["results"])
    # "folder" is an indexed root or any folder inside one: results come from that subtree.
    status, body = search(server, {"query": "checksum", "filters": {"folder": str(project_tree)}})
    assert status == 200 and body["results"]
    for sub in ("src", "docs"):
        folder = f"{project_tree}/{sub}/../{sub}/"  # ".." and a trailing slash resolve
        status, body = search(
            server,
            {"query": "checksum upload settings", "mode": "lexical", "filters": {"folder": folder}},
        )
        assert status == 200 and body["results"], body
        assert all(r["path"].startswith(f"{project_tree}/{sub}/") for r in body["results"])
    # A folder outside the index is refused with the indexed ones named, not "no results".
    status, body = search(server, {"query": "checksum", "filters": {"folder": "/elsewhere"}})
    assert status == 400
    assert body["error"]["message"] == (
        f"not indexed: /elsewhere (indexed folders: {project_tree})"
    )
    status, body = search(server, {"query": "checksum", "filters": {"folder": "src"}})
    assert status == 400
    assert body["error"]["message"] == "filter 'folder' must be an absolute path, got 'src'"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "query must be a non-empty string"),
        ({"query": "  "}, "query must be a non-empty string"),
        ({"query": "x", "limit": 0}, "limit must be a positive integer"),
        ({"query": "x", "limit": 10_000}, "limit must be at most"),
        ({"query": "x", "mode": "fuzzy"}, "mode must be one of"),
        ({"query": "x", "filters": {"colour": "red"}}, "unknown filter 'colour'"),
        ({"query": "x", "filters": {"kind": "image"}}, "'kind' must be 'code' or 'text'"),
    ],
)
def test_bad_search_requests(server, body, message):
    status, answer = search(server, body)
    assert status == 400
    assert message in answer["error"]["message"]


def test_search_without_an_index_says_how_to_make_one(tiny_embedder, tmp_path):
    srv = make_server(ServeConfig(token=TOKEN, port=0), tiny_embedder, data_dir=tmp_path / "none")
    srv.start()
    try:
        status, body = search(srv, {"query": "x"})
    finally:
        srv.stop()
    assert status == 404
    assert "run `kenning index PATH` first" in body["error"]["message"]


@pytest.mark.model
def test_search_with_another_model_serves_lexical_only(indexed_data_dir, minilm_path):
    from engine.local_embedder import LocalEmbedder

    other = LocalEmbedder(
        minilm_path, model_id="sentence-transformers/all-MiniLM-L6-v2", device="cpu"
    )
    srv = make_server(ServeConfig(token=TOKEN, port=0), other, data_dir=indexed_data_dir)
    srv.start()
    try:
        status, body = search(srv, {"query": "uploads", "mode": "semantic"})
        assert status == 409 and body["error"]["code"] == "model_mismatch"
        status, body = search(srv, {"query": "uploads", "mode": "lexical"})
        assert status == 200 and body["results"]
    finally:
        srv.stop()


def test_stop_ends_kept_alive_connections(tiny_embedder):
    import threading

    srv = make_server(ServeConfig(token=TOKEN, port=0), tiny_embedder)
    srv.start()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", "/health")
    assert conn.getresponse().read()
    before = {t for t in threading.enumerate() if t.name == "kenning-serve-request"}
    assert before  # the keep-alive connection holds its handler thread
    assert srv.stop(timeout=5.0)
    assert not [t for t in threading.enumerate() if t.name == "kenning-serve-request"]
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.request("GET", "/health")
        conn.getresponse().read()
