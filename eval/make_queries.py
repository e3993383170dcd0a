"""Build the query files from the authored queries and the corpus snapshot.

    python -m eval.make_queries

- ``queries/behaviour.jsonl``: the hand-written queries (``behaviour_authored.jsonl``) with
  their target symbols resolved to line spans and a tune/held-out split.
- ``queries/csn.jsonl``: a CodeSearchNet-style set: a documented function's docstring
  summary is the query and the function is the target; the eval indexes a copy of the
  Python code with every docstring removed (``eval.docstrings.strip_docstrings``).

Splits are drawn with ``random.Random(SPLIT_SEED)``; re-running gives the same files.
Tune on ``split == "tune"`` only; ``heldout`` is for reporting.
"""

from __future__ import annotations

import json
import logging
import random
import re
from pathlib import Path

from eval.docstrings import documented_functions, summary
from eval.units import resolve

logger = logging.getLogger(__name__)

EVAL_DIR = Path(__file__).resolve().parent
CORPUS_DIR = EVAL_DIR / "corpus"
QUERIES_DIR = EVAL_DIR / "queries"

SPLIT_SEED = 20240611
CSN_SIZE = 200  # half tune, half held-out
CSN_MIN_WORDS = 4
CSN_MAX_WORDS = 30

_RST_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _split(items: list[dict[str, object]], rng: random.Random) -> None:
    """Mark the first half of a shuffled order "tune", the rest "heldout" (in place)."""
    order = list(range(len(items)))
    rng.shuffle(order)
    half = (len(items) + 1) // 2
    for rank, index in enumerate(order):
        items[index]["split"] = "tune" if rank < half else "heldout"


def build_behaviour() -> list[dict[str, object]]:
    authored = [
        json.loads(line)
        for line in (QUERIES_DIR / "behaviour_authored.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    queries: list[dict[str, object]] = []
    for number, item in enumerate(authored, start=1):
        targets = []
        for ref in item["t"]:
            rel_path, symbol = ref.split("::", 1)
            unit = resolve(CORPUS_DIR, rel_path, symbol)
            targets.append(
                {
                    "path": rel_path,
                    "symbol": symbol,
                    "start_line": unit.start_line,
                    "end_line": unit.end_line,
                }
            )
        queries.append(
            {
                "id": f"b{number:03d}",
                "set": item["set"],
                "lang": "zh" if _CJK.search(item["q"]) else "en",
                "query": item["q"],
                "targets": targets,
            }
        )
    rng = random.Random(SPLIT_SEED)
    # Stratified: each set (code, doc, xlang) is split on its own so both halves hold all kinds.
    for set_name in ("code", "doc", "xlang"):
        _split([q for q in queries if q["set"] == set_name], rng)
    return queries


def clean_summary(text: str) -> str:
    """Drop reST markup a user would not type (``literal``, :func:`name`)."""
    text = _RST_ROLE.sub(r"\1", text)
    return text.replace("``", "").replace("`", "").strip()


def build_csn() -> list[dict[str, object]]:
    candidates: list[dict[str, object]] = []
    for path in sorted(CORPUS_DIR.rglob("*.py")):
        rel_path = path.relative_to(CORPUS_DIR).as_posix()
        for qualname, start, end, doc in documented_functions(path.read_text("utf-8")):
            name = qualname.rsplit(".", 1)[-1]
            if name.startswith("__") or name.startswith("test"):
                continue
            query = clean_summary(summary(doc))
            if not CSN_MIN_WORDS <= len(query.split()) <= CSN_MAX_WORDS:
                continue
            candidates.append(
                {
                    "query": query,
                    "targets": [
                        {"path": rel_path, "symbol": qualname, "start_line": start, "end_line": end}
                    ],
                }
            )
    # A summary shared by several functions (overloads, copies) has no single right answer.
    counts: dict[str, int] = {}
    for item in candidates:
        counts[str(item["query"]).lower()] = counts.get(str(item["query"]).lower(), 0) + 1
    unique = [c for c in candidates if counts[str(c["query"]).lower()] == 1]
    rng = random.Random(SPLIT_SEED)
    chosen = rng.sample(unique, min(CSN_SIZE, len(unique)))
    queries = [
        {"id": f"c{n:03d}", "set": "csn", "lang": "en", **item}
        for n, item in enumerate(chosen, start=1)
    ]
    _split(queries, rng)
    logger.info(
        "csn: %d documented candidates, %d unique, %d chosen",
        len(candidates),
        len(unique),
        len(queries),
    )
    return queries


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    behaviour = build_behaviour()
    write_jsonl(QUERIES_DIR / "behaviour.jsonl", behaviour)
    csn = build_csn()
    write_jsonl(QUERIES_DIR / "csn.jsonl", csn)
    logger.info(
        "behaviour: %d queries, csn: %d queries (seed %d)", len(behaviour), len(csn), SPLIT_SEED
    )


if __name__ == "__main__":
    main()
