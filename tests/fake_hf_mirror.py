"""A Hugging Face mirror on 127.0.0.1 that serves one model and trickles its weights.

It answers what ``huggingface_hub`` asks a hub (or a mirror set with ``HF_ENDPOINT``) for:
``GET /api/models/{id}[/revision/{rev}]`` (the commit and the file list with sizes),
``GET /api/models/{id}/tree/{rev}`` (the files again) and
``HEAD``/``GET /{id}/resolve/{rev}/{file}`` (``X-Repo-Commit``, ``ETag``, ``Content-Length``,
then the bytes). The weights file is sent ``TRICKLE_BYTES`` at a time, ``TRICKLE_PAUSE_S``
apart, so a download lasts for hours unless the client stops it; ``weight_bytes_sent`` and
``open_transfers`` let a test see that the download is under way and that it stopped.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from urllib.parse import unquote, urlsplit

from tests.loopback_http import LoopbackServer, QuietHandler

COMMIT = "0123456789abcdef0123456789abcdef01234567"
WEIGHTS = "model.safetensors"
WEIGHT_SIZE = 1_200_000_000  # what Qwen3-Embedding-0.6B's weights weigh
TRICKLE_BYTES = 16_384
TRICKLE_PAUSE_S = 0.05


class FakeHfMirror:
    """Serves ``files`` (path -> bytes) as ``repo_id``; with ``trickle``, also ``WEIGHTS``
    (``WEIGHT_SIZE`` bytes, sent slowly)."""

    def __init__(
        self, repo_id: str, files: dict[str, bytes] | None = None, *, trickle: bool = True
    ) -> None:
        self.repo_id = repo_id
        self.small_files = (
            files
            if files is not None
            else {
                "config.json": json.dumps({"model_type": "qwen3", "hidden_size": 8}).encode(),
                "tokenizer.json": b'{"version": "1.0"}',
            }
        )
        self.trickle = trickle
        self.missing: set[str] = set()  # listed, but their download answers 404
        self.paths: list[str] = []
        self.weight_bytes_sent = 0
        self.open_transfers = 0
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.http = LoopbackServer(self._handler())
        self.url = self.http.root

    def close(self) -> None:
        self.http.close()

    def wait_for_weight_bytes(self, timeout: float) -> bool:
        """True once some of the weights went out."""
        with self.changed:
            return self.changed.wait_for(lambda: self.weight_bytes_sent > 0, timeout)

    def wait_until_no_transfer(self, timeout: float) -> bool:
        """True once no weights transfer is open (the client hung up)."""
        with self.changed:
            return self.changed.wait_for(lambda: self.open_transfers == 0, timeout)

    def _size(self, name: str) -> int:
        return len(self.small_files[name]) if name in self.small_files else WEIGHT_SIZE

    def _names(self) -> list[str]:
        return [*self.small_files, WEIGHTS] if self.trickle else list(self.small_files)

    def _model_info(self) -> bytes:
        names = self._names()
        siblings = [{"rfilename": n, "size": self._size(n), "blobId": _etag(n)} for n in names]
        return json.dumps(
            {
                "_id": "kenning-fake",
                "id": self.repo_id,
                "modelId": self.repo_id,
                "sha": COMMIT,
                "private": False,
                "disabled": False,
                "gated": False,
                "tags": [],
                "siblings": siblings,
            }
        ).encode()

    def _tree(self) -> bytes:
        names = self._names()
        return json.dumps(
            [{"type": "file", "oid": _etag(n), "size": self._size(n), "path": n} for n in names]
        ).encode()

    def _handler(self) -> type[QuietHandler]:
        mirror = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the hub's client expects

            def do_GET(self) -> None:
                self._answer(send_body=True)

            def do_HEAD(self) -> None:
                self._answer(send_body=False)

            def _answer(self, *, send_body: bool) -> None:
                path = unquote(urlsplit(self.path).path)
                with mirror.lock:
                    mirror.paths.append(f"{self.command} {path}")
                if path.startswith(f"/api/models/{mirror.repo_id}/tree/"):
                    return self.send_json(200, mirror._tree())
                if path.startswith(f"/api/models/{mirror.repo_id}"):
                    return self.send_json(200, mirror._model_info())
                prefix = f"/{mirror.repo_id}/resolve/"
                if not path.startswith(prefix) or "/" not in path[len(prefix) :]:
                    return self.send_json(404, b'{"error": "Repository not found"}')
                name = path[len(prefix) :].split("/", 1)[1]
                if name not in mirror._names() or name in mirror.missing:
                    return self.send_json(404, b'{"error": "Entry not found"}')
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(mirror._size(name)))
                self.send_header("ETag", f'"{_etag(name)}"')
                self.send_header("X-Repo-Commit", COMMIT)
                self.end_headers()
                if not send_body:
                    return
                if name in mirror.small_files:
                    self.wfile.write(mirror.small_files[name])
                    return
                self.close_connection = True
                mirror._trickle(self)

        return Handler

    def _trickle(self, handler: QuietHandler) -> None:
        with self.changed:
            self.open_transfers += 1
        chunk = b"\0" * TRICKLE_BYTES
        try:
            for _ in range(WEIGHT_SIZE // TRICKLE_BYTES):
                handler.wfile.write(chunk)
                handler.wfile.flush()
                with self.changed:
                    self.weight_bytes_sent += len(chunk)
                    self.changed.notify_all()
                time.sleep(TRICKLE_PAUSE_S)  # the slow network this mirror stands for
        except OSError:
            pass  # the client went away: what a cancelled download does
        finally:
            with self.changed:
                self.open_transfers -= 1
                self.changed.notify_all()


def _etag(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()
