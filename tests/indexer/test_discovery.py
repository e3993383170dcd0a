"""Discovery over real trees: ignore files, default excludes, secrets, links, caps, errors."""

from __future__ import annotations

import builtins
import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from indexer.discovery import (
    DiscoveryOptions,
    RootUnavailableError,
    SkippedPath,
    discover,
    exclusion_reason,
)


def write(root: Path, rel: str, content: str | bytes = "text\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def run(root: Path, options: DiscoveryOptions | None = None) -> tuple[list[str], list[SkippedPath]]:
    skipped: list[SkippedPath] = []
    found = [f.rel_path for f in discover(root, options or DiscoveryOptions(), skipped.append)]
    return found, skipped


def test_yields_files_with_metadata_in_a_stable_order(tmp_path: Path):
    # A folder's files (by name) come before its subfolders, walked depth first by name.
    write(tmp_path, "b.py", "x = 1\n")
    write(tmp_path, "a/z.md")
    write(tmp_path, "a/b/c.txt")
    files = list(discover(tmp_path, DiscoveryOptions()))
    assert [f.rel_path for f in files] == ["b.py", "a/z.md", "a/b/c.txt"]
    first = files[0]
    st = (tmp_path / "b.py").stat()
    assert first.path == tmp_path / "b.py" and first.path.is_absolute()
    assert first.root == tmp_path
    assert (first.size, first.mtime_ns) == (st.st_size, st.st_mtime_ns)


def test_default_excludes_are_silent(tmp_path: Path):
    for rel in [
        ".git/config",
        ".git/HEAD",
        "node_modules/left-pad/index.js",
        "__pycache__/m.cpython-311.pyc",
        ".venv/lib/site.py",
        "build/out.js",
        "dist/bundle.js",
        "target/debug/main.rs",
        ".pytest_cache/v/cache",
        ".mypy_cache/x.json",
        ".idea/workspace.xml",
        "pkg.egg-info/PKG-INFO",
        "myenv/pyvenv.cfg",
        "myenv/lib/python3.11/os.py",
        "conda/conda-meta/history",
        "conda/lib/thing.py",
        "tagged/CACHEDIR.TAG",
        "tagged/data.txt",
        "submodule/.git",
    ]:
        write(tmp_path, rel)
    write(tmp_path, "src/app.py")
    found, skipped = run(tmp_path)
    assert found == ["src/app.py"]
    for path in tmp_path.rglob("*"):
        if path.name not in ("src", "app.py", "submodule"):
            assert exclusion_reason(path, tmp_path), path
    assert skipped == []


def test_binary_names_are_not_opened_or_reported_generated_ones_are_reported(tmp_path: Path):
    for rel in ["logo.png", "lib.so", "data.sqlite3", "font.woff2", "archive.tar.gz", "m.pyc"]:
        write(tmp_path, rel, b"\x00\x01binary")
    for rel in ["package-lock.json", "yarn.lock", "app.min.js", "app.js.map"]:
        write(tmp_path, rel)
    write(tmp_path, "keep.js")
    found, skipped = run(tmp_path)
    assert found == ["keep.js"]
    # Generated files are listed with their reason (issue 13), binaries are not.
    assert {s.path.name: s.reason for s in skipped} == {
        "package-lock.json": "generated file (lockfile)",
        "yarn.lock": "generated file (lockfile)",
        "app.min.js": "generated file (minified)",
        "app.js.map": "generated file (source map)",
    }


SECRETS = [
    ".env",
    ".env.local",
    ".envrc",
    "id_rsa",
    "id_rsa.pub",
    "id_ed25519",
    "server.pem",
    "tls.key",
    "cert.p12",
    "store.pfx",
    "app.keystore",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".aws/credentials",
    ".aws/config",
    ".ssh/config",
    ".ssh/known_hosts",
    ".kube/config",
    ".config/gcloud/credentials.db",
    ".config/gcloud/application_default_credentials.json",
    ".azure/msal_token_cache.json",
    ".docker/config.json",
    "deploy/terraform.tfstate",
    "nested/dir/.env.production",
    ".envs/prod/db.txt",
]


def test_secrets_are_reported_but_never_yielded_entered_or_opened(tmp_path: Path, monkeypatch):
    for rel in SECRETS:
        write(tmp_path, rel, "SECRET=hunter2\n")
    write(tmp_path, "README.md", "# readme\n")
    write(tmp_path, ".gitignore", "*.tmp\n")

    opened: list[str] = []
    real_open = builtins.open

    def recording_open(file, *args, **kwargs):
        opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording_open)
    found, skipped = run(tmp_path)
    monkeypatch.undo()

    assert found == [".gitignore", "README.md"]
    # Listed as secrets (the health view shows them); a secret folder once, not its files.
    assert all(skip.reason.startswith("secret") for skip in skipped), skipped
    listed = {skip.path.relative_to(tmp_path).as_posix() for skip in skipped}
    for rel in SECRETS:
        assert any(rel == p or rel.startswith(p + "/") for p in listed), rel
    for path in listed:
        assert not any(path.startswith(p + "/") for p in listed), path
    # Discovery reads ignore files and nothing else.
    assert opened == [str(tmp_path / ".gitignore")]
    for rel in SECRETS:
        assert exclusion_reason(tmp_path / rel, tmp_path) is not None, rel


