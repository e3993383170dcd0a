"""Turn one file's bytes into chunks: decoding, binary detection and dispatch by file type.

``chunk_file`` is the single entry point the pipeline calls. It never reads the disk itself
(the pipeline reads the bytes once, hashes them and hands them over), so what is chunked is
exactly what was hashed. Anything that cannot or should not be indexed raises ``SkipFile``
with a one-line reason the store records and the user can read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.types import Chunk

# The shared types live in their own module, so the chunkers need not import this dispatcher
# (which imports them): re-exported here for callers.
from indexer.chunk_types import (  # noqa: F401
    ChunkingContext,
    CountTokens,
    SkipFile,
    approx_count_tokens,
)

# Bump whenever the chunks produced for the same bytes change (boundaries, symbols, text,
# headers): the store records it and re-chunks files indexed by an older version.
CHUNKER_VERSION = 1

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdx"})
RST_SUFFIXES = frozenset({".rst", ".rest"})
PLAIN_TEXT_SUFFIXES = frozenset({".txt", ".text"})
PDF_SUFFIXES = frozenset({".pdf"})
DOCX_SUFFIXES = frozenset({".docx"})


def chunk_file(path: Path, data: bytes, ctx: ChunkingContext) -> list[Chunk]:
    """Chunk one file's content; raise ``SkipFile`` when it is binary or cannot be read.

    ``path`` is only used for its name (type dispatch); ``data`` is the whole content.
    """
    # The chunkers are imported here rather than at the top: pypdf, python-docx and
    # tree-sitter are only paid for when a file needs them.
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        from indexer.chunk_pdf import chunk_pdf

        return chunk_pdf(data, ctx)
    if suffix in DOCX_SUFFIXES:
        from indexer.chunk_docx import chunk_docx

        return chunk_docx(data, ctx)

    from indexer.text_decoding import decode_text

    text = decode_text(data)
    if not text.strip():
        return []
    kwargs: dict[str, Any] = {"max_tokens": ctx.max_tokens, "count_tokens": ctx.count_tokens}

    if suffix in MARKDOWN_SUFFIXES:
        from indexer.chunk_docs import chunk_markdown

        return chunk_markdown(text, ctx.rel_path, **kwargs)
    if suffix in RST_SUFFIXES:
        from indexer.chunk_docs import chunk_rst

        return chunk_rst(text, ctx.rel_path, **kwargs)
    if suffix in PLAIN_TEXT_SUFFIXES:
        from indexer.chunk_docs import chunk_plain_text

        return chunk_plain_text(text, ctx.rel_path, **kwargs)

    from indexer.languages import is_code_language, language_for_path, language_from_shebang

    language = language_for_path(path)
    if language is None:
        line_end = text.find("\n")
        language = language_from_shebang(text if line_end < 0 else text[:line_end])
    if language is not None and is_code_language(language):
        from indexer.chunk_code import chunk_code

        return chunk_code(text, language, ctx.rel_path, **kwargs)

    from indexer.chunk_lines import chunk_lines

    return chunk_lines(text, language or "text", ctx.rel_path, **kwargs)
