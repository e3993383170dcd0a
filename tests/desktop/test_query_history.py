"""Recent queries: stored in a private file, newest first, clearable, recalled with Up/Down."""

from __future__ import annotations

import stat

from desktop.query_history import MAX_ENTRIES, HistoryCursor, QueryHistory


def test_newest_first_without_duplicates_and_private(tmp_path):
    history = QueryHistory(tmp_path / "data" / "query_history.json")
    assert history.entries() == []
    for query in ("retry upload", "parse config", "  retry   upload "):
        history.add(query)
    assert history.entries() == ["retry upload", "parse config"]
    mode = stat.S_IMODE(history.path.stat().st_mode)
    assert mode == 0o600
    history.add("")
    history.add("x" * 10_000)  # pasted text is not a query worth recalling
    assert history.entries() == ["retry upload", "parse config"]


def test_capped_and_cleared(tmp_path):
    history = QueryHistory(tmp_path / "h.json")
    for i in range(MAX_ENTRIES + 20):
        history.add(f"query {i}")
    entries = history.entries()
    assert len(entries) == MAX_ENTRIES and entries[0] == f"query {MAX_ENTRIES + 19}"
    history.clear()
    assert history.entries() == [] and not history.path.exists()
    history.clear()  # twice is fine


def test_a_damaged_file_reads_as_empty_and_is_replaced(tmp_path, caplog):
    path = tmp_path / "h.json"
    path.write_text("{not json")
    history = QueryHistory(path)
    assert history.entries() == []
    assert "unreadable query history" in caplog.text
    history.add("new")
    assert history.entries() == ["new"]


def test_cursor_walks_older_and_back(tmp_path):
    history = QueryHistory(tmp_path / "h.json")
    for query in ("first", "second", "third"):
        history.add(query)
    cursor = HistoryCursor(history)
    assert cursor.newer() is None  # nothing recalled yet
    assert cursor.older() == "third"
    assert cursor.older() == "second"
    assert cursor.older() == "first"
    assert cursor.older() is None  # the oldest stays
    assert cursor.current() == "first"
    assert cursor.newer() == "second"
    assert cursor.newer() == "third"
    assert cursor.newer() == ""  # back to the empty box
    assert not cursor.active
    cursor.older()
    cursor.reset()
    assert not cursor.active and cursor.current() is None
