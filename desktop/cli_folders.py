"""``kenning folders [list|add|remove]``: the index's folder list, shared with the app.

The list is the index's own ``folders`` table (see ``indexer.folder_list``): the desktop app
shows and keeps every folder in it, so what is added or removed here is what the app indexes
on its next start.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from desktop.cli_common import add_common_options, data_dir_from
from engine.errors import KenningError


def cmd_folders_list(args: argparse.Namespace) -> int:
    from indexer.folder_list import indexed_folders

    folders = indexed_folders(data_dir_from(args))
    if args.json:
        print(json.dumps({"folders": [str(f) for f in folders]}, ensure_ascii=False))
        return 0
    if not folders:
        print("No folders indexed yet: `kenning folders add PATH` (or `kenning index PATH`).")
    for folder in folders:
        print(f"{folder}{'' if folder.is_dir() else '  (missing now)'}")
    return 0


def cmd_folders_add(args: argparse.Namespace) -> int:
    from desktop.cli import cmd_index

    return cmd_index(args)  # adding a folder is indexing it


def cmd_folders_remove(args: argparse.Namespace) -> int:
    from desktop.cli import embedder_from, recorded_model
    from indexer.folder_list import indexed_folders
    from indexer.pipeline import Pipeline

    data_dir = data_dir_from(args)
    known = indexed_folders(data_dir)
    targets = [Path(p).expanduser().resolve() for p in args.paths]
    unknown = [str(t) for t in targets if t not in known]
    if unknown:
        listed = ", ".join(str(k) for k in known) or "none"
        raise KenningError(f"not an indexed folder: {', '.join(unknown)} (indexed: {listed})")
    previous = recorded_model(data_dir)
    # Lazy: removing touches the store and the vector index, never the model.
    embedder = embedder_from(args, default_model=previous[0] if previous else None, lazy=True)
    pipeline = Pipeline(data_dir, embedder)
    try:
        for target in targets:
            pipeline.remove_root(target)
            print(f"Removed {target} from the index.", file=sys.stderr)
    finally:
        pipeline.close()
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("folders", help="list, add or remove indexed folders (shared with the app)")
    actions = p.add_subparsers(dest="folders_command", metavar="ACTION", required=True)
    a = actions.add_parser("list", help="the indexed folders")
    a.add_argument("--json", action="store_true")
    add_common_options(a)
    a.set_defaults(func=cmd_folders_list)
    a = actions.add_parser("add", help="index folders (as `kenning index`)")
    a.add_argument("paths", nargs="+", metavar="PATH")
    add_common_options(a)
    a.set_defaults(func=cmd_folders_add)
    a = actions.add_parser("remove", help="forget folders and everything indexed under them")
    a.add_argument("paths", nargs="+", metavar="PATH")
    add_common_options(a)
    a.set_defaults(func=cmd_folders_remove)
