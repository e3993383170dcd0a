"""Query coverage: which words of a query a chunk holds, by the lexical index's own rules."""

from __future__ import annotations

import pytest

from engine.query_coverage import ChunkTerms, coverage, query_words


def _coverage(query: str, text: str, *, symbol: str | None = None, path: str = "a.py") -> float:
    return coverage(query_words(query), ChunkTerms(symbol, path, text))


def test_a_chunk_holding_every_word_covers_the_query() -> None:
    assert _coverage("parse config file", "def parse(config):\n    return file") == 1.0


def test_stopwords_do_not_count_and_missing_words_lower_the_share() -> None:
    # "how", "to", "the" are stopwords; of parse/config/values only "parse" is here.
    assert _coverage("how to parse the config values", "def parse(text): ...") == pytest.approx(
        1 / 3
    )


def test_identifiers_match_whole_or_by_all_their_parts() -> None:
    assert _coverage("is_zipfile", "def iszipfile(): ...") == 1.0
    assert _coverage("is_zipfile", "is it a zipfile") == 1.0  # both parts
    assert _coverage("is_zipfile", "is this a zip file") == 0.0  # "zipfile" is not there
    assert _coverage("readConfigFile", "read the config") == 0.0
    assert _coverage("readConfigFile", "read the config file") == 1.0


def test_symbol_and_path_count_like_the_body() -> None:
    assert _coverage("rotate handler", "pass", symbol="Handler.rotate") == 1.0
    assert _coverage("logging handlers", "pass", path="logging/handlers.py") == 1.0


def test_the_last_word_may_be_a_prefix_as_in_the_fts_query() -> None:
    assert _coverage("parse conf", "def parse(configuration): ...") == 1.0
    assert _coverage("conf parse", "def parse(configuration): ...") == 0.5


def test_a_cjk_run_weighs_by_its_length_and_needs_all_its_bigrams() -> None:
    # No glossary term in these runs (those are expanded: tests/engine/test_cjk_glossary.py).
    query = "春眠不觉晓 JSON 床前明"
    english = "def dumps(obj): return json encoded str"
    # 5 + 3 CJK characters weigh 2.5 + 1.5 words; "json" is 1 of 5.
    assert _coverage(query, english) == pytest.approx(1 / 5)
    assert _coverage(query, "春眠不觉晓一个 JSON 床前明") == 1.0
    assert _coverage(query, "春眠 JSON") == pytest.approx(1 / 5)  # 春眠 alone is not the run


def test_a_query_without_searchable_words_is_fully_covered() -> None:
    assert coverage([], ChunkTerms(None, "a.py", "anything")) == 1.0
