#!/usr/bin/env bash
# Debian packages some tests use (validators for the desktop entry and AppStream metainfo,
# the X libraries Qt loads, Xvfb). Installed when missing and we may; otherwise say so.
set -uo pipefail
packages=(desktop-file-utils appstream strace xvfb libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3
  dbus-daemon
  fonts-noto-cjk)  # CJK text in the Chinese UI tests and screenshots, without tofu
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "kenning: installing ${missing[*]}" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "kenning: for the full test suite install: ${missing[*]}" >&2
fi
exit 0
