"""Promise 6: PDFs with circular references, encrypted PDFs, DOCX zip bombs and XML entity
bombs cost bounded time and memory, end with a recorded reason (or sensible text where the
parser can break the cycle), and affect no other file.

They go through the real pipeline and parse worker; the worker's peak memory is read from
the kernel afterwards.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.store import Store
from tests.reliability import hostile_files as hf
from tests.reliability.conftest import hashing_pipeline
from tests.reliability.corpus import corpus_files, write_corpus
from tests.reliability.index_state import chunk_set, integrity_problems

pytestmark = pytest.mark.slow

# name -> (builder, suffix, expected status, what the reason or the text must say)
CASES = {
    "pages-cycle": (hf.pdf_pages_cycle, ".pdf", "skipped", r"unreadable PDF: .*cycl"),
    "self-parent": (hf.pdf_self_parent, ".pdf", "skipped", r"unreadable PDF: .*cycle"),
    "form-draws-itself": (hf.pdf_form_draws_itself, ".pdf", "indexed", "again"),
    "outline-cycle": (hf.pdf_outline_cycle, ".pdf", "indexed", "Reachable text"),
    "xref-prev-loop": (hf.pdf_xref_prev_loop, ".pdf", "indexed", "Reachable text"),
    "stream-bomb": (hf.pdf_stream_bomb, ".pdf", "skipped", r"unreadable PDF: .*Limit reached"),
    "encrypted": (hf.pdf_encrypted, ".pdf", "skipped", r"^encrypted PDF$"),
    "billion-laughs": (hf.docx_billion_laughs, ".docx", "skipped", r"declares a DTD"),
    "external-entity": (hf.docx_external_entity, ".docx", "skipped", r"declares a DTD"),
    "zip-bomb": (hf.docx_zip_bomb, ".docx", "skipped", r"expands to 300 MB \(zip bomb\?\)"),
    "lying-zip-bomb": (hf.docx_lying_sizes, ".docx", "skipped", r"is damaged"),
    "many-parts": (hf.docx_many_parts, ".docx", "skipped", r"20003 parts, more than 5000"),
}
# Far below the worker's 2 GiB cap: none of these may inflate anything in memory.
PEAK_MEMORY_KB = 512 * 1024


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    tree = tmp_path_factory.mktemp("hostile-docs")
    write_corpus(tree, 20, seed=71)
    placed = {}
    for n, (name, (build, suffix, _, _)) in enumerate(CASES.items()):
        path = tree / f"pkg{n % 10}" / f"{name}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(build())
        placed[name] = path
    return tree, placed


def test_hostile_documents_end_with_a_reason_or_text_and_nothing_else_is_affected(
    tmp_path, hostile_tree
):
    tree, placed = hostile_tree
    pipeline = hashing_pipeline(tmp_path / "data")
    report = pipeline.index([tree])
    worker = pipeline._parser.pid
    with open(f"/proc/{worker}/status") as status:
        peak_kb = int(re.search(r"VmHWM:\s+(\d+) kB", status.read())[1])
    started = pipeline._parser.started
    pipeline.close()

    store = Store.open(tmp_path / "data", readonly=True)
    try:
        rows = {
            Path(path): (status, reason or "")
            for path, status, reason in store.conn.execute("SELECT path, status, reason FROM files")
        }
        texts = {
            Path(path): text
            for path, text in store.conn.execute(
                "SELECT f.path, c.text FROM chunks c JOIN files f ON f.id = c.file_id"
            )
        }
    finally:
        store.close()
    for name, (_, _, status, expected) in CASES.items():
        got_status, reason = rows[placed[name]]
        assert got_status == status, (name, reason)
        if status == "skipped":
            assert re.search(expected, reason), (name, reason)
        else:
            assert expected in texts[placed[name]], name
    assert report.files_failed == 0 and started == 1  # no deadline or crash was needed
    assert peak_kb < PEAK_MEMORY_KB, f"the parser peaked at {peak_kb} kB"

    # Every ordinary file is indexed exactly as in a tree without the hostile ones.
    ordinary = {p for p in corpus_files(tree) if p not in placed.values()}
    assert report.files_indexed == len(ordinary) + 3
    clean_tree = tmp_path / "clean-tree"
    write_corpus(clean_tree, 20, seed=71)
    clean = hashing_pipeline(tmp_path / "clean", isolate_parsers=False)
    clean.index([clean_tree])
    clean.close()
    ours = {
        (path.replace(str(tree), str(clean_tree)), *rest)
        for (path, *rest) in chunk_set(tmp_path / "data")
        if Path(path) in ordinary
    }
    assert ours == set(chunk_set(tmp_path / "clean"))
    assert integrity_problems(tmp_path / "data") == []
