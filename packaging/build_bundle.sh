#!/bin/sh
# Build the self-contained folder bundle dist/kenning/ (run from the repository root, in the venv with the `packaging` extra).
set -eu; cd "$(dirname "$0")/.." && exec python -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/kenning.spec "$@"
