"""``kenning search`` output: syntax applied, grouped by file, per-file cap, colours."""

from __future__ import annotations

import io
import json

import pytest

from desktop.search_output import answer, print_grouped, use_colour
from engine.query_syntax import QuerySyntaxError
from engine.search import Searcher
from engine.types import SearchFilters
from tests.desktop.test_cli import kenning
from tests.desktop.test_search_window_results import upload_corpus  # noqa: F401 (fixture)

pytestmark = pytest.mark.model


@pytest.fixture
def searcher(upload_corpus, minilm):  # noqa: F811
    _, data_dir = upload_corpus
    s = Searcher(data_dir, minilm)
    yield s
    s.close()


def render(ans, *, colour: bool) -> str:
    out = io.StringIO()
    print_grouped(ans, "hybrid", multiple=False, colour=colour, out=out)
    return out.getvalue()


def test_grouped_by_file_with_a_per_file_cap(searcher):
    ans = answer(searcher, "upload", mode="hybrid", limit=10, filters=SearchFilters())
    paths = [r.path for r in ans.results]
    assert paths.count(next(p for p in paths if p.endswith("uploads.py"))) >= 3
    text = render(ans, colour=False)
    # One numbered heading per file, its hits (lines, symbol, relevance) under it.
    headings = [line for line in text.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert len(headings) == len(set(paths))
    assert sum("uploads.py" in h for h in headings) == 1
    assert "relevance " in text and "\033[" not in text
    capped = answer(
        searcher, "upload", mode="hybrid", limit=10, filters=SearchFilters(), per_file=1
    )
    capped_paths = [r.path for r in capped.results]
    assert len(capped_paths) == len(set(capped_paths))


def test_syntax_filters_phrases_and_excluded_words(searcher):
    ans = answer(
        searcher, 'kind:code "byte offset" upload', mode="hybrid", limit=10, filters=SearchFilters()
    )
    assert [r.symbol for r in ans.results] == ["resume_upload"]
    ans = answer(
        searcher, "upload -abort path:src", mode="hybrid", limit=10, filters=SearchFilters()
    )
    symbols = {r.symbol for r in ans.results}
    assert "cancel_upload" not in symbols and "retry_upload" in symbols
    with pytest.raises(QuerySyntaxError):
        answer(searcher, 'upload "open', mode="hybrid", limit=10, filters=SearchFilters())


def test_colours_mark_matches_only_on_a_terminal(searcher, monkeypatch):
    ans = answer(searcher, "retry upload", mode="hybrid", limit=5, filters=SearchFilters())
    coloured = render(ans, colour=True)
    assert "\033[1;31mretry\033[0m" in coloured or "\033[1;31mRetry\033[0m" in coloured

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_colour(Tty()) and not use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())


def test_nothing_close_says_so(searcher):
    ans = answer(
        searcher,
        "chocolate cake with strawberries",
        mode="hybrid",
        limit=5,
        filters=SearchFilters(),
    )
    assert ans.weak
    assert render(ans, colour=False).startswith("No good match")


def test_the_cli_groups_caps_and_documents_the_syntax(upload_corpus):  # noqa: F811
    _, data_dir = upload_corpus
    out = kenning("search", "upload", "--mode", "lexical", "--per-file", "2", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("uploads.py") == 1  # one heading for the file
    assert "\033[" not in out.stdout  # piped: no colours
    hits = [line for line in out.stdout.splitlines() if "relevance" in line]
    assert len(hits) <= 2 * out.stdout.count(". /")
    out = kenning("search", "upload lang:python", "--json", "--mode", "lexical", data_dir=data_dir)
    results = json.loads(out.stdout)["results"]
    assert results and all(r["language"] == "python" for r in results)
    assert all(r["lexical_rank"] >= 1 and r["similarity"] is None for r in results)
    out = kenning("search", 'upload "unclosed', data_dir=data_dir)
    assert out.returncode != 0 and "never closed" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    out = kenning("search", "--help")
    assert (
        "path:src/*.py" in out.stdout and '"exact phrase"' in out.stdout and "-word" in out.stdout
    )
    out = kenning("search", "upload", "--per-file", "0", data_dir=data_dir)
    assert out.returncode != 0 and "--per-file must be at least 1" in out.stderr
