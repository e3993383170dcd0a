"""Read how a sentence-transformers folder turns token states into one vector.

Only JSON files are read here (no torch), so a folder can be checked before the weights load.
A folder without ``modules.json`` is treated as a plain Hugging Face model: Qwen3 models get
last-token pooling (how Qwen3-Embedding is trained), everything else mean pooling.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from engine.errors import KenningError

logger = logging.getLogger(__name__)

PoolingMode = Literal["cls", "mean", "max", "lasttoken", "mean_sqrt_len_tokens"]
SUPPORTED_POOLING: tuple[PoolingMode, ...] = (
    "cls",
    "mean",
    "max",
    "lasttoken",
    "mean_sqrt_len_tokens",
)

# The boolean keys older sentence-transformers versions write into 1_Pooling/config.json,
# in the order they concatenate multiple modes.
_LEGACY_POOLING_KEYS: dict[str, str] = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}

# Module types that change no vector we compute (Dropout is a no-op at inference).
_IGNORED_MODULES = frozenset({"Dropout"})


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """What the runtime needs to reproduce ``SentenceTransformer.encode`` for one folder."""

    folder: Path
    transformer_dir: Path  # where config.json, the weights and the tokenizer live
    model_type: str | None  # config.json "model_type", e.g. "qwen3", "bert"
    hidden_size: int | None
    max_position_embeddings: int | None
    pooling: tuple[PoolingMode, ...]
    include_prompt: bool = True
    normalize: bool = True
    max_seq_length: int | None = None
    do_lower_case: bool = False
    prompts: Mapping[str, str] = field(default_factory=dict)
    padding_side: str | None = None  # from tokenizer_config.json, when it says

    @property
    def is_qwen3(self) -> bool:
        return (self.model_type or "").startswith("qwen3")

    @property
    def query_prompt(self) -> str:
        return self.prompts.get("query", "")

    @property
    def instruction_aware(self) -> bool:
        """Queries get a task instruction (Qwen3, or a folder whose query prompt has one)."""
        return self.is_qwen3 or "Instruct:" in self.query_prompt

    @property
    def pooled_dim(self) -> int | None:
        """The width of a vector before any Matryoshka cut, when config.json says."""
        return self.hidden_size * len(self.pooling) if self.hidden_size is not None else None

    @property
    def document_prompt(self) -> str:
        # The names sentence-transformers' encode_document tries, in its order.
        for name in ("document", "passage", "corpus"):
            if name in self.prompts:
                return self.prompts[name]
        return ""


def read_model_config(folder: Path) -> ModelConfig:
    """Read ``folder``'s sentence-transformers (or plain Hugging Face) configuration.

    Raises ``KenningError`` for a folder that is not a model, or one whose pipeline holds a
    module the runtime cannot reproduce (e.g. a Dense projection).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise KenningError(f"Model folder not found: {folder}")
    modules = _read_json(folder / "modules.json")
    if modules is None:
        return _plain_hf_config(folder)
    if not isinstance(modules, list):
        raise KenningError(f"Unreadable modules.json in model folder {folder}")

    transformer_dir: Path | None = None
    pooling_dir: Path | None = None
    normalize = False
    for entry in sorted(modules, key=lambda m: int(m.get("idx", 0))):
        kind = str(entry.get("type", "")).rsplit(".", 1)[-1]
        path = folder / str(entry.get("path", ""))
        if kind == "Transformer" and transformer_dir is None:
            transformer_dir = path
        elif kind == "Pooling":
            pooling_dir = path
        elif kind == "Normalize":
            normalize = True
        elif kind not in _IGNORED_MODULES:
            raise KenningError(
                f"Model folder {folder} uses a {kind} module, which Kenning cannot run; "
                "choose a model whose pipeline is Transformer, Pooling and Normalize"
            )
    if transformer_dir is None:
        raise KenningError(f"Model folder {folder} has no Transformer module in modules.json")

    hf = _hf_config(transformer_dir)
    model_type = hf.get("model_type")
    if pooling_dir is not None:
        pooling, include_prompt = _read_pooling(pooling_dir)
    else:
        pooling, include_prompt = (_default_pooling(model_type), True)

    st_config = read_json_dict(transformer_dir / "sentence_bert_config.json")
    if not st_config and transformer_dir != folder:
        st_config = read_json_dict(folder / "sentence_bert_config.json")
    prompts = read_json_dict(folder / "config_sentence_transformers.json").get("prompts") or {}
    if not isinstance(prompts, dict):
        raise KenningError(f"Unreadable prompts in {folder / 'config_sentence_transformers.json'}")
    return ModelConfig(
        folder=folder,
        transformer_dir=transformer_dir,
        model_type=model_type,
        hidden_size=_hidden_size(hf),
        max_position_embeddings=_positive_int(hf.get("max_position_embeddings")),
        pooling=pooling,
        include_prompt=include_prompt,
        normalize=normalize,
        max_seq_length=_positive_int(st_config.get("max_seq_length")),
        do_lower_case=bool(st_config.get("do_lower_case", False)),
        prompts={str(k): str(v) for k, v in prompts.items()},
        padding_side=_padding_side(transformer_dir),
    )


