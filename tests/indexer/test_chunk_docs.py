"""Markdown, reStructuredText and plain-text chunking: symbols, exact lines, token budgets."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from engine.types import Chunk
from indexer.chunk_docs import chunk_markdown, chunk_plain_text, chunk_rst
from indexer.chunking import approx_count_tokens


@pytest.fixture(scope="module")
def wordpiece_count(minilm_path: Path):
    """The bundled MiniLM's real tokenizer (special tokens included), no model weights."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(minilm_path / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return lambda texts: [len(e.ids) for e in tokenizer.encode_batch(texts)]


def assert_exact_lines(text: str, chunks: list[Chunk]) -> None:
    """Each chunk's text sits on exactly its lines: whole lines, or a piece of one line."""
    lines = text.split("\n")
    for chunk in chunks:
        assert 1 <= chunk.start_line <= chunk.end_line <= len(lines)
        span = "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
        assert chunk.text in span, chunk
        assert chunk.text.split("\n")[0] in lines[chunk.start_line - 1]
        assert chunk.text.split("\n")[-1] in lines[chunk.end_line - 1]


def assert_fits(chunks: list[Chunk], count, max_tokens: int) -> None:
    assert chunks
    counts = count([c.embed_text for c in chunks])
    assert max(counts) <= max_tokens, counts


MARKDOWN = """\
---
title: Kenning guide
tags: [search]
---

Kenning finds things in your files.

# Install

## Linux

Download the AppImage and make it executable.

```bash
# this comment is not a heading

chmod +x Kenning.AppImage
```

## Windows
Run the installer.

Usage
=====

Type a question.

Details
-------

#hashtag is not a heading.

### Deep ###

Deep text.
"""


def test_markdown_sections_follow_headings():
    chunks = chunk_markdown(
        MARKDOWN, "docs/guide.md", max_tokens=256, count_tokens=approx_count_tokens
    )
    got = [(c.symbol, c.start_line, c.end_line) for c in chunks]
    assert got == [
        (None, 1, 6),
        ("Install > Linux", 8, 18),
        ("Install > Windows", 20, 21),
        ("Usage", 23, 26),
        ("Usage > Details", 28, 31),
        ("Usage > Details > Deep", 33, 35),
    ]
    assert all(c.kind == "text" and c.language == "markdown" for c in chunks)
    assert_exact_lines(MARKDOWN, chunks)
    linux = chunks[1]
    # The fence stays whole, with its blank line and its '#' comment, under its heading.
    assert "# this comment is not a heading\n\nchmod +x" in linux.text
    assert linux.text.startswith("# Install\n\n## Linux")
    assert linux.embed_text.startswith("File: docs/guide.md\nSymbol: Install > Linux\n\n")
    assert "title: Kenning guide" in chunks[0].text


def test_unclosed_fence_runs_to_the_end():
    text = "# A\n\nintro\n\n```\n# inside\n\n# still inside\n"
    chunks = chunk_markdown(text, "a.md", max_tokens=256, count_tokens=approx_count_tokens)
    assert [c.symbol for c in chunks] == ["A"]
    assert chunks[0].end_line == 8


def test_long_markdown_section_is_split_with_overlap_and_fits(wordpiece_count):
    sentences = [f"Sentence {i} talks about retry policy number {i}." for i in range(400)]
    body = "\n".join(" ".join(sentences[i : i + 10]) for i in range(0, 400, 10))
    text = f"# Retries\n\n{body}\n\n# After\n\nshort\n"
    chunks = chunk_markdown(text, "r.md", max_tokens=128, count_tokens=wordpiece_count)
    assert_fits(chunks, wordpiece_count, 128)
    assert_exact_lines(text, chunks)
    retries = [c for c in chunks if c.symbol == "Retries"]
    assert len(retries) > 5
    joined = "\n".join(c.text for c in retries)
    assert all(s in joined for s in sentences)  # nothing truncated
    # Neighbouring pieces of one long run share a line, so a thought cut in two is findable.
    assert any(a.end_line == b.start_line for a, b in itertools.pairwise(retries))
    assert chunks[-1].symbol == "After" and chunks[-1].text == "# After\n\nshort"


def test_single_huge_line_without_spaces_is_cut_by_characters(wordpiece_count):
    text = "# CJK\n\n" + "検索エンジンはファイルを索引する" * 400 + "\n"
    chunks = chunk_markdown(text, "cjk.md", max_tokens=64, count_tokens=wordpiece_count)
    assert_fits(chunks, wordpiece_count, 64)
    assert all(c.start_line == c.end_line == 3 for c in chunks[1:])
    assert "".join(c.text for c in chunks[1:]).endswith("索引する")
    assert sum(len(c.text) for c in chunks) >= len(text.strip()) - len("# CJK\n\n")


def test_paragraphs_are_packed_up_to_the_budget():
    text = "\n\n".join(f"Paragraph {i} has a few words." for i in range(30)) + "\n"
    chunks = chunk_plain_text(text, "notes.txt", max_tokens=60, count_tokens=approx_count_tokens)
    assert 1 < len(chunks) < 30
    assert_fits(chunks, approx_count_tokens, 60)
    assert_exact_lines(text, chunks)
    assert all(c.language == "text" and c.symbol is None for c in chunks)
    # Chunks are whole paragraphs, in order, without gaps.
    assert chunks[0].start_line == 1 and chunks[-1].end_line == 59
    for a, b in itertools.pairwise(chunks):
        assert b.start_line == a.end_line + 2


def test_rst_titles_become_heading_paths():
    text = """\
=========
 Kenning
=========

Intro.

Install
=======

Linux
-----

Use the AppImage.

Windows
-------

Use the installer.

----

Usage
=====

Ask.
"""
    chunks = chunk_rst(text, "index.rst", max_tokens=256, count_tokens=approx_count_tokens)
    assert [(c.symbol, c.start_line, c.end_line) for c in chunks] == [
        ("Kenning", 1, 5),
        ("Kenning > Install > Linux", 7, 13),
        ("Kenning > Install > Windows", 15, 20),
        ("Kenning > Usage", 22, 25),
    ]
    assert all(c.language == "rst" for c in chunks)
    assert_exact_lines(text, chunks)


def test_blank_and_whitespace_documents_give_no_chunks():
    for fn in (chunk_markdown, chunk_rst, chunk_plain_text):
        assert fn("\n \n\t\n", "e.md", max_tokens=64, count_tokens=approx_count_tokens) == []


def test_budget_holds_for_a_counter_that_disagrees_with_sums():
    """A counter where joined text costs more than its parts still gets fitting chunks."""

    def pessimistic(texts: list[str]) -> list[int]:
        return [len(t) // 3 + t.count("\n") * 4 + 2 for t in texts]

    text = "\n".join(f"line {i} of a long section" for i in range(300))
    chunks = chunk_plain_text(text, "p.txt", max_tokens=80, count_tokens=pessimistic)
    assert_fits(chunks, pessimistic, 80)
    assert_exact_lines(text, chunks)
    assert {f"line {i} of a long section" for i in range(300)} <= {
        line for c in chunks for line in c.text.split("\n")
    }
