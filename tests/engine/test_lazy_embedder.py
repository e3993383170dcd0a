"""The lazy local embedder answers the indexer's questions from config files, then loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.errors import KenningError
from engine.lazy_embedder import LazyLocalEmbedder
from engine.local_embedder import LocalEmbedder


@pytest.mark.parametrize(
    ("model", "dimensions"),
    [("minilm_path", None), ("tiny_qwen3_dir", None), ("tiny_qwen3_dir", 16)],
)
def test_predicted_answers_match_the_loaded_model(request, model, dimensions):
    folder: Path = request.getfixturevalue(model)
    lazy = LazyLocalEmbedder(folder, model_id="m", device="cpu", dimensions=dimensions)
    predicted = (lazy.model_id, lazy.dim, lazy.max_tokens, lazy.instruction_aware)
    assert not lazy.loaded

    eager = LocalEmbedder(folder, model_id="m", device="cpu", dimensions=dimensions)
    assert predicted == (eager.model_id, eager.dim, eager.max_tokens, eager.instruction_aware)

    texts = ["def parse_config(path): ...", "retry failed uploads"]
    np.testing.assert_allclose(lazy.embed_documents(texts), eager.embed_documents(texts), atol=1e-6)
    assert lazy.loaded and lazy.device == "cpu"
    np.testing.assert_allclose(
        lazy.embed_queries(["upload retries"], task="text"),
        eager.embed_queries(["upload retries"], task="text"),
        atol=1e-6,
    )
    assert lazy.count_tokens(texts) == eager.count_tokens(texts)


def test_a_bad_dimension_fails_before_any_loading(tiny_qwen3_dir):
    with pytest.raises(KenningError, match="from 1 to"):
        LazyLocalEmbedder(tiny_qwen3_dir, model_id="m", dimensions=10_000)


def test_a_folder_that_is_not_a_model_fails_at_once(tmp_path):
    with pytest.raises(KenningError, match="not found"):
        LazyLocalEmbedder(tmp_path / "nothing", model_id="m")