def test_nested_gitignore_is_relative_to_its_folder(tmp_path: Path):
    write(tmp_path, ".gitignore", "*.log\n/anchored.txt\ntmp/\n")
    write(tmp_path, "sub/.gitignore", "!keep.log\n/anchored.txt\nlocal.txt\n")
    for rel in [
        "a.log",
        "anchored.txt",
        "tmp/x.txt",
        "sub/b.log",
        "sub/keep.log",
        "sub/anchored.txt",
        "sub/local.txt",
        "sub/deeper/anchored.txt",
        "sub/deeper/local.txt",
        "sub/tmp/y.txt",
        "other/anchored.txt",
        "other/keep.log",
    ]:
        write(tmp_path, rel)
    found, _ = run(tmp_path)
    assert sorted(found) == [
        ".gitignore",
        "other/anchored.txt",
        "sub/.gitignore",
        "sub/deeper/anchored.txt",
        "sub/keep.log",
    ]


def test_kenningignore_and_extra_excludes(tmp_path: Path):
    write(tmp_path, ".gitignore", "generated/\n*.csv\n")
    write(tmp_path, ".kenningignore", "drafts/\n!important.csv\n")
    for rel in ["generated/a.py", "data.csv", "important.csv", "drafts/d.md", "notes/n.md"]:
        write(tmp_path, rel)
    write(tmp_path, "private/p.md")
    found, _ = run(tmp_path, DiscoveryOptions(extra_excludes=["private/", "*.ini"]))
    assert sorted(found) == [".gitignore", ".kenningignore", "important.csv", "notes/n.md"]
    assert exclusion_reason(
        tmp_path / "private/p.md", tmp_path, DiscoveryOptions(extra_excludes=["private/"])
    )


def test_gitignore_above_the_root_applies_inside_a_repository(tmp_path: Path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo, ".gitignore", "*.log\nignored_dir/\n")
    write(repo, "src/a.py")
    write(repo, "src/debug.log")
    found, _ = run(repo / "src")
    assert found == ["a.py"]
    assert exclusion_reason(repo / "src/debug.log", repo / "src") is not None
    # A root that is itself a repository (nested in another): outer rules stop, as in git.
    write(repo, "inner/.git/HEAD")
    write(repo, "inner/trace.log")
    assert run(repo / "inner")[0] == ["trace.log"]
    # A root the repository ignores was chosen on purpose: its files are indexed.
    write(repo, "ignored_dir/b.py")
    found, _ = run(repo / "ignored_dir")
    assert found == ["b.py"]


