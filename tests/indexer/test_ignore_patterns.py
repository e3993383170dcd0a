"""Ignore files from untrusted repositories cannot make discovery or the watcher hang."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pathspec
import pytest

from indexer.ignore_patterns import compile_ignore_lines, pattern_regex

CRAFTED = "*a*a*a*a*a*a*a*a*b"
# Generous: only a hang (minutes of backtracking per name) can exceed it.
HANG_GUARD_S = 120.0
REPO = Path(__file__).resolve().parents[2]


def _random_pattern(rng: random.Random) -> str:
    text = "".join(rng.choice("ab**?") for _ in range(rng.randint(1, 7)))
    if rng.random() < 0.3:
        text = "[ab]" + text
    if rng.random() < 0.3:
        text = "**/" + text
    if rng.random() < 0.2:
        text += "/"
    if rng.random() < 0.2:
        text = "!" + text
    return text


def _random_path(rng: random.Random) -> str:
    parts = ("".join(rng.choice("abc") for _ in range(rng.randint(1, 5))) for _ in range(3))
    return "/".join(list(parts)[: rng.randint(1, 3)])


def test_the_linear_matcher_agrees_with_pathspec_on_random_patterns() -> None:
    rng = random.Random(1)
    compared = 0
    for _ in range(2000):
        lines = [_random_pattern(rng) for _ in range(rng.randint(1, 3))]
        try:
            reference = pathspec.GitIgnoreSpec.from_lines(lines)
        except Exception:
            continue
        ours = compile_ignore_lines(lines)
        assert ours is not None
        for _ in range(10):
            path = _random_path(rng)
            assert ours.check_file(path).include == reference.check_file(path).include, (
                lines,
                path,
            )
            compared += 1
    assert compared > 10_000


def test_a_star_heavy_segment_is_matched_without_backtracking() -> None:
    regex = pattern_regex(CRAFTED)
    assert regex is not None
    # Every star but the last is an atomic, lazy group: nothing for the engine to revisit.
    assert regex.pattern.count("(?>[^/]*?a)") == 8
    assert regex.pattern.count("[^/]*b") == 1
    spec = compile_ignore_lines([CRAFTED])
    assert spec is not None
    assert spec.match_file("x/" + "a" * 250) is False
    assert spec.match_file("x/" + "a" * 250 + "b") is True
    assert spec.match_file("xa-a-a-a-a-a-a-a-yb/inner.txt") is True


def test_a_pattern_with_many_double_stars_is_dropped(caplog) -> None:
    spec = compile_ignore_lines(["**/a/**/a/**/a/**/b", "*.log"])
    assert spec is not None
    assert spec.match_file("a/a/a/b") is False
    assert spec.match_file("x.log") is True
    assert "too slow" in caplog.text


_CHILD = """
import json, sys
from pathlib import Path
from indexer.discovery import discover, exclusion_reason
root = Path(sys.argv[1])
names = json.loads(sys.argv[2])
found = sorted(f.path.name for f in discover(root))
reasons = [exclusion_reason(root / n, root) for n in names]
print(json.dumps([found, reasons]))
"""


def test_a_crafted_gitignore_does_not_hang_discovery_or_the_watcher(tmp_path: Path) -> None:
    """Issue 14.6: the crafted pattern and 60- and 250-character names.

    In a child process: a backtracking regex holds the GIL, so a hang could not even be
    noticed from a thread of this one.
    """
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".gitignore").write_text(CRAFTED + "\n")
    names = ["a" * 60, "a" * 250, "a" * 59 + "c", "a" * 40 + "b"]
    for name in names:
        (root / name).write_text("the ledger merge notes\n")
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(root), json.dumps(names)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_S,
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("matching the crafted ignore file hung")
    found, reasons = json.loads(done.stdout)
    assert found == sorted([".gitignore", "a" * 60, "a" * 250, "a" * 59 + "c"])
    # exclusion_reason is what the watcher asks about every event.
    assert reasons == [None, None, None, "ignored by an ignore file"]
