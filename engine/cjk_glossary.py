"""Chinese programming terms in English, so a Chinese query can match English code lexically.

A Chinese question ("解析配置文件") shares no word with the English code that answers it
(``parse_config_file``), so the lexical leg finds nothing and the fusion rightly ignores it.
``resources/glossary/zh_en.tsv`` maps a few hundred everyday programming terms to the words
code and docs use for them (解析 -> parse; 配置 -> config, configuration, settings ...).
``segment`` splits a run of CJK characters by longest match against it; the query builder
(engine/lexical_tokens.py) then searches each known term as its Chinese bigrams OR any of
its English words, so coverage (engine/query_coverage.py) counts the term as held when an
English word is. The glossary is general: it was not written from the eval's held-out queries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources

log = logging.getLogger(__name__)

_RESOURCE = ("glossary", "zh_en.tsv")


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a CJK run: a glossary term (``known``) or characters it does not hold.

    ``english`` are the term's English words, a trailing ``*`` meaning a prefix; empty for a
    filler word (的, 把, 如何) or an unknown piece.
    """

    text: str
    known: bool
    english: tuple[str, ...] = ()


@cache
def glossary() -> dict[str, tuple[str, ...]]:
    """Term -> English words, read once from the bundled TSV (empty when it is missing)."""
    try:
        text = resources.files("resources").joinpath(*_RESOURCE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        log.warning("cross-language glossary not available: %s", exc)
        return {}
    return parse_glossary(text)


def parse_glossary(text: str) -> dict[str, tuple[str, ...]]:
    """Parse the TSV format: ``term<TAB>word word*``; ``#`` starts a comment line."""
    entries: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, _, english = line.partition("\t")
        words = tuple(dict.fromkeys(w.lower() for w in english.split()))
        entries[term.strip()] = words
    return entries


# English words this long are searched as prefixes: code glues words into identifiers
# (copytree, configparser, filenames) that a whole-word match would miss. Shorter ones
# (rm, dir, url) are prefixes only where the glossary says so, as most short prefixes are
# too broad (log -> login).
PREFIX_FROM = 4


def search_words(english: tuple[str, ...]) -> list[tuple[str, bool]]:
    """(word, is prefix) to search for a term's English words, none covered by another."""
    words = [(w[:-1], True) if w.endswith("*") else (w, len(w) >= PREFIX_FROM) for w in english]
    prefixes = [w for w, prefix in words if prefix]
    return [
        (w, prefix) for w, prefix in words if not any(w != p and w.startswith(p) for p in prefixes)
    ]


def segment(run: str) -> list[Segment]:
    """Split a CJK run into glossary terms (longest match first, left to right) and the
    unknown pieces between them, in order."""
    terms = glossary()
    longest = max(map(len, terms), default=0)  # a few hundred keys: cheap per query
    out: list[Segment] = []
    unknown: list[str] = []
    i = 0
    while i < len(run):
        for size in range(min(longest, len(run) - i), 0, -1):
            piece = run[i : i + size]
            if piece in terms:
                if unknown:
                    out.append(Segment("".join(unknown), False))
                    unknown = []
                out.append(Segment(piece, True, terms[piece]))
                i += size
                break
        else:
            unknown.append(run[i])
            i += 1
    if unknown:
        out.append(Segment("".join(unknown), False))
    return out
