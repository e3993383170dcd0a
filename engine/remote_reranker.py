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

Batching, retries and errors are ``engine.remote_embedder``'s (``engine.request_batches``,
``engine.http_retry``): at most ``max_batch``
documents and about ``max_request_bytes`` per request (a 413 or a "batch too large" answer
halves that for the session), retries with backoff and jitter on connection errors, 408,
429 and 5xx (honouring ``Retry-After``), and one-line
:class:`~engine.errors.RerankServerError`\\ s for everything else. A cross-encoder judges each
pair on its own, so scores from separate requests compare fine.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from engine.errors import KenningError, RerankServerError
from engine.http_retry import (
    DEFAULT_MAX_REQUEST_BYTES,
    EndpointNotFound,
    RetryingPoster,
    check_limits,
    one_line,
)
from engine.request_batches import RequestBatches
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
        check_limits(max_batch, max_retries, max_request_bytes, timeout)
        self._endpoints = rerank_endpoints(url)
        self._model = model
        self._batches = RequestBatches(
            max_batch=max_batch,
            max_request_bytes=max_request_bytes,
            noun="document",
            server="rerank",
            where=lambda: self.endpoint,
            error=RerankServerError,
        )
        self._poster = RetryingPoster(
            server="rerank",
            error=RerankServerError,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            backoff_s=backoff_s,
            sleep=sleep,
            transport=transport,
        )
        self._tei_form = False
        if strong_on_code is None:
            size = parameters_in_name(model)
            strong_on_code = size is not None and size >= STRONG_ON_CODE_PARAMS
        self._strong_on_code = strong_on_code
        if qwen3_template is None:
            qwen3_template = bool(_QWEN3_RERANKER.search(model))
        self._qwen3_template = qwen3_template

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
        for batch in self._batches.batches(docs):
            if cancelled is not None and cancelled():
                raise RerankCancelled()
            scores.extend(self._batches.send(batch, lambda part: self._request(query, part)))
        return scores

    # -- extras --------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self._endpoints[0]

    def close(self) -> None:
        self._poster.close()

    def __repr__(self) -> str:
        return f"RemoteReranker({self.endpoint!r}, model={self._model!r})"

    # -- one request, with retries and endpoint discovery ----------------------------------

    def _request(self, query: str, docs: list[str]) -> list[float]:
        while True:
            endpoint = self._endpoints[0]
            try:
                response = self._poster.post(
                    endpoint,
                    lambda: self._payload(query, docs),
                    adapt=self._adapt,
                )
            except EndpointNotFound as exc:
                if len(self._endpoints) == 1:
                    raise RerankServerError(
                        f"the rerank server at {endpoint} answered 404 "
                        f"({exc.message}): check the URL and the model name {self._model!r}"
                    ) from None
                log.info("No rerank endpoint at %s; trying %s", *self._endpoints[:2])
                self._endpoints = self._endpoints[1:]
                continue
            return self._parse(response, len(docs), endpoint)

    def _adapt(self, status: int, message: str) -> bool:
        """Switch to TEI's request form when the server says it wants ``texts``."""
        if status in (400, 422) and not self._tei_form and _WANTS_TEXTS.search(message):
            log.info("%s wants TEI's request form (texts); using it", self.endpoint)
            self._tei_form = True
            return True
        return False

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
                f"response ({one_line(exc)})"
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
