#!/bin/sh
# Prove a built bundle works on its own (after packaging/build_bundle.sh):
#   packaging/smoke_bundle.sh [BUNDLE_DIR]        (default: dist/kenning)
# The bundle's own executable indexes a small folder, answers lexical and semantic searches
# with the bundled offline model, installs and removes its menu entry, and runs the desktop
# app offscreen until that app has indexed a folder. Everything runs in an emptied
# environment (env -i): no venv on PATH, no PYTHONPATH, a fresh HOME with no Hugging Face
# cache, and the hub switched off.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUNDLE=$(cd "${1:-$ROOT/dist/kenning}" && pwd)
EXE="$BUNDLE/kenning"
[ -x "$EXE" ] || { echo "smoke: no bundle at $EXE; run packaging/build_bundle.sh first" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kenning-smoke.XXXXXX")
GUI_PID=""
cleanup() {
    if [ -n "$GUI_PID" ]; then kill "$GUI_PID" 2> /dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/src" "$WORK/home/config/kenning"

cat > "$WORK/src/upload.py" <<'PY'
def retry_upload(client, path, attempts=3):
    """Send the file again when the server drops the connection."""
    for _ in range(attempts):
        if client.put(path):
            return True
    return False
PY
cat > "$WORK/src/config.rs" <<'RS'
pub fn parse_config(text: &str) -> Config {
    Config::from(text)
}
RS
cat > "$WORK/src/kitchen.md" <<'MD'
# Kitchen notes

Feed the sourdough starter the night before, then knead the dough and leave it to rise.
MD

# bare [VAR=value ...] [ARG ...]: the bundle in an emptied environment.
bare() {
    env -i HOME="$WORK/home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
        XDG_DATA_HOME="$WORK/home/share" XDG_CONFIG_HOME="$WORK/home/config" \
        XDG_CACHE_HOME="$WORK/home/cache" XDG_STATE_HOME="$WORK/home/state" \
        HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 QT_QPA_PLATFORM=offscreen \
        "$@"
}
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
# The path of the first result in a `kenning search --json` line (no Python here to parse it).
first_path() { sed -n 's/^{"query": .*"results": \[{"path": "\([^"]*\)".*/\1/p' "$1"; }

echo "smoke: version"
bare "$EXE" --version | grep -q '^kenning ' || fail "--version"

echo "smoke: index"
bare "$EXE" index "$WORK/src" --data-dir "$WORK/data" || fail "index"

echo "smoke: lexical search"
bare "$EXE" search "retry_upload" --mode lexical --json --data-dir "$WORK/data" \
    > "$WORK/lexical.json" || fail "lexical search"
[ "$(first_path "$WORK/lexical.json")" = "$WORK/src/upload.py" ] \
    || fail "lexical search: $(cat "$WORK/lexical.json")"

echo "smoke: tree-sitter grammars (a symbol name comes only from a parsed definition)"
bare "$EXE" search "parse_config" --mode lexical --json --data-dir "$WORK/data" \
    > "$WORK/rust.json" || fail "lexical search"
grep -q '"language": "rust", "symbol": "parse_config"' "$WORK/rust.json" \
    || fail "rust grammar: $(cat "$WORK/rust.json")"
grep -q '"symbol": "retry_upload"' "$WORK/lexical.json" \
    || fail "python grammar: $(cat "$WORK/lexical.json")"

echo "smoke: semantic search (bundled model; the query shares no word with the document)"
bare "$EXE" search "how do I bake bread" --mode semantic --json --data-dir "$WORK/data" \
    > "$WORK/semantic.json" || fail "semantic search"
[ "$(first_path "$WORK/semantic.json")" = "$WORK/src/kitchen.md" ] \
    || fail "semantic search: $(cat "$WORK/semantic.json")"

echo "smoke: status"
bare "$EXE" status --json --data-dir "$WORK/data" | grep -q '"chunks": [1-9]' || fail "status"

echo "smoke: install-desktop points the menu entry at the bundle"
bare "$EXE" install-desktop --autostart > /dev/null || fail "install-desktop"
ENTRY="$WORK/home/share/applications/io.github.kenning.Kenning.desktop"
AUTOSTART="$WORK/home/config/autostart/io.github.kenning.Kenning.desktop"
grep -qx "Exec=$EXE" "$ENTRY" || fail "menu entry: $(grep '^Exec' "$ENTRY")"
grep -qx "Exec=$EXE --hidden" "$AUTOSTART" || fail "autostart entry: $(grep '^Exec' "$AUTOSTART")"
if command -v desktop-file-validate > /dev/null; then
    desktop-file-validate "$ENTRY" "$AUTOSTART" || fail "desktop-file-validate"
fi
bare "$EXE" install-desktop --uninstall > /dev/null || fail "install-desktop --uninstall"
[ ! -e "$ENTRY" ] && [ ! -e "$AUTOSTART" ] || fail "uninstall left files behind"

echo "smoke: desktop app starts offscreen and indexes its folder"
# Settings as the first-run wizard would leave them, so the app goes straight to work.
mkdir -p "$WORK/gui-src"
cp "$WORK/src/upload.py" "$WORK/gui-src/"
cat > "$WORK/home/config/kenning/settings.json" <<JSON
{"version": 1, "folders": ["$WORK/gui-src"], "model": "offline", "first_run_done": true}
JSON
bare KENNING_DATA_DIR="$WORK/gui-data" "$EXE" > "$WORK/gui.log" 2>&1 &
GUI_PID=$!
# Poll the index the app is building (a script may wait; tests may not): up to 5 minutes.
tries=0
until bare "$EXE" status --json --data-dir "$WORK/gui-data" 2> /dev/null \
        | grep -q '"chunks": [1-9]'; do
    kill -0 "$GUI_PID" 2> /dev/null || fail "desktop app exited early: $(cat "$WORK/gui.log")"
    tries=$((tries + 1))
    [ "$tries" -lt 300 ] || fail "desktop app did not index within 5 minutes: $(cat "$WORK/gui.log")"
    sleep 1
done
kill -0 "$GUI_PID" 2> /dev/null || fail "desktop app exited: $(cat "$WORK/gui.log")"
kill "$GUI_PID"
wait "$GUI_PID" 2> /dev/null || true
GUI_PID=""
if [ -s "$WORK/gui.log" ]; then sed 's/^/smoke: desktop app said: /' "$WORK/gui.log"; fi

echo "smoke: OK ($BUNDLE, $(du -sh "$BUNDLE" | cut -f1))"
