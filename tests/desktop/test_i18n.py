"""The Simplified Chinese interface: language choice, the compiled catalogue, the window."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

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
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(text)), source


PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%n|%\d")


def catalogue_entries(path: Path) -> set[tuple[str, str]]:
    root = ET.parse(path).getroot()
    return {
        (context.find("name").text, message.find("source").text)
        for context in root.findall("context")
        for message in context.findall("message")
    }


def test_the_catalogue_holds_every_string_the_code_marks(tmp_path):
    """lupdate over desktop/ finds nothing the catalogue lacks (nor anything it no longer uses)."""
    import PySide6

    lupdate = Path(PySide6.__file__).parent / "lupdate"
    if not lupdate.exists():
        pytest.skip("this PySide6 wheel ships no lupdate")
    desktop = Path(i18n.__file__).parent
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(f) for f in desktop.glob("*.py"))
    subprocess.run(
        [str(lupdate), "-silent", "-locations", "none", *sources, "-ts", str(fresh)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    in_code = catalogue_entries(fresh)
    in_catalogue = catalogue_entries(i18n.ts_path("zh_CN"))
    assert in_code - in_catalogue == set(), "run pyside6-lupdate and translate the new strings"
    assert in_catalogue - in_code == set(), "the catalogue keeps strings the code dropped"
    contexts = {context for context, _ in in_catalogue}
    assert None not in contexts, "a tr() outside a class: use QCoreApplication.translate"
    assert "IndexTimeEstimate" in contexts
    for surface in ("TrayController", "FirstRunDialog", "FoldersPage", "ModelPage"):
        assert surface in contexts
    for surface in ("HealthDialog", "KenningApp", "SettingsDialog", "SearchWindow"):
        assert surface in contexts


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


def test_the_tray_menu_speaks_chinese(qtbot, chinese):
    from PySide6.QtGui import QIcon

    from desktop.tray import TrayController

    tray = TrayController(QIcon(), use_tray=False)
    texts = [action.text() for action in tray.menu.actions() if not action.isSeparator()]
    assert texts == ["显示搜索", "正在启动…", "全部重新索引", "暂停索引", "设置…", "退出 Kenning"]
    tray.set_paused(True)
    assert tray.pause_action.text() == "继续索引"
    tray.close()


def test_the_first_run_wizard_speaks_chinese(qtbot, chinese, tmp_path):
    from desktop.first_run import FirstRunDialog

    def estimator(folders):
        return {"e5-small": "20 min", "qwen3": "3 h"}

    wizard = FirstRunDialog(
        Settings(model="offline", folders=[str(tmp_path)]), gpu=False, estimator=estimator
    )
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.windowTitle() == "欢迎使用 Kenning"
    assert wizard.folders_page.title() == "Kenning 应该搜索哪些文件夹？"
    wizard.next()
    page = wizard.model_page
    assert page.title() == "搜索模型"
    assert page.use_default.text() == "最适合这台电脑：multilingual-e5-small（内置；未检测到 GPU）"
    assert page.use_offline.text().startswith("内置 multilingual-e5-small——可离线使用")
    assert page.status.text() == "内置模型已就绪，无需下载。"
    estimate = page.estimates["offline"]
    qtbot.waitUntil(lambda: estimate.text() == "首次索引这些文件夹：20 min", timeout=10000)
    assert wizard.shutdown()


def test_the_health_dialog_speaks_chinese(qtbot, chinese):
    from desktop.health_dialog import HealthDialog

    dialog = HealthDialog()
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Kenning — 索引状况"
    assert dialog.summary.text() == "已索引文件夹中的所有文件均已编入索引。"
    headers = [dialog.model.horizontalHeaderItem(i).text() for i in range(3)]
    assert headers == ["文件", "状态", "原因"]
    dialog.set_problems([("/a.bin", "skipped", "binary"), ("/b.py", "failed", "boom")])
    assert dialog.summary.text().startswith("2 个文件未编入索引：1 个失败，1 个跳过。")
    assert dialog.copy_button.text() == "复制列表"
    assert [dialog.model.item(r, 1).text() for r in range(2)] == ["已跳过", "失败"]
    dialog.copy_to_clipboard()  # the copied list keeps the stored words, for scripts
    assert QApplication.clipboard().text() == "/a.bin\tskipped\tbinary\n/b.py\tfailed\tboom"


def test_indexing_status_texts_speak_chinese(chinese):
    from desktop.search_window import format_eta
    from desktop.settings_dialog import SERVER_PROMPT_LABELS, model_labels

    assert format_eta(42) == "剩余 42 秒"
    assert format_eta(600) == "剩余 10 分钟"
    assert format_eta(3720) == "剩余 1 小时 02 分钟"
    assert model_labels(True)["default"].startswith("最适合这台电脑：在 GPU 上运行")
    assert SERVER_PROMPT_LABELS["none"] == "None (text as it is)"  # marked, translated on show


def test_the_app_status_texts_speak_chinese(qtbot, chinese, tmp_path):
    from types import SimpleNamespace

    from desktop.app import KenningApp

    app = KenningApp(
        Settings(folders=[str(tmp_path)], first_run_done=True),
        tmp_path / "data",
        settings_path=tmp_path / "settings.json",
        use_tray=False,
    )
    qtbot.addWidget(app.window)
    app._on_state("paused")
    assert app.window.progress_label.text() == "索引已暂停"
    assert app.tray.status_action.text() == "索引已暂停"
    app._on_state("indexing")
    progress = SimpleNamespace(phase="indexing", files_total=2000, files_done=1000, eta_s=90)
    app._on_progress(progress)
    assert app.tray.status_action.text() == "正在索引 1,000/2,000 个文件 · 剩余 1 分钟"
    app._on_progress(
        SimpleNamespace(
            phase="indexing", files_total=200, files_done=50, eta_s=None, switching_to="m/new"
        )
    )
    assert app.window.progress_label.text() == "正在为 new 重新生成向量：25 %"
    assert app.shutdown(timeout=10.0)


def estimate_cases():
    from indexer.index_estimate import CorpusEstimate, Throughput

    cpu = Throughput(tokens_per_s=1000.0, device="CPU", measured=True)
    return [
        (CorpusEstimate(0, 0, 0, True), cpu, "暂无可索引的内容"),
        (CorpusEstimate(10, 1, 30_000, True), cpu, "在本机 CPU 上不到 1 分钟"),
        (CorpusEstimate(10, 1, 1_500_000, True), cpu, "在本机 CPU 上约 25 分钟"),
        (CorpusEstimate(10, 1, 9_000_000, False), cpu, "在本机 CPU 上至少约 2.5 小时"),
        (CorpusEstimate(10, 1, 300_000_000, True), cpu, "在本机 CPU 上约 3 天"),
    ]


def test_first_index_estimates_speak_chinese(qapp, tmp_path):
    from desktop.index_time_estimate import describe
    from indexer import index_estimate

    cases = estimate_cases()
    # English: word for word the indexer's own phrase (the CLI's), so nothing drifted apart.
    for corpus, speed, _ in cases:
        assert describe(corpus, speed) == index_estimate.describe(corpus, speed)
    i18n.install_translation(qapp, "zh_CN", cache_dir=tmp_path)
    try:
        assert [describe(corpus, speed) for corpus, speed, _ in cases] == [c[2] for c in cases]
    finally:
        i18n.install_translation(qapp, "en")
