"""Rerank through a server's ``/rerank`` endpoint (Jina/Cohere style), as vLLM, SGLang,
infinity and TEI serve it.

Request: ``{"model", "query", "documents", "top_n", "return_documents": false}``, answered
with ``{"results": [{"index", "relevance_score"}, ...]}`` (vLLM, infinity, Jina, Cohere) or a
bare list of ``{"index", "score"}`` (TEI, SGLang). TEI names the documents ``texts``: when a
server refuses the request because ``texts`` is missing, the client switches to that form
for the rest of the session. The URL may be the server's root (``/rerank`` then
``/v1/rerank`` are tried, the first that exists is kept), its ``/v1`` or the endpoint itself.

Qwen3-Reranker is a causal LM, not a cross-encoder: vLLM serves it as one (with
``hf_overrides``) but leaves its chat template to the client, as vLLM's Qwen3-Reranker
example does. For a served name that says Qwen3-Reranker, the query is sent as
``PREFIX + <Instruct>/<Query>`` and each document as ``<Document>: ... + SUFFIX``, so the
model reads exactly what ``LocalReranker`` gives it (``qwen3_template=False`` turns it off
for a server that applies the template itself).

Batching, retries and errors follow ``engine.remote_embedder``: at most ``max_batch``
documents and about ``max_request_bytes`` per request (a 413 or a "batch too large" answer
halves that for the session), retries with backoff and jitter on connection errors, 408,
429 and 5xx (honouring ``Retry-After``), and one-line
:class:`~engine.errors.RerankServerError`\\ s for everything else. A cross-encoder judges each
pair on its own, so scores from separate requests compare fine.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from engine.errors import KenningError, RerankServerError
from engine.remote_embedder import (
    _BATCH_TOO_LARGE,
    DEFAULT_MAX_REQUEST_BYTES,
    MAX_BACKOFF_S,
    MAX_RETRY_AFTER_S,
    RETRY_STATUSES,
    parse_retry_after,
    server_message,
)
from engine.reranker import (
    RERANK_INSTRUCTIONS,
    STRONG_ON_CODE_PARAMS,
    CancelCheck,
    RerankCancelled,
    parameters_in_name,
)
from engine.types import QueryTask

log = logging.getLogger(__name__)

_WANTS_TEXTS = re.compile(r"\btexts\b", re.IGNORECASE)
_QWEN3_RERANKER = re.compile(r"qwen3[-_ ]?reranker", re.IGNORECASE)


class _BatchTooLarge(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _NotFound(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RemoteReranker:
    """The :class:`~engine.reranker.Reranker` protocol over a ``/rerank`` server.

    ``strong_on_code`` defaults to what the model name says (``...-4B``, ``...-8B``).
    ``sleep`` and ``transport`` are seams for tests. Thread-safe (``httpx.Client`` is).
    """

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_batch: int = 64,
        max_retries: int = 4,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        strong_on_code: bool | None = None,
        qwen3_template: bool | None = None,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not model:
            raise KenningError("a rerank server needs a model name")
        if max_batch < 1 or max_retries < 0 or max_request_bytes < 1 or timeout <= 0:
            raise KenningError(
                "max_batch, max_request_bytes and timeout must be positive, max_retries >= 0"
            )
        self._endpoints = rerank_endpoints(url)
        self._model = model
        self._batch_limit = max_batch
        self._max_retries = max_retries
        self._max_request_bytes = max_request_bytes
        self._timeout = timeout
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._tei_form = False
        if strong_on_code is None:
            size = parameters_in_name(model)
            strong_on_code = size is not None and size >= STRONG_ON_CODE_PARAMS
        self._strong_on_code = strong_on_code
        if qwen3_template is None:
            qwen3_template = bool(_QWEN3_RERANKER.search(model))
        self._qwen3_template = qwen3_template
        headers = {"Accept": "application/json", "User-Agent": "kenning"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers=headers,
            transport=transport,
            trust_env=False,  # a proxy from the environment must not see loopback traffic
        )

    # -- Reranker protocol ---------------------------------------------------------------

    @property
    def model_id(self) -> str:
        return self._model

    @property
    def device(self) -> str:
        return "remote"

    @property
    def strong_on_code(self) -> bool:
        return self._strong_on_code

    def rerank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        task: QueryTask = "text",
        cancelled: CancelCheck | None = None,
    ) -> list[float]:
        docs = list(documents)
        if self._qwen3_template:
            from engine.local_reranker import PREFIX, SUFFIX

            instruction = RERANK_INSTRUCTIONS.get(task, RERANK_INSTRUCTIONS["text"])
            query = f"{PREFIX}<Instruct>: {instruction}\n<Query>: {query}\n"
            docs = [f"<Document>: {d}{SUFFIX}" for d in docs]
        # Otherwise ``task`` is not sent: servers apply their model's own prompt format.
        scores: list[float] = []
        start = 0
        while start < len(docs):
            if cancelled is not None and cancelled():
                raise RerankCancelled()
            batch = self._next_batch(docs, start)
            scores.extend(self._request_splitting(query, batch))
            start += len(batch)
        return scores

    # -- extras --------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self._endpoints[0]

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"RemoteReranker({self.endpoint!r}, model={self._model!r})"

    # -- batching ------------------------------------------------------------------------

    def _next_batch(self, docs: list[str], start: int) -> list[str]:
        batch: list[str] = []
        size = 0
        for doc in docs[start:]:
            cost = len(json.dumps(doc)) + 2  # what goes on the wire, escapes included
            if batch and (len(batch) >= self._batch_limit or size + cost > self._max_request_bytes):
                break
            batch.append(doc)
            size += cost
        return batch

    def _request_splitting(self, query: str, docs: list[str]) -> list[float]:
        try:
            return self._request(query, docs)
        except _BatchTooLarge as exc:
            if len(docs) == 1:
                raise RerankServerError(
                    f"the rerank server at {self.endpoint} refuses even a single document "
                    f"({len(docs[0])} characters): {exc.message}"
                ) from None
            half = len(docs) // 2
            if half < self._batch_limit:
                log.info(
                    "%s refused %d documents (%s); sending at most %d per request from now on",
                    self.endpoint,
                    len(docs),
                    exc.message,
                    half,
                )
                self._batch_limit = half
        out: list[float] = []
        start = 0
        while start < len(docs):
            step = self._batch_limit
            out.extend(self._request_splitting(query, docs[start : start + step]))
            start += step
        return out

    # -- one request, with retries and endpoint discovery ----------------------------------

    def _request(self, query: str, docs: list[str]) -> list[float]:
        while True:
            try:
                return self._post(self._endpoints[0], query, docs)
            except _NotFound as exc:
                if len(self._endpoints) == 1:
                    raise RerankServerError(
                        f"the rerank server at {self._endpoints[0]} answered 404 "
                        f"({exc.message}): check the URL and the model name {self._model!r}"
                    ) from None
                log.info("No rerank endpoint at %s; trying %s", *self._endpoints[:2])
                self._endpoints = self._endpoints[1:]

    def _payload(self, query: str, docs: list[str]) -> dict[str, Any]:
        if self._tei_form:
            return {"query": query, "texts": docs, "raw_scores": False, "truncate": True}
        return {
            "model": self._model,
            "query": query,
            "documents": docs,
            "top_n": len(docs),
            "return_documents": False,
        }

    def _post(self, endpoint: str, query: str, docs: list[str]) -> list[float]:
        attempts = self._max_retries + 1
        attempt = 0
        while True:
            last = attempt == attempts - 1
            try:
                response = self._client.post(endpoint, json=self._payload(query, docs))
            except httpx.TimeoutException:
                if last:
                    raise RerankServerError(
                        f"the rerank server at {endpoint} did not answer within "
                        f"{self._timeout:g} s ({attempts} attempts)"
                    ) from None
                self._wait(attempt, None, "timed out")
                attempt += 1
                continue
            except httpx.TransportError as exc:
                if last:
                    raise RerankServerError(
                        f"cannot reach the rerank server at {endpoint}: "
                        f"{_one_line(exc) or type(exc).__name__} ({attempts} attempts)"
                    ) from None
                self._wait(attempt, None, _one_line(exc) or type(exc).__name__)
                attempt += 1
                continue
            status = response.status_code
            if status == 200:
                return self._parse(response, len(docs), endpoint)
            message = server_message(response)
            if status in (400, 422) and not self._tei_form and _WANTS_TEXTS.search(message):
                log.info("%s wants TEI's request form (texts); using it", endpoint)
                self._tei_form = True
                continue  # not an attempt: the same request in the form the server reads
            if status in (401, 403):
                raise RerankServerError(
                    f"the rerank server at {endpoint} refused the API key "
                    f"(HTTP {status}: {message}); pass --api-key or set KENNING_API_KEY"
                )
            if status == 404:
                raise _NotFound(message)
            if status == 413 or (status in (400, 422) and _BATCH_TOO_LARGE.search(message)):
                raise _BatchTooLarge(f"HTTP {status}: {message}")
            if status in RETRY_STATUSES and not last:
                self._wait(attempt, response.headers.get("Retry-After"), f"HTTP {status}")
                attempt += 1
                continue
            retried = f" after {attempts} attempts" if status in RETRY_STATUSES else ""
            raise RerankServerError(
                f"the rerank server at {endpoint} answered HTTP {status}{retried}: {message}"
            )

    def _wait(self, attempt: int, retry_after: str | None, reason: str) -> None:
        delay = parse_retry_after(retry_after)
        if delay is None:
            delay = random.uniform(0, min(MAX_BACKOFF_S, self._backoff_s * 2**attempt))
        delay = min(delay, MAX_RETRY_AFTER_S)
        log.warning(
            "Rerank server %s: %s; retrying in %.1f s (attempt %d of %d)",
            self.endpoint,
            reason,
            delay,
            attempt + 2,
            self._max_retries + 1,
        )
        self._sleep(delay)

    def _parse(self, response: httpx.Response, expected: int, endpoint: str) -> list[float]:
        try:
            body = response.json()
            items = body.get("results", body.get("data")) if isinstance(body, dict) else body
            if not isinstance(items, list):
                raise TypeError("no list of results")
            scores: list[float | None] = [None] * expected
            for item in items:
                index = int(item["index"])
                raw = item.get("relevance_score", item.get("score"))
                if raw is None or not 0 <= index < expected or scores[index] is not None:
                    raise ValueError(f"bad, repeated or scoreless index {index}")
                scores[index] = float(raw)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise RerankServerError(
                f"the rerank server at {endpoint} sent an answer that is not a rerank "
                f"response ({_one_line(exc)})"
            ) from None
        missing = sum(1 for s in scores if s is None)
        if missing:
            raise RerankServerError(
                f"the rerank server at {endpoint} scored {expected - missing} of {expected} "
                "documents"
            )
        return [float(s) for s in scores if s is not None]


def rerank_endpoints(url: str) -> list[str]:
    """The endpoints to try, in order, for what the user gave as the server's URL."""
    base = url.strip().rstrip("/")
    if not re.match(r"^https?://[^/]+", base):
        raise KenningError(
            f"the rerank server URL {url!r} is not an http(s) URL; "
            "use something like http://127.0.0.1:7997"
        )
    if base.endswith("/rerank"):
        return [base]
    if base.endswith("/v1"):
        return [f"{base}/rerank"]
    return [f"{base}/rerank", f"{base}/v1/rerank"]


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
