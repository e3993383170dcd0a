"""Render resources/icons/kenning.svg to the PNG sizes committed beside it.

Run after editing the SVG: ``python packaging/render_icons.py``. It uses Qt's own SVG
renderer (PySide6-Essentials ships QtSvg), so no extra tool is needed; the PNGs are committed
so neither installing nor building the bundle has to render anything.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resources import ICON_SIZES  # noqa: E402

log = logging.getLogger(__name__)
ICON_DIR = ROOT / "resources" / "icons"


def render(svg: Path, out_dir: Path, sizes: tuple[int, ...] = ICON_SIZES) -> list[Path]:
    """Write ``kenning-<size>.png`` for every size and return the paths."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot parse {svg}")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        target = out_dir / f"kenning-{size}.png"
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"cannot write {target}")
        log.info("wrote %s", target)
        written.append(target)
    return written


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    render(ICON_DIR / "kenning.svg", ICON_DIR)
