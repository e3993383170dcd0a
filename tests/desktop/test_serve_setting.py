"""Serving to other local tools: the setting, the dialog's tab, and the app's real server.

The app tests run the whole app (index service, bundled model) and talk to its server over
HTTP on 127.0.0.1 with the ``openai`` client and httpx, as another program would.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest
from PySide6.QtGui import QGuiApplication

from desktop.app import KenningApp
from desktop.notify import Level, Notifier
from desktop.settings import (
    DEFAULT_SERVE_PORT,
    Settings,
    SettingsError,
    load_settings,
    save_settings,
    settings_from_dict,
)
from desktop.settings_dialog import SettingsDialog
from engine.errors import KenningError
from engine.model_resolution import OFFLINE_MODEL_ID
from engine.serve.http_api import DEFAULT_PORT
from engine.serve.token import load_or_create_token, token_path

INDEX_TIMEOUT_MS = 180_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---------------------------------------------------------------------- the setting


def test_serving_is_off_by_default_on_the_cli_port():
    assert Settings().serve_enabled is False
    assert Settings().serve_port == DEFAULT_SERVE_PORT == DEFAULT_PORT


def test_serve_settings_are_saved_and_loaded(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(Settings(serve_enabled=True, serve_port=9123), path)
    loaded = load_settings(path)
    assert (loaded.serve_enabled, loaded.serve_port) == (True, 9123)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"serve_port": "8741"}, "'serve_port' has the wrong type (int expected)"),
        ({"serve_port": True}, "'serve_port' has the wrong type (int expected)"),
        ({"serve_enabled": "yes"}, "'serve_enabled' has the wrong type (bool expected)"),
        ({"serve_port": 0}, "serve_port must be between 1 and 65535: 0"),
        ({"serve_port": 70000}, "serve_port must be between 1 and 65535: 70000"),
    ],
)
def test_bad_serve_settings_are_named(data, message):
    with pytest.raises(SettingsError) as caught:
        settings_from_dict(data)
    assert message in str(caught.value)


# ---------------------------------------------------------------------- the dialog


@pytest.mark.gui
def test_dialog_shows_url_and_token_once_serving_is_ticked(qtbot):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    assert not dialog.serve_enabled.isChecked()
    assert not dialog.serve_token.isEnabled() and not dialog.copy_token_button.isEnabled()
    assert not token_path().exists()  # opening the dialog creates no token
    assert "127.0.0.1 only" in dialog.serve_note.text()

    dialog.serve_enabled.setChecked(True)
    token = load_or_create_token()
    assert dialog.serve_token.text() == token and dialog.serve_token.isReadOnly()
    assert dialog.serve_url.text() == f"http://127.0.0.1:{DEFAULT_PORT}/v1"
    dialog.serve_port.setValue(9555)
    assert dialog.serve_url.text() == "http://127.0.0.1:9555/v1"
    assert dialog.serve_url.isReadOnly()

    dialog.copy_token_button.click()
    assert QGuiApplication.clipboard().text() == token
    dialog.copy_url_button.click()
    assert QGuiApplication.clipboard().text() == "http://127.0.0.1:9555/v1"

    dialog.accept()
    assert dialog.result_settings() == Settings(serve_enabled=True, serve_port=9555)


@pytest.mark.gui
def test_dialog_says_why_there_is_no_token(qtbot):
    def broken() -> str:
        raise KenningError("cannot read the serve token in /x/serve-token: denied")

    dialog = SettingsDialog(Settings(serve_enabled=True), serve_token=broken)
    qtbot.addWidget(dialog)
    assert dialog.serve_token.text() == ""
    assert "cannot read the serve token" in dialog.serve_token.placeholderText()
    assert not dialog.copy_token_button.isEnabled()


# ---------------------------------------------------------------------- the app's server


@pytest.fixture
def make_app(qtbot, tmp_path, corpus, minilm) -> Iterator[Callable[..., KenningApp]]:
    """``make_app(settings=..., model=...)``: a started app; every thread checked at the end.

    ``model`` is what the index service's loader returns (default: the bundled model).
    """
    apps: list[KenningApp] = []
    threads_before = set(threading.enumerate())

    def make(*, model: Callable[[], object] = lambda: minilm, **changes) -> KenningApp:
        settings = Settings(folders=[str(corpus)], first_run_done=True, **changes)
        app = KenningApp(
            settings,
            tmp_path / "data",
            settings_path=tmp_path / "settings.json",
            make_embedder=lambda _settings: model,
            use_tray=False,
            watch=False,
        )
        apps.append(app)
        qtbot.addWidget(app.window)
        app.start()
        return app

    yield make
    for app in apps:
        assert app.shutdown(timeout=10.0), "the app did not stop in time"
    leftover = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert leftover == [], f"threads still running after quit: {leftover}"


def wait_indexed(qtbot, app: KenningApp) -> None:
    qtbot.waitUntil(lambda: app.service.state == "idle", timeout=INDEX_TIMEOUT_MS)


def client_for(app: KenningApp, key: str) -> openai.OpenAI:
    assert app.local_server.url is not None
    return openai.OpenAI(base_url=app.local_server.url, api_key=key, max_retries=0, timeout=60)


@pytest.mark.gui
@pytest.mark.model
def test_turning_serving_on_answers_with_the_token_and_off_refuses(qtbot, make_app):
    app = make_app()
    wait_indexed(qtbot, app)
    assert not app.local_server.running
    port = free_port()
    app.apply_settings(dataclasses.replace(app.settings, serve_enabled=True, serve_port=port))
    assert load_settings(app.settings_path).serve_enabled  # saved like any other setting
    url = f"http://127.0.0.1:{port}/v1"
    assert app.local_server.url == url
    assert url in app.notifier.history[-1].text

    client = client_for(app, load_or_create_token())
    answer = client.embeddings.create(model=OFFLINE_MODEL_ID, input=["def retry(): ...", "hi"])
    assert [len(d.embedding) for d in answer.data] == [384, 384]
    with pytest.raises(openai.AuthenticationError):
        client_for(app, "not-the-token-at-all").embeddings.create(
            model=OFFLINE_MODEL_ID, input="hi"
        )
    refused = httpx.post(f"{url}/embeddings", json={"input": "hi"})
    assert refused.status_code == 401

    # Search over the app's own index, with the CLI's JSON shape.
    found = httpx.post(
        f"{url}/search",
        json={"query": "backoff", "mode": "lexical", "limit": 3},
        headers={"Authorization": f"Bearer {load_or_create_token()}"},
    )
    assert found.status_code == 200
    assert Path(found.json()["results"][0]["path"]).name == "retry.py"

    app.apply_settings(dataclasses.replace(app.settings, serve_enabled=False))
    assert not app.local_server.running
    assert app.notifier.history[-1].text == "Stopped serving to other local tools"
    # The same client still holds its pooled connection: it must not be answered either.
    with pytest.raises(openai.APIConnectionError):
        client.embeddings.create(model=OFFLINE_MODEL_ID, input="hi")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health")


@pytest.mark.gui
@pytest.mark.model
def test_server_answers_503_until_the_model_has_loaded(qtbot, make_app, minilm):
    gate = threading.Event()

    def slow_model():
        gate.wait()
        return minilm

    port = free_port()
    app = make_app(model=slow_model, serve_enabled=True, serve_port=port)
    try:
        client = client_for(app, load_or_create_token())
        with pytest.raises(openai.InternalServerError) as caught:
            client.embeddings.create(model=OFFLINE_MODEL_ID, input="hi")
        assert caught.value.status_code == 503
        assert "model is not ready yet" in caught.value.message
        headers = {"Authorization": f"Bearer {load_or_create_token()}"}
        search = httpx.post(f"{app.local_server.url}/search", json={"query": "x"}, headers=headers)
        assert search.status_code == 404  # no index yet: said, not crashed
        with qtbot.waitSignal(app.bridge.model_ready, timeout=INDEX_TIMEOUT_MS):
            gate.set()
    finally:
        gate.set()  # never leave the indexer waiting, whatever failed
    answer = client.embeddings.create(model=OFFLINE_MODEL_ID, input="hi")
    assert len(answer.data[0].embedding) == 384


@pytest.mark.gui
@pytest.mark.model
def test_quitting_with_a_client_connected_leaves_no_thread(qtbot, make_app):
    app = make_app(serve_enabled=True, serve_port=free_port())
    wait_indexed(qtbot, app)
    client = client_for(app, load_or_create_token())
    assert client.models.list().data[0].id == OFFLINE_MODEL_ID  # keeps a pooled connection
    assert app.shutdown(timeout=5.0)
    assert not app.local_server.running
    with pytest.raises(openai.APIConnectionError):
        client.models.list()
    # make_app's teardown asserts that no thread the app started is still alive.


@pytest.mark.gui
@pytest.mark.model
def test_a_busy_port_is_told_in_one_line(qtbot, make_app):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = int(squatter.getsockname()[1])
        app = make_app(serve_enabled=True, serve_port=port)
        errors = [m for m in app.notifier.history if m.level == Level.ERROR]
        assert [m.text for m in errors] == [
            f"Cannot serve to other tools on 127.0.0.1:{port}: Address already in use "
            "(choose another port in Settings)"
        ]
        assert "\n" not in errors[0].text
        assert app.window.statusBar().currentMessage() == errors[0].text
        assert not app.local_server.running
    # Once the port is free, saving the settings again starts the server.
    wait_indexed(qtbot, app)
    app.apply_settings(app.settings)
    assert app.local_server.running
    health = httpx.get(f"http://127.0.0.1:{port}/health")
    assert health.json() == {"status": "ok"}


# ---------------------------------------------------------------------- model changes


@pytest.mark.model
def test_server_follows_the_model_going_and_coming(tmp_path, minilm):
    from desktop.local_server import LocalServer
    from engine.priority_embedder import PriorityEmbedder

    notifier = Notifier()
    server = LocalServer(tmp_path, notifier, token_source=lambda: "t" * 20)
    try:
        assert server.configure(True, free_port())
        headers = {"Authorization": "Bearer " + "t" * 20}
        models = f"{server.url}/models"
        assert httpx.get(models, headers=headers).status_code == 503
        first = PriorityEmbedder(minilm)
        server.set_model(first)
        assert httpx.get(models, headers=headers).json()["data"][0]["id"] == OFFLINE_MODEL_ID
        server.set_model(None)  # the index service restarts with another model
        assert httpx.get(models, headers=headers).status_code == 503
        server.set_model(PriorityEmbedder(minilm))
        assert httpx.get(models, headers=headers).status_code == 200
    finally:
        assert server.stop()
    assert list(notifier.history) == []
