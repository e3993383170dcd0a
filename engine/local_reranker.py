"""Qwen3-Reranker run locally through transformers.

Qwen3-Reranker is a causal language model asked one question per pair, in the chat template
it was trained with::

    <|im_start|>system
    Judge whether the Document meets the requirements based on the Query and the Instruct
    provided. Note that the answer can only be "yes" or "no".<|im_end|>
    <|im_start|>user
    <Instruct>: {instruction}
    <Query>: {query}
    <Document>: {document}<|im_end|>
    <|im_start|>assistant
    <think>

    </think>

The score is the probability of "yes" against "no" at the last position (a softmax over
those two logits). As in the model card's reference code, the prefix, the pair and the
suffix are tokenised apart and joined, the pair is cut from its end when too long (so a long
document loses its tail, never the template), and batches are padded on the left so the
last position is every row's own last token. Only the last position's logits are computed
(``logits_to_keep=1``): the vocabulary has 151,669 entries.

torch and transformers are imported when a reranker is built, never at module import.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import KenningError
from engine.local_embedder import (
    CPU_TOKEN_BUDGET,
    GPU_TOKEN_BUDGET,
    _load_tokenizer_from,
    _one_line,
    _pad_id,
    _pick_device,
    _pick_dtype,
    _version_at_least,
)
from engine.oom_retry import run_halving_on_oom
from engine.reranker import (
    RERANK_INSTRUCTIONS,
    STRONG_ON_CODE_PARAMS,
    CancelCheck,
    RerankCancelled,
)
from engine.token_batches import pad_batch, plan_batches
from engine.types import QueryTask

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "Judge whether the Document meets the requirements based on the Query and the Instruct "
    'provided. Note that the answer can only be "yes" or "no".'
)
PREFIX = f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n"
SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
PAIR_TEMPLATE = "<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {document}"
# The model card's reference code reads at most this many tokens per pair.
DEFAULT_MAX_TOKENS = 8192
MAX_BATCH_SIZE = 64


def format_pair(instruction: str, query: str, document: str) -> str:
    """The user turn of the template (between ``PREFIX`` and ``SUFFIX``)."""
    return PAIR_TEMPLATE.format(instruction=instruction, query=query, document=document)


class LocalReranker:
    """The :class:`~engine.reranker.Reranker` protocol over a Qwen3-Reranker folder.

    Thread-safe like ``LocalEmbedder``: tokenisation is serialised, forward passes are not.
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        model_id: str,
        device: str | None = None,
        token_budget: int | None = None,
        max_tokens: int | None = None,
        dtype: str | None = None,
    ) -> None:
        model_dir = Path(model_dir)
        _check_causal_lm(model_dir)
        if token_budget is not None and token_budget < 1:
            raise KenningError(f"Token budget must be a positive number, got {token_budget}")
        import torch

        self._torch = torch
        self._model_id = model_id
        self._device = _pick_device(device)
        self._dtype = _pick_dtype(torch, self._device, dtype)
        self._tokenizer = _load_tokenizer_from(model_dir)
        self._model = _load_causal_lm(model_dir, self._device, self._dtype)
        self._lock = threading.Lock()
        self._token_budget = token_budget or (
            CPU_TOKEN_BUDGET if self._device == "cpu" else GPU_TOKEN_BUDGET
        )
        self._yes_id = _single_token_id(self._tokenizer, "yes", model_dir)
        self._no_id = _single_token_id(self._tokenizer, "no", model_dir)
        self._pad_id = _pad_id(self._tokenizer)
        self._prefix_ids = self._encode([PREFIX])[0]
        self._suffix_ids = self._encode([SUFFIX])[0]
        positions = getattr(self._model.config, "max_position_embeddings", None) or 0
        limit = max_tokens or DEFAULT_MAX_TOKENS
        self._max_tokens = min(limit, positions) if positions else limit
        if self._max_tokens <= len(self._prefix_ids) + len(self._suffix_ids):
            raise KenningError(
                f"A reranker limit of {self._max_tokens} tokens leaves no room for the pair"
            )
        self._parameters = sum(p.numel() for p in self._model.parameters())
        log.info(
            "Loaded reranker %s on %s (%s, %.2f B parameters)",
            model_id,
            self._device,
            str(self._dtype).removeprefix("torch."),
            self._parameters / 1e9,
        )

    # -- Reranker protocol ---------------------------------------------------------------

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def device(self) -> str:
        return self._device

    @property
    def strong_on_code(self) -> bool:
        return self._parameters >= STRONG_ON_CODE_PARAMS

    def rerank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        task: QueryTask = "text",
        cancelled: CancelCheck | None = None,
    ) -> list[float]:
        if not documents:
            return []
        instruction = RERANK_INSTRUCTIONS.get(task)
        if instruction is None:
            raise KenningError(f"Unknown rerank task {task!r}")
        ids = self.pair_ids(query, documents, instruction)
        lengths = [len(seq) for seq in ids]
        scores = np.empty(len(ids), dtype=np.float32)
        for batch in plan_batches(lengths, self._token_budget, max_batch_size=MAX_BATCH_SIZE):
            if cancelled is not None and cancelled():
                raise RerankCancelled()
            scores[batch] = run_halving_on_oom(
                lambda rows: self._yes_probability([ids[i] for i in rows]),
                batch,
                lengths,
                what="reranking",
                on_shrink=self._shrink_budget,
            )
        return [float(s) for s in scores]

    # -- extras --------------------------------------------------------------------------

    @property
    def dtype(self) -> str:
        return str(self._dtype).removeprefix("torch.")

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    @property
    def token_budget(self) -> int:
        return self._token_budget

    @property
    def yes_no_ids(self) -> tuple[int, int]:
        return self._yes_id, self._no_id

    @property
    def parameters(self) -> int:
        return self._parameters

    def pair_ids(self, query: str, documents: Sequence[str], instruction: str) -> list[list[int]]:
        """Token ids of each full prompt: prefix + pair (cut to fit) + suffix."""
        room = self._max_tokens - len(self._prefix_ids) - len(self._suffix_ids)
        pairs = self._encode([format_pair(instruction, query, d) for d in documents])
        cut = sum(1 for p in pairs if len(p) > room)
        if cut:
            log.debug("%d reranker input(s) cut to %d tokens", cut, self._max_tokens)
        return [self._prefix_ids + p[:room] + self._suffix_ids for p in pairs]

    def __repr__(self) -> str:
        return f"LocalReranker({self._model_id!r}, device={self._device!r})"

    # -- internals -----------------------------------------------------------------------

    def _encode(self, texts: list[str]) -> list[list[int]]:
        # No special tokens: Qwen's tokenizer adds none, and the template carries its own.
        with self._lock:
            encoded = self._tokenizer(
                texts,
                add_special_tokens=False,
                padding=False,
                truncation=False,
                return_attention_mask=False,
                verbose=False,
            )
        return [list(seq) for seq in encoded["input_ids"]]

    def _shrink_budget(self, failed_tokens: int) -> None:
        self._token_budget = max(1, min(self._token_budget, failed_tokens // 2))

    def _yes_probability(self, sequences: list[list[int]]) -> np.ndarray:
        torch = self._torch
        input_ids, attention = pad_batch(sequences, pad_id=self._pad_id, side="left")
        with torch.inference_mode():
            out = self._model(
                input_ids=torch.from_numpy(input_ids).to(self._device),
                attention_mask=torch.from_numpy(attention).to(self._device),
                logits_to_keep=1,
            )
            last = out.logits[:, -1, :]
            pair = torch.stack([last[:, self._no_id], last[:, self._yes_id]], dim=1).float()
            yes = torch.nn.functional.log_softmax(pair, dim=1)[:, 1].exp()
        return yes.cpu().numpy()


def _check_causal_lm(model_dir: Path) -> None:
    config_path = model_dir / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KenningError(f"Reranker not found: {model_dir} has no config.json") from None
    except (OSError, ValueError) as err:
        raise KenningError(f"Cannot read {config_path}: {_one_line(err)}") from err
    architectures = config.get("architectures") or []
    if not any(str(a).endswith("ForCausalLM") for a in architectures):
        raise KenningError(
            f"{model_dir} is not a Qwen3-Reranker-style model (architectures "
            f"{architectures or 'unknown'}; a ...ForCausalLM answering yes/no is needed); "
            "serve cross-encoders with --rerank-url instead"
        )


def _single_token_id(tokenizer: Any, word: str, model_dir: Path) -> int:
    ids = tokenizer.encode(word, add_special_tokens=False)
    if len(ids) != 1:
        raise KenningError(
            f"The tokenizer in {model_dir} does not read {word!r} as one token; "
            "this is not a Qwen3-Reranker tokenizer"
        )
    return int(ids[0])


def _load_causal_lm(model_dir: Path, device: str, dtype: Any) -> Any:
    import transformers
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    dtype_key = "dtype" if _version_at_least(transformers.__version__, (4, 56)) else "torch_dtype"
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model: Any = AutoModelForCausalLM.from_pretrained(
            str(model_dir), attn_implementation="sdpa", **{dtype_key: dtype}
        )
    except (OSError, ValueError, ImportError) as err:
        raise KenningError(f"Cannot load the reranker from {model_dir}: {_one_line(err)}") from err
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    return model.to(device).eval()
