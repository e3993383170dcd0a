"""Embed text with any sentence-transformers folder on torch + transformers directly.

It reproduces ``SentenceTransformer.encode(..., normalize_embeddings=True)`` (same tokenizer,
same pooling, same prompts) without that library's per-call overhead: inputs are tokenised
once in one batched call, sorted by length and cut into batches bounded by padded tokens.

Qwen3-Embedding specifics: last-token pooling over left-padded batches, EOS appended by the
tokenizer, optional Matryoshka truncation. How queries and documents are marked (Qwen3's
instruction, e5's prefixes, a folder's own prompts) is ``engine.prompt_profiles``'s.

torch and transformers are imported when an embedder is built, never at module import, so
the window and the CLI start at once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import KenningError
from engine.model_config import ModelConfig, read_model_config
from engine.oom_retry import run_halving_on_oom
from engine.prompt_profiles import QUERY_TASKS as QUERY_TASKS  # re-exported for callers
from engine.prompt_profiles import QUERY_TEMPLATE as QUERY_TEMPLATE
from engine.prompt_profiles import PromptProfile, profile_for_folder
from engine.token_batches import pad_batch, plan_batches
from engine.types import QueryTask

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

# Padded tokens per forward pass. On CPU, beyond a few thousand tokens a bigger batch only
# costs memory; on a GPU a large batch keeps the device busy.
CPU_TOKEN_BUDGET = 8192
GPU_TOKEN_BUDGET = 65536
MAX_BATCH_SIZE = 512
# Inputs of at most this many tokens in all run on one CPU thread (see _threads_for).
SMALL_INPUT_TOKENS = 512

# Qwen3-Embedding reads the hidden state of this token, which its current tokenizer appends
# itself; early tokenizer revisions did not, and the reference code appended it by hand.
_QWEN3_EOD = "<|endoftext|>"


class LocalEmbedder:
    """The ``Embedder`` protocol over a local model folder (see ``engine.types.Embedder``).

    Thread-safe: tokenisation is serialised (a fast tokenizer must not be reconfigured from
    two threads at once); forward passes may run concurrently.
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        model_id: str,
        device: str | None = None,
        dimensions: int | None = None,
        token_budget: int | None = None,
        dtype: str | None = None,
    ) -> None:
        self._config: ModelConfig = read_model_config(Path(model_dir))
        self._model_id = model_id
        self._profile: PromptProfile = profile_for_folder(self._config, model_id)
        if self._config.pooled_dim is not None:
            # Fail on a bad dimension before spending seconds on the weights.
            check_dimensions(dimensions, self._config.pooled_dim)
        if token_budget is not None and token_budget < 1:
            raise KenningError(f"Token budget must be a positive number, got {token_budget}")

        import torch

        self._torch = torch
        self._device = _pick_device(device)
        self._dtype = _pick_dtype(torch, self._device, dtype)
        self._tokenizer = _load_tokenizer(self._config)
        self._model = _load_model(self._config, self._device, self._dtype)
        self._tokenizer_lock = threading.Lock()

        hidden = int(self._model.config.hidden_size)
        self._pooled_dim = hidden * len(self._config.pooling)
        check_dimensions(dimensions, self._pooled_dim)
        self._dimensions = dimensions
        self._token_budget = token_budget or (
            CPU_TOKEN_BUDGET if self._device == "cpu" else GPU_TOKEN_BUDGET
        )

        tok = self._tokenizer
        self._padding_side = (
            "left" if "lasttoken" in self._config.pooling else (tok.padding_side or "right")
        )
        self._pad_id = _pad_id(tok)
        self._token_types = "token_type_ids" in getattr(tok, "model_input_names", ())
        self._append_id = self._manual_eod_id()
        self._max_tokens = self._model_limit()
        self._prompt_lengths: dict[str, int] = {}
        self._warned_truncation = False
        logger.info(
            "Loaded %s on %s (%s, dim %d, max %d tokens, pooling %s)",
            model_id,
            self._device,
            str(self._dtype).removeprefix("torch."),
            self.dim,
            self._max_tokens,
            "+".join(self._config.pooling),
        )

    # -- Embedder protocol ---------------------------------------------------------------

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self._dimensions or self._pooled_dim

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    @property
    def instruction_aware(self) -> bool:
        return self._profile.instruction_aware

    @property
    def prompt_profile(self) -> str:
        """The family's way of marking queries and documents (``engine.prompt_profiles``)."""
        return self._profile.name

    @property
    def device(self) -> str:
        return self._device

    @property
    def token_budget(self) -> int:
        """Padded tokens per forward pass; callers slicing work can match its batches."""
        return self._token_budget

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens the model reads for each text as a document, special tokens included.

        Not capped at ``max_tokens``: chunkers use it to check that a chunk fits.
        """
        prompt = self._profile.document_prefix()
        return [len(ids) for ids in self._token_ids([prompt + t for t in texts])]

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        prompt = self._profile.document_prefix()
        return self._embed([prompt + t for t in texts], prompt)

    def embed_queries(self, texts: list[str], task: QueryTask = "code") -> np.ndarray:
        prefix = self.query_prefix(task)
        return self._embed([prefix + t for t in texts], prefix)

    # -- extras --------------------------------------------------------------------------

    def query_prefix(self, task: QueryTask = "code") -> str:
        """What goes in front of a query: the task instruction, or the folder's query prompt."""
        return self._profile.query_prefix(task)

    @property
    def dtype(self) -> str:
        return str(self._dtype).removeprefix("torch.")

    def __repr__(self) -> str:
        return f"LocalEmbedder({self._model_id!r}, device={self._device!r}, dim={self.dim})"

    # -- internals -----------------------------------------------------------------------

    def _embed(self, texts: Sequence[str], prompt: str = "") -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self._fit(self._token_ids(texts), texts)
        prompt_length = self._prompt_length(prompt)
        lengths = [len(seq) for seq in ids]
        with self._threads_for(sum(lengths)):
            for batch in plan_batches(lengths, self._token_budget, max_batch_size=MAX_BATCH_SIZE):
                out[batch] = run_halving_on_oom(
                    lambda rows: self._forward([ids[i] for i in rows], prompt_length),
                    batch,
                    lengths,
                    what="embedding",
                    on_shrink=self._shrink_budget,
                )
        return out

    def _shrink_budget(self, failed_tokens: int) -> None:
        # Later calls plan within what the device managed; the halves of this batch follow.
        self._token_budget = max(1, min(self._token_budget, failed_tokens // 2))

    @contextlib.contextmanager
    def _threads_for(self, tokens: int) -> Iterator[None]:
        """One CPU thread for tiny inputs (a typed query), the usual count otherwise.

        A short forward pass is too small to split: with two OpenMP threads on a busy
        machine it waits for both to be scheduled. Measured (docs/BENCHMARKS.md, section 3):
        one query p95 55 ms with 1 thread vs 833 ms with 2 while another job ran. The model
        has one owner thread (PriorityEmbedder), so the process-wide setting is not raced.
        """
        if self._device != "cpu" or tokens > SMALL_INPUT_TOKENS:
            yield
            return
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def _token_ids(self, texts: Sequence[str], max_length: int | None = None) -> list[list[int]]:
        if not texts:
            return []  # the tokenizer fails on an empty batch
        if self._config.do_lower_case:
            texts = [t.lower() for t in texts]
        truncate = max_length is not None
        if max_length is not None and self._append_id is not None:
            max_length -= 1  # room for the EOD appended below
        with self._tokenizer_lock:
            encoded = self._tokenizer(
                list(texts),
                add_special_tokens=True,
                padding=False,
                truncation=truncate,
                max_length=max_length,
                return_attention_mask=False,
                return_token_type_ids=False,
                verbose=False,  # overlong inputs are reported once, by _fit
            )
        ids: list[list[int]] = encoded["input_ids"]
        if self._append_id is not None:
            ids = [[*seq, self._append_id] for seq in ids]
        return ids

    def _fit(self, ids: list[list[int]], texts: Sequence[str]) -> list[list[int]]:
        """Truncate inputs longer than the model's limit, as a last resort, and say so once."""
        limit = self._max_tokens
        overlong = [i for i, seq in enumerate(ids) if len(seq) > limit]
        if not overlong:
            return ids
        longest = max(len(ids[i]) for i in overlong)
        level = logging.DEBUG if self._warned_truncation else logging.WARNING
        self._warned_truncation = True
        logger.log(
            level,
            "%d input(s) exceed %s's limit of %d tokens (longest %d) and were truncated; "
            "chunking should keep every input within the limit",
            len(overlong),
            self._model_id,
            limit,
            longest,
        )
        # Re-tokenise with the tokenizer's own truncation so closing special tokens survive.
        refit = self._token_ids([texts[i] for i in overlong], max_length=limit)
        ids = list(ids)
        for i, seq in zip(overlong, refit, strict=True):
            ids[i] = seq
        return ids

    def _prompt_length(self, prompt: str) -> int:
        """Prompt tokens to leave out of pooling, for folders that ask for it (INSTRUCTOR)."""
        if not prompt or self._config.include_prompt:
            return 0
        if prompt not in self._prompt_lengths:
            # Like sentence-transformers: the prompt's tokens minus its closing special token.
            self._prompt_lengths[prompt] = max(0, len(self._token_ids([prompt])[0]) - 1)
        return self._prompt_lengths[prompt]

    def _forward(self, sequences: list[list[int]], prompt_length: int) -> np.ndarray:
        torch = self._torch
        input_ids, attention = pad_batch(sequences, pad_id=self._pad_id, side=self._padding_side)
        width = input_ids.shape[1]
        lengths = attention.sum(axis=1)
        # Positions of each row's first and last real token, known from how we padded.
        first = width - lengths if self._padding_side == "left" else np.zeros_like(lengths)
        last = first + lengths - 1
        pool_mask = attention
        if prompt_length:
            # The model still attends to the prompt; only pooling leaves it out.
            pool_mask = attention.copy()
            for row, start in enumerate(first):
                pool_mask[row, start : min(start + prompt_length, last[row])] = 0
            first = np.minimum(first + prompt_length, last)

        device = self._device
        ids_t = torch.from_numpy(input_ids).to(device)
        inputs: dict[str, Any] = {
            "input_ids": ids_t,
            "attention_mask": torch.from_numpy(attention).to(device),
        }
        if self._token_types:
            inputs["token_type_ids"] = torch.zeros_like(ids_t)
        with torch.inference_mode():
            hidden = self._model(**inputs).last_hidden_state
            pooled = _pool(
                torch,
                hidden,
                torch.from_numpy(pool_mask).to(device),
                self._config.pooling,
                torch.from_numpy(first).to(device),
                torch.from_numpy(last).to(device),
            )
            if self._dimensions:
                pooled = pooled[:, : self._dimensions]
            pooled = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
        return pooled.cpu().numpy()

    def _manual_eod_id(self) -> int | None:
        if not (self._config.is_qwen3 and "lasttoken" in self._config.pooling):
            return None
        tok = self._tokenizer
        eod = tok.convert_tokens_to_ids(_QWEN3_EOD)
        if not isinstance(eod, int) or eod == tok.unk_token_id:
            return None
        probe = tok("a", add_special_tokens=True)["input_ids"]
        if probe and probe[-1] == eod:
            return None
        logger.info("This Qwen3 tokenizer does not append %s; appending it by hand", _QWEN3_EOD)
        return eod

    def _model_limit(self) -> int:
        """The longest input in tokens: the folder's max_seq_length, capped by positions."""
        positions = getattr(self._model.config, "max_position_embeddings", None)
        tokenizer_limit = getattr(self._tokenizer, "model_max_length", None)
        return token_limit(self._config.max_seq_length, positions, tokenizer_limit)


def token_limit(
    max_seq_length: int | None, positions: int | None, tokenizer_limit: int | None
) -> int:
    """The longest input a model reads: its max_seq_length (else the tokenizer's limit, else
    its position count, else 512), capped by its position count."""
    positions = positions or 0
    limit = max_seq_length
    if limit is None:
        tokenizer_limit = tokenizer_limit or 0
        # Tokenizers without a limit report a huge sentinel (int(1e30)).
        limit = tokenizer_limit if 0 < tokenizer_limit < 1_000_000 else None
    if limit is None:
        limit = positions or 512
    elif positions > 0:
        limit = min(limit, positions)
    return int(limit)


def _pool(
    torch: Any,
    hidden: torch.Tensor,
    mask: torch.Tensor,
    modes: Sequence[str],
    first: torch.Tensor,
    last: torch.Tensor,
) -> torch.Tensor:
    """Pool token states into float32 sentence vectors, concatenating several modes."""
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    outputs = []
    for mode in modes:
        if mode == "lasttoken":
            outputs.append(hidden[rows, last].float())
        elif mode == "cls":
            outputs.append(hidden[rows, first].float())
        elif mode in ("mean", "mean_sqrt_len_tokens"):
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * weights).sum(dim=1, dtype=torch.float32)
            count = mask.sum(dim=1, keepdim=True).clamp(min=1).to(torch.float32)
            outputs.append(summed / (count if mode == "mean" else count.sqrt()))
        elif mode == "max":
            masked = hidden.masked_fill(mask.unsqueeze(-1) == 0, float("-inf"))
            outputs.append(masked.max(dim=1).values.float())
        else:  # read_model_config rejects anything else
            raise KenningError(f"Unsupported pooling mode {mode!r}")
    return outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=-1)


