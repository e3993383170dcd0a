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
