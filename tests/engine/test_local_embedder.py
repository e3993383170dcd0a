"""LocalEmbedder against sentence-transformers, and the Qwen3 mechanics on a tiny random Qwen3."""

from __future__ import annotations

import logging
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from engine.errors import KenningError
from engine.local_embedder import QUERY_TASKS, QUERY_TEMPLATE, LocalEmbedder

AGREEMENT = 0.999

# Varied lengths in one call: empty, a word, code, prose, CJK, and one past MiniLM's 256 tokens.
TEXTS = [
    "",
    "retry",
    "def parse_config(path):\n    return json.loads(Path(path).read_text())",
    "The watcher debounces file events before the indexer re-reads changed paths. " * 6,
    "日本語のテキストも検索できる",
    "class Store:\n    def open(self): ...\n    def close(self): ...\n" * 4,
    "upload " * 300,
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum(a * b, axis=1)


@pytest.fixture(scope="module")
def tiny(tiny_qwen3_dir: Path) -> LocalEmbedder:
    return LocalEmbedder(tiny_qwen3_dir, model_id="tiny-qwen3", device="cpu")


@pytest.fixture(scope="module")
def tiny_st(tiny_qwen3_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_qwen3_dir), device="cpu")


def test_importing_the_runtime_does_not_import_torch():
    code = (
        "import sys, engine.local_embedder, engine.embedders, engine.model_resolution;"
        "heavy = {'torch', 'transformers', 'sentence_transformers'} & set(sys.modules);"
        "sys.exit(f'imported {sorted(heavy)}' if heavy else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# -- agreement with sentence-transformers -----------------------------------------------


@pytest.mark.model
def test_minilm_agrees_with_sentence_transformers(minilm_path: Path, caplog):
    from sentence_transformers import SentenceTransformer

    ours = LocalEmbedder(minilm_path, model_id="minilm", device="cpu")
    reference = SentenceTransformer(str(minilm_path), device="cpu")
    with caplog.at_level(logging.WARNING, logger="engine.local_embedder"):
        vectors = ours.embed_documents(TEXTS)
    expected = reference.encode(TEXTS, normalize_embeddings=True)

    cosines = _cosines(vectors, expected)
    assert cosines.min() >= AGREEMENT, cosines
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The last text is past the model's limit: truncated like sentence-transformers does,
    # and said once.
    assert any("truncated" in r.getMessage() for r in caplog.records)


@pytest.mark.model
def test_minilm_properties_and_queries(minilm_path: Path):
    ours = LocalEmbedder(minilm_path, model_id="minilm", device="cpu")
    assert (ours.model_id, ours.dim, ours.max_tokens, ours.device) == ("minilm", 384, 256, "cpu")
    assert ours.instruction_aware is False
    assert ours.query_prefix("code") == ""
    # Not instruction-aware: a query is embedded exactly like a document.
    np.testing.assert_allclose(
        ours.embed_queries(TEXTS[:3], task="text"), ours.embed_documents(TEXTS[:3]), atol=1e-6
    )
    # [CLS] + tokens + [SEP]; not capped, so chunkers can see what does not fit.
    counts = ours.count_tokens(["search", "search " * 300])
    assert counts[0] == 3
    assert counts[1] == 302 > ours.max_tokens


def test_tiny_qwen3_agrees_with_sentence_transformers(tiny: LocalEmbedder, tiny_st):
    texts = TEXTS[:-1]  # within the tiny model's 128 tokens
    docs = tiny.embed_documents(texts)
    assert _cosines(docs, tiny_st.encode(texts, normalize_embeddings=True)).min() >= AGREEMENT
    for task in ("code", "text"):
        prefix = QUERY_TEMPLATE.format(task=QUERY_TASKS[task])
        queries = tiny.embed_queries(texts, task=task)
        expected = tiny_st.encode(texts, prompt=prefix, normalize_embeddings=True)
        assert _cosines(queries, expected).min() >= AGREEMENT


# -- Qwen3 mechanics on the tiny model ----------------------------------------------------


def test_qwen3_properties(tiny: LocalEmbedder):
    assert tiny.instruction_aware is True
    assert (tiny.dim, tiny.max_tokens, tiny.device, tiny.dtype) == (64, 128, "cpu", "float32")


def test_left_padded_batch_equals_one_by_one(tiny: LocalEmbedder):
    texts = ["a", "retry failed uploads with backoff", "x" * 60, "def f(): pass"]
    batch = tiny.embed_documents(texts)
    single = np.stack([tiny.embed_documents([t])[0] for t in texts])
    np.testing.assert_allclose(batch, single, atol=2e-5)


def test_pooling_reads_the_appended_eos_state(tiny: LocalEmbedder, tiny_qwen3_dir: Path):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_qwen3_dir)
    model = AutoModel.from_pretrained(tiny_qwen3_dir).eval()
    text = "open the editor at the matching line"
    ids = tokenizer(text)["input_ids"]
    assert ids[-1] == tokenizer.convert_tokens_to_ids("<|endoftext|>")
    assert tiny.count_tokens([text]) == [len(ids)]
    with torch.inference_mode():
        hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0, -1]
    expected = (hidden / hidden.norm()).numpy()
    # In a batch with a longer text, so this one is left-padded.
    ours = tiny.embed_documents([text, text + " and then scroll to it " * 3])[0]
    np.testing.assert_allclose(ours, expected, atol=2e-5)


