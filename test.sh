#!/usr/bin/env bash
# Set up on first use, then run the whole test suite (extra arguments go to pytest).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
EXTRAS=test source scripts/bootstrap.sh
bash scripts/system_packages.sh
bash tests/servers/setup_infinity.sh
export QT_QPA_PLATFORM=offscreen
ruff check .
lint-imports
mypy engine indexer
python -m pytest "$@"
