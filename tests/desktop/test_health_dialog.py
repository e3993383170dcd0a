"""The index-health list of skipped and failed files."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from desktop.health_dialog import HealthDialog

pytestmark = pytest.mark.gui

ROWS = [  # in path order, as the dialog shows them
    ("/data/a.bin", "skipped", "binary file"),
    ("/data/big.log", "skipped", "larger than 5 MB"),
    ("/data/broken.pdf", "failed", "PDF could not be read: EOF marker not found"),
]


def test_lists_problems_with_reasons_and_filters(qtbot):
    dialog = HealthDialog()
    qtbot.addWidget(dialog)
    dialog.set_problems(ROWS)
    assert dialog.proxy.rowCount() == 3
    assert [dialog.proxy.index(r, 0).data() for r in range(3)] == [r[0] for r in ROWS]
    assert "3 file(s) not indexed: 1 failed, 2 skipped" in dialog.summary.text()
    dialog.filter.setText("pdf")
    assert dialog.proxy.rowCount() == 1
    assert dialog.proxy.index(0, 2).data() == "PDF could not be read: EOF marker not found"
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text().splitlines()[0] == "/data/a.bin\tskipped\tbinary file"


def test_empty_list_says_all_is_well(qtbot):
    dialog = HealthDialog()
    qtbot.addWidget(dialog)
    assert dialog.proxy.rowCount() == 0
    assert "Every file" in dialog.summary.text()
