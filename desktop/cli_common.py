"""Options every ``kenning`` subcommand shares, and how they turn into paths and models.

Feature modules add their own subcommands with a ``register_cli(subparsers)`` function that
calls :func:`add_common_options` on its parser and sets ``func=handler`` where
``handler(args) -> int`` returns the exit status. No Qt is imported here.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ENV_DATA_DIR = "KENNING_DATA_DIR"


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
        help="API key for the server (default: $KENNING_API_KEY)",
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
