"""Settings: typed, validated on load, unknown keys reported, saved privately."""

from __future__ import annotations

import json
import stat

import pytest

from desktop.settings import (
    Settings,
    SettingsError,
    default_settings_path,
    load_settings,
    save_settings,
    set_aside_broken,
)


def test_missing_file_gives_defaults():
    assert not default_settings_path().exists()
    assert load_settings() == Settings()


def test_round_trip_under_the_user_config_dir(tmp_path):
    settings = Settings(
        folders=[str(tmp_path / "code")],
        excludes=["*.log"],
        model="server",
        server_url="http://127.0.0.1:30000/v1",
        server_model="Qwen/Qwen3-Embedding-0.6B",
        api_key="secret",
        device="cuda:1",
        dimensions=256,
        editor="custom",
        editor_template="myedit --line {line} {path}",
        start_at_login=True,
        search_mode="semantic",
        first_run_done=True,
    )
    path = save_settings(settings)
    assert path == default_settings_path()
    assert "kenning" in str(path.parent)
    assert load_settings() == settings
    # It may hold an API key, so only the user can read it.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_unknown_key_is_named(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"folders": [], "editr": "vscode"}))
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    message = str(err.value)
    assert "'editr'" in message
    assert str(path) in message
    assert "editor" in message  # the known keys are listed to spot the typo


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"folders": "/home/me"}, "'folders' has the wrong type"),
        ({"start_at_login": "yes"}, "'start_at_login' has the wrong type"),
        ({"dimensions": True}, "'dimensions' has the wrong type"),
        ({"dimensions": 8}, "dimensions must be between"),
        ({"model": "gpt"}, "model must be one of"),
        ({"model": "local"}, "model_path is empty"),
        ({"model": "server", "server_url": "http://x"}, "server_model is empty"),
        ({"device": "tpu"}, "device must be"),
        ({"editor": "notepad"}, "unknown editor 'notepad'"),
        ({"editor": "custom", "editor_template": "myedit"}, "must contain {path}"),
        ({"folders": ["relative/dir"]}, "absolute paths"),
        ({"search_mode": "fuzzy"}, "search_mode"),
        ({"version": 7}, "version 7"),
        ({"server_prompts": "e6"}, "server_prompts must be one of"),
        ({"hf_endpoint": "hf-mirror.com"}, "hf_endpoint must be an http(s) URL"),
    ],
)
def test_invalid_values_are_rejected_with_a_clear_message(tmp_path, data, fragment):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert fragment in str(err.value)


def test_broken_json_and_non_object(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="not valid JSON"):
        load_settings(path)
    path.write_text("[1, 2]")
    with pytest.raises(SettingsError, match="JSON object"):
        load_settings(path)


def test_save_refuses_invalid_settings_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(Settings(editor="vscode"), path)
    with pytest.raises(SettingsError):
        save_settings(Settings(device="gpu"), path)
    assert load_settings(path).editor == "vscode"


def test_broken_file_is_set_aside_not_overwritten(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"colour": "blue"}')
    backup = set_aside_broken(path)
    assert backup is not None and backup.read_text() == '{"colour": "blue"}'
    assert not path.exists()
    assert set_aside_broken(path) is None


def test_server_prompt_choices_match_the_engines():
    from desktop.settings import SERVER_PROMPT_CHOICES
    from engine.prompt_profiles import SERVER_PROFILE_CHOICES

    assert SERVER_PROMPT_CHOICES == SERVER_PROFILE_CHOICES
