"""The Simplified Chinese interface: language choice, the compiled catalogue, the window."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QApplication

from desktop import i18n
from desktop.settings import Settings, SettingsError

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(
    ("setting", "locale", "expected"),
    [
        ("auto", "zh_CN", "zh_CN"),
        ("auto", "zh_SG", "zh_CN"),
        ("auto", "zh_TW", None),
        ("auto", "zh_HK", None),
        ("auto", "en_US", None),
        ("auto", "de_DE", None),
        ("zh_CN", "en_US", "zh_CN"),
        ("en", "zh_CN", None),
    ],
)
def test_language_follows_the_locale_unless_set(setting, locale, expected):
    assert i18n.choose_language(setting, QLocale(locale)) == expected


def test_the_setting_is_validated():
    Settings(language="zh_CN").validate()
    with pytest.raises(SettingsError, match="language must be one of"):
        Settings(language="klingon").validate()


def test_every_string_in_the_catalogue_is_translated():
    root = ET.parse(i18n.ts_path("zh_CN")).getroot()
    messages = root.findall("./context/message")
    assert len(messages) > 100
    for message in messages:
        translation = message.find("translation")
        assert translation.get("type") is None, message.find("source").text
        text = translation.text or "".join(f.text or "" for f in translation)
        assert text.strip(), message.find("source").text
        source = message.find("source").text
        # Placeholders survive translation, or .format() would raise at runtime.
        for placeholder in ("{query}", "{files}", "{count}", "{message}", "%n", "%1"):
            assert (placeholder in source) == (placeholder in text), source


def test_the_catalogue_compiles_into_the_cache(tmp_path):
    path = i18n.qm_path("zh_CN", cache_dir=tmp_path)
    assert path is not None and path.stat().st_size > 1000
    assert i18n.qm_path("zh_CN", cache_dir=tmp_path) == path  # reused, not recompiled


@pytest.fixture
def chinese(qapp: QApplication, tmp_path):
    font = qapp.font()
    assert i18n.install_translation(qapp, "zh_CN", cache_dir=tmp_path) == "zh_CN"
    yield qapp
    i18n.install_translation(qapp, "en")
    qapp.setFont(font)


def test_the_window_speaks_chinese_with_a_chinese_font(qtbot, chinese):
    from desktop.query_runner import QueryRunner
    from desktop.search_window import SearchWindow
    from desktop.settings_dialog import SettingsDialog

    runner = QueryRunner()
    window = SearchWindow(runner)
    qtbot.addWidget(window)
    window.set_roots(["/home/me/code"])
    window.set_index_stats(1200, 5400)
    assert window.query.placeholderText() == "搜索你的文件——描述你要找的内容"
    assert "输入内容即可搜索1,200 个文件" in window.message.text()
    assert "path:src/*.py" in window.message.text()  # the syntax itself stays as typed
    assert window.index_label.text() == "已索引 1,200 个文件 · 5,400 个片段"
    assert window.kind_box.itemText(1) == "代码"
    dialog = SettingsDialog(Settings(), window)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Kenning — 设置"
    if "Noto Sans CJK SC" in QFontDatabase.families():  # scripts/system_packages.sh
        assert "Noto Sans CJK SC" in QApplication.font().families()
        assert QFontMetrics(QFont("Noto Sans CJK SC")).inFontUcs4(ord("搜"))
    runner.shutdown()


def test_english_again_after_switching_back(qtbot, qapp, tmp_path):
    from desktop.query_runner import QueryRunner
    from desktop.search_window import SearchWindow

    i18n.install_translation(qapp, "zh_CN", cache_dir=tmp_path)
    i18n.install_translation(qapp, "en")
    runner = QueryRunner()
    window = SearchWindow(runner)
    qtbot.addWidget(window)
    assert window.query.placeholderText().startswith("Search your files")
    runner.shutdown()
