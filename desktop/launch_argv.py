"""Argument lists for the programs a hit opens in: presets, custom templates, the opener.

Shared by desktop/editor_launch.py (a file at a line and column) and
desktop/viewer_launch.py (a document at a page). Every command is an argument list handed
to :class:`subprocess.Popen` without a shell, so a file named ``a "b" $(rm -rf ~).py`` is
just a file name; a custom template is split into arguments *before* ``{path}`` and the
position (``{line}``, ``{column}``, ``{page}``) are substituted, for the same reason.
``what`` names the kind of program in the user's messages (``"editor"``,
``"document viewer"``). No Qt here.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from engine.errors import KenningError

Which = Callable[[str], str | None]


class EditorLaunchError(KenningError):
    """The editor (or document viewer) could not be started."""


@dataclass(frozen=True, slots=True)
class Preset:
    """A program Kenning knows: executables tried in order, then its argument template."""

    id: str
    label: str
    executables: tuple[str, ...]
    args: tuple[str, ...]


def fill(tokens: Sequence[str], path: str, position: Mapping[str, int]) -> list[str]:
    """``tokens`` with ``{name}`` for each position value and ``{path}`` substituted."""
    out = []
    for token in tokens:
        # str.replace, not str.format, because a path may contain braces; {path} goes last
        # so a path holding "{line}" is not substituted again.
        for name, value in position.items():
            token = token.replace(f"{{{name}}}", str(value))
        out.append(token.replace("{path}", path))
    return out


def find_executable(executables: Sequence[str], which: Which) -> str | None:
    """The first of ``executables`` on PATH."""
    for name in executables:
        found = which(name)
        if found:
            return found
    return None


def installed_executable(preset: Preset, what: str, which: Which) -> str:
    """The preset's executable, or a one-line error naming what was looked for."""
    exe = find_executable(preset.executables, which)
    if exe is None:
        raise EditorLaunchError(
            f"{preset.label} is not installed (looked for {', '.join(preset.executables)} on "
            f"PATH); pick another {what} in Settings"
        )
    return exe


def custom_command(
    template: str, path: str, position: Mapping[str, int], what: str, which: Which
) -> list[str]:
    """The user's own command line, with ``{path}`` appended when it does not name it."""
    try:
        tokens = shlex.split(template)
    except ValueError as exc:
        raise EditorLaunchError(f"the custom {what} command cannot be parsed: {exc}") from exc
    if not tokens:
        raise EditorLaunchError(f"the custom {what} command is empty; set one in Settings")
    if not any("{path}" in t for t in tokens):
        tokens.append("{path}")
    exe = tokens[0] if os.sep in tokens[0] else which(tokens[0])
    if not exe or not os.access(exe, os.X_OK):
        raise EditorLaunchError(
            f"{what} command {tokens[0]!r} was not found or is not executable; "
            "check Settings > Editor"
        )
    return [exe, *fill(tokens[1:], path, position)]


def system_opener(which: Which) -> list[str] | None:
    """The platform's "open with the default application" command, as an argument prefix."""
    if sys.platform == "darwin":
        return ["open"]
    if sys.platform == "win32":
        return None  # os.startfile, see editor_launch.launch()
    for name in ("xdg-open", "gio"):
        exe = which(name)
        if exe:
            return [exe, "open"] if name == "gio" else [exe]
    return None


def system_command(path: str, what: str, which: Which) -> list[str]:
    """Open ``path`` in the desktop's default application for it."""
    opener = system_opener(which)
    if opener is not None:
        return [*opener, path]
    if sys.platform == "win32":
        return ["start", path]  # marker for editor_launch.launch(): handled by os.startfile
    article = "an" if what[0] in "aeiou" else "a"
    raise EditorLaunchError(
        f"no default opener (xdg-open) found; pick {article} {what} in Settings"
    )
