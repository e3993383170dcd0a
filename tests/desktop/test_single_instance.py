"""A second launch brings the running instance forward."""

from __future__ import annotations

import pytest

from desktop.single_instance import SingleInstance, server_name

pytestmark = pytest.mark.gui


def test_second_launch_activates_the_first(qtbot, tmp_path):
    name = server_name(tmp_path / "data")
    first = SingleInstance(name)
    assert not first.notify_running(200)  # nobody is running yet
    assert first.listen()
    try:
        second = SingleInstance(name)
        with qtbot.waitSignal(first.activated, timeout=10000):
            assert second.notify_running()
    finally:
        first.close()
    assert not SingleInstance(name).notify_running(200)


def test_names_differ_per_data_dir(tmp_path):
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a")


# ------------------------------------------------ requests from the CLI (no Qt on that side)
def _in_thread(fn, *args):
    """Run a blocking client call beside the Qt loop that must answer it."""
    import threading

    box: dict[str, object] = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", fn(*args)), daemon=True)
    thread.start()
    return thread, box


def test_show_from_the_cli_client_activates_the_app(qtbot, tmp_path):
    from desktop.instance_client import ask_to_show

    data_dir = tmp_path / "data"
    assert ask_to_show(data_dir) is False  # nothing runs: `kenning show` starts the app
    app = SingleInstance(server_name(data_dir))
    assert app.listen()
    try:
        with qtbot.waitSignal(app.activated, timeout=10000):
            assert ask_to_show(data_dir) is True
    finally:
        app.close()


def test_index_request_reaches_the_handler_and_its_answer_comes_back(qtbot, tmp_path):
    from desktop.instance_client import Answer, hand_off_folders

    data_dir = tmp_path / "data"
    app = SingleInstance(server_name(data_dir))
    assert app.listen()
    try:
        thread, box = _in_thread(hand_off_folders, data_dir, [tmp_path / "ä b"])
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=15000)
        assert box["result"] == Answer(False, "busy: Kenning is not ready yet")

        got: list[list[str]] = []
        app.set_index_handler(lambda folders: (got.append(folders) or True, "took\nthem"))
        thread, box = _in_thread(hand_off_folders, data_dir, [tmp_path / "ä b", tmp_path / "c"])
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=15000)
        assert box["result"] == Answer(True, "took them")  # one line, whatever it held
        assert got == [[str(tmp_path / "ä b"), str(tmp_path / "c")]]
    finally:
        app.close()


def test_a_request_split_across_writes_and_garbage_are_handled(qtbot, tmp_path):
    import socket

    from desktop.instance_client import index_request, socket_path

    data_dir = tmp_path / "data"
    app = SingleInstance(server_name(data_dir))
    assert app.listen()
    got: list[list[str]] = []
    app.set_index_handler(lambda folders: (got.append(folders) or True, "ok"))

    def client() -> list[bytes]:
        answers = []
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(str(socket_path(server_name(data_dir))))
            request = (index_request([tmp_path]) + "\n").encode()
            sock.sendall(b"\xff\xfe nonsense\n" + request[:7])
            answers.append(sock.recv(100))
            sock.sendall(request[7:])
            answers.append(sock.recv(100))
        return answers

    try:
        thread, box = _in_thread(client)
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=15000)
        assert box["result"] == [b"error not understood\n", b"ok ok\n"]
        assert got == [[str(tmp_path)]]
    finally:
        app.close()
