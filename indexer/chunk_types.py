"""The types every chunker shares: the context it gets, the skip it raises, token counting.

Kept apart from ``indexer.chunking`` (the dispatcher, which imports the chunkers) so that no
chunker has to import the dispatcher: no import cycle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

CountTokens = Callable[[list[str]], list[int]]


class SkipFile(Exception):
    """This file is not indexed; ``reason`` (also ``str(err)``) is one line for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ChunkingContext:
    """What every chunker needs besides the file: where it lives and the token budget."""

    rel_path: str
    max_tokens: int
    count_tokens: CountTokens


# One token per CJK character (as subword tokenizers roughly do), a piece of at most six
# other letters, a short run of digits, or any other single non-space character: close to
# what subword tokenizers do, and on the high side for English prose, which keeps budgets safe.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_APPROX_TOKEN = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]{{1,6}}|\d{{1,3}}|[^\w\s]|_")


def approx_count_tokens(texts: list[str]) -> list[int]:
    """A fast tokenizer-free estimate of each text's token count, for use without a model."""
    return [len(_APPROX_TOKEN.findall(text)) for text in texts]
