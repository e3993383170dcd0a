"""Builders for tiny, randomly initialised models saved as sentence-transformers folders.

They stand in for the real Qwen3-Embedding in tests: same architecture, same folder layout
(last-token pooling, left padding, EOS appended by the tokenizer's post-processor, a query
prompt), but a few hundred kilobytes and built offline in a second.
"""

from __future__ import annotations

import builtins
import json
import keyword
from pathlib import Path

# Qwen3-Embedding appends this token to every input; its last hidden state is the embedding.
QWEN3_EOS = "<|endoftext|>"
QWEN3_IM_END = "<|im_end|>"
QWEN3_QUERY_PROMPT = (
    "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
)

_CORPUS = """
The indexer walks every folder, reads each file, and splits code into functions and classes.
Documents are split by heading and paragraph so that a search finds the right section.
Search a query against the vector index and the lexical index, then fuse both rankings.
Retry failed uploads with exponential backoff; parse the configuration file; open the editor
at the matching line; the watcher debounces events before it reindexes changed paths.
def parse_config(path): return json.loads(Path(path).read_text())
class ArgumentParser: def parse_args(self, argv=None): ...
for item in items: if item is None: continue; total += item.size
"""


def _training_words() -> list[str]:
    words = _CORPUS.split()
    words += keyword.kwlist
    words += [name for name in dir(builtins) if not name.startswith("_")]
    return words


def build_tiny_tokenizer(max_length: int = 512):
    """A byte-level BPE tokenizer whose post-processor appends ``<|endoftext|>``, as Qwen3's."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=[QWEN3_EOS, QWEN3_IM_END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_training_words() * 3, trainer=trainer)
    eos_id = tok.token_to_id(QWEN3_EOS)
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A:0 {QWEN3_EOS}:0",
        pair=f"$A:0 {QWEN3_EOS}:0 $B:1 {QWEN3_EOS}:1",
        special_tokens=[(QWEN3_EOS, eos_id)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=QWEN3_IM_END,
        pad_token=QWEN3_EOS,
        padding_side="left",
        model_max_length=max_length,
    )


def build_tiny_qwen3(
    folder: Path, *, max_seq_length: int = 128, seed: int = 0, **config_overrides: object
) -> Path:
    """Save a tiny random ``Qwen3Model`` as a full sentence-transformers folder; return it.

    ``config_overrides`` change the ``Qwen3Config`` (bench/gpu_throughput.py builds the real
    Qwen3-Embedding-0.6B shape this way).
    """
    import torch
    from transformers import Qwen3Config, Qwen3Model

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tiny_tokenizer()
    shape: dict[str, object] = dict(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=512,
        # No pad_token_id: it would zero that token's embedding row, and the padding token is
        # also the appended EOS whose state is pooled (Qwen3-Embedding's config sets none).
        eos_token_id=tokenizer.eos_token_id,
        architectures=["Qwen3Model"],
    )
    # Passed to the constructor: derived fields (layer_types) must follow the overrides.
    config = Qwen3Config(**{**shape, **config_overrides})
    torch.manual_seed(seed)
    model = Qwen3Model(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)

    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": config.hidden_size,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": False,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": True,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": max_seq_length, "do_lower_case": False},
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": QWEN3_QUERY_PROMPT, "document": ""},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    return folder


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


# Qwen3-Reranker's chat-template markers: single tokens in its tokenizer, so here too.
RERANKER_MARKERS = ["<|im_start|>", "<think>", "</think>"]


def build_tiny_qwen3_reranker(folder: Path, *, seed: int = 0, **config_overrides: object) -> Path:
    """Save a tiny random ``Qwen3ForCausalLM`` + tokenizer laid out like Qwen3-Reranker."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=500,
        special_tokens=[QWEN3_EOS, QWEN3_IM_END, *RERANKER_MARKERS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    # "yes" and "no" must each be one token, as in Qwen's vocabulary.
    words = [*_training_words(), "Judge", "Document", "Query", "Instruct"] + ["yes", "no"] * 200
    tok.train_from_iterator(words * 5, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=QWEN3_IM_END,
        pad_token=QWEN3_EOS,
        padding_side="left",
        model_max_length=32768,
    )
    shape: dict[str, object] = dict(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        architectures=["Qwen3ForCausalLM"],
    )
    config = Qwen3Config(**{**shape, **config_overrides})
    torch.manual_seed(seed)
    Qwen3ForCausalLM(config).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
