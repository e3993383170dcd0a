"""The interface language: Qt translators for Kenning's strings and Qt's own dialogs.

Translations live in ``resources/i18n/kenning_<lang>.ts`` (edited with Qt Linguist,
refreshed from the code with ``pyside6-lupdate``). The build compiles them to ``.qm``
(``setup.py``); a source checkout or an editable install has no ``.qm``, so one is compiled
here with the ``lrelease`` that PySide6-Essentials ships, into the cache directory, and
reused until the ``.ts`` changes.

After adding or changing a visible string, refresh the catalogue and translate what lupdate
marks unfinished (``tests/desktop/test_i18n.py`` fails until both are done)::

    pyside6-lupdate -locations none -no-obsolete desktop/*.py -ts resources/i18n/kenning_zh_CN.ts

Outside a QObject method, mark strings with ``QCoreApplication.translate("Context", "...")``
or ``QT_TRANSLATE_NOOP`` (translated where shown); a local helper named ``tr`` is not seen
by lupdate's context rules.

CJK text needs a CJK font: for a Chinese interface the application font prefers a
Simplified Chinese face (Noto Sans CJK SC and the other usual ones), so Han characters get
their Chinese shapes rather than whatever CJK font fontconfig happens to try first.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

TRANSLATED = ("zh_CN",)
# Simplified Chinese faces, most common on Linux first, then macOS and Windows.
CJK_SC_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "PingFang SC",
    "Microsoft YaHei",
)
_installed: list[QTranslator] = []


def choose_language(setting: str, locale: QLocale | None = None) -> str | None:
    """The translation to load for a ``language`` setting, or None for English.

    ``auto`` follows the system locale: Simplified Chinese for zh_CN, zh_SG and any
    zh-Hans locale; Traditional Chinese locales stay English rather than get the wrong script.
    """
    if setting in TRANSLATED:
        return setting
    if setting != "auto":
        return None
    locale = locale or QLocale.system()
    if locale.language() != QLocale.Language.Chinese:
        return None
    if locale.script() == QLocale.Script.TraditionalChineseScript:
        return None
    if locale.territory() in (
        QLocale.Country.Taiwan,
        QLocale.Country.HongKong,
        QLocale.Country.Macau,
    ):
        return None
    return "zh_CN"


def ts_path(language: str) -> Path:
    import resources

    return resources.resource_path(f"i18n/kenning_{language}.ts")


def qm_path(language: str, cache_dir: Path | None = None) -> Path | None:
    """The compiled translation: the packaged ``.qm``, else one compiled into the cache."""
    import resources

    try:
        packaged = resources.resource_path(f"i18n/kenning_{language}.qm")
    except FileNotFoundError:
        packaged = None
    try:
        source = ts_path(language)
    except FileNotFoundError:
        source = None
    fresh = packaged is not None and (
        source is None or packaged.stat().st_mtime >= source.stat().st_mtime
    )
    if fresh:
        return packaged
    if source is None:
        log.warning("no translation for %s is installed", language)
        return None
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    cache_dir = cache_dir or _cache_dir()
    target = cache_dir / f"kenning_{language}-{digest}.qm"
    if target.exists():
        return target
    return compile_ts(source, target)


def compile_ts(source: Path, target: Path) -> Path | None:
    """Run ``lrelease`` on ``source``; None (logged) when it is missing or fails."""
    tool = lrelease_path()
    if tool is None:
        log.warning("cannot compile %s: lrelease is not installed with PySide6", source.name)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    try:
        subprocess.run(
            [str(tool), "-silent", str(source), "-qm", str(tmp)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        tmp.replace(target)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("compiling %s failed: %s", source.name, exc)
        return None
    return target


def lrelease_path() -> Path | None:
    """PySide6's own ``lrelease`` (the wheel ships it beside the package), else PATH's."""
    import PySide6

    for name in ("lrelease", "lrelease.exe"):
        candidate = Path(PySide6.__file__).parent / name
        if candidate.exists():
            return candidate
    found = shutil.which("pyside6-lrelease") or shutil.which("lrelease")
    return Path(found) if found else None


def install_translation(
    app: QApplication, setting: str, *, cache_dir: Path | None = None
) -> str | None:
    """Load the interface language for ``setting`` into ``app``; returns it (None: English)."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    language = choose_language(setting)
    if language is None:
        return None
    path = qm_path(language, cache_dir)
    translator = QTranslator(app)
    if path is None or not translator.load(str(path)):
        log.warning("the %s translation could not be loaded; the interface stays English", language)
        return None
    app.installTranslator(translator)
    _installed.append(translator)
    # Qt's own strings (OK/Cancel, file dialogs) from the translations PySide6 ships.
    qt_own = QTranslator(app)
    if qt_own.load(
        f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ) or qt_own.load(
        f"qt_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ):
        app.installTranslator(qt_own)
        _installed.append(qt_own)
    use_cjk_fonts(app)
    log.info("interface language: %s (%s)", language, path)
    return language


def use_cjk_fonts(app: QApplication) -> list[str]:
    """Put the installed Simplified Chinese faces behind the current font; returns them."""
    available = set(QFontDatabase.families())
    chosen = [family for family in CJK_SC_FONTS if family in available]
    if not chosen:
        log.info("no Simplified Chinese font found; CJK text uses the system's fallback")
        return []
    font = QFont(app.font())
    font.setFamilies([*font.families(), *chosen])
    app.setFont(font)
    return chosen


def _cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("kenning", appauthor=False)) / "i18n"
