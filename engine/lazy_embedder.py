"""A local embedder that loads its model only when there is something to embed.

``kenning index`` over an unchanged tree has nothing to embed, yet loading torch and the
weights costs seconds (14 s for the bundled model on a busy 2-core machine). What the indexer
asks before embedding (model id, dimension, input limit, whether queries get instructions)
is read from the model folder's configuration files; the first call that needs the model
(token counting, embedding, the device) loads it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from engine.model_config import ModelConfig, read_model_config
from engine.prompt_profiles import profile_for_folder

if TYPE_CHECKING:
    import numpy as np

    from engine.local_embedder import LocalEmbedder
    from engine.types import QueryTask

logger = logging.getLogger(__name__)


class LazyLocalEmbedder:
    """The ``Embedder`` protocol over a local model folder, loading the model on first use."""

    def __init__(
        self,
        model_dir: Path,
        *,
        model_id: str,
        device: str | None = None,
        dimensions: int | None = None,
    ) -> None:
        self._model_dir = Path(model_dir)
        self._model_id = model_id
        self._device = device
        self._dimensions = dimensions
        self._config: ModelConfig = read_model_config(self._model_dir)
        self._profile = profile_for_folder(self._config, model_id)
        self._lock = threading.Lock()
        self._model: LocalEmbedder | None = None
        # Set while the model is not loaded: what max_tokens answers until then.
        self._predicted_max_tokens: int | None = None
        if self._config.pooled_dim is None:
            self._load()  # nothing on disk says the width: only the model can
        else:
            from engine.local_embedder import check_dimensions

            check_dimensions(dimensions, self._config.pooled_dim)
            self._predicted_max_tokens = self._read_max_tokens()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    # -- answered without the model -----------------------------------------------------

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        if self._model is not None:
            return self._model.dim
        assert self._config.pooled_dim is not None
        return self._dimensions or self._config.pooled_dim

    @property
    def max_tokens(self) -> int:
        if self._model is not None:
            return self._model.max_tokens
        assert self._predicted_max_tokens is not None
        return self._predicted_max_tokens

    @property
    def instruction_aware(self) -> bool:
        return self._profile.instruction_aware

    @property
    def prompt_profile(self) -> str:
        return self._profile.name

    # -- these need the model -----------------------------------------------------------

    @property
    def device(self) -> str:
        return self._load().device

    @property
    def token_budget(self) -> int:
        return self._load().token_budget

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self._load().count_tokens(texts)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._load().embed_documents(texts)

    def embed_queries(self, texts: list[str], task: QueryTask = "code") -> np.ndarray:
        return self._load().embed_queries(texts, task)

    def _load(self) -> LocalEmbedder:
        with self._lock:
            if self._model is None:
                from engine.local_embedder import LocalEmbedder

                model = LocalEmbedder(
                    self._model_dir,
                    model_id=self._model_id,
                    device=self._device,
                    dimensions=self._dimensions,
                )
                predicted = self._predicted_max_tokens
                if predicted is not None and model.max_tokens != predicted:
                    # Chunks were already sized for the predicted limit; the model truncates
                    # anything longer, so this costs a little recall, never a failure.
                    logger.warning(
                        "%s reads %d tokens, not the %d its configuration files suggested",
                        self._model_id,
                        model.max_tokens,
                        predicted,
                    )
                self._model = model
            return self._model

    def _read_max_tokens(self) -> int:
        from engine.local_embedder import token_limit
        from engine.model_config import read_json_dict

        tokenizer_config = read_json_dict(self._config.transformer_dir / "tokenizer_config.json")
        tokenizer_limit = tokenizer_config.get("model_max_length")
        if not isinstance(tokenizer_limit, int | float):
            tokenizer_limit = None
        return token_limit(
            self._config.max_seq_length,
            self._config.max_position_embeddings,
            int(tokenizer_limit) if tokenizer_limit is not None else None,
        )
