"""Coverage-weighted fusion: a lexical hit counts as far as it matched the query."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

import engine.fusion as fusion
from engine import cjk_glossary
from engine.fusion import fuse
from engine.search import Searcher
from engine.types import SearchResult
from indexer.pipeline import Pipeline
from tests.fake_embedder import HashingEmbedder


def _hit(cid: int, coverage: float | None = None) -> SearchResult:
    return SearchResult(
        chunk_id=cid,
        path=f"/c/{cid}.py",
        start_line=1,
        end_line=2,
        score=0.0,
        kind="code",
        language="python",
        symbol=None,
        snippet="",
        coverage=coverage,
    )


_WEAK_LEXICAL = [_hit(2, 1 / 6), _hit(3, 1 / 6)]
_SEMANTIC = [_hit(1), _hit(10), _hit(11), _hit(12), _hit(2), _hit(3)]


def test_weak_lexical_matches_no_longer_outvote_a_semantic_first_place() -> None:
    # Chunks 2 and 3 hold one sixth of the query ("json" of a Chinese question) and rank
    # 1-2 lexically and 5-6 semantically; chunk 1 is the semantic first place only. Plain RRF
    # puts 2 and 3 above 1 (1/61 < 1/61 + 1/65); coverage weighting puts 1 first.
    assert fuse(_WEAK_LEXICAL, _SEMANTIC, limit=3)[0].chunk_id == 1


def test_plain_rrf_is_what_coverage_weighting_fixes(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same rankings under plain RRF (no coverage effect) drown the semantic first place.
    monkeypatch.setattr(fusion, "COVERAGE_POWER", 0.0)
    monkeypatch.setattr(fusion, "LEG_COVERAGE_POWER", 0.0)
    assert [r.chunk_id for r in fuse(_WEAK_LEXICAL, _SEMANTIC, limit=3)] == [2, 3, 1]


def test_full_matches_fuse_exactly_as_rrf() -> None:
    lexical = [_hit(5, 1.0), _hit(6, 1.0)]
    semantic = [_hit(6), _hit(7)]
    fused = fuse(lexical, semantic, limit=3)
    k = fusion.RRF_K
    assert [r.chunk_id for r in fused] == [6, 5, 7]
    assert fused[0].score == pytest.approx(1 / (k + 2) + 1 / (k + 1))
    assert fused[0].sources == ("lexical", "semantic")
    assert fused[1].score == pytest.approx(1 / (k + 1))


def test_results_without_a_coverage_count_fully() -> None:
    assert fusion.lexical_weights([_hit(1), _hit(2)]) == [fusion.LEXICAL_WEIGHT] * 2
    full, half = fusion.lexical_weights([_hit(1, 1.0), _hit(2, 0.5)])
    assert full == fusion.LEXICAL_WEIGHT
    assert half < fusion.LEXICAL_WEIGHT


def test_a_lexical_ranking_whose_best_hit_is_weak_counts_less_as_a_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fusion, "COVERAGE_POWER", 0.0)
    monkeypatch.setattr(fusion, "LEG_COVERAGE_POWER", 1.0)
    assert fusion.lexical_weights([_hit(1, 0.25), _hit(2, 0.1)]) == [0.25, 0.25]
    assert fusion.lexical_weights([_hit(1, 1.0), _hit(2, 0.1)]) == [1.0, 1.0]


# ------------------------------------------------------------------ through the Searcher
class BilingualEmbedder(HashingEmbedder):
    """Embeds a Chinese query as its English meaning: the multilingual model's job, in small."""

    MEANINGS: ClassVar[dict[str, str]] = {
        "判断文件是不是 zip 压缩包": "check whether a file is a valid zip archive"
    }

    def embed_queries(self, texts: list[str], task: str = "code") -> np.ndarray:
        return super().embed_queries([self.MEANINGS.get(t, t) for t in texts], task)


def write_zip_corpus(root: Path) -> None:
    root.mkdir()
    (root / "zipcheck.py").write_text(
        "def is_valid_archive(filename):\n"
        '    """Check whether a file is a valid ZIP archive: look for the end record."""\n'
        "    with open(filename, 'rb') as fp:\n"
        "        return _end_record(fp) is not None\n",
        encoding="utf-8",
    )
    # Chunks that say "zip" often and little else of the question: the lexical ranking's
    # top places for the Chinese query, whose only searchable English word is "zip".
    for i in range(6):
        (root / f"packer{i}.py").write_text(
            f"def zip_pack_{i}(items):\n    zip = zip_items(items)\n    return zip(zip, zip)\n",
            encoding="utf-8",
        )


def test_a_chinese_query_finds_the_english_function_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fusion's case: Chinese words the glossary does not know, so only "zip" is matched
    # lexically (with the glossary the lexical leg finds zipcheck.py: test_cjk_glossary.py).
    monkeypatch.setattr(cjk_glossary, "glossary", dict)
    root, data_dir = tmp_path / "code", tmp_path / "data"
    write_zip_corpus(root)
    embedder = BilingualEmbedder()
    pipeline = Pipeline(data_dir, embedder)
    try:
        pipeline.index([root])
    finally:
        pipeline.close()
    searcher = Searcher(data_dir, embedder)
    try:
        query = "判断文件是不是 zip 压缩包"
        lexical = searcher.with_coverage(query, searcher.lexical(query, limit=50))
        semantic = searcher.semantic(searcher.embed_query(query), limit=50)
        assert Path(semantic[0].path).name == "zipcheck.py"  # the model got it right
        assert Path(lexical[0].path).name.startswith("packer")  # lexical matched noise
        assert all(r.coverage is not None and r.coverage < 0.25 for r in lexical)
        results = searcher.search(query, mode="hybrid", limit=5)
        assert Path(results[0].path).name == "zipcheck.py"
    finally:
        searcher.close()
