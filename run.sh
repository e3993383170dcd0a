#!/usr/bin/env bash
# Set up on first use, then run Kenning: `./run.sh` opens the desktop app;
# `./run.sh index ~/code`, `./run.sh search "where do we retry uploads"` use the CLI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/scripts/bootstrap.sh"
exec kenning "$@"
