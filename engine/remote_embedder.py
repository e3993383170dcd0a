"""Embed text through any OpenAI-compatible ``POST {base_url}/embeddings`` server.

SGLang, vLLM, TEI, infinity and Kenning's own ``serve`` all speak this API. The client cuts
inputs into requests the server accepts (an item count and a body size; a 413 or a "too many
inputs" answer halves the batch for the rest of the session), retries what is worth retrying
(connection errors, 429, 5xx) with exponential backoff and jitter, honouring ``Retry-After``,
and turns everything else into one-line :class:`~engine.errors.EmbeddingServerError`\\ s.

Most servers embed exactly the text they are sent, so the model family's marks (Qwen3's query
instruction, e5's ``query: ``/``passage: ``, a folder's prompts) are added here, as the model
cards ask OpenAI-API users to do; servers that mark text themselves get the bare text and an
``input_type`` instead. Which applies is the prompt profile (``engine.prompt_profiles``):
detected from the served model's name, or chosen with ``prompts`` (``--server-prompts``).
Vectors come back re-ordered by their ``index`` and L2-normalised, like
:class:`~engine.local_embedder.LocalEmbedder`'s.

Token counts: an OpenAI-compatible server has no tokenize endpoint, so ``count_tokens`` uses
the model's own tokenizer when the same model is on disk (a local folder or the Hugging Face
cache, never a download) and otherwise *estimates* (UTF-8 bytes / 3, plus two special
tokens), which over-counts English and code for every common tokenizer. ``max_tokens`` comes
from that local copy, else from ``max_model_len`` in the server's ``GET /models`` (vLLM,
SGLang and Kenning publish it), else 512.
"""

from __future__ import annotations

import base64
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from engine.errors import EmbeddingServerError, KenningError
from engine.http_retry import (
    DEFAULT_MAX_REQUEST_BYTES,
    EndpointNotFound,
    RetryingPoster,
    check_limits,
    one_line,
)
from engine.prompt_profiles import (
    NONE,
    QWEN3,
    PromptProfile,
    looks_like_e5,
    named_profile,
    profile_for_served_model,
    sentence_transformers_profile,
    with_chosen_profile,
)
from engine.request_batches import RequestBatches
from engine.types import QueryTask

log = logging.getLogger(__name__)

# Without the model's config we do not know its context; 512 fits every embedding model we
# know of, and chunks of that size embed well.
DEFAULT_MAX_TOKENS = 512
ESTIMATED_BYTES_PER_TOKEN = 3
PROBE_TEXT = "Kenning asks how many dimensions this model's vectors have."


def looks_like_qwen3_embedding(model: str) -> bool:
    """True for the names Qwen3-Embedding is served under (``Qwen/Qwen3-Embedding-0.6B``...)."""
    return profile_for_served_model(model) is QWEN3


@dataclass(frozen=True, slots=True)
class _LocalTwin:
    """The served model's own folder on this machine: its tokenizer, limit and prompts."""

    folder: Path
    tokenizer: Any  # tokenizers.Tokenizer
    max_tokens: int
    query_prompt: str
    document_prompt: str
    is_qwen3: bool


