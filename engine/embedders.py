"""The one factory every front end calls to get an ``Embedder``.

Local models are resolved (folder, Hugging Face cache, download, offline fallback) and run by
``LocalEmbedder``; with a server URL the vectors come from an OpenAI-compatible endpoint.
Nothing is cached here: the caller owns the embedder it gets and keeps it as long as needed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from engine.env_names import ENV_API_KEY
from engine.model_resolution import (
    DEFAULT_MODEL,
    OFFLINE_MODEL_ID,
    ProgressCallback,
    ResolvedModel,
    resolve_model,
)
from engine.types import Embedder

__all__ = ["DEFAULT_MODEL", "OFFLINE_MODEL_ID", "load_embedder"]

logger = logging.getLogger(__name__)

API_KEY_ENV = ENV_API_KEY  # the name other modules import from here


def load_embedder(
    model: str | None = None,
    *,
    device: str | None = None,
    dimensions: int | None = None,
    server_url: str | None = None,
    server_model: str | None = None,
    api_key: str | None = None,
    on_notice: Callable[[str], None] | None = None,
    on_progress: ProgressCallback | None = None,
    lazy: bool = False,
) -> Embedder:
    """Build the embedder the user asked for.

    ``model`` is a folder, a Hugging Face id or ``"offline"``; ``None`` means the default
    (Qwen3-Embedding-0.6B, or the bundled MiniLM when it cannot be had, announced through
    ``on_notice``; without a callback the notice is logged as a warning). With ``server_url``
    the model runs on an OpenAI-compatible server instead and ``server_model`` names it there.
    ``on_progress(done_bytes, total_bytes)`` follows a download; without it the download draws
    a bar on stderr. With ``lazy`` a local model is loaded on its first use, so a run with
    nothing to embed does not pay for it. Raises ``KenningError`` with a one-line message on
    failure.
    """
    if server_url:
        from engine.remote_embedder import RemoteEmbedder
        from engine.serve.consistency import check_consistency

        remote = RemoteEmbedder(
            server_url,
            server_model or model or DEFAULT_MODEL,
            api_key=api_key or os.environ.get(API_KEY_ENV) or None,
            dimensions=dimensions,
        )
        # Servers are known to differ on Qwen3 pooling and padding: compare a few fixed texts
        # with the same model run locally (when it is on disk), and fail fast when it is down.
        check_consistency(remote, on_notice=on_notice or (lambda m: logger.warning("%s", m)))
        return remote

    resolved = resolve_model(model, on_progress=on_progress)
    if resolved.notice:
        if on_notice is not None:
            on_notice(resolved.notice)
        else:
            logger.warning("%s", resolved.notice)

    if lazy:
        from engine.lazy_embedder import LazyLocalEmbedder

        return LazyLocalEmbedder(
            Path(resolved.path),
            model_id=resolved.model_id,
            device=device,
            dimensions=_fallback_dimensions(dimensions, resolved),
        )

    from engine.local_embedder import LocalEmbedder

    return LocalEmbedder(
        Path(resolved.path),
        model_id=resolved.model_id,
        device=device,
        dimensions=_fallback_dimensions(dimensions, resolved),
    )


def _fallback_dimensions(dimensions: int | None, resolved: ResolvedModel) -> int | None:
    # A Matryoshka size was chosen for Qwen3; MiniLM was not trained for truncation, so the
    # fallback keeps its full width rather than a cut that only hurts its results.
    if resolved.fell_back and dimensions is not None:
        logger.info("Ignoring dimensions=%d for the fallback %s", dimensions, OFFLINE_MODEL_ID)
        return None
    return dimensions
