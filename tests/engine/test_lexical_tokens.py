from engine.lexical_tokens import (
    MAX_QUERY_CLAUSES,
    MAX_QUERY_TERMS,
    document_tokens,
    query_clauses,
    query_expression,
    query_terms,
)


def test_identifiers_are_indexed_whole_and_by_parts():
    tokens = document_tokens("def load_config(path): return loadConfig(HTTPServerError)").split()
    for expected in ["loadconfig", "load", "config", "httpservererror", "http", "server", "error"]:
        assert expected in tokens


def test_cjk_runs_become_characters_and_bigrams():
    tokens = document_tokens("解析配置文件").split()
    assert {"解", "件", "解析", "配置", "文件"} <= set(tokens)
    assert "解析配置文件" not in tokens


def test_query_expression_matches_identifier_whole_or_by_parts():
    expr = query_expression("load_config", prefix_last=False)
    assert expr == '("loadconfig" OR ("load" AND "config"))'


def test_query_expression_drops_stopwords_and_prefixes_the_last_word():
    expr = query_expression("where do we retry failed upl")
    assert expr == '"retry" OR "failed" OR "upl"*'


def test_query_expression_keeps_stopwords_when_nothing_else_is_left():
    assert query_expression("the", prefix_last=False) == '"the"'


def test_query_expression_of_punctuation_is_none():
    assert query_expression("?!") is None


def test_query_terms_for_highlighting():
    assert query_terms("parse loadConfig") == ["parse", "loadconfig", "load", "config"]


def test_repeated_words_give_one_clause_each():
    # 100 kB of two words once gave 16,000 OR clauses.
    assert query_clauses("retry upload " * 8000) == ['"retry"', '"upload"']
    assert query_clauses("Retry retry RETRY upload_file uploadFile", prefix_last=False) == [
        '"retry"',
        '("uploadfile" OR ("upload" AND "file"))',
    ]


def test_distinct_clauses_are_capped_keeping_the_word_being_typed():
    words = [f"word{i}" for i in range(200)]
    clauses = query_clauses(" ".join(words) + " tail")
    assert len(clauses) == MAX_QUERY_CLAUSES
    assert clauses[:3] == ['"word0"', '"word1"', '"word2"']
    assert clauses[-1] == '"tail"*'
    finished = query_clauses(" ".join(words), prefix_last=False)
    assert finished == [f'"word{i}"' for i in range(MAX_QUERY_CLAUSES)]


def test_query_terms_are_distinct_and_capped():
    assert query_terms("retry upload retry Upload") == ["retry", "upload"]
    many = query_terms(" ".join(f"term{i}" for i in range(500)))
    assert many == [f"term{i}" for i in range(MAX_QUERY_TERMS)]
