"""Promise 14: a full index with the offline model makes zero network connections.

``kenning index --model offline`` runs in a child process (with the hub's offline switches
removed from its environment, so nothing but the product keeps it off the network) audited
three ways where the machine allows: Python audit hooks in every process (parse worker too)
recording each name lookup, connect, send and bind; ``strace -f`` recording every
``connect``/``sendto``/``sendmsg`` system call, native libraries included; and a new network
namespace with no interface up, where the run must still succeed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.conftest import REPO
from tests.reliability.corpus import write_corpus
from tests.reliability.index_state import integrity_problems

AUDIT_DIR = Path(__file__).parent / "network_audit"
_INET = re.compile(r"sa_family=AF_INET6?\b")


def _works(command: list[str]) -> bool:
    if shutil.which(command[0]) is None:
        return False
    return subprocess.run(command, capture_output=True).returncode == 0


def _audited_env(log: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(AUDIT_DIR), str(REPO)) if p)
    env["KENNING_NETWORK_AUDIT"] = str(log)
    return env


def test_the_audit_sees_network_use(tmp_path):
    """The control: the same set-up does record a process that looks a name up."""
    log = tmp_path / "audit.log"
    probe = "import socket; socket.getaddrinfo('localhost', 80)"
    subprocess.run([sys.executable, "-c", probe], env=_audited_env(log), check=True)
    assert "socket.getaddrinfo" in log.read_text()


@pytest.mark.model
def test_indexing_with_the_offline_model_touches_no_network(tmp_path):
    tree = tmp_path / "tree"
    # A few files start the parse worker and the model as many would: what is audited is the
    # run's set-up and its kinds of work, not their amount (e5 on a CPU costs seconds a file).
    write_corpus(tree, 5, seed=97)
    data = tmp_path / "data"
    audit_log = tmp_path / "audit.log"
    audit_log.touch()
    strace_log = tmp_path / "strace.log"
    command = [sys.executable, "-m", "desktop", "index", str(tree), "--data-dir", str(data)]
    command += ["--model", "offline"]
    wrappers = []
    traced = _works(["strace", "-f", "-qq", "-e", "trace=connect", "true"])
    if traced:
        wrappers += ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,execve"]
        wrappers += ["-o", str(strace_log)]
    isolated = _works(["unshare", "-r", "-n", "true"])
    if isolated:
        wrappers = ["unshare", "-r", "-n", *wrappers]

    done = subprocess.run(
        wrappers + command,
        cwd=REPO,
        env=_audited_env(audit_log),
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert "Indexed 5 files" in done.stderr
    assert audit_log.read_text() == ""
    if traced:
        calls = strace_log.read_text().splitlines()
        # The trace followed the children: the parse worker's start is in it.
        assert any("execve" in c and "indexer.parse_worker" in c for c in calls)
        assert [c for c in calls if _INET.search(c)] == []
    assert integrity_problems(data) == []
