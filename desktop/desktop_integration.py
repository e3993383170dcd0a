"""Linux desktop integration: the application-menu entry, its icons, and login autostart.

Files go where the freedesktop specifications say a user's own entries live, so no root is
needed and every desktop (GNOME, KDE, Xfce, ...) picks them up:

- ``$XDG_DATA_HOME/applications/<APP_ID>.desktop`` (Desktop Entry spec)
- ``$XDG_DATA_HOME/icons/hicolor/<n>x<n>/apps/<APP_ID>.png`` and ``.../scalable/apps/<APP_ID>.svg``
  (Icon Theme spec; the hicolor theme is every theme's fallback)
- ``$XDG_CONFIG_HOME/autostart/<APP_ID>.desktop`` (Desktop Application Autostart spec)

No Qt is imported here; the settings window and the CLI both call these functions.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from pathlib import Path

import resources
from engine.errors import KenningError

log = logging.getLogger(__name__)

EXECUTABLE_NAME = "kenning"
DESKTOP_FILE_NAME = f"{resources.APP_ID}.desktop"
AUTOSTART_ARGUMENT = "--hidden"  # desktop.app's "start in the tray" flag

# Characters that force an Exec argument into double quotes (Desktop Entry spec,
# "The Exec key"); inside the quotes these four must be backslash-escaped.
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_EXEC_ESCAPED_IN_QUOTES = '"`$\\'


class DesktopIntegrationError(KenningError):
    """The desktop entry could not be written or the executable could not be found."""


def _data_home(data_home: Path | None) -> Path:
    if data_home is not None:
        return Path(data_home)
    env = os.environ.get("XDG_DATA_HOME")
    # The spec says a relative value is invalid and must be ignored.
    if env and os.path.isabs(env):
        return Path(env)
    return Path.home() / ".local" / "share"


def _config_home(config_home: Path | None) -> Path:
    if config_home is not None:
        return Path(config_home)
    env = os.environ.get("XDG_CONFIG_HOME")
    if env and os.path.isabs(env):
        return Path(env)
    return Path.home() / ".config"


def find_executable() -> Path:
    """The absolute path of the installed ``kenning`` launcher that a menu entry should run.

    A PyInstaller bundle runs its own executable; an installed console script is found from
    ``sys.argv[0]``, then beside the running interpreter (a venv or pipx venv whose ``bin``
    is not on PATH), then on PATH.
    """
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve()
    candidates: list[Path] = []
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name in (EXECUTABLE_NAME, f"{EXECUTABLE_NAME}.exe"):
        candidates.append(argv0)
    candidates.append(Path(sys.executable).parent / EXECUTABLE_NAME)
    on_path = shutil.which(EXECUTABLE_NAME)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            # absolute() rather than resolve(): a pipx shim symlink keeps working when the
            # venv it points into is recreated on upgrade.
            return candidate.absolute()
    raise DesktopIntegrationError(
        "cannot find the installed 'kenning' executable; install Kenning with pip or pipx first"
    )


def quote_exec_argument(argument: str) -> str:
    """Quote one Exec argument per the Desktop Entry spec, including the string escaping
    the key's value itself gets (so a backslash ends up doubled twice)."""
    if "\n" in argument or "\r" in argument:
        raise DesktopIntegrationError(
            f"cannot put a path with a line break in a desktop entry: {argument!r}"
        )
    if argument and not any(ch in _EXEC_RESERVED for ch in argument):
        quoted = argument
    else:
        inner = "".join("\\" + ch if ch in _EXEC_ESCAPED_IN_QUOTES else ch for ch in argument)
        quoted = f'"{inner}"'
    # "%" introduces field codes, and the value is a string whose own escape is "\\".
    return quoted.replace("\\", "\\\\").replace("%", "%%")


def _escape_string_value(value: str) -> str:
    """Escape a plain string value (TryExec) per the spec's string type."""
    return value.replace("\\", "\\\\")


def render_desktop_entry(executable: Path, *, autostart: bool = False) -> str:
    """The desktop entry text for ``executable`` from the packaged template."""
    exe = str(executable)
    command = quote_exec_argument(exe)
    if autostart:
        # At login the app starts in the tray rather than opening its window.
        command += " " + AUTOSTART_ARGUMENT
    text = (
        resources.read_text(resources.DESKTOP_TEMPLATE)
        .replace("@EXEC@", command)
        .replace("@TRYEXEC@", _escape_string_value(exe))
        .replace("@ICON@", resources.APP_ID)
    )
    if autostart:
        # GNOME's switch for the entry in its "Startup Applications"; other desktops
        # honour the plain presence of the file and Hidden=.
        text += "X-GNOME-Autostart-enabled=true\n"
    return text


