"""Issue 14.10: secrets by name (the scanners' lists) and by content are left out, listed.

Each secret is recorded as skipped with a reason starting with "secret" (so the health view and
``kenning status`` show it), its content never reaches the store, the embedder or a served
search, and the same holds for secrets created while watching.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from engine.serve.http_api import ServeConfig, make_server
from engine.store import DB_NAME, Store
from indexer.pipeline import IndexOptions, Pipeline
from indexer.service import IndexService
from tests import secret_keys
from tests.fake_embedder import HashingEmbedder
from tests.reliability.conftest import REPO
from tests.reliability.service_listener import Recorder


def _private_key(marker: str) -> str:
    """A real RSA key pasted into notes, the marker inside its base64."""
    return secret_keys.with_marker(secret_keys.rsa_pkcs1_pem(), marker)


def _service_account(marker: str) -> str:
    """A real service-account key file (escaped PEM in JSON), the marker in its id and key."""
    pem = secret_keys.with_marker(secret_keys.rsa_pkcs8_pem(), marker)
    return secret_keys.service_account_json(pem, key_id=marker)


BY_NAME = [
    "production.env",
    "deploy/app.env.local",
    "credentials.json",
    "client_secret_1234.apps.googleusercontent.com.json",
    "token.json",
    ".bash_history",
    ".zsh_history",
    ".psql_history",
    ".mysql_history",
    ".python_history",
    "infra/prod.tfvars",
    ".gem/credentials",
    ".kaggle/kaggle.json",
    "config/rclone.conf",
    "pip.conf",
    ".pypirc",
    "auth.json",
    ".npmrc",
    ".netrc",
    ".git-credentials",
    ".docker/config.json",
    "keys/id_ed25519",
    "certs/client.p12",
    "kubeconfig",
    ".aws/credentials",
]
# Innocent names, secret content.
BY_CONTENT: dict[str, Callable[[str], str]] = {
    "notes/ops-handover.txt": _private_key,
    "backup/project-4f2a.json": _service_account,
}
ORDINARY = {
    "src/ledger.py": "def merge_ledger_records(a, b):\n    '''Merge the ledger records.'''\n"
    "    return sorted(a + b)\n",
    "docs/env.md": "# Environment\n\nThe password of the staging database rotates weekly.\n",
    "env.py": "def run_migrations():\n    '''Alembic's env.py is code, not a secret.'''\n",
    # A placeholder key block, as in npm's config docs, is documentation, not a secret.
    "docs/registry.md": "Set the client key with newlines escaped:\n"
    'key="-----BEGIN PRIVATE KEY-----\\nXXXX\\nXXXX\\n-----END PRIVATE KEY-----"\n',
}


def _marker(rel: str) -> str:
    return "SECRETZ" + "".join(ch for ch in rel.upper() if ch.isalnum()) + "Q9"


def _plant(tree: Path) -> list[str]:
    markers = []
    for rel in BY_NAME:
        marker = _marker(rel)
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"password = {marker}\nclient_secret = {marker}\n")
        markers.append(marker)
    for rel, secret in BY_CONTENT.items():
        marker = _marker(rel)
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secret(marker))
        markers.append(marker)
    return markers


def _write_ordinary(tree: Path) -> None:
    for rel, text in ORDINARY.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)


def _expected_rows(tree: Path) -> dict[str, str]:
    """Listed path -> reason prefix. Secret folders are listed once, never entered."""
    rows = {}
    for rel in BY_NAME:
        top = rel.split("/")[0]
        if top in (".gem", ".kaggle", ".docker", ".aws"):
            rows[str(tree / top)] = "secret folder"
        else:
            rows[str(tree / rel)] = "secret"
    for rel in BY_CONTENT:
        rows[str(tree / rel)] = "secret: "
    return rows


def _secret_rows(data: Path) -> dict[str, str]:
    store = Store.open(data, readonly=True)
    try:
        return {p: r for p, s, r in store.problem_files() if s == "skipped" and "secret" in r}
    finally:
        store.close()


def _raw_store(data: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data.iterdir() if p.name.startswith(DB_NAME))


def test_secrets_are_listed_as_left_out_and_never_served(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    _write_ordinary(tree)
    markers = _plant(tree)
    embedder = HashingEmbedder(dim=64)
    data = tmp_path / "data"
    pipeline = Pipeline(data, embedder, options=IndexOptions())
    try:
        report = pipeline.index([tree])
    finally:
        pipeline.close()

    assert report.files_indexed == len(ORDINARY)
    rows = _secret_rows(data)
    expected = _expected_rows(tree)
    assert set(rows) == set(expected)
    for path, prefix in expected.items():
        assert rows[path].startswith(prefix), (path, rows[path])
    raw = _raw_store(data)
    assert [m for m in markers if m.encode() in raw] == []
    assert [m for m in markers if any(m in t for t in embedder.documents_embedded)] == []

    # kenning status lists them (the health view reads the same rows).
    status = subprocess.run(
        [sys.executable, "-m", "desktop", "status", "--data-dir", str(data), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    listed = {p["path"]: p["reason"] for p in json.loads(status.stdout)["problems"]}
    assert {p for p, r in listed.items() if r.startswith("secret")} == set(expected)

    # A served search never returns them, whatever it asks.
    server = make_server(ServeConfig(token="t" * 32, port=0), embedder, data_dir=data)
    server.start()
    try:
        for mode in ("hybrid", "semantic", "lexical"):
            for query in ("password client_secret", "private key", markers[0], "ledger"):
                reply = httpx.post(
                    f"{server.url}/v1/search",
                    json={"query": query, "mode": mode, "limit": 50},
                    headers={"Authorization": "Bearer " + "t" * 32},
                )
                assert reply.status_code == 200, reply.text
                paths = {r["path"] for r in reply.json()["results"]}
                assert paths <= {str(tree / rel) for rel in ORDINARY}, (mode, query, paths)
    finally:
        server.stop()


def test_secrets_created_while_watching_are_listed_and_never_indexed(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    _write_ordinary(tree)
    embedder = HashingEmbedder(dim=64)
    data = tmp_path / "data"
    listener = Recorder()
    service = IndexService(
        data, lambda: embedder, [tree], listener=listener, quiet_s=0.1, max_delay_s=1.0
    )
    service.start()
    try:
        assert listener.wait_for(lambda: bool(listener.finished), 120)
        (tree / "notes").mkdir()
        (tree / "infra").mkdir()
        for rel in ("production.env", ".bash_history", "infra/prod.tfvars", "token.json"):
            (tree / rel).write_text(f"password = {_marker(rel)}\n")
        (tree / "notes/ops-handover.txt").write_text(_private_key("WATCHEDKEY"))
        (tree / "after.py").write_text("def written_last():\n    return 1\n")
        want = {
            str(tree / rel)
            for rel in (
                "production.env",
                ".bash_history",
                "infra/prod.tfvars",
                "token.json",
                "notes/ops-handover.txt",
            )
        }
        assert listener.wait_for(lambda: set(_secret_rows(data)) == want, 120), _secret_rows(data)
        assert listener.wait_for(
            lambda: any("written_last" in t for t in embedder.documents_embedded), 120
        )
    finally:
        assert service.stop(5.0)
    assert not any("WATCHEDKEY" in t or "SECRETZ" in t for t in embedder.documents_embedded)
    assert b"WATCHEDKEY" not in _raw_store(data)
