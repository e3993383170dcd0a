"""Open document hits (PDF, DOCX...) in a document viewer, at the page where it can.

A PDF chunk's ``start_line`` is its 1-based page (indexer/chunk_pdf.py), so a PDF hit opens
in a viewer at that page: ``evince --page-index=N``, ``okular -p N``, ``zathura -P N``. A
DOCX chunk's "line" is a paragraph ordinal that no viewer can jump to, so DOCX opens at its
start in the user's default application. Code and plain text go to the editor
(desktop/editor_launch.py), never here.

``viewer = "auto"`` asks the desktop which application opens PDFs (``xdg-mime``); when it is
one of the presets, the page is passed, otherwise ``xdg-open`` opens the file. Commands are
argument lists run without a shell, like the editor's. No Qt here.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop import launch_argv
from desktop.editor_launch import launch
from desktop.launch_argv import EditorLaunchError, Preset, Which

log = logging.getLogger(__name__)

# Files that open in a document viewer rather than the editor (what the indexer's document
# chunkers read); the suffix decides, because the hit's ``kind`` is "text" for Markdown too.
DOCUMENT_SUFFIXES = frozenset({".pdf", ".docx"})
# Suffixes whose ``start_line`` is a page number a viewer can open at.
PAGED_SUFFIXES = frozenset({".pdf"})

DefaultApp = Callable[[str], str | None]  # MIME type -> desktop file id, e.g. "okular.desktop"


@dataclass(frozen=True, slots=True)
class ViewerPreset(Preset):
    """A viewer that takes a page: executables tried in order, then its arguments."""

    # Substrings of the desktop file ids of this viewer, for ``auto``.
    desktop_ids: tuple[str, ...]


VIEWERS: tuple[ViewerPreset, ...] = (
    ViewerPreset(
        "evince", "Evince (GNOME)", ("evince",), ("--page-index={page}", "{path}"), ("evince",)
    ),
    ViewerPreset("okular", "Okular (KDE)", ("okular",), ("-p", "{page}", "{path}"), ("okular",)),
    ViewerPreset("zathura", "Zathura", ("zathura",), ("-P", "{page}", "{path}"), ("zathura",)),
    ViewerPreset(
        "atril", "Atril (MATE)", ("atril",), ("--page-index={page}", "{path}"), ("atril",)
    ),
    ViewerPreset(
        "xreader",
        "Xreader (Cinnamon)",
        ("xreader",),
        ("--page-index={page}", "{path}"),
        ("xreader",),
    ),
)
VIEWER_IDS: tuple[str, ...] = ("auto", "system", *(v.id for v in VIEWERS), "custom")
_BY_ID = {v.id: v for v in VIEWERS}


def is_document(path: str | Path) -> bool:
    """True when a hit in ``path`` belongs in a document viewer, not the editor."""
    return Path(path).suffix.lower() in DOCUMENT_SUFFIXES


def xdg_default_app(mime: str, which: Which = shutil.which) -> str | None:
    """The desktop file id the desktop opens ``mime`` with, or None when it cannot say."""
    exe = which("xdg-mime")
    if not exe:
        return None
    try:
        done = subprocess.run(
            [exe, "query", "default", mime], capture_output=True, text=True, timeout=3, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def detect_viewer(which: Which = shutil.which, default_app: DefaultApp | None = None) -> str:
    """The viewer ``auto`` means: the desktop's PDF application when it takes a page, else
    ``system`` (the default application, at the first page)."""
    app = (default_app or (lambda mime: xdg_default_app(mime, which)))("application/pdf")
    if app:
        app = app.lower()
        for viewer in VIEWERS:
            if any(name in app for name in viewer.desktop_ids) and launch_argv.find_executable(
                viewer.executables, which
            ):
                return viewer.id
    return "system"


def build_viewer_command(
    viewer: str,
    path: str | Path,
    page: int = 1,
    *,
    template: str = "",
    which: Which = shutil.which,
    default_app: DefaultApp | None = None,
) -> list[str]:
    """The argument list that shows ``path`` (at ``page`` for a PDF) with ``viewer``.

    ``viewer`` is ``auto``, ``system``, a preset id or ``custom`` (``template`` such as
    ``myviewer --page {page} {path}``). Raises :class:`EditorLaunchError` with a one-line
    message for the user when the viewer is not installed.
    """
    path = str(Path(path).absolute())
    page = max(1, int(page)) if Path(path).suffix.lower() in PAGED_SUFFIXES else 1
    if viewer == "custom":
        return launch_argv.custom_command(template, path, {"page": page}, "document viewer", which)
    if viewer == "auto":
        viewer = detect_viewer(which, default_app)
    if viewer == "system":
        return launch_argv.system_command(path, "document viewer", which)
    try:
        chosen = _BY_ID[viewer]
    except KeyError:
        raise EditorLaunchError(f"unknown document viewer {viewer!r}") from None
    exe = launch_argv.installed_executable(chosen, "document viewer", which)
    return [exe, *launch_argv.fill(chosen.args, path, {"page": page})]


def open_in_viewer(
    viewer: str, path: str | Path, page: int = 1, *, template: str = ""
) -> subprocess.Popen[bytes] | None:
    return launch(build_viewer_command(viewer, path, page, template=template))
