"""The ``kenning`` command: the headless contract in DESIGN.md, and the desktop app with no
arguments. Qt is imported only when the desktop app starts."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path

from desktop.cli_common import (
    add_common_options,
    data_dir_from,
    embedder_from,
    notice,
    recorded_model,
)
from desktop.cli_errors import check_writable_data_dir, one_line
from desktop.cli_rerank import add_rerank_options, reranker_from
from engine.errors import IndexDamagedError, KenningError
from engine.types import Embedder, SearchFilters

log = logging.getLogger("kenning")

VERSION = "0.1.0"


# ---------------------------------------------------------------------- index
class _ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self._width = 28

    def __call__(self, p: object) -> None:
        if not self.enabled:
            return
        from indexer.pipeline import Progress

        assert isinstance(p, Progress)
        if p.phase == "scanning":
            line = "scanning…"
        elif p.phase == "saving":
            line = "saving the vector index…"
        else:
            total = max(p.files_total, 1)
            filled = int(self._width * min(p.files_done / total, 1.0))
            bar = "#" * filled + "." * (self._width - filled)
            eta = f"ETA {_clock(p.eta_s)}" if p.eta_s is not None and p.phase != "done" else ""
            line = (
                f"[{bar}] {p.files_done}/{p.files_total} files, {p.chunks_done} chunks, "
                f"{p.files_per_s:.1f} files/s {eta}"
            )
        print("\r\033[K" + line[:150], end="", file=sys.stderr, flush=True)
        if p.phase == "done":
            print(file=sys.stderr)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def cmd_index(args: argparse.Namespace) -> int:
    from indexer.pipeline import Pipeline

    roots = [Path(p) for p in args.paths]
    for root in roots:  # fail before loading a model
        if not root.exists():
            raise KenningError(f"no such folder: {root}")
        if not root.is_dir():
            raise KenningError(f"not a folder: {root} (index the folder that contains it)")
    data_dir = data_dir_from(args)
    from desktop.running_app_cli import hand_off_index

    # The desktop app owns this index while it runs: it indexes the folders, not us.
    handed = hand_off_index(data_dir, roots, args)
    if handed is not None:
        return handed
    check_writable_data_dir(data_dir)
    try:
        previous = recorded_model(data_dir)
    except IndexDamagedError:
        previous = None  # the pipeline moves the damaged database aside and says so
    from engine.index_files import pending_switch

    switch = pending_switch(data_dir)
    if switch is not None:
        # A model switch was interrupted: without --model, finish it rather than cancel it.
        previous = (str(switch["model"]), int(switch["dim"]))  # type: ignore[call-overload]
    # Lazy: re-running over an unchanged tree answers in about a second, without the model.
    embedder = embedder_from(args, default_model=previous[0] if previous else None, lazy=True)
    pipeline = Pipeline(data_dir, embedder, on_notice=notice, what="kenning index")
    try:
        report = pipeline.index(roots, on_progress=_ProgressBar())
    except BaseException:
        # The run's own error is the one to report: closing saves the vector index, which
        # fails too on a full disk and would otherwise hide "database or disk is full".
        try:
            pipeline.close()
        except Exception:
            log.debug("closing after a failed run failed too", exc_info=True)
        raise
    pipeline.close()
    from indexer.memory_trim import release_freed_memory

    release_freed_memory()
    print(
        f"Indexed {report.files_indexed} files ({report.chunks_added} chunks, "
        f"{report.chunks_embedded} embedded) in {report.elapsed_s:.1f} s; "
        f"{report.files_unchanged} unchanged, {report.files_removed} removed, "
        f"{report.files_skipped} skipped, {report.files_failed} failed"
        f"{f', {report.files_retrying} to retry' if report.files_retrying else ''}. "
        f"Model: {embedder.model_id} ({embedder.dim}-dim, {_device_note(embedder)}).",
        file=sys.stderr,
    )
    return 0


def _device_note(embedder: Embedder) -> str:
    if not getattr(embedder, "loaded", True):
        return "not loaded: nothing to embed"
    return embedder.device


# --------------------------------------------------------------------- search
def _read_queries(args: argparse.Namespace) -> list[str]:
    if args.queries_file is not None:
        if args.query:
            raise KenningError("give either a QUERY or --queries-file, not both")
        try:
            if str(args.queries_file) == "-":
                text = sys.stdin.read()
            else:
                text = Path(args.queries_file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KenningError(f"no such queries file: {args.queries_file}") from None
        except UnicodeDecodeError:
            raise KenningError(f"the queries file is not UTF-8 text: {args.queries_file}") from None
        except OSError as exc:
            raise KenningError(f"cannot read {args.queries_file}: {exc.strerror}") from None
        # Blank lines are separators, not queries.
        queries = [line.strip() for line in text.splitlines() if line.strip()]
        if not queries:
            raise KenningError(f"the queries file has no queries: {args.queries_file}")
        return queries
    if args.query is None or not args.query.strip():
        raise KenningError("the query is empty: give a QUERY or --queries-file FILE")
    return [args.query]


def cmd_search(args: argparse.Namespace) -> int:
    from desktop.search_output import answer, print_grouped, use_colour
    from engine.query_checks import check_query
    from engine.query_syntax import parse_query
    from engine.search import Searcher

    queries = _read_queries(args)
    for query in queries:
        # A query too long (or with a NUL) and a syntax mistake are reported before the
        # model loads, in one line each.
        check_query(query)
        parse_query(query)
    if args.limit < 1:
        raise KenningError("--limit must be at least 1")
    if args.per_file is not None and args.per_file < 1:
        raise KenningError("--per-file must be at least 1")
    data_dir = data_dir_from(args)
    recorded = recorded_model(data_dir)
    if recorded is None:
        raise KenningError(f"no index at {data_dir}: run `kenning index PATH` first")
    embedder = None
    if args.mode != "lexical":
        embedder = embedder_from(args, default_model=recorded[0])
    filters = SearchFilters(
        path_glob=args.path,
        language=args.lang,
        kind=args.kind,
        folder=str(Path(args.folder).expanduser().resolve()) if args.folder else None,
    )
    reranker, rerank_policy = reranker_from(args)
    searcher = Searcher(data_dir, embedder)
    colour = use_colour(sys.stdout)
    try:
        for query in queries:
            ans = answer(
                searcher,
                query,
                mode=args.mode,
                limit=args.limit,
                filters=filters,
                per_file=args.per_file,
                # Programs get every result with its raw parts and decide themselves.
                floor=not (args.no_floor or args.json),
                reranker=reranker,
                rerank_policy=rerank_policy,
            )
            if args.json:
                line = {"query": query, "results": [r.to_json() for r in ans.results]}
                print(json.dumps(line, ensure_ascii=False), flush=True)
            else:
                print_grouped(ans, args.mode, multiple=len(queries) > 1, colour=colour)
    finally:
        searcher.close()
    return 0


# --------------------------------------------------------------------- status
def cmd_status(args: argparse.Namespace) -> int:
    from engine.store import DB_NAME, Store
    from engine.vector_index import HEADER_NAME

    data_dir = data_dir_from(args)
    if not (data_dir / DB_NAME).exists():
        raise KenningError(f"no index at {data_dir}: run `kenning index PATH` first")
    store = Store.open(data_dir, readonly=True)
    try:
        stats = store.stats()
        problems = store.problem_files()
    finally:
        store.close()
    header_path = data_dir / HEADER_NAME
    vectors: dict[str, object] = {}
    if header_path.exists():
        try:
            header = json.loads(header_path.read_text())
            vectors = {
                "count": header.get("count"),
                "generation": header.get("generation"),
                # The saved index reflects the store's points (not every chunk change).
                "current": header.get("generation") == stats["points_generation"]
                and header.get("model") == stats["model"],
            }
        except ValueError:
            vectors = {"damaged": True}
    from engine.index_files import pending_switch

    switch = pending_switch(data_dir)
    stats.update({"data_dir": str(data_dir), "vector_index": vectors, "switching": switch})
    if args.json:
        stats["problems"] = [{"path": p, "status": s, "reason": r} for p, s, r in problems]
        print(json.dumps(stats, ensure_ascii=False))
        return 0
    print(f"Index:    {data_dir}")
    print(f"Model:    {stats['model']} ({stats['dim']}-dim)")
    print(f"Folders:  {', '.join(stats['folders']) or '(none)'}")  # type: ignore[arg-type]
    print(
        f"Files:    {stats['files_indexed']} indexed, {stats['files_skipped']} skipped, "
        f"{stats['files_failed']} failed, {stats['files_pending']} pending"
    )
    print(f"Chunks:   {stats['chunks']}")
    if switch is not None:
        print(
            f"Switching: to {switch['model']} ({switch['dim']}-dim), {switch['chunks']} chunks "
            "re-embedded so far; search answers from the model above until it is complete"
        )
    if vectors:
        state = "current" if vectors.get("current") else "stale (rebuilt on next use)"
        print(f"Vectors:  {vectors.get('count')} ({state})")
    for path, status, reason in problems[:20]:
        print(f"  {status}: {path}: {reason}")
    if len(problems) > 20:
        print(f"  … and {len(problems) - 20} more (kenning status --json lists all)")
    return 0


# ---------------------------------------------------------------------- model
def cmd_model_download(args: argparse.Namespace) -> int:
    from engine.model_resolution import DEFAULT_MODEL, download_model

    name = args.name or DEFAULT_MODEL
    started = time.monotonic()
    path = download_model(name, on_progress=None, endpoint=args.hf_endpoint)
    print(f"{name} is ready at {path} ({time.monotonic() - started:.0f} s)")
    return 0


# --------------------------------------------------------------------- parser
SEARCH_SYNTAX_HELP = """query syntax (combine with free text):
  path:src/*.py      only files whose path matches (path:src = anywhere under src)
  lang:go            only this language
  kind:code          only code; kind:text only documents
  "exact phrase"     results must contain the phrase (any case)
  -word              results must not contain the word; -"two words" for a phrase
  e.g. kenning search 'retry the upload lang:python -test'

Results are grouped by file, best file first; colours only on a terminal (NO_COLOR=1 turns
them off). Results far below the best are dropped (--no-floor keeps them). --json keeps
every result and adds the raw parts of each score: similarity, lexical_rank, semantic_rank."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kenning",
        description="Local semantic search over your files and code. "
        "Without a command, starts the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"kenning {VERSION}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    # Without a command these reach the desktop app: the same options, the same meaning.
    app_options = parser.add_argument_group("desktop app (no COMMAND)")
    app_options.add_argument("--hidden", action="store_true", help="start in the tray")
    add_common_options(app_options)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "index",
        help="index folders (incrementally)",
        description="Index folders incrementally. When the desktop app is running on the same "
        "index, the folders are handed to it (it indexes and watches them) instead.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="folders to index")
    add_common_options(p)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser(
        "search",
        help="search the index",
        epilog=SEARCH_SYNTAX_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", nargs="?", help="what you are looking for (syntax below)")
    p.add_argument("--limit", type=int, default=10, help="results per query (default 10)")
    p.add_argument("--mode", choices=["hybrid", "semantic", "lexical"], default="hybrid")
    p.add_argument("--json", action="store_true", help="one JSON object per query")
    p.add_argument("--queries-file", type=Path, help="one query per line ('-' for stdin)")
    p.add_argument("--path", help="only paths matching this glob, e.g. '*.py' or 'src/*'")
    p.add_argument("--lang", help="only this language, e.g. python, markdown")
    p.add_argument("--kind", choices=["code", "text"], help="only code or only documents")
    p.add_argument("--folder", help="only results under this indexed folder")
    p.add_argument(
        "--per-file", type=int, metavar="N", help="at most N hits of one file (default: all)"
    )
    p.add_argument(
        "--no-floor",
        action="store_true",
        help="keep results far below the best one (dropped by default, except with --json)",
    )
    add_common_options(p)
    add_rerank_options(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("status", help="what the index holds")
    p.add_argument("--json", action="store_true")
    add_common_options(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("model", help="manage embedding models")
    model_sub = p.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    d = model_sub.add_parser("download", help="download a model (default Qwen3-Embedding-0.6B)")
    d.add_argument("name", nargs="?", help="Hugging Face model id")
    d.add_argument(
        "--hf-endpoint",
        default=None,
        metavar="URL",
        help="Hugging Face mirror, e.g. https://hf-mirror.com (default: $HF_ENDPOINT)",
    )
    d.set_defaults(func=cmd_model_download)

    _register_optional(sub)
    parser.set_defaults(commands=set(sub.choices))
    return parser


def _register_optional(sub: argparse._SubParsersAction) -> None:
    """Subcommands whose modules register themselves (serve, mcp, install-desktop)."""
    from desktop.cli_folders import register_cli as register_folders
    from desktop.desktop_integration import register_cli as register_desktop
    from desktop.running_app_cli import register_cli as register_show
    from desktop.serve_cli import register_cli as register_serve
    from desktop.watch_cli import register_cli as register_watch

    register_serve(sub)
    register_desktop(sub)
    register_folders(sub)
    register_watch(sub)
    register_show(sub)


def _check_option_order(parser: argparse.ArgumentParser, argv: list[str], command: str) -> None:
    """Refuse ``kenning --data-dir X search q``: argparse would drop X for the command's
    own default without a word, and the search would run on another index."""
    before = argv[: argv.index(command)] if command in argv else []
    misplaced = [a for a in before if a.startswith("-") and a not in ("-v", "--verbose")]
    if misplaced:
        parser.error(f"put {misplaced[0]} after the command: kenning {command} ... {misplaced[0]}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from desktop.app import run_app

        return run_app(args)
    _check_option_order(parser, argv, args.command)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="kenning: %(levelname)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except KenningError as exc:
        print(f"kenning: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as exc:
        if isinstance(exc, BrokenPipeError):
            # `kenning search ... | head` closed the pipe: not an error.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        log.debug("command failed", exc_info=True)
        print(f"kenning: error: {one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kenning: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