def test_instruction_goes_on_queries_only(tiny: LocalEmbedder):
    query = "where are uploads retried"
    prefix = tiny.query_prefix("code")
    assert prefix == f"Instruct: {QUERY_TASKS['code']}\nQuery:"
    as_query = tiny.embed_queries([query], task="code")
    np.testing.assert_allclose(as_query, tiny.embed_documents([prefix + query]), atol=1e-6)
    assert not np.allclose(as_query, tiny.embed_documents([query]), atol=1e-3)


def test_code_and_text_tasks_differ(tiny: LocalEmbedder):
    assert QUERY_TASKS["code"] != QUERY_TASKS["text"]
    code = tiny.embed_queries(["parse the config"], task="code")
    text = tiny.embed_queries(["parse the config"], task="text")
    assert not np.allclose(code, text, atol=1e-3)


def test_unknown_task_is_rejected(tiny: LocalEmbedder):
    with pytest.raises(KenningError, match="task"):
        tiny.embed_queries(["x"], task="images")  # type: ignore[arg-type]


def test_matryoshka_truncates_then_normalises(tiny_qwen3_dir: Path, tiny: LocalEmbedder):
    small = LocalEmbedder(tiny_qwen3_dir, model_id="tiny-qwen3", device="cpu", dimensions=16)
    assert small.dim == 16
    texts = ["parse the config", "retry failed uploads"]
    vectors = small.embed_documents(texts)
    assert vectors.shape == (2, 16)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    full = tiny.embed_documents(texts)[:, :16]
    np.testing.assert_allclose(
        vectors, full / np.linalg.norm(full, axis=1, keepdims=True), atol=1e-5
    )
    assert small.embed_queries(texts).shape == (2, 16)


@pytest.mark.parametrize("bad", [0, -3, 65, 1024, True, 2.5])
def test_bad_dimension_is_rejected(tiny_qwen3_dir: Path, bad):
    with pytest.raises(KenningError, match="from 1 to 64") as err:
        LocalEmbedder(tiny_qwen3_dir, model_id="tiny-qwen3", device="cpu", dimensions=bad)
    assert "\n" not in str(err.value)


def test_overlong_input_is_truncated_with_one_warning(tiny_qwen3_dir: Path, tiny_st, caplog):
    fresh = LocalEmbedder(tiny_qwen3_dir, model_id="tiny-qwen3", device="cpu")
    long_text = "retry the upload later " * 80
    assert fresh.count_tokens([long_text])[0] > fresh.max_tokens
    with caplog.at_level(logging.DEBUG, logger="engine.local_embedder"):
        first = fresh.embed_documents([long_text, "short"])
        fresh.embed_documents([long_text])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "truncated" in warnings[0].getMessage()
    assert sum("truncated" in r.getMessage() for r in caplog.records) == 2
    # Truncated the way sentence-transformers truncates: the EOS survives, vectors agree.
    expected = tiny_st.encode([long_text], normalize_embeddings=True)
    assert _cosines(first[:1], expected).min() >= AGREEMENT


