"""The search box's syntax: operators, phrases, excluded words, and hostile input."""

from __future__ import annotations

import pytest

from engine.query_syntax import (
    MAX_QUERY_CHARS,
    ParsedQuery,
    QuerySyntaxError,
    format_query,
    keep_result,
    parse_query,
    path_pattern,
    with_filters,
)
from engine.types import SearchFilters


def test_every_operator_with_free_text():
    parsed = parse_query('path:src/*.py lang:Go kind:text "exact phrase" -word retry upload')
    assert parsed.path_glob == "src/*.py"
    assert parsed.language == "go"
    assert parsed.kind == "text"
    assert parsed.phrases == ("exact phrase",)
    assert parsed.excluded == ("word",)
    assert parsed.free == "retry upload"
    # The rankers see the free words and the phrase, never the operators.
    assert parsed.text == "retry upload exact phrase"
    filters = parsed.filters(SearchFilters(folder="/home/me/code"))
    assert filters == SearchFilters(
        path_glob="src/*.py", language="go", kind="text", folder="/home/me/code"
    )


def test_plain_text_is_untouched():
    for text in ("where is the config parsed", "a-b c", "load_config", "解析配置文件", "C++ -"):
        parsed = parse_query(text)
        assert parsed.text == text and not parsed.excluded and parsed.path_glob is None


def test_kind_aliases_and_quoted_values():
    assert parse_query("kind:docs x").kind == "text"
    assert parse_query('path:"my docs/*" x').path_glob == "my docs/*"
    assert parse_query('-"two words" y').excluded == ("two words",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('retry "unclosed phrase', "never closed"),
        ('path:"my docs x', "never closed"),
        ('ab"c', "never closed"),
        ("lang:", "lang: needs a value"),
        ("kind:video", "kind: is code or text"),
        ("path:../secrets", "'..' cannot leave"),
        ("path:src/../../etc/*", "'..' cannot leave"),
        ("path:..\\windows", "'..' cannot leave"),
        ("lang:go lang:rust x", "given twice"),
        ("lang:<script> x", "language name"),
    ],
)
def test_bad_syntax_says_what_is_wrong_in_one_line(raw, message):
    with pytest.raises(QuerySyntaxError) as err:
        parse_query(raw)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_dots_inside_names_are_fine():
    assert parse_query("path:src/..hidden/*.py x").path_glob == "src/..hidden/*.py"
    assert parse_query("path:v1.2/*.md x").path_glob == "v1.2/*.md"


def test_a_10_kb_query_is_cut_and_parses_quickly():
    raw = ("retry upload -word " * 600)[:10_000] + ' "never closed'
    parsed = parse_query(raw)  # the unclosed quote is beyond the cut
    assert len(parsed.free) < MAX_QUERY_CHARS
    assert "word" in parsed.excluded
    hostile = '"' * 10_000
    parse_query(hostile)  # an even run of quotes is empty phrases, not an error
    with pytest.raises(QuerySyntaxError):
        parse_query('"' * (MAX_QUERY_CHARS - 1))


def test_control_characters_and_only_operators():
    parsed = parse_query("lang:go\x00\t\n")
    assert parsed.language == "go"
    assert parse_query("lang:go kind:code").text == ""
    assert parse_query("").text == ""


@pytest.mark.parametrize(
    "raw",
    [
        'path:src/*.py lang:go kind:text retry upload "exact phrase" -word',
        'path:"my docs/*" -"two words" x',
        "just words",
        'kind:code "a b" "c d"',
    ],
)
def test_format_round_trips(raw):
    parsed = parse_query(raw)
    assert parse_query(format_query(parsed)) == parsed


def test_with_filters_rewrites_only_the_operators():
    raw = 'retry lang:go "exact phrase" -test '
    out = with_filters(raw, path_glob="src/*.py", language="rust", kind=None)
    assert out == 'path:src/*.py lang:rust retry "exact phrase" -test '
    assert parse_query(out).language == "rust"
    assert with_filters("lang:go", path_glob=None, language=None, kind=None) == ""
    assert with_filters("", path_glob=None, language=None, kind="code") == "kind:code "
    assert with_filters('bad "quote', path_glob=None, language="go", kind=None) == 'bad "quote'
    assert with_filters("x", path_glob="my docs/*", language=None, kind=None) == (
        'path:"my docs/*" x'
    )


def test_path_pattern_without_wildcards_means_under_it():
    assert path_pattern("src") == "*src*"
    assert path_pattern("docs/") == "*docs/*"
    assert path_pattern("*.py") == "*.py"
    assert parse_query("path:src x").filters().path_glob == "*src*"


def test_phrases_and_excluded_words_check_the_chunk_text():
    parsed = parse_query('"Exact Phrase" -test retry')
    assert keep_result("an exact phrase here", parsed)
    assert not keep_result("an exact here phrase", parsed)
    assert not keep_result("exact phrase in a TEST", parsed)
    assert keep_result("exact phrase in the latest build", parsed)  # whole words only
    assert not keep_result(
        "配置 exact phrase", ParsedQuery(phrases=("exact phrase",), excluded=("配置",))
    )


def test_a_single_word_or_a_phrase_is_anchored():
    assert parse_query("adler_checksum").anchored
    assert parse_query('"byte offset" upload').anchored
    assert not parse_query("retry failed uploads lang:go").anchored