def test_git_info_exclude_is_honoured(tmp_path: Path):
    write(tmp_path, ".git/info/exclude", "scratch.txt\n")
    write(tmp_path, "scratch.txt")
    write(tmp_path, "kept.txt")
    assert run(tmp_path)[0] == ["kept.txt"]


def test_invalid_ignore_pattern_does_not_cost_the_others(tmp_path: Path):
    write(tmp_path, ".gitignore", "*.log\n***/[\n!\n")
    write(tmp_path, "a.log")
    write(tmp_path, "b.txt")
    assert run(tmp_path)[0] == [".gitignore", "b.txt"]


def test_size_cap_reports_and_documents_have_their_own(tmp_path: Path):
    write(tmp_path, "big.txt", "x" * 2000)
    write(tmp_path, "small.txt", "x" * 10)
    write(tmp_path, "paper.pdf", b"%PDF" + b"x" * 2000)
    write(tmp_path, "huge.docx", b"PK" + b"x" * 9000)
    options = DiscoveryOptions(max_file_bytes=1000, max_document_bytes=5000)
    found, skipped = run(tmp_path, options)
    assert found == ["paper.pdf", "small.txt"]
    reasons = {s.path.name: s.reason for s in skipped}
    assert set(reasons) == {"big.txt", "huge.docx"}
    assert all(r.startswith("larger than the size cap") for r in reasons.values())
    assert all(s.root == tmp_path for s in skipped)


def test_symlink_loop_is_reported_and_files_come_once(tmp_path: Path):
    write(tmp_path, "a/file.txt")
    os.symlink("..", tmp_path / "a" / "up")
    os.symlink(tmp_path / "a", tmp_path / "again")
    found, skipped = run(tmp_path)
    assert found == ["a/file.txt"]
    assert [(s.path.name, s.reason) for s in skipped] == [("up", "symbolic link loop")]


def test_links_out_of_the_root_are_followed_and_real_paths_win(tmp_path: Path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    write(outside, "shared/lib.py")
    write(root, "main.py")
    os.symlink(outside / "shared", root / "linked")
    os.symlink(root / "main.py", root / "alias.py")  # same file as main.py
    found, _ = run(root)
    assert found == ["main.py", "linked/lib.py"]
    files = {f.rel_path: f for f in discover(root, DiscoveryOptions())}
    assert files["linked/lib.py"].path == root / "linked" / "lib.py"

    found, _ = run(root, DiscoveryOptions(follow_symlinks=False))
    assert found == ["main.py"]


def test_links_to_secrets_are_excluded(tmp_path: Path):
    root, home = tmp_path / "root", tmp_path / "home"
    write(home, ".aws/credentials", "aws_secret_access_key=x\n")
    write(home, ".ssh/id_work", "key\n")
    write(root, "ok.txt")
    os.symlink(home / ".aws" / "credentials", root / "notes.txt")
    os.symlink(home / ".ssh", root / "keys")
    found, skipped = run(root)
    assert found == ["ok.txt"]
    assert skipped == []
    assert exclusion_reason(root / "notes.txt", root) == "secret folder"


def test_broken_link_and_special_file_are_reported(tmp_path: Path):
    write(tmp_path, "ok.txt")
    os.symlink(tmp_path / "missing.txt", tmp_path / "dangling.txt")
    os.mkfifo(tmp_path / "pipe")
    found, skipped = run(tmp_path)
    assert found == ["ok.txt"]
    assert {(s.path.name, s.reason) for s in skipped} == {
        ("dangling.txt", "broken symbolic link"),
        ("pipe", "not a regular file (device, socket or pipe)"),
    }


def test_odd_file_names(tmp_path: Path):
    write(tmp_path, "new\nline.txt")
    bad = os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt")
    with open(bad, "wb") as handle:
        handle.write(b"latin-1 name\n")
    found, skipped = run(tmp_path)
    assert found == ["new\nline.txt"]
    assert [s.reason for s in skipped] == ["file name is not valid UTF-8"]


def test_missing_root_raises(tmp_path: Path):
    with pytest.raises(RootUnavailableError, match="folder not found"):
        list(discover(tmp_path / "nope", DiscoveryOptions()))


def test_root_that_is_a_file(tmp_path: Path):
    path = write(tmp_path, "one.md")
    files = list(discover(path, DiscoveryOptions()))
    assert [(f.path, f.rel_path) for f in files] == [(path, "one.md")]
    secret = write(tmp_path, ".env")
    assert list(discover(secret, DiscoveryOptions())) == []


@contextlib.contextmanager
def unprivileged():
    """Run the block without root's permission override, when running as root.

    ``seteuid`` keeps the real and saved uid (0), so the test can switch back; as an
    ordinary user nothing changes and ``chmod 000`` already denies access.
    """
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)  # nobody
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def world_readable_tree():
    # pytest's tmp_path lives under a 0700 folder the unprivileged user cannot enter.
    base = Path(tempfile.mkdtemp(prefix="kenning-perm-", dir="/tmp"))
    base.chmod(0o755)
    yield base
    for dirpath, dirnames, _ in os.walk(base):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
    shutil.rmtree(base)


