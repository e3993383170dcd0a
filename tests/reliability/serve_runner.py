"""``kenning serve``'s server in a child process with few file descriptors, for leak tests.

    python -m tests.reliability.serve_runner DATA_DIR TOKEN --nofile N

Lowers RLIMIT_NOFILE to N, serves search over DATA_DIR with the hashing embedder on a free
loopback port, prints the port (flushed) and serves until stdin closes.
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

from engine.serve.http_api import ServeConfig, make_server
from tests.fake_embedder import HashingEmbedder
from tests.reliability.index_runner import DIM


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("token")
    parser.add_argument("--nofile", type=int, required=True)
    args = parser.parse_args(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (args.nofile, hard))
    server = make_server(
        ServeConfig(token=args.token, port=0), HashingEmbedder(dim=DIM), data_dir=args.data_dir
    )
    server.start()
    sys.stdout.write(f"{server.port}\n")
    sys.stdout.flush()
    try:
        sys.stdin.read()  # until the test closes the pipe
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
