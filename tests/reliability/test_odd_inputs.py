"""Promise 7: odd files and names cost bounded time and give sensible text or a recorded skip.

A multi-megabyte single-line minified script, deeply nested brackets, a 200 MB log and a 2 GB
binary (sparse files: the size is real, the disk use is not), invalid UTF-8, UTF-16 with a
byte-order mark, names holding a newline or bytes that are not UTF-8. Token counts come from
the product's tokenizer-free estimator, which counts every bracket (the hashing embedder
would count none), so the long single lines really are split.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from engine.search import Searcher
from engine.store import Store
from indexer.chunking import approx_count_tokens
from indexer.junk_files import MAX_CHUNKS_PER_FILE, generated_content_reason
from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder
from tests.reliability.index_state import integrity_problems

pytestmark = pytest.mark.slow

BUDGET = 256
ONE_LINE_FILES = ("bundle.js", "brackets.json", "parens.py", "calls.js")


class EstimatingEmbedder(HashingEmbedder):
    """The hashing embedder with a token count that sees punctuation."""

    def count_tokens(self, texts: list[str]) -> list[int]:
        return approx_count_tokens(texts)


def _minified_js(megabytes: int) -> str:
    rng = random.Random(3)
    names = ("render", "parse", "upload", "retry", "cache")
    parts = []
    size = 0
    i = 0
    while size < megabytes * 2**20:
        part = f"{rng.choice(names)}{i}=function(x){{return x+{i}}}"
        parts.append(part)
        size += len(part) + 1
        i += 1
    return "var a=" + ",".join(parts) + ";"


def _sparse(path: Path, size: int, tail: bytes = b"") -> None:
    with path.open("wb") as fh:
        fh.truncate(size - len(tail))
        fh.seek(size - len(tail))
        fh.write(tail)


LATIN1 = "Café naïve façade, résumé déjà vu: Grüße aus Köln"
UTF16 = "Unicode notes: 日本語のテキスト and English words about calendars"


@pytest.fixture(scope="module")
def odd_tree(tmp_path_factory) -> Path:
    tree = tmp_path_factory.mktemp("odd")
    (tree / "bundle.js").write_text(_minified_js(8))
    (tree / "brackets.json").write_text("[" * 100_000 + "]" * 100_000)
    (tree / "parens.py").write_text("x = " + "(" * 50_000 + "1" + ")" * 50_000 + "\n")
    (tree / "calls.js").write_text("f(" * 30_000 + ")" * 30_000)
    # One-line files are junk (generated or minified) unless the user opts them in: these are
    # here to be chunked, so they are named by negated ignore lines.
    (tree / ".kenningignore").write_text("".join(f"!{name}\n" for name in ONE_LINE_FILES))
    _sparse(tree / "huge.log", 200 * 2**20, b"the last line of a huge log\n")
    _sparse(tree / "disk.data", 2 * 2**30)
    _sparse(tree / "scan.pdf", 2 * 2**30)
    (tree / "firmware.img").write_bytes(random.Random(4).randbytes(2**20))
    (tree / "latin1.txt").write_bytes(LATIN1.encode("cp1252"))
    (tree / "damaged.md").write_bytes(
        "# Überschrift\n\nGrüße aus Köln, déjà vu".encode() + b" \xff\xfe two bad bytes\n"
    )
    (tree / "utf16le.txt").write_bytes(UTF16.encode("utf-16"))  # with a BOM
    (tree / "utf16be.txt").write_bytes(b"\xfe\xff" + UTF16.encode("utf-16-be"))
    (tree / "new\nline.py").write_text("def newline_in_the_name():\n    return 1\n")
    with open(os.fsencode(tree) + b"/caf\xe9.py", "wb") as fh:
        fh.write(b"def latin1_name():\n    return 1\n")
    return tree


@pytest.fixture(scope="module")
def indexed(odd_tree, tmp_path_factory) -> tuple[Path, dict[str, tuple[str, str, list]]]:
    data = tmp_path_factory.mktemp("odd-data")
    embedder = EstimatingEmbedder(dim=64, max_tokens=BUDGET)
    pipeline = Pipeline(data, embedder, options=IndexOptions(chunk_tokens=BUDGET))
    report = pipeline.index([odd_tree])
    pipeline.close()
    assert report.files_failed == 0
    store = Store.open(data, readonly=True)
    try:
        files = {}
        for file_id, path, status, reason in store.conn.execute(
            "SELECT id, path, status, reason FROM files"
        ):
            chunks = store.conn.execute(
                "SELECT start_line, end_line, text FROM chunks WHERE file_id = ? ORDER BY ordinal",
                (file_id,),
            ).fetchall()
            files[Path(path).name] = (status, reason or "", chunks)
    finally:
        store.close()
    return data, files


@pytest.mark.parametrize("name", ONE_LINE_FILES)
def test_without_the_opt_in_one_enormous_line_is_skipped_as_minified(odd_tree, name):
    reason = generated_content_reason((odd_tree / name).read_bytes())
    assert reason is not None
    assert reason.startswith("generated or minified file (a line of ")


@pytest.mark.parametrize(
    ("name", "capped"),
    [("bundle.js", True), ("brackets.json", False), ("parens.py", False), ("calls.js", False)],
)
def test_one_enormous_line_is_split_within_the_budget_and_covers_the_file(
    odd_tree, indexed, name, capped
):
    _, files = indexed
    status, reason, chunks = files[name]
    assert status == "indexed"
    assert all((start, end) == (1, 1) for start, end, _ in chunks)
    assert len(chunks) > 10
    assert max(approx_count_tokens([text for _, _, text in chunks])) <= BUDGET
    content = (odd_tree / name).read_text().rstrip("\n")
    if capped:
        # 8 MB is far more than MAX_CHUNKS_PER_FILE windows (an opt-in does not lift the cap):
        # the first windows are kept, and the file says so.
        assert len(chunks) == MAX_CHUNKS_PER_FILE
        assert reason.startswith(f"capped: the first {MAX_CHUNKS_PER_FILE:,} of ")
        last = chunks[-1][2]
        covered = content[: content.index(last) + len(last)]
        assert len(covered) < len(content)
    else:
        assert reason == ""
        covered = content
    # Windows overlap a little; together they hold the whole line (or its capped start).
    assert sum(len(text) for _, _, text in chunks) >= len(covered)
    assert chunks[0][2] == content[: len(chunks[0][2])]
    assert covered.endswith(chunks[-1][2])


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("huge.log", "larger than the size cap (200.0 MB > 10.0 MB)"),
        ("disk.data", "larger than the size cap (2048.0 MB > 10.0 MB)"),
        ("scan.pdf", "larger than the size cap (2048.0 MB > 64.0 MB)"),
        ("firmware.img", "binary file"),
        ("caf\\xe9.py", "file name is not valid UTF-8"),
    ],
)
def test_what_cannot_be_indexed_is_skipped_with_its_reason(indexed, name, reason):
    _, files = indexed
    assert files[name][:2] == ("skipped", reason)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("latin1.txt", LATIN1),
        ("utf16le.txt", UTF16),
        ("utf16be.txt", UTF16),
        ("damaged.md", "# Überschrift\n\nGrüße aus Köln, déjà vu \ufffd\ufffd two bad bytes"),
    ],
)
def test_other_encodings_give_the_text_a_person_reads(indexed, name, text):
    _, files = indexed
    status, _, chunks = files[name]
    assert status == "indexed"
    assert "\n".join(chunk[2] for chunk in chunks) == text


def test_a_newline_in_a_name_is_found_under_that_exact_name(odd_tree, indexed):
    data, files = indexed
    assert files["new\nline.py"][0] == "indexed"
    searcher = Searcher(data, None)
    try:
        hits = searcher.search("newline_in_the_name", mode="lexical", limit=3)
    finally:
        searcher.close()
    assert hits[0].path == str(odd_tree / "new\nline.py")
    assert integrity_problems(data) == []