def test_unreadable_folder_is_reported_not_fatal(world_readable_tree: Path):
    root = world_readable_tree
    write(root, "open/a.txt")
    write(root, "closed/secret_plans.txt")
    for folder in (root / "open", root / "closed"):
        folder.chmod(0o755)
        for child in folder.iterdir():
            child.chmod(0o644)
    (root / "closed").chmod(0)
    skipped: list[SkippedPath] = []
    with unprivileged():
        found = [f.rel_path for f in discover(root, DiscoveryOptions(), skipped.append)]
        with pytest.raises(RootUnavailableError, match="permission denied"):
            list(discover(root / "closed", DiscoveryOptions()))
    assert found == ["open/a.txt"]
    assert [(s.path.name, s.reason) for s in skipped] == [("closed", "permission denied")]


def test_exclusion_reason_agrees_with_discover(tmp_path: Path):
    write(tmp_path, ".gitignore", "*.log\nout/\n")
    write(tmp_path, "sub/.gitignore", "!keep.log\n")
    write(tmp_path, "sub/.kenningignore", "private.md\n")
    rels = [
        "a.py",
        "a.log",
        "out/x.py",
        "sub/keep.log",
        "sub/other.log",
        "sub/private.md",
        "sub/public.md",
        "node_modules/m/index.js",
        "env/pyvenv.cfg",
        "env/lib/x.py",
        ".env",
        "img.png",
        "docs/guide.md",
        ".aws/credentials",
    ]
    for rel in rels:
        write(tmp_path, rel)
    found = set(run(tmp_path)[0])
    all_files = [p for p in tmp_path.rglob("*") if p.is_file()]
    for path in all_files:
        rel = path.relative_to(tmp_path).as_posix()
        reason = exclusion_reason(path, tmp_path)
        assert (reason is None) == (rel in found), (rel, reason)
    assert exclusion_reason(tmp_path / "node_modules", tmp_path) == "excluded folder: node_modules"
    assert (
        exclusion_reason(tmp_path.parent / "elsewhere.txt", tmp_path)
        == "outside the indexed folder"
    )
    assert exclusion_reason(tmp_path, tmp_path) is None


def test_ignore_file_changes_are_picked_up(tmp_path: Path):
    write(tmp_path, "a.txt")
    write(tmp_path, "b.md")
    assert run(tmp_path)[0] == ["a.txt", "b.md"]
    gitignore = write(tmp_path, ".gitignore", "*.txt\n")
    assert run(tmp_path)[0] == [".gitignore", "b.md"]
    gitignore.write_text("*.md\n# a longer file, so the size differs\n")
    assert run(tmp_path)[0] == [".gitignore", "a.txt"]
    assert exclusion_reason(tmp_path / "b.md", tmp_path) == "ignored by an ignore file"


def test_file_modes_do_not_matter_for_discovery(tmp_path: Path):
    path = write(tmp_path, "script.sh", "#!/bin/sh\n")
    path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    assert run(tmp_path)[0] == ["script.sh"]
