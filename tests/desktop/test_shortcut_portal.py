"""The global hotkey's D-Bus conversation, against a fake portal on a private session bus."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.shortcut_portal import (
    DESCRIPTION,
    SHORTCUT_ID,
    ShortcutPortal,
    manual_binding_hint,
    valid_trigger,
)

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 60.0

needs_dbus = pytest.mark.skipif(
    shutil.which("dbus-daemon") is None, reason="dbus-daemon (Debian: dbus) is not installed"
)


@pytest.fixture
def private_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A session bus of our own; DBUS_SESSION_BUS_ADDRESS points at it."""
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    address = daemon.stdout.readline().strip()  # type: ignore[union-attr]
    assert address.startswith("unix:"), address
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield address
    daemon.terminate()
    daemon.wait(30)


def start_fake_portal(record: Path, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.desktop.fake_portal", str(record), *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


class Events:
    """What a ShortcutPortal reports, with waits that have deadlines."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.unavailable = threading.Event()
        self.pressed = threading.Semaphore(0)
        self.description = ""
        self.reason = ""

    def portal(self, trigger: str = "CTRL+ALT+k") -> ShortcutPortal:
        def ready(description: str) -> None:
            self.description = description
            self.ready.set()

        def unavailable(reason: str) -> None:
            self.reason = reason
            self.unavailable.set()

        return ShortcutPortal(
            trigger,
            on_ready=ready,
            on_unavailable=unavailable,
            on_activated=self.pressed.release,
            response_timeout_s=WAIT_S,
        )


def press(shortcut_id: str) -> None:
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus="SESSION") as conn:
        address = DBusAddress(
            "/org/freedesktop/portal/desktop",
            bus_name="org.freedesktop.portal.Desktop",
            interface="org.kenning.Test",
        )
        conn.send_and_get_reply(new_method_call(address, "Press", "s", (shortcut_id,)))


def _text(record: Path) -> str:
    return record.read_text() if record.exists() else ""


def calls(record: Path) -> list[dict]:
    return [json.loads(line) for line in record.read_text().splitlines()]


@needs_dbus
def test_binds_the_shortcut_and_reports_each_press(private_bus: str, tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    fake = start_fake_portal(record)
    events = Events()
    portal = events.portal("CTRL+ALT+k")
    try:
        portal.start()
        assert events.ready.wait(WAIT_S), events.reason
        assert events.description == "Ctrl+Alt+K"  # as the desktop describes it
        press("someone-elses-shortcut")
        press(SHORTCUT_ID)
        press(SHORTCUT_ID)
        assert events.pressed.acquire(timeout=WAIT_S)
        assert events.pressed.acquire(timeout=WAIT_S)
    finally:
        assert portal.stop()
        fake.terminate()
        fake.wait(30)
    members = [c["member"] for c in calls(record)]
    assert members[:3] == ["Get", "CreateSession", "BindShortcuts"]
    assert members[-1] == "Close"  # the session is closed on stop
    bind = calls(record)[2]["body"]
    assert bind[1] == [
        [
            SHORTCUT_ID,
            {"description": ["s", DESCRIPTION], "preferred_trigger": ["s", "CTRL+ALT+k"]},
        ]
    ]
    assert not events.pressed.acquire(blocking=False)  # the other app's press was not ours


@needs_dbus
def test_no_portal_on_the_bus_is_reported_not_hung(private_bus: str) -> None:
    events = Events()
    portal = events.portal()
    portal.start()
    try:
        assert events.unavailable.wait(WAIT_S)
        assert events.reason == "no desktop portal is running"
        assert not events.ready.is_set()
    finally:
        assert portal.stop()


@needs_dbus
def test_a_cancelled_dialog_is_reported(private_bus: str, tmp_path: Path) -> None:
    fake = start_fake_portal(tmp_path / "calls.jsonl", "--cancel")
    events = Events()
    portal = events.portal()
    try:
        portal.start()
        assert events.unavailable.wait(WAIT_S)
        assert "cancelled" in events.reason
    finally:
        assert portal.stop()
        fake.terminate()
        fake.wait(30)


@needs_dbus
def test_stop_does_not_wait_for_an_unanswered_dialog(private_bus: str, tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    fake = start_fake_portal(record, "--silent")
    events = Events()
    portal = events.portal()  # waits up to WAIT_S for the answer
    try:
        portal.start()
        deadline = time.monotonic() + WAIT_S
        while "BindShortcuts" not in _text(record) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert portal.stop(timeout=10.0)  # well before WAIT_S
        assert not events.unavailable.is_set() and not events.ready.is_set()
    finally:
        fake.terminate()
        fake.wait(30)


def test_no_session_bus_at_all(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    events = Events()
    portal = events.portal()
    portal.start()
    assert events.unavailable.wait(WAIT_S)
    assert events.reason == "there is no D-Bus session bus"
    assert portal.stop()


@pytest.mark.parametrize(
    ("desktop", "where"),
    [
        ("KDE", "System Settings > Shortcuts > Add New > Command"),
        ("ubuntu:GNOME", "Settings > Keyboard > Custom Shortcuts"),
        ("XFCE", "Settings > Keyboard > Application Shortcuts"),
        ("", "your desktop's keyboard shortcut settings"),
    ],
)
def test_the_fallback_says_where_to_bind_kenning_show(desktop: str, where: str) -> None:
    hint = manual_binding_hint("CTRL+ALT+space", desktop)
    assert f"bind `kenning show` to Ctrl+Alt+Space in {where}" in hint


def test_triggers_follow_the_shortcuts_spec() -> None:
    assert valid_trigger("CTRL+ALT+space") and valid_trigger("LOGO+k") and valid_trigger("F12")
    assert (
        not valid_trigger("ctrl alt space") and not valid_trigger("CTRL+") and not valid_trigger("")
    )


# ------------------------------------------------------------------ the app, wired
@pytest.fixture
def started_app(qtbot, tmp_path: Path):
    """``start(hotkey)``: a KenningApp over an empty folder with a fast fake model."""
    from desktop.app import KenningApp
    from desktop.settings import Settings
    from tests.fake_embedder import HashingEmbedder

    apps: list = []
    threads_before = set(threading.enumerate())

    def start(hotkey: str):
        folder = tmp_path / "empty"
        folder.mkdir(exist_ok=True)
        settings = Settings(folders=[str(folder)], first_run_done=True, hotkey=hotkey)
        app = KenningApp(
            settings,
            tmp_path / "data",
            settings_path=tmp_path / "settings.json",
            use_tray=False,
            watch=False,
            make_embedder=lambda _s: lambda: HashingEmbedder(dim=32),
        )
        apps.append(app)
        qtbot.addWidget(app.window)
        return app

    yield start
    for app in apps:
        assert app.shutdown(timeout=10.0)
    leftover = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert leftover == [], leftover


def _texts(messages: list) -> list[str]:
    return [m.text for m in messages]


@needs_dbus
@pytest.mark.gui
def test_the_hotkey_brings_the_window_forward(
    qtbot, private_bus: str, tmp_path: Path, started_app
) -> None:
    fake = start_fake_portal(tmp_path / "calls.jsonl")
    try:
        app = started_app("CTRL+ALT+k")
        messages: list = []
        app.notifier.posted.connect(messages.append)
        with qtbot.waitSignal(app.hotkey.ready, timeout=int(WAIT_S * 1000)):
            app.start(show=False)
        qtbot.waitUntil(
            lambda: "Press Ctrl+Alt+K anywhere to search with Kenning" in _texts(messages)
        )
        app.window.hide()
        with qtbot.waitSignal(app.hotkey.activated, timeout=int(WAIT_S * 1000)):
            press(SHORTCUT_ID)
        qtbot.waitUntil(app.window.isVisible)
    finally:
        fake.terminate()
        fake.wait(30)


@needs_dbus
@pytest.mark.gui
def test_without_a_portal_the_app_says_how_to_bind_kenning_show(
    qtbot, private_bus: str, started_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "XFCE")
    app = started_app("LOGO+k")
    messages: list = []
    app.notifier.posted.connect(messages.append)
    with qtbot.waitSignal(app.hotkey.unavailable, timeout=int(WAIT_S * 1000)):
        app.start(show=False)
    want = manual_binding_hint("LOGO+k", "XFCE")
    assert "Super+K" in want
    qtbot.waitUntil(lambda: want in _texts(messages))


@pytest.mark.gui
def test_an_empty_hotkey_registers_nothing(qtbot, started_app) -> None:
    app = started_app("")
    app.start(show=False)
    assert app.hotkey._portal is None
