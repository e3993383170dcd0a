"""The short header put in front of every chunk before it is embedded."""

from __future__ import annotations


def embed_text_for(rel_path: str, symbol: str | None, body: str) -> str:
    """Return what the model reads for a chunk.

    The header names the file and the symbol (or heading path) because a method body alone
    rarely says which class or module it belongs to, and users search by that context.
    """
    header = f"File: {rel_path}"
    if symbol:
        header += f"\nSymbol: {symbol}"
    return f"{header}\n\n{body}"


def header_only(rel_path: str, symbol: str | None) -> str:
    """The header alone, so a chunker can reserve its tokens before packing a body."""
    return embed_text_for(rel_path, symbol, "")
