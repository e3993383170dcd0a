"""The checks every search runs on its query and folder filter, before any work."""

from __future__ import annotations

import pytest

from engine.errors import KenningError
from engine.query_checks import MAX_QUERY_CHARS, check_query, folder_in_index


def test_a_query_is_stripped_and_must_not_be_empty():
    assert check_query("  retry upload \n") == "retry upload"
    for empty in ("", "   ", None):
        with pytest.raises(KenningError, match="the query is empty"):
            check_query(empty)


def test_a_query_over_the_limit_is_refused_with_its_length():
    assert check_query("x" * MAX_QUERY_CHARS) == "x" * MAX_QUERY_CHARS
    with pytest.raises(KenningError) as caught:
        check_query("retry upload " * 8000)
    assert str(caught.value) == (
        "the query is 103,999 characters long; at most 10,000 are accepted: shorten it to "
        "the words or the lines that matter"
    )


def test_nul_and_lone_surrogates_are_refused():
    with pytest.raises(KenningError, match=r"^the query contains a NUL character$"):
        check_query("retry\x00upload")
    # What a JSON "\ud800" escape or an undecodable command-line byte becomes.
    for text, at in (("\ud800 retry", 0), ("retry \udcff", 6)):
        with pytest.raises(KenningError) as caught:
            check_query(text)
        assert str(caught.value) == (
            f"the query is not valid Unicode (a lone surrogate at position {at})"
        )


def test_a_folder_must_be_an_indexed_folder_or_inside_one():
    roots = ["/home/u/notes", "/srv/code"]
    assert folder_in_index("/srv/code", roots) == "/srv/code"
    assert folder_in_index("/srv/code/app/models", roots) == "/srv/code/app/models"
    for outside in ("/srv", "/srv/codebase", "/home/u", "/elsewhere"):
        with pytest.raises(KenningError) as caught:
            folder_in_index(outside, roots)
        assert str(caught.value) == (
            f"not indexed: {outside} (indexed folders: /home/u/notes, /srv/code)"
        )
    with pytest.raises(KenningError, match=r"indexed folders: none yet"):
        folder_in_index("/srv/code", [])
