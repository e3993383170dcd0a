"""Real private keys, generated per test session, in the forms users keep them in.

Secret-detection tests need key bodies that look like keys (placeholders are what the
detector must let through), and a committed key would itself trip every secret scanner, so
they are made here with ``cryptography``. Each is cached: RSA generation takes a moment.
"""

from __future__ import annotations

import base64
import functools
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

_PEM = serialization.Encoding.PEM
_PLAIN = serialization.NoEncryption()


@functools.cache
def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _ed25519() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def rsa_pkcs1_pem() -> str:
    """``-----BEGIN RSA PRIVATE KEY-----``, the classic ``id_rsa`` and ``server.key``."""
    fmt = serialization.PrivateFormat.TraditionalOpenSSL
    return _rsa().private_bytes(_PEM, fmt, _PLAIN).decode()


def rsa_pkcs8_pem() -> str:
    """``-----BEGIN PRIVATE KEY-----``: what cloud consoles and ``openssl genpkey`` write."""
    return _rsa().private_bytes(_PEM, serialization.PrivateFormat.PKCS8, _PLAIN).decode()


@functools.cache
def ec_pem() -> str:
    """``-----BEGIN EC PRIVATE KEY-----`` (P-256): three lines, the last one short."""
    key = ec.generate_private_key(ec.SECP256R1())
    fmt = serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(_PEM, fmt, _PLAIN).decode()


def encrypted_pem() -> str:
    """A passphrase-protected PKCS#1 key: ``Proc-Type:`` and ``DEK-Info:`` before the base64."""
    fmt = serialization.PrivateFormat.TraditionalOpenSSL
    crypt = serialization.BestAvailableEncryption(b"correct horse")
    return _rsa().private_bytes(_PEM, fmt, crypt).decode()


def encrypted_pkcs8_pem() -> str:
    """``-----BEGIN ENCRYPTED PRIVATE KEY-----``."""
    crypt = serialization.BestAvailableEncryption(b"correct horse")
    return _rsa().private_bytes(_PEM, serialization.PrivateFormat.PKCS8, crypt).decode()


def ed25519_pkcs8_pem() -> str:
    """The shortest real key block: one base64 line of 64 characters."""
    return _ed25519().private_bytes(_PEM, serialization.PrivateFormat.PKCS8, _PLAIN).decode()


def openssh_ed25519() -> str:
    """``-----BEGIN OPENSSH PRIVATE KEY-----`` (``b3BlbnNzaC1rZXktdjE...``), as ssh-keygen."""
    fmt = serialization.PrivateFormat.OpenSSH
    return _ed25519().private_bytes(_PEM, fmt, _PLAIN).decode()


def pgp_armoured_block() -> str:
    """A PGP private key block: armour headers, a blank line, base64 and its checksum line.

    The payload is a real key's DER, so the base64 has a real key's length and alphabet.
    """
    der = _rsa().private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, _PLAIN
    )
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
        "Version: GnuPG v2\nComment: backup of my signing key\n\n"
        + "\n".join(lines)
        + "\n=kPNu\n-----END PGP PRIVATE KEY BLOCK-----\n"
    )


def with_marker(pem: str, marker: str) -> str:
    """``pem`` with ``marker`` (letters and digits: base64-safe) starting its second body line.

    The key stays a key to any detector, and a test can look for the marker in the store.
    """
    lines = pem.split("\n")
    lines[2] = marker + lines[2]
    return "\n".join(lines)


def service_account_json(pem: str | None = None, key_id: str = "0a1b2c3d4e5f") -> str:
    """A Google Cloud service-account key file: the PEM inside a JSON string (escaped)."""
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "ledger-prod-4f2a",
            "private_key_id": key_id,
            "private_key": pem if pem is not None else rsa_pkcs8_pem(),
            "client_email": "indexer@ledger-prod-4f2a.iam.gserviceaccount.com",
            "client_id": "109876543210987654321",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        },
        indent=2,
    )
