"""Memory: resident set size per 100k chunks, beyond the loaded model.

    python -m bench.memory                    # 100k chunks
    python -m bench.memory --chunks 10000

Each measurement runs in a fresh process (so freed memory of an earlier step cannot hide
a later one): load the bundled model and embed one query (baseline RSS), then open the
index the way each long-running side does and use it:
- ``search``: ``Searcher`` over the index, 50 hybrid queries (the window's side);
- ``pipeline``: ``Pipeline`` over the index (loads the vector index), then a no-op
  ``update_paths`` (the background indexer's side).
The index is the synthetic one of ``bench.query_latency`` (real texts, 384-dim vectors).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench.common import REPO, machine, out

_CHILD = r"""
import json, sys
from bench.common import load_kenning_embedder, rss_mib
from bench.query_latency import eval_queries
from bench.synthetic_index import build

side, n = sys.argv[1], int(sys.argv[2])
data_dir = build(n)
embedder = load_kenning_embedder()
embedder.embed_queries(["warm up the model"])
base = rss_mib()
if side == "search":
    from engine.search import Searcher
    s = Searcher(data_dir, embedder)
    for q in eval_queries(50):
        s.search(q, mode="hybrid", limit=20)
else:
    from indexer.pipeline import Pipeline
    p = Pipeline(data_dir, embedder)
    p.update_paths([data_dir / "synthetic-root" / "none.py"])
print(json.dumps({"base": base, "after": rss_mib()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    args = parser.parse_args()
    out(f"machine: {machine()}")
    for side in ("search", "pipeline"):
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, side, str(args.chunks)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        extra = figures["after"] - figures["base"]
        per_100k = extra * 100_000 / args.chunks
        out(
            f"{side}: model loaded {figures['base']:.0f} MiB RSS; with {args.chunks} chunks "
            f"{figures['after']:.0f} MiB: +{extra:.0f} MiB (= {per_100k:.0f} MiB per 100k chunks)"
        )


if __name__ == "__main__":
    main()
