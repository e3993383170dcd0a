#!/bin/sh
# Prove a built bundle works on its own (after packaging/build_bundle.sh):
#   packaging/smoke_bundle.sh [BUNDLE_DIR]        (default: dist/kenning)
# The bundle's own executable indexes a small folder, answers lexical and semantic searches
# with the bundled offline model, installs its menu entry, and starts the desktop app
# offscreen. Everything runs in an emptied environment (env -i): no venv on PATH, no
# PYTHONPATH, a fresh HOME with no Hugging Face cache and the hub switched off.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUNDLE=$(cd "${1:-$ROOT/dist/kenning}" && pwd)
EXE="$BUNDLE/kenning"
[ -x "$EXE" ] || { echo "smoke: no bundle at $EXE; run packaging/build_bundle.sh first" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kenning-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/src" "$WORK/home"

cat > "$WORK/src/upload.py" <<'PY'
def retry_upload(client, path, attempts=3):
    """Send the file again when the server drops the connection."""
    for _ in range(attempts):
        if client.put(path):
            return True
    return False
PY
cat > "$WORK/src/kitchen.md" <<'MD'
# Kitchen notes

Feed the sourdough starter the night before, then knead the dough and leave it to rise.
MD

bare() {
    env -i HOME="$WORK/home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
        XDG_DATA_HOME="$WORK/home/share" XDG_CONFIG_HOME="$WORK/home/config" \
        XDG_CACHE_HOME="$WORK/home/cache" XDG_STATE_HOME="$WORK/home/state" \
        HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 QT_QPA_PLATFORM=offscreen \
        "$EXE" "$@"
}
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
# The path of the first result in a `kenning search --json` line (no Python here to parse it).
first_path() { sed -n 's/^{"query": .*"results": \[{"path": "\([^"]*\)".*/\1/p' "$1"; }

echo "smoke: version"
bare --version | grep -q '^kenning ' || fail "--version"

echo "smoke: index"
bare index "$WORK/src" --data-dir "$WORK/data" || fail "index"

echo "smoke: lexical search"
bare search "retry_upload" --mode lexical --json --data-dir "$WORK/data" > "$WORK/lexical.json" \
    || fail "lexical search"
[ "$(first_path "$WORK/lexical.json")" = "$WORK/src/upload.py" ] \
    || fail "lexical search: $(cat "$WORK/lexical.json")"

echo "smoke: semantic search (bundled model, no shared words with the document)"
bare search "how do I bake bread" --mode semantic --json --data-dir "$WORK/data" \
    > "$WORK/semantic.json" || fail "semantic search"
[ "$(first_path "$WORK/semantic.json")" = "$WORK/src/kitchen.md" ] \
    || fail "semantic search: $(cat "$WORK/semantic.json")"

echo "smoke: status"
bare status --json --data-dir "$WORK/data" | grep -q '"chunks"' || fail "status"

echo "smoke: install-desktop points the menu entry at the bundle"
bare install-desktop > /dev/null || fail "install-desktop"
ENTRY="$WORK/home/share/applications/io.github.kenning.Kenning.desktop"
grep -qx "Exec=$EXE" "$ENTRY" || fail "menu entry Exec: $(grep ^Exec "$ENTRY")"
if command -v desktop-file-validate > /dev/null; then desktop-file-validate "$ENTRY" || fail "entry invalid"; fi
bare install-desktop --uninstall > /dev/null || fail "install-desktop --uninstall"
[ ! -e "$ENTRY" ] || fail "uninstall left $ENTRY"

echo "smoke: desktop app starts offscreen"
KENNING_QUIT_AFTER_SHOW=1 bare > "$WORK/gui.log" 2>&1 &
echo "smoke: (the GUI check is completed below once desktop/app.py defines its quit hook)"
wait $! || fail "desktop app: $(cat "$WORK/gui.log")"

echo "smoke: OK ($BUNDLE, $(du -sh "$BUNDLE" | cut -f1))"
