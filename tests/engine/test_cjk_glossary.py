"""Cross-language expansion of the lexical query: Chinese terms searched by their English
words too (engine/cjk_glossary.py, engine/lexical_tokens.py, engine/query_coverage.py)."""

from __future__ import annotations

import pytest

from engine import cjk_glossary
from engine.cjk_glossary import Segment, parse_glossary, search_words, segment
from engine.lexical_tokens import query_clauses, query_expression, query_terms
from engine.query_coverage import ChunkTerms, coverage, query_words
from engine.search import Searcher
from indexer.pipeline import Pipeline
from tests.cross_language import build_tree, rank_of
from tests.engine.test_fusion import write_zip_corpus
from tests.fake_embedder import HashingEmbedder


def test_the_bundled_glossary_loads_a_few_hundred_terms() -> None:
    terms = cjk_glossary.glossary()
    assert len(terms) > 300
    assert terms["删除"] == ("delete", "remove", "rm*", "unlink")
    assert terms["的"] == ()  # a filler word


def test_parse_glossary_reads_words_prefixes_fillers_and_skips_comments() -> None:
    text = "# comment\n解析\tpars*\n配置\tConfig settings config\n的\n\n"
    assert parse_glossary(text) == {"解析": ("pars*",), "配置": ("config", "settings"), "的": ()}


def test_segmentation_takes_the_longest_term_and_keeps_unknown_pieces() -> None:
    assert segment("解析配置文件") == [
        Segment("解析", True, ("pars*",)),
        Segment("配置", True, ("config", "configuration", "settings", "conf", "options")),
        Segment("文件", True, ("file", "files")),
    ]
    # 反序列化 is one term, not 反 + 序列化; 春眠 is not in the glossary.
    assert [(s.text, s.known) for s in segment("春眠反序列化的")] == [
        ("春眠", False),
        ("反序列化", True),
        ("的", True),
    ]
    assert segment("春眠不觉晓") == [Segment("春眠不觉晓", False)]


def test_english_words_of_four_letters_or_more_are_prefixes_unless_covered() -> None:
    # Code glues words (copytree, configparser): long words match as prefixes, short ones
    # only when the glossary marks them (rm*), and a word another prefix covers is dropped.
    assert search_words(("pars*", "parse", "file", "files", "rm*", "dir", "log")) == [
        ("pars", True),
        ("file", True),
        ("rm", True),
        ("dir", False),
        ("log", False),
    ]


def test_a_chinese_query_searches_each_term_in_chinese_or_english() -> None:
    assert query_clauses("解析配置文件") == [
        '(("解析") OR "pars"*)',
        '(("配置") OR "settings"* OR "conf"* OR "options"*)',
        '(("文件") OR "file"*)',
    ]
    # Fillers (把, 成) are dropped; English words of the query are kept as they were.
    assert query_clauses("把对象序列化成 JSON 字符串") == [
        '(("对象") OR "object"* OR "obj")',
        '(("序列" AND "列化") OR "serializ"* OR "dump"* OR "marshal"*)',
        '"json"',
        '(("字符" AND "符串") OR "string"* OR "str")',
    ]
    # A run with no known term is searched as before: all of its bigrams.
    assert query_clauses("春眠不觉晓") == ['("春眠" AND "眠不" AND "不觉" AND "觉晓")']


# The clauses these queries gave before the glossary existed (git show 8f8aab2).
_BEFORE = {
    "parse config file": ['"parse"', '"config"*'],
    "how to parseConfig file_loader": [
        '("parseconfig" OR ("parse" AND "config"))',
        '("fileloader"* OR ("file" AND "loader"*))',
    ],
    "HTTPServer retry": ['("httpserver" OR ("http" AND "server"))', '"retry"*'],
    "春眠不觉晓 log": ['("春眠" AND "眠不" AND "不觉" AND "觉晓")', '"log"*'],
}


@pytest.mark.parametrize("query", list(_BEFORE))
def test_queries_without_glossary_terms_are_unchanged(query: str) -> None:
    assert query_clauses(query) == _BEFORE[query]


def test_english_queries_never_depend_on_the_glossary(monkeypatch: pytest.MonkeyPatch) -> None:
    queries = ["parse config file", "delete temp dir", "HTTPServer retry", "log rotation"]
    with_glossary = [(query_expression(q), query_words(q)) for q in queries]
    monkeypatch.setattr(cjk_glossary, "glossary", lambda: {})
    assert [(query_expression(q), query_words(q)) for q in queries] == with_glossary


def _coverage(query: str, text: str) -> float:
    return coverage(query_words(query), ChunkTerms(None, "a.py", text))


def test_coverage_counts_a_chinese_term_held_when_any_english_word_is() -> None:
    assert _coverage("解析配置文件", "def parse_config_file(path): ...") == 1.0
    assert _coverage("解析配置文件", "def parser(settings): ...") == pytest.approx(2 / 3)
    assert _coverage("解析配置文件", "class ConfigParser: read(filenames)") == 1.0
    assert _coverage("解析配置文件", "def draw(canvas): ...") == 0.0
    # Chinese text still holds the terms by their characters.
    assert _coverage("解析配置文件", "这里解析配置文件") == 1.0


def test_a_chinese_query_finds_english_code_lexically(tmp_path) -> None:
    root = build_tree(tmp_path / "tree")
    data_dir = tmp_path / "data"
    pipeline = Pipeline(data_dir, HashingEmbedder())
    try:
        assert pipeline.index([root]).files_failed == 0
    finally:
        pipeline.close()
    searcher = Searcher(data_dir)
    try:
        results = searcher.search("解析配置文件", mode="lexical", limit=5)
        covered = searcher.with_coverage("解析配置文件", results)
    finally:
        searcher.close()
    assert rank_of(results, root, "app/config.py", "parse_config_file") == 1
    assert covered[0].coverage == 1.0


def test_snippet_terms_of_a_chinese_query_include_its_english_words() -> None:
    assert query_terms("解析配置文件") == [
        "解析配置文件",
        "pars",
        "settings",
        "conf",
        "options",
        "file",
    ]
    assert query_terms("春眠 parse") == ["春眠", "parse"]


def test_a_chinese_query_no_longer_matches_only_noise_lexically(tmp_path) -> None:
    # The corpus where "zip" alone is noise (tests/engine/test_fusion.py): with the glossary,
    # 判断/文件/压缩 hold the real answer's words (check, file, zip*).
    root, data_dir = tmp_path / "code", tmp_path / "data"
    write_zip_corpus(root)
    pipeline = Pipeline(data_dir, HashingEmbedder())
    try:
        pipeline.index([root])
    finally:
        pipeline.close()
    searcher = Searcher(data_dir)
    try:
        query = "判断文件是不是 zip 压缩包"
        lexical = searcher.with_coverage(query, searcher.lexical(query, limit=10))
    finally:
        searcher.close()
    assert lexical[0].path.endswith("zipcheck.py")
    assert lexical[0].coverage is not None and lexical[0].coverage > 0.5
