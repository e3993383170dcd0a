"""Which files hold secrets: by name (the lists secret scanners ship) and by content.

Names come from the well-known secret-file lists of gitleaks, trufflehog and GitHub's
secret scanning: environment files, private keys and keystores, cloud, registry and tool
credentials, and shell or database client histories (commands typed with passwords in them).
The content check catches what a name cannot: a private key pasted into ``notes.txt`` or a
cloud service-account key saved under any name.

Secrets are never opened for indexing by name; a file is read only when its name says
nothing, and then skipped before any chunk is made when it holds a private key (key material
after a BEGIN line; the placeholder blocks of documentation stay searchable). Either way it
is recorded as skipped with a reason starting with ``"secret"``, so the health view and
``kenning status`` show what was left out.
"""

from __future__ import annotations

import re

SECRET_REASON = "secret"
SECRET_FOLDER_REASON = "secret folder"
PRIVATE_KEY_REASON = "secret: holds a private key"
SERVICE_ACCOUNT_REASON = "secret: a cloud service-account key"

# Exact names (lower case).
SECRET_FILE_NAMES = frozenset(
    {
        # network and git credentials
        ".netrc", "_netrc", ".git-credentials", ".authinfo", ".htpasswd", "htpasswd",
        # package registries
        ".npmrc", ".yarnrc", ".pypirc", "pip.conf", "pip.ini", ".gemrc", ".cargo-credentials",
        "credentials.toml", ".composer-auth.json", "auth.json", ".nuget.config",
        # databases
        ".pgpass", ".my.cnf", ".mylogin.cnf",
        # cloud and infrastructure tools
        ".dockercfg", ".boto", ".vault-token", ".s3cfg", "kubeconfig", "credentials.db",
        "access_tokens.db", "application_default_credentials.json", "accesstokens.json",
        "msal_token_cache.json", "msal_token_cache.bin", "service-account.json",
        "service_account.json", "credentials.tfrc.json", ".terraformrc", "terraform.rc",
        "terraform.tfvars", "rclone.conf", "kaggle.json", ".tugboat",
        # OAuth client secrets and cached tokens
        "credentials.json", "client_secret.json", "client_secrets.json", "token.json",
        "token.pickle",
        # application secrets
        "secrets.yml", "secrets.yaml", "secrets.json", "secrets.toml", "master.key",
        "credentials.yml.enc", "wp-config.php", "sftp-config.json",
        ".ftpconfig", ".remote-sync.json", "recentservers.xml", "sitemanager.xml",
        "credentials-config.json", "keystore.properties", ".git-credential-cache",
        # shell and client histories: typed commands include passwords and tokens
        ".histfile", "fish_history", ".lesshst", ".viminfo", ".wget-hsts",
    }
)  # fmt: skip
SECRET_PREFIXES = (
    ".env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".authinfo", "client_secret",
    "secring.",
)  # fmt: skip
SECRET_SUFFIXES = (
    ".pem", ".key", ".p12", ".pfx", ".p8", ".pkcs12", ".keystore", ".jks", ".bks", ".ppk",
    ".kdbx", ".kdb", ".keytab", ".gpg", ".pgp", ".asc", ".tfstate", ".tfstate.backup",
    ".tfvars", ".tfvars.json", ".keychain", ".keychain-db", ".kubeconfig", ".ovpn",
    ".mobileprovision",
)  # fmt: skip
# (folder, file) pairs that are secrets only in that folder.
SECRET_FILE_PAIRS = frozenset(
    {
        (".aws", "credentials"), (".aws", "config"), (".kube", "config"),
        (".docker", "config.json"), (".gem", "credentials"), (".kaggle", "kaggle.json"),
        (".cargo", "credentials"), (".cargo", "credentials.toml"), ("gh", "hosts.yml"),
        (".config", "hub"), ("rclone", "rclone.conf"), ("pip", "pip.conf"),
    }
)  # fmt: skip
# Folders that hold credentials and nothing a user searches for.
SECRET_DIRS = frozenset(
    {
        ".ssh", ".gnupg", ".aws", ".azure", ".kube", ".password-store", ".docker",
        ".terraform.d", ".gem", ".kaggle", ".secrets",
    }
)  # fmt: skip
SECRET_DIR_PAIRS = frozenset({(".config", "gcloud"), (".config", "gh"), (".config", "rclone")})


def is_secret_name(lower: str, parent: str = "") -> bool:
    """``lower``: a file name in lower case; ``parent``: the name of its folder."""
    if (
        lower in SECRET_FILE_NAMES
        or lower.startswith(SECRET_PREFIXES)
        or lower.endswith(SECRET_SUFFIXES)
        or (parent, lower) in SECRET_FILE_PAIRS
    ):
        return True
    if lower.startswith(".") and lower.endswith("_history"):
        return True  # .bash_history, .zsh_history, .psql_history, .mysql_history, ...
    # production.env, app.env.local: "env" as a later part of a dotted name. Not env.py, a
    # module (alembic's, for one) whose name starts with it.
    return "env" in lower.split(".")[1:]


