"""Experimental variants of Kenning, applied in-process, for the eval to compare against.

Each variant changes one thing and gets its own indexes (``data-<corpus>-<variant>``), so a
comparison never mixes vectors of two set-ups. These hooks reach into private or imported
names on purpose: they are experiments; a variant that pays becomes a real option in the
module it patches (see docs/EVAL.md).

- ``default``: Kenning as shipped.
- ``no-header``: chunks are embedded without the "File: ... / Symbol: ..." header.
- ``path-header``: the header names the file only (no symbol line).
- ``int8``: the local model's Linear layers run with torch dynamic int8 quantization
  (per-channel weights: per-tensor loses too much, see docs/BENCHMARKS.md).
- ``lexical-rarest4``: (query side only, shares the default indexes) a lexical query keeps
  only its 4 rarest OR-clauses by FTS5 document frequency, which bounds how many rows
  FTS5 has to score (the latency fix measured in docs/BENCHMARKS.md).
"""

from __future__ import annotations

VARIANTS = ("default", "no-header", "path-header", "int8", "lexical-rarest4")
# Variants that change only how queries run: they search the default indexes.
QUERY_ONLY = ("lexical-rarest4",)
RAREST_CLAUSES = 4

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
    elif variant == "lexical-rarest4":
        _patch_lexical_pruning(RAREST_CLAUSES)
    elif variant == "int8":
        import torch
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        model = embedder._model  # the LocalEmbedder's transformers model
        embedder._model = quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
        )
    return embedder


def top_level_clauses(expression: str) -> list[str]:
    """Split an FTS5 expression at its top-level ``OR``s (not inside parentheses)."""
    clauses, depth, current, i = [], 0, "", 0
    while i < len(expression):
        if depth == 0 and expression.startswith(" OR ", i):
            clauses.append(current)
            current, i = "", i + 4
            continue
        char = expression[i]
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
        i += 1
    clauses.append(current)
    return clauses


def _patch_lexical_pruning(keep: int) -> None:
    import re

    import engine.store as store_module

    original_lexical = store_module.Store.lexical

    def lexical(self: object, match: str, limit: int, **filters: object) -> object:
        conn = self.conn  # type: ignore[attr-defined]
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.kenning_vocab "
            "USING fts5vocab(main, chunks_fts, 'row')"
        )

        def rarity(clause: str) -> int:
            counts = [
                (
                    conn.execute(
                        "SELECT doc FROM temp.kenning_vocab WHERE term = ?", (t,)
                    ).fetchone()
                    or (0,)
                )[0]
                for t in re.findall(r'"([^"]+)"', clause)
            ]
            if not counts:
                return 0
            # An AND group is as rare as its rarest term; a prefix matches more than its stem.
            return max(counts) * 2 if clause.endswith("*") else min(counts)

        clauses = top_level_clauses(match)
        if len(clauses) > keep:
            match = " OR ".join(sorted(clauses, key=rarity)[:keep])
        return original_lexical(self, match, limit, **filters)

    store_module.Store.lexical = lexical  # type: ignore[method-assign]
