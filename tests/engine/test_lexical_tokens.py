from engine.lexical_tokens import document_tokens, query_expression, query_terms


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
