"""The retrieval-quality harness (eval/) scores hand-checked cases correctly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from eval.bm25 import BM25Index, tokenize
from eval.docstrings import documented_functions, strip_docstrings, summary
from eval.metrics import Span, first_hit_rank, overlaps, score_ranks
from eval.units import resolve


def test_overlap_needs_same_path_and_a_shared_line():
    target = Span("a.py", 10, 20)
    assert overlaps(Span("a.py", 20, 30), target)  # shares line 20
    assert overlaps(Span("a.py", 1, 100), target)  # contains it
    assert not overlaps(Span("a.py", 21, 30), target)  # adjacent, no shared line
    assert not overlaps(Span("b.py", 10, 20), target)


def test_mrr_and_recall_on_a_hand_checked_case():
    targets = {
        "q1": [Span("a.py", 10, 20)],
        "q2": [Span("b.py", 5, 8), Span("c.py", 1, 3)],  # either target counts
        "q3": [Span("d.py", 1, 2)],
    }
    results = {
        # q1: hit at rank 1
        "q1": [Span("a.py", 15, 16), Span("x.py", 1, 2)],
        # q2: rank 1 misses (wrong lines), rank 2 wrong file, rank 3 hits the second target
        "q2": [Span("b.py", 9, 12), Span("a.py", 5, 8), Span("c.py", 3, 9)],
        # q3: the only hit is at rank 11, outside the top 10
        "q3": [Span("x.py", i, i) for i in range(1, 11)] + [Span("d.py", 1, 1)],
    }
    ranks = [first_hit_rank(results[q], targets[q], k=10) for q in ("q1", "q2", "q3")]
    assert ranks == [1, 3, None]
    scores = score_ranks(ranks)
    assert scores.n == 3
    assert scores.mrr_at_10 == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert scores.recall_at_1 == pytest.approx(1 / 3)
    assert scores.recall_at_10 == pytest.approx(2 / 3)


def test_no_queries_score_zero():
    assert score_ranks([]).n == 0


SOURCE = '''"""Module doc."""


def alone():
    """Only a docstring."""


class Box:
    """A box.

    Holds things.
    """

    def put(self, item):
        """Put an item in. More words here."""
        self.item = item
        return item
'''


def test_docstrings_are_removed_without_moving_lines():
    stripped = strip_docstrings(SOURCE)
    assert len(stripped.splitlines()) == len(SOURCE.splitlines())
    assert '"""' not in stripped
    assert documented_functions(stripped) == []
    before = {n.name: n.lineno for n in ast.walk(ast.parse(SOURCE)) if hasattr(n, "name")}
    after = {n.name: n.lineno for n in ast.walk(ast.parse(stripped)) if hasattr(n, "name")}
    assert before == after
    assert stripped.splitlines()[15] == "        self.item = item"


def test_summary_is_the_first_sentence():
    docs = {name: doc for name, _, _, doc in documented_functions(SOURCE)}
    assert summary(docs["Box.put"]) == "Put an item in."
    assert set(docs) == {"alone", "Box.put"}


def test_targets_resolve_to_symbol_spans(tmp_path: Path):
    (tmp_path / "m.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "d.md").write_text("# Top\nintro\n## Install\nsteps\n## Use\nrun it\n")
    put = resolve(tmp_path, "m.py", "Box.put")
    assert (put.start_line, put.end_line) == (14, 17)
    install = resolve(tmp_path, "d.md", "Install")
    assert (install.start_line, install.end_line) == (3, 4)
    with pytest.raises(LookupError):
        resolve(tmp_path, "m.py", "Box.take")


def test_tokenizer_splits_identifiers_and_cjk():
    assert tokenize("parseHTTPHeader") == ["parsehttpheader", "parse", "http", "header"]
    assert tokenize("read_file 配置") == ["read_file", "read", "file", "配", "置"]


def test_bm25_ranks_the_matching_function_first(tmp_path: Path):
    (tmp_path / "m.py").write_text(
        "def rotate_logs(path):\n    rename(path, path + '.1')\n\n\n"
        "def parse_config(text):\n    return dict(line.split('=') for line in text)\n",
        encoding="utf-8",
    )
    index = BM25Index(tmp_path)
    hits = index.search("parse config")
    assert (hits[0].path, hits[0].start_line, hits[0].end_line) == ("m.py", 5, 6)
    assert all(h.start_line != 1 for h in hits)  # rotate_logs shares no term


def test_each_model_gets_its_own_index_directory(tmp_path: Path) -> None:
    from eval.run_eval import index_dir

    minilm = index_dir(tmp_path, "plain", "", "sentence-transformers/all-MiniLM-L6-v2")
    e5 = index_dir(tmp_path, "plain", "", "e5-passage")
    assert minilm != e5
    assert minilm.name == "data-plain-sentence-transformers-all-minilm-l6-v2"
    assert index_dir(tmp_path, "nodoc", "-int8", "e5-passage").name == "data-nodoc-int8-e5-passage"


def test_a_query_passage_server_sends_queries_and_documents_to_their_own_side() -> None:
    from eval.server_embedder import QueryPassageServer
    from tests.fake_embedder import HashingEmbedder

    documents, queries = HashingEmbedder(model_id="e5-passage"), HashingEmbedder()
    both = QueryPassageServer(documents, queries)
    both.embed_documents(["def parse(): pass"])
    both.embed_queries(["parse config"])
    assert documents.documents_embedded == ["def parse(): pass"]
    assert documents.queries_embedded == []
    assert queries.queries_embedded == ["parse config"]
    assert both.model_id == "e5-passage"  # what the index records
