"""Which files hold secrets: by name (the lists secret scanners ship) and by content.

Names come from the well-known secret-file lists of gitleaks, trufflehog and GitHub's
secret scanning: environment files, private keys and keystores, cloud, registry and tool
credentials, and shell or database client histories (commands typed with passwords in them).
The content check catches what a name cannot: a private key pasted into ``notes.txt`` or a
cloud service-account key saved under any name.

Secrets are never opened for indexing by name; a file is read only when its name says
nothing, and then skipped before any chunk is made when it holds a private key. Either way it
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


# A PEM or OpenSSH private key block (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP ... BLOCK), also
# inside JSON strings (service-account keys) where the newlines are escaped.
_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_SERVICE_ACCOUNT = re.compile(rb'"type"\s*:\s*"service_account"')


def content_secret_reason(data: bytes) -> str | None:
    """Why these bytes are a secret by what they hold, or None."""
    if _PRIVATE_KEY.search(data) is not None:
        return PRIVATE_KEY_REASON
    if b'"private_key"' in data and _SERVICE_ACCOUNT.search(data) is not None:
        return SERVICE_ACCOUNT_REASON
    return None


def is_secret_reason(reason: str | None) -> bool:
    return reason is not None and reason.startswith("secret")
