"""The serve token: generated once, private, reused, and checked."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from engine.errors import KenningError
from engine.serve.token import check_token, load_or_create_token, token_path


def test_token_is_created_private_and_reused():
    path = token_path()
    assert path.parent.parent == Path(os.environ["XDG_CONFIG_HOME"])
    token = load_or_create_token()
    assert len(token) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_token() == token
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_two_fresh_tokens_differ(tmp_path):
    assert load_or_create_token(tmp_path / "a") != load_or_create_token(tmp_path / "b")


def test_a_token_file_readable_by_others_is_closed_again(tmp_path, caplog):
    path = tmp_path / "serve-token"
    path.write_text("a-perfectly-good-token-value\n")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="engine.serve.token"):
        assert load_or_create_token(path) == "a-perfectly-good-token-value"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "readable by other users" in caplog.text


def test_a_damaged_token_file_is_a_clear_error(tmp_path):
    path = tmp_path / "serve-token"
    path.write_text("short")
    path.chmod(0o600)
    with pytest.raises(KenningError, match="delete the file to get a new one"):
        load_or_create_token(path)


@pytest.mark.parametrize("bad", ["", "short", "has spaces in the middle of it"])
def test_check_token_rejects_weak_tokens(bad):
    with pytest.raises(KenningError, match="at least 16 characters"):
        check_token(bad)
