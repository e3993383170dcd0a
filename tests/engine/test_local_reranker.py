"""LocalReranker's Qwen3-Reranker mechanics on a tiny random Qwen3ForCausalLM."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from engine.errors import KenningError
from engine.local_reranker import PREFIX, SUFFIX, LocalReranker, format_pair
from engine.reranker import RERANK_INSTRUCTIONS, RerankCancelled

DOCS = [
    "def parse_config(path):\n    return json.loads(Path(path).read_text())",
    "The watcher debounces file events before the indexer re-reads changed paths. " * 5,
    "no",
    "class Store:\n    def open(self): ...\n" * 3,
    "retry failed uploads with exponential backoff",
]
QUERY = "read the configuration file"


@pytest.fixture(scope="module")
def reranker(tiny_reranker_dir: Path) -> LocalReranker:
    return LocalReranker(tiny_reranker_dir, model_id="tiny-reranker", device="cpu")


def _reference_scores(folder: Path, query: str, docs: list[str], instruction: str) -> list[float]:
    """The model card's reference code, written out independently of LocalReranker."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(str(folder)).eval()
    prefix = tokenizer.encode(PREFIX, add_special_tokens=False)
    suffix = tokenizer.encode(SUFFIX, add_special_tokens=False)
    pairs = [f"<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {d}" for d in docs]
    inputs = tokenizer(pairs, padding=False, add_special_tokens=False)
    inputs["input_ids"] = [prefix + ids + suffix for ids in inputs["input_ids"]]
    inputs["attention_mask"] = [[1] * len(ids) for ids in inputs["input_ids"]]
    batch = tokenizer.pad(inputs, padding=True, return_tensors="pt")
    yes = tokenizer.convert_tokens_to_ids("yes")
    no = tokenizer.convert_tokens_to_ids("no")
    with torch.no_grad():
        logits = model(**batch).logits[:, -1, :]
    pair = torch.stack([logits[:, no], logits[:, yes]], dim=1)
    return torch.nn.functional.log_softmax(pair, dim=1)[:, 1].exp().tolist()


def test_prompt_is_the_official_template(reranker: LocalReranker):
    ids = reranker.pair_ids(QUERY, ["a document"], "An instruction")[0]
    text = reranker._tokenizer.decode(ids)
    assert text == (
        "<|im_start|>system\nJudge whether the Document meets the requirements based on the "
        'Query and the Instruct provided. Note that the answer can only be "yes" or "no".'
        "<|im_end|>\n<|im_start|>user\n<Instruct>: An instruction\n<Query>: "
        "read the configuration file\n<Document>: a document<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n\n</think>\n\n"
    )
    assert format_pair("I", "q", "d") == "<Instruct>: I\n<Query>: q\n<Document>: d"