def _entry_paths(data_home: Path) -> list[tuple[Path, Path | None]]:
    """(target, packaged source) for every installed file; source None is the entry."""
    icons = data_home / "icons" / "hicolor"
    pairs: list[tuple[Path, Path | None]] = [(data_home / "applications" / DESKTOP_FILE_NAME, None)]
    for size in resources.ICON_SIZES:
        target = icons / f"{size}x{size}" / "apps" / f"{resources.APP_ID}.png"
        pairs.append((target, resources.icon_path(size)))
    pairs.append((icons / "scalable" / "apps" / f"{resources.APP_ID}.svg", resources.icon_path()))
    return pairs


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def install_desktop_entry(
    data_home: Path | None = None, *, executable: Path | None = None
) -> list[Path]:
    """Install the menu entry and hicolor icons under ``data_home`` (default $XDG_DATA_HOME).

    ``executable`` defaults to :func:`find_executable`. Returns the files written; running it
    again overwrites them, so it also repairs an entry after the executable moved.
    """
    exe = Path(executable) if executable is not None else find_executable()
    home = _data_home(data_home)
    written: list[Path] = []
    try:
        for target, source in _entry_paths(home):
            if source is None:
                data = render_desktop_entry(exe).encode("utf-8")
            else:
                data = source.read_bytes()
            _write_atomically(target, data)
            written.append(target)
    except OSError as err:
        raise DesktopIntegrationError(f"cannot install the desktop entry: {err}") from err
    log.info("installed desktop entry %s (Exec=%s)", written[0], exe)
    return written


def uninstall_desktop_entry(data_home: Path | None = None) -> list[Path]:
    """Remove exactly the files :func:`install_desktop_entry` writes; return those removed."""
    removed: list[Path] = []
    for target, _source in _entry_paths(_data_home(data_home)):
        try:
            target.unlink()
        except FileNotFoundError:
            continue
        except OSError as err:
            raise DesktopIntegrationError(f"cannot remove {target}: {err}") from err
        removed.append(target)
    log.info("removed %d desktop integration files", len(removed))
    return removed


def autostart_path(config_home: Path | None = None) -> Path:
    """Where the autostart entry lives."""
    return _config_home(config_home) / "autostart" / DESKTOP_FILE_NAME


def set_autostart(
    enabled: bool, config_home: Path | None = None, *, executable: Path | None = None
) -> Path | None:
    """Write (enabled) or remove the XDG autostart entry.

    Returns the entry written, or the entry removed; None when disabling found nothing.
    """
    path = autostart_path(config_home)
    if enabled:
        exe = Path(executable) if executable is not None else find_executable()
        try:
            _write_atomically(path, render_desktop_entry(exe, autostart=True).encode("utf-8"))
        except OSError as err:
            raise DesktopIntegrationError(f"cannot write the autostart entry: {err}") from err
        log.info("enabled autostart: %s", path)
        return path
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise DesktopIntegrationError(f"cannot remove the autostart entry: {err}") from err
    log.info("disabled autostart: removed %s", path)
    return path


def is_autostart_enabled(config_home: Path | None = None) -> bool:
    """Whether the autostart entry is present."""
    return autostart_path(config_home).is_file()


def _handle_install_desktop(args: argparse.Namespace) -> int:
    try:
        if args.uninstall:
            paths = uninstall_desktop_entry(args.data_home)
            removed_autostart = set_autostart(False, args.config_home)
            if removed_autostart is not None:
                paths.append(removed_autostart)
            verb = "removed"
        else:
            paths = install_desktop_entry(args.data_home)
            if args.autostart:
                entry = set_autostart(True, args.config_home)
                if entry is not None:
                    paths.append(entry)
            verb = "installed"
    except KenningError as err:
        sys.stderr.write(f"kenning: {err}\n")
        return 1
    for path in paths:
        sys.stdout.write(f"{verb} {path}\n")
    if not paths:
        sys.stdout.write("nothing to remove\n")
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``kenning install-desktop [--uninstall] [--autostart]``."""
    parser = subparsers.add_parser(
        "install-desktop",
        help="add Kenning to your application menu (Linux), or remove it again",
        description="Install the desktop entry and icons under $XDG_DATA_HOME so Kenning "
        "appears in the application menu; --uninstall removes them and the autostart entry.",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--uninstall",
        action="store_true",
        help="remove the menu entry, icons and autostart entry instead",
    )
    action.add_argument(
        "--autostart", action="store_true", help="also start Kenning when you log in"
    )
    parser.add_argument(
        "--data-home",
        type=Path,
        default=None,
        help="install under this folder instead of $XDG_DATA_HOME (~/.local/share)",
    )
    parser.add_argument(
        "--config-home",
        type=Path,
        default=None,
        help="autostart under this folder instead of $XDG_CONFIG_HOME (~/.config)",
    )
    parser.set_defaults(func=_handle_install_desktop)
