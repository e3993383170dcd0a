"""The indexer's and the engine's English lines, in the interface language.

The core never imports Qt, so it cannot translate: it gives English lines that
``indexer.message_codes`` turns into a code and parameters. Here each code has its sentence,
marked for Qt's translation system (context ``CodedText``). The English sentences are the
producers' own, so an English interface shows exactly what ``kenning status`` prints. A line
no code matches is shown as it is.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from indexer.message_codes import (
    Coded,
    classify_model_reason,
    classify_notice,
    classify_reason,
)

_CONTEXT = "CodedText"

REASON_TEXTS = {
    "secret": QT_TRANSLATE_NOOP("CodedText", "secret"),
    "secret_folder": QT_TRANSLATE_NOOP("CodedText", "secret folder"),
    "secret_private_key": QT_TRANSLATE_NOOP("CodedText", "secret: holds a private key"),
    "secret_service_account": QT_TRANSLATE_NOOP("CodedText", "secret: a cloud service-account key"),
    "generated_lockfile": QT_TRANSLATE_NOOP("CodedText", "generated file (lockfile)"),
    "generated_minified_name": QT_TRANSLATE_NOOP("CodedText", "generated file (minified)"),
    "generated_source_map": QT_TRANSLATE_NOOP("CodedText", "generated file (source map)"),
    "generated_marked": QT_TRANSLATE_NOOP("CodedText", "generated file (marked {marker})"),
    "minified_long_line": QT_TRANSLATE_NOOP(
        "CodedText", "generated or minified file (a line of {chars} characters)"
    ),
    "minified_long_lines": QT_TRANSLATE_NOOP(
        "CodedText", "generated or minified file (lines of {chars} characters on average)"
    ),
    "repetitive": QT_TRANSLATE_NOOP(
        "CodedText", "repetitive content ({chunks} chunks, {distinct} distinct)"
    ),
    "capped": QT_TRANSLATE_NOOP(
        "CodedText", "capped: the first {kept} of {total} chunks are indexed"
    ),
    "too_large": QT_TRANSLATE_NOOP(
        "CodedText", "larger than the size cap ({size} MB > {limit} MB)"
    ),
    "binary": QT_TRANSLATE_NOOP("CodedText", "binary file"),
    "not_regular": QT_TRANSLATE_NOOP("CodedText", "not a regular file (device, socket or pipe)"),
    "broken_link": QT_TRANSLATE_NOOP("CodedText", "broken symbolic link"),
    "link_loop": QT_TRANSLATE_NOOP("CodedText", "symbolic link loop"),
    "bad_folder_name": QT_TRANSLATE_NOOP("CodedText", "folder name is not valid UTF-8"),
    "bad_file_name": QT_TRANSLATE_NOOP("CodedText", "file name is not valid UTF-8"),
    "permission_denied": QT_TRANSLATE_NOOP("CodedText", "permission denied"),
    "folder_unreadable": QT_TRANSLATE_NOOP("CodedText", "cannot read folder: {error}"),
    "file_unreadable": QT_TRANSLATE_NOOP("CodedText", "cannot read file: {error}"),
    "read_retrying": QT_TRANSLATE_NOOP(
        "CodedText", "cannot read: {error} (retried on every run and on any change)"
    ),
    "read_failed": QT_TRANSLATE_NOOP("CodedText", "cannot read: {error}"),
    "parse_timeout_retrying": QT_TRANSLATE_NOOP(
        "CodedText",
        "parsing took longer than {seconds} s (stopped) (will retry: attempt {attempt} of "
        "{attempts})",
    ),
    "parse_timeout_failed": QT_TRANSLATE_NOOP(
        "CodedText",
        "parsing took longer than {seconds} s (stopped); ran out of time in {runs} runs",
    ),
    "parser_cpu": QT_TRANSLATE_NOOP("CodedText", "the parser used too much CPU time (stopped)"),
    "parser_crashed": QT_TRANSLATE_NOOP("CodedText", "the parser crashed ({signal})"),
    "parser_exited": QT_TRANSLATE_NOOP(
        "CodedText", "the parser process exited with status {status}"
    ),
    "parser_silent": QT_TRANSLATE_NOOP("CodedText", "the parser process stopped answering"),
    "parser_memory_capped": QT_TRANSLATE_NOOP(
        "CodedText", "the parser ran out of memory (capped at {gib} GiB)"
    ),
    "parser_memory": QT_TRANSLATE_NOOP("CodedText", "the parser ran out of memory"),
    "parser_nesting": QT_TRANSLATE_NOOP(
        "CodedText", "parser error: nesting too deep (RecursionError)"
    ),
    "parser_error": QT_TRANSLATE_NOOP("CodedText", "parser error: {error}"),
    "path_too_long": QT_TRANSLATE_NOOP(
        "CodedText", "the file's path is too long to fit the model's {tokens} tokens"
    ),
    "cannot_cut": QT_TRANSLATE_NOOP(
        "CodedText", "could not cut the text into pieces that fit the model's input"
    ),
    "pdf_no_text": QT_TRANSLATE_NOOP("CodedText", "PDF has no extractable text (scanned images?)"),
    "pdf_unreadable": QT_TRANSLATE_NOOP("CodedText", "unreadable PDF: {error}"),
    "pdf_pages": QT_TRANSLATE_NOOP(
        "CodedText", "PDF has {pages} pages, more than the {max} indexed"
    ),
    "pdf_text": QT_TRANSLATE_NOOP("CodedText", "PDF holds more than {chars} characters of text"),
    "pdf_slow": QT_TRANSLATE_NOOP("CodedText", "PDF text extraction took longer than {seconds} s"),
    "pdf_encrypted_no_crypto": QT_TRANSLATE_NOOP(
        "CodedText", "encrypted PDF (needs the 'cryptography' package to open)"
    ),
    "pdf_encrypted": QT_TRANSLATE_NOOP("CodedText", "encrypted PDF"),
    "docx_unreadable": QT_TRANSLATE_NOOP("CodedText", "unreadable DOCX: {error}"),
    "docx_damaged_zip": QT_TRANSLATE_NOOP("CodedText", "not a valid DOCX file (damaged zip)"),
    "docx_parts": QT_TRANSLATE_NOOP(
        "CodedText", "DOCX has {parts} parts, more than {max} (zip bomb?)"
    ),
    "docx_expands": QT_TRANSLATE_NOOP("CodedText", "DOCX expands to {mb} MB (zip bomb?)"),
    "docx_part_expands": QT_TRANSLATE_NOOP(
        "CodedText", "DOCX part {part} expands to {mb} MB (zip bomb?)"
    ),
    "docx_part_dtd": QT_TRANSLATE_NOOP(
        "CodedText", "DOCX part {part} declares a DTD (XML entity bomb?)"
    ),
    "docx_part_damaged": QT_TRANSLATE_NOOP("CodedText", "DOCX part {part} is damaged"),
}

NOTICE_TEXTS = {
    "fallback_e5": QT_TRANSLATE_NOOP(
        "CodedText",
        "Using the bundled offline model {model}: {wanted} is {reason}. For the best results "
        "run `kenning model download` while online, or pass --model "
        "/path/to/Qwen3-Embedding-0.6B",
    ),
    "fallback_offline": QT_TRANSLATE_NOOP(
        "CodedText",
        "Using the bundled offline model {model}: {wanted} is {reason}. For better results "
        "run `kenning model download` while online, or pass --model "
        "/path/to/Qwen3-Embedding-0.6B",
    ),
    "e5_cannot_run": QT_TRANSLATE_NOOP(
        "CodedText", "Using the English-only {model}: {e5} cannot run here ({reason})"
    ),
    "offline_model": QT_TRANSLATE_NOOP("CodedText", "Using the bundled offline model {model}"),
    "switch_started": QT_TRANSLATE_NOOP(
        "CodedText",
        "Started re-embedding for {model} beside the current index; search answers from "
        "{old} until it is complete.",
    ),
    "switch_resumed": QT_TRANSLATE_NOOP(
        "CodedText",
        "Resuming re-embedding for {model} beside the current index; search answers from "
        "{old} until it is complete.",
    ),
    "switch_cancelled": QT_TRANSLATE_NOOP(
        "CodedText", "Cancelled the switch to another model: the index stays with {model}."
    ),
    "chunker_changed": QT_TRANSLATE_NOOP(
        "CodedText", "Re-indexing every file: the chunker changed."
    ),
    "nested_folder": QT_TRANSLATE_NOOP(
        "CodedText", "{folder} is already indexed as part of {outer}"
    ),
    "folder_unavailable": QT_TRANSLATE_NOOP(
        "CodedText", "cannot read folder {folder}: {error}; keeping its index as it is"
    ),
    "parsing_in_process": QT_TRANSLATE_NOOP(
        "CodedText", "Parsing files in the indexer itself: {error}."
    ),
    "database_damaged_moved": QT_TRANSLATE_NOOP(
        "CodedText",
        "The index database was damaged ({error}); moved it to {moved} and started a full "
        "re-index.",
    ),
    "database_damaged": QT_TRANSLATE_NOOP(
        "CodedText",
        "The index database was damaged ({error}); it was already gone and started a full "
        "re-index.",
    ),
    "switch_damaged": QT_TRANSLATE_NOOP(
        "CodedText", "The new model's index was damaged ({error}); started it again."
    ),
    "folder_missing": QT_TRANSLATE_NOOP(
        "CodedText", "Cannot read the folder {folder}; it is skipped for now."
    ),
    "indexer_crashed": QT_TRANSLATE_NOOP(
        "CodedText", "The indexer stopped after an unexpected error: {error}"
    ),
    "watch_failed_all": QT_TRANSLATE_NOOP(
        "CodedText", "Cannot watch the folders for changes: {error}"
    ),
    "update_failed": QT_TRANSLATE_NOOP("CodedText", "Updating the index failed: {error}"),
    "index_failed": QT_TRANSLATE_NOOP("CodedText", "Indexing failed: {error}"),
    "save_failed": QT_TRANSLATE_NOOP("CodedText", "Saving the vector index failed: {error}"),
    "save_on_exit_failed": QT_TRANSLATE_NOOP(
        "CodedText", "Saving the index on exit failed: {error}"
    ),
    "watch_limit": QT_TRANSLATE_NOOP(
        "CodedText",
        "Cannot watch every folder in {folder}: the inotify watch limit "
        "(fs.inotify.max_user_watches = {limit}) is reached, so it is rescanned {every}; raise "
        "it with `sudo sysctl fs.inotify.max_user_watches=524288` (and a file in "
        "/etc/sysctl.d/ to keep it).",
    ),
    "watch_instances": QT_TRANSLATE_NOOP(
        "CodedText",
        "Cannot watch {folder}: the inotify instance limit (fs.inotify.max_user_instances = "
        "{limit}) is reached, so it is rescanned {every}; raise it with `sudo sysctl "
        "fs.inotify.max_user_instances=1024`.",
    ),
    "watch_failed": QT_TRANSLATE_NOOP(
        "CodedText", "Cannot watch {folder} ({error}), so it is rescanned {every}."
    ),
    "watch_overflow": QT_TRANSLATE_NOOP(
        "CodedText",
        "Too many file changes at once: the inotify event queue "
        "(fs.inotify.max_queued_events = {limit}) overflowed; rescanning the folders to catch "
        "up.",
    ),
}

MODEL_REASON_TEXTS = {
    "not_downloaded": QT_TRANSLATE_NOOP("CodedText", "not downloaded"),
    "downloads_off": QT_TRANSLATE_NOOP(
        "CodedText", "not downloaded and Hugging Face downloads are off (HF_HUB_OFFLINE)"
    ),
    "download_failed": QT_TRANSLATE_NOOP("CodedText", "not downloaded and {error}"),
}


def _render(coded: Coded | None, texts: dict[str, str], original: str) -> str:
    if coded is None or coded.code not in texts:
        return original
    params = dict(coded.params)
    if "every" in params:
        params["every"] = _every_text(params["every"])
    if coded.code.startswith("fallback_") and "reason" in params:
        params["reason"] = model_reason_text(params["reason"])
    template = QCoreApplication.translate(_CONTEXT, texts[coded.code])
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):  # a broken translation must not hide the line
        return original


def _every_text(every: str) -> str:
    """``every 5 min`` / ``every 30 s`` (the watcher's rescan interval), translated."""
    _, number, unit = every.split(" ", 2)
    if unit == "min":
        return QCoreApplication.translate("CodedText", "every {minutes} min").format(minutes=number)
    return QCoreApplication.translate("CodedText", "every {seconds} s").format(seconds=number)


def reason_text(reason: str) -> str:
    """A stored skip or failure reason in the interface language."""
    return _render(classify_reason(reason), REASON_TEXTS, reason)


def notice_text(message: str) -> str:
    """A notice or problem line from the indexer or the engine in the interface language."""
    coded = classify_notice(message)
    if coded is None:
        # The service joins the notices given while the model loads with a space (a
        # fallback and the start of a model switch): translate each one it can recognise,
        # the longest first ("Using the bundled offline model X" begins a longer notice).
        for cut in reversed([i for i, char in enumerate(message) if char == " "]):
            if classify_notice(message[:cut]) is not None:
                return f"{notice_text(message[:cut])} {notice_text(message[cut + 1 :])}"
    return _render(coded, NOTICE_TEXTS, message)


def model_reason_text(reason: str) -> str:
    """Why a model could not be had ("not downloaded …") in the interface language."""
    return _render(classify_model_reason(reason), MODEL_REASON_TEXTS, reason)
