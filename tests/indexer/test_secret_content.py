"""A file is a secret by content when a private-key block holds key material, not when
documentation shows a BEGIN line with a placeholder body."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.pipeline import IndexOptions, Pipeline
from indexer.secret_files import (
    PRIVATE_KEY_REASON,
    SERVICE_ACCOUNT_REASON,
    content_secret_reason,
)
from tests import secret_keys
from tests.fake_embedder import HashingEmbedder

PROSE = (
    "# Deploying the ledger\n\nThe staging host takes the key below; rotate it after the "
    "audit.\n\n```\n{key}```\n\nThen restart the service with `systemctl restart ledger`.\n"
)

REAL_KEYS: dict[str, Callable[[], str]] = {
    "pkcs1 rsa pem": secret_keys.rsa_pkcs1_pem,
    "pkcs8 pem": secret_keys.rsa_pkcs8_pem,
    "ec pem": secret_keys.ec_pem,
    "encrypted pem": secret_keys.encrypted_pem,
    "encrypted pkcs8 pem": secret_keys.encrypted_pkcs8_pem,
    "ed25519 pkcs8 pem (one line)": secret_keys.ed25519_pkcs8_pem,
    "openssh ed25519": secret_keys.openssh_ed25519,
    "pgp armoured block": secret_keys.pgp_armoured_block,
    "key among prose in markdown": lambda: PROSE.format(key=secret_keys.rsa_pkcs1_pem()),
    "crlf line ends": lambda: secret_keys.rsa_pkcs1_pem().replace("\n", "\r\n"),
    "indented in a yaml value": lambda: (
        "tls:\n  key: |\n" + "".join(f"    {line}\n" for line in secret_keys.ec_pem().splitlines())
    ),
    "escaped in a json string": lambda: json.dumps({"key": secret_keys.rsa_pkcs8_pem()}),
    "python string concatenation": lambda: (
        "KEY = (\n"
        + "".join(f'    "{line}\\n"\n' for line in secret_keys.openssh_ed25519().splitlines())
        + ")\n"
    ),
    "commented out in a shell script": lambda: (
        "#!/bin/sh\n# old deploy key:\n"
        + "".join(f"# {line}\n" for line in secret_keys.rsa_pkcs1_pem().splitlines())
    ),
    "quoted in an e-mail reply": lambda: (
        "On Monday, Ana wrote:\n"
        + "".join(f"> {line}\n" for line in secret_keys.openssh_ed25519().splitlines())
    ),
    "double-escaped in a json string": lambda: json.dumps(
        {"env": json.dumps({"KEY": secret_keys.rsa_pkcs8_pem()})}
    ),
    "one line, no newlines": lambda: (
        secret_keys.rsa_pkcs1_pem()
        .replace("\n", "", 1)
        .replace("\n-----END", "-----END")
        .replace("\n", "")
    ),
    "no END line (cut off)": lambda: secret_keys.rsa_pkcs1_pem()[:600],
}

NPM_CONFIG_DOC = (
    "A client key to pass when accessing the registry. Values should be in PEM\n"
    'format with newlines replaced by the string "\\n". For example:\n\n```ini\n'
    'key="-----BEGIN PRIVATE KEY-----\\nXXXX\\nXXXX\\n-----END PRIVATE KEY-----"\n```\n\n'
    "It is _not_ the path to a key file, though you can set a registry-scoped\n"
    '"keyfile" path like "//other-registry.tld/:keyfile=/path/to/key.pem".\n'
)
PLACEHOLDERS: dict[str, str] = {
    "npm config docs": NPM_CONFIG_DOC,
    "dots": "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
    "escaped dots in a readme": 'PRIVATE_KEY="-----BEGIN RSA PRIVATE KEY-----\\n...\\n'
    '-----END RSA PRIVATE KEY-----"\n',
    "angle-bracket placeholder": "-----BEGIN PRIVATE KEY-----\n<private key>\n"
    "-----END PRIVATE KEY-----\n",
    "your key here": "-----BEGIN OPENSSH PRIVATE KEY-----\n<your key here>\n"
    "-----END OPENSSH PRIVATE KEY-----\n",
    "BEGIN line explained in prose": "A PEM file starts with a line such as "
    "`-----BEGIN PRIVATE KEY-----` and ends with the matching END line. Between them is the "
    "base64 of the DER encoding, wrapped at 64 columns. OpenSSH keys use "
    "`-----BEGIN OPENSSH PRIVATE KEY-----` instead.\n" * 3,
    "truncated example, 2 short lines": "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAx4UbaDzY\nq0Zr7Gv2pN1...\n-----END RSA PRIVATE KEY-----\n",
    "truncated example, 2 short lines, no dots": "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAx4UbaDzY\nq0Zr7Gv2pN1\n-----END RSA PRIVATE KEY-----\n",
    "first real line then dots": "-----BEGIN RSA PRIVATE KEY-----\n"
    + secret_keys.rsa_pkcs1_pem().splitlines()[1]
    + "\n...\n-----END RSA PRIVATE KEY-----\n",
    "a run of one letter": "-----BEGIN PRIVATE KEY-----\n"
    + ("A" * 64 + "\n") * 4
    + "-----END PRIVATE KEY-----\n",
    "hex digests after a BEGIN line": "-----BEGIN PRIVATE KEY-----\n"
    + "".join(f"{i:x}" * 40 + "\n" for i in range(3))
    + "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\n" * 3,
}


@pytest.mark.parametrize("name", sorted(REAL_KEYS))
def test_a_real_key_is_a_secret(name: str) -> None:
    assert content_secret_reason(REAL_KEYS[name]().encode()) == PRIVATE_KEY_REASON


@pytest.mark.parametrize("name", sorted(PLACEHOLDERS))
def test_a_placeholder_key_block_is_not(name: str) -> None:
    assert content_secret_reason(PLACEHOLDERS[name].encode()) is None


def test_real_key_after_placeholders_in_the_same_file_is_found() -> None:
    text = NPM_CONFIG_DOC + PLACEHOLDERS["dots"] + PROSE.format(key=secret_keys.ec_pem())
    assert content_secret_reason(text.encode()) == PRIVATE_KEY_REASON


def test_a_service_account_key_is_a_secret() -> None:
    data = secret_keys.service_account_json().encode()
    assert b"\\n" in data  # the PEM's newlines are escaped in the JSON string
    assert content_secret_reason(data) == SERVICE_ACCOUNT_REASON


@pytest.mark.parametrize(
    "private_key",
    [
        "...",
        "",
        "<your private key>",
        "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",
    ],
)
def test_a_service_account_page_with_a_placeholder_key_is_not(private_key: str) -> None:
    page = (
        "## Creating a service-account key\n\nThe downloaded file looks like this:\n\n```json\n"
        + secret_keys.service_account_json(private_key)
        + "\n```\n"
    )
    assert content_secret_reason(page.encode()) is None


def test_a_service_account_key_without_pem_armour_is_a_secret() -> None:
    body = "".join(secret_keys.rsa_pkcs8_pem().splitlines()[1:-1])
    data = secret_keys.service_account_json(body).encode()
    assert content_secret_reason(data) == SERVICE_ACCOUNT_REASON


@pytest.mark.parametrize(
    "hostile",
    [
        b"-----BEGIN PRIVATE KEY-----\n" * 400_000,
        b"-----BEGIN PRIVATE KEY-----" * 400_000,
        b"-----BEGIN PRIVATE KEY-----\nA\n" * 350_000,
        b"-----BEGIN PRIVATE KEY-----\nQUJDRUZHSElKS0xNTk9Q\n" * 210_000,
        b"-----BEGIN PRIVATE KEY-----\n" + b"QUJD" * 2_500_000,
        b"-----BEGIN " + b"RSA " * 2_500_000,
        b'{"type": "service_account", ' + b'"private_key": "' * 600_000,
        b"-----BEGIN PRIVATE KEY-----\n" + b"word " * 2_000_000,
    ],
    ids=[
        "begin lines",
        "begin run",
        "tiny bodies",
        "short bodies",
        "huge blob",
        "type words",
        "json",
        "prose",
    ],
)
def test_hostile_10mb_inputs_finish(hostile: bytes) -> None:
    """Bounded work: pytest's timeout fails this if the scan backtracks or goes quadratic."""
    content_secret_reason(hostile)


def test_the_pipeline_indexes_a_placeholder_doc_and_skips_a_real_key(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "docs").mkdir(parents=True)
    (tree / "docs/config.md").write_text("# Registry client key\n\n" + NPM_CONFIG_DOC)
    (tree / "notes.txt").write_text(PROSE.format(key=secret_keys.rsa_pkcs8_pem()))
    embedder = HashingEmbedder(dim=64)
    pipeline = Pipeline(tmp_path / "data", embedder, options=IndexOptions())
    try:
        report = pipeline.index([tree])
        problems = {path: reason for path, _, reason in pipeline.store.problem_files()}
    finally:
        pipeline.close()
    assert report.files_indexed == 1
    assert any("registry-scoped" in text for text in embedder.documents_embedded)
    assert problems == {str(tree / "notes.txt"): PRIVATE_KEY_REASON}
