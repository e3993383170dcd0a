"""The one factory every front end calls to get an ``Embedder``.

Local models are resolved (folder, Hugging Face cache, download, offline fallback) and run by
``LocalEmbedder``; the bundled multilingual-e5-small runs in ``E5Embedder`` (no torch); with a
server URL the vectors come from an OpenAI-compatible endpoint.
Nothing is cached here: the caller owns the embedder it gets and keeps it as long as needed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from engine.e5_embedder import E5_MODEL_ID, is_e5_name
from engine.model_resolution import (
    DEFAULT_MODEL,
    OFFLINE_MODEL_ID,
    ProgressCallback,
    ResolvedModel,
    resolve_model,
)
from engine.types import Embedder

__all__ = ["DEFAULT_MODEL", "E5_MODEL_ID", "OFFLINE_DEFAULT", "OFFLINE_MODEL_ID", "load_embedder"]

logger = logging.getLogger(__name__)

API_KEY_ENV = "KENNING_API_KEY"
# What `--model offline` (and the app's "offline" choice) means: the better of the two bundled
# models over all four eval sets (docs/EVAL.md), multilingual-e5-small; MiniLM is `minilm`.
OFFLINE_DEFAULT = E5_MODEL_ID


def load_embedder(
    model: str | None = None,
    *,
    device: str | None = None,
    dimensions: int | None = None,
    server_url: str | None = None,
    server_model: str | None = None,
    server_prompts: str | None = None,
    api_key: str | None = None,
    on_notice: Callable[[str], None] | None = None,
    on_progress: ProgressCallback | None = None,
    lazy: bool = False,
    devices: tuple[str, ...] | None = None,
    hf_endpoint: str | None = None,
) -> Embedder:
    """Build the embedder the user asked for.

    ``model`` is a folder, a Hugging Face id, ``"e5-small"`` (the bundled multilingual model),
    ``"minilm"``, ``"qwen3"`` or ``"offline"`` (the offline default, ``OFFLINE_DEFAULT``).
    ``None`` means the default for this machine's hardware (``devices``, probed when None):
    Qwen3-Embedding-0.6B with a GPU, e5-small on a CPU. A model that cannot be had falls back
    (Qwen3 -> e5-small -> MiniLM), announced through ``on_notice``; without a callback the
    notice is logged as a warning. With ``server_url`` the model runs on an OpenAI-compatible
    server instead, ``server_model`` names it there and ``server_prompts`` overrides the
    prompt profile detected from its name (``engine.prompt_profiles``).
    ``on_progress(done_bytes, total_bytes)`` follows a download; without it the download draws
    a bar on stderr; ``hf_endpoint`` is a Hugging Face mirror to download from (default:
    ``$HF_ENDPOINT``). With ``lazy`` a local model is loaded on its first use, so a run with
    nothing to embed does not pay for it. Raises ``KenningError`` with a one-line message on
    failure.
    """
    notice = on_notice or (lambda m: logger.warning("%s", m))
    if server_url:
        from engine.remote_embedder import RemoteEmbedder
        from engine.serve.consistency import check_consistency

        remote = RemoteEmbedder(
            server_url,
            server_model or model or DEFAULT_MODEL,
            api_key=api_key or os.environ.get(API_KEY_ENV) or None,
            dimensions=dimensions,
            prompts=server_prompts,
        )
        # Servers are known to differ on Qwen3 pooling and padding, and on who adds the
        # prompts: compare fixed texts with the same model run here (when it is on disk) and
        # with each other, and fail fast when the server is down.
        check_consistency(remote, on_notice=notice)
        return remote

    name = (model or "").strip()
    hardware_default = not name
    if hardware_default:
        from engine.hardware_default import default_model_for, detect_devices

        name = default_model_for(devices or ((device,) if device else detect_devices()))
        logger.info("Default model for this machine: %s", name)
    elif name.lower() == "offline":
        name = OFFLINE_DEFAULT
    if is_e5_name(name):
        return _load_e5(device, dimensions, notice) or _load_local(
            OFFLINE_MODEL_ID, device, None, notice, on_progress, lazy, hf_endpoint
        )

    resolved = resolve_model(name, on_progress=on_progress, endpoint=hf_endpoint)
    if resolved.fell_back:
        # The default was not to be had: the best offline model that runs here stands in.
        from engine.e5_embedder import e5_unavailable_reason

        if e5_unavailable_reason() is None:
            return _load_e5(device, None, notice, because=resolved.reason)  # type: ignore[return-value]
        notice(resolved.notice or f"Using the bundled offline model {OFFLINE_MODEL_ID}")
    return _build_local(resolved, device, dimensions, lazy)


def _load_e5(
    device: str | None,
    dimensions: int | None,
    notice: Callable[[str], None],
    *,
    because: str | None = None,
) -> Embedder | None:
    """The bundled e5-small, or None (after a one-line notice) when its engine cannot run."""
    from engine.e5_embedder import E5_DIM, E5Embedder, e5_unavailable_reason

    reason = e5_unavailable_reason()
    if reason is not None:
        notice(
            f"Using the English-only {OFFLINE_MODEL_ID}: {E5_MODEL_ID} cannot run here ({reason})"
        )
        return None
    if because is not None:
        notice(
            f"Using the bundled offline model {E5_MODEL_ID}: {DEFAULT_MODEL} is {because}. "
            "For the best results run `kenning model download` while online, "
            "or pass --model /path/to/Qwen3-Embedding-0.6B"
        )
    if dimensions is not None and dimensions != E5_DIM:
        # e5 was not trained for Matryoshka cuts: the dimension setting is Qwen3's.
        logger.info("Ignoring dimensions=%d for %s (always %d)", dimensions, E5_MODEL_ID, E5_DIM)
    if device is not None and not device.startswith("cpu"):
        logger.info("%s runs on the CPU; ignoring device %s", E5_MODEL_ID, device)
    return E5Embedder()


def _load_local(
    name: str,
    device: str | None,
    dimensions: int | None,
    notice: Callable[[str], None],
    on_progress: ProgressCallback | None,
    lazy: bool,
    hf_endpoint: str | None,
) -> Embedder:
    resolved = resolve_model(name, on_progress=on_progress, endpoint=hf_endpoint)
    if resolved.notice:
        notice(resolved.notice)
    return _build_local(resolved, device, dimensions, lazy)


def _build_local(
    resolved: ResolvedModel, device: str | None, dimensions: int | None, lazy: bool
) -> Embedder:
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
