#!/usr/bin/env bash
# Create .venv-infinity: infinity-emb, a third-party OpenAI-compatible embedding server, in
# its own virtualenv (its pins clash with Kenning's). The interoperability tests in
# tests/engine/serve/test_infinity.py start it on 127.0.0.1 with the bundled offline model.
# Idempotent: does nothing when the venv already holds this exact set.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$repo/.venv-infinity"
constraints="$repo/tests/servers/infinity-constraints.txt"
package="infinity-emb[server,torch]==0.0.78"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3

stamp="$venv/.kenning-setup"
want="$(cat "$constraints"; echo "$package")"
want_hash="$(printf '%s' "$want" | sha256sum | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want_hash" && -x "$venv/bin/infinity_emb" ]]; then
    echo "setup_infinity: $venv is up to date"
    exit 0
fi

echo "setup_infinity: installing $package into $venv"
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
# torch first, from the pinned (CPU) build: left to the resolver it would fetch a CUDA build.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c "$constraints" torch
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c "$constraints" "$package"
"$venv/bin/infinity_emb" --help >/dev/null
echo "$want_hash" > "$stamp"
echo "setup_infinity: done"
