"""Promise 13: ``.env``, private keys, certificates, cloud credentials and ``.git/`` never reach
the store, the vectors or the logs, whether found by a crawl or created while watching.

Every secret holds a unique marker. The checks read the raw database files (WAL included),
every text the embedder was given, and everything logged at DEBUG level in this process and
written to the file descriptors by any process (the parse worker included).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from engine.store import DB_NAME, Store
from indexer.pipeline import IndexOptions, Pipeline
from indexer.service import IndexService
from tests import secret_keys
from tests.fake_embedder import HashingEmbedder
from tests.reliability.corpus import write_corpus
from tests.reliability.service_listener import Recorder

# Real keys (generated), the marker inside their base64; two are cut off before the END line.
_OPENSSH_KEY = secret_keys.with_marker(secret_keys.openssh_ed25519(), "{marker}")
_PKCS8_KEY = secret_keys.with_marker(secret_keys.rsa_pkcs8_pem(), "{marker}")

SECRETS = {
    ".env": "API_TOKEN={marker}\n",
    ".env.production": "DATABASE_URL=postgres://admin:{marker}@db/prod\n",
    "config/.env.local": "STRIPE_KEY={marker}\n",
    "id_rsa": _OPENSSH_KEY,
    "deploy/id_ed25519": _OPENSSH_KEY.split("-----END")[0],
    "certs/server.pem": "-----BEGIN CERTIFICATE-----\n{marker}\n-----END CERTIFICATE-----\n",
    "certs/server.key": _PKCS8_KEY.split("-----END")[0],
    ".aws/credentials": "[default]\naws_secret_access_key = {marker}\n",
    ".aws/config": "[default]\nregion = eu-west-1 # {marker}\n",
    ".ssh/config": "Host prod\n  IdentityFile ~/.ssh/{marker}\n",
    ".git/config": '[remote "origin"]\n  url = https://user:{marker}@example.com/repo.git\n',
    ".git/logs/HEAD": "0000 1111 Dev <dev@example.com> commit: {marker}\n",
    ".npmrc": "//registry.npmjs.org/:_authToken={marker}\n",
    ".netrc": "machine example.com login me password {marker}\n",
    "secrets.yaml": "password: {marker}\n",
    "terraform.tfstate": '{{"secret": "{marker}"}}\n',
}


def _marker(name: str) -> str:
    return "SECRETMARKER" + "".join(ch for ch in name.upper() if ch.isalnum()) + "X9Q"


def _plant(tree: Path, names: dict[str, str]) -> list[str]:
    markers = []
    for name, template in names.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        marker = _marker(name)
        path.write_text(template.format(marker=marker))
        markers.append(marker)
    return markers


def _leaks(data: Path, embedded: list[str], logged: str, markers: list[str]) -> list[str]:
    raw = b"".join(p.read_bytes() for p in data.iterdir() if p.name.startswith(DB_NAME))
    found = []
    for marker in markers:
        if marker.encode() in raw:
            found.append(f"{marker} in the store")
        if any(marker in text for text in embedded):
            found.append(f"{marker} sent to the embedder")
        if marker in logged:
            found.append(f"{marker} in the logs")
    # A secret's path may be listed as left out (issue 14.10: the health view shows it), as a
    # skipped row with a "secret" reason; anything else about it in the store is a leak.
    listed = _listed_secrets(data)
    for name in SECRETS:
        top = name.split("/")[0]
        for path, (status, reason) in listed.items():
            mentioned = path.endswith((f"/{name}", f"/{top}"))
            if mentioned and (status != "skipped" or not reason.startswith("secret")):
                found.append(f"{name} recorded as {status}: {reason}")
    store = Store.open(data, readonly=True)
    try:
        chunk_paths = {
            r[0]
            for r in store.conn.execute(
                "SELECT DISTINCT f.path FROM chunks c JOIN files f ON f.id = c.file_id"
            )
        }
    finally:
        store.close()
    for name in SECRETS:
        if any(p.endswith(f"/{name}") for p in chunk_paths):
            found.append(f"chunks of {name} in the store")
    if any("/.git/" in p for p in listed):
        found.append("a .git path in the store")
    return found


def _listed_secrets(data: Path) -> dict[str, tuple[str, str]]:
    store = Store.open(data, readonly=True)
    try:
        rows = store.conn.execute("SELECT path, status, COALESCE(reason, '') FROM files")
        return {path: (status, reason) for path, status, reason in rows}
    finally:
        store.close()


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_secrets_found_by_a_crawl_reach_nothing(tmp_path, everything_logged, capfd):
    tree = tmp_path / "tree"
    write_corpus(tree, 20, seed=91)
    markers = _plant(tree, SECRETS)
    embedder = HashingEmbedder(dim=64)
    data = tmp_path / "data"
    pipeline = Pipeline(data, embedder, options=IndexOptions())
    report = pipeline.index([tree])
    pipeline.close()

    out, err = capfd.readouterr()
    # Listed as left out: the secret files, and each secret folder once (not entered).
    assert report.files_indexed == 20 and report.files_skipped == 13
    listed = _listed_secrets(data)
    assert sum(1 for status, reason in listed.values() if reason.startswith("secret")) == 13
    logged = everything_logged.text + out + err
    assert _leaks(data, embedder.documents_embedded, logged, markers) == []
    assert embedder.documents_embedded  # the ordinary files did go through


def test_secrets_created_while_watching_reach_nothing(tmp_path, everything_logged, capfd):
    tree = tmp_path / "tree"
    write_corpus(tree, 10, seed=93)
    (tree / ".git").mkdir()
    embedder = HashingEmbedder(dim=64)
    data = tmp_path / "data"
    listener = Recorder()
    baseline = set(threading.enumerate())
    service = IndexService(
        data, lambda: embedder, [tree], listener=listener, quiet_s=0.1, max_delay_s=1.0
    )
    service.start()
    try:
        assert listener.wait_for(lambda: bool(listener.finished), 120)
        markers = _plant(tree, SECRETS)
        # An ordinary file written after the secrets: once it is indexed, the watcher has
        # handed on (or dropped) every earlier event.
        (tree / "after_the_secrets.py").write_text("def written_last():\n    return 1\n")
        assert listener.wait_for(
            lambda: any("written_last" in t for t in embedder.documents_embedded), 120
        )
    finally:
        assert service.stop(5.0)
    assert set(threading.enumerate()) == baseline
    out, err = capfd.readouterr()
    logged = everything_logged.text + out + err
    assert _leaks(data, embedder.documents_embedded, logged, markers) == []
