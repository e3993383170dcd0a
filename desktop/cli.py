"""The ``kenning`` command: the headless contract in DESIGN.md, and the desktop app with no
arguments. Qt is imported only when the desktop app starts."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from desktop.cli_common import add_common_options, data_dir_from
from engine.errors import IndexDamagedError, KenningError
from engine.types import Embedder, SearchFilters

log = logging.getLogger("kenning")

VERSION = "0.1.0"


# ------------------------------------------------------------------ embedders
def _notice(message: str) -> None:
    print(f"kenning: {message}", file=sys.stderr)


def recorded_model(data_dir: Path) -> tuple[str, int] | None:
    """The (model id, dim) an existing index was built with, if any."""
    from engine.store import DB_NAME, Store

    if not (data_dir / DB_NAME).exists():
        return None
    store = Store.open(data_dir, readonly=True)
    try:
        return store.model_info()
    finally:
        store.close()


def embedder_from(
    args: argparse.Namespace,
    *,
    default_model: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    lazy: bool = False,
) -> Embedder:
    """Build the embedder the options ask for; ``default_model`` when --model is absent.

    ``lazy``: a local model is loaded only when something needs embedding.
    """
    from engine.embedders import load_embedder

    api_key = args.api_key or os.environ.get("KENNING_API_KEY")
    if args.server_url:
        return load_embedder(
            server_url=args.server_url,
            server_model=args.server_model or args.model or default_model,
            api_key=api_key,
            dimensions=args.dimensions,
            on_notice=_notice,
        )
    return load_embedder(
        args.model or default_model,
        device=args.device,
        dimensions=args.dimensions,
        on_notice=_notice,
        on_progress=on_progress,
        lazy=lazy,
    )


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
    try:
        previous = recorded_model(data_dir)
    except IndexDamagedError:
        previous = None  # the pipeline moves the damaged database aside and says so
    # Lazy: re-running over an unchanged tree answers in about a second, without the model.
    embedder = embedder_from(args, default_model=previous[0] if previous else None, lazy=True)
    pipeline = Pipeline(data_dir, embedder, on_notice=_notice)
    try:
        report = pipeline.index(roots, on_progress=_ProgressBar())
    finally:
        pipeline.close()
    print(
        f"Indexed {report.files_indexed} files ({report.chunks_added} chunks, "
        f"{report.chunks_embedded} embedded) in {report.elapsed_s:.1f} s; "
        f"{report.files_unchanged} unchanged, {report.files_removed} removed, "
        f"{report.files_skipped} skipped, {report.files_failed} failed. "
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
    from engine.query_syntax import parse_query
    from engine.search import Searcher

    queries = _read_queries(args)
    for query in queries:
        parse_query(query)  # a syntax mistake is reported before the model loads
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
                "current": header.get("generation") == stats["generation"],
            }
        except ValueError:
            vectors = {"damaged": True}
    stats.update({"data_dir": str(data_dir), "vector_index": vectors})
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
    path = download_model(name, on_progress=None)
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="index folders (incrementally)")
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
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("status", help="what the index holds")
    p.add_argument("--json", action="store_true")
    add_common_options(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("model", help="manage embedding models")
    model_sub = p.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    d = model_sub.add_parser("download", help="download a model (default Qwen3-Embedding-0.6B)")
    d.add_argument("name", nargs="?", help="Hugging Face model id")
    d.set_defaults(func=cmd_model_download)

    _register_optional(sub)
    parser.set_defaults(commands=set(sub.choices))
    return parser


def _register_optional(sub: argparse._SubParsersAction) -> None:
    """Subcommands whose modules register themselves (serve, mcp, install-desktop)."""
    from desktop.desktop_integration import register_cli as register_desktop
    from engine.serve.cli import register_cli as register_serve

    # The engine may not import desktop/, so the shared options are handed in.
    register_serve(
        sub,
        add_common_options=add_common_options,
        data_dir_from=data_dir_from,
        embedder_from=embedder_from,
    )
    register_desktop(sub)


def _is_app_launch(parser: argparse.ArgumentParser, argv: list[str]) -> bool:
    """True when no subcommand is named: ``kenning`` alone or with the app's own options."""
    if any(a in ("-h", "--help", "--version") for a in argv):
        return False
    commands = parser.get_default("commands") or set()
    return not any(a in commands for a in argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if _is_app_launch(parser, argv):
        # The desktop app parses its own options (--data-dir, --hidden, -v, ...).
        from desktop.app import run_app

        return run_app(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="kenning: %(levelname)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except KenningError as exc:
        print(f"kenning: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kenning: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `kenning search ... | head` closed the pipe: not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
