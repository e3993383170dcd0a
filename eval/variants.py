"""Experimental variants of Kenning, applied in-process, for the eval to compare against.

Each variant changes one thing and gets its own indexes (``data-<corpus>-<variant>``), so a
comparison never mixes vectors of two set-ups. These hooks reach into private or imported
names on purpose: they are experiments; a variant that pays becomes a real option in the
module it patches (see docs/EVAL.md).

- ``default``: Kenning as shipped.
- ``no-header``: chunks are embedded without the "File: ... / Symbol: ..." header.
- ``path-header``: the header names the file only (no symbol line).
- ``int8``: the local model's Linear layers run with torch dynamic int8 quantization.
"""

from __future__ import annotations

VARIANTS = ("default", "no-header", "path-header", "int8")

# Modules that imported the header functions by name (``from indexer.chunk_header import``).
_HEADER_USERS = (
    "indexer.chunk_header",
    "indexer.chunk_code",
    "indexer.chunk_lines",
    "indexer.text_packing",
)


def _patch_header(embed_text_for: object, header_only: object) -> None:
    import importlib

    for name in _HEADER_USERS:
        module = importlib.import_module(name)
        if hasattr(module, "embed_text_for"):
            module.embed_text_for = embed_text_for
        if hasattr(module, "header_only"):
            module.header_only = header_only


def apply(variant: str, embedder: object) -> object:
    """Apply ``variant`` (before indexing); returns the embedder to use."""
    if variant not in VARIANTS:
        raise SystemExit(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    if variant == "no-header":

        def body_only(rel_path: str, symbol: str | None, body: str) -> str:
            return body

        _patch_header(body_only, lambda rel_path, symbol: "")
    elif variant == "path-header":

        def path_only(rel_path: str, symbol: str | None, body: str) -> str:
            return f"File: {rel_path}\n\n{body}"

        _patch_header(path_only, lambda rel_path, symbol: f"File: {rel_path}\n\n")
    elif variant == "int8":
        import torch

        model = embedder._model  # the LocalEmbedder's transformers model
        embedder._model = torch.ao.quantization.quantize_dynamic(
            model, {torch.nn.Linear}, dtype=torch.qint8
        )
    return embedder
