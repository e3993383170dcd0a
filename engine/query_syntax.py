"""The search box's little language: ``path:src/*.py lang:go kind:text "exact phrase" -word``.

Everything that is not an operator is free text, which is what the rankers see. Filters
(``path:``, ``lang:``, ``kind:``) become :class:`~engine.types.SearchFilters`; phrases must
occur in a result's chunk and excluded words must not, which :func:`keep_result` checks
against the chunk's text after ranking. :func:`format_query` writes a parsed query back, so
the window's filter widgets and the typed text can stay in sync.

Parsing never raises on odd text except for the few mistakes worth telling the user about
(:class:`QuerySyntaxError`, one line each): an unclosed quote, an empty operator value, an
unknown kind, a path pattern that climbs out with ``..``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from engine.errors import KenningError
from engine.query_checks import MAX_QUERY_CHARS as QUERY_CHARS_LIMIT
from engine.types import ChunkKind, SearchFilters

# Longer queries are not sentences people type; cutting them keeps parsing and the rankers
# cheap for a pasted file (the window's field and `kenning search` both go through here).
# One limit for every front end: longer queries are refused (query_checks), not cut here.
MAX_QUERY_CHARS = QUERY_CHARS_LIMIT
OPERATORS = ("path", "lang", "kind")
KINDS: dict[str, ChunkKind] = {
    "code": "code",
    "text": "text",
    "doc": "text",
    "docs": "text",
    "document": "text",
    "documents": "text",
}
SYNTAX_HELP = (
    'path:src/*.py  lang:go  kind:code|text  "exact phrase"  -word  (combine with free text)'
)
# A token: a quoted phrase (maybe unclosed), or a run of non-space characters that may
# itself contain a quoted value (path:"my docs/*").
_TOKEN = re.compile(r'"[^"]*"?|(?:[^\s"]+(?:"[^"]*"?)?)+')
_LANG = re.compile(r"^[a-z0-9_+#.-]{1,40}$")
_WORD_CHARS = re.compile(r"\w", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class QuerySyntaxError(KenningError):
    """The query uses the syntax in a way that cannot be searched; the message says how."""


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query split into what ranks (``text``) and what restricts (the rest)."""

    free: str = ""  # the words outside quotes and operators
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    path_glob: str | None = None
    language: str | None = None
    kind: ChunkKind | None = None

    @property
    def text(self) -> str:
        """What the rankers see: the free words and the phrases' words."""
        return " ".join(part for part in (self.free, *self.phrases) if part)

    def filters(self, base: SearchFilters | None = None) -> SearchFilters:
        """``base`` with this query's filters on top (typed syntax wins over widgets)."""
        base = base or SearchFilters()
        return replace(
            base,
            path_glob=path_pattern(self.path_glob) if self.path_glob else base.path_glob,
            language=self.language or base.language,
            kind=self.kind or base.kind,
        )

    @property
    def anchored(self) -> bool:
        """One word or an exact phrase: a name looked up rather than a description."""
        return bool(self.phrases) or len(self.free.split()) == 1

    @property
    def needs_text_check(self) -> bool:
        return bool(self.phrases or self.excluded)


def parse_query(raw: str) -> ParsedQuery:
    """Split ``raw`` into free text, phrases, excluded words and filters."""
    # Control characters (a pasted NUL or tab) separate words like spaces do.
    raw = _CONTROL.sub(" ", (raw or "")[:MAX_QUERY_CHARS])
    free: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    found: dict[str, str] = {}
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if token.startswith('"'):
            phrase = _unquote(token, "a phrase")
            if phrase:
                phrases.append(phrase)
            continue
        name, sep, value = token.partition(":")
        if sep and name.lower() in OPERATORS:
            value = _unquote(value, f"{name.lower()}:")
            if not value:
                raise QuerySyntaxError(
                    f"{name.lower()}: needs a value, e.g. {_EXAMPLES[name.lower()]}"
                )
            key = name.lower()
            if key in found and found[key] != value:
                raise QuerySyntaxError(f"{key}: is given twice ({found[key]}, {value}); keep one")
            found[key] = value
            continue
        if token.startswith("-") and len(token) > 1:
            word = _unquote(token[1:], "an excluded phrase")
            if word and _WORD_CHARS.search(word):
                excluded.append(word)
                continue
        if '"' in token:
            token = _unquote_inner(token)
        if token:
            free.append(token)
    return ParsedQuery(
        free=" ".join(free),
        phrases=tuple(phrases),
        excluded=tuple(excluded),
        path_glob=_path(found["path"]) if "path" in found else None,
        language=_language(found["lang"]) if "lang" in found else None,
        kind=_kind(found["kind"]) if "kind" in found else None,
    )