def test_empty_list(tiny: LocalEmbedder):
    assert tiny.embed_documents([]).shape == (0, 64)
    assert tiny.embed_queries([]).shape == (0, 64)
    assert tiny.count_tokens([]) == []


def test_results_come_back_in_input_order_across_batches(tiny_qwen3_dir: Path, tiny):
    # A budget this small forces many batches; order must still follow the input.
    texts = [f"chunk {i} " + "word " * (i % 7) for i in range(25)]
    small_batches = LocalEmbedder(
        tiny_qwen3_dir, model_id="tiny-qwen3", device="cpu", token_budget=24
    )
    np.testing.assert_allclose(
        small_batches.embed_documents(texts), tiny.embed_documents(texts), atol=2e-5
    )


def test_concurrent_callers_get_their_own_results(tiny: LocalEmbedder):
    texts = [f"query number {i}" for i in range(8)]
    expected = tiny.embed_documents(texts)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda t: tiny.embed_documents([t])[0], texts * 3))
    np.testing.assert_allclose(np.stack(results), np.concatenate([expected] * 3), atol=2e-5)


def test_bad_token_budget_and_missing_folder(tmp_path: Path, tiny_qwen3_dir: Path):
    with pytest.raises(KenningError, match="budget"):
        LocalEmbedder(tiny_qwen3_dir, model_id="t", device="cpu", token_budget=0)
    with pytest.raises(KenningError, match="not found"):
        LocalEmbedder(tmp_path / "nope", model_id="t")


def test_unavailable_device_is_a_clear_error(tiny_qwen3_dir: Path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(KenningError, match="CUDA is not available"):
        LocalEmbedder(tiny_qwen3_dir, model_id="t", device="cuda")


def test_auto_device_and_dtype_follow_the_hardware(tiny_qwen3_dir: Path):
    # Runs everywhere (it used to skip exactly where CUDA exists): it checks what is chosen.
    import torch

    auto = LocalEmbedder(tiny_qwen3_dir, model_id="t")
    if torch.cuda.is_available():
        device = "cuda"
        dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device, dtype = "mps", "float16"
    else:
        device, dtype = "cpu", "float32"
    assert (auto.device, auto.dtype) == (device, dtype)
    weights = next(auto._model.parameters())
    assert (weights.device.type, str(weights.dtype)) == (device, f"torch.{dtype}")
    vectors = auto.embed_documents(["retry failed uploads", "x"])
    assert vectors.dtype == np.float32 and np.isfinite(vectors).all()


def test_out_of_memory_halves_the_batch_and_keeps_the_vectors(
    tiny_qwen3_dir: Path, tiny: LocalEmbedder, caplog
):
    # A real torch.cuda.OutOfMemoryError, raised by the model for batches of more than 2 rows.
    import torch

    oom = LocalEmbedder(tiny_qwen3_dir, model_id="tiny-qwen3", device="cpu")
    real_forward = oom._model.forward
    ran: list[int] = []

    def forward(*args, **kwargs):
        rows = kwargs["input_ids"].shape[0]
        if rows > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 4.00 GiB")
        ran.append(rows)
        return real_forward(*args, **kwargs)

    oom._model.forward = forward
    texts = [f"chunk {i} " + "word " * i for i in range(7)]
    budget = oom.token_budget
    with caplog.at_level(logging.WARNING, logger="engine.oom_retry"):
        vectors = oom.embed_documents(texts)
    np.testing.assert_allclose(vectors, tiny.embed_documents(texts), atol=2e-5)
    assert sum(ran) == len(texts) and max(ran) <= 2
    assert oom.token_budget < budget  # later calls plan smaller batches
    assert "ran out of memory on 7 embedding inputs" in caplog.text


def test_out_of_memory_on_a_single_input_says_what_happened(tiny_qwen3_dir: Path):
    import torch

    oom = LocalEmbedder(tiny_qwen3_dir, model_id="tiny-qwen3", device="cpu")

    def forward(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory.")

    oom._model.forward = forward
    with pytest.raises(KenningError, match="ran out of memory on a single embedding input"):
        oom.embed_documents(["one", "two"])
