"""The bearer token that guards ``kenning serve``: generated once, kept private on disk."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from engine.errors import KenningError

log = logging.getLogger(__name__)

TOKEN_FILE = "serve-token"
MIN_TOKEN_LENGTH = 16


def token_path() -> Path:
    """Where the token lives: next to the user's settings."""
    import platformdirs

    return Path(platformdirs.user_config_dir("kenning", appauthor=False)) / TOKEN_FILE


def new_token() -> str:
    return secrets.token_urlsafe(32)


def load_or_create_token(path: Path | None = None) -> str:
    """The stored token, or a new one written with mode 0600 (readable by the user only)."""
    path = path or token_path()
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = new_token()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # O_EXCL + 0600 at creation: the token is never readable by others, not even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(token + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.info("Created a new serve token in %s", path)
    return token


def check_token(token: str) -> str:
    token = token.strip()
    if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
        raise KenningError(
            f"the serve token must be at least {MIN_TOKEN_LENGTH} characters without spaces"
        )
    return token


def _read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if os.name == "posix" and mode & 0o077:
        # Someone copied the file around or a umask widened it: close it again, loudly.
        log.warning("%s was readable by other users (mode %o); setting it to 0600", path, mode)
        path.chmod(0o600)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise KenningError(f"cannot read the serve token in {path}: {exc}") from exc
    try:
        return check_token(text)
    except KenningError as exc:
        raise KenningError(f"{path}: {exc} (delete the file to get a new one)") from None