def _plain_hf_config(folder: Path) -> ModelConfig:
    hf = _hf_config(folder)
    model_type = hf.get("model_type")
    pooling = _default_pooling(model_type)
    return ModelConfig(
        folder=folder,
        transformer_dir=folder,
        model_type=model_type,
        hidden_size=_hidden_size(hf),
        max_position_embeddings=_positive_int(hf.get("max_position_embeddings")),
        pooling=pooling,
        # Qwen3-Embedding is trained on normalised vectors; the Embedder contract normalises
        # every output anyway, so this only records what the folder implies.
        normalize=True,
        padding_side=_padding_side(folder),
    )


def _default_pooling(model_type: str | None) -> tuple[PoolingMode, ...]:
    return ("lasttoken",) if (model_type or "").startswith("qwen3") else ("mean",)


def _read_pooling(pooling_dir: Path) -> tuple[tuple[PoolingMode, ...], bool]:
    data = _read_json(pooling_dir / "config.json")
    if not isinstance(data, dict):
        raise KenningError(f"Missing or unreadable pooling config: {pooling_dir / 'config.json'}")
    if "pooling_mode" in data:  # sentence-transformers >= 5 writes one key
        raw = data["pooling_mode"]
        modes = [raw] if isinstance(raw, str) else list(raw)
    else:
        modes = [mode for key, mode in _LEGACY_POOLING_KEYS.items() if data.get(key)]
        modes = modes or ["mean"]
    for mode in modes:
        if mode not in SUPPORTED_POOLING:
            raise KenningError(
                f"Pooling mode {mode!r} in {pooling_dir} is not supported; "
                f"supported: {', '.join(SUPPORTED_POOLING)}"
            )
    # Every mode was checked against SUPPORTED_POOLING above.
    return tuple(cast(list[PoolingMode], modes)), bool(data.get("include_prompt", True))


def read_json_dict(path: Path) -> dict:
    data = _read_json(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KenningError(f"Unreadable model file {path}: expected a JSON object")
    return data


def _hf_config(transformer_dir: Path) -> dict:
    hf = _read_json(transformer_dir / "config.json")
    if not isinstance(hf, dict):
        raise KenningError(
            f"{transformer_dir} is not a model folder (no readable config.json); "
            "pass a sentence-transformers or Hugging Face model folder"
        )
    return hf


def _hidden_size(hf: dict) -> int | None:
    for key in ("hidden_size", "d_model", "dim", "n_embd"):
        value = _positive_int(hf.get(key))
        if value:
            return value
    return None


def _padding_side(transformer_dir: Path) -> str | None:
    side = read_json_dict(transformer_dir / "tokenizer_config.json").get("padding_side")
    return side if side in ("left", "right") else None


def _positive_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _read_json(path: Path) -> object | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise KenningError(f"Cannot read {path}: {err}") from err