def check_dimensions(dimensions: int | None, full: int) -> None:
    if dimensions is None:
        return
    if (
        isinstance(dimensions, bool)
        or not isinstance(dimensions, int)
        or not 1 <= dimensions <= full
    ):
        raise KenningError(
            f"Embedding dimension must be a whole number from 1 to {full} for this model, "
            f"got {dimensions!r}"
        )


def _pick_device(requested: str | None) -> str:
    import torch

    if requested:
        kind = requested.split(":", 1)[0]
        if kind == "cuda" and not torch.cuda.is_available():
            raise KenningError(f"Device {requested!r} was asked for, but CUDA is not available")
        if kind == "mps" and not _mps_available(torch):
            raise KenningError(f"Device {requested!r} was asked for, but MPS is not available")
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if _mps_available(torch):
        return "mps"
    return "cpu"


def _mps_available(torch: Any) -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _pick_dtype(torch: Any, device: str, requested: str | None = None) -> torch.dtype:
    if requested:
        # A benchmark compares float16 with bfloat16; the app never sets this.
        chosen = getattr(torch, requested, None)
        if not isinstance(chosen, torch.dtype):
            raise KenningError(f"Unknown dtype {requested!r}; use float32, float16 or bfloat16")
        return chosen
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.startswith("mps"):
        return torch.float16
    # Half precision on CPU is slower than float32 on most processors, and less exact.
    return torch.float32