# A private-key BEGIN line (PEM: RSA, EC, DSA, ENCRYPTED, PKCS#8; OpenSSH; PGP ... BLOCK)
# followed, after at most a few newlines (real or escaped, as in a JSON string), quotes,
# concatenation signs or comment and quote marks (#, //, *, >), by what starts a key: a
# PEM/PGP header or a base64 run (a key's first line is a full one, 64 characters or more).
# That lookahead drops in C the common cases: a BEGIN line followed by "...", "XXXX",
# "<your key>" or the next BEGIN line. Every quantifier is bounded, so no input makes the
# search backtrack.
_PRIVATE_KEY_BEGIN = re.compile(
    rb"-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----"
    rb"(?=(?:[\s\"'`+,#>*;!%/]|\\[rn]|\\){0,32}"
    rb"(?:[A-Za-z0-9+/]{16}|[A-Za-z][A-Za-z0-9-]{0,40}:))"
)
# How far after a BEGIN line key material is looked for. A key has its first base64 within
# a few header lines; an RSA-4096 PEM is ~3.2 kB, and the rule needs only its first lines.
_KEY_WINDOW = 8192
# Line ends escaped inside a JSON or code string; real ones are whitespace to bytes.split().
_ESCAPED_LINE_END = re.compile(rb"\\r\\n|\\n|\\r")
_BASE64 = re.compile(rb"[A-Za-z0-9+/]+={0,2}")
# Quotes, separators, escapes and comment or quote marks around a line of a key pasted into
# code, JSON, a shell script or a quoted e-mail.
_TOKEN_EDGES = b"\"'`,;\\#>*!%"
# A base64 line of a key: PEM lines are 64 characters, OpenSSH ones 70.
_KEY_LINE = 40
# Key material: two or more full lines (100 characters) of base64, or, for a block closed by
# its END line and holding nothing but base64, 60 characters (an Ed25519 PKCS#8 key is one
# line of 64). Placeholders ("XXXX", "...", "<private key>", a truncated first line) are short
# or not base64. Real base64 of that length uses far more than 24 distinct characters, while
# runs of one letter ("AAAA...") and hex digests (16 symbols) do not.
_KEY_MATERIAL = 100
_CLOSED_KEY_MATERIAL = 60
_DISTINCT_CHARS = 24

_SERVICE_ACCOUNT = re.compile(rb'"type"\s*:\s*"service_account"')
# A "private_key" JSON value that starts like a PEM block or base64, not "", "..." or "<key>".
_PRIVATE_KEY_VALUE = re.compile(rb'"private_key"\s*:\s*"(?=-----BEGIN |[A-Za-z0-9+/]{16})')


def _holds_key_material(block: bytes, closed: bool) -> bool:
    """Whether ``block`` (what follows a BEGIN line, or a JSON value) is key material.

    ``closed``: the block ends where its END line (or the value's closing quote) starts, so
    all of it is the key body. Armour headers (``Proc-Type:``, ``Version:``) are not base64;
    they only come with bodies long enough for the first rule.
    """
    long_chars = 0
    long_seen: set[int] = set()
    total_chars = 0
    all_seen: set[int] = set()
    only_base64 = True
    for line in _ESCAPED_LINE_END.split(block):
        for raw in line.split():
            token = raw.strip(_TOKEN_EDGES)
            if not token:
                continue
            if _BASE64.fullmatch(token) is None:
                only_base64 = False
                continue
            total_chars += len(token)
            all_seen.update(token)
            if len(token) >= _KEY_LINE:
                long_chars += len(token)
                long_seen.update(token)
    if long_chars >= _KEY_MATERIAL and len(long_seen) >= _DISTINCT_CHARS:
        return True
    return (
        closed
        and only_base64
        and total_chars >= _CLOSED_KEY_MATERIAL
        and len(all_seen) >= _DISTINCT_CHARS
    )


def _holds_private_key(data: bytes) -> bool:
    """Whether a private-key BEGIN line in ``data`` is followed by real key material.

    Each block is read up to the next ``-----`` (its END line, or the next BEGIN) or
    ``_KEY_WINDOW`` bytes, so the blocks never overlap and the work is linear in the file.
    """
    for match in _PRIVATE_KEY_BEGIN.finditer(data):
        start = match.end()
        cut = data.find(b"-----", start, start + _KEY_WINDOW)
        closed = cut != -1 and data.startswith(b"-----END ", cut)
        end = cut if cut != -1 else start + _KEY_WINDOW
        if _holds_key_material(data[start:end], closed):
            return True
    return False


def _holds_service_account_key(data: bytes) -> bool:
    """A service-account JSON whose ``private_key`` value is a key, not a placeholder."""
    if b'"private_key"' not in data or _SERVICE_ACCOUNT.search(data) is None:
        return False
    for match in _PRIVATE_KEY_VALUE.finditer(data):
        start = match.end()
        quote = data.find(b'"', start, start + _KEY_WINDOW)
        value = data[start : quote if quote != -1 else start + _KEY_WINDOW]
        if b"-----BEGIN " in value:
            if _holds_private_key(value):
                return True
        elif _holds_key_material(value, closed=quote != -1):
            return True
    return False


def content_secret_reason(data: bytes) -> str | None:
    """Why these bytes are a secret by what they hold, or None.

    A BEGIN line alone is not a key: documentation shows placeholder blocks
    (``-----BEGIN PRIVATE KEY-----\\nXXXX\\n-----END PRIVATE KEY-----``) and must stay
    searchable. A block counts when base64 key material follows its BEGIN line.
    """
    if _holds_service_account_key(data):
        return SERVICE_ACCOUNT_REASON
    if _holds_private_key(data):
        return PRIVATE_KEY_REASON
    return None


def is_secret_reason(reason: str | None) -> bool:
    return reason is not None and reason.startswith("secret")