class RemoteEmbedder:
    """The :class:`~engine.types.Embedder` protocol over an OpenAI-compatible server.

    ``base_url`` is what the ``openai`` client takes, e.g. ``http://127.0.0.1:30000/v1``;
    requests go to ``{base_url}/embeddings``. ``dim`` is learned by embedding a probe text on
    first use, or checked against ``dimensions`` (which is also sent to the server, for
    Matryoshka models). Thread-safe: ``httpx.Client`` pools connections across threads.

    ``local_model_dir`` names the served model's folder on this machine (its tokenizer counts
    tokens exactly); by default it is looked up with ``resolve_model(allow_download=False)``
    unless ``find_local_model`` is false. ``prompts`` names the prompt profile (``qwen3``,
    ``e5``, ``input-type``, ``none``; ``None`` or ``auto``: detected from the model's name,
    else its local folder). A chosen profile other than the detected one is part of
    ``model_id``, so an index records it and never mixes vectors made with another.
    ``sleep`` and ``transport`` are seams for tests.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        dimensions: int | None = None,
        timeout: float = 30.0,
        max_batch: int = 64,
        max_retries: int = 4,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        max_tokens: int | None = None,
        prompts: str | None = None,
        local_model_dir: Path | None = None,
        find_local_model: bool = True,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not model:
            raise KenningError("an embedding server needs a model name (--server-model)")
        check_limits(max_batch, max_retries, max_request_bytes, timeout)
        if dimensions is not None and dimensions < 1:
            raise KenningError(f"--dimensions must be a positive number, got {dimensions}")
        self._base_url = normalise_base_url(base_url)
        self._endpoint = f"{self._base_url}/embeddings"
        self._model = model
        self._dimensions = dimensions
        self._batches = RequestBatches(
            max_batch=max_batch,
            max_request_bytes=max_request_bytes,
            noun="input",
            server="embedding",
            where=lambda: self._endpoint,
            error=EmbeddingServerError,
        )
        self._explicit_max_tokens = max_tokens
        # None: decided at first use, from the name or else the local copy's config.
        chosen = (prompts or "auto").strip().lower()
        self._chosen_profile = None if chosen == "auto" else named_profile(chosen)
        self._profile: PromptProfile | None = None
        self._local_model_dir = local_model_dir
        self._find_local_model = find_local_model
        self._poster = RetryingPoster(
            server="embedding",
            error=EmbeddingServerError,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            backoff_s=backoff_s,
            sleep=sleep,
            transport=transport,
        )
        self._dim: int | None = None
        self._dim_lock = threading.Lock()
        self._twin: _LocalTwin | None = None
        self._twin_looked_up = False
        self._twin_lock = threading.Lock()
        self._e5_tokens: Any = None  # None: not looked for; False: not available
        self._served_limit: int | None = None
        self._served_limit_looked_up = False

    # -- Embedder protocol ---------------------------------------------------------------

    @property
    def model_id(self) -> str:
        """The served name; with a prompt profile other than its own, that profile too."""
        chosen = self._chosen_profile
        if chosen is None or chosen == self._detected_profile():
            return self._model
        return with_chosen_profile(self._model, chosen.name)

    @property
    def served_model(self) -> str:
        """The name the server knows the model by (sent in every request)."""
        return self._model

    @property
    def prompt_profile(self) -> str:
        return self.profile.name

    @property
    def profile(self) -> PromptProfile:
        if self._profile is None:
            self._profile = self._chosen_profile or self._detected_profile()
        return self._profile

    @property
    def dim(self) -> int:
        with self._dim_lock:
            if self._dim is None:
                vector = self._request([PROBE_TEXT])[0]
                self._dim = self._accept_dim(len(vector))
                log.info(
                    "%s at %s embeds into %d dimensions", self._model, self._base_url, self._dim
                )
            return self._dim

    @property
    def max_tokens(self) -> int:
        if self._explicit_max_tokens is not None:
            return self._explicit_max_tokens
        twin = self._local_twin()
        if twin is not None:
            return twin.max_tokens
        served = self._served_max_tokens()
        return served if served is not None else DEFAULT_MAX_TOKENS

    @property
    def instruction_aware(self) -> bool:
        return self.profile.instruction_aware

    @property
    def device(self) -> str:
        return "remote"

    def count_tokens(self, texts: list[str]) -> list[int]:
        """The model's token counts when its tokenizer is on disk, else an over-estimate."""
        twin = self._local_twin()
        if twin is None:
            counter = self._e5_counter()
            if counter is not None:
                return counter.count_tokens(texts)
            return [estimate_tokens(t) for t in texts]
        prompt = self.profile.document_prefix()
        encodings = twin.tokenizer.encode_batch([prompt + t for t in texts])
        return [len(e.ids) for e in encodings]

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        profile = self.profile
        if profile.server_marks:
            return self._embed(list(texts), input_type="passage")
        prompt = profile.document_prefix()
        return self._embed([prompt + t for t in texts])

    def embed_queries(self, texts: list[str], task: QueryTask = "code") -> np.ndarray:
        if self.profile.server_marks:
            self.profile.query_prefix(task)  # still refuses an unknown task
            return self._embed(list(texts), input_type="query")
        prefix = self.query_prefix(task)
        return self._embed([prefix + t for t in texts])

    def embed_marked(self, texts: list[str], input_type: str | None) -> np.ndarray:
        """Embed ``texts`` exactly as given, with ``input_type`` in the request when set.

        For the connect-time prompt check: it learns whether the server marks text itself.
        """
        return self._embed(list(texts), input_type=input_type)

    # -- extras --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def endpoint(self) -> str:
        return self._endpoint

    def query_prefix(self, task: QueryTask = "code") -> str:
        """What Kenning puts in front of a query (nothing when the server marks it)."""
        return self.profile.query_prefix(task)

    def close(self) -> None:
        self._poster.close()

    def __enter__(self) -> RemoteEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RemoteEmbedder({self._endpoint!r}, model={self._model!r})"

    # -- batching ------------------------------------------------------------------------

    def _embed(self, texts: list[str], input_type: str | None = None) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        out: list[np.ndarray] = []
        for batch in self._batches.batches(texts):
            out.extend(self._batches.send(batch, lambda part: self._request(part, input_type)))
        matrix = np.stack(out).astype(np.float32, copy=False)
        with self._dim_lock:
            if self._dim is None:
                self._dim = self._accept_dim(matrix.shape[1])
        return matrix

    # -- one request (the poster retries it) -------------------------------------------

    def _request(self, texts: list[str], input_type: str | None = None) -> list[np.ndarray]:
        payload: dict[str, object] = {
            "model": self._model,
            "input": texts,
            "encoding_format": "float",
        }
        if input_type is not None:
            payload["input_type"] = input_type
        if self._dimensions is not None:
            payload["dimensions"] = self._dimensions
        try:
            response = self._poster.post(self._endpoint, lambda: payload)
        except EndpointNotFound as exc:
            raise EmbeddingServerError(
                f"the embedding server at {self._endpoint} answered 404 ({exc.message}): check "
                f"the model name {self._model!r} and that the URL ends where the API starts "
                "(often /v1)"
            ) from None
        return self._parse(response, len(texts))

    # -- answers -------------------------------------------------------------------------

    def _parse(self, response: httpx.Response, expected: int) -> list[np.ndarray]:
        try:
            body = response.json()
            data = body["data"]
            if not isinstance(data, list):
                raise TypeError("data is not a list")
            ordered: list[np.ndarray | None] = [None] * len(data)
            for position, item in enumerate(data):
                index = int(item.get("index", position))
                if not 0 <= index < len(data) or ordered[index] is not None:
                    raise ValueError(f"bad or repeated index {index}")
                ordered[index] = _decode_vector(item["embedding"])
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise EmbeddingServerError(
                f"the embedding server at {self._endpoint} sent an answer that is not an "
                f"OpenAI embeddings response ({one_line(exc)})"
            ) from None
        if len(ordered) != expected:
            raise EmbeddingServerError(
                f"the embedding server at {self._endpoint} returned {len(ordered)} vectors "
                f"for {expected} inputs"
            )
        vectors = [v for v in ordered if v is not None]
        lengths = {len(v) for v in vectors}
        if len(lengths) != 1:
            raise EmbeddingServerError(
                f"the embedding server at {self._endpoint} returned vectors of different "
                f"lengths ({', '.join(str(n) for n in sorted(lengths))}) in one answer"
            )
        size = lengths.pop()
        wanted = self._dim or self._dimensions
        if wanted is not None and size > wanted and self.instruction_aware:
            # A server that ignores "dimensions": Qwen3-Embedding is Matryoshka-trained, so
            # truncating here (before normalising) is exactly what the server should have done.
            vectors = [v[:wanted] for v in vectors]
            size = wanted
        if wanted is not None and size != wanted:
            expected_from = "the first answer" if self._dim else "--dimensions"
            raise EmbeddingServerError(
                f"the embedding server at {self._endpoint} returned {size}-dimensional vectors "
                f"for {self._model}, but {expected_from} had {wanted}"
            )
        matrix = np.stack(vectors)
        if not np.isfinite(matrix).all():
            raise EmbeddingServerError(
                f"the embedding server at {self._endpoint} returned vectors with NaN or inf"
            )
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = matrix / np.maximum(norms, 1e-12)
        return list(matrix.astype(np.float32, copy=False))

    def _accept_dim(self, size: int) -> int:
        if self._dimensions is not None and size != self._dimensions:
            raise EmbeddingServerError(
                f"the embedding server at {self._endpoint} returned {size}-dimensional vectors "
                f"for {self._model}, but --dimensions asked for {self._dimensions}"
            )
        return size

    def _served_max_tokens(self) -> int | None:
        """``max_model_len`` from ``GET {base_url}/models`` (vLLM, SGLang, Kenning publish it)."""
        with self._twin_lock:
            if self._served_limit_looked_up:
                return self._served_limit
            self._served_limit_looked_up = True
            try:
                response = self._poster.client.get(f"{self._base_url}/models")
                response.raise_for_status()
                models = response.json().get("data", [])
                limits = [
                    m.get("max_model_len")
                    for m in models
                    if isinstance(m, dict) and m.get("id") == self._model
                ]
            except (httpx.HTTPError, ValueError, AttributeError) as exc:
                log.debug("No model list at %s/models: %s", self._base_url, exc)
                return None
            if limits and isinstance(limits[0], int) and limits[0] > 0:
                self._served_limit = limits[0]
                log.info("%s takes up to %d tokens per input", self._model, self._served_limit)
            return self._served_limit

    # -- the same model on this machine ----------------------------------------------------

    def _detected_profile(self) -> PromptProfile:
        """The profile the served name implies, else the local copy's, else none."""
        by_name = profile_for_served_model(self._model)
        if by_name is not None:
            return by_name
        twin = self._local_twin()
        if twin is None:
            return NONE
        if twin.is_qwen3:
            return QWEN3
        return sentence_transformers_profile(twin.query_prompt, twin.document_prompt)

    def _e5_counter(self) -> Any:
        """The bundled e5 (same XLM-R tokenizer, same prefixes) to count e5 tokens exactly."""
        if self.profile.name not in ("e5", "input-type") or not looks_like_e5(self._model):
            return None
        with self._twin_lock:
            if self._e5_tokens is None:
                from engine.e5_embedder import E5Embedder, e5_unavailable_reason

                self._e5_tokens = E5Embedder() if e5_unavailable_reason() is None else False
            return self._e5_tokens or None

    def _local_twin(self) -> _LocalTwin | None:
        with self._twin_lock:
            if not self._twin_looked_up:
                self._twin_looked_up = True
                folder = self._local_model_dir
                if folder is None and self._find_local_model:
                    folder = _find_local_folder(self._model)
                self._twin = _load_twin(folder) if folder is not None else None
            return self._twin