def test_yes_and_no_are_the_tokenizers_own_single_tokens(reranker: LocalReranker):
    tok = reranker._tokenizer
    yes, no = reranker.yes_no_ids
    assert (yes, no) == (tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no"))
    assert yes != no and yes != tok.unk_token_id


def test_scores_match_the_reference_implementation(reranker, tiny_reranker_dir):
    # Different lengths in one batch: right padding would read a pad token's logits.
    got = reranker.rerank(QUERY, DOCS, task="text")
    want = _reference_scores(tiny_reranker_dir, QUERY, DOCS, RERANK_INSTRUCTIONS["text"])
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert all(0.0 < s < 1.0 for s in got)
    # The instruction is part of the prompt: the code task scores differently.
    assert reranker.rerank(QUERY, DOCS, task="code") != got


def test_a_document_scores_the_same_alone_and_in_a_padded_batch(reranker: LocalReranker):
    batched = reranker.rerank(QUERY, DOCS)
    alone = [reranker.rerank(QUERY, [d])[0] for d in DOCS]
    np.testing.assert_allclose(batched, alone, atol=1e-5)


def test_small_token_budget_splits_batches_and_keeps_input_order(tiny_reranker_dir, reranker):
    small = LocalReranker(tiny_reranker_dir, model_id="t", device="cpu", token_budget=150)
    lengths = [len(ids) for ids in small.pair_ids(QUERY, DOCS, RERANK_INSTRUCTIONS["text"])]
    assert max(lengths) * 2 > 150  # so the longest pairs cannot share a batch
    np.testing.assert_allclose(small.rerank(QUERY, DOCS), reranker.rerank(QUERY, DOCS), atol=1e-5)


def test_long_documents_lose_their_tail_not_the_template(tiny_reranker_dir: Path):
    short = LocalReranker(tiny_reranker_dir, model_id="t", device="cpu", max_tokens=120)
    head = "def upload(data): retry the upload " * 40
    ids = short.pair_ids(QUERY, [head, head + " tail words"], RERANK_INSTRUCTIONS["text"])
    assert [len(seq) for seq in ids] == [120, 120]
    assert ids[0] == ids[1]  # the differing tails were both cut away
    assert ids[0][: len(short._prefix_ids)] == short._prefix_ids
    assert ids[0][-len(short._suffix_ids) :] == short._suffix_ids
    a, b = short.rerank(QUERY, [head, head + " tail words"])
    assert a == pytest.approx(b, abs=1e-6)


def test_cancelled_between_batches(tiny_reranker_dir: Path):
    small = LocalReranker(tiny_reranker_dir, model_id="t", device="cpu", token_budget=150)
    calls: list[int] = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 1  # a newer query arrives after the first batch

    with pytest.raises(RerankCancelled):
        small.rerank(QUERY, DOCS, cancelled=cancelled)
    assert len(calls) == 2


def test_out_of_memory_halves_the_batch_and_keeps_the_scores(
    tiny_reranker_dir: Path, reranker: LocalReranker, caplog
):
    import torch

    oom = LocalReranker(tiny_reranker_dir, model_id="t", device="cpu")
    real_forward = oom._model.forward
    ran: list[int] = []

    def forward(*args, **kwargs):
        rows = kwargs["input_ids"].shape[0]
        if rows > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        ran.append(rows)
        return real_forward(*args, **kwargs)

    oom._model.forward = forward
    budget = oom.token_budget
    with caplog.at_level(logging.WARNING, logger="engine.oom_retry"):
        scores = oom.rerank(QUERY, DOCS)
    np.testing.assert_allclose(scores, reranker.rerank(QUERY, DOCS), atol=1e-5)
    assert sum(ran) == len(DOCS) and max(ran) <= 2
    assert oom.token_budget < budget
    assert "ran out of memory on 5 reranking inputs" in caplog.text


def test_out_of_memory_on_one_input_is_a_clear_error(tiny_reranker_dir: Path):
    import torch

    oom = LocalReranker(tiny_reranker_dir, model_id="t", device="cpu")

    def forward(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory.")

    oom._model.forward = forward
    with pytest.raises(KenningError, match="ran out of memory on a single reranking input"):
        oom.rerank(QUERY, DOCS[:2])


def test_an_embedding_model_is_refused(tiny_qwen3_dir: Path, tmp_path: Path):
    with pytest.raises(KenningError, match="not a Qwen3-Reranker-style model"):
        LocalReranker(tiny_qwen3_dir, model_id="t", device="cpu")
    with pytest.raises(KenningError, match=r"no config\.json"):
        LocalReranker(tmp_path, model_id="t", device="cpu")


def test_small_model_is_not_trusted_with_code(reranker: LocalReranker):
    assert reranker.parameters < 1_000_000
    assert not reranker.strong_on_code
    assert reranker.device == "cpu" and reranker.dtype == "float32"
    assert reranker.rerank(QUERY, []) == []


def test_importing_the_reranker_modules_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys, engine.reranker, engine.rerankers, engine.local_reranker, "
        "engine.remote_reranker, engine.search, desktop.cli_rerank;"
        "heavy = {'torch', 'transformers', 'sentence_transformers'} & set(sys.modules);"
        "sys.exit(f'imported {sorted(heavy)}' if heavy else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
