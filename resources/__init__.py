"""Icons, stylesheets and desktop-entry templates, loaded with importlib.resources.

Everything here is package data, so it travels inside the wheel, the sdist and the
PyInstaller bundle alike; callers never build paths relative to ``__file__``. No Qt is
imported here: the desktop code turns these paths into ``QIcon``/stylesheets itself.

Layout::

    icons/kenning.svg                     the application icon (hand-written SVG)
    icons/kenning-<size>.png              rendered from it, one per ICON_SIZES entry
    styles/kenning.qss                    the application stylesheet
    desktop/<APP_ID>.desktop.in           desktop-entry template (@EXEC@, @ICON@ filled in)
    desktop/<APP_ID>.metainfo.xml         AppStream metainfo
"""

from __future__ import annotations

import atexit
import contextlib
from importlib import resources as _resources
from pathlib import Path

# One reverse-DNS id names the desktop entry, the metainfo, the installed icons and the
# autostart entry, so desktops can tie them together.
APP_ID = "io.github.kenning.Kenning"
ICON_SIZES: tuple[int, ...] = (16, 24, 32, 48, 64, 128, 256, 512)

DESKTOP_TEMPLATE = f"desktop/{APP_ID}.desktop.in"
METAINFO = f"desktop/{APP_ID}.metainfo.xml"
STYLESHEET = "styles/kenning.qss"
ICON_SVG = "icons/kenning.svg"

# Resources inside a zip (zipimport) are extracted once and kept until exit.
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def resource_path(name: str) -> Path:
    """A real file-system path to the resource ``name`` (e.g. ``"styles/kenning.qss"``).

    Raises FileNotFoundError, naming the resource, when it is not part of the package.
    """
    traversable = _resources.files(__name__).joinpath(*name.split("/"))
    if not traversable.is_file():
        raise FileNotFoundError(f"Kenning resource not found: {name}")
    if isinstance(traversable, Path):
        return traversable
    return Path(_extracted.enter_context(_resources.as_file(traversable)))


def read_text(name: str) -> str:
    """The UTF-8 text of the resource ``name``."""
    return resource_path(name).read_text(encoding="utf-8")


def icon_path(size: int | None = None) -> Path:
    """The application icon: the SVG for ``None``, else the PNG of that pixel size."""
    if size is None:
        return resource_path(ICON_SVG)
    if size not in ICON_SIZES:
        sizes = ", ".join(str(s) for s in ICON_SIZES)
        raise ValueError(f"no {size}px Kenning icon; sizes are {sizes}")
    return resource_path(f"icons/kenning-{size}.png")