def _load_tokenizer(config: ModelConfig) -> Any:
    return _load_tokenizer_from(config.transformer_dir)


def _load_tokenizer_from(folder: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(folder))
    except (OSError, ValueError) as err:
        raise KenningError(f"Cannot load the tokenizer from {folder}: {_one_line(err)}") from err


def _load_model(config: ModelConfig, device: str, dtype: Any) -> Any:
    import transformers
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    dtype_key = "dtype" if _version_at_least(transformers.__version__, (4, 56)) else "torch_dtype"
    kwargs: dict[str, Any] = {dtype_key: dtype}
    path = str(config.transformer_dir)
    # transformers draws a weight-loading bar on stderr; it is noise in the CLI and the app.
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        try:
            model = AutoModel.from_pretrained(path, attn_implementation="sdpa", **kwargs)
        except (ValueError, ImportError) as err:
            # Architectures without a scaled-dot-product-attention path.
            logger.debug("sdpa attention unavailable for %s (%s); using the default", path, err)
            model = AutoModel.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as err:
        raise KenningError(f"Cannot load the model from {path}: {_one_line(err)}") from err
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    return model.to(device).eval()


def _pad_id(tokenizer: Any) -> int:
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if isinstance(candidate, int):
            return candidate
    return 0  # padded positions are masked out, so any id will do


def _version_at_least(version: str, wanted: tuple[int, int]) -> bool:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts) >= wanted


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text[:300] or type(err).__name__
