"""Stable codes for the English texts the indexer and the engine hand to users.

A file's skip or failure reason is stored in the index as an English line (``kenning status``
and "Copy list" show it as is), and notices (a model fallback, a model switch, a watch
limit) travel as English lines through plain callbacks. The desktop shows them in the
interface language: :func:`classify_reason` and :func:`classify_notice` turn such a line into
a code and its parameters (numbers, paths, OS error texts), which ``desktop/coded_text.py``
maps to a translated sentence. A line no pattern knows (an older index, a new reason) stays
as it is, in English.

The patterns are written against the producers' own texts (``junk_files``, ``secret_files``,
``discovery``, ``retry_policy``, ``parse_worker``, the chunkers, ``engine.embedders``,
``engine.model_resolution``, the pipeline, the service and the watcher);
``tests/indexer/test_message_codes.py`` runs those producers and checks each text still gets
its code, so a reworded message fails a test rather than silently going untranslated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.file_reading import NOT_REGULAR_REASON
from indexer.secret_files import (
    PRIVATE_KEY_REASON,
    SECRET_FOLDER_REASON,
    SECRET_REASON,
    SERVICE_ACCOUNT_REASON,
)


@dataclass(frozen=True, slots=True)
class Coded:
    code: str
    params: dict[str, str] = field(default_factory=dict)


_NUM = r"[\d,]+"
_DEC = r"[\d.]+"


def _exact(text: str) -> str:
    return re.escape(text)


# (code, pattern): the first full match wins, so specific patterns come before general ones.
REASON_PATTERNS: tuple[tuple[str, str], ...] = (
    ("secret", _exact(SECRET_REASON)),
    ("secret_folder", _exact(SECRET_FOLDER_REASON)),
    ("secret_private_key", _exact(PRIVATE_KEY_REASON)),
    ("secret_service_account", _exact(SERVICE_ACCOUNT_REASON)),
    ("generated_lockfile", _exact("generated file (lockfile)")),
    ("generated_minified_name", _exact("generated file (minified)")),
    ("generated_source_map", _exact("generated file (source map)")),
    ("generated_marked", r"generated file \(marked (?P<marker>.+)\)"),
    (
        "minified_long_line",
        rf"generated or minified file \(a line of (?P<chars>{_NUM}) characters\)",
    ),
    (
        "minified_long_lines",
        rf"generated or minified file \(lines of (?P<chars>{_NUM}) characters on average\)",
    ),
    (
        "repetitive",
        rf"repetitive content \((?P<chunks>{_NUM}) chunks, (?P<distinct>{_NUM}) distinct\)",
    ),
    ("capped", rf"capped: the first (?P<kept>{_NUM}) of (?P<total>{_NUM}) chunks are indexed"),
    ("too_large", rf"larger than the size cap \((?P<size>{_DEC}) MB > (?P<limit>{_DEC}) MB\)"),
    ("binary", _exact("binary file")),
    ("not_regular", _exact(NOT_REGULAR_REASON)),
    ("broken_link", _exact("broken symbolic link")),
    ("link_loop", _exact("symbolic link loop")),
    ("bad_folder_name", _exact("folder name is not valid UTF-8")),
    ("bad_file_name", _exact("file name is not valid UTF-8")),
    ("permission_denied", _exact("permission denied")),
    ("folder_unreadable", r"cannot read folder: (?P<error>.+)"),
    ("file_unreadable", r"cannot read file: (?P<error>.+)"),
    ("read_retrying", r"cannot read: (?P<error>.+) \(retried on every run and on any change\)"),
    ("read_failed", r"cannot read: (?P<error>.+)"),
    (
        "parse_timeout_retrying",
        rf"parsing took longer than (?P<seconds>{_DEC}) s \(stopped\) "
        r"\(will retry: attempt (?P<attempt>\d+) of (?P<attempts>\d+)\)",
    ),
    (
        "parse_timeout_failed",
        rf"parsing took longer than (?P<seconds>{_DEC}) s \(stopped\); "
        r"ran out of time in (?P<runs>\d+) runs",
    ),
    ("parser_cpu", _exact("the parser used too much CPU time (stopped)")),
    ("parser_crashed", r"the parser crashed \((?P<signal>[^)]+)\)"),
    ("parser_exited", r"the parser process exited with status (?P<status>-?\d+)"),
    ("parser_silent", _exact("the parser process stopped answering")),
    ("parser_memory_capped", rf"the parser ran out of memory \(capped at (?P<gib>{_DEC}) GiB\)"),
    ("parser_memory", _exact("the parser ran out of memory")),
    ("parser_nesting", _exact("parser error: nesting too deep (RecursionError)")),
    ("parser_error", r"parser error: (?P<error>.+)"),
    ("path_too_long", r"the file's path is too long to fit the model's (?P<tokens>\d+) tokens"),
    ("cannot_cut", _exact("could not cut the text into pieces that fit the model's input")),
    ("pdf_no_text", _exact("PDF has no extractable text (scanned images?)")),
    ("pdf_unreadable", r"unreadable PDF: (?P<error>.+)"),
    ("pdf_pages", r"PDF has (?P<pages>\d+) pages, more than the (?P<max>\d+) indexed"),
    ("pdf_text", rf"PDF holds more than (?P<chars>{_NUM}) characters of text"),
    ("pdf_slow", rf"PDF text extraction took longer than (?P<seconds>{_DEC}) s"),
    ("pdf_encrypted_no_crypto", _exact("encrypted PDF (needs the 'cryptography' package to open)")),
    ("pdf_encrypted", _exact("encrypted PDF")),
    ("docx_unreadable", r"unreadable DOCX: (?P<error>.+)"),
    ("docx_damaged_zip", _exact("not a valid DOCX file (damaged zip)")),
    ("docx_parts", r"DOCX has (?P<parts>\d+) parts, more than (?P<max>\d+) \(zip bomb\?\)"),
    ("docx_expands", r"DOCX expands to (?P<mb>\d+) MB \(zip bomb\?\)"),
    ("docx_part_expands", r"DOCX part (?P<part>.+) expands to (?P<mb>\d+) MB \(zip bomb\?\)"),
    ("docx_part_dtd", r"DOCX part (?P<part>.+) declares a DTD \(XML entity bomb\?\)"),
    ("docx_part_damaged", r"DOCX part (?P<part>.+) is damaged"),
)

_MODEL = r"(?P<model>\S+)"
_EVERY = r"(?P<every>every [\d.]+ (?:min|s))"
NOTICE_PATTERNS: tuple[tuple[str, str], ...] = (
    # engine.embedders / engine.model_resolution: the asked-for model could not be had.
    (
        "fallback_e5",
        rf"Using the bundled offline model {_MODEL}: (?P<wanted>\S+) is (?P<reason>.+)\. "
        r"For the best results run `kenning model download` while online, "
        r"or pass --model /path/to/Qwen3-Embedding-0\.6B",
    ),
    (
        "fallback_offline",
        rf"Using the bundled offline model {_MODEL}: (?P<wanted>\S+) is (?P<reason>.+)\. "
        r"For better results run `kenning model download` while online, "
        r"or pass --model /path/to/Qwen3-Embedding-0\.6B",
    ),
    (
        "e5_cannot_run",
        rf"Using the English-only {_MODEL}: (?P<e5>\S+) cannot run here \((?P<reason>.+)\)",
    ),
    ("offline_model", rf"Using the bundled offline model {_MODEL}"),
    # indexer.pipeline and engine.index_files
    (
        "switch_started",
        rf"Started re-embedding for {_MODEL} beside the current index; "
        r"search answers from (?P<old>\S+) until it is complete\.",
    ),
    (
        "switch_resumed",
        rf"Resuming re-embedding for {_MODEL} beside the current index; "
        r"search answers from (?P<old>\S+) until it is complete\.",
    ),
    (
        "switch_cancelled",
        rf"Cancelled the switch to another model: the index stays with {_MODEL}\.",
    ),
    ("chunker_changed", _exact("Re-indexing every file: the chunker changed.")),
    ("nested_folder", r"(?P<folder>.+) is already indexed as part of (?P<outer>.+)"),
    (
        "folder_unavailable",
        r"cannot read folder (?P<folder>.+?): (?:cannot read folder: )?(?P<error>.+); "
        r"keeping its index as it is",
    ),
    ("parsing_in_process", r"Parsing files in the indexer itself: (?P<error>.+)\."),
    (
        "database_damaged_moved",
        r"The index database was damaged \((?P<error>.+)\); moved it to (?P<moved>.+) "
        r"and started a full re-index\.",
    ),
    (
        "database_damaged",
        r"The index database was damaged \((?P<error>.+)\); it was already gone "
        r"and started a full re-index\.",
    ),
    ("switch_damaged", r"The new model's index was damaged \((?P<error>.+)\); started it again\."),
    # indexer.service
    ("folder_missing", r"Cannot read the folder (?P<folder>.+); it is skipped for now\."),
    ("indexer_crashed", r"The indexer stopped after an unexpected error: (?P<error>.+)"),
    ("watch_failed_all", r"Cannot watch the folders for changes: (?P<error>.+)"),
    ("update_failed", r"Updating the index failed: (?P<error>.+)"),
    ("index_failed", r"Indexing failed: (?P<error>.+)"),
    ("save_failed", r"Saving the vector index failed: (?P<error>.+)"),
    ("save_on_exit_failed", r"Saving the index on exit failed: (?P<error>.+)"),
    # indexer.watcher
    (
        "watch_limit",
        r"Cannot watch every folder in (?P<folder>.+): the inotify watch limit "
        r"\(fs\.inotify\.max_user_watches = (?P<limit>\S+)\) is reached, so it is rescanned "
        rf"{_EVERY}; raise it with `sudo sysctl fs\.inotify\.max_user_watches=524288` "
        r"\(and a file in /etc/sysctl\.d/ to keep it\)\.",
    ),
    (
        "watch_instances",
        r"Cannot watch (?P<folder>.+): the inotify instance limit "
        r"\(fs\.inotify\.max_user_instances = (?P<limit>\S+)\) is reached, so it is rescanned "
        rf"{_EVERY}; raise it with `sudo sysctl fs\.inotify\.max_user_instances=1024`\.",
    ),
    (
        "watch_failed",
        rf"Cannot watch (?P<folder>.+) \((?P<error>.+)\), so it is rescanned {_EVERY}\.",
    ),
    (
        "watch_overflow",
        r"Too many file changes at once: the inotify event queue "
        r"\(fs\.inotify\.max_queued_events = (?P<limit>\S+)\) overflowed; "
        r"rescanning the folders to catch up\.",
    ),
)

# Why a model could not be had (the ``reason`` of the fallback notices).
MODEL_REASON_PATTERNS: tuple[tuple[str, str], ...] = (
    ("not_downloaded", _exact("not downloaded")),
    (
        "downloads_off",
        _exact("not downloaded and Hugging Face downloads are off (HF_HUB_OFFLINE)"),
    ),
    ("download_failed", r"not downloaded and (?P<error>.+)"),
)

_COMPILED: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    name: tuple((code, re.compile(pattern, re.DOTALL)) for code, pattern in table)
    for name, table in (
        ("reason", REASON_PATTERNS),
        ("notice", NOTICE_PATTERNS),
        ("model_reason", MODEL_REASON_PATTERNS),
    )
}


def _classify(table: str, text: str | None) -> Coded | None:
    if not text:
        return None
    for code, pattern in _COMPILED[table]:
        match = pattern.fullmatch(text)
        if match is not None:
            params = {k: v for k, v in match.groupdict().items() if v is not None}
            return Coded(code, params)
    return None


def classify_reason(reason: str | None) -> Coded | None:
    """The code of a stored skip or failure reason (``files.reason``), or None if unknown."""
    return _classify("reason", reason)


def classify_notice(message: str | None) -> Coded | None:
    """The code of a notice or problem line from the indexer or the engine, or None."""
    return _classify("notice", message)


def classify_model_reason(reason: str | None) -> Coded | None:
    """The code of why a model could not be had (a fallback notice's ``reason``), or None."""
    return _classify("model_reason", reason)