def format_query(parsed: ParsedQuery) -> str:
    """The query as a user would type it; ``parse_query(format_query(p))`` gives ``p`` back."""
    parts = []
    for key, value in (("path", parsed.path_glob), ("lang", parsed.language)):
        if value:
            parts.append(f"{key}:{_quote_if_needed(value)}")
    if parsed.kind:
        parts.append(f"kind:{parsed.kind}")
    if parsed.free:
        parts.append(parsed.free)
    parts.extend(f'"{p}"' for p in parsed.phrases)
    parts.extend(f"-{_quote_if_needed(w)}" for w in parsed.excluded)
    return " ".join(parts)


def with_filters(
    raw: str, *, path_glob: str | None, language: str | None, kind: ChunkKind | None
) -> str:
    """``raw`` with its operators replaced by these values (the filter widgets changed).

    The free text, phrases and excluded words keep the user's own spelling and order; only
    the operator tokens are rewritten. Text that does not parse is returned unchanged.
    """
    try:
        parse_query(raw)
    except QuerySyntaxError:
        return raw
    kept = []
    for match in _TOKEN.finditer(raw[:MAX_QUERY_CHARS]):
        token = match.group()
        name, sep, _value = token.partition(":")
        if not (sep and name.lower() in OPERATORS and not token.startswith('"')):
            kept.append(token)
    ops = []
    if path_glob:
        ops.append(f"path:{_quote_if_needed(path_glob)}")
    if language:
        ops.append(f"lang:{_quote_if_needed(language)}")
    if kind:
        ops.append(f"kind:{kind}")
    # A trailing space lets the user go on typing a new word after the operators.
    trailing = " " if (ops and not kept) or (kept and raw.endswith(" ")) else ""
    return " ".join(ops + kept) + trailing


def keep_result(chunk_text: str, parsed: ParsedQuery) -> bool:
    """True when the chunk holds every phrase and none of the excluded words (any case)."""
    low = chunk_text.casefold()
    if any(p.casefold() not in low for p in parsed.phrases):
        return False
    return not any(_contains_word(low, w.casefold()) for w in parsed.excluded)


def _contains_word(text: str, word: str) -> bool:
    # Whole words, so "-test" does not also drop "latest"; CJK has no word boundaries, so
    # there a plain substring is the only sensible reading.
    if not word.isascii():
        return word in text
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


_EXAMPLES = {"path": "path:src/*.py", "lang": "lang:go", "kind": "kind:code or kind:text"}


def _unquote(value: str, what: str) -> str:
    if value.startswith('"'):
        if len(value) == 1 or not value.endswith('"'):
            raise QuerySyntaxError(f'{what} starts with " but is never closed: add the closing "')
        value = value[1:-1]
    elif '"' in value:
        value = _unquote_inner(value)
    return value.strip()


def _unquote_inner(token: str) -> str:
    if token.count('"') % 2:
        raise QuerySyntaxError('a quote " is never closed: add the closing "')
    return token.replace('"', "")


def _quote_if_needed(value: str) -> str:
    return f'"{value}"' if any(c.isspace() for c in value) else value


def _path(value: str) -> str:
    parts = re.split(r"[\\/]", value)
    if ".." in parts:
        raise QuerySyntaxError(
            "path: is matched inside your indexed folders; '..' cannot leave them"
        )
    return value


def path_pattern(value: str) -> str:
    """The glob searched for a typed ``path:`` value.

    A pattern without a wildcard means "under this folder or this file", which is how
    people type it (path:src, path:docs/).
    """
    if not any(c in value for c in "*?["):
        value = f"*{value.rstrip('/')}/*" if value.endswith("/") else f"*{value}*"
    return value


def _language(value: str) -> str:
    value = value.lower()
    if not _LANG.match(value):
        raise QuerySyntaxError(f"lang: expects a language name such as go or python: {value!r}")
    return value


def _kind(value: str) -> ChunkKind:
    kind = KINDS.get(value.lower())
    if kind is None:
        raise QuerySyntaxError(f"kind: is code or text, not {value!r}")
    return kind
