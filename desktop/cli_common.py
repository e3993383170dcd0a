"""Options every ``kenning`` subcommand shares, and how they turn into paths and models.

Feature modules add their own subcommands with a ``register_cli(subparsers)`` function that
calls :func:`add_common_options` on its parser and sets ``func=handler`` where
``handler(args) -> int`` returns the exit status. No Qt is imported here.

The environment variables the front end reads are named here, once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from engine.env_names import ENV_API_KEY, ENV_DATA_DIR, ENV_SERVE_TOKEN
from engine.types import Embedder

__all__ = [
    "ENV_API_KEY",
    "ENV_DATA_DIR",
    "ENV_SERVE_TOKEN",
    "add_common_options",
    "data_dir_from",
    "embedder_from",
    "recorded_model",
    "recorded_model_id",
]


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"index location (default: ${ENV_DATA_DIR} or the platform's user data dir)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="embedding model: a Hugging Face id, a local folder, e5-small (bundled, "
        "multilingual, CPU), minilm (bundled, English), qwen3, or offline (= e5-small) "
        "(default: the index's model, else Qwen3-Embedding-0.6B with a GPU, e5-small without)",
    )
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 or mps (default: auto)")
    parser.add_argument(
        "--dimensions", type=int, default=None, help="Matryoshka dimension for Qwen3 models"
    )
    parser.add_argument(
        "--server-url",
        default=None,
        help="embed through an OpenAI-compatible server, e.g. http://127.0.0.1:30000/v1",
    )
    parser.add_argument("--server-model", default=None, help="model name on that server")
    parser.add_argument(
        "--server-prompts",
        default=None,
        choices=("auto", "qwen3", "e5", "input-type", "none"),
        help="how queries and documents are marked for the server's model: qwen3 "
        "(instruction), e5 (query:/passage:), input-type (the server marks them from "
        "input_type), none (default: auto, from the model name)",
    )
    parser.add_argument(
        "--hf-endpoint",
        default=None,
        metavar="URL",
        help="Hugging Face mirror for model downloads, e.g. https://hf-mirror.com "
        "(default: $HF_ENDPOINT, else huggingface.co)",
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help=f"API key for the server (default: ${ENV_API_KEY})",
    )


def data_dir_from(args: argparse.Namespace) -> Path:
    """The data directory: --data-dir, then $KENNING_DATA_DIR, then platformdirs."""
    if getattr(args, "data_dir", None):
        return Path(args.data_dir).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("kenning", appauthor=False))


def notice(message: str) -> None:
    """The CLI's own voice on stderr (stdout stays free for machine-readable output)."""
    print(f"kenning: {message}", file=sys.stderr, flush=True)


def recorded_model(data_dir: Path) -> tuple[str, int] | None:
    """The (model id, dim) an existing index was built with, if any."""
    from engine.store import DB_NAME, Store

    if not (data_dir / DB_NAME).exists():
        return None
    store = Store.open(data_dir, readonly=True)
    try:
        return store.model_info()
    finally:
        store.close()


def recorded_model_id(data_dir: Path) -> str | None:
    """The model id of the index at ``data_dir``, so a command embeds with the same model."""
    recorded = recorded_model(data_dir)
    return recorded[0] if recorded else None


def embedder_from(
    args: argparse.Namespace,
    *,
    default_model: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    lazy: bool = False,
) -> Embedder:
    """Build the embedder the options ask for; ``default_model`` when --model is absent.

    ``lazy``: a local model is loaded only when something needs embedding.
    """
    from engine.embedders import load_embedder
    from engine.prompt_profiles import split_recorded_model

    if args.server_url:
        # An index built with a chosen prompt profile records it beside the served name.
        served, recorded_prompts = split_recorded_model(
            args.server_model or args.model or default_model or ""
        )
        return load_embedder(
            server_url=args.server_url,
            server_model=served or None,
            server_prompts=getattr(args, "server_prompts", None) or recorded_prompts,
            api_key=args.api_key,  # None: the engine reads $KENNING_API_KEY
            dimensions=args.dimensions,
            on_notice=notice,
        )
    return load_embedder(
        args.model or default_model,
        device=args.device,
        dimensions=args.dimensions,
        on_notice=notice,
        on_progress=on_progress,
        lazy=lazy,
        hf_endpoint=getattr(args, "hf_endpoint", None),
    )