def normalise_base_url(base_url: str) -> str:
    """``http://h:p/v1/`` and ``http://h:p/v1/embeddings`` both become ``http://h:p/v1``."""
    url = base_url.strip().rstrip("/")
    url = url.removesuffix("/embeddings")
    if not re.match(r"^https?://[^/]+", url):
        raise KenningError(
            f"the server URL {base_url!r} is not an http(s) URL; "
            "use something like http://127.0.0.1:30000/v1"
        )
    return url


def estimate_tokens(text: str) -> int:
    """A tokenizer-free over-estimate: UTF-8 bytes / 3, plus two special tokens."""
    return math.ceil(len(text.encode("utf-8")) / ESTIMATED_BYTES_PER_TOKEN) + 2


def _decode_vector(raw: object) -> np.ndarray:
    if isinstance(raw, str):  # encoding_format=base64 from a server that ignores our ask
        return np.frombuffer(base64.b64decode(raw), dtype="<f4").astype(np.float32)
    if not isinstance(raw, list) or not raw:
        raise TypeError("embedding is not a list of numbers")
    return np.asarray(raw, dtype=np.float32)


def _find_local_folder(model: str) -> Path | None:
    """The served model's folder on disk, found without any download, or None."""
    from engine.model_resolution import resolve_model

    try:
        resolved = resolve_model(model, allow_download=False)
    except KenningError as exc:
        log.debug("No local copy of %s: %s", model, exc)
        return None
    if resolved.fell_back:
        return None
    return Path(resolved.path)


def _load_twin(folder: Path) -> _LocalTwin | None:
    from tokenizers import Tokenizer

    from engine.model_config import read_model_config

    try:
        config = read_model_config(folder)
        tokenizer_file = config.transformer_dir / "tokenizer.json"
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
    except (KenningError, OSError, ValueError, RuntimeError) as exc:
        # A folder without a fast tokenizer only costs us exact counts: estimate instead.
        log.info("Cannot use the local tokenizer in %s (%s); estimating tokens", folder, exc)
        return None
    tokenizer.no_truncation()
    tokenizer.no_padding()
    limits = [n for n in (config.max_seq_length, config.max_position_embeddings) if n]
    log.info("Counting tokens with the local copy of the served model in %s", folder)
    return _LocalTwin(
        folder=folder,
        tokenizer=tokenizer,
        max_tokens=min(limits) if limits else DEFAULT_MAX_TOKENS,
        query_prompt=config.query_prompt,
        document_prompt=config.document_prompt,
        is_qwen3=config.instruction_aware,
    )
