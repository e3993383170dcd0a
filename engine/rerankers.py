"""The one factory every front end calls to get a ``Reranker``.

Local rerankers are resolved like embedders (a folder, the Hugging Face cache, or a download
with progress; ``kenning model download Qwen/Qwen3-Reranker-0.6B`` fetches one ahead) and
run by ``LocalReranker``; with a URL the scores come from a ``/rerank`` server. Unlike the
embedding model, the reranker is not recorded in the index: any of them works with any
index, and it can be switched or turned off between two queries.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from engine.errors import KenningError
from engine.model_resolution import ProgressCallback, resolve_model
from engine.reranker import Reranker

log = logging.getLogger(__name__)

DEFAULT_RERANKER = "Qwen/Qwen3-Reranker-0.6B"
API_KEY_ENV = "KENNING_API_KEY"
# Measured with the 0.6B architecture (random weights, fp32) on this project's 2-core
# machine: 8 candidates of 302 tokens cost 62.5 CPU-seconds, so 30 cost ~230 (docs/
# BENCHMARKS.md, "Reranker on CPU"). Quoted in the notice below.
CPU_NOTICE = (
    "reranking is off on the CPU by default: 30 candidates of ~300 tokens cost about "
    "{cpu_s} CPU-seconds with Qwen3-Reranker-0.6B (about {two_core_s} s on 2 cores; "
    "docs/BENCHMARKS.md); use a GPU, a rerank server, or force it with {force}"
)
CPU_SECONDS_FOR_30 = 230


def load_reranker(
    model: str | None = None,
    *,
    url: str | None = None,
    device: str | None = None,
    api_key: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> Reranker:
    """Build the reranker asked for: ``model`` (folder or Hugging Face id, default
    Qwen3-Reranker-0.6B) run here, or served at ``url`` under the name ``model``.

    Raises ``KenningError`` with a one-line message when it cannot be had (never falls back
    to another model: a reranker is an extra, not something to substitute silently).
    """
    name = (model or "").strip() or DEFAULT_RERANKER
    if url:
        from engine.remote_reranker import RemoteReranker

        return RemoteReranker(url, name, api_key=api_key or os.environ.get(API_KEY_ENV) or None)
    resolved = resolve_model(name, on_progress=on_progress)
    if resolved.fell_back:  # only the default embedder falls back; a reranker never does
        raise KenningError(f"Reranker {name} is not available: {resolved.notice}")
    from engine.local_reranker import LocalReranker

    return LocalReranker(Path(resolved.path), model_id=resolved.model_id, device=device)


def local_device(device: str | None) -> str:
    """The device a local reranker would run on (``device`` or the best available)."""
    from engine.local_embedder import _pick_device

    return _pick_device(device)


def cpu_notice(force: str = "--rerank-kinds text") -> str:
    """Why reranking is off on this CPU, and ``force``: how to turn it on anyway."""
    return CPU_NOTICE.format(
        cpu_s=CPU_SECONDS_FOR_30, two_core_s=CPU_SECONDS_FOR_30 // 2, force=force
    )
