"""Command-line entries that reach a running desktop app: ``kenning show`` and the
``kenning index`` hand-off. Qt is imported only when ``show`` has to start the app."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.instance_client import ask_to_show, hand_off_folders
from engine.errors import KenningError


def register_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="bring the search window forward (starts the app when it is not running)",
        description="Raise the running Kenning window, or start the desktop app. Bind this "
        "command to a key in your desktop's keyboard settings for a global search hotkey "
        "(the app registers one itself where the desktop offers the GlobalShortcuts portal).",
    )
    p.add_argument("--data-dir", type=Path, default=None, help="the app's index location")
    p.set_defaults(func=cmd_show)


def cmd_show(args: argparse.Namespace) -> int:
    from desktop.cli_common import data_dir_from

    if ask_to_show(data_dir_from(args)):
        return 0
    from desktop.app import run_app
    from desktop.cli import build_parser

    app_argv = ["--data-dir", str(args.data_dir)] if args.data_dir else []
    return run_app(build_parser().parse_args(app_argv))


def hand_off_index(
    data_dir: Path, roots: list[Path], args: argparse.Namespace | None = None
) -> int | None:
    """When the app runs on ``data_dir``, give it ``roots`` and return the exit status;
    None when no app runs (or it is not ready), so ``kenning index`` indexes by itself."""
    answer = hand_off_folders(data_dir, [r.expanduser().resolve() for r in roots])
    if answer is None or answer.message.startswith("busy"):
        return None
    if not answer.ok:
        raise KenningError(f"the running Kenning app refused the folders: {answer.message}")
    # One line: what happened and where to follow it, instead of a progress bar here.
    model_options = ("model", "server_url", "device", "dimensions")
    given = [o for o in model_options if args is not None and getattr(args, o, None)]
    ignored = (
        f"; it uses its own model, so --{given[0].replace('_', '-')} is ignored" if given else ""
    )
    print(
        f"kenning: {answer.message} (it keeps them fresh; follow it in its window or with "
        f"`kenning status`{ignored})",
        file=sys.stderr,
    )
    return 0
