"""Turn chunk text and queries into the token stream the FTS5 index holds.

FTS5's ``unicode61`` tokenizer splits ``load_config`` at the underscore, keeps ``loadConfig``
whole and treats a run of Chinese characters as one token, so neither identifiers nor CJK text
would be findable the way users type them. Both sides therefore go through this module: every
identifier is indexed whole (``loadconfig``) and by its parts (``load``, ``config``), and CJK
runs as overlapping bigrams plus single characters.
"""

from __future__ import annotations

import re

from engine.cjk_glossary import search_words, segment

TOKENIZER_VERSION = 1

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+(?:_+[^\W_{_CJK}]+)*", re.UNICODE)
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")
CJK_CHAR = re.compile(rf"[{_CJK}]")  # any CJK character (kana, hanzi, hangul)
# Boundaries inside an identifier: fooBar, HTTPServer -> HTTP|Server, utf8Decode -> utf8|Decode.
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# Only for queries: a document may legitimately be about "the" or "if", but a question like
# "where do we retry failed uploads" should not match every chunk that says "we".
# A query's distinct words beyond these are not searched lexically: each word is one FTS5
# clause (a posting-list read and a count), and a pasted page of text would otherwise cost
# seconds (docs/BENCHMARKS.md, "Long queries"). Questions have a handful of words.
MAX_QUERY_CLAUSES = 32
# Words kept for highlighting and snippets (each is looked for in every line of a result).
MAX_QUERY_TERMS = 64

_QUERY_STOPWORDS = frozenset(
    """a an and are as at be by can do does for from how i in is it of on or our that the
    this to we what when where which who why with you your me my there their it's did
    should would could into via using use used get gets find code function method file
    files""".split()  # noqa: SIM905
)


def _identifier_parts(word: str) -> list[str]:
    parts: list[str] = []
    for piece in word.split("_"):
        if piece:
            parts.extend(p.lower() for p in _CAMEL_BOUNDARY.split(piece) if p)
    return parts


def _cjk_terms(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_tokens(text: str) -> str:
    """The space-separated token string stored in FTS5 for ``text``."""
    out: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        if _CJK_RUN.match(word):
            out.extend(word)  # single characters, so one-character queries still match
            if len(word) > 1:
                out.extend(_cjk_terms(word))
            continue
        whole = word.replace("_", "").lower()
        out.append(whole)
        parts = _identifier_parts(word)
        if len(parts) > 1:
            out.extend(parts)
    return " ".join(out)


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def query_expression(query: str, *, prefix_last: bool = True) -> str | None:
    """An FTS5 MATCH expression for a user's query, or None when nothing is searchable.

    Words are OR-ed so bm25 ranks chunks by how many of them they hold (see ``query_clauses``).
    """
    clauses = query_clauses(query, prefix_last=prefix_last)
    return " OR ".join(clauses) if clauses else None


def query_clauses(query: str, *, prefix_last: bool = True) -> list[str]:
    """One FTS5 expression per word of a user's query; a chunk matching any of them matches.

    An identifier matches either whole or by all of its parts; a CJK run needs all of its
    bigrams. The last word may be a prefix because the user is still typing it. A word that
    repeats gives one clause (an OR of the same clause twice ranks nothing differently), and
    at most ``MAX_QUERY_CLAUSES`` distinct clauses are kept, the first ones in the query.
    """
    words = [m.group() for m in _WORD.finditer(query)]
    clauses: list[str] = []
    meaningful = [w for w in words if w.lower() not in _QUERY_STOPWORDS] or words
    if not meaningful:
        return []
    # Each distinct word once: a pasted page repeats most of its words many times.
    for word in dict.fromkeys(meaningful[:-1]):
        clauses.extend(_word_clauses(word, False))
    clauses.extend(_word_clauses(meaningful[-1], prefix_last and query[-1:].isalnum()))
    distinct = list(dict.fromkeys(clauses))
    if len(distinct) > MAX_QUERY_CLAUSES:
        if "*" in clauses[-1]:  # only the last word's clause is a prefix search
            # The word being typed stays searchable in a long query too.
            distinct = [*distinct[: MAX_QUERY_CLAUSES - 1], distinct[-1]]
        else:
            distinct = distinct[:MAX_QUERY_CLAUSES]
    return distinct


def _word_clauses(word: str, is_last: bool) -> list[str]:
    """The clauses of one word: one, except for a CJK run holding glossary terms."""
    if _CJK_RUN.match(word):
        expanded = _cross_language_clauses(word)
        if expanded is not None:
            return expanded
    return [_word_clause(word, is_last)]


def _cross_language_clauses(run: str) -> list[str] | None:
    """A CJK run split into glossary terms (engine/cjk_glossary.py), each searched as its
    Chinese bigrams OR any of its English words, so a Chinese query matches English code;
    filler words (的, 如何) are dropped and unknown pieces stay Chinese. None when the run
    holds no term with English words (it is searched as before)."""
    segments = segment(run)
    if not any(s.english for s in segments):
        return None
    clauses: list[str] = []
    for piece in segments:
        if piece.known and not piece.english:
            continue  # a filler word: it would only weigh against English chunks
        chinese = _word_clause(piece.text, False)
        if not piece.english:
            clauses.append(chinese)
            continue
        english = [_quote(w) + ("*" if prefix else "") for w, prefix in search_words(piece.english)]
        clauses.append("(" + " OR ".join([chinese, *english]) + ")")
    return clauses


def _word_clause(word: str, is_last: bool) -> str:
    if _CJK_RUN.match(word):
        return "(" + " AND ".join(_quote(t) for t in _cjk_terms(word)) + ")"
    whole = word.replace("_", "").lower()
    star = "*" if is_last and len(whole) >= 3 else ""
    parts = _identifier_parts(word)
    if len(parts) > 1:
        joined = " AND ".join(_quote(p) for p in parts[:-1])
        last_part = _quote(parts[-1]) + star
        return f"({_quote(whole)}{star} OR ({joined} AND {last_part}))"
    return _quote(whole) + star


def is_cjk_run(text: str) -> bool:
    """Whether ``text`` is CJK characters only (one lexical term of a CJK run)."""
    return _CJK_RUN.match(text) is not None


def query_terms(query: str) -> list[str]:
    """Lower-cased words and identifier parts of a query, for highlighting and snippets.

    Each once, in the order of the query, at most ``MAX_QUERY_TERMS`` of them.
    """
    terms: dict[str, None] = {}
    seen: set[str] = set()
    for match in _WORD.finditer(query):
        word = match.group()
        if word in seen or word.lower() in _QUERY_STOPWORDS:
            continue
        seen.add(word)
        if _CJK_RUN.match(word):
            terms[word] = None
            # The English words it is searched by (glossary), so snippets show their lines.
            for piece in segment(word):
                terms.update(dict.fromkeys(w for w, _ in search_words(piece.english)))
        else:
            terms[word.lower()] = None
            parts = _identifier_parts(word)
            if len(parts) > 1:
                terms.update(dict.fromkeys(parts))
        if len(terms) >= MAX_QUERY_TERMS:
            break
    return list(terms)[:MAX_QUERY_TERMS]
