"""Tests for the line-window chunker and the budget fitter every line-based chunker shares."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from engine.types import Chunk
from indexer.chunk_header import embed_text_for
from indexer.chunk_lines import (
    BudgetFitter,
    Span,
    chunk_lines,
    kind_for_language,
    split_lines,
)

CountTokens = Callable[[list[str]], list[int]]


def count_lines(texts: list[str]) -> list[int]:
    return [text.count("\n") + 1 for text in texts]


@pytest.fixture(scope="module")
def minilm_count(minilm_path: Path) -> CountTokens:
    tokenizer = Tokenizer.from_file(str(minilm_path / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(texts: list[str]) -> list[int]:
        return [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]

    return count


def assert_within_budget_and_covering(
    chunks: list[Chunk], text: str, *, max_tokens: int, count_tokens: CountTokens
) -> None:
    lines = split_lines(text)
    assert max(count_tokens([c.embed_text for c in chunks])) <= max_tokens
    covered = set()
    for chunk in chunks:
        if chunk.start_line != chunk.end_line:
            assert chunk.text == "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
        covered.update(range(chunk.start_line, chunk.end_line + 1))
    assert {n for n, line in enumerate(lines, 1) if line.strip()} <= covered


def yaml_services(count: int) -> str:
    blocks = [
        f"service_{i}:\n"
        f"  image: registry.example.com/team/service-{i}:1.{i}\n"
        f"  replicas: {i % 5 + 1}\n"
        f"  command: ['serve', '--port', '{8000 + i}', '--log-level', 'info']\n"
        for i in range(count)
    ]
    return "\n".join(blocks)


def test_a_small_file_is_one_chunk_with_its_kind():
    text = "[tool.ruff]\nline-length = 100\n\n[tool.pytest]\naddopts = '-q'\n"

    chunks = chunk_lines(text, "toml", "pyproject.toml", max_tokens=50, count_tokens=count_lines)

    assert chunks == [
        Chunk(
            start_line=1,
            end_line=5,
            kind="code",
            language="toml",
            symbol=None,
            text=text.rstrip("\n"),
            embed_text=embed_text_for("pyproject.toml", None, text.rstrip("\n")),
        )
    ]


def test_prose_languages_are_text_and_the_rest_code():
    assert kind_for_language("text") == "text"
    assert kind_for_language("markdown") == "text"
    assert kind_for_language("yaml") == "code"
    assert kind_for_language("sql") == "code"
    chunks = chunk_lines(
        "Some notes.\n", "text", "notes.txt", max_tokens=50, count_tokens=count_lines
    )
    assert [c.kind for c in chunks] == ["text"]


def test_a_long_file_becomes_overlapping_windows_within_a_real_budget(minilm_count):
    text = yaml_services(40)

    chunks = chunk_lines(text, "yaml", "compose.yaml", max_tokens=96, count_tokens=minilm_count)

    assert len(chunks) > 5
    assert chunks[0].start_line == 1
    assert chunks[-1].end_line == len(text.rstrip("\n").split("\n"))
    assert_within_budget_and_covering(chunks, text, max_tokens=96, count_tokens=minilm_count)
    for before, after in itertools.pairwise(chunks):
        assert before.start_line < after.start_line <= before.end_line + 1


def test_windows_prefer_to_end_at_a_blank_line(minilm_count):
    text = yaml_services(40)
    lines = split_lines(text)

    chunks = chunk_lines(text, "yaml", "compose.yaml", max_tokens=160, count_tokens=minilm_count)

    # Every window but the last ends where a service block ends.
    assert len(chunks) > 3
    assert all(not lines[c.end_line].strip() for c in chunks[:-1])
    # Consecutive windows overlap.
    assert all(b.start_line <= a.end_line for a, b in itertools.pairwise(chunks))


def test_a_single_huge_line_is_cut_by_characters(minilm_count):
    line = ",".join(f'"key{i}":[{i},{i * 3},"v{i:x}"]' for i in range(800))
    text = "{" + line + "}\n"

    chunks = chunk_lines(text, "json", "data.json", max_tokens=64, count_tokens=minilm_count)

    assert len(chunks) > 10
    assert all((c.start_line, c.end_line) == (1, 1) for c in chunks)
    assert max(minilm_count([c.embed_text for c in chunks])) <= 64
    full = text.rstrip("\n")
    reached = 0
    for chunk in chunks:
        offset = full.find(chunk.text, max(0, reached - len(chunk.text)))
        assert 0 <= offset <= reached  # overlapping or adjacent, never a gap
        reached = offset + len(chunk.text)
    assert reached == len(full)


def test_text_whose_density_changes_is_still_within_budget(minilm_count):
    prose = "".join(f"The service number {i} answers requests politely.\n" for i in range(30))
    hexes = "".join(f"{(i * 2654435761) ** 5:x}\n" for i in range(30))
    text = prose + hexes

    chunks = chunk_lines(text, "text", "mixed.txt", max_tokens=48, count_tokens=minilm_count)

    assert_within_budget_and_covering(chunks, text, max_tokens=48, count_tokens=minilm_count)


def test_crlf_and_blank_edges():
    text = "\r\n\r\nfirst\r\nsecond\r\n\r\n"

    chunks = chunk_lines(text, "ini", "a.ini", max_tokens=50, count_tokens=count_lines)

    assert [(c.start_line, c.end_line, c.text) for c in chunks] == [(3, 4, "first\nsecond")]


def test_blank_text_has_no_chunks():
    assert chunk_lines("", "text", "e.txt", max_tokens=50, count_tokens=count_lines) == []
    assert chunk_lines(" \n\t\n", "text", "e.txt", max_tokens=50, count_tokens=count_lines) == []


def test_lines_are_split_only_at_newlines():
    assert split_lines("a\x0cb\r\nc\u2028d\n") == ["a\x0cb", "c\u2028d", ""]


def test_fitter_reuses_known_counts_and_keeps_symbols_when_splitting():
    lines = [f"line {i}" for i in range(30)]
    calls: list[list[str]] = []

    def counting(texts: list[str]) -> list[int]:
        calls.append(texts)
        return count_lines(texts)

    fitter = BudgetFitter(
        lines, rel_path="f.x", language="x", kind="code", max_tokens=13, count_tokens=counting
    )
    spans = [Span(0, 4, "small"), Span(5, 29, "big")]
    known = count_lines([embed_text_for("f.x", s.symbol, fitter.body(s)) for s in spans])

    chunks = fitter.fit(spans, known)

    assert chunks[0].symbol == "small"
    assert (chunks[0].start_line, chunks[0].end_line) == (1, 5)
    assert {c.symbol for c in chunks[1:]} == {"big"}
    assert max(count_lines([c.embed_text for c in chunks])) <= 13
    assert chunks[-1].end_line == 30
    # The spans as given were not counted again.
    counted = [text for batch in calls for text in batch]
    assert embed_text_for("f.x", "small", fitter.body(spans[0])) not in counted
    assert embed_text_for("f.x", "big", fitter.body(spans[1])) not in counted


def test_a_symbol_too_long_for_the_header_is_dropped_from_split_chunks():
    lines = [f"x{i}" for i in range(20)]
    symbol = "\n".join(["very", "long", "symbol", "name"])  # four "tokens" of header alone
    fitter = BudgetFitter(
        lines, rel_path="f.x", language="x", kind="code", max_tokens=10, count_tokens=count_lines
    )

    chunks = fitter.fit([Span(0, 19, symbol)])

    assert {c.symbol for c in chunks} == {None}
    assert max(count_lines([c.embed_text for c in chunks])) <= 10


def test_a_budget_below_the_header_is_a_clear_error():
    with pytest.raises(ValueError, match="max_tokens=3 leaves no room"):
        chunk_lines("a\nb\nc\nd\n", "text", "f.txt", max_tokens=3, count_tokens=count_lines)


def test_a_counter_returning_the_wrong_number_of_counts_is_rejected():
    with pytest.raises(ValueError, match="returned 0 counts for 1 texts"):
        chunk_lines("a\n", "text", "f.txt", max_tokens=10, count_tokens=lambda texts: [])
